"""A completed return: the goods taken back and the money paid out, per tender."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from pos.tax import PromotionShare
from pos.tender import TenderKind


class Disposition(enum.StrEnum):
    RESTOCK = "restock"  # back on the shelf: stock goes up
    DAMAGED = "damaged"  # written off: stock moves to damaged, not sellable


@dataclass(frozen=True, slots=True)
class RefundLine:
    sku: str
    name_en: str
    name_zh: str
    quantity: int
    weighed: bool
    tax_class: str
    rate_bp: int
    amount: int  # gross refunded
    tax: int
    disposition: Disposition
    original_line_id: int | None = None
    promotions: tuple[PromotionShare, ...] = ()  # the discount share given back with the item


@dataclass(frozen=True, slots=True)
class TenderRefund:
    kind: TenderKind
    amount: int
    original_tender_id: str | None = None
    reference: str = ""


@dataclass(frozen=True, slots=True)
class Refund:
    """A completed return: the lines taken back and the money paid out, per tender."""

    return_id: str
    sale_id: str | None
    receipt_no: str | None
    currency: str
    at: datetime
    cashier_id: str
    manager_id: str | None
    lines: tuple[RefundLine, ...]
    tenders: tuple[TenderRefund, ...]
    cash_rounding: int = 0

    @property
    def total(self) -> int:
        """The value of the goods taken back."""
        return sum(line.amount for line in self.lines)

    @property
    def exchange_credit(self) -> int:
        """The part kept to pay for the new goods of an exchange (`pos.tender.exchange_credit`)."""
        return sum(t.amount for t in self.tenders if t.kind is TenderKind.EXCHANGE_CREDIT)

    @property
    def paid_out(self) -> int:
        """What left the store, all tenders together (total + cash rounding)."""
        return sum(t.amount for t in self.tenders)

    def to_dict(self) -> dict[str, Any]:
        """Its fields, and its `total` (what HQ's sales figures subtract; `from_dict` ignores it)."""
        data = asdict(self)
        data["at"] = self.at.isoformat()
        data["total"] = self.total
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Refund:
        def promos(items: Sequence[Mapping[str, Any]]) -> tuple[PromotionShare, ...]:
            return tuple(PromotionShare(**p) for p in items)

        lines = tuple(
            RefundLine(
                **{
                    **d,
                    "disposition": Disposition(d["disposition"]),
                    "promotions": promos(d["promotions"]),
                }
            )
            for d in data["lines"]
        )
        tenders = tuple(
            TenderRefund(**{**t, "kind": TenderKind(t["kind"])}) for t in data["tenders"]
        )
        at = datetime.fromisoformat(data["at"])
        fields = {key: value for key, value in data.items() if key != "total"}  # derived, not stored
        return cls(**{**fields, "at": at, "lines": lines, "tenders": tenders})
