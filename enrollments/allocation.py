"""Allocation: which linked IoT hub a registering device is assigned to (dps-reference §5.1).

Pure functions, same inputs → same hub, so any worker or process answers alike:

- Candidates (`candidate_hubs`): the enrollment's hubs, else all linked hubs, minus hubs whose
  `Apply allocation policy` is off; sorted by host name.
- `hashed` (Evenly weighted distribution, `weighted_hub`): a weighted rendezvous
  (highest-random-weight) hash of the registration ID over the candidates. Each hub scores
  `-weight / ln(u)`, with `u` in (0, 1) taken from SHA-256 of the lower-cased registration ID and
  host name; the highest score wins. A hub receives `weight / Σ weights` of the devices, and
  linking (or unlinking) one hub moves only the devices that hub gains (or held): every other
  hub's score for a device is unchanged.
- `geoLatency` (Lowest latency): the candidate whose `Location` is the device's location, taken
  from the configured map of client networks to locations (`DPS_CLIENT_LOCATIONS`,
  `parse_client_locations`, `client_location`). A real DPS measures latency; this service, which
  has no regions, takes the operator's map instead. Unknown location, no candidate there, or
  several candidates there (tied) → the weighted hash among the tied ones (or all candidates).
- `static` (Static configuration): the single hub named on the enrollment.
- `custom` (a webhook decides): not available yet, `CustomAllocationUnavailable`.

Policy names are DPS's wire values, those of `enrollments.choices.AllocationPolicy`.
"""

import hashlib
import ipaddress
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .constants import ALLOCATION_WEIGHT_DEFAULT, ALLOCATION_WEIGHT_MAX, ALLOCATION_WEIGHT_MIN
from .exceptions import DomainError

# The wire values of enrollments.choices.AllocationPolicy (which this layer may not import).
HASHED = "hashed"
GEO_LATENCY = "geoLatency"
STATIC = "static"
CUSTOM = "custom"
POLICIES = (HASHED, GEO_LATENCY, STATIC, CUSTOM)

CUSTOM_UNAVAILABLE = (
    "Custom allocation (a webhook) is not available yet on this service, so the device was not assigned. "
    "Choose Evenly weighted distribution, Lowest latency or Static configuration on the enrollment."
)
UNKNOWN_POLICY = "“{policy}” is not an allocation policy: use one of hashed, geoLatency, static or custom."
STATIC_NEEDS_ONE = (
    "Static configuration assigns every device to one IoT hub, but {n} hubs are candidates ({hosts}): "
    "select exactly one IoT hub on the enrollment."
)
BAD_WEIGHT = "The allocation weight of {host} is {weight!r}; it must be a whole number from {min} to {max}."
LOCATIONS_SETTING = "DPS_CLIENT_LOCATIONS"
LOCATIONS_FORMAT = "e.g. 10.1.0.0/16=westeurope,192.168.0.0/24=eastus"
BAD_LOCATION_ENTRY = "{setting}: “{entry}” is not network=location ({example})."
BAD_LOCATION_NETWORK = "{setting}: “{network}” is not an IP address or network ({example})."
LOCATION_HOST_BITS = (
    "{setting}: “{network}” has host bits set; write the network itself, {suggestion}, so the entry means what it says."
)
BAD_LOCATION_NAME = (
    "{setting}: “{location}” (for {network}) is not a location name: use letters, digits, spaces and hyphens, "
    "e.g. westeurope."
)
DUPLICATE_LOCATION_NETWORK = "{setting}: {network} is listed twice; list each network once."

_LOCATION_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 _-]*[A-Za-z0-9])?")
_TWO_53 = float(1 << 53)


class CustomAllocationUnavailable(DomainError):
    """The enrollment's allocation policy is `custom`, which this service cannot run yet."""

    def __init__(self, message: str = CUSTOM_UNAVAILABLE):
        super().__init__(message)


class AllocationError(DomainError):
    """The inputs do not allow an allocation: an unknown policy, or static with several hubs."""


class InvalidClientLocationsError(DomainError):
    """The `DPS_CLIENT_LOCATIONS` setting is malformed; the message names the entry and the fix."""


@dataclass(frozen=True)
class HubCandidate:
    """A linked IoT hub as allocation sees it (dps-reference §5.1 linked hub fields).

    `allocation_weight`: 1–1000 (DPS's default 1); `location`: an Azure-style region name such as
    `westeurope` ("" when unknown); `apply_allocation_policy` False keeps the hub selectable on an
    enrollment but out of allocation. Raises AllocationError for a weight out of range.
    """

    host_name: str
    allocation_weight: int = ALLOCATION_WEIGHT_DEFAULT
    location: str = ""
    apply_allocation_policy: bool = True

    def __post_init__(self):
        weight = self.allocation_weight
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int)
            or not ALLOCATION_WEIGHT_MIN <= weight <= ALLOCATION_WEIGHT_MAX
        ):
            raise AllocationError(
                BAD_WEIGHT.format(
                    host=self.host_name, weight=weight, min=ALLOCATION_WEIGHT_MIN, max=ALLOCATION_WEIGHT_MAX
                )
            )


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ClientLocation:
    """One entry of `DPS_CLIENT_LOCATIONS`: devices connecting from `network` are in `location`."""

    network: Network
    location: str


def _sort_key(hub: HubCandidate) -> tuple[str, str]:
    return hub.host_name.lower(), hub.host_name


def candidate_hubs(
    *, enrollment_hubs: Sequence[HubCandidate], linked_hubs: Sequence[HubCandidate], policy: str | None = None
) -> list[HubCandidate]:
    """The hubs a device of an enrollment may be allocated to (dps-reference §5.1, resolution order 2).

    The enrollment's hubs when it names any, else all linked hubs; minus those with
    `apply_allocation_policy` off — except under `static`, where the enrollment names its hub
    outright and no allocation happens. Host names compare ignoring case (one candidate per hub);
    the result is sorted by host name, so the order never depends on the caller's.
    """
    hubs = enrollment_hubs if enrollment_hubs else linked_hubs
    keep_all = policy == STATIC and bool(enrollment_hubs)
    unique: dict[str, HubCandidate] = {}
    for hub in sorted(hubs, key=_sort_key):
        if keep_all or hub.apply_allocation_policy:
            unique.setdefault(hub.host_name.lower(), hub)
    return list(unique.values())


def _unit_interval(registration_id: bytes, host_name: str) -> float:
    """A uniform value in (0, 1) from SHA-256 of `lower(registration ID) NUL lower(host name)` (UTF-8)."""
    digest = hashlib.sha256(registration_id + host_name.lower().encode()).digest()
    # 53 bits: exactly representable; +0.5 keeps u away from 0 and 1 (ln(u) < 0, finite).
    return ((int.from_bytes(digest[:8], "big") >> 11) + 0.5) / _TWO_53


def _hash_prefix(registration_id: str) -> bytes:
    return registration_id.lower().encode() + b"\x00"


def hub_score(registration_id: str, hub: HubCandidate) -> float:
    """The weighted rendezvous score `-weight / ln(u)` of one hub for one registration ID (> 0)."""
    return -hub.allocation_weight / math.log(_unit_interval(_hash_prefix(registration_id), hub.host_name))


def weighted_hub(registration_id: str, candidates: Sequence[HubCandidate]) -> HubCandidate:
    """The candidate with the highest weighted rendezvous score for `registration_id`.

    Registration IDs and host names compare ignoring case (DPS treats both so), so `Dev-1` and
    `dev-1` land on the same hub. Ties (practically impossible) go to the smaller host name, so
    the candidates' order never matters. Raises ValueError when `candidates` is empty.
    Cost: one SHA-256 and one logarithm per candidate.
    """
    if not candidates:
        raise ValueError("weighted_hub needs at least one candidate hub.")
    prefix = _hash_prefix(registration_id)
    best, best_score = None, -1.0
    for hub in candidates:
        score = -hub.allocation_weight / math.log(_unit_interval(prefix, hub.host_name))
        if score > best_score or (score == best_score and _sort_key(hub) < _sort_key(best)):
            best, best_score = hub, score
    return best


def _location_key(location: str) -> str:
    """`West Europe`, `westeurope` and `WestEurope` name one location."""
    return "".join(location.split()).replace("-", "").replace("_", "").lower()


def parse_client_locations(value: str) -> tuple[ClientLocation, ...]:
    """Parse `DPS_CLIENT_LOCATIONS`: `network=location` entries separated by commas (or new lines).

    `10.1.0.0/16=westeurope,192.168.0.0/24=eastus` → two entries; IPv4 and IPv6 networks, a bare
    address means that address alone (/32, /128); blanks around entries are ignored and an empty
    value means no map. Raises InvalidClientLocationsError naming the bad entry: not
    `network=location`, not a network, host bits set (`10.1.2.0/16`: the fix, `10.1.0.0/16`, is
    named rather than silently applied), a bad location name, or a network listed twice.
    """
    entries = []
    seen: set[Network] = set()
    for raw in re.split(r"[,\n]", value or ""):
        entry = raw.strip()
        if not entry:
            continue
        network_text, sep, location = (part.strip() for part in entry.partition("="))
        if not sep or not network_text or not location:
            raise InvalidClientLocationsError(
                BAD_LOCATION_ENTRY.format(setting=LOCATIONS_SETTING, entry=entry, example=LOCATIONS_FORMAT)
            )
        try:
            network = ipaddress.ip_network(network_text, strict=True)
        except ValueError as exc:
            try:
                suggestion = str(ipaddress.ip_network(network_text, strict=False))
            except ValueError:
                raise InvalidClientLocationsError(
                    BAD_LOCATION_NETWORK.format(
                        setting=LOCATIONS_SETTING, network=network_text, example=LOCATIONS_FORMAT
                    )
                ) from exc
            raise InvalidClientLocationsError(
                LOCATION_HOST_BITS.format(setting=LOCATIONS_SETTING, network=network_text, suggestion=suggestion)
            ) from exc
        if not _LOCATION_NAME.fullmatch(location):
            raise InvalidClientLocationsError(
                BAD_LOCATION_NAME.format(setting=LOCATIONS_SETTING, location=location, network=network_text)
            )
        if network in seen:
            raise InvalidClientLocationsError(
                DUPLICATE_LOCATION_NETWORK.format(setting=LOCATIONS_SETTING, network=network)
            )
        seen.add(network)
        entries.append(ClientLocation(network=network, location=location))
    return tuple(entries)


def client_location(address: str, locations: Sequence[ClientLocation]) -> str | None:
    """The location of a client address under `locations`; the most specific network wins.

    `address` is an IPv4 or IPv6 address (brackets and an IPv4-mapped IPv6 form such as
    `::ffff:10.1.2.3` are understood). None when the address is not an IP address or no network
    holds it.
    """
    try:
        ip = ipaddress.ip_address((address or "").strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    best: ClientLocation | None = None
    for entry in locations:
        if entry.network.version == ip.version and ip in entry.network:
            if best is None or entry.network.prefixlen > best.network.prefixlen:
                best = entry
    return best.location if best else None


def choose_hub(
    *,
    policy: str,
    registration_id: str,
    candidates: Sequence[HubCandidate],
    client_location: str | None = None,
) -> HubCandidate | None:
    """The hub a device is assigned to under an allocation policy (dps-reference §5.1).

    `policy`: a value of `enrollments.choices.AllocationPolicy` (the enrollment's, else the
    service default); `candidates`: from `candidate_hubs`; `client_location`: the device's
    location from `client_location()` (used by `geoLatency` only). Returns None when there is no
    candidate. Raises CustomAllocationUnavailable for `custom`, AllocationError for an unknown
    policy or for `static` with more than one candidate.
    """
    if policy == CUSTOM:
        raise CustomAllocationUnavailable()
    if policy not in POLICIES:
        raise AllocationError(UNKNOWN_POLICY.format(policy=policy))
    if not candidates:
        return None
    if policy == STATIC:
        if len(candidates) > 1:
            hosts = ", ".join(hub.host_name for hub in sorted(candidates, key=_sort_key))
            raise AllocationError(STATIC_NEEDS_ONE.format(n=len(candidates), hosts=hosts))
        return candidates[0]
    if policy == GEO_LATENCY and client_location:
        wanted = _location_key(client_location)
        nearby = [hub for hub in candidates if hub.location and _location_key(hub.location) == wanted]
        if nearby:
            return weighted_hub(registration_id, nearby)
    return weighted_hub(registration_id, candidates)
