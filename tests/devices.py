"""Device-side helpers for tests: device SAS tokens made as Azure's SDKs make them, derived group
keys, and the device API's paths. Keys are generated per test (attestation.symmetric_keys)."""

import time
from urllib.parse import quote

from enrollments import sas
from enrollments.attestation.symmetric_keys import derive_device_key

DEVICE_API_VERSION = "2021-06-01"


def device_token(
    id_scope: str,
    registration_id: str,
    key: str,
    *,
    skn: bool = True,
    expiry: int | None = None,
    resource: str | None = None,
) -> str:
    """`SharedAccessSignature sr=…&sig=…&se=…[&skn=registration]` for a device key, as the C SDK
    (with skn) and the Python SDK (without) send it. `resource` overrides `sr` (wrong-scope tests)."""
    return sas.generate_sas_token(
        resource_uri=resource if resource is not None else f"{id_scope}/registrations/{registration_id}",
        key=key,
        policy_name="registration" if skn else None,
        expiry=expiry if expiry is not None else int(time.time()) + 3600,
    )


def group_device_key(group_key: str, registration_id: str) -> str:
    return derive_device_key(group_key=group_key, registration_id=registration_id)


def register_path(id_scope: str, registration_id: str, version: str = DEVICE_API_VERSION) -> str:
    return f"/{id_scope}/registrations/{quote(registration_id, safe='')}/register?api-version={version}"


def operation_path(id_scope: str, registration_id: str, operation_id: str, version: str = DEVICE_API_VERSION) -> str:
    rid = quote(registration_id, safe="")
    return f"/{id_scope}/registrations/{rid}/operations/{quote(operation_id, safe='')}?api-version={version}"


def status_path(id_scope: str, registration_id: str, version: str = DEVICE_API_VERSION) -> str:
    return f"/{id_scope}/registrations/{quote(registration_id, safe='')}?api-version={version}"
