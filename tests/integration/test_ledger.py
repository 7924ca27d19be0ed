"""The ledger on a real SQLite file: pragmas, migrations, the chain and its triggers, the unit of work."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from edge import journal
from edge.bootstrap import Node
from edge.customer_tables import MemberRow
from edge.errors import LedgerCorrupt, LedgerForeign, LedgerMissing
from edge.ledger import Ledger, driver
from tests.support.store import behind_a_foreign_write_lock


def test_pragmas_are_wal_and_full_sync(node: Node) -> None:
    with node.ledger.writer.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_migrations_match_the_models(node: Node) -> None:
    import edge.sale_tables
    import edge.tables  # noqa: F401

    with node.ledger.reader.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []
    assert node.ledger.schema_revision() == Ledger.head_revision()


def test_reopening_an_upgraded_ledger_keeps_its_data(node: Node) -> None:
    with node.ledger.unit_of_work() as uow:
        uow.journal("test.fact", {"n": 1})
        uow.commit()
    path = node.ledger.path
    node.close()
    reopened = Ledger.open(path, store_id="T001")  # runs the migrations again: a no-op at head
    try:
        assert reopened.last_seq() >= 1
        with reopened.reader.connect() as conn:
            assert journal.verify(conn).ok
    finally:
        reopened.dispose()


def test_the_unit_of_work_rolls_back_unless_committed(node: Node) -> None:
    before = node.ledger.last_seq()
    with node.ledger.unit_of_work() as uow:
        uow.journal("test.fact", {"n": 1})
    assert node.ledger.last_seq() == before
    with pytest.raises(RuntimeError), node.ledger.unit_of_work() as uow:
        uow.journal("test.fact", {"n": 2})
        raise RuntimeError("boom")
    assert node.ledger.last_seq() == before
    with node.ledger.unit_of_work() as uow:
        entry = uow.journal("test.fact", {"n": 3})
        uow.commit()
    assert node.ledger.last_seq() == entry.seq == before + 1


def _member_ids(node: Node) -> list[str]:
    with node.ledger.reader.connect() as conn:
        return [row[0] for row in conn.exec_driver_sql("SELECT id FROM member ORDER BY id")]


def test_plain_sql_and_the_orm_in_one_unit_of_work_commit_or_roll_back_together(node: Node) -> None:
    from edge.clock import utc_now
    commits: list[int] = []
    node.ledger.on_commit(lambda: commits.append(node.ledger.last_seq()))
    before = node.ledger.last_seq()
    with pytest.raises(RuntimeError), node.ledger.unit_of_work() as uow:
        uow.journal("test.fact", {"n": 1})
        uow.session.add(MemberRow(id="M1", tier="gold", updated_at=utc_now()))
        uow.session.flush()
        raise RuntimeError("boom")
    assert (node.ledger.last_seq(), _member_ids(node), commits) == (before, [], [])

    with node.ledger.unit_of_work() as uow:
        uow.session.add(MemberRow(id="M2", tier="gold", updated_at=utc_now()))
        entry = uow.journal("test.fact", {"n": 2})  # plain SQL after the ORM's pending row
        uow.commit()
    assert (node.ledger.last_seq(), _member_ids(node), commits) == (entry.seq, ["M2"], [entry.seq])

    with node.ledger.unit_of_work() as uow:  # a session asked for but never used
        assert uow.session is uow.session
        entry = uow.journal("test.fact", {"n": 3})
        uow.commit()
    with node.ledger.unit_of_work() as uow:  # the next one begins: nothing was left open
        assert uow.db.execute("SELECT COUNT(*) FROM journal WHERE seq = ?", (entry.seq,)).fetchone() == (1,)
    assert commits == [entry.seq - 1, entry.seq]


def _append(node: Node, count: int) -> None:
    for n in range(count):
        with node.ledger.unit_of_work() as uow:
            uow.journal("test.fact", {"n": n, "text": "收银"})
            uow.commit()


def test_chain_verifies_and_seq_is_gap_free(node: Node) -> None:
    _append(node, 20)
    with node.ledger.reader.connect() as conn:
        seqs = [row[0] for row in conn.exec_driver_sql("SELECT seq FROM journal ORDER BY seq")]
        report = journal.verify(conn)
    assert seqs == list(range(1, len(seqs) + 1))
    assert report.ok and report.last_seq == seqs[-1]


def test_a_checkpoint_copies_the_wal_into_the_ledger_file(node: Node) -> None:
    _append(node, 20)
    frames, copied = node.ledger.checkpoint()
    assert frames > 0 and copied == frames  # no reader held an older snapshot
    with node.ledger.reader.connect() as conn:
        assert journal.verify(conn).ok


def test_rows_appended_in_one_unit_of_work_chain_on_each_other(node: Node) -> None:
    """A unit remembers the row it appended last (a sale's completion appends two)."""
    with node.ledger.unit_of_work() as uow:
        first, second = uow.journal("test.first", {"n": 1}), uow.journal("test.second", {"n": 2})
        uow.commit()
    with node.ledger.unit_of_work() as uow:
        third = uow.journal("test.third", {"n": 3})
        uow.commit()
    assert (second.seq, second.prev_hash) == (first.seq + 1, first.hash)
    assert (third.seq, third.prev_hash) == (second.seq + 1, second.hash)
    with node.ledger.reader.connect() as conn:
        assert journal.verify(conn).ok


@pytest.mark.parametrize("statement", ["UPDATE journal SET kind = 'x' WHERE seq = 1", "DELETE FROM journal WHERE seq = 1"])
def test_triggers_refuse_update_and_delete(node: Node, statement: str) -> None:
    _append(node, 2)
    with pytest.raises(IntegrityError, match="append-only"), node.ledger.writer.begin() as conn:
        conn.exec_driver_sql(statement)


def test_trigger_refuses_a_gap_or_a_forged_prev_hash(node: Node) -> None:
    _append(node, 1)
    seq, last_hash = node.ledger.last_seq(), "f" * 64
    with pytest.raises(IntegrityError, match="must follow"), node.ledger.writer.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO journal VALUES (?, '2026-01-01T00:00:00.000000Z', 'x', '{}', ?, ?)", (seq + 2, last_hash, last_hash)
        )


def _tamper(path: Path, sql: str) -> None:
    """Edit the file behind the node's back, as an attacker with the file would (triggers dropped)."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER journal_no_update")
    conn.execute(sql)
    conn.commit()
    conn.close()


def test_verify_names_the_first_tampered_seq(node: Node) -> None:
    _append(node, 10)
    _tamper(node.ledger.path, "UPDATE journal SET payload = replace(payload, '\"n\":4', '\"n\":40') WHERE seq = (SELECT MIN(seq) FROM journal WHERE payload LIKE '%\"n\":4,%')")
    with node.ledger.reader.connect() as conn:
        target = conn.exec_driver_sql("SELECT seq FROM journal WHERE payload LIKE '%\"n\":40%'").scalar()
        report = journal.verify(conn)
    assert target is not None
    assert not report.ok and report.first_bad_seq == target
    assert "hash does not match" in report.reason


def test_missing_ledger_is_refused_without_init(tmp_path: Path) -> None:
    with pytest.raises(LedgerMissing, match="--init"):
        Ledger.open(tmp_path / "nope.db", store_id="T001")
    assert not (tmp_path / "nope.db").exists()


def test_corrupt_ledger_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    with pytest.raises(LedgerCorrupt, match="restore it from a backup"):
        Ledger.open(path, store_id="T001", init=True)
    assert path.read_bytes() == garbage


def test_a_plain_sqlite_file_is_not_taken_over_without_init(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE x (a)").connection.close()
    with pytest.raises(LedgerMissing, match="not a storenode ledger"):
        Ledger.open(path, store_id="T001")


def test_ledger_of_another_store_is_refused(node: Node) -> None:
    path = node.ledger.path
    node.close()
    with pytest.raises(LedgerForeign, match="belongs to store 'T001'"):
        Ledger.open(path, store_id="OTHER")


def test_shift_facts_survive_the_move_to_one_row_per_fact_and_back(node: Node) -> None:
    """Migration 0005 moves a shift's JSON list of facts into shift_fact rows (and back on downgrade)."""
    from alembic import command

    from edge.ledger import _alembic_config
    from edge.shifts import Shifts
    from pos.shift import CashMovementKind

    node.shifts.open("SH1", 3, "101", 50_000)
    node.shifts.move_cash(3, CashMovementKind.DROP, 20_000, "101", None)
    before = node.shifts.current(3)[1].facts
    with node.ledger.writer.begin() as conn:
        command.downgrade(_alembic_config(conn), "0004")
    with node.ledger.reader.connect() as conn:
        listed = conn.exec_driver_sql("SELECT facts FROM shift WHERE shift_id = 'SH1'").scalar()
        assert "shift_fact" not in {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
    assert [fact["type"] for fact in json.loads(listed)] == ["ShiftOpened", "CashMoved"]
    path = node.ledger.path
    node.close()
    upgraded = Ledger.open(path, store_id="T001")
    try:
        shift = Shifts(upgraded).current(3)[1]
        assert shift.facts == before and shift.expected_cash() == 30_000
    finally:
        upgraded.dispose()


def test_writers_queued_behind_a_foreign_write_lock_each_give_up_after_the_busy_timeout(node: Node) -> None:
    """Another process holding the write lock (an import, a backup): every waiting unit of work
    fails after about the busy timeout with "database is locked" (the API's 503), none waits
    for the ones ahead of it to time out first."""
    import time

    from sqlalchemy.exc import OperationalError

    path = node.ledger.path
    node.close()
    ledger = Ledger.open(path, store_id="T001", busy_timeout_ms=300)
    waited: list[float] = []
    errors: list[str] = []

    def write() -> None:
        started = time.monotonic()
        try:
            with ledger.unit_of_work() as uow:
                uow.journal("test.fact", {"n": 1})
                uow.commit()
        except OperationalError as err:
            errors.append(str(err.orig))
        waited.append(time.monotonic() - started)

    behind_a_foreign_write_lock(path, write, at_once=5)
    try:
        assert errors == ["database is locked"] * 5
        assert max(waited) < 1.2  # about one busy timeout each; queued one behind another it would be 1.5 s
        with ledger.unit_of_work() as uow:  # the lock is free again: writing works
            uow.journal("test.fact", {"n": 2})
            uow.commit()
    finally:
        ledger.dispose()


def test_a_unit_of_work_ends_at_commit_and_not_inside_another(node: Node) -> None:
    with node.ledger.unit_of_work() as uow:
        uow.journal("test.fact", {"n": 1})
        with pytest.raises(RuntimeError, match="inside another"), node.ledger.unit_of_work():
            pass
        uow.commit()
        with pytest.raises(RuntimeError, match="has committed"):
            uow.journal("test.fact", {"n": 2})  # it would have been committed on its own
        with pytest.raises(RuntimeError, match="has committed"):
            uow.session.get(MemberRow, "M1")
    with node.ledger.reader.connect() as conn:
        last = conn.exec_driver_sql("SELECT payload FROM journal ORDER BY seq DESC LIMIT 1").scalar_one()
    assert json.loads(last)["data"] == {"n": 1}


def test_a_failing_clean_up_leaves_no_transaction_open(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlmodel import Session

    def broken(_session: Session) -> None:
        raise RuntimeError("the session could not roll back")

    before = node.ledger.last_seq()
    monkeypatch.setattr(Session, "rollback", broken)
    with pytest.raises(RuntimeError, match="could not roll back"), node.ledger.unit_of_work() as uow:
        uow.journal("test.fact", {"n": 1})
        uow.session.get(MemberRow, "M1")
    monkeypatch.undo()
    assert node.ledger.last_seq() == before  # rolled back all the same
    with node.ledger.unit_of_work() as uow:  # and the next one begins
        entry = uow.journal("test.fact", {"n": 2})
        uow.commit()
    assert entry.seq == before + 1


def test_a_failing_commit_listener_does_not_make_the_commit_look_failed(node: Node) -> None:
    def broken() -> None:
        raise RuntimeError("listener down")

    node.ledger.on_commit(broken)
    with node.ledger.unit_of_work() as uow:
        entry = uow.journal("test.fact", {"n": 1})
        uow.commit()
    node.ledger.remove_on_commit(broken)
    assert node.ledger.last_seq() == entry.seq


def test_a_deadline_shortens_the_wait_for_the_turn(node: Node) -> None:
    import threading
    import time

    from sqlalchemy.exc import OperationalError

    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with node.ledger.unit_of_work():
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"), node.ledger.deadline(started + 0.2), node.ledger.unit_of_work():
            pass
        assert 0.15 < time.monotonic() - started < 1.0  # not the 5 s busy timeout
        with pytest.raises(OperationalError, match="locked"), node.ledger.deadline(started - 1), node.ledger.unit_of_work():
            pass  # a deadline already past: no wait at all
    finally:
        release.set()
        holder.join(5)


def _kinds_after(node: Node, seq: int) -> list[str]:
    with node.ledger.reader.connect() as conn:
        return [json.loads(row[0])["data"]["n"] for row in conn.exec_driver_sql(
            "SELECT payload FROM journal WHERE seq > ? ORDER BY seq", (seq,))]


def test_units_of_a_group_commit_together_and_a_failing_one_undoes_only_itself(node: Node) -> None:
    from edge.clock import utc_now
    ledger = node.ledger
    before = ledger.last_seq()
    commits: list[int] = []
    told: list[str] = []
    ledger.on_commit(lambda: commits.append(ledger.last_seq()))
    with ledger.grouped():
        with ledger.unit_of_work() as uow:
            uow.journal("test.fact", {"n": 1})
            uow.commit()
        ledger.after_commit([told.append], "first")
        with pytest.raises(RuntimeError, match="boom"), ledger.unit_of_work() as uow:
            uow.journal("test.fact", {"n": 2})
            uow.session.add(MemberRow(id="M1", tier="gold", updated_at=utc_now()))
            uow.session.flush()
            raise RuntimeError("boom")
        with ledger.unit_of_work() as uow:
            uow.session.add(MemberRow(id="M2", tier="gold", updated_at=utc_now()))
            uow.journal("test.fact", {"n": 3})
            uow.commit()  # the session's commit does not end the group's transaction
        assert (_kinds_after(node, before), told, commits) == ([], [], [])  # nothing durable, nobody told yet
    assert _kinds_after(node, before) == [1, 3]
    assert _member_ids(node) == ["M2"]
    assert (told, commits) == (["first"], [before + 2])  # once, after the one commit
    with node.ledger.reader.connect() as conn:
        assert journal.verify(conn).ok


def test_a_group_that_fails_keeps_nothing_and_tells_no_one(node: Node) -> None:
    ledger = node.ledger
    before = ledger.last_seq()
    told: list[str] = []
    with pytest.raises(RuntimeError, match="boom"), ledger.grouped():
        with ledger.unit_of_work() as uow:
            uow.journal("test.fact", {"n": 1})
            uow.commit()
        ledger.after_commit([told.append], "first")
        raise RuntimeError("boom")
    assert (_kinds_after(node, before), told) == ([], [])
    with ledger.unit_of_work() as uow:  # the turn and the connection are free again
        entry = uow.journal("test.fact", {"n": 2})
        uow.commit()
    assert entry.seq == before + 1


def test_a_group_rolled_back_by_sqlite_is_reported_not_lost_silently(node: Node) -> None:
    from edge.errors import TransactionLost
    ledger = node.ledger
    before = ledger.last_seq()
    with pytest.raises(TransactionLost, match="nothing of it was saved"), ledger.grouped():
        with ledger.unit_of_work() as uow:
            uow.journal("test.fact", {"n": 1})
            uow.commit()
        with pytest.raises(TransactionLost), ledger.unit_of_work() as uow:
            uow.journal("test.fact", {"n": 2})
            uow.db.execute("ROLLBACK")  # as SQLite does by itself on some I/O errors
            uow.commit()
        with pytest.raises(TransactionLost), ledger.unit_of_work() as uow:
            uow.journal("test.fact", {"n": 3})
    assert _kinds_after(node, before) == []


def test_groups_and_units_do_not_nest(node: Node) -> None:
    ledger = node.ledger
    with ledger.unit_of_work(), pytest.raises(RuntimeError, match="inside a unit of work"), ledger.grouped():
        pass
    with ledger.grouped():
        with pytest.raises(RuntimeError, match="inside another"), ledger.grouped():
            pass
        with ledger.unit_of_work() as uow:
            uow.journal("test.fact", {"n": 1})
            with pytest.raises(RuntimeError, match="inside another"), ledger.unit_of_work():
                pass
            uow.commit()
    assert _kinds_after(node, ledger.last_seq() - 1) == [1]


def test_when_the_unit_that_began_a_group_fails_the_next_one_begins_it_anew(node: Node) -> None:
    ledger = node.ledger
    before = ledger.last_seq()
    with ledger.grouped():
        with pytest.raises(RuntimeError, match="boom"), ledger.unit_of_work() as uow:
            uow.journal("test.fact", {"n": 1})  # begins the group's transaction, without a savepoint
            raise RuntimeError("boom")
        with ledger.unit_of_work() as uow:
            uow.journal("test.fact", {"n": 2})
            uow.commit()
        with pytest.raises(RuntimeError, match="boom"), ledger.unit_of_work() as uow:
            uow.journal("test.fact", {"n": 3})  # in a savepoint
            raise RuntimeError("boom")
    assert _kinds_after(node, before) == [2]
    assert ledger.last_seq() == before + 1


def test_a_unit_that_sqlite_rolled_back_by_itself_does_not_look_committed(node: Node) -> None:
    from edge.errors import TransactionLost
    ledger = node.ledger
    before = ledger.last_seq()
    with pytest.raises(TransactionLost), ledger.unit_of_work() as uow:
        uow.journal("test.fact", {"n": 1})
        uow.db.execute("ROLLBACK")  # as SQLite does by itself on some I/O errors
        uow.commit()
    assert ledger.last_seq() == before


def test_a_unit_queued_behind_a_group_past_its_deadline_changes_nothing(node: Node) -> None:
    import time

    from sqlalchemy.exc import OperationalError
    ledger = node.ledger
    before = ledger.last_seq()
    with ledger.grouped():
        with ledger.unit_of_work() as uow:
            uow.journal("test.fact", {"n": 1})
            uow.commit()
        with pytest.raises(OperationalError, match="locked"), ledger.deadline(time.monotonic() - 1), ledger.unit_of_work() as uow:
            uow.journal("test.fact", {"n": 2})  # its lane gave up waiting: it is answered 503, as outside a group
    assert _kinds_after(node, before) == [1]


def _completed_sale(node: Node) -> str:
    """A one-item cash sale on lane 4, completed; its receipt number."""
    from edge.catalog import import_catalog
    from edge.checkout import TenderRequest
    from pos.catalog import gtin13_with_check_digit
    from pos.operators import Role
    from pos.tender import TenderKind
    from tests.support.store import item_row, write_catalog

    cola = gtin13_with_check_digit("690000000001")
    import_catalog(node.ledger, write_catalog(node.ledger.path.parent / "c.csv", [item_row("COLA", cola, price="300")]))
    node.operators.add("104", "Cashier", Role.CASHIER, "1357")
    node.shifts.open("SH4", 4, "104", 0)
    node.checkout.open_sale("S4", 4, "104")
    node.checkout.add_item("S4", code=cola, quantity=2)
    node.checkout.add_tender("S4", TenderRequest("T4", TenderKind.CASH, 1000, "CNY"))
    return node.completion.complete("S4", "R4").receipt_no


def test_a_sale_row_keeps_its_record_in_the_journal_once_and_reads_it_from_there(node: Node) -> None:
    receipt_no = _completed_sale(node)
    with node.ledger.reader.connect() as conn:
        body, seq = conn.exec_driver_sql("SELECT body, journal_seq FROM sale WHERE receipt_no = ?", (receipt_no,)).one()
        payload = conn.exec_driver_sql("SELECT payload FROM journal WHERE seq = ?", (seq,)).scalar_one()
    assert body == ""  # not written twice
    done = node.completion.receipt(receipt_no)
    assert done.record == json.loads(payload)["data"]
    assert (done.sale.receipt_no, [line.quantity for line in done.sale.lines]) == (receipt_no, [2])
    assert node.completion.complete("S4", "R4").record == done.record  # a retried complete reads it too
    assert node.checkout.get("S4").receipt_no == receipt_no
    assert node.returns.returned(receipt_no)[0].sale_id == "S4"


def test_sale_rows_written_before_keep_their_body_and_read_alike(node: Node) -> None:
    """Migration 0007 leaves old rows' bodies; its downgrade writes every empty body back from the journal."""
    from alembic import command

    from edge.bootstrap import build_node
    from edge.ledger import _alembic_config

    receipt_no = _completed_sale(node)
    before = node.completion.receipt(receipt_no).record
    with node.ledger.writer.begin() as conn:
        command.downgrade(_alembic_config(conn), "0006")
    with node.ledger.reader.connect() as conn:
        body = conn.exec_driver_sql("SELECT body FROM sale WHERE receipt_no = ?", (receipt_no,)).scalar_one()
    assert json.loads(body) == before  # what an older node reads
    settings = node.settings
    node.close()
    upgraded = build_node(settings)  # migrates to the newest schema again
    try:
        done = upgraded.completion.receipt(receipt_no)
        assert done.record == before
        assert upgraded.returns.returned(receipt_no)[0].sale_id == "S4"
    finally:
        upgraded.close()


def test_a_sale_whose_journal_row_is_not_its_record_is_refused_by_name(node: Node) -> None:
    from edge.sale_tables import sale_record

    receipt_no = _completed_sale(node)
    with node.ledger.reader.connect() as conn:
        seq = conn.exec_driver_sql("SELECT journal_seq FROM sale WHERE receipt_no = ?", (receipt_no,)).scalar_one()
        db = driver(conn)
        with pytest.raises(LedgerCorrupt, match=rf"journal row {seq - 1} is a '[a-z_.]+' row, not its sale.completed"):
            sale_record(db, "", seq - 1)
        with pytest.raises(LedgerCorrupt, match="journal row 999999 is missing"):
            sale_record(db, "", 999_999)


def test_a_downgrade_that_cannot_write_a_record_back_names_the_sale_and_changes_nothing(node: Node) -> None:
    from alembic import command

    from edge.ledger import _alembic_config

    receipt_no = _completed_sale(node)
    with node.ledger.writer.begin() as conn:
        conn.exec_driver_sql("UPDATE sale SET journal_seq = 1 WHERE receipt_no = ?", (receipt_no,))  # not its record
    with pytest.raises(RuntimeError, match=f"cannot write the records of these sales back.*{receipt_no}"), \
            node.ledger.writer.begin() as conn:
        command.downgrade(_alembic_config(conn), "0006")
    assert node.ledger.schema_revision() == Ledger.head_revision()
    with node.ledger.reader.connect() as conn:
        assert conn.exec_driver_sql("SELECT body FROM sale WHERE receipt_no = ?", (receipt_no,)).scalar_one() == ""


def test_a_closed_ledger_refuses_a_unit_of_work_instead_of_opening_the_file_again(node: Node) -> None:
    from edge.errors import LedgerClosed

    ledger = node.ledger
    before = ledger.last_seq()
    ledger.dispose()  # the node stops; a lane command still queued comes after
    with pytest.raises(LedgerClosed, match="nothing was changed"), ledger.unit_of_work() as uow:
        uow.journal("test.fact", {"n": 1})
        uow.commit()
    reopened = Ledger.open(ledger.path, store_id=node.settings.store.id)
    try:
        assert reopened.last_seq() == before
    finally:
        reopened.dispose()


def test_a_lanes_open_cart_is_found_by_the_partial_index_and_the_unread_indexes_are_gone(node: Node) -> None:
    """Migration 0008 drops two indexes nothing reads (a WAL page each on every sale); its
    downgrade puts them back."""
    from alembic import command
    from sqlalchemy.engine import Connection

    from edge.ledger import _alembic_config

    def indexes(conn: Connection, table: str) -> set[str]:
        return {row[1] for row in conn.exec_driver_sql(f"PRAGMA index_list({table})")}

    with node.ledger.reader.connect() as conn:
        assert "ix_open_sale_lane" not in indexes(conn, "open_sale")
        assert "ix_request_ref" not in indexes(conn, "request")
        plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT sale_id FROM open_sale WHERE lane = 1 AND state = 'open'"))
        assert "ux_open_sale_lane_open" in plan
    with node.ledger.writer.begin() as conn:
        command.downgrade(_alembic_config(conn), "0007")
    with node.ledger.reader.connect() as conn:
        assert "ix_open_sale_lane" in indexes(conn, "open_sale")
        assert "ix_request_ref" in indexes(conn, "request")
