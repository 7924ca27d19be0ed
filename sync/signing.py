"""Ed25519 signatures by HQ over the canonical JSON of a message; verified before anything is stored."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError

from pos.canonical import NotCanonical, canonical_json
from sync.errors import KeyFileError, MessageRefused
from sync.schemas import Envelope, InboxMessage


def public_key_text(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64: what a store's `[sync] hq_public_key` holds."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as err:
        raise KeyFileError(
            "hq_public_key is not a base64 Ed25519 public key (copy it from `storenode hq keygen`)"
        ) from err


def generate_private_key(path: Path) -> Ed25519PrivateKey:
    """Write a new private key (PEM, mode 0600); refuses to overwrite one."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        with path.open("xb") as handle:
            path.chmod(0o600)
            handle.write(pem)
    except FileExistsError:
        raise KeyFileError(f"{path} exists: HQ's key is not replaced by accident; move it away first") from None
    return key


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise KeyFileError(f"{path}: no HQ key here (create one with `storenode hq keygen`)") from None
    except ValueError as err:
        raise KeyFileError(f"{path}: not a PEM private key ({err})") from err
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 key")
    return key


def sign(key: Ed25519PrivateKey, msg: dict[str, Any]) -> bytes:
    """The envelope bytes to publish for `msg`."""
    signature = key.sign(canonical_json(msg))
    envelope = Envelope(msg=msg, sig=base64.b64encode(signature).decode("ascii"), key_id=key_id(key.public_key()))
    return canonical_json(envelope.model_dump())


def open_envelope(raw: bytes, key: Ed25519PublicKey, max_bytes: int) -> InboxMessage:
    """Size, parse and verify an envelope, then validate the message; MessageRefused otherwise."""
    if len(raw) > max_bytes:
        raise MessageRefused("oversized", f"message of {len(raw)} bytes is above the {max_bytes} byte limit")
    try:
        envelope = Envelope.model_validate(json.loads(raw))
        signed = canonical_json(envelope.msg)
        signature = base64.b64decode(envelope.sig, validate=True)
    except (ValueError, TypeError, ValidationError, NotCanonical, binascii.Error) as err:
        raise MessageRefused("malformed", f"not a signed storenode message: {str(err)[:200]}") from None
    if envelope.key_id != key_id(key):
        raise MessageRefused("unknown_key", f"signed by key {envelope.key_id!r}, not HQ's key {key_id(key)!r}")
    try:
        key.verify(signature, signed)
    except InvalidSignature:
        raise MessageRefused("bad_signature", "the signature does not verify against HQ's public key") from None
    try:
        return InboxMessage.model_validate(envelope.msg)
    except ValidationError as err:
        raise MessageRefused("malformed", f"signed message does not fit the schema: {str(err)[:200]}") from None
