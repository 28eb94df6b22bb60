"""Order intake: parse the body, check it against the catalog, fingerprint it.

Every check names each bad field with a JSON path (``lines[2].sku``), so the HTTP answer
can list them all at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from services.orders.domain.body import OrderBody
from services.orders.domain.facts import Channel, FactLine, OrderFacts
from services.orders.domain.status import Fulfilment
from services.orders.domain.values import OrderLine
from shared.messages.orders import SaleLine
from shared.money import EXPONENTS, format_amount
from shared.regions import region_key

__all__ = [
    "FieldError",
    "IntakeError",
    "OrderBody",
    "ProductFacts",
    "body_fingerprint",
    "check_against_catalog",
    "facts_from_body",
    "order_lines",
    "parse_order",
    "sale_lines",
]


@dataclass(frozen=True)
class FieldError:
    """A bad field: its JSON path and what is wrong with it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def to_dict(self) -> dict[str, str]:
        """The error as JSON-able data."""
        return {"field": self.path, "message": self.message}


class IntakeError(ValueError):
    """An order body that cannot be taken; ``errors`` names every bad field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class ProductFacts:
    """What intake and routing need of a catalog product, priced for this order's line.

    ``floor_price_minor`` is the floor in force at the order's time; a line below it is
    still taken at or above ``promotion_price_minor``, the best live promotion's price for
    the line (``services.pricing.rules``). ``promotion_id`` and ``funded_by`` are set when
    the line's price used that promotion, and go on the sale line.
    """

    sku: str
    currency: str
    floor_price_minor: int
    channel: Channel = Channel.BOTH
    needs_installation: bool = False
    max_qty: int | None = None  # per order
    category: str = ""
    list_price_minor: int = 0
    wholesale_price_minor: int = 0
    promotion_price_minor: int | None = None
    promotion_id: str | None = None
    funded_by: Literal["hq", "dealer", "shared"] | None = None
    name: str = ""


def json_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a JSON path: ``("lines", 2, "sku")`` → ``lines[2].sku``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def parse_order(data: object) -> OrderBody:
    """Validate a decoded JSON order body; ``IntakeError`` names every bad field."""
    currency = data.get("currency") if isinstance(data, dict) else None
    known = currency if isinstance(currency, str) and currency in EXPONENTS else None
    try:
        return OrderBody.model_validate(data, context={"currency": known})
    except ValidationError as exc:
        errors = [
            FieldError(json_path(e["loc"]), e["msg"].removeprefix("Value error, "))
            for e in exc.errors(include_url=False)
        ]
        raise IntakeError(errors) from None


def check_against_catalog(
    body: OrderBody, products: Mapping[str, ProductFacts]
) -> list[FieldError]:
    """Every line against the catalog: known, sold online, within limits, not below floor."""
    errors: list[FieldError] = []
    first: dict[str, int] = {}
    foreign: list[str] = []
    for i, line in enumerate(body.lines):
        at, product = f"lines[{i}]", products.get(line.sku)
        if line.sku in first:
            errors.append(
                FieldError(
                    f"{at}.sku",
                    f"{line.sku} is already in lines[{first[line.sku]}]; send one line per SKU",
                )
            )
            continue
        first[line.sku] = i
        if product is None:
            errors.append(FieldError(f"{at}.sku", f"unknown SKU {line.sku}"))
            continue
        if product.channel == Channel.OFFLINE_ONLY:
            errors.append(FieldError(f"{at}.sku", "offline_only product cannot be ordered online"))
        if product.max_qty is not None and line.qty > product.max_qty:
            errors.append(FieldError(f"{at}.qty", f"at most {product.max_qty} per order"))
        if product.currency != body.currency:
            foreign.append(f"{line.sku} ({product.currency})")
        elif _below_floor(body.unit_price_minor(i), product):
            floor = format_amount(product.floor_price_minor, product.currency)
            message = f"below the floor price {floor}"
            if product.promotion_price_minor is not None:
                promo = format_amount(product.promotion_price_minor, product.currency)
                message += f" and the promotion price {promo}"
            errors.append(FieldError(f"{at}.unit_price", message))
    if foreign:
        message = f"the order is in {body.currency} but the catalog prices {', '.join(foreign)}"
        errors.append(FieldError("currency", message))
    return errors


def _below_floor(paid: int, product: ProductFacts) -> bool:
    """Below the floor in force, and not covered by a live promotion's price."""
    covered = product.promotion_price_minor is not None and paid >= product.promotion_price_minor
    return paid < product.floor_price_minor and not covered


def _canonical_amount(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def body_fingerprint(body: OrderBody) -> str:
    """A stable hash of the body's canonical JSON: same order, same fingerprint."""
    data: dict[str, Any] = body.model_dump(mode="json")
    for line in data["lines"]:
        line["unit_price"] = _canonical_amount(line["unit_price"])
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "v1:" + hashlib.sha256(canonical.encode()).hexdigest()


def order_lines(body: OrderBody) -> tuple[OrderLine, ...]:
    """The body's lines for ``Order.receive``."""
    return tuple(
        OrderLine(ln.sku, ln.qty, body.unit_price_minor(i)) for i, ln in enumerate(body.lines)
    )


def facts_from_body(
    order_id: str, body: OrderBody, products: Mapping[str, ProductFacts]
) -> OrderFacts:
    """What routing needs of a checked body (call after ``check_against_catalog``)."""
    known = [products[ln.sku] for ln in body.lines if ln.sku in products]
    lines = tuple(
        FactLine(ln.sku, ln.qty, products[ln.sku].channel if ln.sku in products else Channel.BOTH)
        for ln in body.lines
    )
    return OrderFacts(
        order_id=order_id,
        region=region_key(body.address.region),  # 四川, Sichuan: one region
        city=body.address.city,
        lat=body.address.lat,
        lon=body.address.lon,
        fulfilment=Fulfilment(body.fulfilment),
        needs_installation=body.needs_installation or any(p.needs_installation for p in known),
        lines=lines,
        amount_minor=body.amount_minor(),
    )


def sale_lines(body: OrderBody, products: Mapping[str, ProductFacts]) -> list[SaleLine]:
    """The lines as sold, with the catalog's prices now (call after ``check_against_catalog``)."""
    return [
        SaleLine(
            sku=line.sku,
            category=products[line.sku].category,
            qty=line.qty,
            unit_price=body.unit_price_minor(i),
            list_price=products[line.sku].list_price_minor,
            wholesale_price=products[line.sku].wholesale_price_minor,
            promotion_id=products[line.sku].promotion_id,
            funded_by=products[line.sku].funded_by,
        )
        for i, line in enumerate(body.lines)
    ]
