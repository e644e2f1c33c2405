"""The stored bar row, its fast conversions, timestamps and the pagination cursor (pure: no I/O).

Representation of ``ts``: **int microseconds since the Unix epoch, UTC**. It was picked over aware
``datetime`` because it is the cheaper value on every path the store runs per bar:

* parsing: ``fromisoformat`` + one aware subtraction + one floor division, and the result is memoised per
  timestamp text (a live feed sends the same minute for hundreds of symbols);
* SQLite stores it natively (``INTEGER``), compares it as an integer and never needs a datetime adapter;
* PostgreSQL receives it as a binary ``int8`` in COPY (cheaper to dump than a datetime) and converts it
  to ``timestamptz`` in the set-based ``INSERT ... SELECT``; reads select it back as ``int8``;
* the in-memory adapter and the cursor compare and encode it as a plain integer.

Offsets are normalised: ``"2025-10-17T16:30:00+02:00"`` and ``"2025-10-17T14:30:00Z"`` are the same bar.
Sub-microsecond digits are truncated (Python's ``fromisoformat`` keeps six).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple

from mdp.contracts.market import SYMBOL_PATTERN, Timeframe
from mdp.store.errors import InvalidBar, InvalidQuery

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)
TIMEFRAMES = frozenset(member.value for member in Timeframe)
DEFAULT_PAGE_LIMIT = 1_000
MAX_PAGE_LIMIT = 10_000
_CURSOR_VERSION = "1"
_MAX_CURSOR_LENGTH = 256
_SYMBOL = re.compile(SYMBOL_PATTERN)
_CURSOR = re.compile(r"[A-Za-z0-9_-]+")
# datetime's own range, in microseconds: every stored ts can be turned back into a datetime.
MIN_MICROS = (datetime(1, 1, 1, tzinfo=UTC) - EPOCH) // ONE_MICROSECOND
MAX_MICROS = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - EPOCH) // ONE_MICROSECOND


class BarRow(NamedTuple):
    """One stored bar. The natural key is (symbol, timeframe, ts); ts is UTC epoch microseconds."""

    symbol: str
    timeframe: str
    ts: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    vwap: float | None
    trade_count: int | None
    source: str | None
    venue: str | None


BarKey = tuple[str, str, int]
bar_key = itemgetter(0, 1, 2)
"""``bar_key(row) -> (symbol, timeframe, ts)``, computed in C."""

# tuple.__new__ builds the NamedTuple without running its Python-level __new__ (about 3x cheaper).
_make_row = tuple.__new__


@lru_cache(maxsize=4096)
def ts_micros(text: str) -> int:
    """RFC 3339 text with an offset -> UTC epoch microseconds. Raises :class:`InvalidBar`."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        # RFC 3339 allows lower-case "t" and "z"; fromisoformat does not.
        try:
            moment = datetime.fromisoformat(text.upper())
        except ValueError:
            raise InvalidBar(f"ts {text!r} is not an RFC 3339 date-time") from None
    except TypeError:
        raise InvalidBar(f"ts must be a string, got {type(text).__name__}") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidBar(f"ts {text!r} has no UTC offset (use 'Z' or '+hh:mm')")
    micros = (moment - EPOCH) // ONE_MICROSECOND
    if not MIN_MICROS <= micros <= MAX_MICROS:
        raise InvalidBar(f"ts {text!r} is outside the years 1-9999 in UTC")
    return micros


def bar_row_from_payload(payload: Mapping[str, Any]) -> BarRow:
    """Convert a parsed, schema-valid ``md.Bar`` (v1 or v2) payload into a :class:`BarRow`.

    Only what the databases could not reject by themselves is checked here (missing required fields, the
    timestamp, an integral float trade count); the schema check upstream owns the rest.
    """
    try:
        get = payload.get
        trade_count = get("trade_count")
        if trade_count is not None and trade_count.__class__ is not int:
            trade_count = _integral(trade_count)
        return _make_row(
            BarRow,
            (
                payload["symbol"],
                payload["timeframe"],
                ts_micros(payload["ts"]),
                payload["open"],
                payload["high"],
                payload["low"],
                payload["close"],
                payload["volume"],
                get("vwap"),
                trade_count,
                get("source"),
                get("venue"),
            ),
        )
    except KeyError as exc:
        raise InvalidBar(f"bar is missing required field {exc.args[0]!r}") from None
    except (TypeError, AttributeError):
        # A non-hashable ts or a payload that is not a mapping.
        raise InvalidBar(f"bar payload is malformed: {type(payload).__name__}") from None


def _integral(value: Any) -> int:
    # JSON Schema's "integer" admits 12.0; the databases' int8 columns need a real int.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise InvalidBar(f"trade_count must be an integer, got {value!r}")


def bar_row_to_dict(row: BarRow) -> dict[str, Any]:
    """A stored bar as an ``md.Bar``-shaped dict for the API (optional fields omitted when unset)."""
    out: dict[str, Any] = {
        "symbol": row.symbol,
        "timeframe": row.timeframe,
        "ts": micros_to_rfc3339(row.ts),
        "open": row.open,
        "high": row.high,
        "low": row.low,
        "close": row.close,
        "volume": row.volume,
    }
    for name in ("vwap", "trade_count", "source", "venue"):
        value = getattr(row, name)
        if value is not None:
            out[name] = value
    return out


def dedupe_last_wins(rows: Iterable[BarRow]) -> list[BarRow]:
    """Keep one row per natural key, the last occurrence (in the position of the first)."""
    materialised = rows if isinstance(rows, list) else list(rows)
    return list(dict(zip(map(bar_key, materialised), materialised, strict=True)).values())


def check_row(row: BarRow) -> None:
    """Type-check a row the way the SQL adapters' column types do (used by the in-memory adapter)."""
    if not isinstance(row, tuple) or len(row) != len(BarRow._fields):
        raise InvalidBar(f"a bar row has {len(BarRow._fields)} fields")
    fields: tuple[object, ...] = tuple(row)
    symbol, timeframe, ts, *prices, volume, vwap, trade_count, source, venue = fields
    if not isinstance(symbol, str) or not isinstance(timeframe, str):
        raise InvalidBar("symbol and timeframe must be strings")
    if not isinstance(ts, int) or isinstance(ts, bool) or not MIN_MICROS <= ts <= MAX_MICROS:
        raise InvalidBar(f"ts must be integer epoch microseconds within datetime's range, got {ts!r}")
    for value in (*prices, volume):
        if not _is_number(value):
            raise InvalidBar(f"prices and volume must be numbers, got {value!r}")
    if vwap is not None and not _is_number(vwap):
        raise InvalidBar(f"vwap must be a number, got {vwap!r}")
    if trade_count is not None and not _is_int(trade_count):
        raise InvalidBar(f"trade_count must be an integer, got {trade_count!r}")
    for value in (source, venue):
        if value is not None and not isinstance(value, str):
            raise InvalidBar(f"source and venue must be strings, got {value!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- time ---------------------------------------------------------------------------------------------------


def datetime_to_micros(moment: datetime, *, name: str = "time") -> int:
    """An aware datetime -> UTC epoch microseconds; a naive one is an :class:`InvalidQuery`."""
    if not isinstance(moment, datetime):
        raise InvalidQuery(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidQuery(f"{name} must carry a UTC offset")
    return (moment - EPOCH) // ONE_MICROSECOND


def micros_to_datetime(micros: int) -> datetime:
    """UTC epoch microseconds -> aware UTC datetime."""
    return EPOCH + timedelta(microseconds=micros)


def micros_to_rfc3339(micros: int) -> str:
    """UTC epoch microseconds -> RFC 3339 text with a ``Z`` suffix."""
    return micros_to_datetime(micros).isoformat().replace("+00:00", "Z")


# -- queries ------------------------------------------------------------------------------------------------


class BarQuery(NamedTuple):
    """A validated ``query_bars`` request: ts in [start_us, end_us), ``after`` is the cursor position."""

    symbol: str
    timeframe: str | None
    start_us: int | None
    end_us: int | None
    limit: int
    after: tuple[int, str] | None


def check_symbol(symbol: object) -> str:
    if not isinstance(symbol, str) or not _SYMBOL.fullmatch(symbol):
        raise InvalidQuery(f"symbol {symbol!r} does not match {SYMBOL_PATTERN}")
    return symbol


def check_timeframe(timeframe: object) -> str | None:
    if timeframe is None:
        return None
    value = getattr(timeframe, "value", timeframe)
    if value not in TIMEFRAMES:
        raise InvalidQuery(f"timeframe {timeframe!r} is not one of {sorted(TIMEFRAMES)}")
    return str(value)


def check_range(start: datetime | None, end: datetime | None) -> tuple[int | None, int | None]:
    """Validate a [start, end) range; either bound may be open."""
    start_us = None if start is None else datetime_to_micros(start, name="start")
    end_us = None if end is None else datetime_to_micros(end, name="end")
    if start_us is not None and end_us is not None and start_us > end_us:
        raise InvalidQuery("start must not be after end")
    return start_us, end_us


def check_limit(limit: object) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE_LIMIT:
        raise InvalidQuery(f"limit must be an integer between 1 and {MAX_PAGE_LIMIT}, got {limit!r}")
    return limit


def prepare_query(
    symbol: str,
    timeframe: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    cursor: str | None,
) -> BarQuery:
    """Validate every ``query_bars`` argument; raises :class:`InvalidQuery`."""
    checked_symbol = check_symbol(symbol)
    start_us, end_us = check_range(start, end)
    after = None if cursor is None else decode_cursor(cursor, checked_symbol)
    return BarQuery(checked_symbol, check_timeframe(timeframe), start_us, end_us, check_limit(limit), after)


def encode_cursor(symbol: str, ts: int, timeframe: str) -> str:
    """The opaque cursor meaning "after (ts, timeframe) of this symbol"."""
    raw = f"{_CURSOR_VERSION}|{symbol}|{ts}|{timeframe}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: object, symbol: str) -> tuple[int, str]:
    """Validate a cursor made by :func:`encode_cursor` for ``symbol``; returns (ts, timeframe)."""
    if not isinstance(cursor, str) or len(cursor) > _MAX_CURSOR_LENGTH or not _CURSOR.fullmatch(cursor):
        raise InvalidQuery("cursor is malformed")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        raise InvalidQuery("cursor is malformed") from None
    parts = raw.split("|")
    if len(parts) != 4 or parts[0] != _CURSOR_VERSION:
        raise InvalidQuery("cursor is malformed")
    _, cursor_symbol, ts_text, timeframe = parts
    if cursor_symbol != symbol:
        raise InvalidQuery("cursor belongs to another symbol")
    if timeframe not in TIMEFRAMES or not re.fullmatch(r"-?[0-9]{1,19}", ts_text):
        raise InvalidQuery("cursor is malformed")
    ts = int(ts_text)
    if not MIN_MICROS <= ts <= MAX_MICROS:
        raise InvalidQuery("cursor is malformed")
    return ts, timeframe


__all__ = [
    "DEFAULT_PAGE_LIMIT",
    "EPOCH",
    "MAX_PAGE_LIMIT",
    "BarKey",
    "BarQuery",
    "BarRow",
    "bar_key",
    "bar_row_from_payload",
    "bar_row_to_dict",
    "check_limit",
    "check_range",
    "check_row",
    "check_symbol",
    "check_timeframe",
    "datetime_to_micros",
    "decode_cursor",
    "dedupe_last_wins",
    "encode_cursor",
    "micros_to_datetime",
    "micros_to_rfc3339",
    "prepare_query",
    "ts_micros",
]
