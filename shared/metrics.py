"""Prometheus text for /metrics, read from the counters the workers already keep."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields

from shared.bus.consumer import Consumer, ConsumerStats
from shared.bus.relay import OutboxRelay, TimerRunner


@dataclass
class Metrics:
    """The sources of one process's metrics."""

    consumers: list[Consumer] = field(default_factory=list)
    gauges: dict[str, Callable[[], float]] = field(default_factory=dict)
    refusals: Counter[tuple[str, str]] = field(default_factory=Counter)

    def count_refusal(self, key_id: str, reason: str) -> None:
        """Count a request the HTTP API refused (401, 403, 404 of a bound key), by key."""
        self.refusals[(key_id, reason)] += 1

    def add_consumer(self, consumer: Consumer) -> None:
        """Report this consumer's counters."""
        self.consumers.append(consumer)

    def add_delivery(self, relay: OutboxRelay, timers: TimerRunner) -> None:
        """Report what the outbox relay published and the timers fired."""
        self.gauges["baton_outbox_published_total"] = lambda: relay.published
        self.gauges["baton_timers_fired_total"] = lambda: timers.fired

    def render(self) -> str:
        """Every metric in the Prometheus text exposition format."""
        lines: list[str] = []
        for stat in fields(ConsumerStats):
            name = f"baton_consumer_{stat.name}_total"
            lines.append(f"# TYPE {name} counter")
            for consumer in self.consumers:
                value = getattr(consumer.stats, stat.name)
                lines.append(
                    f'{name}{{group="{consumer.group}",consumer="{consumer.name}"}} {value}'
                )
        if self.refusals:
            lines.append("# TYPE baton_api_refusals_total counter")
        for (key_id, reason), count in sorted(self.refusals.items()):
            lines.append(f'baton_api_refusals_total{{key="{key_id}",reason="{reason}"}} {count}')
        for name, read in sorted(self.gauges.items()):
            lines.append(f"# TYPE {name} counter")
            lines.append(f"{name} {read()}")
        return "\n".join(lines) + "\n"
