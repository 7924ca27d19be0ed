"""`storenode tui`: the command that opens the lane terminal (edge.cli calls `register`)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from tui.i18n import LANGUAGES, normalize_language

DEFAULT_NODE = "http://127.0.0.1:8080"


def register(subparsers: argparse._SubParsersAction[Any]) -> argparse.ArgumentParser:
    """Add the `tui` command to storenode's command line."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "tui",
        help="open the cashier's lane terminal",
        description="Open the cashier's lane terminal (keyboard only; a client of the node's HTTP API).",
    )
    parser.add_argument("--lane", type=int, required=True, help="this terminal's lane number (1-999)")
    parser.add_argument(
        "--node",
        default=os.environ.get("STORENODE_NODE", DEFAULT_NODE),
        help=f"the node's base URL (default: $STORENODE_NODE or {DEFAULT_NODE})",
    )
    parser.add_argument(
        "--lang",
        default=os.environ.get("STORENODE_LANG", "zh-CN"),
        help=f"UI language: {' or '.join(LANGUAGES)} (default: $STORENODE_LANG or zh-CN); F12 switches",
    )
    parser.set_defaults(func=cmd_tui)
    return parser


def cmd_tui(args: argparse.Namespace) -> int:
    """Check the arguments, then run the app until the cashier quits (Ctrl+Q)."""
    from tui.app import run_lane_app

    if not 1 <= args.lane <= 999:
        print(f"storenode: lane {args.lane} is out of range: choose 1-999", file=sys.stderr)
        return 2
    try:
        language = normalize_language(args.lang)
    except ValueError as err:
        print(f"storenode: {err}", file=sys.stderr)
        return 2
    if not str(args.node).startswith(("http://", "https://")):
        print(f"storenode: --node {args.node!r} is not a URL: give http://HOST:PORT", file=sys.stderr)
        return 2
    run_lane_app(args.node, args.lane, language)
    return 0
