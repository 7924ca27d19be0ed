"""`python -m sync.hq SUBCOMMAND`: the HQ commands without the store's CLI (same as `storenode hq`)."""

from __future__ import annotations

import argparse
import sys

from sync.hq.cli import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sync.hq")
    commands = parser.add_subparsers(dest="command", required=True)
    register(commands)
    args = parser.parse_args(["hq", *(sys.argv[1:] if argv is None else argv)])
    try:
        result: int = args.func(args)
        return result
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
