"""The pick-up slip: the paper that goes with an online order's bag to the pick-up counter.

It says whose order it is (name; phone masked but for its last 4 digits), when it was promised,
what is in the bag line by line (picked, short, substituted or missing: a short pick is shown,
not hidden), what it costs and whether it is paid, and carries the pick-up code large and as a
QR code and barcode the counter scans. Pure data like `pos.receipt`: the node fills it (times
already store-local), `devices.receipt_layout` puts it on paper. The slip stores the phone
masked, so a print-job row never holds a customer's full number.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from pos.document_parts import Language, StoreHeader, require, require_minor_units
from pos.errors import InvalidInput

SCAN_PREFIX = "PICKUP"  # QR payload: PICKUP:<order_no>:<pick-up code>
BARCODE_PREFIX = "PU"  # barcode payload: PU<pick-up code> (short enough for 58 mm Code 128)
ORDER_NO = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
PICKUP_CODE = re.compile(r"[A-Z0-9]{4,12}")
_MASKED_PHONE = re.compile(r"\**[0-9]{0,4}")


class PickMark(enum.StrEnum):
    """How a line stands when the slip is printed."""

    TO_PICK = "to_pick"  # not picked yet: the slip is the pick list
    PICKED = "picked"
    SHORT = "short"  # fewer pieces than ordered
    SUBSTITUTED = "substituted"
    MISSING = "missing"


def mask_phone(phone: str) -> str:
    """Every digit but the last 4 as '*': '+86 138-0013-5678' -> '*********5678'."""
    digits = "".join(ch for ch in phone if ch.isascii() and ch.isdigit())
    if len(digits) < 5:
        raise InvalidInput(f"phone number {phone!r} has {len(digits)} digits: too few to be a phone number")
    return "*" * (len(digits) - 4) + digits[-4:]


def qr_payload(order_no: str, pickup_code: str) -> str:
    """What the slip's QR code says: both the order and its pick-up code."""
    return f"{SCAN_PREFIX}:{order_no}:{pickup_code}"


def barcode_payload(pickup_code: str) -> str:
    """What the slip's barcode says (a 1D scanner at the counter reads this one)."""
    return f"{BARCODE_PREFIX}{pickup_code}"


@dataclass(frozen=True, slots=True)
class PickupScan:
    """A scanned pick-up slip: the pick-up code, and the order number when the QR was read."""

    pickup_code: str
    order_no: str = ""


def read_pickup_scan(scanned: str) -> PickupScan | None:
    """The pick-up slip behind a scanned code, or None when it is not one (an item's barcode)."""
    text = scanned.strip()
    parts = text.split(":")
    if len(parts) == 3 and parts[0] == SCAN_PREFIX and ORDER_NO.fullmatch(parts[1]) and PICKUP_CODE.fullmatch(parts[2]):
        return PickupScan(parts[2], parts[1])
    code = text.removeprefix(BARCODE_PREFIX)
    if code != text and PICKUP_CODE.fullmatch(code):
        return PickupScan(code)
    return None


@dataclass(frozen=True, slots=True)
class Substitute:
    """What was put in the bag instead of an ordered item."""

    name_en: str
    name_zh: str
    quantity: int = 1
    grams: int | None = None
    sku: str = ""

    def __post_init__(self) -> None:
        require(bool(self.name_en or self.name_zh), "a substitute needs a name")
        if self.grams is None:
            require_minor_units(self.quantity, f"substitute {self.name!r} quantity", minimum=1)
        else:
            require_minor_units(self.grams, f"substitute {self.name!r} weight (g)", minimum=1)

    @property
    def name(self) -> str:
        return self.name_en or self.name_zh


@dataclass(frozen=True, slots=True)
class PickupLine:
    """One ordered item: `quantity` pieces, or `grams` when weighed; `picked` counts in the same
    unit (None: not picked yet); `amount` is what the line costs as handed over (0 if missing)."""

    name_en: str
    name_zh: str
    amount: int
    quantity: int = 1
    grams: int | None = None
    picked: int | None = None
    substitute: Substitute | None = None
    sku: str = ""
    location: str = ""  # shelf or back-room bin, for the picker

    def __post_init__(self) -> None:
        require(bool(self.name_en or self.name_zh), f"pick-up line {self.sku!r} needs a name")
        what = f"pick-up line {self.name!r}"
        require_minor_units(self.amount, f"{what} amount", minimum=0)
        if self.grams is None:
            require_minor_units(self.quantity, f"{what} quantity", minimum=1)
        else:
            require_minor_units(self.grams, f"{what} weight (g)", minimum=1)
        if self.picked is not None:
            require_minor_units(self.picked, f"{what} picked", minimum=0)
            require(self.weighed or self.picked <= self.quantity,
                    f"{what}: picked {self.picked} of {self.quantity} ordered")
        require(self.substitute is None or not self.picked,
                f"{what}: a substituted line has nothing of the ordered item picked")

    @property
    def name(self) -> str:
        return self.name_en or self.name_zh

    @property
    def weighed(self) -> bool:
        return self.grams is not None

    @property
    def mark(self) -> PickMark:
        if self.substitute is not None:
            return PickMark.SUBSTITUTED
        if self.picked is None:
            return PickMark.TO_PICK
        if self.picked == 0:
            return PickMark.MISSING
        if not self.weighed and self.picked < self.quantity:
            return PickMark.SHORT
        return PickMark.PICKED

    @property
    def short(self) -> int:
        """Pieces ordered but not picked (0 for weighed lines and lines not picked yet)."""
        if self.weighed or self.picked is None or self.substitute is not None:
            return 0
        return self.quantity - self.picked


@dataclass(frozen=True, slots=True)
class PickupSlip:
    store: StoreHeader
    order_no: str
    pickup_code: str  # printed large, in the QR code and the barcode
    customer_name: str
    customer_phone: str  # masked (`mask_phone`): only the last 4 digits
    promised_at: datetime  # store-local
    printed_at: datetime  # store-local
    lines: tuple[PickupLine, ...]
    subtotal: int  # sum of the lines' amounts
    discount: int
    total: int  # subtotal - discount
    paid: int  # already paid online
    lane: str = ""
    staff: str = ""  # who printed it
    note: str = ""
    language: Language = Language.ZH
    currency: str = "CNY"
    currency_exponent: int = 2

    def __post_init__(self) -> None:
        require(bool(ORDER_NO.fullmatch(self.order_no)),
                f"order number {self.order_no!r} must be 1-32 letters, digits, - or _")
        require(bool(PICKUP_CODE.fullmatch(self.pickup_code)),
                f"order {self.order_no}: pick-up code {self.pickup_code!r} must be 4-12 capital letters or digits")
        require(bool(_MASKED_PHONE.fullmatch(self.customer_phone)),
                f"order {self.order_no}: the customer's phone must be masked to its last 4 digits")
        require(bool(self.lines), f"order {self.order_no}: a pick-up slip needs at least one line")
        for value, what in ((self.discount, "discount"), (self.paid, "paid")):
            require_minor_units(value, f"order {self.order_no}: {what}", minimum=0)
        require(self.subtotal == sum(line.amount for line in self.lines),
                f"order {self.order_no}: subtotal {self.subtotal} is not the sum of its lines")
        require(self.total == self.subtotal - self.discount,
                f"order {self.order_no}: total {self.total} is not subtotal less discount")
        require(self.total >= 0, f"order {self.order_no}: discount {self.discount} exceeds the subtotal")

    @property
    def due(self) -> int:
        """What the customer still pays at the counter; negative: what the store refunds."""
        return self.total - self.paid

    @property
    def qr_payload(self) -> str:
        return qr_payload(self.order_no, self.pickup_code)

    @property
    def barcode_payload(self) -> str:
        return barcode_payload(self.pickup_code)
