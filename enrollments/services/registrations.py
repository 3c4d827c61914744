"""Registration records (DPS DeviceRegistrationState, dps-reference §1.6): deleting them.

Devices write these records when they register; an administrator deletes a record so the device
registers afresh (DPS `DELETE /registrations/{id}`). Deleting a record never touches its enrollment.
"""

from collections.abc import Iterable

from django.db import transaction

from ..exceptions import EtagMismatchError
from ..models import RegistrationRecord
from .enrollments import normalize_etag


@transaction.atomic
def registration_records_delete(*, pks: Iterable[int]) -> list[str]:
    """Delete the registration records with these primary keys; unknown keys are ignored.

    Returns the registration IDs of the deleted records, sorted.
    """
    records = RegistrationRecord.objects.filter(pk__in=list(pks))
    registration_ids = sorted(records.values_list("registration_id", flat=True))
    records.delete()
    return registration_ids


@transaction.atomic
def registration_record_delete(*, record: RegistrationRecord, expected_etag: str | None) -> None:
    """Delete one registration record, conditionally on its etag (None or `*`: any; DPS
    `DELETE /registrations/{id}` with If-Match).

    Raises EtagMismatchError when someone changed or deleted it since.
    """
    queryset = RegistrationRecord.objects.filter(pk=record.pk)
    expected = normalize_etag(expected_etag)
    if expected is not None:
        queryset = queryset.filter(etag=expected)
    if not queryset.delete()[0]:
        raise EtagMismatchError()
