import pytest

from enrollments.connection_strings import parse_iot_hub_connection_string
from enrollments.exceptions import InvalidConnectionStringError

KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY="


def test_parses_the_three_parts_in_any_order():
    parsed = parse_iot_hub_connection_string(
        f"SharedAccessKey={KEY};HostName=My-Hub.azure-devices.net;SharedAccessKeyName=iothubowner"
    )
    assert parsed.host_name == "my-hub.azure-devices.net"
    assert parsed.shared_access_key_name == "iothubowner"
    assert parsed.shared_access_key == KEY


@pytest.mark.parametrize(
    "value, part",
    [
        (f"SharedAccessKeyName=iothubowner;SharedAccessKey={KEY}", "HostName"),
        (f"HostName=h.azure-devices.net;SharedAccessKey={KEY}", "SharedAccessKeyName"),
        ("HostName=h.azure-devices.net;SharedAccessKeyName=iothubowner", "SharedAccessKey"),
        ("HostName=h.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=", "SharedAccessKey"),
    ],
)
def test_a_missing_part_is_named(value, part):
    with pytest.raises(InvalidConnectionStringError, match=part):
        parse_iot_hub_connection_string(value)


def test_a_key_that_is_not_base64_is_refused():
    with pytest.raises(InvalidConnectionStringError, match="base64"):
        parse_iot_hub_connection_string("HostName=h.azure-devices.net;SharedAccessKeyName=a;SharedAccessKey=%%%")
