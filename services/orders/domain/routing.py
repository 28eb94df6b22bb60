"""The routing pipeline: filters exclude with a reason, partitions and the score rank the rest.

Each candidate meets the pipeline's filters in order; the first that objects excludes it
and is named with its reason. The rest are sorted by: HQ's warehouse last, then the tiers
of the partitions in pipeline order, then the score (best first), then a stable hash of
(order id, dealer id), so equal dealers share orders rather than the lowest id winning.
The result does not depend on the order in which the candidates are given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from services.orders.domain.facts import Candidate, OrderFacts, RoutingConfig
from services.orders.domain.rules import FILTERS, PARTITIONS, RULES
from services.orders.domain.scoring import Score, score, tiebreak

Mode = Literal["sequential", "grab"]


@dataclass(frozen=True)
class Exclusion:
    """The rule that excluded a candidate, and its reason code."""

    rule: str
    reason: str


@dataclass(frozen=True)
class Choice:
    """A candidate that passed every filter, with what ranked it."""

    dealer_id: str
    score: Score
    tiers: Mapping[str, int]
    is_warehouse: bool

    @property
    def group(self) -> tuple[bool, tuple[int, ...]]:
        """What ranks before the score: warehouse or not, then the partition tiers."""
        return self.is_warehouse, tuple(self.tiers.values())


@dataclass(frozen=True)
class RoutingDecision:
    """The decision as made: who is ranked how, who was excluded by which rule and why."""

    order_id: str
    mode: Mode
    k: int
    rules: tuple[str, ...]
    chosen: tuple[Choice, ...]
    excluded: Mapping[str, Exclusion]
    exhausted: bool = False

    @property
    def targets(self) -> tuple[str, ...]:
        """Whom to offer the order now; empty means wait for HQ.

        Sequential: the best candidate. Grab: up to K of the best, all from the top
        group, so a first refusal (exclusive region) is not shared with the rest.
        """
        if self.exhausted or not self.chosen:
            return ()
        if self.mode == "sequential":
            return (self.chosen[0].dealer_id,)
        top = self.chosen[0].group
        return tuple(c.dealer_id for c in self.chosen if c.group == top)[: self.k]

    def to_dict(self) -> dict[str, Any]:
        """The decision as plain JSON-able data, to store and to explain."""
        return {
            "order_id": self.order_id,
            "mode": self.mode,
            "k": self.k,
            "rules": list(self.rules),
            "exhausted": self.exhausted,
            "targets": list(self.targets),
            "chosen": [
                {
                    "rank": rank,
                    "dealer_id": c.dealer_id,
                    "score": c.score.total,
                    "components": c.score.components(),
                    "tiers": dict(c.tiers),
                    "is_warehouse": c.is_warehouse,
                }
                for rank, c in enumerate(self.chosen, start=1)
            ],
            "excluded": {
                dealer_id: {"rule": e.rule, "reason": e.reason}
                for dealer_id, e in sorted(self.excluded.items())
            },
        }


def check_config(config: RoutingConfig) -> None:
    """Refuse a pipeline naming an unknown rule or a rule twice."""
    unknown = [name for name in config.rules if name not in RULES]
    if unknown:
        raise ValueError(f"unknown routing rules {unknown}; known: {', '.join(sorted(RULES))}")
    if len(set(config.rules)) != len(config.rules):
        raise ValueError(f"a routing rule is named twice in {list(config.rules)}")


def route(
    facts: OrderFacts,
    candidates: Sequence[Candidate],
    config: RoutingConfig,
    attempts_made: int = 0,
) -> RoutingDecision:
    """Run the pipeline over the candidates; past ``max_attempts`` nobody is a target."""
    check_config(config)
    ids = [c.dealer_id for c in candidates]
    if len(set(ids)) != len(ids):
        raise ValueError("each dealer is a candidate once")
    filters = [(name, FILTERS[name]) for name in config.rules if name in FILTERS]
    partitions = [(name, PARTITIONS[name]) for name in config.rules if name in PARTITIONS]
    excluded: dict[str, Exclusion] = {}
    ranked: list[tuple[tuple[Any, ...], Choice]] = []
    for c in candidates:
        exclusion = next(
            (Exclusion(name, why) for name, rule in filters if (why := rule(facts, c, config))),
            None,
        )
        if exclusion is not None:
            excluded[c.dealer_id] = exclusion
            continue
        tiers = {name: partition(facts, c, config) for name, partition in partitions}
        choice = Choice(c.dealer_id, score(c, config), tiers, c.is_warehouse)
        key = (
            choice.group,
            -choice.score.total,
            tiebreak(facts.order_id, c.dealer_id),
            c.dealer_id,
        )
        ranked.append((key, choice))
    ranked.sort(key=lambda pair: pair[0])
    return RoutingDecision(
        order_id=facts.order_id,
        mode="grab" if config.grab_mode else "sequential",
        k=config.grab_k if config.grab_mode else 1,
        rules=tuple(config.rules),
        chosen=tuple(choice for _, choice in ranked),
        excluded=excluded,
        exhausted=attempts_made >= config.max_attempts,
    )
