"""`baton import products|dealers FILE`: the catalog from CSV, validated line by line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.catalog.schemas import DealerBody, ProductBody, valid_id
from services.catalog.store import put_dealer, put_product
from shared.db.uow import unit_of_work
from shared.imports import LineError, Parsed, parse_models
from shared.runtime import Runtime

CHUNK = 500
PRODUCT_COLUMNS = {"name", "category", "currency", "list_price", "wholesale_price", "floor_price"}
DEALER_COLUMNS = {"name", "region", "city", "lat", "lon", "service_radius_km"}
LISTS = ("capabilities", "exclusive_regions")


def parse_products(text: str) -> Parsed[tuple[str, ProductBody]]:
    """Products from CSV with a `sku` column and the fields of `PUT /v1/products/{sku}`."""
    return _checked_ids(parse_models(text, ProductBody, "sku", PRODUCT_COLUMNS, dict))


def parse_dealers(text: str) -> Parsed[tuple[str, DealerBody]]:
    """Dealers from CSV with an `id` column; list fields are separated by `;`."""
    return _checked_ids(parse_models(text, DealerBody, "id", DEALER_COLUMNS, _dealer_fields))


def _dealer_fields(record: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = dict(record)
    for name in LISTS:
        if name in fields:
            fields[name] = [part.strip() for part in fields[name].split(";") if part.strip()]
    return fields


def _checked_ids(parsed: Parsed[tuple[str, Any]]) -> Parsed[tuple[str, Any]]:
    good, errors = [], list(parsed.errors)
    for line, (ident, body) in parsed.rows:
        if valid_id(ident):
            good.append((line, (ident, body)))
        else:
            errors.append(
                LineError(line, f"{ident!r} is not an id: use 1 to 64 letters, digits, or _ . : -")
            )
    return Parsed(good, sorted(errors, key=lambda e: e.line))


async def apply_products(
    runtime: Runtime, rows: list[tuple[str, ProductBody]], progress: Callable[[int], None]
) -> tuple[int, int]:
    """Write products in chunks; returns (created, replaced)."""
    created = 0
    for start in range(0, len(rows), CHUNK):
        async with unit_of_work(runtime.db, runtime.clock) as uow:
            for sku, body in rows[start : start + CHUNK]:
                created += (await put_product(uow, sku, body))[1]
        progress(min(start + CHUNK, len(rows)))
    return created, len(rows) - created


async def apply_dealers(
    runtime: Runtime, rows: list[tuple[str, DealerBody]], progress: Callable[[int], None]
) -> tuple[int, int]:
    """Write dealers in chunks and index where they are; returns (created, replaced)."""
    created = 0
    for start in range(0, len(rows), CHUNK):
        async with unit_of_work(runtime.db, runtime.clock) as uow:
            for dealer_id, body in rows[start : start + CHUNK]:
                created += (await put_dealer(uow, runtime.redis, dealer_id, body))[1]
        progress(min(start + CHUNK, len(rows)))
    return created, len(rows) - created
