"""App start-up: the system check of DPS_CLIENT_LOCATIONS."""

from enrollments.apps import check_client_locations


def test_a_malformed_client_locations_setting_is_a_system_check_error(settings):
    settings.DPS_CLIENT_LOCATIONS = "10.1.0.0/16=westeurope,192.168.0.0/24=eastus"
    assert check_client_locations() == []
    settings.DPS_CLIENT_LOCATIONS = "10.1.0.0/33=westeurope"
    (error,) = check_client_locations()
    assert error.id == "enrollments.E001" and "DPS_CLIENT_LOCATIONS" in error.msg
