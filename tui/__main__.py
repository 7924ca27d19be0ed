"""`python -m tui --lane N [--node URL] [--lang zh-CN|en]`: the lane terminal without the storenode CLI."""

from __future__ import annotations

import argparse
import sys

from tui.cli import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tui")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["tui", *(sys.argv[1:] if argv is None else argv)])
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
