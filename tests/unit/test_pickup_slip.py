"""pos.pickup_slip: the phone is masked to its last 4 digits, lines carry their pick state, the
scan payloads read back, and a slip that does not add up is refused."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

import pytest

from pos.errors import InvalidInput
from pos.pickup_slip import (
    PickMark,
    PickupLine,
    PickupScan,
    PickupSlip,
    Substitute,
    barcode_payload,
    mask_phone,
    qr_payload,
    read_pickup_scan,
)
from pos.receipt import Language, StoreHeader, document_from_dict, document_kind, document_to_dict

STORE = StoreHeader("Green Valley Market", "绿谷超市")
AT = datetime(2024, 5, 1, 12, 0)


def slip(*lines: PickupLine, discount: int = 0, paid: int = 0, phone: str = "*******5678") -> PickupSlip:
    subtotal = sum(line.amount for line in lines)
    return PickupSlip(STORE, "WEB-1", "K7Q2M9", "Chen", phone, AT, AT, lines, subtotal, discount,
                      subtotal - discount, paid, language=Language.EN)


MILK = PickupLine("Milk", "牛奶", amount=500, quantity=2, picked=2)


@pytest.mark.parametrize(("phone", "masked"), [
    ("13800135678", "*******5678"),
    ("+86 138-0013-5678", "*********5678"),
    ("(021) 5555 0100", "*******0100"),
    ("12345", "*2345"),
])
def test_a_phone_shows_only_its_last_4_digits(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked
    assert sum(ch.isdigit() for ch in masked) == 4


def test_a_number_too_short_to_be_a_phone_is_refused() -> None:
    with pytest.raises(InvalidInput, match="too few"):
        mask_phone("1234")


@pytest.mark.parametrize("phone", ["13800135678", "138****5678", "+86*****5678"])
def test_a_slip_never_holds_an_unmasked_phone(phone: str) -> None:
    with pytest.raises(InvalidInput, match="masked to its last 4 digits"):
        slip(MILK, phone=phone)


@pytest.mark.parametrize(("line", "mark", "short"), [
    (PickupLine("Milk", "", 500, quantity=2), PickMark.TO_PICK, 0),
    (PickupLine("Milk", "", 500, quantity=2, picked=2), PickMark.PICKED, 0),
    (PickupLine("Milk", "", 250, quantity=3, picked=1), PickMark.SHORT, 2),
    (PickupLine("Milk", "", 0, quantity=2, picked=0), PickMark.MISSING, 2),
    (PickupLine("Milk", "", 300, quantity=1, picked=0, substitute=Substitute("Oat milk", "燕麦奶")), PickMark.SUBSTITUTED, 0),
    (PickupLine("Cherries", "", 4710, grams=500, picked=523), PickMark.PICKED, 0),  # weighed out: more is fine
    (PickupLine("Cherries", "", 0, grams=500, picked=0), PickMark.MISSING, 0),
])
def test_each_line_says_how_it_was_picked(line: PickupLine, mark: PickMark, short: int) -> None:
    assert (line.mark, line.short) == (mark, short)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: PickupLine("Milk", "", 500, quantity=2, picked=3), "picked 3 of 2 ordered"),
    (lambda: PickupLine("Milk", "", 500, quantity=0), "quantity 0 must be at least 1"),
    (lambda: PickupLine("Milk", "", -1), "amount -1 must be at least 0"),
    (lambda: PickupLine("", "", 500), "needs a name"),
    (lambda: PickupLine("Milk", "", 500, picked=1, substitute=Substitute("Oat", "")), "nothing of the ordered item"),
])
def test_a_line_that_cannot_be_is_refused(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match=message):
        make()


def test_the_totals_must_add_up() -> None:
    good = slip(MILK, discount=100)
    assert good.total == 400
    with pytest.raises(InvalidInput, match="subtotal 999 is not the sum"):
        dataclasses.replace(good, subtotal=999, total=899)
    with pytest.raises(InvalidInput, match="is not subtotal less discount"):
        dataclasses.replace(good, total=500)
    with pytest.raises(InvalidInput, match="at least one line"):
        dataclasses.replace(good, lines=(), subtotal=0, discount=0, total=0)


@pytest.mark.parametrize(("paid", "due"), [(0, 500), (500, 0), (800, -300)])
def test_what_is_left_to_pay_or_to_refund(paid: int, due: int) -> None:
    assert slip(MILK, paid=paid).due == due


@pytest.mark.parametrize(("order_no", "code", "message"), [
    ("", "K7Q2M9", "order number"), ("WEB 1", "K7Q2M9", "order number"), ("WEB-1", "k7q2", "pick-up code"),
    ("WEB-1", "ABC", "pick-up code"), ("WEB-1", "ABCDEFGHJKLMN", "pick-up code"),
])
def test_order_numbers_and_codes_are_scannable_text(order_no: str, code: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        dataclasses.replace(slip(MILK), order_no=order_no, pickup_code=code)


def test_the_qr_code_and_barcode_read_back_as_the_order_and_its_code() -> None:
    doc = slip(MILK)
    assert doc.qr_payload == qr_payload("WEB-1", "K7Q2M9") == "PICKUP:WEB-1:K7Q2M9"
    assert doc.barcode_payload == barcode_payload("K7Q2M9") == "PUK7Q2M9"
    assert read_pickup_scan(doc.qr_payload) == PickupScan("K7Q2M9", "WEB-1")
    assert read_pickup_scan(doc.barcode_payload + "\r\n") == PickupScan("K7Q2M9")
    for not_a_slip in ("6901234567892", "PICKUP:WEB-1", "PU", "PUk7", "PICKUP:WEB 1:K7Q2M9", "R-0003-000123"):
        assert read_pickup_scan(not_a_slip) is None


def test_a_slip_round_trips_through_its_print_job_form() -> None:
    doc = slip(MILK, PickupLine("Bread", "面包", 300, picked=0, substitute=Substitute("Rye", "黑麦", sku="R1")))
    data = json.loads(json.dumps(document_to_dict(doc), ensure_ascii=False))
    assert data["document"] == document_kind(doc) == "pickup_slip"
    assert document_from_dict(data) == doc
    data["lines"][0]["picked"] = "2"
    with pytest.raises(InvalidInput, match=r"pickup_slip\.lines\[0\]\.picked: expected int"):
        document_from_dict(data)
