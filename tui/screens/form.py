"""A small dialog of typed fields (quantity, price and reason, counted cash, a manager's id and
PIN …): Enter moves to the next field and, on the last, checks and returns the values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from tui.api import Approval
from tui.i18n import parse_money
from tui.screens.base import LaneModal
from tui.widgets.banner import Banner


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # message key
    value: str = ""
    password: bool = False
    parse: Callable[[str], Any] = str.strip
    invalid: str = "form.invalid"  # message key shown when `parse` raises ValueError


def _required(text: str) -> str:
    if not text.strip():
        raise ValueError(text)
    return text.strip()


def _pieces(text: str) -> int:
    value = int(text.strip())
    if not 1 <= value <= 999:
        raise ValueError(text)
    return value


class FormModal(LaneModal[Any]):
    """Asks for `fields`; dismisses with `convert({name: parsed value})`, or None on Esc."""

    def __init__(
        self,
        title: str,
        fields: list[Field],
        note: str = "",
        *,
        params: dict[str, object] | None = None,
        convert: Callable[[dict[str, Any]], Any] = dict,
    ) -> None:
        super().__init__(classes="form")
        self.title_key, self.fields, self.note = title, fields, note
        self.params, self.convert = params or {}, convert

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.t(self.title_key, **self.params), classes="dialog-title")
            if self.note:
                yield Static(self.note, classes="dialog-note")
            for field in self.fields:
                yield Label(self.t(field.label))
                yield Input(field.value, password=field.password, id=f"field-{field.name}")
            yield Banner()
            yield Static(self.t("form.keys"), classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one(f"#field-{self.fields[0].name}", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        names = [f.name for f in self.fields]
        index = names.index((event.input.id or "").removeprefix("field-"))
        if index + 1 < len(names):
            self.query_one(f"#field-{names[index + 1]}", Input).focus()
            return
        values: dict[str, Any] = {}
        for field in self.fields:
            box = self.query_one(f"#field-{field.name}", Input)
            try:
                values[field.name] = field.parse(box.value)
            except ValueError:
                self.say("error", field.invalid, value=box.value)
                box.focus()
                return
        self.dismiss(self.convert(values))


def approval_form(reason: str) -> FormModal:
    """The manager-approval dialog; dismisses with an Approval (or None)."""
    fields = [
        Field("manager_id", "approval.manager_id", parse=_required, invalid="approval.missing"),
        Field("pin", "approval.pin", password=True, parse=_required, invalid="approval.missing"),
    ]
    form = FormModal("approval.title", fields, reason, convert=lambda v: Approval(v["manager_id"], v["pin"]))
    form.add_class("approval")
    return form


def quantity_form(current: int, name: str) -> FormModal:
    return FormModal("qty.title", [Field("quantity", "qty.label", str(current), parse=_pieces, invalid="qty.invalid")], params={"name": name})


def reason_form(title: str) -> FormModal:
    return FormModal(title, [Field("reason", "form.reason", parse=_required, invalid="form.reason_needed")])


def money_form(title: str, label: str, value: str = "", **params: object) -> FormModal:
    return FormModal(title, [Field("amount", label, value, parse=parse_money, invalid="form.bad_amount")], params=params)


def price_form(name: str, current: str) -> FormModal:
    fields = [
        Field("unit_price", "price.label", current, parse=parse_money, invalid="form.bad_amount"),
        Field("reason", "form.reason", parse=_required, invalid="form.reason_needed"),
    ]
    return FormModal("price.title", fields, params={"name": name})


def member_form(member_id: str) -> FormModal:
    """A member id (blank: none) and a coupon code to add (or, as -CODE, to take off)."""
    fields = [Field("member_id", "member.id", member_id), Field("coupon", "member.coupon")]
    return FormModal("member.title", fields)


def receipt_form(receipt: str) -> FormModal:
    return FormModal("reprint.title", [Field("receipt", "reprint.receipt", receipt, parse=_required, invalid="reprint.none")])
