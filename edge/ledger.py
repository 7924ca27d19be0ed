"""The ledger: one SQLite file in WAL mode, schema owned by Alembic; durable before told.

Two engines share the file: `writer` begins every transaction with BEGIN IMMEDIATE (one
writer at a time, so the journal's seq is gap-free), `reader` uses deferred transactions
that never wait for the writer (WAL). Both sync every commit (FULL).

The units of work (every lane command, device and sync change) take turns on one connection
of their own, which commits without the sync (NORMAL: SQLite stays consistent through a
crash) and makes the commit durable with one `fdatasync` of the WAL (`WalSync`) before
anything is told of it: the unit's caller, its listeners, HQ. A lone unit syncs before its
commit returns, as FULL would. A group (the lane's writer thread) is synced while the writer
runs the next group, so that a sale's sync no longer holds up the next sale's work. The cost:
another connection of this node may read a commit before it is durable, until its sync (a
fraction of a millisecond, behind any group still waiting for its own). A change that rests on
what it read is itself only told after its own sync, which covers the earlier commit (the WAL
is written in order); only a read's answer could show a change that a power cut in that
moment then loses, and that change's own lane was not yet told of it. What leaves the store
(the journal rows published to HQ, the journal export) waits for `make_durable` first.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from edge import journal
from edge.errors import (
    LedgerClosed,
    LedgerCorrupt,
    LedgerForeign,
    LedgerMissing,
    LedgerSyncFailed,
    TransactionLost,
)

MIGRATIONS = "edge:migrations"
log = logging.getLogger("storenode.ledger")


def _configure(dbapi_connection: sqlite3.Connection, busy_timeout_ms: int, cache_kib: int) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun explicitly
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={busy_timeout_ms}",
        f"PRAGMA cache_size=-{cache_kib}",
    ):
        cursor.execute(pragma)
    cursor.close()


_fdatasync = os.fdatasync  # by name, so that a test can stand in for a failing disk


class WalSync:
    """Durability for the units of work's connection, which commits with synchronous=NORMAL:
    its commits are numbered, and `sync` makes those up to a number durable with one
    `fdatasync` of the WAL file (the data SQLite's FULL commit would have synced itself).
    Whoever needs a commit durable syncs; a caller whose commit another's sync covered
    returns at once. A failed fdatasync fails every later sync of a commit not yet durable:
    what the disk dropped is not known (Linux may mark the pages it could not write clean),
    so the ledger takes no more changes (a restart recovers what the disk holds)."""

    def __init__(self, committed: Callable[[], None] = lambda: None, failed: Callable[[], None] = lambda: None) -> None:
        self._committed = committed  # after each commit returns (the checkpointer's cue)
        self._failed = failed  # once, when a sync fails
        self._state = threading.Condition(threading.Lock())
        self.begun = 0  # commits issued: a commit's number is taken before SQLite writes its frames
        self.written = 0  # commits returned (their frames are in the WAL file, or they failed)
        self.synced = 0  # commits durable
        self._syncing = threading.Lock()  # one fdatasync at a time
        self._fd: int | None = None  # the WAL file, open while the units of work's connection is
        self.path = ""
        self.failed: OSError | None = None

    def attach(self, db: sqlite3.Connection) -> None:
        """Sync the WAL of `db` from now on: the file SQLite writes, as SQLite names it (a
        ledger reached through a symlink has its WAL beside the file the link points at). The
        file stays open: the WAL is only removed when the last connection closes."""
        path = f"{db.execute('PRAGMA database_list').fetchone()[2]}-wal"
        fd = os.open(path, os.O_RDONLY)
        with self._syncing:
            old, self._fd, self.path = self._fd, fd, path
        if old is not None:
            os.close(old)

    def detach(self) -> None:
        with self._syncing:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def commit(self, db: sqlite3.Connection) -> int:
        """Commit `db`'s transaction; the commit's number (for `sync`)."""
        with self._state:
            self.begun += 1
            number = self.begun
        try:
            db.commit()
        finally:
            with self._state:
                self.written = number  # the turn serialises commits: they return in order
                self._state.notify_all()
        try:
            self._committed()
        except Exception:  # the commit stands; a checkpoint is only later
            log.exception("after a commit of the ledger")
        return number

    def sync(self, upto: int | None = None) -> None:
        """Make commits up to `upto` durable (default: every commit issued so far, as a reader
        that may have seen any of them needs)."""
        with self._state:
            target = self.begun if upto is None else upto
            if self.synced >= target:
                return
            while self.written < target:  # a commit still writing its frames
                self._state.wait()
        with self._syncing:
            if self.synced >= target:
                return  # another caller's sync covered it
            if self.failed is not None:
                raise LedgerSyncFailed(self.failed)
            if self._fd is None:
                raise LedgerClosed()
            covered = self.written
            try:
                _fdatasync(self._fd)
            except OSError as err:
                self.failed = err
                log.critical("the ledger's WAL %s could not be synced: %s; no more changes are taken", self.path, err)
            else:
                self.synced = max(self.synced, covered)
                return
        self._failed()
        raise LedgerSyncFailed(self.failed)

    def check(self) -> None:
        """Refuse a change once a sync has failed."""
        if self.failed is not None:
            raise LedgerSyncFailed(self.failed)


class Checkpointer:
    """Copies the WAL into the ledger file (a PASSIVE checkpoint, beside any writer) on a thread
    of its own, a moment after the units of work commit. SQLite would otherwise do it inside
    the commit that crosses 1,000 WAL pages: about every 40 sales, one of them waited some 12 ms
    for pages to be copied and synced, and the lane's writer with it."""

    GATHER_S = 0.1  # commits gathered into one checkpoint
    OUTGROWN_PAGES = 8000  # a commit checkpoints in SQLite's way only past this (32 MB of WAL)

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._due = threading.Event()
        self._halt = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def cue(self) -> None:
        if self._due.is_set():
            return
        self._due.set()
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stopped:
                    self._thread = threading.Thread(target=self._run, name="ledger-checkpoints", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            self._due.wait()
            if self._halt.wait(self.GATHER_S):
                return
            self._due.clear()
            try:
                self._ledger.checkpoint()
            except Exception as err:  # the next commit cues another; SQLite's own remains past OUTGROWN_PAGES
                log.warning("checkpoint of the ledger's WAL failed: %s", err)

    def halt(self) -> None:
        """No checkpoint from now on (the one under way, if any, ends)."""
        with self._lock:
            self._stopped = True
        self._halt.set()
        self._due.set()

    def stop(self) -> None:
        self.halt()
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(10)


class _UnitOwned:
    """The units of work's connection as their ORM session sees it: the unit of work begins,
    commits and rolls back the transaction (or its savepoint, in a group); the session's own
    commit and rollback leave it alone, so a session can never end a group's transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        object.__setattr__(self, "_db", db)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._db, name, value)

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass


def _make_engine(path: Path, busy_timeout_ms: int, begin: str, cache_kib: int = 2000) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        pool_size=8,
        max_overflow=16,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        _configure(dbapi_connection, busy_timeout_ms, cache_kib)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)

    return engine


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    return config


def _check_file(path: Path, init: bool) -> None:
    if not path.exists():
        if init:
            path.parent.mkdir(parents=True, exist_ok=True)
            return
        raise LedgerMissing(
            f"no ledger at {path}: refusing to start a new, empty store by accident; "
            "check [ledger] path, restore a backup, or start with --init to create one"
        )
    try:
        probe = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
        try:
            result = probe.execute("PRAGMA quick_check(1)").fetchone()
            tables = {row[0] for row in probe.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            probe.close()
    except sqlite3.DatabaseError as err:
        raise LedgerCorrupt(
            f"ledger {path} cannot be read ({err}): restore it from a backup or move it away; "
            "the node will not overwrite it"
        ) from err
    if result is None or result[0] != "ok":
        raise LedgerCorrupt(f"ledger {path} failed its integrity check ({result}): restore it from a backup")
    if "alembic_version" not in tables and not init:
        raise LedgerMissing(
            f"{path} is a SQLite file but not a storenode ledger; start with --init to make it one"
        )


class Ledger:
    """Owns the two engines on the ledger file; built once by the composition root."""

    def __init__(self, path: Path, busy_timeout_ms: int = 5000) -> None:
        self.path = path
        # The writer keeps more of the B-trees in memory: big imports touch many index pages.
        self.writer = _make_engine(path, busy_timeout_ms, "BEGIN IMMEDIATE", cache_kib=65536)
        self.reader = _make_engine(path, busy_timeout_ms, "BEGIN")
        # SQLite has one writer. Units of work in this process queue here, where the next one
        # wakes the moment the last commits, instead of in SQLite's busy handler, which polls
        # with sleeps of up to 100 ms (four lanes completing at once waited on each other's naps).
        self.write_turn = threading.Lock()  # one unit of work at a time, never nested (UnitOfWork refuses)
        self.busy_timeout_s = busy_timeout_ms / 1000
        self._busy_timeout_ms = busy_timeout_ms
        # Units of work take their turn on one sqlite3 connection of their own (the turn above
        # serialises them), without SQLAlchemy's session and pool: a sale's completion spent a
        # fifth of its CPU in that bookkeeping. An ORM session over the same connection and
        # transaction is made only for a unit of work that asks for one.
        self._turn_db: sqlite3.Connection | None = None
        self._turn_engine: Engine | None = None
        self._turn_owner: int | None = None  # the thread whose unit of work has the turn
        self._closed = False  # disposed: no unit of work begins (a lane command still queued answers 503)
        self._deadlines = threading.local()  # per thread: when a queued request stops waiting
        self._groups = threading.local()  # per thread: the group its units of work join
        self._commit_listeners: list[Callable[[], None]] = []
        event.listen(self.writer, "commit", self._writer_committed)
        self._checkpointer = Checkpointer(self)
        # The units of work's commits, made durable; after a failed sync nothing more is
        # written: no checkpoint copies pages of unknown state, no other engine commits.
        self.wal = WalSync(self._checkpointer.cue, self._checkpointer.halt)
        event.listen(self.writer, "begin", lambda _conn: self.wal.check())
        self._unsettled = 0  # groups committed whose sync and listeners are still to come
        self._settled = threading.Condition(threading.Lock())

    @classmethod
    def open(
        cls, path: Path, *, store_id: str, init: bool = False, busy_timeout_ms: int = 5000
    ) -> Ledger:
        """Check, migrate to the newest schema and bind the ledger to its store."""
        _check_file(path, init)
        ledger = cls(path, busy_timeout_ms)
        try:
            ledger.migrate()
            ledger._bind_store(store_id)
        except Exception:
            ledger.dispose()
            raise
        return ledger

    def migrate(self) -> None:
        with self.writer.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")

    def schema_revision(self) -> str | None:
        with self.reader.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    @staticmethod
    def head_revision() -> str | None:
        return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()  # type: ignore[arg-type]

    def _bind_store(self, store_id: str) -> None:
        with self.writer.begin() as conn:
            row = conn.exec_driver_sql("SELECT value FROM node_state WHERE key = 'store_id'").first()
            if row is None:
                conn.exec_driver_sql(
                    "INSERT INTO node_state (key, value) VALUES ('store_id', ?)", (store_id,)
                )
            elif row[0] != store_id:
                raise LedgerForeign(
                    f"ledger {self.path} belongs to store {row[0]!r}, but the config says "
                    f"store.id = {store_id!r}: fix the config or point [ledger] path at this store's file"
                )

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)

    def turn_connection(self) -> sqlite3.Connection:
        """The units of work's connection (call with the write turn held)."""
        if self._closed:
            raise LedgerClosed()
        self.wal.check()
        if self._turn_db is None:
            db = sqlite3.connect(self.path, timeout=self.busy_timeout_s, check_same_thread=False)
            _configure(db, self._busy_timeout_ms, cache_kib=65536)
            db.execute("PRAGMA synchronous=NORMAL")  # the WAL is synced by `wal` before anyone is told
            # Only BEGIN IMMEDIATE ever waits on this connection, and it sets its own patience
            # when it must (`begin_immediate`): first it tries at once, which the event loop needs.
            db.execute("PRAGMA busy_timeout=0")
            self.wal.attach(db)
            # Checkpoints run on the checkpointer's thread, beside the units of work; SQLite's own,
            # in a commit, only when the WAL outgrows that (a commit waits for it to be copied).
            db.execute(f"PRAGMA wal_autocheckpoint={Checkpointer.OUTGROWN_PAGES}")
            # A savepoint keeps the pages it may have to restore in a statement journal: in
            # memory, not in a temporary file created for every unit of a group (0.25 ms each).
            db.execute("PRAGMA temp_store=MEMORY")
            engine = create_engine(
                "sqlite://", creator=lambda: _UnitOwned(db), poolclass=StaticPool, pool_reset_on_return=None,
            )
            with engine.connect():
                pass  # SQLAlchemy's first connect reads the dialect and rolls back: not inside a unit of work
            # Should SQLAlchemy ever give the connection up (an error it deems fatal), the next
            # unit of work opens a new one instead of finding this one closed.
            event.listen(engine, "invalidate", lambda *_: self._forget_turn_connection(db))
            self._turn_db, self._turn_engine = db, engine
        return self._turn_db

    def _forget_turn_connection(self, db: sqlite3.Connection) -> None:
        if self._turn_db is db:
            self._turn_db = self._turn_engine = None
            with suppress(LedgerSyncFailed, LedgerClosed):  # what it committed, before its WAL is let go
                self.wal.sync()

    @contextmanager
    def deadline(self, at: float) -> Iterator[None]:
        """Units of work this thread begins inside wait for their turn until `at` (monotonic
        seconds) at most: a request queued for the lane's writer thread keeps the patience it
        had when it came, instead of starting a new busy timeout when its turn comes."""
        self._deadlines.at = at
        try:
            yield
        finally:
            self._deadlines.at = None

    def patience(self) -> float:
        """Seconds a unit of work beginning now may wait for the ledger."""
        at: float | None = getattr(self._deadlines, "at", None)
        return self.busy_timeout_s if at is None else min(self.busy_timeout_s, at - time.monotonic())

    def turn_session(self) -> Session:
        """An ORM session on the units of work's connection, in the transaction already begun there."""
        self.turn_connection()
        assert self._turn_engine is not None
        return Session(self._turn_engine, expire_on_commit=False)

    def _group_here(self) -> Group | None:
        group: Group | None = getattr(self._groups, "group", None)
        return group

    @contextmanager
    def grouped(self, settle_later: bool = False, at_once: bool = False, hand_over: bool = False) -> Iterator[Group]:
        """Units of work this thread begins inside share one transaction, committed when the
        block ends: one commit (one sync, one pass of the WAL) for several commands, as the
        lane's writer thread runs the commands that queued while it was busy. Each unit is a
        savepoint: a unit that fails undoes only itself. Nothing of the group is visible to
        another connection before the block ends; a failed commit raises there, and every unit
        of the group is then undone. What must only follow a durable change (telling the lanes,
        waking the printer) goes through `after_commit`.

        The group is settled (made durable, then its listeners told) when the block ends, or,
        with `settle_later`, by the caller's `group.settle()` on another thread: the lane's
        writer begins the next group meanwhile.

        `at_once`: take the write turn and begin the transaction now, or raise `TurnTaken` at
        once if another thread or process holds either (the caller must not wait: the lane's
        event loop, which hands its commands to the writer thread then).

        `hand_over` (with `settle_later`): the block ends with the transaction still open and
        the write turn still taken; the caller's `group.finish()`, on another thread, commits
        and gives the turn back (the lane's event loop serves on while SQLite writes)."""
        if self._group_here() is not None or self._turn_owner == threading.get_ident():
            raise RuntimeError("a group of units of work was begun inside another, or inside a unit of work")
        if hand_over and not settle_later:
            raise ValueError("a group handed over is settled later, by whoever finishes it")
        group = Group(self)
        self._groups.group = group
        try:
            if at_once:
                self._begin_at_once(group)
            yield group
            db = group.db
            if db is not None:
                if group.broken or not db.in_transaction:
                    raise TransactionLost()
                if not group.wrote:  # begun at once, every unit undone or read only: nothing to commit, or sync
                    db.rollback()
                    db = None
            if db is not None:
                if hand_over:
                    group.handed = True
                else:
                    group.commit_number = self.wal.commit(db)
                if settle_later:
                    with self._settled:
                        self._unsettled += 1
                    group.awaited = True
        except BaseException:
            group.handed = False  # nothing to hand over: the turn is given back below
            if group.db is not None and group.db.in_transaction:
                group.db.rollback()
            raise
        finally:
            self._groups.group = None
            if group.holds_turn:
                self._turn_owner = None
                if not group.handed:
                    group.holds_turn = False
                    self.write_turn.release()
        if not settle_later:
            group.settle()

    def _begin_at_once(self, group: Group) -> None:
        """Take the write turn and BEGIN IMMEDIATE for `group` without waiting (`TurnTaken`)."""
        if not self.write_turn.acquire(blocking=False):
            raise TurnTaken()
        self._turn_owner = threading.get_ident()
        group.holds_turn = True  # released where the group ends
        db = self.turn_connection()
        if db.in_transaction:  # left open by a unit whose clean-up failed: nothing of it was committed
            log.warning("the ledger's unit-of-work connection was left in a transaction: rolled back")
            db.rollback()
        self.begin_immediate(db, wait=False)
        group.db = db  # every unit of the group is a savepoint in it

    def begin_immediate(self, db: sqlite3.Connection, *, wait: bool) -> None:
        """BEGIN IMMEDIATE on the units' connection (its busy timeout is 0: at once, or SQLITE_BUSY
        while another process writes). `wait`: then wait as long as `patience()` allows (a
        locked OperationalError after it), else raise `TurnTaken` at once."""
        try:
            db.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as err:
            if not _busy(err):
                raise
            if not wait:
                raise TurnTaken() from err
        patience = self.patience()
        if patience <= 0:
            raise _locked()
        db.execute(f"PRAGMA busy_timeout={max(1, int(patience * 1000))}")
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            if _busy(err):
                raise _locked() from err
            raise
        finally:
            db.execute("PRAGMA busy_timeout=0")

    def wait_settled(self, timeout_s: float) -> bool:
        """Wait until every group committed so far is settled (durable, listeners told): before
        the devices stop, so that a cash sale's drawer still opens. False if `timeout_s` ran out."""
        with self._settled:
            return self._settled.wait_for(lambda: self._unsettled == 0, timeout_s)

    def _group_settled(self) -> None:
        with self._settled:
            self._unsettled -= 1
            self._settled.notify_all()

    def make_durable(self, upto: int | None = None) -> None:
        """Make what the units of work committed durable (up to a commit's number; default:
        all so far), before it is told to anyone beyond this node (`WalSync`)."""
        self.wal.sync(upto)

    def after_commit(self, listeners: Sequence[Callable[..., None]], *args: Any) -> None:
        """Tell `listeners` (each called with `args`) once what this thread committed is durable:
        now, or, inside a group, after the group commits (never, if its commit fails). A
        listener's failure is logged, never raised: the change stands (a printer or a drawer
        is a side effect)."""
        group = self._group_here()
        if group is None or group.db is None:
            _tell(listeners, args)
        else:
            group.after.append(lambda: _tell(listeners, args))

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call `listener` after each write transaction of this process commits."""
        self._commit_listeners.append(listener)

    def remove_on_commit(self, listener: Callable[[], None]) -> None:
        self._commit_listeners.remove(listener)

    def _writer_committed(self, _conn: Connection) -> None:
        self.committed()

    def committed(self) -> None:
        for listener in list(self._commit_listeners):
            try:
                listener()
            except Exception:  # the transaction is durable: a listener's failure must not make it look failed
                log.exception("commit listener %r failed", listener)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session that sees one consistent snapshot."""
        with Session(self.reader) as session:
            yield session

    def checkpoint(self) -> tuple[int, int]:
        """Copy what the WAL holds into the ledger file now, beside any writer (PASSIVE): run
        while the lanes are quiet, so that a scan seldom crosses SQLite's checkpoint size and
        waits for megabytes to be copied and synced. (WAL frames, frames copied.)"""
        with self.reader.connect() as conn:
            row = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").first()
        return (0, 0) if row is None else (int(row[1]), int(row[2]))

    def last_seq(self) -> int:
        with self.reader.connect() as conn:
            return journal.head(driver(conn))[0]

    def dispose(self) -> None:
        self._checkpointer.stop()
        self.writer.dispose()
        self.reader.dispose()
        with self.write_turn:  # after the unit of work or group that has it
            self._closed = True
            if self._turn_db is not None:
                with suppress(LedgerSyncFailed):  # logged; the group's commands answer it too
                    self.wal.sync()  # a group's commit still to be settled
            self.wal.detach()
            if self._turn_engine is not None:
                self._turn_engine.dispose()
                self._turn_engine = None
            if self._turn_db is not None:
                self._turn_db.close()
                self._turn_db = None


def _tell(listeners: Sequence[Callable[..., None]], args: tuple[Any, ...]) -> None:
    for listener in listeners:
        try:
            listener(*args)
        except Exception:  # the change is durable: a listener's failure must not make it look failed
            log.exception("listener %r failed", listener)


def driver(conn: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under a SQLAlchemy one, in the same transaction."""
    raw: Any = conn.connection.driver_connection
    if isinstance(raw, _UnitOwned):
        raw = raw._db  # a unit of work's session: its transaction is the unit's to end
    return typing.cast(sqlite3.Connection, raw)


class Group:
    """Units of work that one thread runs one after another, in one transaction: each in a
    savepoint of its own (a unit that fails undoes only itself), the transaction committed once
    at the end (`Ledger.grouped`). Its listeners (`Ledger.after_commit`) run once that commit
    is durable (`settle`)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._settled = False
        self.awaited = False  # committed, to be settled later: `Ledger.wait_settled` waits for it
        self.commit_number = 0  # WalSync's number of the group's commit; 0: nothing committed
        self.holds_turn = False
        self.in_unit = False
        self.db: sqlite3.Connection | None = None  # the connection, once the transaction is begun
        self.wrote = False  # a unit committed its savepoint
        self.broken = False  # a unit's savepoint could not be undone
        self.after: list[Callable[[], None]] = []
        self.handed = False  # its commit is left to `finish`, on another thread

    def finish(self) -> None:
        """Commit a group handed over (`Ledger.grouped(hand_over=True)`), then give the write
        turn back. If the commit fails, or an earlier group's sync has failed (the ledger takes
        no more changes), it is rolled back, raises here, and the group's listeners are never
        told (`settle` then only counts it settled)."""
        ledger, db = self._ledger, self.db
        assert self.handed and db is not None
        try:
            ledger.wal.check()  # an earlier group's sync failed: the ledger takes no more changes
            self.commit_number = ledger.wal.commit(db)
        except BaseException:
            self.after, self.wrote = [], False
            if db.in_transaction:
                db.rollback()
            raise
        finally:
            self.handed = self.holds_turn = False
            ledger.write_turn.release()

    def settle(self) -> None:
        """Make the group's commit durable, then tell its listeners (LedgerSyncFailed, and
        nobody told, if the disk does not confirm it). Once only."""
        settled, self._settled = self._settled, True
        if settled:
            return
        try:
            if self.commit_number:
                self._ledger.make_durable(self.commit_number)
            if self.wrote:
                self._ledger.committed()
            for tell in self.after:
                tell()
        finally:
            if self.awaited:
                self._ledger._group_settled()


class UnitOfWork:
    """One write transaction: rolls back unless `commit()` is called, and ends there. Plain SQL
    goes through `db`; `session` (an ORM session in the same transaction) is made on first use.
    Not inside another on the same thread (they would share one connection). Inside a group
    (`Ledger.grouped`) it is a savepoint of the group's transaction instead."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._committed = False
        self._db: sqlite3.Connection | None = None
        self._session: Session | None = None
        self._group: Group | None = None

    def __enter__(self) -> UnitOfWork:
        ledger = self._ledger
        group = ledger._group_here()
        if ledger._turn_owner == threading.get_ident() and (group is None or group.in_unit):
            raise RuntimeError("a unit of work was begun inside another on the same thread: finish the first one")
        if group is not None and group.holds_turn:
            if ledger.patience() <= 0:  # queued behind the group for longer than it may wait
                raise _locked()
        else:
            # Each waiter gets the same patience SQLite would give it, not a turn behind all the
            # others: a writer outside this process (an import) must not stall requests end to end.
            patience = ledger.patience()
            if patience <= 0 or not ledger.write_turn.acquire(timeout=patience):
                raise _locked()
            ledger._turn_owner = threading.get_ident()
            if group is not None:
                group.holds_turn = True  # until the group ends
        if group is not None:
            group.in_unit = True
        self._group = group
        self._committed = False
        self._db = None
        self._session = None
        self._savepoint = False  # in a group, after another unit began its transaction
        self._last: tuple[int, str] | None = None  # the journal row this unit appended last
        return self

    @property
    def db(self) -> sqlite3.Connection:
        """This transaction's sqlite3 connection, for plain SQL where a statement runs on every
        sale or scan: SQLAlchemy's bookkeeping costs more than a small statement does."""
        if self._db is None:
            self._begin()
        assert self._db is not None
        return self._db

    def _begin(self) -> None:
        if self._committed:
            raise RuntimeError("this unit of work has committed: begin another")
        group = self._group
        if group is not None and group.db is not None:
            if not group.db.in_transaction:
                raise TransactionLost()
            group.db.execute("SAVEPOINT unit")
            self._db = group.db
            self._savepoint = True
            return
        db = self._ledger.turn_connection()
        if db.in_transaction:  # left open by a unit whose clean-up failed: nothing of it was committed
            log.warning("the ledger's unit-of-work connection was left in a transaction: rolled back")
            db.rollback()
        self._ledger.begin_immediate(db, wait=True)
        if group is not None:
            group.db = db  # the group's transaction: this unit is alone in it, so needs no savepoint
        self._db = db

    @property
    def session(self) -> Session:
        """An ORM session in this transaction."""
        if self._session is None:
            if self._db is None:
                self._begin()  # the transaction the session joins
            self._session = self._ledger.turn_session()
        return self._session

    def journal(self, kind: str, data: dict[str, Any], at: datetime | None = None) -> journal.JournalEntry:
        """Append a journal row in this transaction (all of its rows go through here, in turn),
        dated `at` (default: now)."""
        entry = journal.append(self.db, kind, data, at, last=self._last)
        self._last = (entry.seq, entry.hash)
        return entry

    def commit(self) -> None:
        """Commit this unit: its transaction, or, in a group, its savepoint (durable when the
        group commits)."""
        if self._session is not None:
            self._session.commit()  # flushes (the transaction is this unit's to end, below)
        db, group = self._db, self._group
        if db is not None:
            if not db.in_transaction:  # SQLite rolled it back by itself, after an error
                raise TransactionLost()
            if group is not None:
                if self._savepoint:
                    db.execute("RELEASE unit")
                group.wrote = True
            else:
                self._ledger.make_durable(self._ledger.wal.commit(db))
        self._committed = True
        if db is not None and group is None:
            self._ledger.committed()
        self._db = None  # ended: `db` and `session` refuse from here on
        if self._session is not None:
            self._session.close()
            self._session = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, db, group = self._session, self._db, self._group
        self._session = self._db = None
        self._committed = True  # whatever happened, this unit is over
        try:
            if session is not None:
                try:
                    session.rollback()
                finally:
                    session.close()
        finally:
            try:
                if db is not None and group is not None and not self._savepoint:
                    group.db = None  # it began the group's transaction, alone: the next unit begins anew
                    if db.in_transaction:
                        db.rollback()
                elif db is not None and db.in_transaction:
                    if group is None:
                        db.rollback()
                    else:
                        try:
                            db.execute("ROLLBACK TO unit")
                            db.execute("RELEASE unit")
                        except BaseException:
                            group.broken = True  # what the transaction holds is not known: the group rolls back
                            raise
            finally:
                if group is not None:
                    group.in_unit = False  # the turn stays with the group
                else:
                    self._ledger._turn_owner = None
                    self._ledger.write_turn.release()


class TurnTaken(Exception):
    """The ledger's write turn is held (by another thread, or SQLite's write lock by another
    process) and the caller asked not to wait (`Ledger.grouped(at_once=True)`)."""


def _busy(err: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED, with any extended code (SQLITE_BUSY_RECOVERY: another
    process recovering the WAL)."""
    return (err.sqlite_errorcode & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _locked() -> OperationalError:
    return OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
