"""The lane's writer commits the commands that queued while it was busy as one group, on a real ledger."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from edge import journal
from edge.api.group_writer import MOST, GroupWriter
from edge.bootstrap import Node
from edge.catalog import import_catalog
from edge.errors import TransactionLost
from edge.ledger import Ledger
from pos.catalog import gtin13_with_check_digit
from pos.operators import Role
from tests.support.store import item_row, write_catalog


@pytest.fixture
def writer() -> GroupWriter:
    return GroupWriter(name="test-writer")


def _fact(ledger: Ledger, n: int, then: Callable[[], None] = lambda: None) -> Callable[[], int]:
    def command() -> int:
        with ledger.unit_of_work() as uow:
            entry = uow.journal("test.fact", {"n": n})
            then()
            uow.commit()
        return entry.seq
    return command


def _facts_after(ledger: Ledger, seq: int) -> list[int]:
    with ledger.reader.connect() as conn:
        return [json.loads(row[0])["data"]["n"] for row in conn.exec_driver_sql(
            "SELECT payload FROM journal WHERE seq > ? ORDER BY seq", (seq,))]


def _blocked(ledger: Ledger, writer: GroupWriter) -> tuple[Future[int], threading.Event]:
    """A first command that holds the writer until released (the others queue behind it)."""
    started, release = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        assert release.wait(10)

    future = writer.submit(ledger, _fact(ledger, 0, hold))
    assert started.wait(10)
    return future, release


@pytest.fixture
def commits(node: Node, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The journal's last seq as each commit of the units of work's connection makes it, in the
    order they commit (the listeners of a commit run later, once it is durable)."""
    seen: list[int] = []
    commit = node.ledger.wal.commit

    def counted(db: sqlite3.Connection) -> int:
        (last,) = db.execute("SELECT MAX(seq) FROM journal").fetchone()
        number = commit(db)
        seen.append(last)
        return number

    monkeypatch.setattr(node.ledger.wal, "commit", counted)
    yield seen


def test_commands_that_queued_are_committed_once_and_each_answered(node: Node, writer: GroupWriter, commits: list[int]) -> None:
    before = node.ledger.last_seq()
    first, release = _blocked(node.ledger, writer)
    queued = [writer.submit(node.ledger, _fact(node.ledger, n)) for n in range(1, MOST)]
    release.set()
    assert [f.result(10) for f in [first, *queued]] == [before + n for n in range(1, MOST + 1)]
    # the first ran alone (nothing had queued when it began), but it was still running when the
    # others came: they all went into its group, and the ledger committed once for them
    assert commits == [before + MOST]
    assert _facts_after(node.ledger, before) == list(range(MOST))
    with node.ledger.reader.connect() as conn:
        assert journal.verify(conn).ok


def test_a_command_that_fails_answers_its_error_and_the_group_keeps_the_others(node: Node, writer: GroupWriter) -> None:
    def boom() -> None:
        raise ValueError("no such item")

    before = node.ledger.last_seq()
    first, release = _blocked(node.ledger, writer)
    failing = writer.submit(node.ledger, _fact(node.ledger, 1, boom))
    last = writer.submit(node.ledger, _fact(node.ledger, 2))
    release.set()
    with pytest.raises(ValueError, match="no such item"):
        failing.result(10)
    assert (first.result(10), last.result(10)) == (before + 1, before + 2)  # the failed one left no gap
    assert _facts_after(node.ledger, before) == [0, 2]


def test_when_the_group_is_lost_every_command_of_it_answers_an_error(node: Node, writer: GroupWriter) -> None:
    def lost() -> None:
        node.ledger.turn_connection().execute("ROLLBACK")  # as SQLite does by itself on some I/O errors

    before = node.ledger.last_seq()
    first, release = _blocked(node.ledger, writer)
    queued = [writer.submit(node.ledger, _fact(node.ledger, 1)), writer.submit(node.ledger, _fact(node.ledger, 2, lost))]
    release.set()
    for future in [first, *queued]:
        with pytest.raises(TransactionLost, match="nothing of it was saved"):
            future.result(10)
    assert _facts_after(node.ledger, before) == []
    assert writer.submit(node.ledger, _fact(node.ledger, 4)).result(10) == before + 1  # the writer goes on


def test_a_group_takes_at_most_MOST_commands(node: Node, writer: GroupWriter, commits: list[int]) -> None:
    before = node.ledger.last_seq()
    first, release = _blocked(node.ledger, writer)
    queued = [writer.submit(node.ledger, _fact(node.ledger, n)) for n in range(1, MOST + 2)]
    release.set()
    assert [f.result(10) for f in [first, *queued]] == list(range(before + 1, before + MOST + 3))
    assert commits == [before + MOST, before + MOST + 2]


def test_commands_of_another_ledger_are_not_grouped_with_them(node: Node, writer: GroupWriter, tmp_path: Path,
                                                             commits: list[int]) -> None:
    other = Ledger.open(tmp_path / "other.db", store_id=node.settings.store.id, init=True)
    try:
        before = node.ledger.last_seq()
        first, release = _blocked(node.ledger, writer)
        between = writer.submit(other, _fact(other, 10))
        last = writer.submit(node.ledger, _fact(node.ledger, 1))
        release.set()
        assert (first.result(10), between.result(10), last.result(10)) == (before + 1, 1, before + 2)
        assert commits == [before + 1, before + 2]  # in the order they came: not one group around the other's
        assert _facts_after(other, 0) == [10]
    finally:
        other.dispose()


def test_when_the_commit_itself_fails_no_command_of_the_group_is_saved(node: Node, writer: GroupWriter) -> None:
    def orphan() -> None:  # a barcode of no item: refused only when the group commits
        db = node.ledger.turn_connection()
        db.execute("PRAGMA defer_foreign_keys=ON")
        db.execute("INSERT INTO item_code (code, kind, sku) VALUES ('00000000000000', 'gtin', 'NO-SUCH-SKU')")

    before = node.ledger.last_seq()
    first, release = _blocked(node.ledger, writer)
    queued = [writer.submit(node.ledger, _fact(node.ledger, 1, orphan)), writer.submit(node.ledger, _fact(node.ledger, 2))]
    release.set()
    errors = []
    for future in [first, *queued]:
        with pytest.raises(TransactionLost) as raised:
            future.result(10)
        assert "FOREIGN KEY" in str(raised.value.__cause__)
        errors.append(raised.value)
    assert len({id(error) for error in errors}) == 3  # each request re-raises its own
    assert _facts_after(node.ledger, before) == []
    assert writer.submit(node.ledger, _fact(node.ledger, 4)).result(10) == before + 1


def test_a_cancelled_command_is_not_run_and_the_writer_goes_on(node: Node, writer: GroupWriter) -> None:
    before = node.ledger.last_seq()
    first, release = _blocked(node.ledger, writer)
    cancelled = writer.submit(node.ledger, _fact(node.ledger, 1))
    last = writer.submit(node.ledger, _fact(node.ledger, 2))
    assert cancelled.cancel()  # its request was abandoned while it queued
    release.set()
    assert (first.result(10), last.result(10)) == (before + 1, before + 2)
    assert _facts_after(node.ledger, before) == [0, 2]


def test_a_command_cancelled_while_it_runs_leaves_the_writer_running(node: Node, writer: GroupWriter) -> None:
    before = node.ledger.last_seq()
    first, release = _blocked(node.ledger, writer)
    first.cancel()  # too late: it runs; its answer has nobody to go to
    release.set()
    assert writer.submit(node.ledger, _fact(node.ledger, 1)).result(10) == before + 2
    assert _facts_after(node.ledger, before) == [0, 1]


def test_a_command_not_ready_to_join_starts_a_group_of_its_own(node: Node, writer: GroupWriter, commits: list[int]) -> None:
    before = node.ledger.last_seq()
    first, release = _blocked(node.ledger, writer)
    later = writer.submit(node.ledger, _fact(node.ledger, 1), ready=lambda: False)  # promotions to load first
    release.set()
    assert (first.result(10), later.result(10)) == (before + 1, before + 2)
    assert commits == [before + 1, before + 2]


def test_a_retried_scan_in_the_same_group_answers_the_cart_with_its_item(node: Node, writer: GroupWriter) -> None:
    cola = gtin13_with_check_digit("690000000001")
    import_catalog(node.ledger, write_catalog(node.ledger.path.parent / "c.csv", [item_row("COLA", cola, price="300")]))
    node.operators.add("101", "Cashier", Role.CASHIER, "1357")
    node.shifts.open("shift-1", 1, "101", 0)
    node.checkout.open_sale("sale-1", 1, "101")

    def scan() -> int:
        return len(node.checkout.add_item("sale-1", code=cola, request_id="scan-1").lines)

    first, release = _blocked(node.ledger, writer)
    original, retried = writer.submit(node.ledger, scan), writer.submit(node.ledger, scan)  # the lane timed out and retried
    release.set()
    first.result(10)
    assert (original.result(10), retried.result(10)) == (1, 1)
    assert len(node.checkout.get("sale-1").lines) == 1


# -- commands run on the event loop (`submit_here`) -------------------------------------------


def _on_loop(writer: GroupWriter, ledger: Ledger, calls: list[Callable[[], int]], ready: Callable[[], bool] = lambda: True,
             meanwhile: Callable[[], None] = lambda: None) -> list[object]:
    """Submit `calls` from one turn of a fresh event loop; their answers or errors, in order.
    `meanwhile` runs on the loop while they are answered (the loop must not be held up)."""
    import asyncio

    async def main() -> list[object]:
        waiters = [writer.submit_here(ledger, call, ready) for call in calls]
        await asyncio.sleep(0)  # the loop's next turn: they run
        meanwhile()
        return list(await asyncio.wait_for(asyncio.gather(*waiters, return_exceptions=True), 10))

    return asyncio.run(main())


def _thread_of(ledger: Ledger, n: int, threads: list[str]) -> Callable[[], int]:
    return _fact(ledger, n, lambda: threads.append(threading.current_thread().name))


def test_commands_of_one_turn_of_the_loop_run_on_it_as_one_group(node: Node, writer: GroupWriter, commits: list[int]) -> None:
    before, threads = node.ledger.last_seq(), []
    answers = _on_loop(writer, node.ledger, [_thread_of(node.ledger, n, threads) for n in range(MOST + 1)])
    assert answers == [before + n for n in range(1, MOST + 2)]
    assert threads == [threading.main_thread().name] * (MOST + 1)  # asyncio.run's loop is this thread's
    assert commits == [before + MOST, before + MOST + 1]  # groups of at most MOST, in order
    assert _facts_after(node.ledger, before) == list(range(MOST + 1))


def test_on_the_loop_a_failed_first_command_undoes_only_itself(node: Node, writer: GroupWriter, commits: list[int]) -> None:
    def boom() -> None:
        raise ValueError("no such item")

    before = node.ledger.last_seq()
    answers = _on_loop(writer, node.ledger, [_fact(node.ledger, 0, boom), _fact(node.ledger, 1), _fact(node.ledger, 2)])
    assert isinstance(answers[0], ValueError)
    assert answers[1:] == [before + 1, before + 2]
    assert commits == [before + 2]
    assert _facts_after(node.ledger, before) == [1, 2]


def test_while_a_device_thread_holds_the_write_turn_the_loop_hands_its_commands_to_the_writer(
    node: Node, writer: GroupWriter,
) -> None:
    """The loop never waits for the ledger: the writer thread does, and the loop serves on."""
    before, threads, held, release = node.ledger.last_seq(), [], threading.Event(), threading.Event()

    def device_scan() -> None:  # a unit of work of another thread, holding the turn
        with node.ledger.unit_of_work() as uow:
            uow.journal("test.fact", {"n": 0})
            held.set()
            assert release.wait(10)
            uow.commit()

    device = threading.Thread(target=device_scan)
    device.start()
    assert held.wait(10)
    served: list[bool] = []

    def meanwhile() -> None:
        served.append(True)  # the loop ran this while the command waited for the turn
        release.set()

    answers = _on_loop(writer, node.ledger, [_thread_of(node.ledger, 1, threads)], meanwhile=meanwhile)
    device.join(10)
    assert served == [True]
    assert answers == [before + 2]
    assert threads == ["test-writer"]
    assert _facts_after(node.ledger, before) == [0, 1]


def test_while_another_process_writes_the_loop_hands_its_commands_to_the_writer(
    node: Node, writer: GroupWriter,
) -> None:
    other = sqlite3.connect(node.ledger.path, isolation_level=None)  # as an import run beside the node
    other.execute("BEGIN IMMEDIATE")
    before, threads, served = node.ledger.last_seq(), [], []

    def meanwhile() -> None:
        served.append(True)
        other.execute("COMMIT")

    answers = _on_loop(writer, node.ledger, [_thread_of(node.ledger, 1, threads)], meanwhile=meanwhile)
    other.close()
    assert served == [True]
    assert answers == [before + 1]
    assert threads == ["test-writer"]


def test_a_command_not_ready_goes_from_the_loop_to_the_writer(node: Node, writer: GroupWriter) -> None:
    before, threads = node.ledger.last_seq(), []
    answers = _on_loop(writer, node.ledger, [_thread_of(node.ledger, 1, threads)], ready=lambda: False)
    assert answers == [before + 1]
    assert threads == ["test-writer"]


def test_grouped_at_once_refuses_a_taken_turn_without_waiting(node: Node) -> None:
    from edge.ledger import TurnTaken

    other = sqlite3.connect(node.ledger.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(TurnTaken), node.ledger.grouped(at_once=True):
            pytest.fail("the group began while another process held the write lock")
    finally:
        other.execute("ROLLBACK")
        other.close()
    with node.ledger.grouped(at_once=True) as group:  # the turn was given back: it begins now
        assert group.db is not None and group.db.in_transaction


def test_a_loop_group_that_changed_nothing_is_neither_committed_nor_synced(
    node: Node, writer: GroupWriter, commits: list[int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A refused scan or a replayed request costs no disk sync (the group began at once)."""
    import edge.ledger

    synced: list[int] = []
    real = edge.ledger._fdatasync
    monkeypatch.setattr(edge.ledger, "_fdatasync", lambda fd: (synced.append(fd), real(fd))[1])

    def boom() -> None:
        raise ValueError("no such item")

    def look() -> int:
        with node.ledger.unit_of_work() as uow:  # a replay: reads, commits nothing
            return int(uow.db.execute("SELECT COUNT(*) FROM journal").fetchone()[0])

    answers = _on_loop(writer, node.ledger, [_fact(node.ledger, 0, boom), look])
    assert isinstance(answers[0], ValueError) and isinstance(answers[1], int)
    assert commits == [] and synced == []


def test_sqlite_busy_with_an_extended_code_is_busy() -> None:
    """SQLITE_BUSY_RECOVERY (another process recovering the WAL) waits like SQLITE_BUSY."""
    from edge.ledger import _busy

    recovering = sqlite3.OperationalError("database is locked")
    recovering.sqlite_errorcode = sqlite3.SQLITE_BUSY | (1 << 8)  # type: ignore[attr-defined]
    other = sqlite3.OperationalError("disk I/O error")
    other.sqlite_errorcode = sqlite3.SQLITE_IOERR  # type: ignore[attr-defined]
    assert _busy(recovering) and not _busy(other)


@pytest.fixture
def commit_threads(node: Node, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[str], threading.Event, threading.Event]]:
    """The threads that commit the units' connection; the first commit waits for `release`
    once it has set `committing`."""
    threads, committing, release = [], threading.Event(), threading.Event()
    commit = node.ledger.wal.commit

    def held(db: sqlite3.Connection) -> int:
        threads.append(threading.current_thread().name)
        if not committing.is_set():
            committing.set()
            assert release.wait(10)
        return commit(db)

    monkeypatch.setattr(node.ledger.wal, "commit", held)
    yield threads, committing, release


def test_the_loop_hands_its_groups_commit_to_the_committer_and_serves_on_meanwhile(
    node: Node, writer: GroupWriter, commit_threads: tuple[list[str], threading.Event, threading.Event],
) -> None:
    """SQLite writes a group's pages off the loop; a command that comes meanwhile waits for
    that commit, then runs on the loop (not the writer thread), in order."""
    import asyncio

    committers, committing, release = commit_threads
    before, ran = node.ledger.last_seq(), []

    async def main() -> tuple[list[object], list[str], bool]:
        first = writer.submit_here(node.ledger, _thread_of(node.ledger, 1, ran))
        assert await asyncio.to_thread(committing.wait, 10)  # the answerer commits, and is held
        second = writer.submit_here(node.ledger, _thread_of(node.ledger, 2, ran))
        for _ in range(10):
            await asyncio.sleep(0)  # the loop turns and serves; the second waits for the commit
        waited, turn_held = list(ran), node.ledger.write_turn.locked()
        release.set()
        return list(await asyncio.wait_for(asyncio.gather(first, second), 10)), waited, turn_held

    answers, waited, turn_held = asyncio.run(main())
    loop_thread = threading.main_thread().name
    assert waited == [loop_thread] and turn_held
    assert answers == [before + 1, before + 2]
    assert ran == [loop_thread, loop_thread]
    assert committers == ["test-writer-commits"] * 2
    assert _facts_after(node.ledger, before) == [1, 2]


def test_when_a_handed_groups_commit_fails_its_commands_answer_an_error_and_the_turn_is_free(
    node: Node, writer: GroupWriter, monkeypatch: pytest.MonkeyPatch,
) -> None:
    commit, failures, threads = node.ledger.wal.commit, [sqlite3.OperationalError("disk I/O error")], []

    def failing(db: sqlite3.Connection) -> int:
        threads.append(threading.current_thread().name)
        if failures:
            raise failures.pop()
        return commit(db)

    monkeypatch.setattr(node.ledger.wal, "commit", failing)
    before = node.ledger.last_seq()
    lost = _on_loop(writer, node.ledger, [_fact(node.ledger, 1), _fact(node.ledger, 2)])
    assert all(isinstance(answer, TransactionLost) for answer in lost) and len(lost) == 2
    assert threads == ["test-writer-commits"]  # the loop's group, committed (and lost) off the loop
    assert not node.ledger.write_turn.locked()
    assert _on_loop(writer, node.ledger, [_fact(node.ledger, 3)]) == [before + 1]
    assert _facts_after(node.ledger, before) == [3]


def test_the_loops_next_group_is_committed_while_the_one_before_syncs(
    node: Node, writer: GroupWriter, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A slow disk sync holds up the answers of its group only: the write turn is free, the
    loop's next group commits meanwhile, and a device's unit of work gets its turn."""
    import asyncio

    import edge.ledger

    syncing, release, real = threading.Event(), threading.Event(), edge.ledger._fdatasync

    def slow(fd: int) -> None:
        if not syncing.is_set():
            syncing.set()
            assert release.wait(10)
        real(fd)

    monkeypatch.setattr(edge.ledger, "_fdatasync", slow)
    before = node.ledger.last_seq()

    def device_scan() -> int:
        with node.ledger.unit_of_work() as uow:  # waits for the turn: at most its patience
            entry = uow.journal("test.fact", {"n": 3})
            uow.commit()  # syncs, once the slow sync lets it
        return entry.seq

    async def until_seq(seq: int) -> None:
        for _ in range(5000):
            if node.ledger.last_seq() >= seq:
                return
            await asyncio.sleep(0.001)
        pytest.fail(f"seq {seq} was not committed while the first group's sync was held")

    async def main() -> tuple[list[object], int, bool]:
        first = writer.submit_here(node.ledger, _fact(node.ledger, 1))
        try:
            assert await asyncio.to_thread(syncing.wait, 10)  # the first group's sync is held
            second = writer.submit_here(node.ledger, _fact(node.ledger, 2))
            await until_seq(before + 2)  # committed while the first still syncs
            device = asyncio.create_task(asyncio.to_thread(device_scan))
            await until_seq(before + 3)  # the device's unit took the turn too
            answered = first.done() or second.done()
        finally:
            release.set()
        return list(await asyncio.wait_for(asyncio.gather(first, second), 10)), await device, answered

    answers, device_seq, answered_early = asyncio.run(main())
    assert not answered_early  # nothing is answered before its sync
    assert answers == [before + 1, before + 2] and device_seq == before + 3
    assert _facts_after(node.ledger, before) == [1, 2, 3]


def test_a_group_handed_over_must_be_settled_later() -> None:
    ledger = Ledger.__new__(Ledger)  # refused before the ledger is touched
    ledger._groups = threading.local()
    ledger._turn_owner = None
    with pytest.raises(ValueError, match="settled later"), ledger.grouped(hand_over=True):
        pytest.fail("began")
