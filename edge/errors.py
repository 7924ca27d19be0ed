"""The node's own errors (the rules' errors live in pos.errors); each says what to do next."""

from __future__ import annotations


class NodeError(Exception):
    """Base of every error the node raises itself."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LedgerError(NodeError):
    """The ledger file cannot be used as it is."""


class TransactionLost(LedgerError):
    """A change the ledger could not keep: SQLite rolled its transaction back after an error
    (it does on some I/O and full-disk errors), or the commit of its group failed. Nothing of
    it is in the ledger; the same request may be tried again."""

    def __init__(self) -> None:
        super().__init__("the ledger could not save this change (it rolled back after an error): "
                         "nothing of it was saved, try again")


class LedgerClosed(LedgerError):
    """A change asked of a ledger this node has closed (it is stopping): nothing was changed."""

    def __init__(self) -> None:
        super().__init__("the ledger is closed (the node is stopping): nothing was changed, try again when it is back")


class LedgerSyncFailed(LedgerError):
    """The disk did not confirm a write of the ledger (its WAL's sync failed). What was being
    saved may not survive a power cut, and the node takes no more changes until it restarts."""

    def __init__(self, err: OSError) -> None:
        self.cause = err
        super().__init__(f"the ledger's disk did not confirm a write ({err}): this change may not survive a power cut; "
                         "the node takes no more changes: check the disk, then restart the node")


class LedgerMissing(LedgerError):
    pass


class LedgerCorrupt(LedgerError):
    pass


class LedgerForeign(LedgerError):
    """The ledger belongs to another store than the config says."""


class AuthError(NodeError):
    """Login refused or token invalid (HTTP 401)."""


class Forbidden(NodeError):
    """Authenticated, but the role may not do this (HTTP 403)."""
