"""The drift state machine: drift -> heartbeat -> resolved, redelivery, out-of-order, many repos, bounds."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdp.contracts.telemetry import SchemaDrift, SchemaDriftResolved
from mdp.orchestrator.aggregator import DriftAggregator, DriftKey, Episode, sort_for_display

from .events import FEEDBACK_SCHEMA, change, drift, resolved

KEY = DriftKey("market-data-store", "v1", FEEDBACK_SCHEMA)
NOW = 1_800_000_000.0


def feed(
    agg: DriftAggregator, events: list[SchemaDrift | SchemaDriftResolved], now: float = NOW
) -> list[Episode]:
    closed: list[Episode] = []
    for event in events:
        update = (
            agg.apply_drift(event, now=now)
            if isinstance(event, SchemaDrift)
            else agg.apply_resolved(event, now=now)
        )
        closed.extend(update.closed)
    return closed


def test_first_detection_opens_an_episode_with_its_details() -> None:
    agg = DriftAggregator()
    update = agg.apply_drift(drift(100.0, changes=[change("type-changed", "#/properties/ts")]), now=NOW)
    assert update.applied
    state = agg.get(KEY)
    assert state is not None
    assert (state.active, state.active_since, state.last_detected, state.count, state.episodes) == (
        True,
        100.0,
        100.0,
        1,
        1,
    )
    assert state.classification == "breaking"
    assert [c.kind for c in state.changes] == ["type-changed"]
    assert state.duration_s(160.0) == 60.0


def test_heartbeats_bump_count_and_last_detected_but_never_active_since() -> None:
    agg = DriftAggregator()
    feed(agg, [drift(100.0), drift(400.0), drift(700.0)])
    state = agg.get(KEY)
    assert state is not None
    assert (state.active_since, state.last_detected, state.count, state.episodes) == (100.0, 700.0, 3, 1)


def test_resolution_closes_the_episode_once_with_its_duration() -> None:
    agg = DriftAggregator()
    closed = feed(agg, [drift(100.0), drift(400.0), resolved(1_000.0)])
    assert closed == [Episode(KEY, 100.0, 1_000.0)]
    state = agg.get(KEY)
    assert state is not None
    assert not state.active
    assert state.active_since is None
    assert (state.resolved_at, state.resolutions, state.last_duration_s) == (1_000.0, 1, 900.0)
    assert state.duration_s(5_000.0) == 900.0
    # The details of what drifted stay visible after the resolution.
    assert state.classification == "breaking"
    assert state.changes


def test_redelivered_events_change_nothing() -> None:
    agg = DriftAggregator()
    first = drift(100.0)
    feed(agg, [first, resolved(500.0)])
    before = agg.get(KEY)
    again = agg.apply_drift(first, now=NOW)
    also = agg.apply_resolved(resolved(500.0), now=NOW)
    assert not again.applied
    assert again.reason == "duplicate"
    assert not also.applied
    assert not also.closed
    assert agg.get(KEY) == before


def test_resolution_before_its_drift_arrives_keeps_the_key_resolved() -> None:
    agg = DriftAggregator()
    early = agg.apply_resolved(resolved(500.0), now=NOW)
    assert early.applied
    assert early.closed == ()  # nothing known to close yet, and no drift_started_at
    late = agg.apply_drift(drift(100.0), now=NOW)
    assert late.closed == (Episode(KEY, 100.0, 500.0),)
    state = agg.get(KEY)
    assert state is not None
    assert not state.active
    assert (state.episodes, state.resolutions, state.count) == (1, 1, 1)


def test_resolution_with_drift_started_at_closes_an_episode_never_seen() -> None:
    agg = DriftAggregator()
    update = agg.apply_resolved(resolved(500.0, started=200.0), now=NOW)
    assert update.closed == (Episode(KEY, 200.0, 500.0),)
    state = agg.get(KEY)
    assert state is not None
    assert (state.active, state.episodes, state.resolutions, state.count) == (False, 1, 1, 0)


def test_repeated_resolution_of_a_closed_episode_closes_nothing() -> None:
    agg = DriftAggregator()
    feed(agg, [drift(100.0), resolved(500.0, started=100.0)])
    update = agg.apply_resolved(resolved(600.0, started=100.0), now=NOW)
    assert update.applied
    assert update.closed == ()
    state = agg.get(KEY)
    assert state is not None
    assert (state.resolutions, state.resolved_at) == (1, 600.0)


def test_drift_after_resolution_opens_a_new_episode() -> None:
    agg = DriftAggregator()
    feed(agg, [drift(100.0), resolved(200.0), drift(300.0)])
    state = agg.get(KEY)
    assert state is not None
    assert (state.active, state.active_since, state.episodes, state.resolutions) == (True, 300.0, 2, 1)


def test_a_tie_between_detection_and_resolution_goes_to_the_resolution() -> None:
    for order in ([drift(100.0), resolved(100.0)], [resolved(100.0), drift(100.0)]):
        agg = DriftAggregator()
        feed(agg, order)
        state = agg.get(KEY)
        assert state is not None
        assert not state.active


def test_classification_follows_the_newest_detection_not_the_newest_arrival() -> None:
    agg = DriftAggregator()
    feed(agg, [drift(100.0, classification="unknown", changes=[])])
    feed(agg, [drift(300.0, classification="breaking", changes=[change("required-added", "#/required")])])
    feed(
        agg,
        [
            drift(
                200.0,
                classification="safe",
                changes=[change("property-added", "#/properties/x", breaking=False)],
            )
        ],
    )
    state = agg.get(KEY)
    assert state is not None
    assert state.classification == "breaking"
    assert [c.kind for c in state.changes] == ["required-added"]
    assert (state.count, state.active_since, state.last_detected) == (3, 100.0, 300.0)


def test_repos_of_one_schema_are_separate_keys() -> None:
    agg = DriftAggregator()
    feed(agg, [drift(100.0, repo="store"), drift(150.0, repo="pipeline"), resolved(400.0, repo="store")])
    by_repo = {state.key.repo: state for state in agg.states()}
    assert set(by_repo) == {"pipeline", "store"}
    assert by_repo["pipeline"].active
    assert not by_repo["store"].active
    assert [state.key.repo for state in agg.active()] == ["pipeline"]


def test_tracks_are_separate_keys() -> None:
    agg = DriftAggregator()
    feed(agg, [drift(100.0, track="v1"), drift(100.0, track="v2"), resolved(200.0, track="v2")])
    assert [(s.key.track, s.active) for s in agg.states()] == [("v1", True), ("v2", False)]


def test_future_timestamps_are_clamped_so_a_bad_clock_cannot_pin_a_drift() -> None:
    agg = DriftAggregator(max_future_skew_s=60.0)
    agg.apply_drift(drift(NOW + 10 * 86_400), now=NOW)
    agg.apply_resolved(resolved(NOW + 120.0), now=NOW + 120.0)
    state = agg.get(KEY)
    assert state is not None
    assert not state.active
    assert state.last_duration_s == 60.0  # opened at now + skew, closed two minutes after now


def test_long_heartbeat_histories_are_bounded_and_keep_active_since() -> None:
    agg = DriftAggregator(max_events=8)
    feed(agg, [drift(100.0 + i) for i in range(100)])
    state = agg.get(KEY)
    assert state is not None
    assert (state.active_since, state.last_detected, state.count) == (100.0, 199.0, 100)
    # An event older than the retained history is ignored rather than double counted.
    stale = agg.apply_drift(drift(150.0, local="c" * 64), now=NOW)
    assert not stale.applied
    assert "older" in stale.reason
    assert agg.get(KEY) == state
    closed = feed(agg, [resolved(300.0)])
    assert closed == [Episode(KEY, 100.0, 300.0)]


def test_key_limit_drops_new_keys_and_counts_them() -> None:
    agg = DriftAggregator(max_keys=2)
    feed(agg, [drift(1.0, repo="a"), drift(1.0, repo="b")])
    update = agg.apply_drift(drift(1.0, repo="c"), now=NOW)
    assert not update.applied
    assert "too many" in update.reason
    assert agg.dropped_keys == 1
    assert len(agg) == 2


def test_prune_forgets_old_resolved_keys_and_never_active_ones() -> None:
    agg = DriftAggregator()
    feed(agg, [drift(100.0, repo="old"), resolved(200.0, repo="old"), drift(100.0, repo="open")])
    feed(agg, [drift(5_000.0, repo="recent"), resolved(5_100.0, repo="recent")])
    gone = agg.prune(now=6_000.0, retention_s=1_000.0)
    assert [key.repo for key in gone] == ["old"]
    assert sorted(state.key.repo for state in agg.states()) == ["open", "recent"]


def test_display_order_is_active_longest_first_then_recently_resolved() -> None:
    agg = DriftAggregator()
    feed(agg, [drift(300.0, repo="young"), drift(100.0, repo="old")])
    feed(
        agg,
        [drift(1.0, repo="r1"), resolved(50.0, repo="r1"), drift(1.0, repo="r2"), resolved(80.0, repo="r2")],
    )
    assert [s.key.repo for s in sort_for_display(agg.states())] == ["old", "young", "r2", "r1"]


def test_to_dict_spells_out_the_changes() -> None:
    agg = DriftAggregator()
    agg.apply_drift(drift(100.0, changes=[change("property-removed", "#/properties/reason")]), now=NOW)
    state = agg.get(KEY)
    assert state is not None
    view = state.to_dict(160.0)
    assert view["schema"] == FEEDBACK_SCHEMA
    assert view["duration_s"] == 60.0
    assert view["changes"] == [
        {
            "kind": "property-removed",
            "path": "#/properties/reason",
            "message": "property-removed at #/properties/reason",
            "breaking": True,
            "old": None,
            "new": None,
        }
    ]


def test_max_events_must_leave_room_for_a_timeline() -> None:
    with pytest.raises(ValueError, match="max_events"):
        DriftAggregator(max_events=1)


# -- order independence: the state is a function of the set of events, not of their arrival order ------
_times = st.integers(min_value=0, max_value=40).map(float)
_event = st.one_of(
    st.builds(lambda t, c: ("d", t, c), _times, st.sampled_from(["breaking", "safe", "unknown"])),
    st.builds(lambda t, s: ("r", t, s), _times, st.one_of(st.none(), _times)),
)


def _build(spec: tuple[str, float, object]) -> SchemaDrift | SchemaDriftResolved:
    kind, at, extra = spec
    if kind == "d":
        return drift(at, classification=str(extra), changes=[])
    started = extra if isinstance(extra, float) and extra <= at else None
    return resolved(at, started=started)


def _event_time(event: SchemaDrift | SchemaDriftResolved) -> tuple[float, int, str]:
    """Time order with the aggregator's tie-breaks (detections first, then by content)."""
    if isinstance(event, SchemaDrift):
        return (event.detected_at, 0, str(event.classification))
    started = event.drift_started_at
    return (event.resolved_at, 1, f"{-1.0 if started is None else started:020.3f}")


@settings(max_examples=300, deadline=None)
@given(st.lists(_event, min_size=1, max_size=25), st.randoms(use_true_random=False))
def test_any_arrival_order_gives_the_same_state(
    specs: list[tuple[str, float, object]], rng: random.Random
) -> None:
    events = [_build(spec) for spec in specs]
    in_order = DriftAggregator()
    closed_in_order = feed(in_order, sorted(events, key=_event_time))
    shuffled = list(events)
    rng.shuffle(shuffled)
    shuffled += shuffled[: len(shuffled) // 2]  # and some redeliveries
    any_order = DriftAggregator()
    closed_any_order: list[Episode] = []
    most_resolutions = 0
    for event in shuffled:
        closed_any_order += feed(any_order, [event])
        state = any_order.get(KEY)
        assert state is not None
        most_resolutions = max(most_resolutions, state.resolutions)
    assert any_order.states() == in_order.states()
    # Metrics never count more resolutions than the state ever did (a late event can undo one, not add).
    assert len(closed_any_order) <= most_resolutions
    final = in_order.get(KEY)
    assert final is not None
    assert len(closed_in_order) == final.resolutions
