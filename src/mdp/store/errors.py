"""Errors of the bar store.

::

    mdp.errors.MdpError
    └── StoreError              root of everything the store raises on purpose
        ├── StorageUnavailable  the database cannot be reached or is not usable right now (retry later)
        ├── InvalidQuery        a query the caller got wrong: bad cursor, limit, range, symbol or timeframe
        └── InvalidBar          a bar that cannot be stored (missing field, bad timestamp, wrong type)

Adapters translate sqlite3 / SQLAlchemy / alembic / psycopg exceptions into these at their edge, so the
service layer maps exactly three cases to HTTP (503, 400/422, 422) and never sees a driver exception.
"""

from __future__ import annotations

from mdp.errors import MdpError


class StoreError(MdpError):
    """Root of the store's errors; also raised for unexpected database failures."""


class StorageUnavailable(StoreError):  # noqa: N818 - names fixed by the store's API contract
    """The database is down, unreachable, locked for too long or out of space; nothing was written."""


class InvalidQuery(StoreError, ValueError):  # noqa: N818 - names fixed by the store's API contract
    """A read or delete request is malformed (cursor, limit, time range, symbol or timeframe)."""


class InvalidBar(StoreError, ValueError):  # noqa: N818 - names fixed by the store's API contract
    """A bar payload or row cannot be stored; the whole batch was rejected and nothing was written."""


__all__ = ["InvalidBar", "InvalidQuery", "StorageUnavailable", "StoreError"]
