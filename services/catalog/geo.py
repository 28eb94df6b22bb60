"""Where dealers are: a Redis geo index that routing searches by the customer's position.

Beside the positions the index keeps the largest service radius of any store (routing
need search no further) and the set of HQ's warehouses (which serve everywhere), so
routing reads no dealer table to find its candidates.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from sqlmodel import select

from services.catalog.models import Dealer
from shared.db.engine import Database

GEO_KEY = "baton:dealers:geo"
MAX_RADIUS_KEY = "baton:dealers:max_radius_km"
WAREHOUSES_KEY = "baton:dealers:warehouses"
RADIUS_KEY = "baton:dealers:radius_km"  # store id → its service radius

# Raise the stored maximum, never lower it (a lowered radius is picked up by a rebuild).
_RAISE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
"""


async def index_dealer(redis: Redis, dealer: Dealer) -> None:
    """Put (or move) one dealer in the index."""
    pipe = redis.pipeline(transaction=False)
    pipe.geoadd(GEO_KEY, (dealer.lon, dealer.lat, dealer.id))
    if dealer.warehouse:
        pipe.sadd(WAREHOUSES_KEY, dealer.id)
    else:
        pipe.srem(WAREHOUSES_KEY, dealer.id)
        pipe.hset(RADIUS_KEY, dealer.id, dealer.service_radius_km)
        pipe.eval(_RAISE, 1, MAX_RADIUS_KEY, dealer.service_radius_km)
    await pipe.execute()


async def reach(redis: Redis, limit_km: float) -> tuple[float, list[str]]:
    """How far routing must search (at most ``limit_km``), and the warehouse ids."""
    pipe = redis.pipeline(transaction=False)
    pipe.get(MAX_RADIUS_KEY)
    pipe.smembers(WAREHOUSES_KEY)
    radius, warehouses = await pipe.execute()
    furthest = float(radius) if radius is not None else limit_km
    return min(furthest, limit_km), sorted(_text(w) for w in warehouses)


async def within_reach(
    redis: Redis, lat: float, lon: float, radius_km: float, limit: int | None = None
) -> tuple[list[tuple[str, float]], int]:
    """Stores whose own service radius covers the point (nearest first), and how many were
    near but out of their radius; two round trips, no database."""
    near = await nearby(redis, lat, lon, radius_km, limit)
    if not near:
        return [], 0
    radii: list[Any] = await redis.hmget(RADIUS_KEY, [dealer for dealer, _ in near])
    reached = [
        (dealer, distance)
        for (dealer, distance), radius in zip(near, radii, strict=True)
        if radius is None or distance <= float(radius)  # unknown radius: let routing judge
    ]
    return reached, len(near) - len(reached)


async def nearby(
    redis: Redis, lat: float, lon: float, radius_km: float, limit: int | None = None
) -> list[tuple[str, float]]:
    """Dealer ids within ``radius_km`` of a point, nearest first, with their distance in km."""
    reply: Any = await redis.geosearch(
        GEO_KEY,
        longitude=lon,
        latitude=lat,
        radius=radius_km,
        unit="km",
        sort="ASC",
        count=limit,
        withdist=True,
    )
    return [(_text(member), float(distance)) for member, distance in reply]


async def rebuild(db: Database, redis: Redis) -> int:
    """Rebuild the index from the dealers table (it is a cache); returns how many."""
    async with db.read() as session:
        dealers = (await session.exec(select(Dealer))).all()
    pipe = redis.pipeline(transaction=True)
    pipe.delete(GEO_KEY, MAX_RADIUS_KEY, WAREHOUSES_KEY, RADIUS_KEY)
    for chunk in range(0, len(dealers), 1000):
        part = dealers[chunk : chunk + 1000]
        pipe.geoadd(GEO_KEY, [v for d in part for v in (d.lon, d.lat, d.id)])
    stores: dict[Any, Any] = {d.id: d.service_radius_km for d in dealers if not d.warehouse}
    if stores:
        pipe.set(MAX_RADIUS_KEY, max(stores.values()))
        pipe.hset(RADIUS_KEY, mapping=stores)
    warehouses = [d.id for d in dealers if d.warehouse]
    if warehouses:
        pipe.sadd(WAREHOUSES_KEY, *warehouses)
    await pipe.execute()
    return len(dealers)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
