"""Many-item writes of one enrollment kind (the service API's bulk operation) at a cost per item
that does not depend on the table's size, with the rules and results of item-by-item writes.

The caller opens one transaction for the whole call and the quota allowance of the kind
(`quotas.bulk_allowance`: the kind's create lock, each quota counted once), then `batch(model,
ids)`, and applies each item through the usual services (`individual_enrollment_create`,
`enrollment_group_create`, `enrollment_update`, …), setting `batch.index` before each. Inside the
batch:
- the records the call names are read in one query (`SELECT … FOR UPDATE` where the database can)
  and `find` answers from them, as do the create's "already exists" check
  (`enrollments.name_taken_message`);
- a create is fully checked as usual, then deferred: no savepoint, no write per item; its
  certificates count as used for the items after it;
- `flush()` writes every deferred create with one `bulk_create` per table (records, target hubs,
  certificates) in one savepoint. Should that savepoint fail on a unique constraint (a concurrent
  writer of the same certificate), the creates are written one by one and each failure becomes
  that item's error, exactly as item by item;
- the IoT hubs the call names are read in one query too (`known_hubs`, and the legacy hub check);
- `delete_many` deletes the items of a delete call in one statement (per table), after the etag
  checks on the locked rows.
An update still reads its row locked, writes it conditionally and sets its hubs (a few queries
per updated item, a constant): updates are rarer and their write is the conditional one of
services.etags.

A call whose IDs repeat (ignoring case) or are not all ASCII gets no batch (`batch` yields None):
its items see each other's writes, so it goes item by item through the same services.
"""

import contextlib
from collections.abc import Iterable, Iterator, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower

from .. import kinds
from ..exceptions import EtagMismatchError
from ..models import EnrollmentCertificate, LinkedIotHub
from . import enrollments, lookups

# IDs per `IN (…)` query: within every database's parameter limit.
CHUNK = 500


class NotFound(Exception):
    """A bulk delete's item names no stored record (or one an earlier item of the call deleted)."""


def _keys(ids: Sequence[object]) -> list[str] | None:
    """The lower-case IDs of a call when a batch applies to it (each a distinct ASCII text), else None."""
    keys = [record_id.lower() for record_id in ids if isinstance(record_id, str) and record_id]
    if len(set(keys)) != len(keys) or not all(key.isascii() for key in keys):
        return None
    return keys


@contextlib.contextmanager
def batch(model: type, ids: Sequence[object], hub_names: Iterable[object] = ()) -> Iterator[lookups.Batch | None]:
    """Open a batch for a many-item write of `model` naming `ids` (items' IDs as sent; non-texts are
    ignored) and the IoT hubs `hub_names` (target and legacy hubs as sent), inside the caller's
    transaction. Yields the Batch, or None when the call must go item by item (IDs repeat ignoring
    case, or are not ASCII). Reads the named records in one query per CHUNK IDs, the hubs in one."""
    keys = _keys(ids)
    if keys is None:
        yield None
        return
    id_field = kinds.BY_MODEL[model].id_field
    # A NUL never matches (models.with_name): PostgreSQL refuses it in a query.
    wanted = [key for key in keys if "\x00" not in key]
    found = {}
    for first in range(0, len(wanted), CHUNK):
        rows = (
            model.objects.select_for_update()
            .alias(_name_key=Lower(id_field))
            .filter(_name_key__in=wanted[first : first + CHUNK])
        )
        found.update({getattr(row, id_field).lower(): row for row in rows})
    hub_keys = {name.lower() for name in hub_names if isinstance(name, str) and name and name.isascii()}
    linked = {}
    if hub_keys:
        linked = {
            hub.key: hub for hub in LinkedIotHub.objects.annotate(key=Lower("host_name")).filter(key__in=hub_keys)
        }
    current = lookups.Batch(
        model=model,
        records={key: found.get(key) for key in keys},
        hubs={key: linked.get(key) for key in hub_keys},
    )
    with lookups.using(current):
        yield current


def active(model: type) -> bool:
    """Whether a batch of `model` is open (in this call)."""
    return lookups.active(model) is not None


def known_hubs(names: Iterable[object]) -> dict | None:
    """{lower-case host name: LinkedIotHub} of `names` as the current batch read them (hubs not linked
    left out), or None when there is no batch or it did not read every one of them."""
    current = lookups.active()
    if current is None:
        return None
    keys = [name.lower() for name in names if isinstance(name, str)]
    if not all(key in current.hubs for key in keys):
        return None
    return {key: current.hubs[key] for key in keys if current.hubs[key] is not None}


def find(model: type, record_id: str) -> tuple[bool, object | None]:
    """(True, the record or None) when the current batch read `record_id` (any case), else (False, None):
    the caller then reads it as usual."""
    current = lookups.active(model)
    if current is None or not isinstance(record_id, str) or record_id.lower() not in current.records:
        return False, None
    return True, current.records[record_id.lower()]


def flush() -> dict[int, ValidationError]:
    """Write the current batch's deferred creates; returns {item index: ValidationError} of those that
    could not be written (normally none). Must run inside the caller's transaction."""
    current = lookups.active()
    if current is None or not current.pending:
        return {}
    pending, current.pending = current.pending, []
    kind = kinds.BY_MODEL[current.model]
    owner_field = "enrollment_group" if kind.is_group else "individual_enrollment"
    # Without primary keys from bulk_create (SQLite before 3.35) the hubs and certificates cannot
    # be tied to their records: write one by one.
    if connection.features.can_return_rows_from_bulk_insert:
        try:
            with transaction.atomic():
                _write_together(current.model, owner_field, pending)
            return {}
        except IntegrityError:
            pass  # a concurrent writer took a certificate: find which item, one by one
    failures: dict[int, ValidationError] = {}
    for item in pending:
        item.enrollment.pk = None  # bulk_create may have set it before the savepoint rolled back
        item.enrollment._state.adding = True
        try:
            enrollments.write_create(item.enrollment, hubs=item.hubs, certificates=item.certificates)
        except ValidationError as exc:
            failures[item.index] = exc
    return failures


def _write_together(model: type, owner_field: str, pending: list[lookups.PendingCreate]) -> None:
    """One INSERT per table for the records, their target hubs and their certificates."""
    model.objects.bulk_create([item.enrollment for item in pending])
    through = model.iot_hubs.through
    through.objects.bulk_create(
        [through(**{owner_field: item.enrollment, "linked_iot_hub": hub}) for item in pending for hub in item.hubs]
    )
    EnrollmentCertificate.objects.bulk_create(
        [
            EnrollmentCertificate(**{owner_field: item.enrollment}, slot=slot, **info.model_fields())
            for item in pending
            for slot, info in item.certificates.items()
            if info is not None
        ]
    )


def delete_many(model: type, items: Sequence[tuple[int, str, str | None]]) -> dict[int, Exception]:
    """Delete the records named by `items` ((item index, ID, etag or None/`*`)) of the current batch,
    as `enrollments.enrollment_delete` would one by one (registration records are kept). Returns
    {item index: NotFound | EtagMismatchError} of the items not deleted."""
    current = lookups.active(model)
    if current is None:
        raise RuntimeError("delete_many needs an open batch of this kind")
    failures: dict[int, Exception] = {}
    pks = []
    for index, record_id, etag in items:
        record = current.records.get(record_id.lower())
        if record is None:
            failures[index] = NotFound(record_id)
            continue
        expected = enrollments.normalize_etag(etag)
        if expected is not None and record.etag != expected:
            failures[index] = EtagMismatchError()
            continue
        pks.append(record.pk)
        current.records[record_id.lower()] = None
    if pks:
        enrollments.enrollments_delete(model=model, pks=pks)
    return failures
