"""Routes declared once: the aiohttp route and its OpenAPI entry come from the same call.

What a route declares (its body, path parameters, the scope of API key it needs) also
decides which error answers it documents, so the document cannot forget one: 401 without
a valid key, 403 without the scope and 429 over its rate limit, 400 and 413 for a body,
404 for a path naming something, 422 always (an unknown or bad query parameter is refused
on every route); ``errors`` adds those a handler raises on its own (409, …).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from shared.http.access import SCOPES, authorize, throttle
from shared.http.params import QUERY, Param, parse_query
from shared.http.problems import ERROR_STATUSES, ErrorBody

Endpoint = Callable[[web.Request], Awaitable[web.StreamResponse]]
ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def path_params(path: str) -> list[str]:
    """The ``{name}`` parts of a route's path."""
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def error_statuses(*, body: bool, public: bool, path: bool, extra: Iterable[int] = ()) -> list[int]:
    """The error answers an operation can give, from what it declares."""
    statuses = {422, *extra}
    if not public:
        statuses |= {401, 403, 429}
    if body:
        statuses |= {400, 413}
    if path:
        statuses.add(404)
    return sorted(statuses)


@dataclass(frozen=True)
class Declared:
    """One route as a module declared it, waiting to be added to an Api."""

    method: str
    path: str
    endpoint: Endpoint
    options: dict[str, Any]


class RouteTable:
    """A module's routes: plain module-level handlers, each declared with ``route``.

    Declaring records only (no app exists at import time); ``Api.include`` adds them.
    """

    def __init__(self) -> None:
        self.declared: list[Declared] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        scope: str | None = None,
        limit: str | None = None,
        public: bool = False,
        query: Sequence[Param] = (),
        errors: Iterable[int] = (),
    ) -> Callable[[Endpoint], Endpoint]:
        """Declare ``method path``; the models, ``query`` and ``errors`` document it.

        Every route but a ``public`` one names the ``scope`` an API key needs to call it;
        ``limit`` is its class of rate limit (default: ``reads`` for GET, else ``writes``).
        """
        if public == (scope is not None) or (scope is not None and scope not in SCOPES):
            raise ValueError(f"{method} {path}: a public route or one scope of {list(SCOPES)}")
        options = {
            "summary": summary, "body": body, "response": response, "status": status,
            "public": public, "query": tuple(query), "errors": tuple(errors), "scope": scope,
            "limit": limit or ("reads" if method == "GET" else "writes"),
        }  # fmt: skip

        def record(endpoint: Endpoint) -> Endpoint:
            self.declared.append(Declared(method, path, endpoint, options))
            return endpoint

        return record


@dataclass
class Api:
    """A table of routes that also writes the OpenAPI document."""

    title: str
    version: str
    routes: list[tuple[str, str, Endpoint]] = field(default_factory=list)
    scopes: dict[tuple[str, str], str | None] = field(default_factory=dict)  # None: public
    paths: dict[str, dict[str, Any]] = field(default_factory=dict)
    schemas: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._schema(ErrorBody)  # every error answer refers to it

    def include(self, table: RouteTable) -> None:
        """Add every route ``table`` declared: to the router, and to the document."""
        for declared in table.declared:
            self._add(declared)

    def _add(self, d: Declared) -> None:
        params: tuple[Param, ...] = d.options["query"]
        endpoint = d.endpoint
        scope: str | None = d.options["scope"]
        limit: str = d.options["limit"]

        async def parsed(request: web.Request) -> web.StreamResponse:
            if scope is not None:
                authorize(request, scope)
                await throttle(request, limit)
            request[QUERY] = parse_query(request, params)
            return await endpoint(request)

        parsed.__name__ = endpoint.__name__
        parsed.__doc__ = endpoint.__doc__
        self.routes.append((d.method, d.path, parsed))
        self.scopes[(d.method, d.path)] = scope
        o = d.options
        self.paths.setdefault(d.path, {})[d.method.lower()] = self._operation(
            endpoint.__name__, d.path, o["summary"], o["body"], o["response"], o["status"],
            o["public"], params, o["errors"], scope,
        )  # fmt: skip

    def _operation(
        self,
        name: str,
        path: str,
        summary: str,
        body: type[BaseModel] | None,
        response: type[BaseModel] | None,
        status: int,
        public: bool,
        query: tuple[Param, ...],
        errors: Iterable[int],
        scope: str | None,
    ) -> dict[str, Any]:
        names = path_params(path)
        responses: dict[str, Any] = {str(status): self._response(response)}
        for code in error_statuses(
            body=body is not None, public=public, path=bool(names), extra=errors
        ):
            responses[str(code)] = {
                "description": ERROR_STATUSES[code],
                "content": {"application/json": {"schema": ERROR_REF}},
            }
        operation: dict[str, Any] = {"summary": summary, "operationId": name}
        parameters = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in names
        ] + [param.document() for param in query]
        if parameters:
            operation["parameters"] = parameters
        if body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": self._schema(body)}},
            }
        if scope is not None:
            operation["security"] = [{"bearer": []}]
            operation["description"] = f"Needs an API key with the scope `{scope}`."
            operation["x-scope"] = scope
        operation["responses"] = responses
        return operation

    def _schema(self, model: type[BaseModel]) -> dict[str, str]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            self.schemas[name] = sub
        self.schemas[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def _response(self, model: type[BaseModel] | None) -> dict[str, Any]:
        if model is None:
            return {"description": "OK"}
        return {
            "description": "OK",
            "content": {"application/json": {"schema": self._schema(model)}},
        }

    def install(self, app: web.Application) -> None:
        """Add every declared route to ``app``."""
        for method, path, endpoint in self.routes:
            app.router.add_route(method, path, endpoint)

    def document(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document."""
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version},
            "paths": self.paths,
            "components": {
                "schemas": self.schemas,
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            },
        }
