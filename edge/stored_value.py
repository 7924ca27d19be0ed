"""Vouchers and gift cards: issued with a balance and gift cards topped up by a manager, each a
journal row in the same transaction as the balance it changes; tenders draw them down
(edge.completion) and refunds credit them (edge.refunds).

Issuing and topping up carry a client-made request id: a retried request finds the first
result instead of issuing or loading value twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from edge.clock import utc_now
from edge.ledger import Ledger, UnitOfWork
from edge.requests import Replayed, claim_request
from edge.sale_tables import StoredValueRow
from pos.errors import Conflict, InvalidInput, NotFound
from pos.money import format_minor
from pos.tender import TenderKind

KINDS = (TenderKind.VOUCHER, TenderKind.GIFT_CARD)
MAX_BALANCE = 100_000_000
_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-_]{0,39}$")


@dataclass(frozen=True)
class StoredValue:
    code: str
    kind: TenderKind
    balance: int
    updated_at: datetime


def _public(row: StoredValueRow) -> StoredValue:
    return StoredValue(row.code, TenderKind(row.kind), row.balance, row.updated_at)


def _card(session: Session, code: str) -> StoredValueRow:
    row = session.get(StoredValueRow, code)
    if row is None:
        raise NotFound(f"no voucher or gift card with code {code!r}")
    return row


def _check_amount(amount: int, what: str) -> int:
    if not 0 < amount <= MAX_BALANCE:
        raise InvalidInput(f"{what} {amount} must be between 1 and {MAX_BALANCE} (minor units)")
    return amount


def balance(ledger: Ledger, code: str) -> StoredValue:
    with ledger.read() as session:
        return _public(_card(session, code))


def issue(ledger: Ledger, code: str, kind: TenderKind, amount: int, *, manager_id: str, request_id: str) -> StoredValue:
    """A new voucher or gift card holding `amount`; Conflict naming the code if it exists."""
    if kind not in KINDS:
        raise InvalidInput(f"{kind.value} is not a voucher or gift card")
    if not _CODE.match(code):
        raise InvalidInput(f"code {code!r} must be 1-40 letters, digits, - or _")
    _check_amount(amount, "balance")
    try:
        with ledger.unit_of_work() as uow:
            claim_request(uow.db, request_id, "stored_value.issue", code)
            if uow.session.get(StoredValueRow, code) is not None:
                raise Conflict(f"a voucher or gift card with code {code} already exists")
            row = StoredValueRow(code=code, kind=kind.value, balance=amount, updated_at=utc_now())
            uow.session.add(row)
            _journal(uow, "stored_value.issued", row, amount, manager_id, request_id)
            uow.commit()
    except Replayed:
        return balance(ledger, code)
    return _public(row)


def top_up(ledger: Ledger, code: str, amount: int, *, manager_id: str, request_id: str) -> StoredValue:
    """Load more value onto a gift card (vouchers are single-value and are not topped up)."""
    _check_amount(amount, "top-up")
    try:
        with ledger.unit_of_work() as uow:
            claim_request(uow.db, request_id, "stored_value.top_up", code)
            row = _card(uow.session, code)
            if row.kind != TenderKind.GIFT_CARD.value:
                raise InvalidInput(f"{code} is a {row.kind}: only gift cards can be topped up")
            if row.balance + amount > MAX_BALANCE:
                raise InvalidInput(
                    f"gift card {code} would hold {format_minor(row.balance + amount)}, above the "
                    f"maximum {format_minor(MAX_BALANCE)}"
                )
            row.balance += amount
            row.updated_at = utc_now()
            uow.session.add(row)
            _journal(uow, "stored_value.topped_up", row, amount, manager_id, request_id)
            uow.commit()
    except Replayed:
        return balance(ledger, code)
    return _public(row)


def _journal(uow: UnitOfWork, kind: str, row: StoredValueRow, amount: int, manager_id: str, request_id: str) -> None:
    uow.journal(kind, {
        "code": row.code, "kind": row.kind, "amount": amount, "balance": row.balance,
        "manager_id": manager_id, "request_id": request_id,
    })
