"""The flow controller (pure): worst level wins, expiry, the backlog guard and bounded memory."""

from __future__ import annotations

from mdp.contracts.telemetry import FeedbackEvent
from mdp.pipeline.feedback import MAX_COORDINATORS, FlowController


def event(level: str, coordinator: str = "a") -> FeedbackEvent:
    size = {"ok": 0, "soft": 80, "hard": 100}[level]
    return FeedbackEvent(
        coordinator_id=coordinator, queue_size=size, capacity=100, level=level,
        utilization=size / 100, source="mdp-store", ts=1.0,
    )  # fmt: skip


def test_worst_unexpired_level_wins() -> None:
    flow = FlowController(ttl_s=10, soft_delay_s=0.5)
    assert flow.level(0) == "ok"
    flow.observe(event("soft", "a"), 0)
    flow.observe(event("hard", "b"), 1)
    assert flow.level(2) == "hard"
    flow.observe(event("ok", "b"), 3)
    assert flow.level(4) == "soft"
    assert flow.batch_size(100, 4) == 50
    assert flow.delay_s(4) == 0.5
    assert flow.level(10.5) == "ok"  # a's soft (seen at 0) expired after 10 s
    assert flow.batch_size(100, 10.5) == 100
    assert flow.delay_s(10.5) == 0.0
    assert flow.coordinators(10.5) == {"b": "ok"}


def test_backlog_guard_is_independent_of_feedback_and_estimates_growth() -> None:
    flow = FlowController(ttl_s=10, soft_delay_s=0, max_backlog=100)
    flow.observe_backlog(None)
    assert flow.level(0) == "ok"
    flow.observe_backlog(79)
    assert flow.level(0) == "ok"
    flow.note_forwarded(1)
    assert flow.level(0) == "soft"  # 80 % of the cap
    flow.note_forwarded(20)
    assert flow.level(0) == "hard"
    flow.observe(event("ok"), 0)
    assert flow.level(0) == "hard"  # a store that says ok does not override a growing backlog
    flow.observe_backlog(10)
    assert flow.level(0) == "ok"
    assert FlowController(ttl_s=1, soft_delay_s=0).level(0) == "ok"


def test_memory_is_bounded() -> None:
    flow = FlowController(ttl_s=1000, soft_delay_s=0)
    for index in range(MAX_COORDINATORS + 50):
        flow.observe(event("ok", f"c{index}"), float(index))
    assert len(flow.coordinators(MAX_COORDINATORS + 50)) == MAX_COORDINATORS
    flow.observe(event("hard", "late"), 2000.0)
    assert flow.level(2000.0) == "hard"
