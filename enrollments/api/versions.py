"""Service (data-plane) api-versions and the enrollment members each one had.

Azure's service still answers every published data-plane version, and older clients send them:
the 2018 Python service client (`azure-iothub-provisioningserviceclient` 1.2.0) sends
`2018-09-01-preview`. Operations and paths are the same in all of them; what differs is which
members an enrollment has (from the generated SDK models of each version):

- `2017-08-31-preview`, `2017-11-15`: attestation, initial twin, legacy `iotHubHostName`, status.
- `2018-04-01`: + `allocationPolicy`, `iotHubs`, `capabilities`.
- `2018-09-01-preview`, `2019-03-31`: + `reprovisionPolicy`, `customAllocationDefinition`.
- `2021-10-01`, `2021-11-01-preview`, `2025-07-01-preview`, `2026-04-01`: + `optionalDeviceInformation`.

Answers leave out members the version did not have; a request that sends one is refused (400)
naming the first version that has it, rather than dropping it silently.
"""

SUPPORTED = (
    "2017-08-31-preview",
    "2017-11-15",
    "2018-04-01",
    "2018-09-01-preview",
    "2019-03-31",
    "2021-10-01",
    "2021-11-01-preview",
    "2025-07-01-preview",
    "2026-04-01",
)

# member → the first version (in SUPPORTED order) that has it
_ADDED = {
    "allocationPolicy": "2018-04-01",
    "iotHubs": "2018-04-01",
    "capabilities": "2018-04-01",
    "reprovisionPolicy": "2018-09-01-preview",
    "customAllocationDefinition": "2018-09-01-preview",
    "optionalDeviceInformation": "2021-10-01",
}

UNSUPPORTED = "Unsupported api-version “{given}”. Supported versions: " + ", ".join(SUPPORTED) + "."
NOT_IN_VERSION = "{member} is not part of api-version {version} (it came with {added}): send a later api-version."


def missing_members(version: str) -> set[str]:
    """Enrollment members that `version` (one of SUPPORTED) did not have."""
    rank = SUPPORTED.index(version)
    return {member for member, added in _ADDED.items() if SUPPORTED.index(added) > rank}


def shape_answer(body: dict, version: str) -> dict:
    """An enrollment answer in the shape of `version`: members it did not have are left out."""
    missing = missing_members(version)
    return {k: v for k, v in body.items() if k not in missing} if missing else body


def request_problem(body: dict, version: str) -> str | None:
    """The 400 message for a request body sending a member `version` did not have, or None."""
    for member in sorted(missing_members(version)):
        if body.get(member) is not None:
            return NOT_IN_VERSION.format(member=member, version=version, added=_ADDED[member])
    return None
