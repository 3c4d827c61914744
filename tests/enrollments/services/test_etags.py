"""services/etags.py: the conditional write refuses a row that changed after it was read."""

import pytest

from enrollments.exceptions import EtagMismatchError
from enrollments.models import LinkedIotHub
from enrollments.services import etags

pytestmark = pytest.mark.django_db


def _hub() -> LinkedIotHub:
    return LinkedIotHub.objects.create(
        host_name="h.azure-devices.net", shared_access_key_name="o", shared_access_key="a2V5"
    )


def test_locked_current_refuses_another_version_and_a_deleted_row():
    hub = _hub()
    assert etags.locked_current(LinkedIotHub, hub.pk, expected_etag=hub.etag, message="m").pk == hub.pk
    assert etags.locked_current(LinkedIotHub, hub.pk, expected_etag=None, message="m").pk == hub.pk
    with pytest.raises(EtagMismatchError, match="^changed$"):
        etags.locked_current(LinkedIotHub, hub.pk, expected_etag="old", message="changed")
    hub.delete()
    with pytest.raises(EtagMismatchError, match="^gone$"):
        etags.locked_current(LinkedIotHub, hub.pk, expected_etag=None, message="gone")


def test_a_write_landing_between_read_and_save_wins_and_the_save_writes_nothing():
    hub = _hub()
    current = etags.locked_current(LinkedIotHub, hub.pk, expected_etag=hub.etag, message="m")
    LinkedIotHub.objects.filter(pk=hub.pk).update(location="theirs", etag="theirs-etag")
    current.location, current.allocation_weight = "mine", 9
    with pytest.raises(EtagMismatchError, match="^lost$"):
        etags.save_if_unchanged(current, message="lost")
    stored = LinkedIotHub.objects.get(pk=hub.pk)
    assert (stored.location, stored.allocation_weight, stored.etag) == ("theirs", 1, "theirs-etag")
    assert current.etag == hub.etag  # unchanged in memory too


def test_a_save_from_the_current_version_writes_every_column_and_a_new_etag():
    hub = _hub()
    created = hub.created_date_time_utc
    current = etags.locked_current(LinkedIotHub, hub.pk, expected_etag=hub.etag, message="m")
    current.location = "mine"
    etags.save_if_unchanged(current, message="m")
    stored = LinkedIotHub.objects.get(pk=hub.pk)
    assert (stored.location, stored.etag, stored.created_date_time_utc) == ("mine", current.etag, created)
    assert stored.etag != hub.etag
