"""Where dealers are: a Redis geo index that routing searches by the customer's position."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from sqlmodel import select

from services.catalog.models import Dealer
from shared.db.engine import Database

GEO_KEY = "baton:dealers:geo"


async def index_dealer(redis: Redis, dealer: Dealer) -> None:
    """Put (or move) one dealer in the index."""
    await redis.geoadd(GEO_KEY, (dealer.lon, dealer.lat, dealer.id))


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
    pipe.delete(GEO_KEY)
    for chunk in range(0, len(dealers), 1000):
        pipe.geoadd(
            GEO_KEY, [v for d in dealers[chunk : chunk + 1000] for v in (d.lon, d.lat, d.id)]
        )
    await pipe.execute()
    return len(dealers)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
