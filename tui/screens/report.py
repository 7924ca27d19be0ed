"""An X report (the shift so far, printable on the lane's printer) or a Z report (the shift
closed; the node prints it by itself), aligned in columns."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tui.api import Json
from tui.i18n import Messages, fit, money
from tui.screens.base import LaneModal
from tui.widgets.banner import Banner

LABEL, VALUE = 26, 14


def _local_time(stamp: object) -> str:
    """A stored UTC time as the lane's local time (like the resume list); as given if unreadable."""
    try:
        return datetime.fromisoformat(str(stamp)).astimezone().strftime("%m-%d %H:%M")  # fits the value column
    except ValueError:
        return str(stamp or "")[5:16].replace("T", " ")


def report_lines(report: Json, t: Messages, currency: str = "CNY") -> list[str]:
    """The report as `label ......... value` lines of one width."""

    def row(key: str, value: object, **params: object) -> str:
        return fit(t(key, **params), LABEL) + fit(str(value), VALUE, "right")

    def cash(value: object) -> str:
        return "—" if value is None else money(int(str(value)), currency)

    lines = [
        row("report.shift", str(report.get("shift_id", ""))[:8]),
        row("report.cashier", report.get("cashier_id", "")),
        row("report.opened", _local_time(report.get("opened_at"))),
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
        Binding("p", "print", "key.print_report"),
    ]

    def __init__(self, report: Json) -> None:
        super().__init__()
        self.report = report

    @property
    def is_x(self) -> bool:
        return self.report.get("z_number") is None

    def compose(self) -> ComposeResult:
        title = self.t("report.x_title") if self.is_x else self.t("report.z_title", number=self.report["z_number"])
        with Vertical(classes="dialog", id="report"):
            yield Static(title, classes="dialog-title")
            with VerticalScroll():
                yield Static("\n".join(report_lines(self.report, self.t)), id="report-body")
            yield Banner()
            yield Static(self.t("report.keys_x" if self.is_x else "report.keys"), classes="dialog-keys")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "print" or self.is_x

    @work(group="action", exit_on_error=False)
    async def action_print(self) -> None:
        """Print the X report on the lane's printer; the screen shows what went to paper."""
        printed = await self.attempt(lambda _ap: self.session.shift_call("POST", "/x-report/print"))
        if printed is not None:
            self.report = printed
            self.query_one("#report-body", Static).update("\n".join(report_lines(printed, self.t)))
            self.say("info", "report.printed", printer=printed.get("printer") or "")

    def action_leave(self) -> None:
        self.dismiss(None)
