"""The HTTP API process: health, metrics, OpenAPI, the routes services declare, the console."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from sqlalchemy import text

from baton.console import pages as console
from bots.dealer import routes as invite_routes
from services.access import routes as access_routes
from services.access.public import Authenticator, Sessions
from services.audit import routes as audit_routes
from services.broadcasts import routes as broadcast_routes
from services.catalog import routes as catalog_routes
from services.catalog.directory import CatalogDirectory
from services.orders import routes as order_routes
from services.pricing import routes as pricing_routes
from services.settlement import routes as settlement_routes
from services.stats import routes as stats_routes
from services.stock import routes as stock_routes
from shared.http.access import Caller, auth_middleware
from shared.http.context import API, DIRECTORY, RUNTIME, Directory
from shared.http.errors import errors_middleware
from shared.http.limits import Limiter, parse_limits
from shared.http.openapi import Api, RouteTable
from shared.runtime import Runtime

ROUTES = RouteTable()


@ROUTES.route("GET", "/healthz", summary="Liveness and readiness", public=True)
async def healthz(request: web.Request) -> web.StreamResponse:
    """200 when the database and Redis answer within 2 s, else 503 naming what is down."""
    runtime = request.app[RUNTIME]
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(2), runtime.db.read() as session:
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"down: {type(exc).__name__}"
    try:
        async with asyncio.timeout(2):
            await runtime.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"down: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return web.json_response(
        {"status": "ok" if healthy else "degraded", "checks": checks},
        status=200 if healthy else 503,
    )


@ROUTES.route("GET", "/metrics", summary="Prometheus metrics", public=True)
async def metrics(request: web.Request) -> web.StreamResponse:
    """This process's metrics in Prometheus's text format."""
    body = request.app[RUNTIME].metrics.render()
    return web.Response(text=body, content_type="text/plain", charset="utf-8")


@ROUTES.route("GET", "/v1/openapi.json", summary="This API's OpenAPI document", public=True)
async def openapi(request: web.Request) -> web.StreamResponse:
    """The OpenAPI document of every route, built from their declarations."""
    return web.json_response(request.app[API].document())


# Every route table the API serves: its own, then each service's (and the invitations').
TABLES = (
    ROUTES, catalog_routes.ROUTES, stock_routes.ROUTES, order_routes.ROUTES,
    invite_routes.ROUTES, broadcast_routes.ROUTES, pricing_routes.ROUTES,
    settlement_routes.ROUTES, audit_routes.ROUTES, access_routes.ROUTES, stats_routes.ROUTES,
)  # fmt: skip


def build_api() -> Api:
    """Baton's HTTP API: every route table, and the OpenAPI document they make."""
    api = Api(title="Baton", version="1")
    for table in TABLES:
        api.include(table)
    return api


def create_app(runtime: Runtime, directory: Directory | None = None) -> web.Application:
    """The aiohttp application for ``runtime``; ``directory`` defaults to the catalog's."""
    api = build_api()
    token = runtime.settings.api_token
    if not token:
        raise ValueError("the HTTP API needs BATON_API_TOKEN (baton up generates one)")
    public = {
        path for path, ops in api.paths.items() if all("security" not in op for op in ops.values())
    }
    authenticate = Authenticator(runtime.db, runtime.clock, token)
    refused = runtime.metrics.count_refusal
    limiter = Limiter(runtime.redis, parse_limits(runtime.settings.rate_limits))

    async def limit(key_id: str, route_class: str) -> float:
        return await limiter.wait_for(key_id, route_class, runtime.clock.now().timestamp())

    sessions = Sessions(runtime.db, runtime.clock)

    async def session_of(cookie: str) -> tuple[Caller, str] | None:
        member = await sessions(cookie)
        return None if member is None else (member.caller, member.csrf)

    checks = auth_middleware(authenticate, public, refused, limit, session_of)
    app = web.Application(middlewares=[errors_middleware, checks])
    app[access_routes.AUTHENTICATOR] = authenticate
    app[RUNTIME] = runtime
    app[API] = api
    app[DIRECTORY] = directory or CatalogDirectory(runtime.db)
    order_routes.attach(app)
    api.install(app)
    console.attach(app, sessions, limit)
    return app


@asynccontextmanager
async def serve_api(runtime: Runtime) -> AsyncIterator[str]:
    """Serve the API on the configured host and port; yields its base URL."""
    runner = web.AppRunner(create_app(runtime), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, runtime.settings.http_host, runtime.settings.http_port)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://{runtime.settings.http_host}:{port}"
    finally:
        await runner.cleanup()
