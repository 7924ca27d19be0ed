"""Shifts and returns that tell listeners what happened, so the lane's devices can follow:
a no-sale opens the drawer, a cash refund too; the print queue wakes for a return's slip or a
closed shift's Z report (their jobs are written in the fact's own transaction, by the print hooks).

Listeners run after the fact is committed; a listener's failure is logged, never raised to
the cashier (the fact stands, the device is a side effect).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from edge.refunds import ReturnResult, Returns
from edge.shifts import Shifts
from pos.returns import Disposition, ReturnItem
from pos.shift import Shift, ShiftFact, ShiftReport

NoSaleListener = Callable[[int, str], None]  # lane, reason
ShiftClosedListener = Callable[[int, ShiftReport, Sequence[ShiftFact]], None]
ReturnListener = Callable[[int, ReturnResult], None]


class ObservedShifts(Shifts):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.no_sale_listeners: list[NoSaleListener] = []
        self.closed_listeners: list[ShiftClosedListener] = []

    def no_sale(self, lane: int, operator_id: str, manager_id: str | None, reason: str) -> Shift:
        shift = super().no_sale(lane, operator_id, manager_id, reason)
        self._ledger.after_commit(self.no_sale_listeners, lane, reason)
        return shift

    def close(self, lane: int, counted_cash: int) -> ShiftReport:
        report = super().close(lane, counted_cash)
        _, shift = self.get(report.shift_id)
        self._ledger.after_commit(self.closed_listeners, lane, report, shift.facts)
        return report


class ObservedReturns(Returns):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listeners: list[ReturnListener] = []

    def with_receipt(
        self, return_id: str, receipt: str, items: Sequence[ReturnItem], *, lane: int, cashier_id: str,
        manager_id: str | None = None,
    ) -> ReturnResult:
        result = super().with_receipt(return_id, receipt, items, lane=lane, cashier_id=cashier_id, manager_id=manager_id)
        if not result.replayed:
            self._ledger.after_commit(self.listeners, lane, result)
        return result

    def without_receipt(
        self, return_id: str, sku: str, quantity: int, *, lane: int, cashier_id: str, manager_id: str | None,
        disposition: Disposition = Disposition.RESTOCK,
    ) -> ReturnResult:
        result = super().without_receipt(return_id, sku, quantity, lane=lane, cashier_id=cashier_id,
                                         manager_id=manager_id, disposition=disposition)
        if not result.replayed:
            self._ledger.after_commit(self.listeners, lane, result)
        return result
