"""Prometheus metrics of the gateway, in one registry served at GET /metrics.

Counters are bumped where things happen; gauges that need the database (queue depth)
or live objects (link state) are refreshed when /metrics is scraped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar, cast

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

M = TypeVar("M", Counter, Gauge, Histogram)
_CHILDREN: dict[tuple[int, tuple[str, ...]], Counter | Gauge | Histogram] = {}


def _registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=_registry)

    def __post_init__(self) -> None:
        r = self.registry
        self.mo_received = Counter("kodeord_mo_received", "MO messages stored", registry=r)
        self.mo_duplicates = Counter(
            "kodeord_mo_duplicates", "MO (parts) re-sent by the operator, recognised", registry=r
        )
        self.mo_store_failures = Counter(
            "kodeord_mo_store_failures",
            "MO we could not store (answered temporary error)",
            registry=r,
        )
        self.receipts_received = Counter(
            "kodeord_receipts_received", "delivery receipts stored", registry=r
        )
        self.routed = Counter(
            "kodeord_mo_routed", "MO routing decisions", ["outcome", "step"], registry=r
        )
        self.deliveries = Counter(
            "kodeord_deliveries", "delivery attempts", ["destination", "result"], registry=r
        )
        self.delivery_seconds = Histogram(
            "kodeord_delivery_seconds",
            "time of one delivery attempt",
            ["destination"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "kodeord_queue_jobs", "jobs in the queue by status", ["status"], registry=r
        )
        self.mt_accepted = Counter(
            "kodeord_mt_accepted", "MT messages accepted", ["origin"], registry=r
        )
        self.mt_sent = Counter("kodeord_mt_sent", "MT messages submitted in full", registry=r)
        self.mt_throttled = Counter(
            "kodeord_mt_throttled", "submits the operator throttled", registry=r
        )
        self.receipts_applied = Counter(
            "kodeord_receipts_applied", "delivery receipts by outcome", ["status"], registry=r
        )
        self.link_up = Gauge(
            "kodeord_operator_link_up", "1 when the operator link is bound", ["link"], registry=r
        )


METRICS = Metrics()


def labelled(metric: M, *values: str) -> M:
    """`metric.labels(*values)`, remembered: prometheus_client builds and checks the label
    tuple under a lock on every call, which cost ~6 % of the gateway's CPU in an MO burst
    when done once per message. Children are never removed, so remembering them is safe."""
    key = (id(metric), values)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(*values)
    return cast(M, child)  # the child of `metric` is of its class
