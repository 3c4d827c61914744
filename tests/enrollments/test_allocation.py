import ipaddress
import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrollments import allocation
from enrollments.allocation import (
    AllocationError,
    ClientLocation,
    CustomAllocationUnavailable,
    HubCandidate,
    InvalidClientLocationsError,
    candidate_hubs,
    choose_hub,
    client_location,
    parse_client_locations,
    weighted_hub,
)
from enrollments.choices import AllocationPolicy
from enrollments.exceptions import DomainError
from tests.hypothesis_profiles import scaled_examples

A = HubCandidate("hub-a.azure-devices.net")
B = HubCandidate("hub-b.azure-devices.net", allocation_weight=3)
C = HubCandidate("hub-c.azure-devices.net")
IDS = [f"device-{n:05d}" for n in range(10_000)]

registration_ids = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-", min_size=1, max_size=40
)
hosts = st.integers(0, 10_000).map(lambda n: f"hub-{n}.azure-devices.net")
hub_lists = st.lists(
    st.builds(HubCandidate, hosts, st.integers(1, 1000)), min_size=1, max_size=8, unique_by=lambda h: h.host_name
)


def test_policy_names_are_the_choices_wire_values():
    assert set(allocation.POLICIES) == set(AllocationPolicy.values)


# candidate_hubs


def test_candidates_are_the_enrollment_hubs_when_it_names_any():
    assert candidate_hubs(enrollment_hubs=[C, A], linked_hubs=[A, B, C]) == [A, C]


def test_candidates_are_all_linked_hubs_when_the_enrollment_names_none():
    assert candidate_hubs(enrollment_hubs=[], linked_hubs=[C, B, A]) == [A, B, C]


def test_hubs_with_apply_allocation_policy_off_are_not_candidates():
    off = HubCandidate("hub-off.azure-devices.net", apply_allocation_policy=False)
    assert candidate_hubs(enrollment_hubs=[], linked_hubs=[A, off]) == [A]
    assert candidate_hubs(enrollment_hubs=[off, B], linked_hubs=[A, B, off]) == [B]
    assert candidate_hubs(enrollment_hubs=[off], linked_hubs=[A, off]) == []


def test_static_keeps_the_enrollment_hub_even_with_apply_allocation_policy_off():
    off = HubCandidate("hub-off.azure-devices.net", apply_allocation_policy=False)
    assert candidate_hubs(enrollment_hubs=[off], linked_hubs=[A, off], policy="static") == [off]
    # With no hub on the enrollment there is nothing named outright: the linked hubs are filtered.
    assert candidate_hubs(enrollment_hubs=[], linked_hubs=[A, off], policy="static") == [A]


def test_candidates_are_unique_ignoring_case_and_sorted():
    upper = HubCandidate("HUB-A.azure-devices.net")
    result = candidate_hubs(enrollment_hubs=[], linked_hubs=[C, upper, A])
    assert [h.host_name.lower() for h in result] == ["hub-a.azure-devices.net", "hub-c.azure-devices.net"]


# weighted_hub


def test_weights_1_to_3_split_10000_ids_within_2_points():
    counts = Counter(weighted_hub(rid, [A, B]).host_name for rid in IDS)
    share_b = counts[B.host_name] / len(IDS)
    assert abs(share_b - 0.75) <= 0.02, counts


def test_equal_weights_split_evenly():
    counts = Counter(weighted_hub(rid, [A, HubCandidate(B.host_name), C]).host_name for rid in IDS)
    for hub in (A, B, C):
        assert abs(counts[hub.host_name] / len(IDS) - 1 / 3) <= 0.02, counts


def test_linking_a_third_hub_moves_only_devices_to_it():
    before = {rid: weighted_hub(rid, [A, B]).host_name for rid in IDS}
    after = {rid: weighted_hub(rid, [A, B, C]).host_name for rid in IDS}
    moved = [rid for rid in IDS if before[rid] != after[rid]]
    assert moved, "the new hub must receive devices"
    assert all(after[rid] == C.host_name for rid in moved)
    # C's share is 1 / (1 + 3 + 1) = 20 %.
    assert abs(len(moved) / len(IDS) - 0.20) <= 0.02


def test_unlinking_a_hub_moves_only_its_devices():
    before = {rid: weighted_hub(rid, [A, B, C]).host_name for rid in IDS}
    after = {rid: weighted_hub(rid, [A, B]).host_name for rid in IDS}
    assert all(before[rid] == after[rid] for rid in IDS if before[rid] != C.host_name)


def test_raising_a_weight_moves_devices_only_to_that_hub():
    before = {rid: weighted_hub(rid, [A, B, C]).host_name for rid in IDS}
    heavier_c = HubCandidate(C.host_name, allocation_weight=4)
    after = {rid: weighted_hub(rid, [A, B, heavier_c]).host_name for rid in IDS}
    assert all(after[rid] == C.host_name for rid in IDS if before[rid] != after[rid])


def test_the_hash_is_stable_across_releases():
    # Changing the hash would move devices between hubs on their next registration: pinned.
    hubs = [A, B, C]
    chosen = [weighted_hub(f"dev-{n}", hubs).host_name[:5] for n in range(6)]
    assert chosen == ["hub-b", "hub-b", "hub-a", "hub-c", "hub-b", "hub-b"]
    assert allocation.hub_score("device-00000", A) == pytest.approx(1.016334679204388, rel=1e-12)


def test_registration_id_and_host_name_case_do_not_matter():
    upper = [HubCandidate(h.host_name.upper(), h.allocation_weight) for h in (A, B, C)]
    for rid in IDS[:500]:
        assert weighted_hub(rid.upper(), upper).host_name.lower() == weighted_hub(rid, [A, B, C]).host_name


def test_weighted_hub_needs_a_candidate():
    with pytest.raises(ValueError, match="at least one"):
        weighted_hub("dev", [])


@settings(max_examples=scaled_examples(300))
@given(registration_ids, hub_lists, st.randoms(use_true_random=False))
def test_weighted_hub_ignores_candidate_order(rid, hubs, rnd):
    shuffled = list(hubs)
    rnd.shuffle(shuffled)
    chosen = weighted_hub(rid, hubs)
    assert chosen in hubs
    assert weighted_hub(rid, shuffled) == chosen


@settings(max_examples=scaled_examples(300))
@given(registration_ids, hub_lists, st.builds(HubCandidate, st.just("zz-new.azure-devices.net"), st.integers(1, 1000)))
def test_adding_a_hub_moves_a_device_only_to_it(rid, hubs, new):
    before = weighted_hub(rid, hubs)
    after = weighted_hub(rid, [*hubs, new])
    assert after in (before, new)


@pytest.mark.parametrize("weight", [0, 1001, -1, 1.5, True, None, "3"])
def test_allocation_weight_outside_1_to_1000_is_refused(weight):
    with pytest.raises(AllocationError, match="1 to 1000"):
        HubCandidate("hub.azure-devices.net", allocation_weight=weight)


def test_weights_at_the_bounds_are_accepted():
    assert HubCandidate("h", allocation_weight=1).allocation_weight == 1
    assert HubCandidate("h", allocation_weight=1000).allocation_weight == 1000


# DPS_CLIENT_LOCATIONS


def test_client_locations_parse_the_documented_form():
    assert parse_client_locations("10.1.0.0/16=westeurope,192.168.0.0/24=eastus") == (
        ClientLocation(ipaddress.ip_network("10.1.0.0/16"), "westeurope"),
        ClientLocation(ipaddress.ip_network("192.168.0.0/24"), "eastus"),
    )


def test_client_locations_take_blanks_ipv6_and_bare_addresses():
    parsed = parse_client_locations(" 10.1.0.0/16 = westeurope , ,2001:db8::/32=West US 2,10.9.9.9=lab-1 ,")
    assert [(str(e.network), e.location) for e in parsed] == [
        ("10.1.0.0/16", "westeurope"),
        ("2001:db8::/32", "West US 2"),
        ("10.9.9.9/32", "lab-1"),
    ]


def test_client_locations_may_be_one_a_line():
    assert parse_client_locations("10.1.0.0/16=westeurope\n192.168.0.0/24=eastus\n") == parse_client_locations(
        "10.1.0.0/16=westeurope,192.168.0.0/24=eastus"
    )


@pytest.mark.parametrize("value", ["", "  ", ",", None])
def test_empty_client_locations_mean_no_map(value):
    assert parse_client_locations(value) == ()


@pytest.mark.parametrize(
    "value, message",
    [
        ("10.1.0.0/16", "“10.1.0.0/16” is not network=location"),
        ("10.1.0.0/16=", "is not network=location"),
        ("=westeurope", "is not network=location"),
        ("10.1.0.0/16:westeurope", "is not network=location"),
        ("10.300.0.0/16=westeurope", "“10.300.0.0/16” is not an IP address or network"),
        ("example.com=westeurope", "is not an IP address or network"),
        ("10.1.2.0/16=westeurope", "has host bits set; write the network itself, 10.1.0.0/16"),
        ("10.1.0.0/16=west;europe", "“west;europe” (for 10.1.0.0/16) is not a location name"),
        ("10.1.0.0/16=-west", "is not a location name"),
        ("10.1.0.0/16=westeurope,10.1.0.0/16=eastus", "10.1.0.0/16 is listed twice"),
    ],
)
def test_bad_client_locations_say_what_is_wrong(value, message):
    with pytest.raises(InvalidClientLocationsError, match=re.escape(message)) as caught:
        parse_client_locations(value)
    assert str(caught.value).startswith("DPS_CLIENT_LOCATIONS: ")
    assert isinstance(caught.value, DomainError)


@settings(max_examples=scaled_examples(300))
@given(st.text(max_size=60))
def test_client_locations_parse_or_refuse_with_a_domain_error(value):
    try:
        parsed = parse_client_locations(value)
    except InvalidClientLocationsError:
        return
    assert all(isinstance(e, ClientLocation) for e in parsed)


@settings(max_examples=scaled_examples(300))
@given(st.lists(st.tuples(st.ip_addresses(), st.integers(0, 128)), min_size=1, max_size=5), st.ip_addresses())
def test_most_specific_network_wins(networks, address):
    entries = []
    for n, (base, prefix) in enumerate(networks):
        network = ipaddress.ip_network(f"{base}/{min(prefix, base.max_prefixlen)}", strict=False)
        if all(e.network != network for e in entries):
            entries.append(ClientLocation(network, f"loc{n}"))
    if getattr(address, "ipv4_mapped", None) is not None:
        address_in = address.ipv4_mapped  # ::ffff:10.1.2.3 is the IPv4 client 10.1.2.3
    else:
        address_in = address
    holding = [e for e in entries if e.network.version == address_in.version and address_in in e.network]
    expected = max(holding, key=lambda e: e.network.prefixlen).location if holding else None
    assert client_location(str(address), entries) == expected


def test_client_location_picks_the_most_specific_network():
    locations = parse_client_locations("10.0.0.0/8=eastus,10.1.0.0/16=westeurope,10.1.2.0/24=northeurope")
    assert client_location("10.1.2.3", locations) == "northeurope"
    assert client_location("10.1.3.3", locations) == "westeurope"
    assert client_location("10.2.0.1", locations) == "eastus"
    assert client_location("192.168.0.1", locations) is None


def test_client_location_reads_ipv6_and_ipv4_mapped_addresses():
    locations = parse_client_locations("10.1.0.0/16=westeurope,2001:db8::/32=eastus")
    assert client_location("::ffff:10.1.0.5", locations) == "westeurope"
    assert client_location("[2001:db8::1]", locations) == "eastus"
    assert client_location("2001:db9::1", locations) is None


@pytest.mark.parametrize("address", ["", "not-an-ip", "10.1.0.0/16", "10.1.0.5:443", None])
def test_client_location_of_a_non_address_is_unknown(address):
    assert client_location(address, parse_client_locations("0.0.0.0/0=westeurope")) is None


# choose_hub


def test_no_candidate_means_no_hub():
    for policy in ("hashed", "geoLatency", "static"):
        assert choose_hub(policy=policy, registration_id="dev", candidates=[]) is None


def test_hashed_is_the_weighted_hash():
    for rid in IDS[:200]:
        assert choose_hub(policy="hashed", registration_id=rid, candidates=[A, B, C]) == weighted_hub(rid, [A, B, C])


def test_static_is_the_single_hub():
    assert choose_hub(policy="static", registration_id="dev", candidates=[B]) == B


def test_static_with_several_hubs_is_refused():
    with pytest.raises(AllocationError, match="select exactly one IoT hub") as caught:
        choose_hub(policy="static", registration_id="dev", candidates=[B, A])
    assert "2 hubs are candidates (hub-a.azure-devices.net, hub-b.azure-devices.net)" in str(caught.value)


def test_custom_is_not_available_yet():
    with pytest.raises(CustomAllocationUnavailable, match="not available yet"):
        choose_hub(policy="custom", registration_id="dev", candidates=[A])
    with pytest.raises(CustomAllocationUnavailable):
        choose_hub(policy="custom", registration_id="dev", candidates=[])
    assert issubclass(CustomAllocationUnavailable, DomainError)


@pytest.mark.parametrize("policy", ["", "Hashed", "geolatency", None, "roundRobin"])
def test_unknown_policy_is_refused(policy):
    with pytest.raises(AllocationError, match="is not an allocation policy"):
        choose_hub(policy=policy, registration_id="dev", candidates=[A])


WEST = HubCandidate("hub-west.azure-devices.net", location="westeurope")
EAST = HubCandidate("hub-east.azure-devices.net", location="eastus", allocation_weight=1000)
WEST2 = HubCandidate("hub-west2.azure-devices.net", location="West Europe")
NOWHERE = HubCandidate("hub-nowhere.azure-devices.net")


def test_lowest_latency_by_client_network():
    locations = parse_client_locations("10.1.0.0/16=westeurope,192.168.0.0/24=eastus")
    for rid in IDS[:200]:
        west = choose_hub(
            policy="geoLatency",
            registration_id=rid,
            candidates=[EAST, WEST, NOWHERE],
            client_location=client_location("10.1.4.2", locations),
        )
        east = choose_hub(
            policy="geoLatency",
            registration_id=rid,
            candidates=[EAST, WEST, NOWHERE],
            client_location=client_location("192.168.0.9", locations),
        )
        assert (west, east) == (WEST, EAST)


def test_lowest_latency_matches_location_names_loosely():
    assert choose_hub(policy="geoLatency", registration_id="d", candidates=[EAST, WEST2], client_location="westeurope")
    for spelling in ("westeurope", "West Europe", "WESTEUROPE", "west-europe"):
        assert choose_hub(
            policy="geoLatency", registration_id="d", candidates=[EAST, WEST2], client_location=spelling
        ) == (WEST2)


@pytest.mark.parametrize("location", [None, "", "japaneast"])
def test_lowest_latency_with_unknown_location_is_the_weighted_hash(location):
    for rid in IDS[:200]:
        assert choose_hub(
            policy="geoLatency", registration_id=rid, candidates=[EAST, WEST, NOWHERE], client_location=location
        ) == weighted_hub(rid, [EAST, WEST, NOWHERE])


def test_lowest_latency_ties_are_the_weighted_hash_among_the_tied():
    heavy_west2 = HubCandidate(WEST2.host_name, allocation_weight=3, location=WEST2.location)
    candidates = [EAST, WEST, heavy_west2]
    chosen = Counter(
        choose_hub(policy="geoLatency", registration_id=rid, candidates=candidates, client_location="westeurope")
        for rid in IDS
    )
    assert set(chosen) == {WEST, heavy_west2}
    assert abs(chosen[heavy_west2] / len(IDS) - 0.75) <= 0.02
    for rid in IDS[:200]:
        assert choose_hub(
            policy="geoLatency", registration_id=rid, candidates=candidates, client_location="westeurope"
        ) == weighted_hub(rid, [WEST, heavy_west2])


def test_client_location_is_ignored_by_other_policies():
    for rid in IDS[:200]:
        assert choose_hub(
            policy="hashed", registration_id=rid, candidates=[EAST, WEST], client_location="westeurope"
        ) == weighted_hub(rid, [EAST, WEST])


def test_equal_scores_go_to_the_smaller_host_name_whatever_the_order():
    lower, upper = HubCandidate("hub-a.azure-devices.net"), HubCandidate("HUB-A.azure-devices.net")
    for rid in IDS[:50]:
        assert weighted_hub(rid, [lower, upper]) is upper
        assert weighted_hub(rid, [upper, lower]) is upper
