"""A commit of the units of work is durable before anyone is told of it, on a real ledger.

The units of work commit with synchronous=NORMAL and `WalSync` syncs the WAL itself. These
tests hold the real `fdatasync` of the WAL (the OS call, by a gate around it) to see what waits
for it, and make it fail as a failing disk would."""

from __future__ import annotations

import errno
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import edge.ledger
from edge.api import create_app
from edge.api.group_writer import GroupWriter
from edge.bootstrap import Node, build_node
from edge.catalog import import_catalog
from edge.errors import LedgerSyncFailed
from edge.ledger import Ledger, WalSync
from edge.settings import load_settings
from edge.sync_bridge import LedgerJournal
from pos.catalog import gtin13_with_check_digit
from pos.operators import Role
from tests.support.store import item_row, write_catalog, write_config

COLA = gtin13_with_check_digit("690000000001")


class _SyncGate:
    """The WAL's fdatasync, held while the gate is shut; counts the syncs that went through."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.open.set()
        self.waiting = threading.Event()
        self.synced: list[Path] = []
        self.fail: OSError | None = None
        self._real = edge.ledger._fdatasync

    def __call__(self, path: Path) -> None:
        self.waiting.set()
        assert self.open.wait(10)
        if self.fail is not None:
            raise self.fail
        self._real(path)
        self.synced.append(path)

    def shut(self) -> None:
        self.waiting.clear()
        self.open.clear()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[_SyncGate]:
    held = _SyncGate()
    monkeypatch.setattr(edge.ledger, "_fdatasync", held)
    yield held
    held.open.set()


@pytest.fixture
def writer() -> GroupWriter:
    return GroupWriter(name="test-writer")


def _fact(ledger: Ledger, n: int) -> Callable[[], int]:
    def command() -> int:
        with ledger.unit_of_work() as uow:
            entry = uow.journal("test.fact", {"n": n})
            uow.commit()
        ledger.after_commit([told.append], n)  # as the lane's services tell theirs
        return entry.seq
    return command


told: list[int] = []


@pytest.fixture(autouse=True)
def _nobody_told_yet() -> None:
    told.clear()


def _in_ledger(ledger: Ledger, seq: int) -> bool:
    """Whether another connection (as the manager page's) sees the row: the commit is done."""
    with ledger.reader.connect() as conn:
        return conn.exec_driver_sql("SELECT 1 FROM journal WHERE seq = ?", (seq,)).first() is not None


def _eventually(check: Callable[[], bool]) -> bool:
    for _ in range(500):
        if check():
            return True
        threading.Event().wait(0.01)
    return False


def test_the_units_of_work_commit_unsynced_and_sync_the_wal_themselves(node: Node) -> None:
    db = node.ledger.turn_connection()
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL: the sync is WalSync's
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_lone_unit_of_work_returns_from_commit_only_once_the_wal_is_synced(node: Node, gate: _SyncGate) -> None:
    before = node.ledger.last_seq()
    gate.shut()
    done: Future[int] = Future()
    threading.Thread(target=lambda: done.set_result(_fact(node.ledger, 1)())).start()
    assert gate.waiting.wait(10)
    assert _in_ledger(node.ledger, before + 1)  # committed, so another connection may read it...
    assert not done.done() and told == []  # ...but its caller is not answered nor anyone told
    gate.open.set()
    assert done.result(10) == before + 1
    assert told == [1]
    assert gate.synced and gate.synced[-1].name.endswith("-wal")


def test_a_group_is_answered_after_its_sync_while_the_writer_runs_the_next(
    node: Node, writer: GroupWriter, gate: _SyncGate
) -> None:
    before = node.ledger.last_seq()
    gate.shut()
    first = writer.submit(node.ledger, _fact(node.ledger, 1))
    assert gate.waiting.wait(10)  # its group committed and waits for the sync...
    second = writer.submit(node.ledger, _fact(node.ledger, 2))
    assert _eventually(lambda: _in_ledger(node.ledger, before + 2))  # ...while the writer commits the next one
    assert not first.done() and not second.done() and told == []
    gate.open.set()
    assert (first.result(10), second.result(10)) == (before + 1, before + 2)
    assert told == [1, 2]  # listeners in the order the groups committed


def test_rows_are_published_to_hq_only_once_durable(node: Node, gate: _SyncGate) -> None:
    before = node.ledger.last_seq()
    gate.shut()
    threading.Thread(target=_fact(node.ledger, 1)).start()
    assert gate.waiting.wait(10)
    published: Future[list[int]] = Future()
    threading.Thread(target=lambda: published.set_result(
        [row.seq for row in LedgerJournal(node.ledger).rows_after(before, 10)])).start()
    assert not _eventually_done(published)  # read, but held until the sync
    gate.open.set()
    assert published.result(10) == [before + 1]


def _eventually_done(future: Future[list[int]]) -> bool:
    try:
        future.result(0.3)
    except TimeoutError:
        return False
    return True


def test_a_failed_sync_tells_nobody_and_the_ledger_takes_no_more_changes(
    node: Node, writer: GroupWriter, gate: _SyncGate
) -> None:
    gate.fail = OSError(errno.EIO, "Input/output error")
    failed = writer.submit(node.ledger, _fact(node.ledger, 1))
    with pytest.raises(LedgerSyncFailed, match=r"did not confirm a write .*Input/output error.*restart the node"):
        failed.result(10)
    assert told == []  # no drawer opened, no lane told
    gate.fail = None
    with pytest.raises(LedgerSyncFailed, match="takes no more changes"):
        writer.submit(node.ledger, _fact(node.ledger, 2)).result(10)
    with pytest.raises(LedgerSyncFailed):
        _fact(node.ledger, 3)()
    with pytest.raises(LedgerSyncFailed):
        LedgerJournal(node.ledger).rows_after(0, 10)  # nothing more leaves the store either


def test_a_failed_sync_is_a_503_at_the_lane_and_nothing_is_told(tmp_path: Path, gate: _SyncGate) -> None:
    node = build_node(load_settings(write_config(tmp_path / "store")), init=True)
    try:
        node.operators.add("101", "Cashier 101", Role.CASHIER, "1357")
        import_catalog(node.ledger, write_catalog(tmp_path / "c.csv", [item_row("COLA", COLA, price="300")]))
        token = node.operators.login("101", "1357", 1).token
        node.shifts.open(str(uuid.uuid4()), 1, "101", 0)
        sale_id = str(uuid.uuid4())
        node.checkout.open_sale(sale_id, 1, "101")
        gate.fail = OSError(errno.EIO, "Input/output error")
        with TestClient(create_app(node)) as client:
            response = client.post(f"/api/v1/sales/{sale_id}/items", json={"code": COLA},
                                   headers={"authorization": f"Bearer {token}"})
        assert response.status_code == 503
        assert response.json()["error"] == "ledger_unavailable"
        assert "did not confirm a write (" in response.json()["message"]
        assert "restart the node" in response.json()["message"]
    finally:
        node.close()


def test_the_checkpointer_copies_the_wal_into_the_ledger_file_without_waiting_for_quiet(node: Node) -> None:
    path = node.ledger.path
    size = path.stat().st_size
    with node.ledger.unit_of_work() as uow:
        uow.db.execute("CREATE TABLE filler (body BLOB)")
        uow.db.execute("INSERT INTO filler VALUES (zeroblob(400000))")
        uow.commit()
    assert path.with_name(path.name + "-wal").stat().st_size > 400_000
    # the pages reach the ledger file (only a checkpoint writes there) soon: 100 pages, below
    # the 1,000 at which SQLite would have copied them inside the commit
    assert _eventually(lambda: path.stat().st_size > size + 400_000)


def test_a_sync_when_the_wal_is_gone_syncs_the_ledger_file(tmp_path: Path, gate: _SyncGate) -> None:
    """The last connection closing copies the WAL into the ledger file and removes it: what is
    still to be synced is then in the ledger file."""
    path = tmp_path / "plain.db"
    db = sqlite3.connect(path, isolation_level=None)  # a rollback journal: no WAL file at all
    sync = WalSync(tmp_path / "plain.db-wal")
    db.execute("BEGIN")
    db.execute("CREATE TABLE t (a)")
    number = sync.commit(db)
    sync.sync(number)
    db.close()
    assert gate.synced == [path]
    assert sync.synced == number
