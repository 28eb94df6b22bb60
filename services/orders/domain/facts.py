"""What routing decides from: the order's facts, one candidate per dealer, and HQ's config.

The shell gathers these (catalog, dealer directory, stock view, dealer statistics) and
passes them in; nothing here reads a clock or a database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from services.orders.domain.status import Fulfilment

# The rule names, in order, when HQ configures none (see ``rules.RULES``).
DEFAULT_RULES: tuple[str, ...] = (
    "paused",
    "channel",
    "order_size",
    "capability",
    "radius",
    "capacity",
    "already_tried",
    "stock",
    "exclusive_first",
)


class Channel(StrEnum):
    """Where a product may be sold."""

    BOTH = "both"
    ONLINE_ONLY = "online_only"
    OFFLINE_ONLY = "offline_only"


@dataclass(frozen=True)
class FactLine:
    """One order line as routing sees it."""

    sku: str
    qty: int
    channel: Channel = Channel.BOTH


@dataclass(frozen=True)
class OrderFacts:
    """The order as routing sees it; ``amount_minor`` is what the customer pays."""

    order_id: str
    region: str
    city: str
    lat: float
    lon: float
    fulfilment: Fulfilment
    needs_installation: bool
    lines: tuple[FactLine, ...]
    amount_minor: int

    @property
    def total_qty(self) -> int:
        """Units over all lines."""
        return sum(line.qty for line in self.lines)

    @property
    def needed(self) -> dict[str, int]:
        """Units needed per SKU, in line order."""
        needed: dict[str, int] = {}
        for line in self.lines:
            needed[line.sku] = needed.get(line.sku, 0) + line.qty
        return needed

    @property
    def capabilities(self) -> frozenset[str]:
        """What the fulfilling dealer must be able to do."""
        extra = {"installation"} if self.needs_installation else set()
        return frozenset({str(self.fulfilment), *extra})


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """A dealer (or HQ's warehouse) that might fulfil the order, as the shell sees it now."""

    dealer_id: str
    distance_km: float
    service_radius_km: float  # math.inf for no limit (HQ's warehouse ships anywhere)
    capabilities: frozenset[str]  # of pickup, delivery, installation
    available: Mapping[str, int]  # SKU → units available per the stock view
    is_warehouse: bool = False
    paused: bool = False
    daily_capacity: int | None = None  # None: no limit
    load_today: int = 0  # orders accepted today
    open_offers: int = 0
    exclusive_regions: frozenset[str] = frozenset()
    acceptance_rate: float | None = None  # 0..1; None for a new dealer
    median_response_s: float | None = None
    recently_declined_this_order: bool = False  # already offered this order (any outcome)


@dataclass(frozen=True)
class ScoreWeights:
    """How much each component counts in a candidate's score."""

    distance: float = 0.4
    acceptance: float = 0.25
    response: float = 0.15
    load: float = 0.2


@dataclass(frozen=True)
class RoutingConfig:
    """HQ's routing policy; rule names are checked by ``routing.check_config``."""

    rules: tuple[str, ...] = DEFAULT_RULES
    order_size_rule: bool = False
    min_qty_for_dealers: int | None = None
    min_amount_for_dealers: int | None = None  # minor units
    grab_mode: bool = False
    grab_k: int = 3
    max_attempts: int = 5
    weights: ScoreWeights = ScoreWeights()
    distance_scale_km: float = 10.0  # distance at which the distance score halves
    response_scale_s: float = 600.0  # median response at which the response score halves
    new_dealer_acceptance: float = 0.75  # assumed acceptance rate of a dealer without history
    unknown_response_score: float = 0.5

    def __post_init__(self) -> None:
        w = self.weights
        parts = (w.distance, w.acceptance, w.response, w.load)
        problems = [
            "weights must be >= 0 and not all 0" if min(parts) < 0 or not any(parts) else "",
            "grab_k must be >= 1" if self.grab_k < 1 else "",
            "max_attempts must be >= 1" if self.max_attempts < 1 else "",
            "scales must be > 0" if min(self.distance_scale_km, self.response_scale_s) <= 0 else "",
            "the order-size rule needs min_qty_for_dealers or min_amount_for_dealers"
            if self.order_size_rule
            and self.min_qty_for_dealers is None
            and self.min_amount_for_dealers is None
            else "",
        ]
        if any(problems):
            raise ValueError("; ".join(p for p in problems if p))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))
