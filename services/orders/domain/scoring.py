"""The score of a candidate that passed the filters, and the fair tie-break.

Each component is in [0, 1], higher is better, and depends on the candidate alone, so a
dealer's score does not move when other dealers come and go. The total is the weighted
mean, rounded so that dealers equal in practice tie and the tie-break decides.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from services.orders.domain.facts import Candidate, RoutingConfig

DIGITS = 6


@dataclass(frozen=True)
class Score:
    """A candidate's score and the components it was made of."""

    total: float
    distance: float
    acceptance: float
    response: float
    load: float

    def components(self) -> dict[str, float]:
        """The components by name."""
        return {
            "distance": self.distance,
            "acceptance": self.acceptance,
            "response": self.response,
            "load": self.load,
        }


def _halving(value: float, scale: float) -> float:
    """1 at 0, 1/2 at ``scale``, towards 0 beyond."""
    return 1.0 / (1.0 + max(0.0, value) / scale)


def score(c: Candidate, config: RoutingConfig) -> Score:
    """Score a candidate by distance, acceptance rate, response time and current load."""
    rate = config.new_dealer_acceptance if c.acceptance_rate is None else c.acceptance_rate
    response = (
        config.unknown_response_score
        if c.median_response_s is None
        else _halving(c.median_response_s, config.response_scale_s)
    )
    busy = c.load_today + c.open_offers
    # Without a capacity, ten orders in hand halve the load score.
    load = 1.0 - min(1.0, busy / c.daily_capacity) if c.daily_capacity else _halving(busy, 10.0)
    parts = (
        _halving(c.distance_km, config.distance_scale_km),
        min(1.0, max(0.0, rate)),
        response,
        load,
    )
    w = config.weights
    weights = (w.distance, w.acceptance, w.response, w.load)
    total = sum(p * q for p, q in zip(parts, weights, strict=True)) / sum(weights)
    rounded = [round(x, DIGITS) for x in (total, *parts)]
    return Score(*rounded)


def tiebreak(order_id: str, dealer_id: str) -> int:
    """A stable pseudo-random rank of a dealer for one order: equal dealers take turns."""
    digest = hashlib.sha256(f"{order_id}\x1f{dealer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")
