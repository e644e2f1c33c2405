"""The one behavioural suite of the bar storage port; each adapter's test module subclasses it.

Subclasses provide the ``repo`` fixture: a migrated, empty repository, closed after the test.
"""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta, timezone

import pytest

from mdp.store.errors import InvalidBar, InvalidQuery
from mdp.store.storage.base import BarRepository, UpsertResult
from mdp.store.storage.rows import (
    MAX_PAGE_LIMIT,
    BarRow,
    bar_row_from_payload,
    bar_row_to_dict,
    encode_cursor,
)
from tests.suites.bar_data import T0, at, bar, payload

TIMEFRAMES = ["1m", "5m", "1h", "15m", "1d"]


def every_bar(repo: BarRepository, symbol: str, **filters: object) -> list[BarRow]:
    """Walk all pages of ``query_bars`` (small pages on purpose) and return the concatenation."""
    found: list[BarRow] = []
    cursor: str | None = None
    for _ in range(10_000):
        page = repo.query_bars(symbol, cursor=cursor, limit=7, **filters)  # type: ignore[arg-type]
        found.extend(page.bars)
        if page.next_cursor is None:
            return found
        assert len(page.bars) == 7
        cursor = page.next_cursor
    raise AssertionError("pagination did not terminate")


class BarRepositorySuite:
    # -- schema ---------------------------------------------------------------------------------------------

    def test_is_a_bar_repository(self, repo: BarRepository) -> None:
        assert isinstance(repo, BarRepository)

    def test_migrate_twice_keeps_data(self, repo: BarRepository) -> None:
        repo.upsert_bars([bar()])
        repo.migrate()
        repo.migrate()
        assert repo.count() == 1

    def test_starts_empty(self, repo: BarRepository) -> None:
        assert repo.count() == 0
        assert repo.symbols() == []
        page = repo.query_bars("AAPL")
        assert page.bars == []
        assert page.next_cursor is None

    # -- idempotency and corrections ------------------------------------------------------------------------

    def test_new_bars_are_inserted(self, repo: BarRepository) -> None:
        result = repo.upsert_bars([bar(minute=m) for m in range(3)])
        assert result == UpsertResult(inserted=3, corrected=0, unchanged=0)
        assert repo.count() == 3

    def test_identical_rewrite_is_unchanged(self, repo: BarRepository) -> None:
        rows = [bar(minute=m) for m in range(5)]
        repo.upsert_bars(rows)
        assert repo.upsert_bars(rows) == UpsertResult(inserted=0, corrected=0, unchanged=5)
        assert every_bar(repo, "AAPL") == rows

    def test_empty_batch_is_a_no_op(self, repo: BarRepository) -> None:
        assert repo.upsert_bars([]) == UpsertResult(0, 0, 0)
        assert repo.count() == 0

    def test_correction_is_counted_and_replaces_the_row(self, repo: BarRepository) -> None:
        repo.upsert_bars([bar(minute=0), bar(minute=1)])
        fixed = bar(minute=1, close=123.5, trade_count=99)
        assert repo.upsert_bars([fixed]) == UpsertResult(inserted=0, corrected=1, unchanged=0)
        assert every_bar(repo, "AAPL") == [bar(minute=0), fixed]

    @pytest.mark.parametrize(
        "change",
        [
            {"open": 1.5},
            {"high": 999.0},
            {"low": 1.0},
            {"close": 2.0},
            {"volume": 0.0},
            {"vwap": None},
            {"trade_count": None},
            {"source": None},
            {"source": "other-feed"},
            {"venue": "XNAS"},
        ],
    )
    def test_any_value_change_is_a_correction(self, repo: BarRepository, change: dict[str, object]) -> None:
        repo.upsert_bars([bar()])
        changed = bar(**change)
        assert repo.upsert_bars([changed]) == UpsertResult(0, 1, 0)
        assert every_bar(repo, "AAPL") == [changed]
        assert repo.upsert_bars([changed]) == UpsertResult(0, 0, 1)

    def test_mixed_batch_counts_each_kind(self, repo: BarRepository) -> None:
        repo.upsert_bars([bar(minute=m) for m in range(4)])
        batch = [
            bar(minute=0),  # unchanged
            bar(minute=1, close=1.25),  # corrected
            bar(minute=2),  # unchanged
            bar(minute=10),  # inserted
            bar(minute=11),  # inserted
        ]
        assert repo.upsert_bars(batch) == UpsertResult(inserted=2, corrected=1, unchanged=2)
        assert repo.count() == 6

    def test_in_batch_duplicates_last_occurrence_wins(self, repo: BarRepository) -> None:
        first, second, last = bar(close=101.0), bar(close=101.1), bar(close=101.2)
        result = repo.upsert_bars([first, bar(minute=1), second, last])
        assert result == UpsertResult(inserted=2, corrected=0, unchanged=0)
        assert every_bar(repo, "AAPL") == [last, bar(minute=1)]

    def test_in_batch_duplicates_of_a_stored_key(self, repo: BarRepository) -> None:
        stored = bar(close=101.0)
        repo.upsert_bars([stored])
        assert repo.upsert_bars([bar(close=105.0), bar(close=106.0)]) == UpsertResult(0, 1, 0)
        assert every_bar(repo, "AAPL") == [bar(close=106.0)]
        # A batch whose last word is the stored value changes nothing, whatever came before it.
        assert repo.upsert_bars([bar(close=1.0), bar(close=106.0)]) == UpsertResult(0, 0, 1)
        assert every_bar(repo, "AAPL") == [bar(close=106.0)]

    def test_identical_float_values_round_trip_exactly(self, repo: BarRepository) -> None:
        tricky = bar(open=0.1 + 0.2, high=1e300, low=5e-324, close=123456789.12345679, volume=2.0**53 + 2)
        repo.upsert_bars([tricky])
        assert repo.upsert_bars([tricky]) == UpsertResult(0, 0, 1)
        assert every_bar(repo, "AAPL") == [tricky]

    def test_integral_json_numbers_match_their_float_form(self, repo: BarRepository) -> None:
        repo.upsert_bars([bar(open=100, high=102, volume=0)])
        stored = every_bar(repo, "AAPL")[0]
        assert (stored.open, stored.high, stored.volume) == (100.0, 102.0, 0.0)
        assert isinstance(stored.open, float)
        assert repo.upsert_bars([bar(open=100.0, high=102.0, volume=0.0)]) == UpsertResult(0, 0, 1)

    def test_invalid_row_rejects_the_whole_batch(self, repo: BarRepository) -> None:
        repo.upsert_bars([bar(minute=0)])
        broken = bar(minute=2)._replace(close="not a number")
        with pytest.raises(InvalidBar):
            repo.upsert_bars([bar(minute=1), bar(minute=0, close=1.0), broken])
        assert every_bar(repo, "AAPL") == [bar(minute=0)]
        # The repository is still usable after the rejected batch.
        assert repo.upsert_bars([bar(minute=1)]) == UpsertResult(1, 0, 0)

    @pytest.mark.parametrize(
        "damage",
        [
            {"open": None},
            {"ts": "2025-10-17T14:30:00Z"},
            {"ts": 2**70},
            {"trade_count": 1.5},
        ],
    )
    def test_wrongly_typed_rows_are_invalid_bars(
        self, repo: BarRepository, damage: dict[str, object]
    ) -> None:
        with pytest.raises(InvalidBar):
            repo.upsert_bars([bar(minute=1), bar()._replace(**damage)])
        assert repo.count() == 0

    def test_optional_fields_round_trip_as_absent(self, repo: BarRepository) -> None:
        bare = bar(vwap=None, trade_count=None, source=None)
        repo.upsert_bars([bare])
        (stored,) = every_bar(repo, "AAPL")
        assert stored == bare
        assert set(bar_row_to_dict(stored)) == {"symbol", "timeframe", "ts", "open", "high", "low"} | {
            "close",
            "volume",
        }

    # -- time -----------------------------------------------------------------------------------------------

    def test_offsets_are_normalised_to_utc(self, repo: BarRepository) -> None:
        utc = bar_row_from_payload(payload(ts="2025-10-17T14:30:00Z"))
        plus_two = bar_row_from_payload(payload(ts="2025-10-17T16:30:00+02:00"))
        minus_five = bar_row_from_payload(payload(ts="2025-10-17T09:30:00-05:00"))
        assert repo.upsert_bars([utc]) == UpsertResult(1, 0, 0)
        assert repo.upsert_bars([plus_two, minus_five]) == UpsertResult(0, 0, 1)
        (stored,) = every_bar(repo, "AAPL")
        assert bar_row_to_dict(stored)["ts"] == "2025-10-17T14:30:00Z"
        (summary,) = repo.symbols()
        assert summary.first_ts == T0
        assert summary.first_ts.utcoffset() == timedelta(0)

    def test_microseconds_and_distant_dates_round_trip(self, repo: BarRepository) -> None:
        rows = [
            bar_row_from_payload(payload(ts=text))
            for text in (
                "2025-10-17T14:30:00.000001Z",
                "2025-10-17T14:30:00.999999+05:30",
                "1900-01-01T00:00:00Z",
                "2262-04-12T00:00:00.123456Z",
                "0001-01-01T00:00:00Z",
                "9999-12-31T23:59:59.999999Z",
            )
        ]
        repo.upsert_bars(rows)
        assert every_bar(repo, "AAPL") == sorted(rows, key=lambda row: row.ts)
        assert repo.upsert_bars(rows) == UpsertResult(0, 0, len(rows))

    def test_range_is_start_inclusive_end_exclusive(self, repo: BarRepository) -> None:
        repo.upsert_bars([bar(minute=m) for m in range(10)])
        page = repo.query_bars("AAPL", start=at(2), end=at(5))
        assert [row.ts for row in page.bars] == [bar(minute=m).ts for m in (2, 3, 4)]
        assert repo.query_bars("AAPL", start=at(7)).bars == [bar(minute=m) for m in (7, 8, 9)]
        assert repo.query_bars("AAPL", end=at(1)).bars == [bar(minute=0)]
        assert repo.query_bars("AAPL", start=at(3), end=at(3)).bars == []

    def test_range_bounds_accept_any_offset(self, repo: BarRepository) -> None:
        repo.upsert_bars([bar(minute=m) for m in range(5)])
        plus_two = timezone(timedelta(hours=2))
        page = repo.query_bars("AAPL", start=at(1).astimezone(plus_two), end=at(3).astimezone(plus_two))
        assert page.bars == [bar(minute=1), bar(minute=2)]

    def test_bad_ranges_are_invalid_queries(self, repo: BarRepository) -> None:
        with pytest.raises(InvalidQuery):
            repo.query_bars("AAPL", start=at(5), end=at(4))
        with pytest.raises(InvalidQuery):
            repo.query_bars("AAPL", start=datetime(2025, 10, 17, 14, 30))
        with pytest.raises(InvalidQuery):
            repo.delete_bars("AAPL", at(5), at(4))
        with pytest.raises(InvalidQuery):
            repo.delete_bars("AAPL", datetime(2025, 1, 1), at(4))

    # -- ordering and pagination ----------------------------------------------------------------------------

    def test_ordered_by_ts_then_timeframe(self, repo: BarRepository) -> None:
        rows = [bar(timeframe=frame, minute=m) for m in range(6) for frame in TIMEFRAMES]
        shuffled = rows[:]
        random.Random(7).shuffle(shuffled)
        repo.upsert_bars(shuffled)
        expected = sorted(rows, key=lambda row: (row.ts, row.timeframe))
        assert repo.query_bars("AAPL", limit=100).bars == expected

    def test_cursor_walk_returns_every_row_once_in_order(self, repo: BarRepository) -> None:
        rows = [bar(timeframe=frame, minute=m) for m in range(40) for frame in TIMEFRAMES[:3]]
        rows += [bar(symbol="MSFT", minute=m) for m in range(10)]
        repo.upsert_bars(rows)
        walked = every_bar(repo, "AAPL")
        assert walked == sorted((r for r in rows if r.symbol == "AAPL"), key=lambda r: (r.ts, r.timeframe))
        assert len(set(walked)) == 120

    def test_cursor_walk_with_filters(self, repo: BarRepository) -> None:
        repo.upsert_bars([bar(timeframe=frame, minute=m) for m in range(30) for frame in ("1m", "5m")])
        walked = every_bar(repo, "AAPL", timeframe="5m", start=at(3), end=at(25))
        assert walked == [bar(timeframe="5m", minute=m) for m in range(3, 25)]

    def test_exact_multiple_of_the_limit_ends_without_an_empty_page(self, repo: BarRepository) -> None:
        repo.upsert_bars([bar(minute=m) for m in range(6)])
        first = repo.query_bars("AAPL", limit=3)
        assert first.next_cursor is not None
        second = repo.query_bars("AAPL", limit=3, cursor=first.next_cursor)
        assert second.bars == [bar(minute=m) for m in (3, 4, 5)]
        assert second.next_cursor is None

    def test_rows_written_between_pages_after_the_cursor_are_seen(self, repo: BarRepository) -> None:
        repo.upsert_bars([bar(minute=m) for m in range(4)])
        first = repo.query_bars("AAPL", limit=2)
        repo.upsert_bars([bar(minute=0, timeframe="5m"), bar(minute=9)])
        rest = repo.query_bars("AAPL", limit=100, cursor=first.next_cursor)
        assert rest.bars == [bar(minute=2), bar(minute=3), bar(minute=9)]

    @pytest.mark.parametrize(
        "cursor",
        [
            "",
            "not a cursor!",
            "%%%",
            "MXxBQVBM",  # "1|AAPL": too few parts
            encode_cursor("MSFT", 0, "1m"),  # another symbol's cursor
            encode_cursor("AAPL", 0, "7m"),
            encode_cursor("AAPL", 0, "1m").replace("MX", "Mn", 1),  # other version
            encode_cursor("AAPL", 10**30, "1m"),
            "A" * 10_000,
            "//8=",  # not UTF-8
        ],
    )
    def test_bad_cursor_is_an_invalid_query(self, repo: BarRepository, cursor: str) -> None:
        repo.upsert_bars([bar()])
        with pytest.raises(InvalidQuery):
            repo.query_bars("AAPL", cursor=cursor)

    @pytest.mark.parametrize("limit", [0, -1, MAX_PAGE_LIMIT + 1, True, 2.5, "10"])
    def test_bad_limit_is_an_invalid_query(self, repo: BarRepository, limit: object) -> None:
        with pytest.raises(InvalidQuery):
            repo.query_bars("AAPL", limit=limit)  # type: ignore[arg-type]

    def test_max_limit_is_accepted(self, repo: BarRepository) -> None:
        assert repo.query_bars("AAPL", limit=MAX_PAGE_LIMIT).bars == []

    @pytest.mark.parametrize("symbol", ["", "aapl", "A" * 40, "AAPL'; DROP TABLE bars; --", None])
    def test_bad_symbol_is_an_invalid_query(self, repo: BarRepository, symbol: object) -> None:
        with pytest.raises(InvalidQuery):
            repo.query_bars(symbol)  # type: ignore[arg-type]
        with pytest.raises(InvalidQuery):
            repo.delete_bars(symbol, at(0), at(1))  # type: ignore[arg-type]

    def test_bad_timeframe_is_an_invalid_query(self, repo: BarRepository) -> None:
        with pytest.raises(InvalidQuery):
            repo.query_bars("AAPL", timeframe="2m")
        with pytest.raises(InvalidQuery):
            repo.delete_bars("AAPL", at(0), at(1), timeframe="1 OR 1=1")

    # -- symbols, delete, count, ping -----------------------------------------------------------------------

    def test_symbols_summary(self, repo: BarRepository) -> None:
        repo.upsert_bars(
            [bar("MSFT", "5m", m) for m in range(3, 6)]
            + [bar("AAPL", "1m", m) for m in range(10)]
            + [bar("AAPL", "1h", 60)]
            + [bar("BRK.B", "1d", 0)]
        )
        summaries = repo.symbols()
        assert [s.symbol for s in summaries] == ["AAPL", "BRK.B", "MSFT"]
        aapl, brk, msft = summaries
        assert aapl.timeframes == ("1h", "1m")
        assert (aapl.first_ts, aapl.last_ts, aapl.bar_count) == (at(0), at(60), 11)
        assert (brk.timeframes, brk.bar_count) == (("1d",), 1)
        assert (msft.first_ts, msft.last_ts, msft.bar_count) == (at(3), at(5), 3)
        assert aapl.to_dict()["first_ts"] == "2025-10-17T14:30:00Z"

    def test_delete_by_range(self, repo: BarRepository) -> None:
        repo.upsert_bars(
            [bar(timeframe=frame, minute=m) for m in range(10) for frame in ("1m", "5m")]
            + [bar("MSFT", minute=m) for m in range(10)]
        )
        assert repo.delete_bars("AAPL", at(2), at(5), timeframe="5m") == 3
        assert repo.delete_bars("AAPL", at(8), at(100)) == 4
        assert repo.delete_bars("AAPL", at(8), at(100)) == 0
        assert repo.delete_bars("AAPL", at(3), at(3)) == 0
        remaining = every_bar(repo, "AAPL")
        assert [(r.timeframe, r.ts) for r in remaining] == sorted(
            [("1m", bar(minute=m).ts) for m in range(8)]
            + [("5m", bar(minute=m).ts) for m in (0, 1, 5, 6, 7)],
            key=lambda item: (item[1], item[0]),
        )
        assert repo.count() == 13 + 10
        assert repo.delete_bars("MSFT", at(0), at(10)) == 10
        assert [s.symbol for s in repo.symbols()] == ["AAPL"]

    def test_deleted_bars_can_be_written_again(self, repo: BarRepository) -> None:
        repo.upsert_bars([bar()])
        repo.delete_bars("AAPL", at(0), at(1))
        assert repo.upsert_bars([bar()]) == UpsertResult(1, 0, 0)

    def test_count(self, repo: BarRepository) -> None:
        repo.upsert_bars([bar(symbol, minute=m) for symbol in ("A", "B", "C") for m in range(7)])
        assert repo.count() == 21

    def test_ping_measures_a_round_trip(self, repo: BarRepository) -> None:
        elapsed = repo.ping()
        assert isinstance(elapsed, float)
        assert 0.0 <= elapsed < 5.0

    # -- v2, volume, threads --------------------------------------------------------------------------------

    def test_v2_bars_keep_their_venue(self, repo: BarRepository) -> None:
        v2 = bar_row_from_payload(payload(venue="XNAS", source="feed-a"))
        assert v2.venue == "XNAS"
        repo.upsert_bars([v2, bar(minute=1)])
        stored = every_bar(repo, "AAPL")
        assert stored == [v2, bar(minute=1)]
        assert bar_row_to_dict(stored[0])["venue"] == "XNAS"
        assert "venue" not in bar_row_to_dict(stored[1])
        # Same key, another venue: the store keeps one bar per key, so this is a correction.
        assert repo.upsert_bars([v2._replace(venue="ARCX")]) == UpsertResult(0, 1, 0)

    @pytest.mark.slow
    def test_big_batches(self, repo: BarRepository) -> None:
        rows = [bar(f"S{i % 50:03d}", minute=i // 50) for i in range(50_000)]
        assert repo.upsert_bars(rows) == UpsertResult(50_000, 0, 0)
        assert repo.count() == 50_000
        rows[12_345] = rows[12_345]._replace(close=1.0)
        assert repo.upsert_bars(rows + rows[:10]) == UpsertResult(0, 1, 49_999)
        (s007,) = [s for s in repo.symbols() if s.symbol == "S007"]
        assert s007.bar_count == 1_000

    def test_concurrent_writers_and_readers(self, repo: BarRepository) -> None:
        errors: list[BaseException] = []

        def write(symbol: str) -> None:
            try:
                for chunk in range(5):
                    repo.upsert_bars([bar(symbol, minute=chunk * 20 + m) for m in range(20)])
                    repo.query_bars(symbol, limit=10)
                    repo.count()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(f"T{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert repo.count() == 400
        assert [s.bar_count for s in repo.symbols()] == [100] * 4
