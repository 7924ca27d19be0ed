"""An X report (the shift so far) or a Z report (the shift closed), aligned in columns."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tui.api import Json
from tui.i18n import Messages, fit, money
from tui.screens.base import LaneModal

LABEL, VALUE = 26, 14


def report_lines(report: Json, t: Messages, currency: str = "CNY") -> list[str]:
    """The report as `label ......... value` lines of one width."""

    def row(key: str, value: object, **params: object) -> str:
        return fit(t(key, **params), LABEL) + fit(str(value), VALUE, "right")

    def cash(value: object) -> str:
        return "—" if value is None else money(int(str(value)), currency)

    lines = [
        row("report.shift", str(report.get("shift_id", ""))[:8]),
        row("report.cashier", report.get("cashier_id", "")),
        row("report.opened", str(report.get("opened_at", ""))[:16].replace("T", " ")),
        row("report.float", cash(report.get("opening_float"))),
        row("report.sales", f"{report.get('sales_count', 0)} / {cash(report.get('sales_total'))}"),
        row("report.discounts", cash(report.get("discount_total"))),
        row("report.returns", f"{report.get('returns_count', 0)} / {cash(report.get('returns_total'))}"),
        row("report.net", cash(report.get("net_sales"))),
    ]
    for tender in report.get("tenders", []):
        kind = str(tender.get("kind", ""))
        lines.append(row("report.tender", cash(tender.get("net", 0)), kind=t("tender.kind." + kind)))
    for tax in report.get("tax", []):
        lines.append(row("report.tax", cash(tax.get("tax")), tax_class=tax.get("tax_class", "")))
    lines += [
        row("report.voids", report.get("voided_lines", 0)),
        row("report.no_sales", report.get("no_sales", 0)),
        row("report.expected", cash(report.get("expected_cash"))),
    ]
    if report.get("counted_cash") is not None:
        lines += [row("report.counted", cash(report["counted_cash"])), row("report.variance", cash(report.get("variance")))]
    return lines


class ReportModal(LaneModal[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "leave", "key.close"),
    ]

    def __init__(self, report: Json) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        z = self.report.get("z_number")
        title = self.t("report.z_title", number=z) if z is not None else self.t("report.x_title")
        with Vertical(classes="dialog", id="report"):
            yield Static(title, classes="dialog-title")
            with VerticalScroll():
                yield Static("\n".join(report_lines(self.report, self.t)), id="report-body")
            yield Static(self.t("report.keys"), classes="dialog-keys")

    def action_leave(self) -> None:
        self.dismiss(None)
