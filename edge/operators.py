"""Operators and login: PINs hashed with argon2id, expiring bearer tokens, lockout."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, delete, select

from edge.clock import utc_now
from edge.errors import AuthError
from edge.ledger import Ledger, UnitOfWork
from edge.settings import SecuritySection
from edge.tables import AuthToken, OperatorRow
from pos.errors import Conflict, NotFound
from pos.operators import Role, check_new_pin, check_operator_id, lockout_until

TOKEN_CACHE_SECONDS = 5.0  # a token revoked by another process stops working within this time


@dataclass(frozen=True)
class Operator:
    id: str
    name: str
    role: Role
    locked_until: datetime | None = None
    disabled: bool = False


@dataclass(frozen=True)
class LoginToken:
    token: str
    expires_at: datetime
    operator: Operator
    lane: int | None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _public(row: OperatorRow) -> Operator:
    return Operator(row.id, row.name, Role(row.role), row.locked_until, row.disabled)


class Operators:
    """The operator service; one instance per node."""

    def __init__(self, ledger: Ledger, security: SecuritySection) -> None:
        self._ledger = ledger
        self._security = security
        self._hasher = PasswordHasher(
            time_cost=security.pin_hash_time_cost, memory_cost=security.pin_hash_memory_kib, parallelism=1
        )
        self._dummy_hash = self._hasher.hash("not-a-pin")
        self._cache: dict[str, tuple[float, Operator, int | None, datetime]] = {}
        self._cache_lock = threading.Lock()

    def add(self, operator_id: str, name: str, role: Role, pin: str) -> Operator:
        check_operator_id(operator_id)
        check_new_pin(pin, self._security.pin_min_length)
        if not name.strip():
            raise Conflict("operator name is empty")
        with self._ledger.unit_of_work() as uow:
            if uow.session.get(OperatorRow, operator_id) is not None:
                raise Conflict(f"operator {operator_id} already exists (use reset-pin to change the PIN)")
            row = OperatorRow(
                id=operator_id, name=name.strip(), role=role.value, pin_hash=self._hasher.hash(pin),
                created_at=utc_now(),
            )
            uow.session.add(row)
            uow.session.flush()
            uow.journal("operator.added", {"operator_id": operator_id, "name": row.name, "role": role.value})
            uow.commit()
        return _public(row)

    def list(self) -> list[Operator]:
        with self._ledger.read() as session:
            return [_public(row) for row in session.exec(select(OperatorRow).order_by(col(OperatorRow.id)))]

    def get(self, operator_id: str) -> Operator:
        with self._ledger.read() as session:
            row = session.get(OperatorRow, operator_id)
            if row is None:
                raise NotFound(f"no operator {operator_id}")
            return _public(row)

    def reset_pin(self, operator_id: str, pin: str, by: str | None = None) -> Operator:
        """Set a new PIN and lift any lock; other sessions of the operator end."""
        check_new_pin(pin, self._security.pin_min_length)
        with self._ledger.unit_of_work() as uow:
            row = self._row(uow.session, operator_id)
            row.pin_hash = self._hasher.hash(pin)
            row.failed_attempts, row.locked_until, row.disabled = 0, None, False
            uow.session.add(row)
            self._revoke_all(uow.session, operator_id)
            uow.journal("operator.pin_reset", {"operator_id": operator_id, "by": by})
            uow.commit()
        self._forget(operator_id)
        return _public(row)

    def lock(self, operator_id: str, minutes: int | None = None, by: str | None = None) -> Operator:
        """Lock for `minutes`, or until a PIN reset when `minutes` is None; sessions end now."""
        with self._ledger.unit_of_work() as uow:
            row = self._row(uow.session, operator_id)
            if minutes is None:
                row.disabled = True
            else:
                row.locked_until = utc_now() + timedelta(minutes=minutes)
            uow.session.add(row)
            self._revoke_all(uow.session, operator_id)
            uow.journal("operator.locked", {"operator_id": operator_id, "minutes": minutes, "by": by})
            uow.commit()
        self._forget(operator_id)
        return _public(row)

    def login(self, operator_id: str, pin: str, lane: int | None = None) -> LoginToken:
        """Check the PIN; the `max_pin_attempts`-th wrong PIN in a row locks the operator."""
        now = utc_now()
        with self._ledger.unit_of_work() as uow:
            row = uow.session.get(OperatorRow, operator_id)
            if row is None:
                self._verify(self._dummy_hash, pin)  # same cost as a real check: ids are not probeable
                raise AuthError("wrong operator id or PIN")
            if row.disabled:
                raise AuthError(f"operator {operator_id} is locked: a manager must reset the PIN")
            if row.locked_until is not None and row.locked_until > now:
                raise AuthError(
                    f"operator {operator_id} is locked after too many wrong PINs until "
                    f"{row.locked_until:%H:%M} UTC; a manager can reset the PIN"
                )
            if not self._verify(row.pin_hash, pin):
                self._count_failure(uow, row, now)
                uow.commit()
                if row.locked_until is not None:
                    raise AuthError(
                        f"wrong PIN: operator {operator_id} is now locked for {self._security.lockout_minutes} minutes"
                    )
                # The same words as for an unknown id: the answer must not tell which ids exist.
                raise AuthError("wrong operator id or PIN")
            row.failed_attempts, row.locked_until = 0, None
            token = secrets.token_urlsafe(32)
            expires = now + timedelta(minutes=self._security.token_ttl_minutes)
            uow.session.add(row)
            uow.session.add(
                AuthToken(token_hash=_token_hash(token), operator_id=row.id, lane=lane, created_at=now, expires_at=expires)
            )
            uow.session.exec(delete(AuthToken).where(col(AuthToken.expires_at) < now))  # keep the table small
            uow.commit()
        return LoginToken(token, expires, _public(row), lane)

    def logout(self, token: str) -> None:
        digest = _token_hash(token)
        with self._ledger.unit_of_work() as uow:
            found = uow.session.get(AuthToken, digest)
            if found is not None:
                uow.session.delete(found)
            uow.commit()
        with self._cache_lock:
            self._cache.pop(digest, None)

    def authenticate(self, token: str) -> tuple[Operator, int | None]:
        """The operator (and lane) a bearer token belongs to; AuthError when unknown or expired."""
        digest = _token_hash(token)
        now = utc_now()
        with self._cache_lock:
            cached = self._cache.get(digest)
        if cached is not None and cached[0] > time.monotonic() and cached[3] > now:
            return cached[1], cached[2]
        with self._ledger.read() as session:
            found = session.get(AuthToken, digest)
            if found is None:
                raise AuthError("not logged in or the session ended: log in again")
            if found.expires_at <= now:
                raise AuthError("session expired: log in again")
            row = session.get(OperatorRow, found.operator_id)
            if row is None or row.disabled or (row.locked_until is not None and row.locked_until > now):
                raise AuthError("operator is locked: log in again after a manager resets the PIN")
            operator, lane, expires = _public(row), found.lane, found.expires_at
        with self._cache_lock:
            self._cache[digest] = (time.monotonic() + TOKEN_CACHE_SECONDS, operator, lane, expires)
        return operator, lane

    def verify_pin(self, operator_id: str, pin: str, role: Role) -> Operator:
        """A manager override: check id + PIN and role without creating a session.

        Same rules as a login: wrong PINs count towards the lockout (an approval field is no
        place to guess a manager's PIN), and a locked operator approves nothing."""
        now = utc_now()
        with self._ledger.unit_of_work() as uow:
            row = uow.session.get(OperatorRow, operator_id)
            if row is None:
                self._verify(self._dummy_hash, pin)
                raise AuthError("approval refused: wrong operator id or PIN")
            if row.disabled or (row.locked_until is not None and row.locked_until > now):
                raise AuthError(f"approval refused: operator {operator_id} is locked")
            if not self._verify(row.pin_hash, pin):
                self._count_failure(uow, row, now)
                uow.commit()
                raise AuthError("approval refused: wrong operator id or PIN")
            operator = _public(row)
            if row.failed_attempts:
                row.failed_attempts = 0
                uow.session.add(row)
                uow.commit()
        if not operator.role.may(role):
            raise AuthError(f"approval refused: operator {operator_id} is not a {role.value}")
        return operator

    def _count_failure(self, uow: UnitOfWork, row: OperatorRow, now: datetime) -> None:
        """One more wrong PIN; the `max_pin_attempts`-th in a row locks the operator."""
        row.failed_attempts += 1
        row.locked_until = lockout_until(
            row.failed_attempts, self._security.max_pin_attempts, now, self._security.lockout_minutes
        )
        if row.locked_until is not None:
            row.failed_attempts = 0
            uow.journal("operator.locked_out", {"operator_id": row.id, "minutes": self._security.lockout_minutes})
        uow.session.add(row)

    def _verify(self, pin_hash: str, pin: str) -> bool:
        try:
            return self._hasher.verify(pin_hash, pin)
        except (VerificationError, InvalidHashError):
            return False

    @staticmethod
    def _row(session: Session, operator_id: str) -> OperatorRow:
        row = session.get(OperatorRow, operator_id)
        if row is None:
            raise NotFound(f"no operator {operator_id}")
        return row

    def _revoke_all(self, session: Session, operator_id: str) -> None:
        session.exec(delete(AuthToken).where(col(AuthToken.operator_id) == operator_id))

    def _forget(self, operator_id: str) -> None:
        """Drop cached sessions of an operator (after the revocation committed, so a
        concurrent check cannot cache a token the ledger is about to delete)."""
        with self._cache_lock:
            for digest in [d for d, entry in self._cache.items() if entry[1].id == operator_id]:
                del self._cache[digest]
