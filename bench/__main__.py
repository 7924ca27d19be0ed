"""Run benchmarks: `python -m bench [NAME ...]` prints one JSON object per line, then a table."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path

import bench
from bench import REGISTRY, Result


def _load_modules() -> None:
    for module in pkgutil.iter_modules([str(Path(bench.__file__).parent)]):
        if module.name.startswith("bench_"):
            importlib.import_module(f"bench.{module.name}")


def main(argv: list[str]) -> int:
    _load_modules()
    wanted = argv or sorted(REGISTRY)
    unknown = [name for name in wanted if name not in REGISTRY]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(sorted(REGISTRY))}", file=sys.stderr)
        return 2
    results: dict[str, Result] = {}
    done: set[int] = set()
    for name in wanted:
        fn = REGISTRY[name]
        if id(fn) in done:
            continue
        done.add(id(fn))
        for result in fn():
            results[result.name] = result
            print(json.dumps(result.as_json(), ensure_ascii=False), flush=True)
    print()
    print(f"{'benchmark':<34} {'value':>12} {'unit':<10} target")
    for result in results.values():
        print(f"{result.name:<34} {result.value:>12.4g} {result.unit:<10} {result.target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
