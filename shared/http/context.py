"""Keys under which the HTTP application keeps what its routes need."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from shared.http.openapi import Api
from shared.runtime import Runtime


class Directory(Protocol):
    """What any service's routes may ask of the catalog, without reading its tables."""

    async def has_dealer(self, dealer_id: str) -> bool:
        """True if HQ has registered this dealer (or warehouse)."""
        ...

    async def has_product(self, sku: str) -> bool:
        """True if this SKU is in the catalog."""
        ...


RUNTIME = web.AppKey("runtime", Runtime)
API = web.AppKey("api", Api)
DIRECTORY = web.AppKey("directory", Directory)
