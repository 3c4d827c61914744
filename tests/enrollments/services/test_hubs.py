import pytest
from django.core.exceptions import ValidationError

from enrollments.models import LinkedIotHub
from enrollments.services.enrollments import enrollment_group_create, individual_enrollment_create
from enrollments.services.hubs import linked_iot_hub_check, linked_iot_hub_create, linked_iot_hub_delete

pytestmark = pytest.mark.django_db

KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY="


def cs(host="hub-a.azure-devices.net", key=KEY):
    return f"HostName={host};SharedAccessKeyName=iothubowner;SharedAccessKey={key}"


def test_create_links_the_hub_with_defaults():
    hub = linked_iot_hub_create(connection_string=cs("Hub-A.azure-devices.net"), location="westeurope")
    hub.refresh_from_db()
    assert hub.host_name == "hub-a.azure-devices.net"
    assert hub.shared_access_key_name == "iothubowner"
    assert hub.shared_access_key == KEY
    assert hub.location == "westeurope"
    assert hub.allocation_weight == 1
    assert hub.apply_allocation_policy is True


def test_create_keeps_weight_and_apply_flag():
    hub = linked_iot_hub_create(connection_string=cs(), allocation_weight=1000, apply_allocation_policy=False)
    assert (hub.allocation_weight, hub.apply_allocation_policy) == (1000, False)


@pytest.mark.parametrize("weight", [0, 1001])
def test_weight_outside_1_to_1000_is_refused(weight):
    with pytest.raises(ValidationError) as err:
        linked_iot_hub_create(connection_string=cs(), allocation_weight=weight)
    assert "allocation_weight" in err.value.message_dict
    assert not LinkedIotHub.objects.exists()


def test_missing_shared_access_key_is_named_and_nothing_is_saved():
    with pytest.raises(ValidationError) as err:
        linked_iot_hub_create(connection_string="HostName=h.azure-devices.net;SharedAccessKeyName=owner")
    assert "SharedAccessKey" in err.value.message_dict["connection_string"][0]
    assert not LinkedIotHub.objects.exists()


def test_blank_connection_string_is_required():
    with pytest.raises(ValidationError) as err:
        linked_iot_hub_create(connection_string="")
    assert err.value.message_dict["connection_string"] == ["This field is required."]


def test_malformed_part_message_never_quotes_the_input():
    with pytest.raises(ValidationError) as err:
        linked_iot_hub_create(connection_string=f"HostName=h.azure-devices.net;{KEY[:-1]}")
    message = err.value.message_dict["connection_string"][0]
    assert "Name=value" in message
    assert KEY[:20] not in message


def test_duplicate_host_name_ignoring_case_is_a_field_error():
    linked_iot_hub_create(connection_string=cs("hub-a.azure-devices.net"))
    with pytest.raises(ValidationError) as err:
        linked_iot_hub_create(connection_string=cs("HUB-A.azure-devices.net"))
    assert err.value.message_dict["connection_string"] == ["The IoT hub “hub-a.azure-devices.net” is already linked."]
    assert LinkedIotHub.objects.count() == 1


def test_quota_is_enforced_from_settings(settings):
    settings.DPS_MAX_LINKED_HUBS = 2
    linked_iot_hub_create(connection_string=cs("a.azure-devices.net"))
    linked_iot_hub_create(connection_string=cs("b.azure-devices.net"))
    with pytest.raises(ValidationError) as err:
        linked_iot_hub_create(connection_string=cs("c.azure-devices.net"))
    assert "quota 2" in err.value.message_dict["__all__"][0]
    assert LinkedIotHub.objects.count() == 2


def test_existing_hub_keeps_its_key_when_no_string_is_given():
    hub = linked_iot_hub_create(connection_string=cs())
    hub.location = "northeurope"
    linked_iot_hub_check(hub=hub, connection_string="")
    assert hub.shared_access_key == KEY


def test_existing_hub_accepts_a_rotated_key_but_not_another_host():
    hub = linked_iot_hub_create(connection_string=cs())
    new_key = "bmV3LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY3OA=="
    linked_iot_hub_check(hub=hub, connection_string=cs(key=new_key))
    assert hub.shared_access_key == new_key
    with pytest.raises(ValidationError) as err:
        linked_iot_hub_check(hub=hub, connection_string=cs("other.azure-devices.net"))
    assert "not “hub-a.azure-devices.net”" in err.value.message_dict["connection_string"][0]


def test_delete_unlinks_an_unused_hub():
    hub = linked_iot_hub_create(connection_string=cs())
    linked_iot_hub_delete(hub=hub)
    assert not LinkedIotHub.objects.exists()


def test_delete_is_refused_while_enrollments_target_the_hub():
    hub = linked_iot_hub_create(connection_string=cs())
    enrollment_group_create(enrollment_group_id="grp-1", attestation_type="symmetricKey", iot_hubs=[hub])
    individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey", iot_hubs=[hub])
    with pytest.raises(ValidationError) as err:
        linked_iot_hub_delete(hub=hub)
    message = err.value.messages[0]
    assert "enrollment group “grp-1”" in message
    assert "individual enrollment “dev-1”" in message
    assert LinkedIotHub.objects.filter(pk=hub.pk).exists()
