"""The database: one engine per app, one session per request or command.

Operations only flush; the request commits once, in one place (after_request, for any
response below 400), so a failed request rolls back whole.
"""

from __future__ import annotations

import select
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from flask import Flask, current_app, g
from psycopg.pq import ConnStatus
from sqlalchemy import JSON, DateTime, MetaData, String, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database: use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class FractionType(TypeDecorator):
    """An exact score, kept as 'numerator/denominator' text: 1/3 of a mark stays 1/3."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Fraction | int | None, dialect: Any) -> str | None:
        if value is None:
            return None
        value = Fraction(value)
        return f"{value.numerator}/{value.denominator}"

    def process_result_value(self, value: str | None, dialect: Any) -> Fraction | None:
        return None if value is None else Fraction(value)


JSONType = JSON().with_variant(JSONB(), "postgresql")


def make_engine(url: str, *, autocommit: bool = False, prepared: bool = True) -> Engine:
    """The app's engine, or with `autocommit` (PostgreSQL only) a second, small pool whose
    connections stay in autocommit: for single reads that need no transaction, so that neither
    a transaction's begin and end nor switching a connection in and out of autocommit is paid
    on each.

    `prepared=False` (NAAS_DATABASE_PREPARED_STATEMENTS=0) stops psycopg preparing statements on
    the server, which it otherwise does for a statement run five times on a connection and for
    PreparedRead at once: behind PgBouncer in transaction mode the next transaction may run on
    another server connection, where that statement was never prepared."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    connect_args = {} if prepared else {"prepare_threshold": None}
    if autocommit:
        engine = create_engine(
            url,
            isolation_level="AUTOCOMMIT",
            pool_size=4,
            max_overflow=8,
            pool_reset_on_return=None,
            connect_args=connect_args,
        )  # no transaction to end
    else:
        engine = create_engine(url, pool_size=10, max_overflow=10, connect_args=connect_args)

    @event.listens_for(engine, "checkout")
    def _still_connected(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if _hung_up(dbapi_connection):
            raise DisconnectionError(
                "the database closed this connection"
            )  # the pool connects afresh

    return engine


def _hung_up(dbapi_connection: Any) -> bool:
    """Whether the server has closed a pooled connection (a restart, a terminated backend, an
    idle timeout), told without a round trip: a connection resting in the pool has nothing to
    read unless the server said goodbye, so a readable socket means it did. A ping (`SELECT 1`
    before every checkout) would cost a round trip on every request.

    Only a server that vanished without closing its sockets (a host lost mid-network) goes
    unseen here, as it would by a ping that waits for its timeout; the request then fails and
    the pool replaces the connection."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return False
    if dbapi_connection.closed or pgconn.status != ConnStatus.OK:
        return True
    readable, _, _ = select.select([pgconn.socket], [], [], 0)
    return bool(readable)


def init_app(app: Flask) -> None:
    url = app.config["NAAS_DATABASE_URL"]
    prepared = app.config.get("NAAS_DATABASE_PREPARED_STATEMENTS", True)
    engine = make_engine(url, prepared=prepared)
    app.extensions["naas.db"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["naas.engine"] = engine
    # Public certificate checks read on a pool of their own (see reading()).
    app.extensions["naas.read_engine"] = (
        engine if url.startswith("sqlite") else make_engine(url, autocommit=True, prepared=prepared)
    )

    @app.after_request
    def _commit(response):
        session: Session | None = g.get("db_session")
        if session is not None:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        return response

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["naas.db"]()
    return g.db_session


def engine() -> Engine:
    return current_app.extensions["naas.engine"]


session: Session = LocalProxy(get_session)  # type: ignore[assignment]


@contextmanager
def reading() -> Iterator[Connection]:
    """A connection for one read that changes nothing (a public certificate check): in
    autocommit, so it costs one round trip to the database instead of a transaction's three
    (begin, read, end). Not for anything that writes or reads twice and needs them to agree."""
    read_engine: Engine = current_app.extensions["naas.read_engine"]
    if read_engine is engine():  # SQLite: one engine, switched to autocommit for this read
        with read_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection
    else:  # PostgreSQL: a pool whose connections are always in autocommit
        with read_engine.connect() as connection:
            yield connection


class PreparedRead:
    """A select that the public checks run many times a second, for its first row.

    On a PostgreSQL connection (psycopg) its SQL, compiled once, goes through psycopg straight to a
    statement prepared on the server (a plain one where the engine prepares none: PgBouncer in
    transaction mode, see make_engine), and each value through its column's own result
    processor (so a UTCDateTime still comes back in UTC): this skips SQLAlchemy's
    per-execution work (the compiled-cache lookup, the execution context, result metadata
    built from the cursor's description), about a tenth of a check's processor time
    (docs/performance.md). Anywhere else (SQLite, a Session) it runs through SQLAlchemy.
    Either way the row reads by column name, like the model.

    Only for reads: a driver error is not SQLAlchemy's, but the pool's checkout test
    (`_hung_up`) still replaces a connection that the server closed."""

    def __init__(self, statement: Any):
        self.statement = statement
        self.row = namedtuple("Row", statement.selected_columns.keys())  # type: ignore[misc]
        self._compiled: tuple[str, tuple[Any, ...]] | None = None

    def first(self, runner: Session | Connection, params: dict[str, Any]) -> Any:
        if not (isinstance(runner, Connection) and runner.dialect.driver == "psycopg"):
            return runner.execute(self.statement, params).first()  # a Row: it reads by name too
        sql, processors = self._compiled or self._compile(runner)
        driver = runner.connection.driver_connection
        if driver is None:  # only once the connection is closed or invalidated
            raise RuntimeError("PreparedRead.first needs an open connection")
        prepare = driver.prepare_threshold is not None  # None: the engine prepares nothing
        with driver.cursor() as cursor:
            values = cursor.execute(sql, params, prepare=prepare).fetchone()
        if values is None:
            return None
        return self.row(
            *(
                value if process is None else process(value)
                for value, process in zip(values, processors, strict=True)
            )
        )

    def _compile(self, connection: Connection) -> tuple[str, tuple[Any, ...]]:
        dialect = connection.dialect
        processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in self.statement.selected_columns
        )
        self._compiled = str(self.statement.compile(dialect=dialect)), processors
        return self._compiled
