"""SQL schema storage (SQLAlchemy 2 Core): SQLite by default, PostgreSQL when ``MDP_DATABASE_URL`` is set.

* SQLite: one file (``<MDP_DATA_DIR>/registry.db``) in WAL mode, so readers never block the writer; write
  transactions start with ``BEGIN IMMEDIATE`` so two writers serialise instead of failing on a lock upgrade.
* PostgreSQL (psycopg 3): every write transaction first takes one transaction-scoped advisory lock. Writes
  to the registry are rare, and serialising them buys two guarantees cheaply: two concurrent publishes to a
  subject cannot pick the same version (the unique constraints remain as a backstop), and outbox ids
  become visible in commit order, so a consumer reading ``/events?after=N`` can never skip an event that
  commits late with a smaller id.
* Schema migrations (alembic, ``alembic_version_registry``) run on start under a session advisory lock, so
  replicas starting together do not race.

SQLAlchemy and driver exceptions are translated to :mod:`mdp.registry.errors` at this edge.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, CursorResult, Engine, Row, create_engine, event, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from mdp.compat.model import Mode, Policy
from mdp.registry import migrations
from mdp.registry.errors import (
    ConcurrentModification,
    InvalidVersion,
    RegistryError,
    StorageError,
    SubjectNotFound,
    TrackNotFound,
)
from mdp.registry.storage.base import (
    DEPRECATED,
    PUBLISHED,
    EventType,
    NewVersion,
    OutboxEvent,
    StoredSchema,
    Subject,
    SubjectView,
    TrackConfig,
    Version,
    deprecated_payload,
    published_payload,
)
from mdp.registry.storage.tables import outbox, schemas, subjects, tracks, versions

SQLITE_FILE_NAME = "registry.db"
_WRITE_LOCK_KEY = 0x6D64_7072_6567_0001  # "mdpreg" + 1: serialises registry writes on PostgreSQL
_MIGRATE_LOCK_KEY = 0x6D64_7072_6567_0002


def normalize_url(url: str) -> str:
    """Map ``postgresql://`` / ``postgres://`` to the psycopg 3 driver; leave other URLs alone."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def sqlite_url(data_dir: Path) -> str:
    """The URL of the default embedded database under ``data_dir`` (created if missing)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / SQLITE_FILE_NAME).resolve()}"


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


@contextlib.contextmanager
def _translate(operation: str) -> Iterator[None]:
    """Turn SQLAlchemy / driver errors into registry errors, leaving our own exceptions untouched."""
    try:
        yield
    except RegistryError:
        raise
    except IntegrityError as exc:
        raise ConcurrentModification(f"{operation}: a concurrent write won ({exc.orig})") from exc
    except (DBAPIError, SQLAlchemyError) as exc:
        raise StorageError(f"{operation} failed: {exc.__class__.__name__}: {exc}") from exc


class SqlSchemaStorage:
    """:class:`~mdp.registry.storage.base.SchemaStorage` on SQLite or PostgreSQL."""

    def __init__(self, url: str, *, migrate: bool = True, pool_size: int = 5) -> None:
        try:
            parsed = make_url(normalize_url(url))
        except ArgumentError as exc:
            raise StorageError(f"invalid database URL: {exc}") from exc
        self._dialect = parsed.get_backend_name()
        if self._dialect not in {"sqlite", "postgresql"}:
            raise StorageError(f"unsupported database {self._dialect!r}: use sqlite or postgresql")
        try:
            self._engine = self._create_engine(parsed, pool_size)
        except (NoSuchModuleError, ImportError) as exc:
            raise StorageError(f"database driver missing ({exc}); install mdp[postgres]") from exc
        if migrate:
            self.migrate()

    def _create_engine(self, url: Any, pool_size: int) -> Engine:
        if self._dialect == "sqlite":
            if url.database in (None, "", ":memory:"):
                raise StorageError("the SQL storage needs a SQLite file; use the memory storage instead")
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 30},
                json_serializer=_dumps,
                json_deserializer=orjson.loads,
            )
            _configure_sqlite(engine)
            return engine
        return create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size * 2,
            pool_pre_ping=True,
            json_serializer=_dumps,
            json_deserializer=orjson.loads,
        )

    @property
    def dialect(self) -> str:
        return self._dialect

    # -- lifecycle ---------------------------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the database to the newest schema revision (idempotent)."""
        with _translate("migrating the registry database"), self._engine.connect() as conn:
            if self._dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATE_LOCK_KEY})
                conn.commit()
            try:
                with conn.begin():
                    migrations.upgrade(conn)
            finally:
                if self._dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATE_LOCK_KEY})
                    conn.commit()

    def close(self) -> None:
        self._engine.dispose()

    def ping(self) -> None:
        with _translate("ping"), self._engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    @contextlib.contextmanager
    def _read(self, operation: str) -> Iterator[Connection]:
        with _translate(operation), self._engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def _write(self, operation: str) -> Iterator[Connection]:
        with _translate(operation), self._engine.connect() as conn:
            if self._dialect == "sqlite":
                conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                if self._dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITE_LOCK_KEY})
                yield conn

    # -- tracks ------------------------------------------------------------------------------------
    @staticmethod
    def _track(row: Row[Any]) -> TrackConfig:
        return TrackConfig(row.track, Mode(row.compatibility), Policy(row.policy), int(row.revision))

    def get_track(self, track: str) -> TrackConfig | None:
        with self._read("reading a track") as conn:
            row = conn.execute(select(tracks).where(tracks.c.track == track)).first()
            return None if row is None else self._track(row)

    def list_tracks(self) -> list[TrackConfig]:
        with self._read("listing tracks") as conn:
            return [self._track(row) for row in conn.execute(select(tracks).order_by(tracks.c.track))]

    def put_track(self, track: str, compatibility: Mode, policy: Policy, now: datetime) -> TrackConfig:
        values = {
            "compatibility": Mode(compatibility).value,
            "policy": Policy(policy).value,
            "updated_at": now,
        }
        with self._write("writing a track config") as conn:
            updated = conn.execute(tracks.update().where(tracks.c.track == track).values(**values))
            if updated.rowcount == 0:
                conn.execute(tracks.insert().values(track=track, revision=0, created_at=now, **values))
            row = conn.execute(select(tracks).where(tracks.c.track == track)).one()
            return self._track(row)

    def revisions(self) -> dict[str, int]:
        with self._read("reading track revisions") as conn:
            return {
                row.track: int(row.revision)
                for row in conn.execute(select(tracks.c.track, tracks.c.revision))
            }

    # -- reads -------------------------------------------------------------------------------------
    @staticmethod
    def _version_query() -> Any:
        return select(
            subjects.c.id.label("subject_id"),
            subjects.c.track,
            subjects.c.name,
            subjects.c.state,
            subjects.c.deprecated_reason,
            subjects.c.created_at.label("subject_created_at"),
            subjects.c.updated_at.label("subject_updated_at"),
            versions.c.version,
            versions.c.seq,
            versions.c.schema_id,
            schemas.c.sha256,
            versions.c.classification,
            versions.c.forced,
            versions.c.created_at,
            versions.c.deleted_at,
        ).select_from(
            subjects.join(versions, versions.c.subject_id == subjects.c.id).join(
                schemas, schemas.c.id == versions.c.schema_id
            )
        )

    @classmethod
    def _latest_query(cls) -> Any:
        live = versions.alias("live")
        newest = (
            select(func.max(live.c.seq))
            .where(live.c.subject_id == subjects.c.id, live.c.deleted_at.is_(None))
            .correlate(subjects)
            .scalar_subquery()
        )
        return cls._version_query().where(versions.c.seq == newest)

    @staticmethod
    def _version(row: Row[Any]) -> Version:
        return Version(
            row.track, row.name, row.version, int(row.seq), int(row.schema_id), row.sha256,
            row.classification, bool(row.forced), row.created_at, row.deleted_at,
        )  # fmt: skip

    @classmethod
    def _view(cls, row: Row[Any]) -> SubjectView:
        subject = Subject(
            row.track,
            row.name,
            row.state,
            row.deprecated_reason,
            row.subject_created_at,
            row.subject_updated_at,
        )
        return SubjectView(subject, cls._version(row))

    def track_index(self, track: str) -> tuple[int, list[SubjectView]]:
        with self._read("reading a track index") as conn:
            # Revision first: the listing read afterwards can only be newer, never older, than its key.
            revision = conn.execute(select(tracks.c.revision).where(tracks.c.track == track)).scalar()
            if revision is None:
                raise TrackNotFound(f"track {track!r} does not exist")
            rows = conn.execute(
                self._latest_query().where(subjects.c.track == track).order_by(subjects.c.name)
            )
            return int(revision), [self._view(row) for row in rows]

    def get_latest(self, track: str, name: str) -> SubjectView | None:
        with self._read("reading a subject") as conn:
            return self._latest_in(conn, track, name)

    def _latest_in(self, conn: Connection, track: str, name: str) -> SubjectView | None:
        row = conn.execute(
            self._latest_query().where(subjects.c.track == track, subjects.c.name == name)
        ).first()
        return None if row is None else self._view(row)

    def list_versions(self, track: str, name: str, *, include_deleted: bool = False) -> list[Version]:
        query = self._version_query().where(subjects.c.track == track, subjects.c.name == name)
        if not include_deleted:
            query = query.where(versions.c.deleted_at.is_(None))
        with self._read("listing versions") as conn:
            return [self._version(row) for row in conn.execute(query.order_by(versions.c.seq))]

    def get_version(self, track: str, name: str, version: str) -> Version | None:
        query = self._version_query().where(
            subjects.c.track == track,
            subjects.c.name == name,
            versions.c.version == version,
            versions.c.deleted_at.is_(None),
        )
        with self._read("reading a version") as conn:
            row = conn.execute(query).first()
            return None if row is None else self._version(row)

    @staticmethod
    def _schema(row: Row[Any]) -> StoredSchema:
        return StoredSchema(int(row.id), row.sha256, row.canonical.encode("utf-8"))

    def get_schema(self, schema_id: int) -> StoredSchema | None:
        found = self.get_schemas([schema_id])
        return found.get(schema_id)

    def get_schemas(self, schema_ids: Sequence[int]) -> dict[int, StoredSchema]:
        if not schema_ids:
            return {}
        with self._read("reading schemas") as conn:
            rows = conn.execute(select(schemas).where(schemas.c.id.in_(list(set(schema_ids)))))
            return {int(row.id): self._schema(row) for row in rows}

    def get_schema_by_sha(self, sha256: str) -> StoredSchema | None:
        with self._read("reading a schema") as conn:
            row = conn.execute(select(schemas).where(schemas.c.sha256 == sha256)).first()
            return None if row is None else self._schema(row)

    def events(self, after: int, limit: int) -> list[OutboxEvent]:
        query = select(outbox).where(outbox.c.id > after).order_by(outbox.c.id).limit(max(limit, 0))
        with self._read("reading events") as conn:
            return [self._event(row) for row in conn.execute(query)]

    @staticmethod
    def _event(row: Row[Any]) -> OutboxEvent:
        payload = {**row.payload, "event_id": int(row.id)}
        return OutboxEvent(int(row.id), row.type, row.track, row.name, payload, row.created_at)

    # -- writes ------------------------------------------------------------------------------------
    def _append_event(
        self, conn: Connection, kind: EventType, track: str, name: str, payload: dict[str, Any], now: datetime
    ) -> OutboxEvent:
        result = conn.execute(
            outbox.insert().values(type=kind, track=track, name=name, payload=payload, created_at=now)
        )
        event_id = _inserted_id(result)
        conn.execute(tracks.update().where(tracks.c.track == track).values(revision=event_id))
        return OutboxEvent(event_id, kind, track, name, {**payload, "event_id": event_id}, now)

    def _schema_id(self, conn: Connection, new: NewVersion, now: datetime) -> int:
        insert = pg_insert if self._dialect == "postgresql" else sqlite_insert
        conn.execute(
            insert(schemas)
            .values(sha256=new.sha256, canonical=new.canonical.decode("utf-8"), created_at=now)
            .on_conflict_do_nothing(index_elements=["sha256"])
        )
        return int(conn.execute(select(schemas.c.id).where(schemas.c.sha256 == new.sha256)).scalar_one())

    def publish(self, new: NewVersion, now: datetime) -> tuple[SubjectView, OutboxEvent]:
        with self._write(f"publishing {new.track}/{new.name}") as conn:
            if conn.execute(select(tracks.c.track).where(tracks.c.track == new.track)).first() is None:
                raise TrackNotFound(f"track {new.track!r} does not exist")
            subject = conn.execute(
                select(subjects.c.id, subjects.c.created_at)
                .where(subjects.c.track == new.track, subjects.c.name == new.name)
                .with_for_update()
            ).first()
            previous = self._latest_in(conn, new.track, new.name)
            if (previous.latest.version if previous else None) != new.expected_previous:
                raise ConcurrentModification(f"{new.track}/{new.name} changed while publishing")
            schema_id = self._schema_id(conn, new, now)
            if subject is None:
                created = conn.execute(
                    subjects.insert().values(
                        track=new.track, name=new.name, state="active", created_at=now, updated_at=now
                    )
                )
                subject_id, created_at = _inserted_id(created), now
            else:
                subject_id, created_at = int(subject.id), subject.created_at
                taken = conn.execute(
                    select(versions.c.id).where(
                        versions.c.subject_id == subject_id, versions.c.version == new.version
                    )
                ).first()
                if taken is not None:
                    raise InvalidVersion(f"{new.track}/{new.name} already has version {new.version}")
                conn.execute(
                    subjects.update()
                    .where(subjects.c.id == subject_id)
                    .values(state="active", deprecated_reason=None, updated_at=now)
                )
            seq = (
                int(
                    conn.execute(
                        select(func.coalesce(func.max(versions.c.seq), 0)).where(
                            versions.c.subject_id == subject_id
                        )
                    ).scalar_one()
                )
                + 1
            )
            conn.execute(
                versions.insert().values(
                    subject_id=subject_id, version=new.version, seq=seq, schema_id=schema_id,
                    classification=new.classification, forced=new.forced, created_at=now,
                )
            )  # fmt: skip
            previous_version = previous.latest if previous else None
            payload = published_payload(new, schema_id, previous_version, now)
            event = self._append_event(conn, PUBLISHED, new.track, new.name, payload, now)
            version = Version(
                new.track,
                new.name,
                new.version,
                seq,
                schema_id,
                new.sha256,
                new.classification,
                new.forced,
                now,
            )
            view = SubjectView(Subject(new.track, new.name, "active", None, created_at, now), version)
            return view, event

    def deprecate(
        self, track: str, name: str, reason: str, now: datetime
    ) -> tuple[SubjectView, OutboxEvent | None]:
        with self._write(f"deprecating {track}/{name}") as conn:
            if conn.execute(select(tracks.c.track).where(tracks.c.track == track)).first() is None:
                raise TrackNotFound(f"track {track!r} does not exist")
            view = self._latest_in(conn, track, name)
            if view is None:
                raise SubjectNotFound(f"no subject {track}/{name}")
            if view.subject.state == "deprecated":
                return view, None
            conn.execute(
                subjects.update()
                .where(subjects.c.track == track, subjects.c.name == name)
                .values(state="deprecated", deprecated_reason=reason, updated_at=now)
            )
            event = self._append_event(
                conn, DEPRECATED, track, name, deprecated_payload(view.latest, reason, now), now
            )
            subject = Subject(track, name, "deprecated", reason, view.subject.created_at, now)
            return SubjectView(subject, view.latest), event


def _inserted_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and explicit BEGIN so write transactions can be IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module; the "begin" hook below issues BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


__all__ = ["SQLITE_FILE_NAME", "SqlSchemaStorage", "normalize_url", "sqlite_url"]
