"""One exception hierarchy for the store's rules; every message is one a cashier or manager can act on."""

from __future__ import annotations


class PosError(Exception):
    """Base of every rule violation raised by `pos`."""

    code = "pos_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(PosError):
    """A value given to a rule is malformed or out of range."""

    code = "invalid_input"


class NotFound(PosError):
    """Something named does not exist (an item, a barcode, a sale)."""

    code = "not_found"


class Conflict(PosError):
    """The request contradicts the current state (already completed, already claimed)."""

    code = "conflict"


class NotAllowed(PosError):
    """The rule forbids this without an approval (manager override, role)."""

    code = "not_allowed"
