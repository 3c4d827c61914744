"""IoT hub connection strings: `HostName=…;SharedAccessKeyName=…;SharedAccessKey=…`
(dps-reference §5.1; the format Azure's portal shows under IoT hub → Shared access policies)."""

import base64
import binascii
from dataclasses import dataclass

from .exceptions import InvalidConnectionStringError

REQUIRED_PARTS = ("HostName", "SharedAccessKeyName", "SharedAccessKey")


@dataclass(frozen=True)
class IotHubConnectionString:
    host_name: str
    shared_access_key_name: str
    shared_access_key: str


def parse_iot_hub_connection_string(value: str) -> IotHubConnectionString:
    """Parse an IoT hub connection string.

    Parts are `Name=value` separated by `;` in any order (the key may itself end in `=`).
    Raises InvalidConnectionStringError naming the missing or malformed part.
    """
    parts: dict[str, str] = {}
    for chunk in (value or "").strip().split(";"):
        chunk = chunk.strip()
        if not chunk:
            continue
        name, sep, part_value = chunk.partition("=")
        if not sep:
            raise InvalidConnectionStringError(
                f"“{chunk[:40]}” is not a Name=value part. A connection string looks like "
                "HostName=…;SharedAccessKeyName=…;SharedAccessKey=…"
            )
        parts[name.strip()] = part_value.strip()
    missing = [p for p in REQUIRED_PARTS if not parts.get(p)]
    if missing:
        raise InvalidConnectionStringError(
            f"The connection string has no {', '.join(missing)}. Copy the whole primary connection string "
            "from the IoT hub's shared access policy (HostName=…;SharedAccessKeyName=…;SharedAccessKey=…)."
        )
    host = parts["HostName"].lower()
    if "://" in host or "/" in host or " " in host or "." not in host:
        raise InvalidConnectionStringError(
            f"HostName “{parts['HostName']}” is not a host name such as my-hub.azure-devices.net."
        )
    try:
        base64.b64decode(parts["SharedAccessKey"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidConnectionStringError("SharedAccessKey is not valid base64: copy it again.") from exc
    return IotHubConnectionString(
        host_name=host,
        shared_access_key_name=parts["SharedAccessKeyName"],
        shared_access_key=parts["SharedAccessKey"],
    )
