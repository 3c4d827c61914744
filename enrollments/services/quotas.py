"""DPS quotas (dps-reference §6), each configurable in settings (DPS_MAX_*).

Correct under concurrency on both databases: a check takes the quota's lock for the rest of the
caller's transaction, then counts, so two creates can never both take the last slot.
- PostgreSQL: `pg_advisory_xact_lock` on one key per model (released at commit or rollback);
- SQLite: settings open every transaction with BEGIN IMMEDIATE, so the database's write lock is
  already held and writers are serialised.

A bulk call does not count the table per item: `bulk_allowance(model)` takes the lock once at the
top of the call's transaction and counts each quota once, on first use; every later check inside it
reads that count plus the rows the call created since (`created(...)`). An item's cost is therefore
independent of the table's size, and the bound stays exact because no other transaction can create
a row of that model while the lock is held.

Checks must run inside `transaction.atomic` (the services do); outside one the lock would not
outlast the check.
"""

import contextlib
import contextvars
import zlib
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Max

from ..choices import AttestationType
from ..models import CaCertificate, EnrollmentGroup, IndividualEnrollment, LinkedIotHub, RegistrationRecord

QUOTA_MESSAGE = "This service already has {count} {what}, the most allowed (quota {limit}). Delete {one} first."


class _Allowance:
    """The counts of one bulk call: {quota key: rows counted at first use + rows created since}."""

    def __init__(self, model: type) -> None:
        self.model = model
        self.used: dict[str, int] = {}


_allowance: contextvars.ContextVar[_Allowance | None] = contextvars.ContextVar("quota_allowance", default=None)


def lock(model: type) -> None:
    """Hold `model`'s quota lock until the current transaction ends: creates of `model` (and their
    name checks) in other transactions wait until then. No-op on SQLite (see the module docstring)."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"dps-quota:{model._meta.label_lower}".encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


@contextlib.contextmanager
def bulk_allowance(model: type) -> Iterator[_Allowance]:
    """Within one transaction (`transaction.atomic` around the whole bulk call): lock `model`'s
    quota once and count each of its quotas at most once. Call `created(model, attestation_type)`
    after each item that created a row (and whose savepoint was released)."""
    lock(model)
    token = _allowance.set(_Allowance(model))
    try:
        yield _allowance.get()
    finally:
        _allowance.reset(token)


def holds(model: type) -> bool:
    """Whether a bulk allowance for `model` (and so its lock) is active in this transaction."""
    allowance = _allowance.get()
    return allowance is not None and allowance.model is model


def created(model: type, attestation_type: str = "") -> None:
    """Tell the current bulk allowance that one row of `model` was created (no-op outside one)."""
    allowance = _allowance.get()
    if allowance is not None and allowance.model is model:
        key = _key(model, attestation_type)
        if key in allowance.used:
            allowance.used[key] += 1


def _key(model: type, attestation_type: str = "") -> str:
    if model is EnrollmentGroup:
        return f"group:{attestation_type}"
    return model._meta.label_lower


def _used(model: type, key: str, count: Callable[[], int]) -> int:
    allowance = _allowance.get()
    if allowance is not None and allowance.model is model:
        if key not in allowance.used:
            allowance.used[key] = count()
        return allowance.used[key]
    lock(model)
    return count()


def _check(count: int, limit: int, what: str, one: str, field: str | None) -> None:
    if count >= limit:
        message = QUOTA_MESSAGE.format(count=count, what=what, limit=limit, one=one)
        raise ValidationError({field: message} if field else message, code="quota")


def check_individual_enrollment_quota() -> None:
    """Raise ValidationError when the individual-enrollment quota is reached."""
    model = IndividualEnrollment
    _check(
        _used(model, _key(model), model.objects.count),
        settings.DPS_MAX_INDIVIDUAL_ENROLLMENTS,
        "individual enrollments",
        "an individual enrollment",
        None,
    )


def check_enrollment_group_quota(attestation_type: str) -> None:
    """Raise ValidationError when the symmetric-key or X.509 group quota is reached (100 each)."""
    if attestation_type == AttestationType.SYMMETRIC_KEY:
        limit, what = settings.DPS_MAX_SYMMETRIC_KEY_GROUPS, "symmetric-key enrollment groups"
    else:
        limit, what = settings.DPS_MAX_X509_GROUPS, "X.509 enrollment groups"
    model = EnrollmentGroup
    count = _used(model, _key(model, attestation_type), model.objects.filter(attestation_type=attestation_type).count)
    _check(count, limit, what, "an enrollment group of that kind", None)


def check_ca_certificate_quota() -> None:
    model = CaCertificate
    count = _used(model, _key(model), model.objects.count)
    _check(count, settings.DPS_MAX_CA_CERTIFICATES, "CA certificates", "a certificate", None)


def check_linked_hub_quota() -> None:
    model = LinkedIotHub
    count = _used(model, _key(model), model.objects.count)
    _check(count, settings.DPS_MAX_LINKED_HUBS, "linked IoT hubs", "a linked IoT hub", None)


def _registration_count_or_bound(limit: int) -> int:
    """The number of registration records, or an upper bound of it below `limit`: rows have distinct
    positive primary keys, so while the largest is below the limit so is their number, and an index
    lookup answers instead of counting a table that may hold a million rows. Exact under the quota's
    lock: no other transaction can insert a record meanwhile."""
    largest = RegistrationRecord.objects.aggregate(largest=Max("pk"))["largest"] or 0
    return largest if largest < limit else RegistrationRecord.objects.count()


def check_registration_quota() -> None:
    """Registration records, orphans of deleted groups included (one index lookup while far from the
    quota, a count near it)."""
    model = RegistrationRecord
    limit = settings.DPS_MAX_REGISTRATIONS
    _check(
        _used(model, _key(model), lambda: _registration_count_or_bound(limit)),
        limit,
        "registration records",
        "registration records",
        None,
    )
