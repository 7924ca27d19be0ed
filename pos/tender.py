"""Tenders: cash with change, card by terminal reference, vouchers and gift cards, split tenders.

Cash rounding applies only to the part cash settles: with a step of 5, a sale of 12.33 paid
all in cash costs 12.35, while 10.00 by card leaves 2.33 that cash settles as 2.35 (or a card
as exactly 2.33). Non-cash tenders can never exceed what is still due; cash may, and the
difference is change.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pos.catalog import MAX_PRICE
from pos.errors import Conflict, InvalidInput
from pos.money import format_minor, round_to_step_half_up

_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d)*")


class TenderKind(enum.StrEnum):
    CASH = "cash"
    CARD = "card"
    VOUCHER = "voucher"
    GIFT_CARD = "gift_card"
    EXCHANGE_CREDIT = "exchange_credit"  # the value of goods returned in an exchange


@dataclass(frozen=True, slots=True)
class Tender:
    """One payment on a sale. Cash: the amount handed over. Others: the amount charged."""

    tender_id: str
    kind: TenderKind
    amount: int
    currency: str
    reference: str = ""  # card: terminal reference; voucher / gift card: code; exchange: return id

    def to_dict(self) -> dict[str, Any]:
        return {
            "tender_id": self.tender_id,
            "kind": self.kind.value,
            "amount": self.amount,
            "currency": self.currency,
            "reference": self.reference,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tender:
        return cls(
            str(data["tender_id"]),
            TenderKind(data["kind"]),
            int(data["amount"]),
            str(data["currency"]),
            str(data["reference"]),
        )


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check that card numbers pass."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def looks_like_pan(text: str) -> bool:
    """True when `text` holds 13-19 digits (spaces or dashes allowed) that pass Luhn."""
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            return True
    return False


def _positive(amount: int, what: str) -> None:
    if amount <= 0:
        raise InvalidInput(f"{what} amount {amount} must be positive")
    if amount > MAX_PRICE:
        raise InvalidInput(f"{what} amount {amount} is above the maximum {MAX_PRICE}")


def cash(tender_id: str, tendered: int, currency: str) -> Tender:
    """Cash handed over by the customer (may exceed what is due: the rest is change)."""
    _positive(tendered, "cash")
    return Tender(tender_id, TenderKind.CASH, tendered, currency)


def card(tender_id: str, amount: int, reference: str, currency: str) -> Tender:
    """A card payment approved by the external terminal; only its reference is kept."""
    _positive(amount, "card")
    ref = reference.strip()
    if not ref or len(ref) > 64:
        raise InvalidInput("card payment needs the terminal's reference (1-64 characters)")
    if looks_like_pan(ref):
        raise InvalidInput(
            "card reference looks like a card number: enter the terminal's transaction reference, "
            "never the card number"
        )
    return Tender(tender_id, TenderKind.CARD, amount, currency, ref)


def stored_value(
    tender_id: str, kind: TenderKind, amount: int, code: str, balance: int, currency: str
) -> Tender:
    """A voucher or gift card payment, refused above the card's current balance."""
    if kind not in (TenderKind.VOUCHER, TenderKind.GIFT_CARD):
        raise InvalidInput(f"{kind.value} is not a voucher or gift card")
    _positive(amount, kind.value)
    if not code.strip():
        raise InvalidInput(f"{kind.value} payment needs the {kind.value} code")
    if amount > balance:
        raise InvalidInput(
            f"{kind.value} {code.strip()} has a balance of {format_minor(balance)}: "
            f"cannot take {format_minor(amount)}"
        )
    return Tender(tender_id, kind, amount, currency, code.strip())


def exchange_credit(tender_id: str, amount: int, return_id: str, currency: str) -> Tender:
    """The value of goods returned in an exchange, paying for the new sale."""
    _positive(amount, "exchange credit")
    return Tender(tender_id, TenderKind.EXCHANGE_CREDIT, amount, currency, return_id)


@dataclass(frozen=True, slots=True)
class Settlement:
    """Where the payment of a sale stands."""

    total: int
    non_cash: int
    cash_tendered: int
    cash_rounding: int  # cash_due minus the exact remainder, once cash settles the sale
    change: int
    balance_due: int  # still to pay, exactly (a card pays this); 0 once settled
    cash_balance_due: int  # still to pay in cash, rounded to the cash step

    @property
    def settled(self) -> bool:
        return self.balance_due == 0

    @property
    def paid(self) -> int:
        """What the store keeps: the total plus cash rounding."""
        return (
            self.total + self.cash_rounding if self.settled else self.non_cash + self.cash_tendered
        )


def settle(total: int, tenders: Sequence[Tender], cash_step: int = 1) -> Settlement:
    """Settle `tenders` against `total` with cash rounding to `cash_step` minor units."""
    non_cash = sum(t.amount for t in tenders if t.kind is not TenderKind.CASH)
    cash_tendered = sum(t.amount for t in tenders if t.kind is TenderKind.CASH)
    remaining = total - non_cash
    cash_due = round_to_step_half_up(remaining, cash_step)
    if remaining <= 0 or (cash_tendered > 0 and cash_tendered >= cash_due):
        rounding = cash_due - remaining if cash_tendered > 0 else 0
        change = cash_tendered - cash_due if cash_tendered > 0 else 0
        return Settlement(total, non_cash, cash_tendered, rounding, change, 0, 0)
    return Settlement(
        total, non_cash, cash_tendered, 0, 0, remaining - cash_tendered, cash_due - cash_tendered
    )


def accept_tender(
    total: int,
    tenders: Sequence[Tender],
    new: Tender,
    *,
    currency: str,
    cash_step: int = 1,
) -> Settlement:
    """Check that `new` may be added to `tenders`; the settlement after adding it."""
    if new.currency != currency:
        raise InvalidInput(
            f"{new.kind.value} tender in {new.currency} refused: this sale is in {currency}"
        )
    if any(t.tender_id == new.tender_id for t in tenders):
        raise Conflict(f"tender {new.tender_id} is already on this sale")
    before = settle(total, tenders, cash_step)
    if before.settled:
        raise Conflict("the sale is already paid: complete it")
    if new.kind is not TenderKind.CASH and new.amount > before.balance_due:
        raise InvalidInput(
            f"{new.kind.value} {format_minor(new.amount)} is more than the "
            f"{format_minor(before.balance_due)} still due: only cash can be over-tendered"
        )
    return settle(total, [*tenders, new], cash_step)


def net_by_tender(tenders: Sequence[Tender], settlement: Settlement) -> list[int]:
    """What each tender actually paid: cash less change (taken from the last cash first)."""
    nets = [t.amount for t in tenders]
    change = settlement.change
    for index in reversed(range(len(tenders))):
        if change == 0:
            break
        if tenders[index].kind is TenderKind.CASH:
            taken = min(change, nets[index])
            nets[index] -= taken
            change -= taken
    return nets
