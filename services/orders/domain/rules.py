"""Routing rules: small pure functions, each asked about one candidate at a time.

A *filter* returns the reason code that excludes the candidate, or ``None`` to keep it.
A *partition* returns the candidate's tier, 0 first: the ranking sorts by the tiers of the
pipeline's partitions, in pipeline order, before it looks at the score.
"""

from __future__ import annotations

from collections.abc import Callable

from services.orders.domain.facts import Candidate, Channel, OrderFacts, RoutingConfig

Filter = Callable[[OrderFacts, Candidate, RoutingConfig], str | None]
Partition = Callable[[OrderFacts, Candidate, RoutingConfig], int]


def ships_from_warehouse(facts: OrderFacts) -> bool:
    """True when a line is ``online_only``: HQ's warehouse ships the whole order."""
    return any(line.channel == Channel.ONLINE_ONLY for line in facts.lines)


def is_large(facts: OrderFacts, config: RoutingConfig) -> bool:
    """True when the order reaches either order-size threshold that is set."""
    qty, amount = config.min_qty_for_dealers, config.min_amount_for_dealers
    return (qty is not None and facts.total_qty >= qty) or (
        amount is not None and facts.amount_minor >= amount
    )


def short_skus(facts: OrderFacts, c: Candidate) -> list[str]:
    """The SKUs the candidate has fewer units of than the order needs, in line order."""
    return [sku for sku, qty in facts.needed.items() if c.available.get(sku, 0) < qty]


# -- filters ------------------------------------------------------------------------------


def paused(facts: OrderFacts, c: Candidate, config: RoutingConfig) -> str | None:
    """A paused dealer takes no offers."""
    return "paused" if c.paused else None


def channel(facts: OrderFacts, c: Candidate, config: RoutingConfig) -> str | None:
    """Online-only products ship from HQ's warehouse: only the warehouse remains."""
    if ships_from_warehouse(facts) and not c.is_warehouse:
        return "online_only_ships_from_warehouse"
    return None


def order_size(facts: OrderFacts, c: Candidate, config: RoutingConfig) -> str | None:
    """When on: large orders go to dealers, small ones to the warehouse (online-only aside)."""
    if not config.order_size_rule or ships_from_warehouse(facts):
        return None
    large = is_large(facts, config)
    if large and c.is_warehouse:
        return "order_size_to_dealers"
    if not large and not c.is_warehouse:
        return "order_size_to_warehouse"
    return None


def capability(facts: OrderFacts, c: Candidate, config: RoutingConfig) -> str | None:
    """The dealer must do what the order needs: pickup or delivery, installation."""
    missing = sorted(facts.capabilities - c.capabilities)
    return f"missing_capability:{','.join(missing)}" if missing else None


def radius(facts: OrderFacts, c: Candidate, config: RoutingConfig) -> str | None:
    """The customer must be inside the dealer's service radius."""
    return "out_of_radius" if c.distance_km > c.service_radius_km else None


def capacity(facts: OrderFacts, c: Candidate, config: RoutingConfig) -> str | None:
    """Orders accepted today plus open offers must stay under the daily capacity."""
    if c.daily_capacity is not None and c.load_today + c.open_offers >= c.daily_capacity:
        return "over_capacity"
    return None


def already_tried(facts: OrderFacts, c: Candidate, config: RoutingConfig) -> str | None:
    """A dealer that already had this order (declined or let it expire) is not asked again."""
    return "already_tried" if c.recently_declined_this_order else None


def stock(facts: OrderFacts, c: Candidate, config: RoutingConfig) -> str | None:
    """The candidate must have every line available."""
    short = short_skus(facts, c)
    return f"no_stock:{','.join(short)}" if short else None


def territory(facts: OrderFacts, c: Candidate, config: RoutingConfig) -> str | None:
    """Optional: a dealer holding exclusive regions serves only those regions."""
    if c.exclusive_regions and facts.region not in c.exclusive_regions:
        return "outside_exclusive_region"
    return None


# -- partitions ---------------------------------------------------------------------------


def exclusive_first(facts: OrderFacts, c: Candidate, config: RoutingConfig) -> int:
    """Dealers holding the order's region exclusively get first refusal."""
    return 0 if facts.region in c.exclusive_regions else 1


def prefer_stock(facts: OrderFacts, c: Candidate, config: RoutingConfig) -> int:
    """Dealers with every line in stock go before the others (use instead of ``stock``)."""
    return 1 if short_skus(facts, c) else 0


FILTERS: dict[str, Filter] = {
    "paused": paused,
    "channel": channel,
    "order_size": order_size,
    "capability": capability,
    "radius": radius,
    "capacity": capacity,
    "already_tried": already_tried,
    "stock": stock,
    "territory": territory,
}
PARTITIONS: dict[str, Partition] = {
    "exclusive_first": exclusive_first,
    "prefer_stock": prefer_stock,
}
RULES: frozenset[str] = frozenset(FILTERS) | frozenset(PARTITIONS)


def parse_rule_names(text: str) -> tuple[str, ...]:
    """The routing pipeline named by ``BATON_ROUTING_RULES`` (comma-separated), checked.

    Empty means the default pipeline (an empty tuple); an unknown or repeated name is a
    ValueError that says which.
    """
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in RULES]
    if unknown:
        raise ValueError(f"unknown rules {unknown}; known: {', '.join(sorted(RULES))}")
    if len(set(names)) != len(names):
        raise ValueError("a rule is named twice")
    return names
