"""JSON views of the rules' objects, as the lanes and the manager page read them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from edge.completion import Completed
from pos.refund import Refund
from pos.sale import Sale


def sale_view(sale: Sale) -> dict[str, Any]:
    """The cart as a lane shows it. Lines, totals and discounts stay the rules' immutable
    dataclasses: render with edge.fastjson (the API and the event stream do)."""
    totals, settlement = sale.totals(), sale.settlement()
    data = sale.snapshot()
    data["lane"] = int(sale.lane_id)
    data["totals"] = totals
    data["settlement"] = {**asdict(settlement), "settled": settlement.settled}
    data["discounts"] = {str(k): v for k, v in sorted(sale.discounts.items())}
    return data


def completed_view(done: Completed) -> dict[str, Any]:
    return {
        "receipt_no": done.receipt_no,
        "journal_seq": done.journal_seq,
        "replayed": done.replayed,
        "change": done.record["settlement"]["change"],
        "sale": sale_view(done.sale),
    }


def refund_view(refund: Refund, journal_seq: int, replayed: bool) -> dict[str, Any]:
    return {
        **refund.to_dict(),
        "total": refund.total,
        "paid_out": refund.paid_out,
        "journal_seq": journal_seq,
        "replayed": replayed,
    }
