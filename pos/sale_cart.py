"""A sale's state and bookkeeping: lines, discounts, tenders, totals, snapshot and event log.

`pos.sale.Sale` builds on this with the cashier's commands; the checks every command shares
(is the sale open, is the line live, does a card payment still fit the new total) and the
version bump with its event live here so each command stays a few lines.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Self

from pos.catalog import ItemRecord
from pos.errors import Conflict, InvalidInput, NotAllowed, NotFound
from pos.money import format_minor
from pos.sale_customer import SaleCoupon, SaleMember, coupons_used
from pos.sale_events import SaleEvent, SaleEventName, check_aware
from pos.sale_line import LineSource, SaleLine
from pos.tax import Interned, LineDiscount, StorePricing, Totals, compute_totals
from pos.tender import Settlement, Tender, TenderKind, settle

MAX_LINES = 500


class SaleState(enum.StrEnum):
    OPEN = "open"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class SaleCart:
    """What a sale holds and how it is read, saved and journalled; the rules are on `Sale`."""

    def __init__(
        self,
        *,
        sale_id: str,
        store_id: str,
        lane_id: str,
        cashier_id: str,
        currency: str,
        pricing: StorePricing,
        opened_at: datetime,
        state: SaleState = SaleState.OPEN,
        lines: list[SaleLine] | None = None,
        discounts: dict[int, LineDiscount] | None = None,
        tenders: list[Tender] | None = None,
        version: int = 0,
        receipt_no: str | None = None,
        closed_at: datetime | None = None,
        member: SaleMember | None = None,
        coupons: tuple[SaleCoupon, ...] = (),
    ) -> None:
        self.sale_id, self.store_id, self.lane_id = sale_id, store_id, lane_id
        self.cashier_id, self.currency, self.pricing = cashier_id, currency, pricing
        self.opened_at, self.state, self.version = check_aware(opened_at), state, version
        self.lines: list[SaleLine] = list(lines or [])
        self.discounts: dict[int, LineDiscount] = dict(discounts or {})
        self.tenders: list[Tender] = list(tenders or [])
        self.receipt_no, self.closed_at = receipt_no, closed_at
        self.member, self.coupons = member, tuple(coupons)
        self._events: list[SaleEvent] = []
        self._totals_memo: tuple[tuple[Any, ...], Totals] | None = None
        # shared by this cart's copies (it holds only immutable values); 4,000 values: a few
        # scans' worth of a 200-line cart, about a megabyte at most
        self._interned = Interned(size=4_000)

    # -- reading ---------------------------------------------------------------------------

    @property
    def coupon_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.coupons)

    def coupons_used(self) -> tuple[SaleCoupon, ...]:
        """The presented coupons that gave this sale a discount (their uses count at completion)."""
        return coupons_used(self.coupons, (p.promotion_id for d in self.discounts.values() for p in d.promotions))

    @property
    def active_lines(self) -> list[SaleLine]:
        return [line for line in self.lines if not line.voided]

    def line(self, line_id: int) -> SaleLine:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise NotFound(f"line {line_id} is not on sale {self.sale_id}")

    def totals(self) -> Totals:
        """The cart's totals; remembered until a line or a discount changes (lines and
        discounts are immutable, so comparing them by identity is exact and cheap)."""
        key = self._totals_key()
        memo = self._totals_memo
        if memo is not None and memo[0] == key:
            return memo[1]
        totals = self._totals(self.active_lines, self.discounts)
        self._totals_memo = (key, totals)
        return totals

    def settlement(self) -> Settlement:
        return settle(self.totals().total, self.tenders, self.pricing.cash_rounding_step)

    def pull_events(self) -> list[SaleEvent]:
        """The events recorded since the last pull, oldest first (for the journal)."""
        events, self._events = self._events, []
        return events

    # -- persistence -----------------------------------------------------------------------

    def copy(self) -> Self:
        """An independent cart with the same contents (lines and tenders are immutable)."""
        twin = copy.copy(self)
        twin.lines, twin.tenders, twin.discounts = list(self.lines), list(self.tenders), dict(self.discounts)
        twin._events = []
        return twin

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able snapshot of the whole cart (pending events are not part of it)."""
        data = self.snapshot(discounts=False)  # written below, in full
        data["lines"] = [line.to_dict() for line in self.lines]
        data["discounts"] = [{"line_id": k, **v.to_dict()} for k, v in sorted(self.discounts.items())]
        return data

    def snapshot(self, *, discounts: bool = True) -> dict[str, Any]:
        """`to_dict` with the lines and promotion shares left as their (immutable) dataclasses:
        a serialiser that renders dataclasses itself writes the same JSON without a dict each.
        Without `discounts`, the caller writes its own form of them (the lane's view does)."""
        return {
            "schema": 1,
            "sale_id": self.sale_id,
            "store_id": self.store_id,
            "lane_id": self.lane_id,
            "cashier_id": self.cashier_id,
            "currency": self.currency,
            "pricing": self.pricing.to_dict(),
            "opened_at": self.opened_at.isoformat(),
            "state": self.state.value,
            "version": self.version,
            "receipt_no": self.receipt_no,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "lines": list(self.lines),
            "discounts": [
                {"line_id": k, "amount": v.amount, "promotions": v.promotions} for k, v in sorted(self.discounts.items())
            ]
            if discounts
            else None,
            "tenders": [t.to_dict() for t in self.tenders],
            "member": None if self.member is None else self.member.to_dict(),
            "coupons": [c.to_dict() for c in self.coupons],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild a sale saved by `to_dict`; InvalidInput when the snapshot is unreadable."""
        try:
            closed = data["closed_at"]
            return cls(
                sale_id=data["sale_id"],
                store_id=data["store_id"],
                lane_id=data["lane_id"],
                cashier_id=data["cashier_id"],
                currency=data["currency"],
                pricing=StorePricing.from_dict(data["pricing"]),
                opened_at=datetime.fromisoformat(data["opened_at"]),
                state=SaleState(data["state"]),
                version=int(data["version"]),
                lines=[SaleLine.from_dict(d) for d in data["lines"]],
                discounts=_discounts(data["discounts"]),
                tenders=[Tender.from_dict(d) for d in data["tenders"]],
                receipt_no=data["receipt_no"],
                closed_at=datetime.fromisoformat(closed) if closed else None,
                member=SaleMember.from_dict(data.get("member")),
                coupons=tuple(SaleCoupon.from_dict(d) for d in data.get("coupons", ())),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise InvalidInput(f"saved sale is unreadable: {err}") from None

    # -- internals -------------------------------------------------------------------------

    def _add(
        self,
        item: ItemRecord,
        quantity: int,
        unit_price: int,
        weighed: bool,
        source: LineSource,
        code: str,
        scale_id: str,
        at: datetime,
    ) -> SaleLine:
        self._check_open("add an item")
        if not item.active:
            raise NotAllowed(f"{item.name_en} ({item.sku}) is not for sale (inactive)")
        self.pricing.rate_bp(item.tax_class)
        if len(self.lines) >= MAX_LINES:
            raise InvalidInput(f"a sale holds at most {MAX_LINES} lines: complete this one first")
        line_id = max((line.line_id for line in self.lines), default=0) + 1
        line = SaleLine(
            line_id,
            item.sku,
            item.name_en,
            item.name_zh,
            quantity,
            unit_price,
            item.tax_class,
            item.category,
            item.brand,
            weighed,
            source,
            code,
            scale_id,
        )
        self.lines.append(line)
        self.discounts = {}
        self._record(SaleEventName.LINE_ADDED, at, line=line.to_dict())
        return line

    def _live_line(self, line_id: int) -> SaleLine:
        self._check_open("change a line")
        line = self.line(line_id)
        if line.voided:
            raise Conflict(f"line {line_id} ({line.name_en}) is already voided")
        return line

    def _need_manager_after_tender(self, manager_id: str | None, what: str) -> None:
        if self.tenders and not manager_id:
            raise NotAllowed(f"payment has begun: a manager must approve to {what}")

    def _commit_line(
        self,
        new: SaleLine,
        name: SaleEventName,
        at: datetime,
        manager_id: str | None,
        **data: Any,
    ) -> None:
        lines = [new if line.line_id == new.line_id else line for line in self.lines]
        self._checked_totals([line for line in lines if not line.voided], {})
        self.lines, self.discounts = lines, {}
        self._record(name, at, manager_id, **data)

    def _totals_key(self) -> tuple[Any, ...]:
        return (tuple(self.lines), tuple(self.discounts.items()))

    def _totals(self, lines: list[SaleLine], discounts: Mapping[int, LineDiscount]) -> Totals:
        taxable = self._interned.taxable
        return compute_totals(
            [
                taxable(line.line_id, line.tax_class, line.amount, discounts[line.line_id].amount if line.line_id in discounts else 0)
                for line in lines
            ],
            self.pricing,
            self._interned,
        )

    def _checked_totals(self, lines: list[SaleLine], discounts: dict[int, LineDiscount]) -> Totals:
        totals = self._totals(lines, discounts)
        paid = sum(t.amount for t in self.tenders if t.kind is not TenderKind.CASH)
        if paid > totals.total:
            raise Conflict(
                f"the new total {format_minor(totals.total)} is below the {format_minor(paid)} "
                "already paid by card/voucher: void that payment first"
            )
        return totals

    def _check_open(self, action: str) -> None:
        if self.state is not SaleState.OPEN:
            raise Conflict(f"cannot {action}: sale {self.sale_id} is {self.state.value}")

    def _record(
        self, name: SaleEventName, at: datetime, manager_id: str | None = None, **data: Any
    ) -> SaleEvent:
        self.version += 1
        event = SaleEvent(
            name,
            self.sale_id,
            self.version,
            check_aware(at),
            self.cashier_id,
            self.lane_id,
            manager_id,
            data,
        )
        self._events.append(event)
        return event


def _discounts(saved: Any) -> dict[int, LineDiscount]:
    """Line discounts as `to_dict` writes them (a list, each with its line id) or as the lane's
    view of the cart does (keyed by line id): the node saves that view."""
    if isinstance(saved, Mapping):
        return {int(line_id): LineDiscount.from_dict(d) for line_id, d in saved.items()}
    return {int(d["line_id"]): LineDiscount.from_dict(d) for d in saved}
