"""Totals of a sale: tax-inclusive or tax-exclusive prices, tax classes, named rounding rules.

Rounding rules (both round halves up, `div_round_half_up`):
- `per_line`: every line's tax is rounded, the class tax is the sum of the line taxes.
- `per_total`: the tax of each class is rounded once on the class's summed base, then split
  back over the class's lines exactly (`allocate_proportionally`), so lines still sum up.
Cash rounding (`cash_rounding_step`, e.g. 5 or 10 minor units) applies only to what is paid
in cash; see `pos.tender.settle`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pos.errors import InvalidInput
from pos.money import (
    BASIS_POINTS,
    allocate_proportionally,
    div_round_half_up,
    round_to_step_half_up,
)
from pos.recent import Recent


class TaxRounding(enum.StrEnum):
    PER_LINE = "per_line"
    PER_TOTAL = "per_total"


@dataclass(frozen=True, slots=True)
class StorePricing:
    """The store's pricing settings, snapshotted into each sale when it opens."""

    tax_rates_bp: Mapping[str, int] = field(default_factory=dict)  # tax class -> rate, 1300 = 13 %
    prices_include_tax: bool = True
    tax_rounding: TaxRounding = TaxRounding.PER_LINE
    cash_rounding_step: int = 1  # minor units: 1 (none), 5 (0.05), 10 (0.10)

    def __post_init__(self) -> None:
        for code, rate in self.tax_rates_bp.items():
            if not 0 <= rate <= BASIS_POINTS:
                raise InvalidInput(f"tax class {code!r} rate {rate} bp must be 0-10000")
        if not 1 <= self.cash_rounding_step <= 100:
            raise InvalidInput(f"cash rounding step {self.cash_rounding_step} must be 1-100")

    def rate_bp(self, tax_class: str) -> int:
        """The rate of a tax class; InvalidInput naming the class when it is not configured."""
        try:
            return self.tax_rates_bp[tax_class]
        except KeyError:
            known = ", ".join(sorted(self.tax_rates_bp)) or "none configured"
            raise InvalidInput(
                f"tax class {tax_class!r} is not configured (known: {known})"
            ) from None

    def to_dict(self) -> dict[str, Any]:
        return {
            "tax_rates_bp": dict(self.tax_rates_bp),
            "prices_include_tax": self.prices_include_tax,
            "tax_rounding": self.tax_rounding.value,
            "cash_rounding_step": self.cash_rounding_step,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StorePricing:
        return cls(
            tax_rates_bp=dict(data["tax_rates_bp"]),
            prices_include_tax=bool(data["prices_include_tax"]),
            tax_rounding=TaxRounding(data["tax_rounding"]),
            cash_rounding_step=int(data["cash_rounding_step"]),
        )


# The value types a cart is rendered from keep a __dict__ (no slots): orjson writes a slotted
# dataclass field by field through getattr, 4-10x slower, and a 150-line cart has hundreds.
@dataclass(frozen=True)
class PromotionShare:
    """The part of a line's discount that one promotion gave."""

    promotion_id: str
    amount: int
    name_en: str = ""
    name_zh: str = ""


@dataclass(frozen=True)
class LineDiscount:
    """A discount on one line from the promotions engine; reduces the line's taxable amount."""

    amount: int
    promotions: tuple[PromotionShare, ...] = ()

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise InvalidInput(f"discount {self.amount} is negative")
        if self.promotions and sum(p.amount for p in self.promotions) != self.amount:
            raise InvalidInput(
                f"discount {self.amount} differs from the sum of its promotions "
                f"{sum(p.amount for p in self.promotions)}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "amount": self.amount,
            "promotions": [
                {
                    "promotion_id": p.promotion_id,
                    "amount": p.amount,
                    "name_en": p.name_en,
                    "name_zh": p.name_zh,
                }
                for p in self.promotions
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LineDiscount:
        return cls(int(data["amount"]), tuple(PromotionShare(**p) for p in data["promotions"]))


class AppliedPromotion(Protocol):
    """What the promotions engine reports per promotion (`pos.promotions` AppliedDiscount)."""

    @property
    def promotion_id(self) -> str: ...
    @property
    def name_en(self) -> str: ...
    @property
    def name_zh(self) -> str: ...
    @property
    def lines(self) -> Mapping[str, int]: ...


class DiscountParts:
    """Makes each distinct PromotionShare and LineDiscount once and gives the same object out
    again: from one scan to the next most lines keep their discount, and an object that is
    the same one lets whatever is remembered by identity (a cart's totals, its JSON) stay
    valid. Bounded: past `size` values of a kind it forgets the least recently used, one at
    a time (`pos.recent`). A discount is keyed by its shares' ids; it holds those shares, so
    no id in a key it remembers can be reused by another object."""

    def __init__(self, size: int = 20_000) -> None:
        self._shares: Recent[tuple[str, int, str, str], PromotionShare] = Recent(size)
        self._discounts: Recent[int | tuple[int, ...], LineDiscount] = Recent(size)
        # the engine gives its unchanged answers out again: their shares, by identity (the
        # answer is held beside them, so that its id cannot be reused)
        self._entries: Recent[int, tuple[AppliedPromotion, list[tuple[int, PromotionShare]]]] = Recent(size)

    def entries(self, promotion: AppliedPromotion) -> list[tuple[int, PromotionShare]]:
        """(line id, share) for each line the promotion discounts."""
        found = self._entries.get(id(promotion))
        if found is not None and found[0] is promotion:
            return found[1]
        made = []
        for raw_id, amount in promotion.lines.items():
            if not str(raw_id).isdigit():
                raise InvalidInput(f"promotion {promotion.promotion_id}: line {raw_id!r} is unknown")
            if amount:
                made.append((int(raw_id), self.share(promotion.promotion_id, amount, promotion.name_en, promotion.name_zh)))
        self._entries.put(id(promotion), (promotion, made))
        return made

    def share(self, promotion_id: str, amount: int, name_en: str, name_zh: str) -> PromotionShare:
        key = (promotion_id, amount, name_en, name_zh)
        found = self._shares.get(key)
        if found is None:
            found = self._shares.put(key, PromotionShare(promotion_id, amount, name_en, name_zh))
        return found

    def discount(self, parts: list[PromotionShare]) -> LineDiscount:
        # shares come from `share`: the same value is the same object. Most lines have one
        # share: its id alone (an int never equals a tuple of them)
        key = id(parts[0]) if len(parts) == 1 else tuple(map(id, parts))
        found = self._discounts.get(key)
        if found is None:
            found = self._discounts.put(key, LineDiscount(sum(p.amount for p in parts), tuple(parts)))
        return found


def line_discounts(
    applied: Iterable[AppliedPromotion], parts: DiscountParts | None = None
) -> dict[int, LineDiscount]:
    """Regroup per-promotion discounts (line_id -> amount) into one LineDiscount per line."""
    made = parts or DiscountParts()
    shares: dict[int, list[PromotionShare]] = {}
    for promotion in applied:
        for line_id, share in made.entries(promotion):
            shares.setdefault(line_id, []).append(share)
    return {line_id: made.discount(line_parts) for line_id, line_parts in sorted(shares.items())}


@dataclass(frozen=True, slots=True)
class TaxableLine:
    """One line as tax sees it: its shelf amount (price x quantity) and its discount."""

    line_id: int
    tax_class: str
    amount: int
    discount: int = 0


@dataclass(frozen=True)
class LineTax:
    line_id: int
    tax_class: str
    rate_bp: int
    amount: int  # shelf amount before discount
    discount: int
    net: int
    tax: int
    gross: int  # what the customer pays for the line


@dataclass(frozen=True)
class ClassTax:
    tax_class: str
    rate_bp: int
    net: int
    tax: int
    gross: int


@dataclass(frozen=True)
class Totals:
    lines: tuple[LineTax, ...]
    classes: tuple[ClassTax, ...]  # sorted by tax class code
    subtotal: int  # sum of shelf amounts before discounts
    discount: int
    net: int
    tax: int
    total: int  # gross: what a card pays
    cash_total: int  # the total rounded to the cash step: what cash pays
    cash_rounding: int  # cash_total - total


def _tax_on_gross(gross: int, rate_bp: int) -> int:
    """Tax contained in a tax-inclusive amount, rounded half up."""
    return div_round_half_up(gross * rate_bp, BASIS_POINTS + rate_bp)


def _tax_on_net(net: int, rate_bp: int) -> int:
    """Tax added to a tax-exclusive amount, rounded half up."""
    return div_round_half_up(net * rate_bp, BASIS_POINTS)


T = TypeVar("T")


class Interned:
    """Equal immutable values made once and given out again, by their fields (a cart's lines
    mostly come out of a scan as they went in; a frozen dataclass costs more to make than
    to look up). Bounded: past `size` values it forgets the least recently used (`pos.recent`)."""

    def __init__(self, size: int = 4_000) -> None:
        self._made: Recent[tuple[Any, ...], Any] = Recent(size)
        # a line's tax under per-line rounding, by the (interned) taxable line itself: the
        # line is held beside it, so that its id cannot be reused
        self._taxed: Recent[int, tuple[TaxableLine, int, bool, LineTax]] = Recent(size)

    def taxable(self, line_id: int, tax_class: str, amount: int, discount: int) -> TaxableLine:
        return self._get(TaxableLine, (line_id, tax_class, amount, discount))

    def line_tax(self, *fields: Any) -> LineTax:
        return self._get(LineTax, fields)

    def taxed(self, line: TaxableLine, rate_bp: int, prices_include_tax: bool) -> LineTax:
        """The line's tax under `per_line` rounding (an unchanged line: no key to make)."""
        found = self._taxed.get(id(line))
        if (
            found is not None
            and found[0] is line
            and found[1] == rate_bp
            and found[2] is prices_include_tax
        ):
            return found[3]
        base = line.amount - line.discount
        if prices_include_tax:
            tax = _tax_on_gross(base, rate_bp)
            net, gross = base - tax, base
        else:
            tax = _tax_on_net(base, rate_bp)
            net, gross = base, base + tax
        made = self.line_tax(
            line.line_id, line.tax_class, rate_bp, line.amount, line.discount, net, tax, gross
        )
        self._taxed.put(id(line), (line, rate_bp, prices_include_tax, made))
        return made

    def _get(self, kind: type[T], fields: tuple[Any, ...]) -> T:
        key = (kind, *fields)
        found = self._made.get(key)
        if found is None:
            found = self._made.put(key, kind(*fields))
        made: T = found
        return made


def compute_totals(lines: Sequence[TaxableLine], pricing: StorePricing, interned: Interned | None = None) -> Totals:
    """Totals with a per-line and per-class breakdown; every part sums exactly to its whole."""
    line_tax = LineTax if interned is None else interned.line_tax
    by_class: dict[str, list[TaxableLine]] = {}
    seen: set[int] = set()
    for line in lines:
        if line.line_id in seen:
            raise InvalidInput(f"line {line.line_id} appears twice")
        seen.add(line.line_id)
        if line.amount < 0:
            raise InvalidInput(f"line {line.line_id} amount {line.amount} is negative")
        if not 0 <= line.discount <= line.amount:
            raise InvalidInput(
                f"line {line.line_id} discount {line.discount} must be between 0 and "
                f"the line amount {line.amount}"
            )
        members = by_class.get(line.tax_class)
        if members is None:
            pricing.rate_bp(line.tax_class)  # InvalidInput naming an unknown class
            members = by_class[line.tax_class] = []
        members.append(line)

    line_taxes: dict[int, LineTax] = {}
    classes: list[ClassTax] = []
    for code in sorted(by_class):
        rate = pricing.rate_bp(code)
        members = by_class[code]
        if pricing.tax_rounding is TaxRounding.PER_LINE and interned is not None:
            include = pricing.prices_include_tax
            for line in members:
                line_taxes[line.line_id] = interned.taxed(line, rate, include)
        else:
            bases = [line.amount - line.discount for line in members]
            tax_of = _tax_on_gross if pricing.prices_include_tax else _tax_on_net
            if pricing.tax_rounding is TaxRounding.PER_LINE:
                taxes = [tax_of(base, rate) for base in bases]
            else:
                taxes = allocate_proportionally(tax_of(sum(bases), rate), bases)
            for line, base, tax in zip(members, bases, taxes, strict=True):
                net, gross = (base - tax, base) if pricing.prices_include_tax else (base, base + tax)
                line_taxes[line.line_id] = line_tax(
                    line.line_id, code, rate, line.amount, line.discount, net, tax, gross
                )
        class_lines = [line_taxes[line.line_id] for line in members]
        classes.append(
            ClassTax(
                code,
                rate,
                sum(lt.net for lt in class_lines),
                sum(lt.tax for lt in class_lines),
                sum(lt.gross for lt in class_lines),
            )
        )
    ordered = tuple(line_taxes[line.line_id] for line in lines)
    total = sum(c.gross for c in classes)
    cash_total = round_to_step_half_up(total, pricing.cash_rounding_step)
    return Totals(
        lines=ordered,
        classes=tuple(classes),
        subtotal=sum(line.amount for line in lines),
        discount=sum(line.discount for line in lines),
        net=sum(c.net for c in classes),
        tax=sum(c.tax for c in classes),
        total=total,
        cash_total=cash_total,
        cash_rounding=cash_total - total,
    )
