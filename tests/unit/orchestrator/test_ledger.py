"""The ledger's cumulative buckets agree with a naive sum, whatever the arrival order and pruning."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from mdp.orchestrator.ledger import BUCKET_S, ValidationLedger

from .events import stats

NOW = 1_800_000_000.0
DAY = 86_400.0

_record = st.tuples(
    st.integers(min_value=0, max_value=3 * 24 * 60),  # minutes before NOW
    st.integers(min_value=0, max_value=1000),  # total
    st.sampled_from(["warn", "strict", "off"]),
    st.sampled_from(["md.Bar", "md.Quote"]),
    st.integers(min_value=0, max_value=3),  # instance
)


def naive(
    records: list[tuple[float, int, str, str]], *, now: float, window_s: float
) -> dict[tuple[str, str], int]:
    first = math.ceil((now - window_s) / BUCKET_S)  # minutes that start inside the window
    out: dict[tuple[str, str], int] = {}
    for end, total, mode, schema in records:
        if int(min(end, now) // BUCKET_S) >= first:
            out[(schema, mode)] = out.get((schema, mode), 0) + total
    return out


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_record, max_size=60),
    st.integers(min_value=1, max_value=4 * 24 * 60),
    st.integers(min_value=0, max_value=2 * 24 * 60),
)
def test_window_sums_match_a_naive_sum(
    records: list[tuple[int, int, str, str, int]], window_min: int, prune_min: int
) -> None:
    ledger = ValidationLedger(retention_s=3 * DAY + 3600)
    kept: list[tuple[float, int, str, str]] = []
    for index, (minutes_ago, total, mode, schema, instance) in enumerate(records):
        end = NOW - minutes_ago * 60 - 0.5
        record = stats(
            end, total=total, failures=total // 2, would_reject=total // 3, mode=mode, schema=schema,
            instance=f"i{instance}-{index}",
        )  # fmt: skip
        assert ledger.add(record, now=NOW) is None
        kept.append((end, total, mode, schema))
    later = NOW + prune_min * 60
    ledger.prune(now=later)
    cutoff = int((later - ledger.retention_s) // BUCKET_S)
    kept = [item for item in kept if int(item[0] // BUCKET_S) >= cutoff]
    window_s = window_min * 60.0
    got = {}
    for summary in ledger.summaries(now=later, window_s=window_s):
        for mode, (total, _, _) in summary.counts.items():
            if total:
                got[(summary.schema, mode)] = total
    expected = {key: value for key, value in naive(kept, now=later, window_s=window_s).items() if value}
    assert got == expected


def test_a_late_record_for_an_older_minute_lands_in_its_minute() -> None:
    ledger = ValidationLedger(retention_s=DAY)
    ledger.add(stats(NOW - 30, total=10), now=NOW)
    ledger.add(stats(NOW - 90, total=5, instance="late"), now=NOW)  # arrives second, ends a minute earlier
    [last_minute] = ledger.summaries(now=NOW, window_s=60)
    [two_minutes] = ledger.summaries(now=NOW, window_s=150)
    assert (last_minute.measured, two_minutes.measured) == (10, 15)


def test_history_start_survives_pruning() -> None:
    ledger = ValidationLedger(retention_s=3600)
    ledger.add(stats(NOW - 3000, total=1, start=NOW - 3100), now=NOW)
    ledger.add(stats(NOW - 60, total=1), now=NOW)
    [summary] = ledger.summaries(now=NOW, window_s=3600)
    assert summary.history_start == NOW - 3100
    ledger.prune(now=NOW + 1200)
    [summary] = ledger.summaries(now=NOW + 1200, window_s=3600)
    assert summary.history_start == NOW - 120
    assert summary.measured == 1
