"""pos.receipt: documents that do not add up are refused; the JSON form round-trips."""

from __future__ import annotations

import dataclasses
import json

import pytest

from pos.errors import InvalidInput
from pos.receipt import (
    AppliedPromotion,
    ReceiptLine,
    Tender,
    TenderKind,
    document_from_dict,
    document_kind,
    document_to_dict,
)
from tests.devices.helpers import sample_pickup, sample_receipt, sample_report, sample_return


def test_a_receipt_whose_total_does_not_follow_from_its_lines_is_refused() -> None:
    receipt = sample_receipt()
    with pytest.raises(InvalidInput, match="total 9999 does not follow"):
        dataclasses.replace(receipt, total=9999, tenders=(Tender(TenderKind.CARD, 9999),), change=0)


def test_tenders_must_pay_the_total_less_change() -> None:
    with pytest.raises(InvalidInput, match="do not pay 9870"):
        dataclasses.replace(sample_receipt(), change=0)


def test_money_must_be_int_minor_units() -> None:
    with pytest.raises(InvalidInput, match="must be an int"):
        ReceiptLine("Apple", "苹果", unit_price=1.5, amount=2)  # type: ignore[arg-type]


def test_a_discount_larger_than_its_line_is_refused() -> None:
    with pytest.raises(InvalidInput, match="exceeds its amount"):
        ReceiptLine("Apple", "苹果", unit_price=100, amount=100,
                    discounts=(AppliedPromotion("Too good", 150),))


@pytest.mark.parametrize("make", [sample_receipt, sample_return, sample_pickup, sample_report])
def test_documents_round_trip_through_json(make) -> None:  # type: ignore[no-untyped-def]
    doc = make()
    data = json.loads(json.dumps(document_to_dict(doc)))
    assert data["document"] == document_kind(doc)
    assert document_from_dict(data) == doc


def test_a_malformed_stored_document_names_the_field() -> None:
    data = document_to_dict(sample_receipt())
    data["lines"][0]["amount"] = "15.80"
    with pytest.raises(InvalidInput, match=r"receipt\.lines\[0\]\.amount: expected int"):
        document_from_dict(data)
    with pytest.raises(InvalidInput, match="unknown document kind"):
        document_from_dict({"document": "invoice"})
