"""What one many-item write (services.bulk) read once for all its items, and the creates it has
checked but not yet written, so the per-item rules of services.enrollments read these instead of
querying per item.

`active()` is the current call's Batch, or None outside a many-item write (every single-item
write then queries and writes as usual). Keys of `records` are lower-case enrollment IDs: a batch
is only opened when every ID is ASCII, where Python's `str.lower()` and the databases' `LOWER()`
agree (models.with_name).
"""

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_active: contextvars.ContextVar["Batch | None"] = contextvars.ContextVar("bulk_batch", default=None)


@dataclass
class PendingCreate:
    """A checked, not yet written create: the unsaved record, its target hubs, its certificates
    ({slot: CertificateInfo}) and the index of the bulk item that asked for it."""

    index: int
    enrollment: Any
    hubs: list
    certificates: dict


@dataclass
class Batch:
    """One many-item write of `model` (EnrollmentGroup or IndividualEnrollment).

    records: {lower-case ID: the stored record (row-locked where the database can) or None} for
    every ID the call names; pending: the creates checked so far, written by services.bulk.flush;
    claimed: {SHA-256 thumbprint: owner label} of the certificates of pending creates; hubs: {lower-case
    host name: LinkedIotHub or None (not linked)} of every hub the call names; index: the
    item being applied (set by the caller before each item).
    """

    model: type
    records: dict[str, Any] = field(default_factory=dict)
    pending: list[PendingCreate] = field(default_factory=list)
    claimed: dict[str, str] = field(default_factory=dict)
    hubs: dict[str, Any] = field(default_factory=dict)
    index: int = 0


def active(model: type | None = None) -> Batch | None:
    """The current batch (of `model`, when given), or None."""
    batch = _active.get()
    if batch is None or (model is not None and batch.model is not model):
        return None
    return batch


@contextlib.contextmanager
def using(batch: Batch) -> Iterator[Batch]:
    token = _active.set(batch)
    try:
        yield batch
    finally:
        _active.reset(token)
