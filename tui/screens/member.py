"""The member / coupon key: attach, change or take off the sale's member; add or take off a coupon."""

from __future__ import annotations

from tui.api import Json
from tui.screens.base import LaneScreen
from tui.screens.form import member_form


async def member_or_coupon(screen: LaneScreen[None]) -> None:
    """Ask for a member id (prefilled; cleared: none) and a coupon code (-CODE: take it off)."""
    current = str(((screen.session.sale or {}).get("member") or {}).get("member_id", ""))
    values = await screen.app.push_screen_wait(member_form(current))
    if values is None:
        return
    if values["member_id"] != current:
        await _change_member(screen, values["member_id"])
    coupon: str = values["coupon"]
    if coupon.startswith("-") and coupon[1:].strip():
        code = coupon[1:].strip()
        if await screen.attempt(lambda _ap: screen.session.remove_coupon(code)) is not None:
            screen.say("info", "coupon.removed", code=code.upper())
    elif coupon:
        sale = await screen.attempt(lambda _ap: screen.session.add_coupon(coupon))
        if sale is not None:
            _coupon_said(screen, sale, coupon.upper())


async def _change_member(screen: LaneScreen[None], member_id: str) -> None:
    if not member_id:
        if await screen.attempt(lambda _ap: screen.session.detach_member()) is not None:
            screen.say("info", "member.detached")
        return
    sale = await screen.attempt(lambda _ap: screen.session.attach_member(member_id))
    if sale is not None and sale.get("member"):
        screen.say("info", "member.attached", member=sale["member"]["member_id"], tier=sale["member"]["tier"])


def _coupon_said(screen: LaneScreen[None], sale: Json, code: str) -> None:
    """Added; or, when it gives nothing yet, the node's reason in the lane's language."""
    refusal = next((r for r in sale.get("rejected_coupons", []) if r["code"] == code), None)
    if refusal is None:
        screen.say("info", "coupon.added", code=code)
    else:
        screen.say("warn", "coupon.rejected", message=refusal["message_zh" if screen.t.language == "zh-CN" else "message_en"])
