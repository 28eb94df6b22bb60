"""Order intake: the body's fields, the catalog checks, the fingerprint, routing facts."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.orders.domain.facts import Channel, FactLine
from services.orders.domain.intake import (
    FieldError,
    IntakeError,
    ProductFacts,
    body_fingerprint,
    check_against_catalog,
    facts_from_body,
    json_path,
    order_lines,
    parse_order,
)
from services.orders.domain.order import OrderLine
from services.orders.domain.status import Fulfilment

BODY: dict[str, Any] = {
    "external_id": "T-1001",
    "channel": "tmall",
    "customer": {
        "id": "c1",
        "name": "王小明",
        "phone": "+86 138 0000 0000",
        "referral_code": "BJ1",
    },
    "fulfilment": "pickup",
    "address": {
        "region": "sichuan",
        "city": "chengdu",
        "line": "1 Tianfu Ave",
        "lat": 30.66,
        "lon": 104,
    },
    "lines": [
        {"sku": "SKU1", "qty": 2, "unit_price": "199.00"},
        {"sku": "SKU2", "qty": 1, "unit_price": "50"},
    ],
    "currency": "CNY",
    "payment": "prepaid",
}
PRODUCTS = {
    "SKU1": ProductFacts("SKU1", "CNY", 19900),
    "SKU2": ProductFacts("SKU2", "CNY", 4000, Channel.ONLINE_ONLY, needs_installation=True),
    "OFF": ProductFacts("OFF", "CNY", 100, Channel.OFFLINE_ONLY),
    "USD1": ProductFacts("USD1", "USD", 100),
    "MAX2": ProductFacts("MAX2", "CNY", 100, max_qty=2),
}


def body_with(path: str, value: Any) -> dict[str, Any]:
    """BODY with the value at a dotted path (``lines.0.qty``) replaced; ``...`` deletes it."""
    return body_with_in(BODY, path, value)


def body_with_in(data: Any, path: str, value: Any) -> Any:
    """Like ``body_with`` on any body."""
    body = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = body
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    slot = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[slot]
    else:
        node[slot] = value
    return body


def errors_of(data: object) -> list[FieldError]:
    with pytest.raises(IntakeError) as refused:
        parse_order(data)
    return refused.value.errors


def test_a_good_body_parses_with_amounts_in_minor_units() -> None:
    body = parse_order(BODY)
    assert body.amount_minor() == 2 * 19900 + 5000
    assert body.customer.referral_code == "BJ1" and body.needs_installation is False
    assert order_lines(body) == (OrderLine("SKU1", 2, 19900), OrderLine("SKU2", 1, 5000))


@pytest.mark.parametrize(
    ("path", "value", "field", "says"),
    [
        ("lines.0.unit_price", 199.0, "lines[0].unit_price", "valid string"),
        ("lines.0.unit_price", 199, "lines[0].unit_price", "valid string"),
        ("lines.0.unit_price", "1.999", "lines[0].unit_price", "more than 2 decimals for CNY"),
        ("lines.1.unit_price", "-1.00", "lines[1].unit_price", "not an amount"),
        ("lines.1.unit_price", "1e3", "lines[1].unit_price", "not an amount"),
        ("lines.0.qty", 0, "lines[0].qty", "greater than 0"),
        ("lines.0.qty", "2", "lines[0].qty", "valid integer"),
        ("lines.0.qty", 2.0, "lines[0].qty", "valid integer"),
        ("lines.0.qty", True, "lines[0].qty", "valid integer"),
        ("lines.0.sku", "SKU 1", "lines[0].sku", "match pattern"),
        ("lines", [], "lines", "at least 1 item"),
        ("address.lat", 90.5, "address.lat", "less than or equal to 90"),
        ("address.lon", -181, "address.lon", "greater than or equal to -180"),
        ("address.lat", "30.6", "address.lat", "valid number"),
        ("fulfilment", "teleport", "fulfilment", "'pickup' or 'delivery'"),
        ("payment", "card", "payment", "'prepaid' or 'cod'"),
        ("currency", "XXX", "currency", "unknown currency"),
        ("customer.phone", ..., "customer.phone", "Field required"),
        ("customer.phone", "call me", "customer.phone", "match pattern"),
        ("customer.referal_code", "BJ1", "customer.referal_code", "Extra inputs"),
        ("external_id", "", "external_id", "at least 1 character"),
        ("needs_installation", "yes", "needs_installation", "valid boolean"),
    ],
)
def test_each_bad_field_is_named_with_its_path(
    path: str, value: Any, field: str, says: str
) -> None:
    errors = errors_of(body_with(path, value))
    assert [e.path for e in errors] == [field]
    assert says in errors[0].message and str(errors[0]).startswith(f"{field}: ")


def test_decimals_follow_the_currency() -> None:
    yen = body_with("currency", "JPY")
    assert [str(e) for e in errors_of(yen)] == [
        "lines[0].unit_price: '199.00' has more than 0 decimals for JPY"
    ]
    yen["lines"] = [{"sku": "SKU1", "qty": 1, "unit_price": "1990"}]
    assert parse_order(yen).amount_minor() == 1990


def test_every_bad_field_is_named_at_once() -> None:
    body = body_with("lines.1.unit_price", "1.001")
    body["lines"][0]["qty"] = -1
    body["address"]["lat"] = 100
    del body["payment"]
    paths = sorted(e.path for e in errors_of(body))
    assert paths == ["address.lat", "lines[0].qty", "lines[1].unit_price", "payment"]


@pytest.mark.parametrize("data", [None, [], "order", 3, {}])
def test_a_body_that_is_no_object_is_refused_too(data: object) -> None:
    assert errors_of(data)


def test_json_paths() -> None:
    assert json_path(("lines", 2, "sku")) == "lines[2].sku"
    assert json_path(("customer", "phone")) == "customer.phone"
    assert json_path(()) == ""
    assert str(FieldError("", "body must be an object")) == "body must be an object"
    assert FieldError("lines[0].qty", "x").to_dict() == {"field": "lines[0].qty", "message": "x"}


# -- the catalog --------------------------------------------------------------------------


def catalog_errors(lines: list[dict[str, Any]], currency: str = "CNY") -> list[str]:
    body = parse_order(body_with("lines", lines) | {"currency": currency})
    return [str(e) for e in check_against_catalog(body, PRODUCTS)]


def test_a_body_that_fits_the_catalog_has_no_errors() -> None:
    assert check_against_catalog(parse_order(BODY), PRODUCTS) == []


def test_every_catalog_problem_is_named() -> None:
    lines = [
        {"sku": "SKU1", "qty": 1, "unit_price": "198.99"},
        {"sku": "OFF", "qty": 1, "unit_price": "5.00"},
        {"sku": "NOPE", "qty": 1, "unit_price": "5.00"},
        {"sku": "MAX2", "qty": 3, "unit_price": "5.00"},
        {"sku": "SKU1", "qty": 1, "unit_price": "199.00"},
        {"sku": "USD1", "qty": 1, "unit_price": "5.00"},
    ]
    assert catalog_errors(lines) == [
        "lines[0].unit_price: below the floor price 199.00",
        "lines[1].sku: offline_only product cannot be ordered online",
        "lines[2].sku: unknown SKU NOPE",
        "lines[3].qty: at most 2 per order",
        "lines[4].sku: SKU1 is already in lines[0]; send one line per SKU",
        "currency: the order is in CNY but the catalog prices USD1 (USD)",
    ]


def test_the_floor_price_itself_is_allowed_and_other_currencies_are_not() -> None:
    assert catalog_errors([{"sku": "SKU1", "qty": 1, "unit_price": "199"}]) == []
    assert catalog_errors([{"sku": "SKU1", "qty": 1, "unit_price": "500.00"}], "USD") == [
        "currency: the order is in USD but the catalog prices SKU1 (CNY)"
    ]


# -- fingerprints and routing facts --------------------------------------------------------


def test_the_fingerprint_ignores_form_and_sees_content() -> None:
    base = body_fingerprint(parse_order(BODY))
    assert base.startswith("v1:") and len(base) == 3 + 64
    reordered = json.loads(json.dumps(BODY, sort_keys=True))
    assert body_fingerprint(parse_order(reordered)) == base
    assert body_fingerprint(parse_order(body_with("lines.1.unit_price", "50.00"))) == base
    assert body_fingerprint(parse_order(body_with("address.lon", 104.0))) == base
    assert body_fingerprint(parse_order(body_with("customer.referral_code", ...))) != base
    assert body_fingerprint(parse_order(body_with("lines.0.qty", 3))) != base
    assert body_fingerprint(parse_order(body_with("lines.1.unit_price", "5.00"))) != base
    assert body_fingerprint(parse_order(body_with("lines.1.unit_price", "500"))) != base


def test_routing_facts_take_channel_and_installation_from_the_catalog() -> None:
    facts = facts_from_body("o-1", parse_order(BODY), PRODUCTS)
    assert facts.lines == (FactLine("SKU1", 2), FactLine("SKU2", 1, Channel.ONLINE_ONLY))
    assert facts.needs_installation and facts.fulfilment is Fulfilment.PICKUP
    assert (facts.order_id, facts.region, facts.amount_minor) == ("o-1", "sichuan", 44800)
    plain = facts_from_body("o-2", parse_order(BODY), {"SKU1": PRODUCTS["SKU1"]})
    assert not plain.needs_installation and plain.lines[1].channel is Channel.BOTH
    chinese = facts_from_body("o-3", parse_order(body_with("address.region", "四川")), PRODUCTS)
    assert chinese.region == facts.region  # routing sees one key whatever the spelling


# -- properties -------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
PATHS = [
    "external_id",
    "channel",
    "customer",
    "customer.id",
    "customer.phone",
    "fulfilment",
    "address",
    "address.lat",
    "lines",
    "lines.0",
    "lines.0.qty",
    "lines.1.unit_price",
    "lines.1.sku",
    "currency",
    "payment",
    "needs_installation",
]


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(PATHS), json_values | st.just(...)), max_size=3))
def test_any_damage_to_a_body_is_a_clear_intake_error(damage: list[tuple[str, Any]]) -> None:
    data: Any = BODY
    for path, value in damage:
        try:
            data = body_with_in(data, path, value)
        except (KeyError, IndexError, TypeError, ValueError):
            continue  # the path no longer exists in the damaged body
    try:
        body = parse_order(data)
    except IntakeError as exc:
        assert exc.errors and all(isinstance(e, FieldError) for e in exc.errors)
    else:
        check_against_catalog(body, PRODUCTS)
        assert body_fingerprint(body) == body_fingerprint(parse_order(body.model_dump()))


@given(json_values)
def test_any_json_value_is_refused_cleanly(data: object) -> None:
    with pytest.raises(IntakeError):
        parse_order(data)
