"""Routes declared once: the aiohttp route and its OpenAPI entry come from the same call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel

Endpoint = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Api:
    """A table of routes that also writes the OpenAPI document."""

    title: str
    version: str
    routes: list[tuple[str, str, Endpoint]] = field(default_factory=list)
    paths: dict[str, dict[str, Any]] = field(default_factory=dict)
    schemas: dict[str, Any] = field(default_factory=dict)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        public: bool = False,
    ) -> Callable[[Endpoint], Endpoint]:
        """Declare ``method path``; ``body`` and ``response`` models document it."""

        def register(endpoint: Endpoint) -> Endpoint:
            self.routes.append((method, path, endpoint))
            operation: dict[str, Any] = {
                "summary": summary,
                "operationId": endpoint.__name__,
                "responses": {str(status): self._response(response)},
            }
            if body is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": self._schema(body)}},
                }
            if not public:
                operation["security"] = [{"bearer": []}]
            params = [p[1:-1] for p in path.split("/") if p.startswith("{")]
            if params:
                operation["parameters"] = [
                    {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                    for p in params
                ]
            self.paths.setdefault(path, {})[method.lower()] = operation
            return endpoint

        return register

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
