"""Benchmarks: `python -m bench [NAME ...]`. Not tests: CI does not run them.

A benchmark module in this package registers functions with `@benchmark("name", ...)`.
Each function returns one or more `Result`s (a benchmark with a peer or a physical limit
also returns the ratio to it, measured in the same run).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    name: str
    value: float
    unit: str
    target: str  # e.g. "<= 10" or ">= 0.5": the target, as text

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "value": round(self.value, 4), "unit": self.unit, "target": self.target}


BenchFn = Callable[[], Iterable[Result]]
REGISTRY: dict[str, BenchFn] = {}


def benchmark(*names: str) -> Callable[[BenchFn], BenchFn]:
    """Register a function that produces the results named `names` (one run yields them all)."""

    def register(fn: BenchFn) -> BenchFn:
        for name in names:
            REGISTRY[name] = fn
        return fn

    return register


def percentile(samples: Sequence[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of samples."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    rank = max(0, min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1))
    return ordered[rank]


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)
