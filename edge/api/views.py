"""JSON views of the rules' objects, as the lanes and the manager page read them."""

from __future__ import annotations

from typing import Any

from edge.cart_view import sale_json, sale_view
from edge.completion import Completed
from pos.refund import Refund

__all__ = ["completed_view", "refund_view", "sale_json", "sale_view"]


def completed_view(done: Completed) -> dict[str, Any]:
    return {
        "receipt_no": done.receipt_no,
        "journal_seq": done.journal_seq,
        "replayed": done.replayed,
        "change": done.record["settlement"]["change"],
        "sale": sale_json(done.sale),
    }


def refund_view(refund: Refund, journal_seq: int, replayed: bool) -> dict[str, Any]:
    return {
        **refund.to_dict(),
        "paid_out": refund.paid_out,
        "journal_seq": journal_seq,
        "replayed": replayed,
    }
