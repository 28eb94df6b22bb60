"""Routing in the shell: gather what the pure pipeline needs, run it, and start an offer.

Candidates are the dealers whose position is within reach of the customer (a Redis geo
search) plus HQ's warehouses; their stock comes from the stock service's Redis view and
their record (acceptance, response time, today's load) from the offers table.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import bindparam, case, func, insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.catalog import public as catalog
from services.orders.domain.facts import (
    DEFAULT_RULES,
    Candidate,
    Channel,
    FactLine,
    OrderFacts,
    RoutingConfig,
    haversine_km,
)
from services.orders.domain.offer_state import ANSWERED, OPEN, OfferState
from services.orders.domain.routing import RoutingDecision, route
from services.orders.domain.rules import parse_rule_names
from services.orders.domain.status import UNASSIGNED, Fulfilment, OrderStatus
from services.orders.models import OfferRow, RoutingRow
from services.orders.repository import Loaded, offers_of
from services.stock.public import availability
from shared.db.uow import UnitOfWork
from shared.messages.stock import ReserveStock, StockLine
from shared.messages.system import HqAlertRaised
from shared.regions import region_key
from shared.settings import Settings

GEO_LIMIT = 500
STATS_WINDOW = timedelta(days=30)
RESPONSE_SAMPLE = 50  # answers per dealer behind its median response time
RESERVATION_SAFETY_NET = timedelta(hours=1)  # beyond the offer's deadline, if its timer is lost


_INSERT_DECISION = insert(RoutingRow.__table__)  # type: ignore[attr-defined]
_INSERT_OFFER = insert(OfferRow.__table__)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Routing:
    """What routing is configured with."""

    config: RoutingConfig
    grab_regions: frozenset[str]
    offer_timeout: timedelta
    max_radius_km: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Routing:
        """The routing configuration the settings describe."""
        return cls(
            config=RoutingConfig(
                rules=parse_rule_names(settings.routing_rules) or DEFAULT_RULES,
                max_attempts=settings.routing_max_attempts,
                grab_k=settings.grab_k,
                order_size_rule=settings.order_size_min_qty is not None,
                min_qty_for_dealers=settings.order_size_min_qty,
            ),
            grab_regions=frozenset(
                region_key(r) for r in settings.grab_regions.split(",") if r.strip()
            ),
            offer_timeout=timedelta(seconds=settings.offer_timeout_s),
            max_radius_km=settings.max_service_radius_km,
        )


def facts_of(loaded: Loaded, channels: dict[str, str]) -> OrderFacts:
    """The routing facts of a stored order."""
    intake, order = loaded.intake, loaded.order
    address = intake.address
    return OrderFacts(
        order_id=order.id,
        region=region_key(address.region),  # 四川, Sichuan, sichuan: one region
        city=address.city,
        lat=address.lat,
        lon=address.lon,
        fulfilment=Fulfilment(order.fulfilment),
        needs_installation=intake.needs_installation,
        lines=tuple(
            FactLine(ln.sku, ln.qty, Channel(channels.get(ln.sku, "both"))) for ln in order.lines
        ),
        amount_minor=loaded.row.amount,
    )


@dataclass
class _Gathered:
    """What routing reads for a batch of orders: their reach, and the dealers of any."""

    reaches: list[catalog.Reach]
    dealers: list[catalog.Dealer]  # every dealer any order can reach, in the catalog's order
    stock: dict[str, dict[str, int]]  # dealer -> SKU -> units available
    stats: dict[str, _Stats]


async def _gather(
    session: AsyncSession,
    now: datetime,
    redis: Redis,
    facts: Sequence[OrderFacts],
    max_radius_km: float,
) -> _Gathered:
    # One geo script call per order in one round trip, then one read of each kind for all.
    points = [(f.lat, f.lon) for f in facts]
    reaches = await catalog.reach_many(redis, points, max_radius_km, GEO_LIMIT)
    ids = {d for found in reaches for d in (*(s for s, _ in found.stores), *found.warehouses)}
    if not ids:
        return _Gathered(reaches, [], {}, {})
    dealers = await catalog.dealers(session, ids)
    skus = sorted({line.sku for f in facts for line in f.lines})
    stock = await availability(redis, [d.id for d in dealers], skus)
    stats = await _dealer_stats(session, now, [d.id for d in dealers])
    return _Gathered(reaches, dealers, stock, stats)


def _candidates(
    facts: OrderFacts, found: catalog.Reach, gathered: _Gathered, tried: Collection[str]
) -> list[Candidate]:
    near = dict(found.stores)
    mine = set(near) | set(found.warehouses)
    result = []
    for dealer in gathered.dealers:
        if dealer.id not in mine:
            continue
        record = gathered.stats.get(dealer.id, _Stats())
        result.append(
            Candidate(
                dealer_id=dealer.id,
                distance_km=near.get(dealer.id, _distance(facts, dealer)),
                service_radius_km=math.inf if dealer.warehouse else dealer.service_radius_km,
                capabilities=frozenset(dealer.capabilities),
                available=gathered.stock.get(dealer.id, {}),
                is_warehouse=dealer.warehouse,
                paused=dealer.paused,
                daily_capacity=None if dealer.warehouse else dealer.capacity,
                load_today=record.accepted_today,
                open_offers=record.open,
                exclusive_regions=frozenset(region_key(r) for r in dealer.exclusive_regions),
                acceptance_rate=record.acceptance_rate,
                median_response_s=record.median_response_s,
                recently_declined_this_order=dealer.id in tried,
            )
        )
    return result


async def candidates_for(
    session: AsyncSession,
    now: datetime,
    redis: Redis,
    facts: OrderFacts,
    tried: set[str],
    max_radius_km: float,
) -> tuple[list[Candidate], int]:
    """The stores whose service radius reaches the customer, and the warehouses, as routing
    candidates; and how many stores nearby were left out because their radius does not."""
    gathered = await _gather(session, now, redis, [facts], max_radius_km)
    found = gathered.reaches[0]
    return _candidates(facts, found, gathered, tried), found.beyond


@dataclass
class _Stats:
    accepted_today: int = 0
    open: int = 0
    answered: int = 0
    accepted: int = 0
    responses: list[float] | None = None

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.answered if self.answered else None

    @property
    def median_response_s(self) -> float | None:
        return median(self.responses) if self.responses else None


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _stats_statements() -> tuple[Any, Any]:
    """The two queries of ``_dealer_stats``, built once (``ids``, ``since``, ``day_start``)."""
    recent = (
        col(OfferRow.dealer_id).in_(bindparam("ids", expanding=True)),
        col(OfferRow.created_at) >= bindparam("since"),
    )
    state, answered_at = col(OfferRow.state), col(OfferRow.answered_at)
    counts = (
        select(  # type: ignore[call-overload]
            OfferRow.dealer_id,
            _count(state.in_(OPEN)),
            _count(state.in_(ANSWERED)),
            _count(state == OfferState.ACCEPTED),
            _count((state == OfferState.ACCEPTED) & (answered_at >= bindparam("day_start"))),
        )
        .where(*recent)
        .group_by(col(OfferRow.dealer_id))
    )
    rank = (
        func.row_number()
        .over(partition_by=col(OfferRow.dealer_id), order_by=answered_at.desc())
        .label("rank")
    )
    answers = (
        select(OfferRow.dealer_id, OfferRow.offered_at, OfferRow.answered_at, rank)
        .where(*recent, answered_at.is_not(None), col(OfferRow.offered_at).is_not(None))
        .subquery()
    )
    sample = select(answers.c.dealer_id, answers.c.offered_at, answers.c.answered_at).where(
        answers.c.rank <= RESPONSE_SAMPLE
    )
    return counts, sample


_STATS_COUNTS, _STATS_SAMPLE = _stats_statements()


async def _dealer_stats(
    session: AsyncSession, now: datetime, dealer_ids: Sequence[str]
) -> dict[str, _Stats]:
    """Each candidate's record of the last 30 days, counted in SQL.

    Counts are aggregates; the median response time is taken over each dealer's most
    recent ``RESPONSE_SAMPLE`` answers, so a dealer with years of offers costs no more to
    rank than a new one.
    """
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    params = {"ids": sorted(set(dealer_ids)), "since": now - STATS_WINDOW}
    stats: dict[str, _Stats] = {}
    connection = await session.connection()
    counted = await connection.execute(_STATS_COUNTS, params | {"day_start": day_start})
    for dealer_id, open_, answered, accepted, today in counted.all():
        stats[dealer_id] = _Stats(
            accepted_today=int(today), open=int(open_), answered=int(answered),
            accepted=int(accepted), responses=[],
        )  # fmt: skip
    sample = await connection.execute(_STATS_SAMPLE, params)
    for dealer_id, offered, answered_at_ in sample.all():
        responses = stats.setdefault(dealer_id, _Stats(responses=[])).responses
        assert responses is not None
        responses.append((answered_at_ - offered).total_seconds())
    return stats


def _distance(facts: OrderFacts, dealer: catalog.Dealer) -> float:
    return haversine_km(facts.lat, facts.lon, dealer.lat, dealer.lon)


@dataclass(frozen=True)
class RoutePlan:
    """Where an order goes next: the decision, and what it was made from."""

    decision: RoutingDecision
    distances: dict[str, float]
    beyond: int  # stores nearby whose radius does not reach the customer
    attempt: int  # 1 for an order's first round
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)  # each candidate's facts

    def record(self) -> dict[str, Any]:
        """The decision as kept and explained: with what each candidate looked like."""
        return self.decision.to_dict() | {"beyond_their_radius": self.beyond, "seen": self.seen}


async def plan_route(
    session: AsyncSession,
    now: datetime,
    redis: Redis,
    facts: OrderFacts,
    routing: Routing,
    tried: Sequence[str] = (),
) -> RoutePlan:
    """Decide where an order goes, from reads only (``session`` may be a read session).

    ``tried`` are the dealers offered the order before, one per offer made, oldest first.
    """
    return (await plan_routes(session, now, redis, [facts], routing, [tried]))[0]


async def plan_routes(
    session: AsyncSession,
    now: datetime,
    redis: Redis,
    facts: Sequence[OrderFacts],
    routing: Routing,
    tried: Sequence[Sequence[str]] | None = None,
) -> list[RoutePlan]:
    """Decide where each of several orders goes, with one read of each kind for them all.

    The orders are routed in turn, each seeing the offers the earlier ones will make
    (a dealer's open offers count them), as if each had been routed after the last.
    """
    tried = tried if tried is not None else [()] * len(facts)
    gathered = await _gather(session, now, redis, facts, routing.max_radius_km)
    plans = []
    for order, found, before in zip(facts, gathered.reaches, tried, strict=True):
        config = routing.config
        if order.region in routing.grab_regions:
            config = _with(config, grab_mode=True)
        candidates = _candidates(order, found, gathered, set(before))
        decision = route(order, candidates, config, attempts_made=len(before))
        for dealer_id in _offered(decision):
            gathered.stats.setdefault(dealer_id, _Stats(responses=[])).open += 1
        distances = {c.dealer_id: c.distance_km for c in candidates}
        seen = {c.dealer_id: _seen(c, order) for c in candidates}
        plans.append(RoutePlan(decision, distances, found.beyond, len(before) + 1, seen))
    return plans


def _seen(candidate: Candidate, order: OrderFacts) -> dict[str, Any]:
    """What routing saw of a candidate, for the console's explanation of the decision."""
    skus = sorted({line.sku for line in order.lines})
    return {
        "distance_km": round(candidate.distance_km, 2),
        "radius_km": None if math.isinf(candidate.service_radius_km)
        else candidate.service_radius_km,
        "available": {sku: candidate.available.get(sku, 0) for sku in skus},
        "load_today": candidate.load_today,
        "capacity": candidate.daily_capacity,
        "open_offers": candidate.open_offers,
    }  # fmt: skip


def _offered(decision: RoutingDecision) -> list[str]:
    """The dealers a decision makes offers to (none when the order waits for HQ)."""
    if not decision.targets or decision.exhausted:
        return []
    return list(decision.targets[:1] if decision.mode == "sequential" else decision.targets)


async def start_route(uow: UnitOfWork, loaded: Loaded, plan: RoutePlan, routing: Routing) -> None:
    """Record the decision and reserve stock at its dealers; or alert HQ if there are none."""
    await start_routes(uow, [(loaded, plan)], routing)


async def start_routes(
    uow: UnitOfWork, routes: Sequence[tuple[Loaded, RoutePlan]], routing: Routing
) -> None:
    """``start_route`` for several orders: their decisions and offers in one insert each."""
    now = uow.clock.now()
    deadline = now + routing.offer_timeout
    decisions: list[dict[str, Any]] = []
    offers: list[dict[str, Any]] = []
    for loaded, plan in routes:
        order, decision = loaded.order, plan.decision
        decisions.append(
            {"order_id": order.id, "attempt": plan.attempt, "decided_at": now,
             "decision": plan.record()}
        )  # fmt: skip
        dealer_ids = _offered(decision)
        if not dealer_ids:
            await _wait_for_hq(uow, loaded, decision)
        for dealer_id in dealer_ids:
            offer = {
                "id": _new_id("of"), "order_id": order.id, "dealer_id": dealer_id,
                "attempt": plan.attempt, "state": OfferState.RESERVING,
                "request_id": _new_id("rq"),
                "distance_km": round(plan.distances.get(dealer_id, 0.0), 2),
                "deadline": deadline, "created_at": now, "offered_at": None,
                "answered_at": None, "decline_reason": None,
            }  # fmt: skip
            offers.append(offer)
            uow.emit(
                ReserveStock(
                    request_id=offer["request_id"],
                    order_id=order.id,
                    dealer_id=dealer_id,
                    lines=[StockLine(sku=ln.sku, qty=ln.qty) for ln in order.lines],
                    # The offer's own timer releases it; this is the safety net if that is
                    # lost, generous because a round can open long after routing in a backlog.
                    expires_at=deadline + RESERVATION_SAFETY_NET,
                )
            )
    # Core inserts: new rows that nothing reads back in this transaction need no ORM object.
    connection = await uow.session.connection()
    await connection.execute(_INSERT_DECISION, decisions)
    if offers:
        await connection.execute(_INSERT_OFFER, offers)


async def dispatch(uow: UnitOfWork, redis: Redis, loaded: Loaded, routing: Routing) -> None:
    """Route an order no dealer holds and reserve stock at the dealer chosen; or alert HQ.

    Does nothing while a reservation for the order is under way, so a repeated RouteOrder
    never starts a second offer.
    """
    order = loaded.order
    if order.status not in UNASSIGNED:
        return
    offers = await offers_of(uow.session, order.id)
    if any(o.state in OPEN for o in offers):
        return
    products = await _channels(uow, [ln.sku for ln in order.lines])
    facts = facts_of(loaded, products)
    tried = [o.dealer_id for o in offers]
    plan = await plan_route(uow.session, uow.clock.now(), redis, facts, routing, tried)
    await start_route(uow, loaded, plan, routing)


async def _wait_for_hq(uow: UnitOfWork, loaded: Loaded, decision: RoutingDecision) -> None:
    order = loaded.order
    if order.status is OrderStatus.WAITING_FOR_HQ:
        return  # HQ was alerted when it started waiting
    order.wait_for_hq(uow.clock.now(), "system")
    await loaded.save(uow)
    uow.emit(
        HqAlertRaised(
            kind="no_dealer",
            text=(
                f"Order {order.id} ({loaded.row.external_id}) has no dealer that can take it "
                f"after {len(decision.chosen)} candidate(s); it waits for HQ (waiting_for_hq)."
            ),
            subject_id=order.id,
        )
    )


async def _channels(uow: UnitOfWork, skus: list[str]) -> dict[str, str]:
    return {sku: p.channel for sku, p in (await catalog.products(uow.session, skus)).items()}


def _with(config: RoutingConfig, **changes: Any) -> RoutingConfig:
    return replace(config, **changes)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"
