"""Operators: roles, what each may do, PIN format and the lockout rule."""

from __future__ import annotations

import enum
import re
from datetime import datetime, timedelta

from pos.errors import InvalidInput

OPERATOR_ID = re.compile(r"^[A-Za-z0-9]{1,16}$")


class Role(enum.StrEnum):
    CASHIER = "cashier"
    MANAGER = "manager"

    def may(self, needed: Role) -> bool:
        """A manager may do everything a cashier may."""
        return self is Role.MANAGER or needed is Role.CASHIER


def check_operator_id(operator_id: str) -> str:
    if not OPERATOR_ID.match(operator_id):
        raise InvalidInput(f"operator id {operator_id!r} must be 1-16 letters or digits")
    return operator_id


def check_new_pin(pin: str, min_length: int) -> str:
    """A PIN is digits only (lane keypads), at least `min_length` long, not one repeated digit."""
    if not pin.isdigit() or not pin.isascii():
        raise InvalidInput("PIN must contain digits only")
    if not min_length <= len(pin) <= 12:
        raise InvalidInput(f"PIN must have {min_length} to 12 digits")
    if len(set(pin)) == 1:
        raise InvalidInput("PIN must not be one digit repeated")
    return pin


def lockout_until(failed_attempts: int, max_attempts: int, now: datetime, minutes: int) -> datetime | None:
    """After the `max_attempts`-th wrong PIN in a row the operator is locked for `minutes`."""
    if failed_attempts >= max_attempts:
        return now + timedelta(minutes=minutes)
    return None
