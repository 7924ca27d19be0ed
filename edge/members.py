"""Loyalty members at the lane (id, tier, name, active) and the coupon uses of completed sales.

Members come from a CSV file (`storenode members import`; HQ may push them later): the whole
file is checked first and written in one transaction, so a bad row changes nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection
from sqlmodel import Session

from edge.clock import to_utc_text, utc_now
from edge.customer_tables import MemberRow
from edge.journal import JournalEntry
from edge.ledger import Ledger, UnitOfWork
from pos.errors import Conflict, InvalidInput, NotFound
from pos.sale import Sale
from pos.sale_customer import SaleMember, check_member_id

MEMBER_COLUMNS = ("id", "tier", "name", "active")
_TRUE, _FALSE = {"true", "1", "yes", "y"}, {"false", "0", "no", "n"}


@dataclass(frozen=True)
class MemberImport:
    rows: int
    created: int
    updated: int


def member_for_sale(session: Session, member_id: str) -> SaleMember:
    """The member as a sale carries it; NotFound or Conflict naming the id otherwise."""
    row = session.get(MemberRow, check_member_id(member_id.strip()))
    if row is None:
        raise NotFound(f"no member {member_id.strip()} in this store")
    if not row.active:
        raise Conflict(f"member {row.id} is not active")
    return SaleMember(row.id, row.tier)


def coupon_uses(conn: Connection, codes: Iterable[str], customer_id: str | None) -> tuple[dict[str, int], dict[str, int]]:
    """Uses so far of each code: by everyone, and by this customer."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}, {}
    marks = ", ".join("?" for _ in wanted)
    rows = conn.exec_driver_sql(
        f"SELECT code, COUNT(*), SUM(customer_id IS NOT NULL AND customer_id = ?) FROM coupon_use "
        f"WHERE code IN ({marks}) GROUP BY code",
        (customer_id, *wanted),
    ).all()
    return {r[0]: int(r[1]) for r in rows}, {r[0]: int(r[2] or 0) for r in rows if r[2]}


def _active(text: str, line: int) -> bool:
    value = text.strip().lower() or "true"
    if value not in _TRUE | _FALSE:
        raise InvalidInput(f"line {line}: active {text!r} must be true or false")
    return value in _TRUE


def _row(record: dict[str, str | None], line: int) -> tuple[str, str, str, bool]:
    member_id, tier = (record.get("id") or "").strip(), (record.get("tier") or "").strip()
    try:
        member = SaleMember(member_id, tier)
    except InvalidInput as err:
        raise InvalidInput(f"line {line}: {err.message}") from None
    return member.member_id, member.tier, (record.get("name") or "").strip(), _active(record.get("active") or "", line)


def read_members(path: Path) -> list[tuple[str, str, str, bool]]:
    """The file's members (id, tier, name, active); InvalidInput naming the file and line."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in ("id", "tier") if c not in (reader.fieldnames or [])]
            if missing:
                raise InvalidInput(f"missing column(s) {', '.join(missing)}; expected {','.join(MEMBER_COLUMNS)}")
            rows, seen = [], set()
            for record in reader:
                member = _row(record, reader.line_num)
                if member[0] in seen:
                    raise InvalidInput(f"line {reader.line_num}: member {member[0]} appears twice")
                seen.add(member[0])
                rows.append(member)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InvalidInput(f"{path}: cannot read the members file: {err}") from err
    except InvalidInput as err:
        raise InvalidInput(f"{path}: {err.message}") from None
    return rows


def import_members(ledger: Ledger, path: Path) -> MemberImport:
    """Add or update every member of the file in one transaction, with one journal row."""
    members = read_members(path)
    now = to_utc_text(utc_now())
    with ledger.unit_of_work() as uow:
        conn = uow.session.connection()
        known = {r[0] for r in conn.exec_driver_sql("SELECT id FROM member")}
        if members:
            conn.exec_driver_sql(
                "INSERT INTO member (id, tier, name, active, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET tier = excluded.tier, name = excluded.name, "
                "active = excluded.active, updated_at = excluded.updated_at",
                [(*m, now) for m in members],
            )
        created = sum(1 for m in members if m[0] not in known)
        uow.journal("members.imported", {"file": path.name, "rows": len(members), "created": created})
        uow.commit()
    return MemberImport(len(members), created, len(members) - created)


def record_coupon_uses(uow: UnitOfWork, sale: Sale, receipt_no: str, entry: JournalEntry) -> None:
    """Count the coupons a completing sale used (its journal row `entry`, at its time), within
    their limits (checked again here: two lanes may have priced the same single-use coupon
    before either completed)."""
    used = sale.coupons_used()
    if not used:
        return
    customer = None if sale.member is None else sale.member.member_id
    conn = uow.session.connection()
    uses, mine = coupon_uses(conn, [c.code for c in used], customer)
    for coupon in used:
        if coupon.max_uses is not None and uses.get(coupon.code, 0) >= coupon.max_uses:
            raise Conflict(f"coupon {coupon.code} has been used up meanwhile: remove it from the sale")
        if coupon.max_uses_per_customer is not None and mine.get(coupon.code, 0) >= coupon.max_uses_per_customer:
            raise Conflict(f"member {customer} has already used coupon {coupon.code}: remove it from the sale")
    conn.exec_driver_sql(
        "INSERT INTO coupon_use (code, customer_id, sale_id, receipt_no, journal_seq, at) VALUES (?, ?, ?, ?, ?, ?)",
        [(c.code, customer, sale.sale_id, receipt_no, entry.seq, entry.at) for c in used],
    )
