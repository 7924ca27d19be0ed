"""A commit of the units of work is durable before anyone is told of it, on a real ledger.

The units of work commit with synchronous=NORMAL and `WalSync` syncs the WAL itself. These
tests hold the real `fdatasync` of the WAL (the OS call, by a gate around it) to see what waits
for it, and make it fail as a failing disk would."""

from __future__ import annotations

import errno
import os
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
from edge.ledger import Ledger
from edge.settings import load_settings
from edge.sync_bridge import LedgerJournal
from pos.catalog import gtin13_with_check_digit
from pos.operators import Role
from tests.support.store import item_row, write_catalog, write_config

COLA = gtin13_with_check_digit("690000000001")


class _SyncGate:
    """The WAL's fdatasync, held while the gate is shut; notes the file (device, inode) of each
    sync that went through."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.open.set()
        self.waiting = threading.Event()
        self.synced: list[tuple[int, int]] = []
        self.fail: OSError | None = None
        self._real = edge.ledger._fdatasync

    def __call__(self, fd: int) -> None:
        self.waiting.set()
        assert self.open.wait(10)
        if self.fail is not None:
            raise self.fail
        self._real(fd)
        found = os.fstat(fd)
        self.synced.append((found.st_dev, found.st_ino))

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
    wal = os.stat(f"{node.ledger.path}-wal")
    assert gate.synced[-1] == (wal.st_dev, wal.st_ino)  # the WAL SQLite writes, not another file


def test_a_group_is_answered_after_its_sync_while_the_writer_runs_the_next(
    node: Node, writer: GroupWriter, gate: _SyncGate
) -> None:
    before, commits = node.ledger.last_seq(), node.ledger.wal.begun
    durable_when_answered: list[int] = []
    gate.shut()
    first = writer.submit(node.ledger, _fact(node.ledger, 1))
    first.add_done_callback(lambda _: durable_when_answered.append(node.ledger.wal.synced))
    assert gate.waiting.wait(10)  # its group committed and waits for the sync...
    second = writer.submit(node.ledger, _fact(node.ledger, 2))
    second.add_done_callback(lambda _: durable_when_answered.append(node.ledger.wal.synced))
    assert _eventually(lambda: _in_ledger(node.ledger, before + 2))  # ...while the writer commits the next one
    assert not first.done() and not second.done() and told == []
    gate.open.set()
    assert (first.result(10), second.result(10)) == (before + 1, before + 2)
    assert told == [1, 2]  # listeners in the order the groups committed
    # each answered once a sync covered its own group's commit
    assert durable_when_answered[0] >= commits + 1 and durable_when_answered[1] >= commits + 2


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
    with pytest.raises(LedgerSyncFailed), node.ledger.writer.begin() as conn:  # nor does the other engine write
        conn.exec_driver_sql("INSERT INTO node_state (key, value) VALUES ('x', 'y')")


def test_a_change_durable_before_a_later_sync_failed_is_answered_done(
    node: Node, writer: GroupWriter, gate: _SyncGate
) -> None:
    """A group whose commit another caller's sync covered (HQ's outbox) is done, whatever
    a sync after that meets."""
    gate.shut()
    first = writer.submit(node.ledger, _fact(node.ledger, 1))
    assert gate.waiting.wait(10)  # the answerer waits to sync the group
    committed = node.ledger.wal.begun
    outbox: Future[None] = Future()

    def publish() -> None:
        node.ledger.make_durable()
        outbox.set_result(None)

    threading.Thread(target=publish).start()
    gate.open.set()
    outbox.result(10)
    assert first.result(10) and told == [1]
    assert node.ledger.wal.synced >= committed
    gate.fail = OSError(errno.EIO, "Input/output error")
    with pytest.raises(LedgerSyncFailed):
        writer.submit(node.ledger, _fact(node.ledger, 2)).result(10)
    node.ledger.make_durable(committed)  # still durable: no error


def test_a_failing_checkpoint_cue_does_not_make_a_commit_look_lost(
    node: Node, writer: GroupWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cue() -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(node.ledger.wal, "_committed", cue)
    before = node.ledger.last_seq()
    assert writer.submit(node.ledger, _fact(node.ledger, 1)).result(10) == before + 1
    assert told == [1] and node.ledger.wal.synced == node.ledger.wal.written


def test_a_group_settled_where_it_ends_is_not_waited_for(node: Node) -> None:
    with node.ledger.grouped():
        _fact(node.ledger, 1)()
    assert told == [1] and node.ledger.wait_settled(0)


def test_closing_the_node_lets_the_last_group_tell_its_listeners_first(
    node: Node, writer: GroupWriter, gate: _SyncGate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cash sale committed as the node stops still opens its drawer: its group is told
    before the lanes' devices stop."""
    order: list[str] = []
    stop_devices = node.lanes.stop
    def stop() -> None:
        order.append("devices stopped")
        stop_devices()

    monkeypatch.setattr(node.lanes, "stop", stop)
    gate.shut()
    answered = writer.submit(node.ledger, _fact(node.ledger, 1))
    answered.add_done_callback(lambda _: order.append(f"told {told}"))
    assert gate.waiting.wait(10)
    assert not node.ledger.wait_settled(0.05)  # committed, not yet durable nor told
    threading.Timer(0.2, gate.open.set).start()
    node.close()
    assert answered.result(10) and order == ["told [1]", "devices stopped"]


def test_a_failed_sync_is_a_503_at_the_lane_and_nothing_is_told(tmp_path: Path, gate: _SyncGate) -> None:
    node = build_node(load_settings(write_config(tmp_path / "store")), init=True)
    changed: list[int] = []
    node.checkout.listeners.append(lambda sale: changed.append(sale.version))
    try:
        node.operators.add("101", "Cashier 101", Role.CASHIER, "1357")
        import_catalog(node.ledger, write_catalog(tmp_path / "c.csv", [item_row("COLA", COLA, price="300")]))
        token = node.operators.login("101", "1357", 1).token
        node.shifts.open(str(uuid.uuid4()), 1, "101", 0)
        sale_id = str(uuid.uuid4())
        node.checkout.open_sale(sale_id, 1, "101")
        gate.fail = OSError(errno.EIO, "Input/output error")
        changed.clear()
        with TestClient(create_app(node, fast_lane=True)) as client:  # the lane's writer, in a group
            response, after = (client.post(f"/api/v1/sales/{sale_id}/items", json={"code": COLA},
                                           headers={"authorization": f"Bearer {token}"}) for _ in range(2))
        assert changed == []  # no lane event, no pole display
        assert response.status_code == 503
        assert response.json()["error"] == "ledger_unavailable"
        assert "did not confirm a write (" in response.json()["message"]
        assert "restart the node" in response.json()["message"]
        # the next scan is refused as the ledger says, not as a group to retry (ledger_rolled_back)
        assert (after.status_code, after.json()["error"]) == (503, "ledger_unavailable")
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


def test_a_ledger_reached_through_a_symlink_syncs_the_wal_beside_its_file(tmp_path: Path, gate: _SyncGate) -> None:
    """SQLite puts the WAL beside the file a symlink points at: that file is the one synced."""
    (tmp_path / "real").mkdir()
    (tmp_path / "link").mkdir()
    ledger = Ledger.open(tmp_path / "real" / "store.db", store_id="T001", init=True)
    ledger.dispose()
    (tmp_path / "link" / "store.db").symlink_to(tmp_path / "real" / "store.db")
    ledger = Ledger.open(tmp_path / "link" / "store.db", store_id="T001")
    try:
        _fact(ledger, 1)()
        wal = os.stat(tmp_path / "real" / "store.db-wal")
        assert gate.synced[-1] == (wal.st_dev, wal.st_ino)
        assert not (tmp_path / "link" / "store.db-wal").exists()
    finally:
        ledger.dispose()
