"""Attestation mechanisms (symmetric key, X.509, TPM): pure functions, no ORM, no requests."""
