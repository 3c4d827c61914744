"""Reprovisioning: what a registration does to a device that may have been provisioned before
(dps-reference §1.5, §1.6 substatus, §5.3; DOCS concepts-device-reprovision.md).

`decide()` answers, for one register call: which hub the device ends on, the record's substatus,
and which twin the hub gets — the enrollment's initial twin (`"initial"`) or the device's current
data kept (`"keep"`, migrated along when the hub changes).

- First registration (no previous hub), any policy: the allocated hub, `initialAssignment`, initial twin.
- Re-provision and migrate data (true, true): hub unchanged → stays, substatus kept, twin kept;
  hub changed → the allocated hub, `deviceDataMigrated`, the current data moves along (keep).
- Re-provision and reset to initial config (true, false): always `deviceDataReset` with the initial
  twin, on the allocated hub (the device is removed from its current hub, even an unchanged one).
- Never re-provision (false, any): stays on its current hub, substatus kept, twin kept.

Moving back to the hub of the device's first assignment (`initial_hub`) gives substatus
`reprovisionedToInitialAssignment` (§1.6: "re-provisioned back to a hub it was assigned to
before"); the twin still follows the policy. A reprovision policy left out of the enrollment
(both fields None) takes DPS's defaults, true/true; the legacy sticky behaviour of enrollments
without a policy applies only to devices on api-versions up to 2018-04-01, which this service
does not accept.

Substatus values are the wire values of `enrollments.choices.RegistrationSubstatus`.
"""

from dataclasses import dataclass
from typing import Literal, Protocol

# The wire values of enrollments.choices.RegistrationSubstatus (which this layer may not import).
INITIAL_ASSIGNMENT = "initialAssignment"
DEVICE_DATA_MIGRATED = "deviceDataMigrated"
DEVICE_DATA_RESET = "deviceDataReset"
REPROVISIONED_TO_INITIAL_ASSIGNMENT = "reprovisionedToInitialAssignment"
SUBSTATUSES = (INITIAL_ASSIGNMENT, DEVICE_DATA_MIGRATED, DEVICE_DATA_RESET, REPROVISIONED_TO_INITIAL_ASSIGNMENT)

INITIAL_TWIN = "initial"
KEEP_TWIN = "keep"
Twin = Literal["initial", "keep"]


class ReprovisionFlags(Protocol):
    """DPS's ReprovisionPolicy (§1.5): an enrollment (model or API object) or `Reprovision` below.
    None in a field means DPS's default, true."""

    @property
    def update_hub_assignment(self) -> bool | None: ...

    @property
    def migrate_device_data(self) -> bool | None: ...


@dataclass(frozen=True)
class Reprovision:
    """A reprovision policy as DPS's two booleans (§1.5)."""

    update_hub_assignment: bool | None = True
    migrate_device_data: bool | None = True


MIGRATE = Reprovision(update_hub_assignment=True, migrate_device_data=True)
RESET = Reprovision(update_hub_assignment=True, migrate_device_data=False)
NEVER = Reprovision(update_hub_assignment=False, migrate_device_data=False)


@dataclass(frozen=True)
class Decision:
    """The outcome of one registration for the record and the hub.

    `hub`: the host name the device is assigned to; `substatus`: a RegistrationSubstatus value;
    `twin`: `"initial"` (the enrollment's initial twin goes to the hub) or `"keep"` (the device's
    current data stays, or moves with it); `moved`: whether the hub differs from the previous one
    (the device is deleted from the old hub, and the status reports `assigning` while it moves).
    """

    hub: str
    substatus: str
    twin: Twin
    moved: bool = False


def _same_hub(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and a.lower() == b.lower()


def decide(
    *,
    policy: ReprovisionFlags,
    previous_hub: str | None,
    allocated_hub: str,
    previous_substatus: str | None = None,
    initial_hub: str | None = None,
) -> Decision:
    """Hub, substatus and twin for a registration (see the rules in the module docstring).

    `previous_hub`: the hub the device's record holds (None or "" when it was never assigned:
    a first registration); `allocated_hub`: what allocation chose now; `previous_substatus`: the
    record's substatus, kept when nothing moves (default initialAssignment); `initial_hub`: the
    hub of the device's first assignment, if known. Host names compare ignoring case.
    """
    if not previous_hub:
        return Decision(hub=allocated_hub, substatus=INITIAL_ASSIGNMENT, twin=INITIAL_TWIN)
    kept_substatus = previous_substatus if previous_substatus in SUBSTATUSES else INITIAL_ASSIGNMENT
    update = True if policy.update_hub_assignment is None else policy.update_hub_assignment
    migrate = True if policy.migrate_device_data is None else policy.migrate_device_data
    if not update or (migrate and _same_hub(previous_hub, allocated_hub)):
        return Decision(hub=previous_hub, substatus=kept_substatus, twin=KEEP_TWIN)
    moved = not _same_hub(previous_hub, allocated_hub)
    hub = allocated_hub if moved else previous_hub
    twin: Twin = KEEP_TWIN if migrate else INITIAL_TWIN
    if moved and _same_hub(allocated_hub, initial_hub):
        substatus = REPROVISIONED_TO_INITIAL_ASSIGNMENT
    else:
        substatus = DEVICE_DATA_MIGRATED if migrate else DEVICE_DATA_RESET
    return Decision(hub=hub, substatus=substatus, twin=twin, moved=moved)
