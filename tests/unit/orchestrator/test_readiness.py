"""Go/no-go over ValidationStats windows: exact 0.5 % / 1 % boundaries, modes, windows, coverage, blockers."""

from __future__ import annotations

import pytest

from mdp.orchestrator.readiness import (
    BUCKET_S,
    Blocker,
    ReadinessReport,
    ValidationLedger,
    Verdict,
    evaluate,
    percent,
)

from .events import stats

NOW = 1_800_000_000.0
HOUR = 3_600.0
DAY = 86_400.0


def ledger_with(*records: object, now: float = NOW, retention_s: float = 8 * DAY) -> ValidationLedger:
    ledger = ValidationLedger(retention_s=retention_s)
    for record in records:
        assert ledger.add(record, now=now) is None  # type: ignore[arg-type]
    return ledger


def report(
    ledger: ValidationLedger,
    *,
    window_s: float = HOUR,
    min_messages: int = 1,
    min_coverage: float = 0.0,
    now: float = NOW,
    **kwargs: object,
) -> ReadinessReport:
    return evaluate(
        ledger.summaries(now=now, window_s=window_s),
        now=now,
        window_s=window_s,
        min_messages=min_messages,
        min_coverage=min_coverage,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("would_reject", "verdict"),
    [
        (0, Verdict.GO),
        (4, Verdict.GO),  # 0.4 %
        (5, Verdict.HOLD),  # exactly 0.5 %: not under it
        (7, Verdict.HOLD),
        (10, Verdict.HOLD),  # exactly 1 %: not over it
        (11, Verdict.NO_GO),  # 1.1 %
        (1000, Verdict.NO_GO),
    ],
)
def test_warn_mode_boundaries_use_would_reject(would_reject: int, verdict: Verdict) -> None:
    # failures are deliberately different from would_reject: warn mode reads what strict would reject.
    ledger = ledger_with(stats(NOW - 60, total=1000, failures=999, would_reject=would_reject))
    result = report(ledger)
    assert [s.verdict for s in result.schemas] == [verdict]
    assert result.verdict == verdict
    assert result.schemas[0].summary.rejected == would_reject


@pytest.mark.parametrize(
    ("failures", "verdict"), [(4, Verdict.GO), (5, Verdict.HOLD), (10, Verdict.HOLD), (11, Verdict.NO_GO)]
)
def test_strict_mode_boundaries_use_failures(failures: int, verdict: Verdict) -> None:
    ledger = ledger_with(stats(NOW - 60, total=1000, failures=failures, would_reject=0, mode="strict"))
    assert report(ledger).schemas[0].verdict == verdict


def test_boundaries_are_exact_for_large_counts() -> None:
    # 1/200 with floats would be 0.005000000000000001 for some totals; fractions never wobble.
    ledger = ledger_with(stats(NOW - 60, total=3_000_000_000, would_reject=15_000_000))
    assert report(ledger).schemas[0].verdict == Verdict.HOLD
    ledger = ledger_with(stats(NOW - 60, total=3_000_000_000, would_reject=14_999_999))
    assert report(ledger).schemas[0].verdict == Verdict.GO


def test_reasons_say_why_with_the_numbers() -> None:
    hold = report(ledger_with(stats(NOW - 60, total=1000, would_reject=7))).schemas[0]
    assert hold.reasons == ("reject rate 0.7% (7 of 1000) is between 0.5% (GO below) and 1% (NO-GO above)",)
    no_go = report(ledger_with(stats(NOW - 60, total=200, would_reject=3))).schemas[0]
    assert no_go.reasons == ("reject rate 1.5% (3 of 200) is above the 1% NO-GO threshold",)


def test_counts_are_summed_over_instances_and_modes() -> None:
    ledger = ledger_with(
        stats(NOW - 120, total=600, would_reject=3, instance="a"),
        stats(NOW - 60, total=300, would_reject=2, instance="b"),
        stats(NOW - 60, total=100, failures=1, mode="strict", instance="c"),
        stats(NOW - 60, total=500, mode="off", instance="d"),  # off validates nothing
    )
    summary = report(ledger).schemas[0].summary
    assert (summary.measured, summary.rejected) == (1000, 6)
    assert summary.modes == ("warn", "strict", "off")
    assert summary.services == ("pipeline/a", "pipeline/b", "pipeline/c", "pipeline/d")
    assert report(ledger).schemas[0].verdict == Verdict.HOLD  # 0.6 %


def test_only_records_inside_the_window_count() -> None:
    ledger = ledger_with(
        stats(NOW - 2 * HOUR, total=1000, would_reject=500),  # a bad hour, two hours ago
        stats(NOW - 60, total=1000, would_reject=1),
    )
    assert report(ledger, window_s=HOUR).schemas[0].verdict == Verdict.GO
    assert report(ledger, window_s=3 * HOUR).schemas[0].verdict == Verdict.NO_GO


def test_schemas_and_tracks_are_judged_separately() -> None:
    ledger = ledger_with(
        stats(NOW - 60, total=1000, would_reject=0, schema="md.Bar", track="v1"),
        stats(NOW - 60, total=1000, would_reject=50, schema="md.Bar", track="v2"),
        stats(NOW - 60, total=1000, would_reject=7, schema="md.Quote"),
    )
    result = report(ledger)
    assert [(s.summary.track, s.summary.schema, s.verdict) for s in result.schemas] == [
        ("v1", "md.Bar", Verdict.GO),
        ("v1", "md.Quote", Verdict.HOLD),
        ("v2", "md.Bar", Verdict.NO_GO),
    ]
    assert result.verdict == Verdict.NO_GO
    assert any(reason.startswith("v2/md.Bar: NO-GO") for reason in result.reasons)


def test_too_few_messages_is_no_data_not_go() -> None:
    ledger = ledger_with(stats(NOW - 60, total=999))
    result = report(ledger, min_messages=1000)
    assert result.schemas[0].verdict == Verdict.NO_DATA
    assert result.schemas[0].reasons == ("only 999 message(s) validated in the last 1h; 1000 needed",)
    assert result.verdict == Verdict.NO_DATA
    assert report(ledger, min_messages=999).verdict == Verdict.GO


def test_no_telemetry_at_all_is_no_data() -> None:
    result = report(ValidationLedger(retention_s=DAY), window_s=72 * HOUR)
    assert result.verdict == Verdict.NO_DATA
    assert result.schemas == ()
    assert result.reasons == ("no validation telemetry in the last 3d",)


def test_a_schema_silent_in_the_window_is_no_data_and_holds_the_rest() -> None:
    ledger = ledger_with(
        stats(NOW - 60, total=1000, schema="md.Bar"),
        stats(NOW - 5 * HOUR, total=1000, schema="md.Quote"),
    )
    result = report(ledger)
    assert [s.verdict for s in result.schemas] == [Verdict.GO, Verdict.NO_DATA]
    assert result.schemas[1].reasons == ("no validation telemetry in the last 1h",)
    assert result.verdict == Verdict.HOLD


def test_validation_off_says_so() -> None:
    result = report(ledger_with(stats(NOW - 60, total=1000, mode="off")))
    assert result.schemas[0].verdict == Verdict.NO_DATA
    assert "validation is off" in result.schemas[0].reasons[0]


def test_go_needs_history_covering_the_window() -> None:
    ledger = ledger_with(stats(NOW - 60, total=5000, start=NOW - 5 * HOUR))
    short = report(ledger, window_s=72 * HOUR, min_coverage=0.95).schemas[0]
    assert short.verdict == Verdict.HOLD
    assert short.coverage == pytest.approx(5 / 72)
    assert short.reasons[0].endswith("but telemetry only covers 5h of the 3d window")
    # History older than the window (kept by the retention) covers it even after an idle period.
    ledger.add(stats(NOW - 73 * HOUR, total=10), now=NOW)
    assert report(ledger, window_s=72 * HOUR, min_coverage=0.95).schemas[0].verdict == Verdict.GO


def test_short_history_does_not_soften_a_no_go() -> None:
    ledger = ledger_with(stats(NOW - 60, total=1000, would_reject=20))
    assert report(ledger, window_s=72 * HOUR, min_coverage=1.0).schemas[0].verdict == Verdict.NO_GO


def test_blockers_only_make_verdicts_worse() -> None:
    ledger = ledger_with(
        stats(NOW - 60, total=1000, schema="md.Bar"),
        stats(NOW - 60, total=1000, would_reject=20, schema="md.Quote"),
    )
    blockers = {
        ("v1", "md.Bar"): [Blocker(Verdict.HOLD, "unresolved unclassified drift in store")],
        ("v1", "md.Quote"): [Blocker(Verdict.HOLD, "unresolved unclassified drift in store")],
        ("v1", "md.Trade"): [Blocker(Verdict.NO_GO, "unresolved breaking drift in feed")],
    }
    result = report(ledger, blockers=blockers)
    verdicts = {s.summary.schema: s.verdict for s in result.schemas}
    assert verdicts == {"md.Bar": Verdict.HOLD, "md.Quote": Verdict.NO_GO, "md.Trade": Verdict.NO_GO}
    trade = next(s for s in result.schemas if s.summary.schema == "md.Trade")
    assert trade.reasons[-1] == "unresolved breaking drift in feed"


def test_global_blockers_apply_to_the_overall_verdict() -> None:
    ledger = ledger_with(stats(NOW - 60, total=1000))
    down = report(ledger, global_blockers=[Blocker(Verdict.NO_GO, "registry unreachable")])
    assert down.verdict == Verdict.NO_GO
    assert down.reasons[0] == "registry unreachable"
    disabled = report(ledger, global_blockers=[Blocker(Verdict.HOLD, "registry disabled")])
    assert disabled.verdict == Verdict.HOLD


def test_duplicate_records_are_counted_once() -> None:
    ledger = ValidationLedger(retention_s=DAY)
    record = stats(NOW - 60, total=1000, would_reject=4)
    assert ledger.add(record, now=NOW) is None
    assert ledger.add(record, now=NOW) == "duplicate"
    assert report(ledger).schemas[0].summary.rejected == 4


def test_records_past_the_retention_are_refused_and_pruned() -> None:
    ledger = ValidationLedger(retention_s=DAY)
    assert ledger.add(stats(NOW - 2 * DAY, total=10), now=NOW) == "older than the retention"
    assert ledger.add(stats(NOW - HOUR, total=10), now=NOW) is None
    assert ledger.prune(now=NOW + DAY) == 1
    assert ledger.summaries(now=NOW + DAY, window_s=DAY) == []


def test_future_window_ends_count_as_now() -> None:
    ledger = ledger_with(stats(NOW + DAY, total=1000, would_reject=50))
    assert report(ledger).verdict == Verdict.NO_GO


def test_bucketing_keeps_memory_per_minute_not_per_record() -> None:
    ledger = ValidationLedger(retention_s=DAY)
    for instance in range(50):
        ledger.add(stats(NOW - 10, total=10, instance=f"i{instance}"), now=NOW)
    series = ledger._series[("v1", "md.Bar")]
    assert list(series.buckets) == [int((NOW - 10) // BUCKET_S)]
    assert report(ledger).schemas[0].summary.measured == 500


def test_instances_report_their_latest_dlq_depth() -> None:
    ledger = ledger_with(
        stats(NOW - 120, total=1, dlq_depth=7, instance="a"),
        stats(NOW - 60, total=1, instance="a"),  # no depth this time: keep the last one known
        stats(NOW - 60, total=1, dlq_depth=3, instance="b"),
    )
    depths = {(i.instance, i.dlq_depth, i.dlq_at) for i in ledger.instances()}
    assert depths == {("a", 7, NOW - 120), ("b", 3, NOW - 60)}


def test_report_json_shape() -> None:
    body = report(ledger_with(stats(NOW - 60, total=1000, would_reject=2)), window_s=72 * HOUR).to_dict()
    assert body["verdict"] == "GO"
    assert body["window"] == "3d"
    assert body["thresholds"]["go_below"] == 0.005
    assert body["thresholds"]["no_go_above"] == 0.01
    schema = body["schemas"][0]
    assert (schema["schema"], schema["track"], schema["total"], schema["rejected"]) == (
        "md.Bar",
        "v1",
        1000,
        2,
    )
    assert schema["rejection_rate"] == 0.002
    assert schema["would_reject_rate"] == 0.002


@pytest.mark.parametrize(("value", "text"), [(0.005, "0.5%"), (0.01, "1%"), (0.0123, "1.23%"), (0.0, "0%")])
def test_percent(value: float, text: str) -> None:
    assert percent(value) == text
