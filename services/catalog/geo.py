"""Where dealers are: a Redis geo index that routing searches by the customer's position.

Beside the positions the index keeps the largest service radius of any store (routing
need search no further) and the set of HQ's warehouses (which serve everywhere), so
routing reads no dealer table to find its candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


# Routing's one read of the index: how far to search, the warehouses, the stores near the
# point (nearest first, at most ARGV[4]) and each one's own radius, in one round trip.
_REACH = """
local furthest = tonumber(redis.call('GET', KEYS[2]) or ARGV[3])
local radius = math.min(furthest, tonumber(ARGV[3]))
local warehouses = redis.call('SMEMBERS', KEYS[3])
local near = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1], ARGV[2],
    'BYRADIUS', radius, 'km', 'ASC', 'COUNT', ARGV[4], 'WITHDIST')
local radii = {}
if #near > 0 then
    local ids = {}
    for i, entry in ipairs(near) do ids[i] = entry[1] end
    radii = redis.call('HMGET', KEYS[4], unpack(ids))
end
return {warehouses, near, radii}
"""


@dataclass(frozen=True)
class Reach:
    """What routing reads of the index for one customer."""

    stores: list[tuple[str, float]]  # whose own radius covers the point, nearest first, in km
    beyond: int  # stores near enough to search, but whose radius does not reach the point
    warehouses: list[str]  # HQ's warehouses, which serve everywhere


async def reach(redis: Redis, lat: float, lon: float, limit_km: float, count: int) -> Reach:
    """The stores that can serve the point (searched no further than ``limit_km`` nor the
    largest radius of any store, at most ``count``), and the warehouses: one round trip."""
    return (await reach_many(redis, [(lat, lon)], limit_km, count))[0]


async def reach_many(
    redis: Redis, points: Sequence[tuple[float, float]], limit_km: float, count: int
) -> list[Reach]:
    """``reach`` of each (lat, lon) point, all in one round trip."""
    script = redis.register_script(_REACH)
    keys = [GEO_KEY, MAX_RADIUS_KEY, WAREHOUSES_KEY, RADIUS_KEY]
    pipe = redis.pipeline(transaction=False)
    for lat, lon in points:
        await script(keys=keys, args=[lon, lat, limit_km, count], client=pipe)
    return [_reach_of(*reply) for reply in await pipe.execute()]


def _reach_of(warehouses: list[Any], near: list[Any], radii: list[Any]) -> Reach:
    stores = []
    for (member, distance), radius in zip(near, radii, strict=True):
        km = float(distance)
        if radius is None or km <= float(radius):  # unknown radius: let routing judge
            stores.append((_text(member), km))
    return Reach(stores, len(near) - len(stores), sorted(_text(w) for w in warehouses))


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
