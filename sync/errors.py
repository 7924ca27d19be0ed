"""Sync's own errors; each says what to do next."""

from __future__ import annotations


class SyncError(Exception):
    """Base of every error the sync package raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MessageRefused(SyncError):
    """An HQ message that must not be applied; `reason` is a short code HQ can count by."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class KeyFileError(SyncError):
    """A signing or public key that cannot be read."""
