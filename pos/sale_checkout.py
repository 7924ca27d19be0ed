"""Paying for and closing a sale: tenders, suspend and resume, cancel, complete."""

from __future__ import annotations

from datetime import datetime

from pos.errors import Conflict, InvalidInput, NotAllowed, NotFound
from pos.money import format_minor
from pos.sale_cart import SaleCart, SaleState
from pos.sale_events import SaleEvent, SaleEventName, check_aware
from pos.tender import Settlement, Tender, accept_tender


class SaleCheckout(SaleCart):
    """The paying and closing commands of `pos.sale.Sale`."""

    def add_tender(self, tender: Tender, *, at: datetime) -> Settlement:
        """Take a payment (build it with `pos.tender.cash/card/stored_value`)."""
        self._check_open("take a payment")
        if not self.active_lines:
            raise InvalidInput("the sale is empty: add an item before taking payment")
        after = accept_tender(
            self.totals().total,
            self.tenders,
            tender,
            currency=self.currency,
            cash_step=self.pricing.cash_rounding_step,
        )
        self.tenders.append(tender)
        self._record(SaleEventName.TENDER_ADDED, at, tender=tender.to_dict())
        return after

    def void_tender(self, tender_id: str, *, at: datetime, manager_id: str | None = None) -> Tender:
        """Take a payment back off the sale (the card terminal reversal happens outside)."""
        self._check_open("void a payment")
        found = [t for t in self.tenders if t.tender_id == tender_id]
        if not found:
            raise NotFound(f"tender {tender_id} is not on sale {self.sale_id}")
        if not manager_id:
            # Cash too: voiding the cash, then the lines, then cancelling would otherwise
            # take a paid sale apart with no manager ever asked.
            raise NotAllowed(f"voiding the {found[0].kind.value} payment needs a manager")
        self.tenders.remove(found[0])
        self._record(SaleEventName.TENDER_VOIDED, at, manager_id, tender=found[0].to_dict())
        return found[0]

    def suspend(self, *, at: datetime) -> None:
        """Park the sale so any lane can resume it."""
        self._check_open("suspend")
        if self.tenders:
            raise Conflict("a sale with payments cannot be suspended: void the payments first")
        if not self.active_lines:
            raise InvalidInput("an empty sale cannot be suspended: cancel it instead")
        self.state = SaleState.SUSPENDED
        self._record(SaleEventName.SALE_SUSPENDED, at)

    def resume(self, *, lane_id: str, cashier_id: str, at: datetime) -> None:
        """Resume a suspended sale on a lane (a second resume gets Conflict)."""
        if self.state is not SaleState.SUSPENDED:
            raise Conflict(
                f"sale {self.sale_id} is {self.state.value} on lane {self.lane_id}, not suspended"
            )
        self.state, self.lane_id, self.cashier_id = SaleState.OPEN, lane_id, cashier_id
        self._record(SaleEventName.SALE_RESUMED, at)

    def cancel(self, *, at: datetime, manager_id: str | None = None) -> None:
        """Cancel an open or suspended sale that has no payments."""
        if self.state not in (SaleState.OPEN, SaleState.SUSPENDED):
            raise Conflict(f"sale {self.sale_id} is already {self.state.value}")
        if self.tenders:
            raise Conflict("the sale has payments: void them before cancelling")
        self.state, self.closed_at = SaleState.CANCELLED, check_aware(at)
        self._record(
            SaleEventName.SALE_CANCELLED,
            at,
            manager_id,
            lines=len(self.active_lines),
            total=self.totals().total,
        )

    def complete(self, *, receipt_no: str, at: datetime) -> SaleEvent:
        """Close a fully paid sale; the SaleCompleted event carries totals and tenders."""
        self._check_open("complete")
        if not receipt_no.strip():
            raise InvalidInput("a completed sale needs a receipt number")
        if not self.active_lines:
            raise InvalidInput("cannot complete an empty sale")
        totals, settlement = self.totals(), self.settlement()
        if not settlement.settled:
            raise Conflict(
                f"sale {self.sale_id} is underpaid: {format_minor(settlement.balance_due)} "
                f"{self.currency} still due"
            )
        self.state, self.receipt_no, self.closed_at = (
            SaleState.COMPLETED,
            receipt_no,
            check_aware(at),
        )
        return self._record(
            SaleEventName.SALE_COMPLETED,
            at,
            receipt_no=receipt_no,
            total=totals.total,
            tax=totals.tax,
            discount=totals.discount,
            cash_rounding=settlement.cash_rounding,
            change=settlement.change,
            paid=settlement.paid,
        )
