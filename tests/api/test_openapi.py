"""The OpenAPI document is the app's router: every route, parameter and error answer, in the
README too; a method a path does not take is a 405 naming the ones it does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from baton.api import create_app
from shared.http.context import API
from shared.http.openapi import path_params
from shared.runtime import Runtime
from tests.api.test_errors import CASES, answer, seed
from tests.conftest import ApiClient

README = Path(__file__).resolve().parents[2] / "README.md"
METHODS = {"get", "put", "post", "patch", "delete"}


async def document(api: ApiClient) -> dict[str, Any]:
    status, doc = await api.call("GET", "/v1/openapi.json")
    assert status == 200
    return dict(doc)


def operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(METHOD, path) → operation."""
    return {
        (method.upper(), path): op
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if method in METHODS
    }


def query_names(op: dict[str, Any]) -> set[str]:
    return {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}


def template_of(doc: dict[str, Any], path: str) -> str | None:
    """The documented path template a concrete path matches."""
    path = path.split("?", 1)[0]
    for template in doc["paths"]:
        pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return template
    return None


async def test_the_document_lists_exactly_the_routes_of_the_router(runtime: Runtime) -> None:
    app = create_app(runtime)
    routed = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.method != "HEAD"
        # HQ's console is web pages for people, not API: it calls the documented routes.
        and not route.resource.canonical.startswith("/console")
    }
    assert routed == set(operations(app[API].document()))


async def test_every_operation_documents_its_parameters_and_error_answers(
    api: ApiClient,
) -> None:
    doc = await document(api)
    assert "ErrorBody" in doc["components"]["schemas"]
    for (method, path), op in operations(doc).items():
        responses = op["responses"]
        expected = {"422"}
        if "security" in op:
            expected.add("401")
        if "requestBody" in op:
            expected |= {"400", "413"}
        if path_params(path):
            expected.add("404")
            names = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert names == set(path_params(path)), (method, path)
        assert expected <= set(responses), (method, path, sorted(responses))
        for status, response in responses.items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)
    ops = operations(doc)
    assert query_names(ops[("GET", "/v1/audit")]) == {"action", "limit", "cursor", "format"}
    assert query_names(ops[("GET", "/v1/promotions")]) == {
        "state", "region", "limit", "cursor", "format"
    }  # fmt: skip
    assert query_names(ops[("GET", "/v1/dealers/{dealer_id}/earnings")]) == {"from", "to"}
    assert ("POST", "/v1/invites") in ops


async def test_every_error_answer_given_is_documented_for_its_operation(api: ApiClient) -> None:
    doc = await document(api)
    await seed(api)
    for method, path, body, expected in CASES:
        template = template_of(doc, path)
        op = doc["paths"].get(template or "", {}).get(method.lower())
        if op is None:  # no such route or method: 404 / 405, not an operation's answer
            continue
        status, _, _ = await answer(api, method, path, body)
        assert status == expected
        assert str(status) in op["responses"], (method, template, status)


async def test_a_method_not_allowed_is_a_405_with_allow(api: ApiClient) -> None:
    status, body, allow = await answer(api, "DELETE", "/v1/orders", None)
    assert (status, body["error"]["code"]) == (405, "method_not_allowed")
    assert set(allow.split(",")) == {"GET", "POST"}
    status, _, allow = await answer(api, "PATCH", "/v1/products/PX-1", {})
    assert status == 405 and set(allow.split(",")) == {"GET", "PUT"}


async def test_an_unknown_query_parameter_is_refused_by_name(api: ApiClient) -> None:
    status, body, _ = await answer(api, "GET", "/v1/audit?limt=5", None)
    assert status == 422
    assert body["error"]["fields"][0]["field"] == "limt"
    status, body, _ = await answer(api, "GET", "/v1/audit?limit=5&limit=6", None)
    assert status == 422 and body["error"]["fields"][0]["field"] == "limit"


def readme_routes() -> dict[tuple[str, str], set[str]]:
    """(METHOD, path) → query parameter names, as the README's HTTP API section writes them."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## HTTP API", 1)[1].split("\n## ", 1)[0]
    found: dict[tuple[str, str], set[str]] = {}
    for method, path, params in re.findall(
        r"`(GET|PUT|POST|PATCH|DELETE) (/[^`?\s]*)(\?[^`]*)?`", section
    ):
        names = set(re.findall(r"[?&]([a-z_]+)=", params))
        found.setdefault((method, path), set()).update(names)
    return found


async def test_the_readme_lists_every_route_and_query_parameter(api: ApiClient) -> None:
    doc = await document(api)
    documented = {key: query_names(op) for key, op in operations(doc).items()}
    assert readme_routes() == documented
