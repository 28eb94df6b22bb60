"""The order's intake document: written as intake always wrote it, read in every stored shape."""

from __future__ import annotations

import copy
import json
from typing import Any

from services.orders.domain.intake import parse_order
from services.orders.domain.intake_record import IntakeRecord
from shared.messages.orders import SaleLine
from tests.orders.domain.test_intake import BODY

SOLD = [
    SaleLine(sku="SKU1", category="phones", qty=2, unit_price=19900, list_price=19900,
             wholesale_price=15000),
    SaleLine(sku="SKU2", category="cases", qty=1, unit_price=5000, list_price=5500,
             wholesale_price=3000, promotion_id="p1", funded_by="hq"),
]  # fmt: skip
PRICING: list[dict[str, Any]] = [
    {"sku": "SKU1", "qty": 2, "unit_price": 19900, "list_price": 19900, "floor": 18000,
     "floor_source": "catalog", "floor_rule_id": None, "effective_price": 19900,
     "best_promotion_ids": [], "promotion_id": None, "funded_by": None, "promotions": []},
    {"sku": "SKU2", "qty": 1, "unit_price": 5000, "list_price": 5500, "floor": 5200,
     "floor_source": "rule", "floor_rule_id": "r1", "effective_price": 5000,
     "best_promotion_ids": ["p1"], "promotion_id": "p1", "funded_by": "hq",
     "promotions": [{"id": "p1", "discount": 500, "funded_by": "hq"}]},
]  # fmt: skip


NAMES = {"SKU1": "Phone X", "SKU2": "手机壳"}


def stored(document: dict[str, Any]) -> dict[str, Any]:
    """The document as the JSON column gives it back."""
    loaded: dict[str, Any] = json.loads(json.dumps(document))
    return loaded


def written_before(body: dict[str, Any]) -> dict[str, Any]:
    """The intake document as intake writes it: the body, then the keys it worked out."""
    document = parse_order(body).model_dump(mode="json")
    document["needs_installation"] = True
    document["sale_lines"] = [line.model_dump(mode="json") for line in SOLD]
    document["pricing"] = copy.deepcopy(PRICING)
    document["product_names"] = dict(NAMES)
    return document


def test_taken_writes_the_document_intake_always_wrote() -> None:
    for body in (BODY, {**BODY, "customer": {**BODY["customer"], "referral_code": None}}):
        record = IntakeRecord.taken(
            parse_order(body), needs_installation=True, sale_lines=SOLD, pricing=PRICING,
            product_names=NAMES,
        )  # fmt: skip
        assert stored(record.to_json()) == stored(written_before(body))
        assert list(record.to_json()) == list(written_before(body))  # the keys in one order


def test_todays_documents_read_and_write_back_unchanged() -> None:
    document = stored(written_before(BODY))
    record = IntakeRecord.read(document)
    assert stored(record.to_json()) == document
    assert (record.customer.name, record.customer.phone) == ("王小明", "+86 138 0000 0000")
    assert (record.address.city, record.address.region) == ("chengdu", "sichuan")
    assert (record.address.lat, record.address.lon) == (30.66, 104.0)
    assert record.district == "chengdu, sichuan"
    assert record.street_address == "1 Tianfu Ave, chengdu"
    assert (record.payment, record.needs_installation) == ("prepaid", True)
    assert record.sale_lines == SOLD
    assert record.pricing == PRICING
    assert record.product_names == NAMES


def test_documents_stored_before_the_product_names_still_read() -> None:
    document = stored(written_before(BODY))
    del document["product_names"]
    record = IntakeRecord.read(document)
    assert record.product_names == {}  # the offer's lines then take the names from the catalog
    assert record.sale_lines == SOLD


def test_documents_stored_before_the_lines_as_sold_and_their_pricing_still_read() -> None:
    body = parse_order(BODY).model_dump(mode="json")
    first = stored(body | {"needs_installation": False})  # the first orders: the body alone
    with_lines = stored(first | {"sale_lines": [line.model_dump(mode="json") for line in SOLD]})
    for document in (first, with_lines):
        record = IntakeRecord.read(document)
        assert (record.external_id, record.channel, record.fulfilment) == (
            "T-1001",
            "tmall",
            "pickup",
        )
        assert record.pricing == []
        assert record.needs_installation is False
    assert IntakeRecord.read(first).sale_lines == []
    assert IntakeRecord.read(with_lines).sale_lines == SOLD


def test_reading_checks_no_intake_limit_again() -> None:
    # What intake accepted once stays readable if a limit is tightened later.
    document = stored(written_before(BODY))
    document["customer"]["phone"] = "call the store"
    document["address"]["line"] = "x" * 2_000
    document["lines"][0]["qty"] = 10_000_000
    record = IntakeRecord.read(document)
    assert record.customer.phone == "call the store"
    assert record.lines[0].qty == 10_000_000
