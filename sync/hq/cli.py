"""The `hq` command group: keygen, push, status, serve, add-store.

`register(subparsers)` adds it to `storenode`; `python -m sync.hq` runs it on its own.
Every option also reads a STORENODE_HQ_* environment variable (e.g. STORENODE_HQ_DB).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from sync.errors import SyncError
from sync.hq.settings import HqSettings
from sync.schemas import MessageKind

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"STORENODE_HQ_{name}", default)


def _duration(text: str) -> timedelta:
    try:
        return timedelta(seconds=float(text[:-1]) * _UNITS[text[-1]])
    except (KeyError, ValueError, IndexError):
        raise argparse.ArgumentTypeError(f"{text!r}: use a number and s, m, h or d, e.g. 7d") from None


def _settings(args: argparse.Namespace) -> HqSettings:
    host, _, port = str(args.broker).rpartition(":")
    if not host or not port.isdigit():
        raise SyncError(f"--broker {args.broker!r}: expected HOST:PORT")
    return HqSettings(
        db=args.db, broker_host=host, broker_port=int(port), tenant=args.tenant, key=Path(args.key),
        tls_ca=Path(args.tls_ca) if args.tls_ca else None, tls_cert=Path(args.tls_cert) if args.tls_cert else None,
        tls_key=Path(args.tls_key) if args.tls_key else None, username=args.username, password=args.mqtt_password,
    )


def cmd_keygen(args: argparse.Namespace) -> int:
    from sync.signing import generate_private_key, public_key_text

    key = generate_private_key(Path(args.key))
    public = public_key_text(key.public_key())
    Path(f"{args.key}.pub").write_text(public + "\n", encoding="ascii")
    print(f"HQ key written to {args.key} (keep it secret); public key (for every store's [sync] hq_public_key):")
    print(public)
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    from sync.hq.db import open_database
    from sync.hq.push import queue_message, read_body, topic_for
    from sync.mqtt import Link
    from sync.signing import load_private_key

    settings = _settings(args)
    kind = cast(MessageKind, args.kind)
    key = load_private_key(settings.key)
    body = read_body(kind, Path(args.file))
    engine = open_database(settings.db)
    stores = [] if args.all else args.store
    msg, envelope = queue_message(engine, key, tenant=settings.tenant, kind=kind, body=body, stores=stores, expires_in=args.expires_in)
    target = "every store" if not stores else ", ".join(stores)
    print(f"{kind} version {msg['version']} (msg {msg['msg_id']}) signed and queued for {target}")
    if args.no_publish:
        return 0
    link = Link(settings.broker(f"hq-push-{uuid.uuid4().hex[:12]}", session_expiry=0))
    link.start()
    try:
        sent = all(link.publish_and_wait(topic, envelope, retain=not stores) for topic in topic_for(settings.tenant, kind, stores))
    finally:
        link.stop()
    if sent:
        print("published; `hq serve` re-publishes until every target reports it applied")
        return 0
    print("storenode hq: broker unreachable: the message stays in HQ's outbox and `hq serve` publishes it", file=sys.stderr)
    return 1


def cmd_status(args: argparse.Namespace) -> int:
    from sync.hq.db import open_database
    from sync.hq.status import format_reports, store_reports

    print(format_reports(store_reports(open_database(_settings(args).db)), as_json=args.json))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from sync.hq.serve import Collector

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    collector = Collector(_settings(args), name=args.name, republish_seconds=args.republish_seconds).start()
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    logging.getLogger("storenode.hq").info("hq serve %s collecting for tenant %s", collector.name, args.tenant)
    done.wait()
    collector.stop()
    return 0


def cmd_add_store(args: argparse.Namespace) -> int:
    from sync.hq.db import open_database
    from sync.hq.enrol import enrol
    from sync.signing import load_private_key, public_key_text

    settings = _settings(args)
    public = public_key_text(load_private_key(settings.key).public_key())
    print(enrol(
        open_database(settings.db), tenant=settings.tenant, store=args.id, public_key=public,
        broker_host=args.public_host or settings.broker_host, broker_port=args.public_port or settings.broker_port,
        password=args.store_password, tls=not args.no_tls,
    ), end="")
    return 0


def _guarded(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Bad input ends the command with one line and exit status 2, as every storenode command does."""

    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except (SyncError, OSError) as err:
            print(f"storenode hq: {getattr(err, 'message', None) or err}", file=sys.stderr)
            return 2

    return run


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=_env("DB", "hq.db"), help="SQLite file or postgresql://... URL (default hq.db)")
    common.add_argument("--broker", default=_env("BROKER", "127.0.0.1:1883"), help="HOST:PORT of the MQTT broker")
    common.add_argument("--tenant", default=_env("TENANT", "default"), help="the chain's id in the topic tree")
    common.add_argument("--key", default=_env("KEY", "hq_key.pem"), help="HQ's Ed25519 private key (PEM)")
    common.add_argument("--tls-ca", default=_env("TLS_CA"))
    common.add_argument("--tls-cert", default=_env("TLS_CERT"))
    common.add_argument("--tls-key", default=_env("TLS_KEY"))
    common.add_argument("--username", default=_env("USERNAME"))
    common.add_argument("--mqtt-password", default=_env("PASSWORD"), help="broker password (or STORENODE_HQ_PASSWORD)")
    return common


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add `hq ...` to a parser's subcommands (storenode's, or python -m sync.hq's)."""
    common = _common()
    hq: argparse.ArgumentParser = subparsers.add_parser("hq", help="HQ side of sync: keys, push, status, serve, add-store",
                               description="HQ side of sync (docs/sync.md)")
    sub = hq.add_subparsers(dest="hq_command", required=True, metavar="SUBCOMMAND")

    def add(name: str, fn: Any, text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, help=text, description=text, parents=[common])
        parser.set_defaults(func=_guarded(fn))
        return parser

    add("keygen", cmd_keygen, "create HQ's Ed25519 signing key; prints the public key for the stores")
    push = add("push", cmd_push, "validate, sign and push promotions, prices or a catalog update")
    push.add_argument("kind", choices=["promotions", "prices", "catalog"])
    push.add_argument("file", help="promotions: a JSON bundle; prices: JSON or CSV (sku,price,effective_at); catalog: CSV")
    target = push.add_mutually_exclusive_group(required=True)
    target.add_argument("--store", action="append", default=[], metavar="ID", help="a target store (repeat for more)")
    target.add_argument("--all", action="store_true", help="every store of the tenant")
    push.add_argument("--expires-in", type=_duration, default=timedelta(days=7), help="stores refuse it after this (default 7d)")
    push.add_argument("--no-publish", action="store_true", help="only queue it; `hq serve` publishes")
    status = add("status", cmd_status, "per store: online, last seen, acked seq, backlog, versions applied")
    status.add_argument("--json", action="store_true")
    serve = add("serve", cmd_serve, "collect every store's events, ack them, re-publish until applied")
    serve.add_argument("--name", default=_env("NAME"), help="this process's name (stable across restarts; default host name)")
    serve.add_argument("--republish-seconds", type=float, default=float(_env("REPUBLISH_SECONDS", "30") or 30))
    add_store = add("add-store", cmd_add_store, "enrol a store: broker credentials, ACL lines, HQ public key, config")
    add_store.add_argument("id")
    add_store.add_argument("--store-password", help="the store's broker password (default: a new random one)")
    add_store.add_argument("--public-host", help="broker host as the store sees it")
    add_store.add_argument("--public-port", type=int, help="broker port as the store sees it")
    add_store.add_argument("--no-tls", action="store_true", help="leave tls_ca out of the snippet")
    return hq
