from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrollments import reprovisioning
from enrollments.choices import REPROVISION_FLAGS, RegistrationSubstatus, ReprovisionPolicy
from enrollments.reprovisioning import MIGRATE, NEVER, RESET, Decision, Reprovision, decide
from tests.hypothesis_profiles import scaled_examples

OLD = "hub-old.azure-devices.net"
NEW = "hub-new.azure-devices.net"


def test_substatus_names_are_the_choices_wire_values():
    assert set(reprovisioning.SUBSTATUSES) == set(RegistrationSubstatus.values)


def test_named_policies_are_the_portal_flags():
    for name, flags in {"MIGRATE": MIGRATE, "RESET": RESET, "NEVER": NEVER}.items():
        portal = getattr(ReprovisionPolicy, name)
        assert (flags.update_hub_assignment, flags.migrate_device_data) == REPROVISION_FLAGS[portal]


# The reprovision matrix: 3 policies × hub changed or not (dps-reference §5.3).
MATRIX = [
    # policy, allocated hub, expected decision
    (MIGRATE, OLD, Decision(hub=OLD, substatus="initialAssignment", twin="keep", moved=False)),
    (MIGRATE, NEW, Decision(hub=NEW, substatus="deviceDataMigrated", twin="keep", moved=True)),
    (RESET, OLD, Decision(hub=OLD, substatus="deviceDataReset", twin="initial", moved=False)),
    (RESET, NEW, Decision(hub=NEW, substatus="deviceDataReset", twin="initial", moved=True)),
    (NEVER, OLD, Decision(hub=OLD, substatus="initialAssignment", twin="keep", moved=False)),
    (NEVER, NEW, Decision(hub=OLD, substatus="initialAssignment", twin="keep", moved=False)),
]


@pytest.mark.parametrize("policy, allocated, expected", MATRIX)
def test_reprovision_matrix(policy, allocated, expected):
    assert decide(policy=policy, previous_hub=OLD, allocated_hub=allocated) == expected


@pytest.mark.parametrize("policy", [MIGRATE, RESET, NEVER, Reprovision(None, None)])
@pytest.mark.parametrize("previous", [None, ""])
def test_first_registration_is_the_initial_assignment(policy, previous):
    assert decide(policy=policy, previous_hub=previous, allocated_hub=NEW) == Decision(
        hub=NEW, substatus="initialAssignment", twin="initial", moved=False
    )


def test_a_record_substatus_is_kept_when_nothing_moves():
    for policy in (MIGRATE, NEVER):
        decision = decide(policy=policy, previous_hub=OLD, allocated_hub=OLD, previous_substatus="deviceDataMigrated")
        assert decision.substatus == "deviceDataMigrated"
    never = decide(policy=NEVER, previous_hub=OLD, allocated_hub=NEW, previous_substatus="deviceDataReset")
    assert (never.hub, never.substatus) == (OLD, "deviceDataReset")
    # An empty or unknown previous substatus (e.g. a failed record) reads as the initial assignment.
    for previous in ("", "bogus", None):
        assert decide(policy=MIGRATE, previous_hub=OLD, allocated_hub=OLD, previous_substatus=previous).substatus == (
            "initialAssignment"
        )


def test_moving_back_to_the_initial_hub_is_reprovisioned_to_initial_assignment():
    for policy, twin in ((MIGRATE, "keep"), (RESET, "initial")):
        decision = decide(
            policy=policy,
            previous_hub=NEW,
            allocated_hub=OLD,
            previous_substatus="deviceDataMigrated",
            initial_hub=OLD.upper(),
        )
        assert decision == Decision(hub=OLD, substatus="reprovisionedToInitialAssignment", twin=twin, moved=True)
    # Staying on the initial hub is no move back.
    assert decide(policy=RESET, previous_hub=OLD, allocated_hub=OLD, initial_hub=OLD).substatus == "deviceDataReset"
    # Never re-provision does not move the device back.
    assert decide(policy=NEVER, previous_hub=NEW, allocated_hub=OLD, initial_hub=OLD).hub == NEW


def test_hub_names_compare_ignoring_case():
    assert decide(policy=MIGRATE, previous_hub=OLD.upper(), allocated_hub=OLD) == Decision(
        hub=OLD.upper(), substatus="initialAssignment", twin="keep", moved=False
    )


def test_a_policy_left_out_takes_dps_defaults():
    assert decide(policy=Reprovision(None, None), previous_hub=OLD, allocated_hub=NEW) == decide(
        policy=MIGRATE, previous_hub=OLD, allocated_hub=NEW
    )
    assert decide(policy=Reprovision(True, None), previous_hub=OLD, allocated_hub=NEW).substatus == "deviceDataMigrated"
    assert decide(policy=Reprovision(None, False), previous_hub=OLD, allocated_hub=NEW).substatus == "deviceDataReset"
    assert decide(policy=Reprovision(False, None), previous_hub=OLD, allocated_hub=NEW).hub == OLD
    assert decide(policy=Reprovision(False, True), previous_hub=OLD, allocated_hub=NEW).hub == OLD


def test_any_object_with_the_two_flags_is_a_policy():
    @dataclass
    class Enrollment:  # what an enrollment model or API object carries
        update_hub_assignment: bool | None
        migrate_device_data: bool | None

    assert decide(policy=Enrollment(True, False), previous_hub=OLD, allocated_hub=NEW).twin == "initial"


hubs = st.sampled_from([OLD, NEW, OLD.upper(), "hub-3.azure-devices.net"])
flags = st.builds(Reprovision, st.sampled_from([True, False, None]), st.sampled_from([True, False, None]))


@settings(max_examples=scaled_examples(500))
@given(
    flags,
    st.one_of(st.none(), hubs),
    hubs,
    st.sampled_from([None, "", *RegistrationSubstatus.values]),
    st.one_of(st.none(), hubs),
)
def test_every_decision_is_well_formed(policy, previous, allocated, previous_substatus, initial):
    decision = decide(
        policy=policy,
        previous_hub=previous,
        allocated_hub=allocated,
        previous_substatus=previous_substatus,
        initial_hub=initial,
    )
    assert decision.substatus in RegistrationSubstatus.values
    assert decision.twin in ("initial", "keep")
    assert decision.hub in (previous, allocated)
    assert decision.moved == bool(previous and decision.hub.lower() != previous.lower())
    if policy.update_hub_assignment is False and previous:
        assert decision.hub == previous and decision.twin == "keep" and not decision.moved
    if not previous:
        assert decision.substatus == "initialAssignment" and decision.twin == "initial"
