"""What a printed document says: sale receipts, return slips and X/Z reports (and, re-exported,
the pick-up slip of `pos.pickup_slip`).

Pure data, no I/O: the node fills these from the ledger, `devices.receipt_layout` turns them
into printer bytes. Money is int minor units; times are already store-local when passed in.
A document that does not add up is refused here, so a printer never shows wrong totals.
`document_to_dict` / `document_from_dict` give a JSON-safe form for print-job rows.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields, is_dataclass
from datetime import datetime
from typing import Any

from pos.canonical import plain
from pos.document_parts import Language as Language
from pos.document_parts import StoreHeader as StoreHeader
from pos.document_parts import require as _require
from pos.document_parts import require_minor_units as _money
from pos.errors import InvalidInput
from pos.pickup_slip import PickupLine as PickupLine
from pos.pickup_slip import PickupSlip as PickupSlip


class TenderKind(enum.StrEnum):
    CASH = "cash"
    CARD = "card"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    VOUCHER = "voucher"
    POINTS = "points"
    OTHER = "other"


class ReportKind(enum.StrEnum):
    X = "X"  # mid-shift reading, changes nothing
    Z = "Z"  # end of day: closes the shift's totals


@dataclass(frozen=True, slots=True)
class AppliedPromotion:
    """The part of a line's discount one promotion gave, named as the customer should read it."""

    name: str
    amount: int
    promotion_id: str = ""

    def __post_init__(self) -> None:
        _money(self.amount, f"promotion {self.name!r} amount", minimum=1)


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """One sold (or returned) line: `unit_price` is per piece, or per kg when `grams` is set."""

    name_en: str
    name_zh: str
    unit_price: int
    amount: int  # shelf amount before discounts
    quantity: int = 1
    grams: int | None = None
    discounts: tuple[AppliedPromotion, ...] = ()
    tax_class: str = ""
    sku: str = ""

    def __post_init__(self) -> None:
        what = f"line {self.name_en or self.name_zh!r}"
        _money(self.unit_price, f"{what} unit price", minimum=0)
        _money(self.amount, f"{what} amount", minimum=0)
        if self.grams is None:
            _money(self.quantity, f"{what} quantity", minimum=1)
        else:
            _money(self.grams, f"{what} weight (g)", minimum=1)
        if self.discount > self.amount:
            raise InvalidInput(f"{what} discount {self.discount} exceeds its amount {self.amount}")

    @property
    def discount(self) -> int:
        return sum(d.amount for d in self.discounts)

    @property
    def net(self) -> int:
        """What the line costs after its promotions."""
        return self.amount - self.discount

    @property
    def name(self) -> str:
        return self.name_en or self.name_zh


@dataclass(frozen=True, slots=True)
class TaxLine:
    """One tax class of the breakdown: rate in basis points (1300 = 13 %)."""

    tax_class: str
    rate_bp: int
    net: int
    tax: int
    gross: int


@dataclass(frozen=True, slots=True)
class Tender:
    kind: TenderKind
    amount: int
    reference: str = ""  # masked card number, wallet transaction id

    def __post_init__(self) -> None:
        _money(self.amount, f"{self.kind} tender", minimum=0)


@dataclass(frozen=True, slots=True)
class Receipt:
    store: StoreHeader
    receipt_no: str
    lane: str
    cashier: str
    at: datetime
    lines: tuple[ReceiptLine, ...]
    taxes: tuple[TaxLine, ...]
    subtotal: int  # sum of shelf amounts
    discount: int  # sum of promotion discounts
    total: int  # what a card pays
    tenders: tuple[Tender, ...]
    change: int = 0
    cash_rounding: int = 0  # cash total - total
    prices_include_tax: bool = True
    language: Language = Language.ZH
    currency: str = "CNY"
    currency_exponent: int = 2
    member: str = ""  # masked loyalty id
    footer: str = ""

    def __post_init__(self) -> None:
        _require(bool(self.receipt_no), "a receipt needs a receipt number")
        _require(
            self.subtotal == sum(line.amount for line in self.lines),
            f"receipt {self.receipt_no}: subtotal {self.subtotal} is not the sum of its lines",
        )
        _require(
            self.discount == sum(line.discount for line in self.lines),
            f"receipt {self.receipt_no}: discount {self.discount} is not the sum of line discounts",
        )
        added_tax = 0 if self.prices_include_tax else self.tax
        _require(
            self.total == self.subtotal - self.discount + added_tax,
            f"receipt {self.receipt_no}: total {self.total} does not follow from its lines",
        )
        _require(
            not self.taxes or sum(t.gross for t in self.taxes) == self.total,
            f"receipt {self.receipt_no}: tax breakdown does not add up to the total {self.total}",
        )
        _money(self.change, "change", minimum=0)
        _require(
            self.tendered - self.change == self.total + self.cash_rounding,
            f"receipt {self.receipt_no}: tenders {self.tendered} less change {self.change} "
            f"do not pay {self.total + self.cash_rounding}",
        )

    @property
    def tax(self) -> int:
        return sum(t.tax for t in self.taxes)

    @property
    def tendered(self) -> int:
        return sum(t.amount for t in self.tenders)


@dataclass(frozen=True, slots=True)
class ReturnSlip:
    store: StoreHeader
    slip_no: str
    original_receipt_no: str  # empty for a no-receipt return
    lane: str
    cashier: str
    at: datetime
    lines: tuple[ReceiptLine, ...]
    total: int  # refunded
    refunds: tuple[Tender, ...]
    taxes: tuple[TaxLine, ...] = ()
    reason: str = ""
    approved_by: str = ""
    language: Language = Language.ZH
    currency: str = "CNY"
    currency_exponent: int = 2

    def __post_init__(self) -> None:
        _require(
            self.total == sum(line.net for line in self.lines),
            f"return {self.slip_no}: total {self.total} is not the sum of its lines",
        )
        _require(
            self.total == sum(t.amount for t in self.refunds),
            f"return {self.slip_no}: refunds do not add up to {self.total}",
        )


@dataclass(frozen=True, slots=True)
class TenderTotal:
    kind: TenderKind
    count: int
    amount: int


@dataclass(frozen=True, slots=True)
class ShiftReport:
    kind: ReportKind
    store: StoreHeader
    report_no: str
    lane: str
    cashier: str
    opened_at: datetime
    at: datetime
    sales_count: int
    returns_count: int
    gross_sales: int
    discounts: int
    returns: int
    net_sales: int
    taxes: tuple[TaxLine, ...]
    tenders: tuple[TenderTotal, ...]
    opening_float: int
    cash_expected: int
    cash_counted: int | None = None  # None on an X report taken without a count
    voids_count: int = 0
    no_sale_count: int = 0
    language: Language = Language.ZH
    currency: str = "CNY"
    currency_exponent: int = 2

    def __post_init__(self) -> None:
        _require(
            self.net_sales == self.gross_sales - self.discounts - self.returns,
            f"report {self.report_no}: net sales {self.net_sales} do not follow from its parts",
        )

    @property
    def cash_difference(self) -> int | None:
        return None if self.cash_counted is None else self.cash_counted - self.cash_expected


Document = Receipt | ReturnSlip | PickupSlip | ShiftReport

_KINDS: dict[str, type[Any]] = {
    "receipt": Receipt,
    "return_slip": ReturnSlip,
    "pickup_slip": PickupSlip,
    "shift_report": ShiftReport,
}


def document_kind(doc: Document) -> str:
    """The tag stored with a document: receipt, return_slip, pickup_slip, shift_report."""
    return next(kind for kind, cls in _KINDS.items() if isinstance(doc, cls))


def document_to_dict(doc: Document) -> dict[str, Any]:
    """A JSON-safe dict (ints, strings, lists; times as ISO text) tagged `"document": kind`."""
    data = plain(doc)
    assert isinstance(data, dict)
    return {"document": document_kind(doc), **data}


def document_from_dict(data: Mapping[str, Any]) -> Document:
    """The inverse of `document_to_dict`; InvalidInput naming the field when malformed."""
    kind = data.get("document")
    if kind not in _KINDS:
        raise InvalidInput(f"unknown document kind {kind!r} (known: {', '.join(_KINDS)})")
    body = {k: v for k, v in data.items() if k != "document"}
    doc: Document = _decode(_KINDS[kind], body, str(kind))
    return doc


def _decode(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        (inner,) = [o for o in options if o is not type(None)]
        return _decode(inner, value, path)
    if origin is tuple:
        (item_tp, _) = typing.get_args(tp)
        if not isinstance(value, list | tuple):
            raise InvalidInput(f"{path}: expected a list")
        return tuple(_decode(item_tp, v, f"{path}[{i}]") for i, v in enumerate(value))
    if isinstance(tp, type) and is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise InvalidInput(f"{path}: expected an object")
        hints = typing.get_type_hints(tp)
        kwargs: dict[str, Any] = {}
        for f in fields(tp):
            if f.name in value:
                kwargs[f.name] = _decode(hints[f.name], value[f.name], f"{path}.{f.name}")
            elif f.default is MISSING and f.default_factory is MISSING:
                raise InvalidInput(f"{path}.{f.name} is missing")
        return tp(**kwargs)
    try:
        if tp is datetime:
            return datetime.fromisoformat(value)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return tp(value)
    except (TypeError, ValueError) as err:
        raise InvalidInput(f"{path}: {err}") from None
    if tp in (int, str, bool) and type(value) is not tp:
        raise InvalidInput(f"{path}: expected {tp.__name__}, got {type(value).__name__}")
    return value

