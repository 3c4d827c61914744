"""The DPS service (data-plane) REST API at the root paths Azure DPS uses, wire-compatible with
api-version 2021-10-01 so that Azure's own SDKs work unchanged (dps-reference §1, §3)."""
