"""Prometheus metrics, in a registry owned by the node (nothing global, nothing at import time)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class _NodeCollector(Collector):
    def __init__(self, last_seq: Callable[[], int], started: float) -> None:
        self._last_seq = last_seq
        self._started = started

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("storenode_journal_last_seq", "Last journal seq in the ledger", value=self._last_seq())
        yield GaugeMetricFamily(
            "storenode_uptime_seconds", "Seconds since the node started", value=time.monotonic() - self._started
        )


class Metrics:
    def __init__(self, last_seq: Callable[[], int], started: float) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "storenode_http_requests", "HTTP requests served", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "storenode_http_request_seconds",
            "HTTP request latency",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=self.registry,
        )
        self.registry.register(_NodeCollector(last_seq, started))

    def render(self) -> bytes:
        return generate_latest(self.registry)
