"""Conditional writes of records that carry an etag (optimistic concurrency, DPS's `If-Match`).

An editor (a portal page, the Django admin's change form, an API client) opened a record at some
etag. Its save names that etag and becomes `UPDATE … WHERE pk = … AND etag = <that etag>`, which
also sets a fresh etag: when someone saved in between, no row matches, nothing is written and
EtagMismatchError (with a message naming the kind of record) asks the editor to reload. The check
and the write are one statement, so two saves from one version never both win, on SQLite and
PostgreSQL alike. `expected_etag=None` means "any version" (DPS's `*`).
"""

from django.db import models
from django.utils import timezone

from ..exceptions import EtagMismatchError
from ..models import new_etag

# Columns a conditional write never rewrites.
_KEPT = ("created_date_time_utc",)


def locked_current(model: type[models.Model], pk, *, expected_etag: str | None, message: str) -> models.Model:
    """The stored `model` row `pk`, locked for update where the database can, when its etag is
    `expected_etag` (None: any). Raises EtagMismatchError(message) when it changed or is gone."""
    current = model.objects.select_for_update().filter(pk=pk).first()
    if current is None or (expected_etag is not None and current.etag != expected_etag):
        raise EtagMismatchError(message)
    return current


def save_if_unchanged(record: models.Model, *, message: str) -> None:
    """Write every column of `record` (a row read with `locked_current` and changed in memory) when
    the stored etag still equals `record.etag`; the record gets a new etag (and last-updated time,
    when it has one). Raises EtagMismatchError(message) when the stored row changed meanwhile."""
    model = type(record)
    old_etag = record.etag
    record.etag = new_etag()
    if hasattr(record, "last_updated_date_time_utc"):
        record.last_updated_date_time_utc = timezone.now()
    columns = {
        field.attname: getattr(record, field.attname)
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in _KEPT
    }
    if not model.objects.filter(pk=record.pk, etag=old_etag).update(**columns):
        record.etag = old_etag
        raise EtagMismatchError(message)
