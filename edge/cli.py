"""`storenode` command line. Every command has --help and exits non-zero with a one-line reason."""

from __future__ import annotations

import argparse
import getpass
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from edge import devices_cli
from edge.bootstrap import Node, build_node
from edge.errors import NodeError
from edge.settings import ConfigError, Settings, load_settings
from pos.errors import PosError
from pos.operators import Role
from sync.hq import cli as hq_cli
from tui import cli as tui_cli

EXIT_BAD_INPUT = 2


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.config or os.environ.get("STORENODE_CONFIG") or "store.toml")


@contextmanager
def _node(args: argparse.Namespace, init: bool = False) -> Iterator[Node]:
    """The store's node for one command, closed after it."""
    node = build_node(_settings(args), init=init)
    try:
        yield node
    finally:
        node.close()


def _read_pin(args: argparse.Namespace) -> str:
    if args.pin:
        return str(args.pin)
    if os.environ.get("STORENODE_PIN"):
        return os.environ["STORENODE_PIN"]
    if not sys.stdin.isatty():
        raise NodeError("no PIN given: pass --pin, set STORENODE_PIN, or run in a terminal to be asked")
    first = getpass.getpass("PIN: ")
    if getpass.getpass("PIN again: ") != first:
        raise NodeError("the two PINs differ")
    return first


def cmd_serve(args: argparse.Namespace) -> int:
    from edge.server import serve

    settings = _settings(args)
    serve(settings, init=args.init, host=args.host, port=args.port)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from edge.demo import run_demo

    run_demo(Path(args.dir), host=args.host, port=args.port)
    return 0


def cmd_catalog_import(args: argparse.Namespace) -> int:
    from edge.catalog import import_catalog

    with _node(args) as node:
        report = import_catalog(node.ledger, Path(args.file), encoding=args.encoding, max_bytes=args.max_bytes)
    for error in report.errors[: args.show_errors]:
        print(f"{report.path}:{error.line}: {error.reason}", file=sys.stderr)
    if len(report.errors) > args.show_errors:
        print(f"... and {len(report.errors) - args.show_errors} more row errors", file=sys.stderr)
    print(
        f"imported {report.imported} item(s) ({report.created} new, {report.updated} updated) "
        f"from {report.rows} row(s); {len(report.errors)} row(s) refused"
    )
    return 1 if report.errors else 0


def cmd_ledger_verify(args: argparse.Namespace) -> int:
    from edge import journal

    with _node(args) as node, node.ledger.reader.connect() as conn:
        report = journal.verify(conn)
    if report.ok:
        print(f"ledger ok: {report.rows} journal row(s), chain intact up to seq {report.last_seq}")
        return 0
    print(f"ledger BROKEN at seq {report.first_bad_seq}: {report.reason}", file=sys.stderr)
    return 1


def cmd_backup(args: argparse.Namespace) -> int:
    settings = _settings(args)
    target = Path(args.dest)
    if target.exists():
        raise NodeError(f"{target} exists: choose a new file name for the backup")
    source = sqlite3.connect(f"file:{settings.ledger_path}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(target)
        with dest:
            source.backup(dest)
        dest.close()
    finally:
        source.close()
    print(f"backed up {settings.ledger_path} to {target}")
    return 0


def cmd_promotions_load(args: argparse.Namespace) -> int:
    from edge.promotions import load_bundle_file

    with _node(args) as node:
        version, count = load_bundle_file(node.ledger, Path(args.file))
    print(f"promotion bundle version {version} is active: {count} promotion(s)")
    return 0


def cmd_members_import(args: argparse.Namespace) -> int:
    from edge.members import import_members

    with _node(args) as node:
        report = import_members(node.ledger, Path(args.file))
    print(f"imported {report.rows} member(s): {report.created} new, {report.updated} updated")
    return 0


def cmd_operator_add(args: argparse.Namespace) -> int:
    with _node(args) as node:
        operator = node.operators.add(args.id, args.name, Role(args.role), _read_pin(args))
    print(f"added {operator.role.value} {operator.id} ({operator.name})")
    return 0


def cmd_operator_reset_pin(args: argparse.Namespace) -> int:
    with _node(args) as node:
        node.operators.reset_pin(args.id, _read_pin(args), by="cli")
    print(f"PIN of operator {args.id} reset; any lock lifted")
    return 0


def cmd_operator_lock(args: argparse.Namespace) -> int:
    with _node(args) as node:
        node.operators.lock(args.id, args.minutes, by="cli")
    until = f"for {args.minutes} minutes" if args.minutes else "until a PIN reset"
    print(f"operator {args.id} locked {until}")
    return 0


def cmd_operator_list(args: argparse.Namespace) -> int:
    with _node(args) as node:
        for operator in node.operators.list():
            state = "disabled" if operator.disabled else (f"locked until {operator.locked_until:%Y-%m-%d %H:%M} UTC" if operator.locked_until else "active")
            print(f"{operator.id:<8} {operator.role.value:<8} {state:<30} {operator.name}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="storenode", description="The software of one store.")
    parser.add_argument("--config", help="store config file (default: $STORENODE_CONFIG or ./store.toml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, fn: Callable[[argparse.Namespace], int], help_text: str, parent: argparse._SubParsersAction[argparse.ArgumentParser] = commands) -> argparse.ArgumentParser:
        sub = parent.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(func=fn)
        return sub

    serve = add("serve", cmd_serve, "serve the store node (HTTP API, devices, sync)")
    serve.add_argument("--init", action="store_true", help="create the ledger if it does not exist")
    serve.add_argument("--host", help="override [api] host")
    serve.add_argument("--port", type=int, help="override [api] port")

    demo = add("demo", cmd_demo, "create (or reuse) a demo store and serve it")
    demo.add_argument("--dir", default="demo-store", help="demo store directory (default: ./demo-store)")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8080)

    catalog = commands.add_parser("catalog", help="catalog tools").add_subparsers(dest="catalog_command", required=True, metavar="SUBCOMMAND")
    importer = add("import", cmd_catalog_import, "import items from a CSV file (docs/catalog.md)", catalog)
    importer.add_argument("file")
    importer.add_argument("--encoding", default="utf-8", help="file encoding, e.g. gb18030 (default utf-8)")
    importer.add_argument("--max-bytes", type=int, default=1 << 30, help="refuse files larger than this")
    importer.add_argument("--show-errors", type=int, default=50, help="how many row errors to print")

    ledger = commands.add_parser("ledger", help="ledger tools").add_subparsers(dest="ledger_command", required=True, metavar="SUBCOMMAND")
    add("verify", cmd_ledger_verify, "re-walk the journal's hash chain; names the first bad seq", ledger)

    backup = add("backup", cmd_backup, "copy the ledger to a new file, safely while the node runs")
    backup.add_argument("dest")

    operator = commands.add_parser("operator", help="cashiers and managers").add_subparsers(dest="operator_command", required=True, metavar="SUBCOMMAND")
    op_add = add("add", cmd_operator_add, "add an operator", operator)
    op_add.add_argument("id")
    op_add.add_argument("--name", required=True)
    op_add.add_argument("--role", choices=[r.value for r in Role], default=Role.CASHIER.value)
    op_add.add_argument("--pin", help="the PIN (else $STORENODE_PIN, else asked)")
    op_reset = add("reset-pin", cmd_operator_reset_pin, "set a new PIN and lift a lock", operator)
    op_reset.add_argument("id")
    op_reset.add_argument("--pin")
    op_lock = add("lock", cmd_operator_lock, "lock an operator out", operator)
    op_lock.add_argument("id")
    op_lock.add_argument("--minutes", type=int, help="lock for N minutes (default: until a PIN reset)")
    add("list", cmd_operator_list, "list operators", operator)
    devices_cli.register(commands)
    promotions = commands.add_parser("promotions", help="the store's promotion bundle").add_subparsers(
        dest="promotions_command", required=True, metavar="SUBCOMMAND"
    )
    loader = add("load", cmd_promotions_load, "make a bundle file the active promotions (stores without HQ)", promotions)
    loader.add_argument("file")
    members = commands.add_parser("members", help="loyalty members").add_subparsers(
        dest="members_command", required=True, metavar="SUBCOMMAND"
    )
    members_import = add("import", cmd_members_import, "add or update members from a CSV file (id,tier,name,active)", members)
    members_import.add_argument("file")
    hq_cli.register(commands)
    tui_cli.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
        return result
    except (ConfigError, NodeError, PosError) as err:
        print(f"storenode: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
