"""Row conversion, timestamps and cursors (the pure part of the storage package)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdp.contracts.market import Bar, BarV2
from mdp.store.errors import InvalidBar, InvalidQuery
from mdp.store.storage.rows import (
    BarRow,
    bar_row_from_payload,
    bar_row_to_dict,
    decode_cursor,
    dedupe_last_wins,
    encode_cursor,
    micros_to_datetime,
    micros_to_rfc3339,
    prepare_query,
    ts_micros,
)
from tests.suites.bar_data import bar, payload


def test_payload_to_row_and_back_is_a_valid_bar() -> None:
    row = bar_row_from_payload(orjson.loads(orjson.dumps(payload())))
    assert row == BarRow(
        "AAPL", "1m", 1_760_711_400_000_000, 100.0, 101.5, 99.25, 100.75, 1000.0, 100.5, 10, "sim", None
    )
    out = bar_row_to_dict(row)
    assert Bar.model_validate(out).ts == datetime(2025, 10, 17, 14, 30, tzinfo=UTC)
    assert out["ts"] == "2025-10-17T14:30:00Z"


def test_v2_payload_keeps_venue_and_validates_as_v2() -> None:
    row = bar_row_from_payload(payload(venue="XNAS"))
    assert row.venue == "XNAS"
    assert BarV2.model_validate(bar_row_to_dict(row)).venue == "XNAS"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-10-17T14:30:00Z", datetime(2025, 10, 17, 14, 30, tzinfo=UTC)),
        ("2025-10-17T16:30:00+02:00", datetime(2025, 10, 17, 14, 30, tzinfo=UTC)),
        ("2025-10-17T09:30:00-05:00", datetime(2025, 10, 17, 14, 30, tzinfo=UTC)),
        ("2025-10-18T00:30:00+10:00", datetime(2025, 10, 17, 14, 30, tzinfo=UTC)),
        ("2025-10-17t14:30:00.25z", datetime(2025, 10, 17, 14, 30, 0, 250000, tzinfo=UTC)),
        ("2025-10-17T14:30:00.1234567Z", datetime(2025, 10, 17, 14, 30, 0, 123456, tzinfo=UTC)),
    ],
)
def test_ts_is_normalised_to_utc_microseconds(text: str, expected: datetime) -> None:
    assert micros_to_datetime(ts_micros(text)) == expected


@pytest.mark.parametrize(
    "text",
    ["2025-10-17T14:30:00", "2025-10-17", "yesterday", "", "2025-13-01T00:00:00Z", "2025-10-17T23:59:60Z"],
)
def test_unusable_ts_is_an_invalid_bar(text: str) -> None:
    with pytest.raises(InvalidBar):
        bar_row_from_payload(payload(ts=text))


@pytest.mark.parametrize("value", [1_760_711_400, None, ["2025-10-17T14:30:00Z"], {"t": 1}])
def test_non_string_ts_is_an_invalid_bar(value: object) -> None:
    body = payload()
    body["ts"] = value
    with pytest.raises(InvalidBar):
        bar_row_from_payload(body)


@pytest.mark.parametrize("field", ["symbol", "timeframe", "ts", "open", "high", "low", "close", "volume"])
def test_missing_required_field_is_an_invalid_bar(field: str) -> None:
    body = payload()
    del body[field]
    with pytest.raises(InvalidBar, match=field):
        bar_row_from_payload(body)


def test_non_mapping_payload_is_an_invalid_bar() -> None:
    with pytest.raises(InvalidBar):
        bar_row_from_payload(["AAPL"])  # type: ignore[arg-type]


def test_integral_float_trade_count_becomes_int() -> None:
    row = bar_row_from_payload(payload(trade_count=12.0))
    assert row.trade_count == 12
    assert type(row.trade_count) is int
    with pytest.raises(InvalidBar):
        bar_row_from_payload(payload(trade_count=12.5))


def test_dedupe_keeps_the_last_occurrence() -> None:
    a1, a2, b = bar(close=1.0), bar(close=2.0), bar(minute=1)
    assert dedupe_last_wins([a1, b, a2]) == [a2, b]
    assert dedupe_last_wins(iter([b])) == [b]


@given(st.integers(min_value=-62_135_596_800_000_000, max_value=253_402_300_799_999_999))
def test_rfc3339_round_trip(micros: int) -> None:
    assert ts_micros(micros_to_rfc3339(micros)) == micros


@given(
    symbol=st.from_regex(r"[A-Z0-9][A-Z0-9._:/-]{0,31}", fullmatch=True),
    ts=st.integers(min_value=-(10**16), max_value=10**17),
    timeframe=st.sampled_from(["1s", "5s", "1m", "5m", "15m", "30m", "1h", "4h", "1d"]),
)
def test_cursor_round_trip(symbol: str, ts: int, timeframe: str) -> None:
    assert decode_cursor(encode_cursor(symbol, ts, timeframe), symbol) == (ts, timeframe)


@given(st.text(max_size=300))
def test_arbitrary_text_never_decodes_to_anything_but_invalid_query(text: str) -> None:
    try:
        ts, timeframe = decode_cursor(text, "AAPL")
    except InvalidQuery:
        return
    assert decode_cursor(encode_cursor("AAPL", ts, timeframe), "AAPL") == (ts, timeframe)


def test_prepare_query_validates_everything() -> None:
    start = datetime(2025, 10, 17, 16, 30, tzinfo=timezone(timedelta(hours=2)))
    query = prepare_query("AAPL", "1m", start, None, 10, None)
    assert query.start_us == 1_760_711_400_000_000
    assert query.end_us is None
    with pytest.raises(InvalidQuery):
        prepare_query("AAPL", None, None, None, 10, encode_cursor("MSFT", 0, "1m"))
