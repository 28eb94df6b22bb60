"""Parsing HQ's `/price` and `/promo` as typed on a phone: a result or a Problem, never a crash.

``/price SKU AMOUNT`` sets a SKU's floor from the moment it is confirmed.

``/promo NAME; FIELD VALUE; FIELD VALUE …`` (fields on new lines work too; English or
Chinese field names; full-width punctuation is folded):

    /promo Spring sale
    off 10%            (or ¥20, 20 CNY: a fixed amount off each unit)   折扣
    skus PX-1 PX-2                                                      商品
    categories phones                                                   品类
    regions sichuan    (none: every region)                             地区
    from 2026-03-01 10:00   (HQ time; none: now)                        开始
    to 2026-03-08           (excluded)                                  结束
    funded hq | dealer | shared                                         承担 总部|经销商|共担
    cap 100            (units, optional)                                上限
    stack              (may combine with other stackable promotions)    叠加

The result is the body of ``POST /v1/promotions``, validated by the same model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bots.dealer.parsing import SKU, fold
from shared.chat.i18n import Problem

FIELDS: dict[str, str] = {
    "off": "off", "discount": "off", "折扣": "off", "优惠": "off",
    "skus": "skus", "sku": "skus", "商品": "skus",
    "categories": "categories", "category": "categories", "品类": "categories",
    "regions": "regions", "region": "regions", "地区": "regions",
    "from": "from", "start": "from", "开始": "from",
    "to": "to", "until": "to", "end": "to", "结束": "to",
    "funded": "funded", "funded_by": "funded", "funder": "funded", "承担": "funded",
    "cap": "cap", "上限": "cap", "限量": "cap",
    "stack": "stack", "stackable": "stack", "叠加": "stack",
}  # fmt: skip
FUNDERS = {
    "hq": "hq", "总部": "hq", "dealer": "dealer", "经销商": "dealer", "门店": "dealer",
    "shared": "shared", "共担": "shared", "共同": "shared",
}  # fmt: skip
YES = {"", "yes", "y", "true", "on", "是", "可以", "可"}
NO = {"no", "n", "false", "off", "否", "不"}
SIGNS = {"¥": "CNY", "元": "CNY", "$": "USD", "€": "EUR", "£": "GBP"}
_SEGMENT = re.compile(r"[;\n]")
_FIELD = re.compile(r"^([^\s:=]+)\s*[:=]?\s*(.*)$", re.DOTALL)
_AMOUNT = re.compile(
    r"^(?:(¥|\$|€|£|[A-Za-z]{3})\s*)?([0-9]{1,15}(?:\.[0-9]+)?)\s*(元|[A-Za-z]{3})?$"
)
_LIST = re.compile(r"[\s,、]+")
MAX_TEXT = 2000

Reader = Callable[[str], dict[str, Any] | Problem]


@dataclass(frozen=True)
class PriceRequest:
    """`/price SKU AMOUNT` as typed."""

    sku: str
    amount: str


def parse_price(args: list[str]) -> PriceRequest | Problem:
    """The SKU and the amount (still text: its currency is the product's)."""
    folded = [fold(a).strip() for a in args if fold(a).strip()]
    if len(folded) != 2:
        return Problem("price.usage")
    sku, amount = folded
    if not SKU.match(sku):
        return Problem("price.unknown_sku", {"sku": sku[:40]})
    return PriceRequest(sku, amount.removeprefix("¥").strip())


@dataclass(frozen=True)
class PromoText:
    """`/promo …` as a promotion body; ``needs_currency`` if an amount came without one."""

    data: dict[str, Any]
    needs_currency: bool = False


def parse_promo(text: str) -> PromoText | Problem:
    """The fields of a typed promotion, as the API's body; a Problem names what is wrong."""
    if len(text) > MAX_TEXT:
        return Problem("promo.too_long", {"limit": MAX_TEXT})
    segments = [s.strip() for s in _SEGMENT.split(fold(text)) if s.strip()]
    if not segments:
        return Problem("promo.usage")
    data: dict[str, Any] = {"name": segments[0]}  # the preview shows it: a slip is cancelled
    seen: set[str] = set()
    for segment in segments[1:]:
        found = _field(segment, seen)
        if isinstance(found, Problem):
            return found
        field, value = found
        parsed = READERS[field](value)
        if isinstance(parsed, Problem):
            return parsed
        data |= parsed
    return PromoText(data, needs_currency="amount_off" in data and "currency" not in data)


def _field(segment: str, seen: set[str]) -> tuple[str, str] | Problem:
    """A segment's field (once only: ``seen`` keeps those given) and its value."""
    match = _FIELD.match(segment)
    key = match.group(1).lower() if match else segment
    field = FIELDS.get(key)
    if match is None or field is None:
        return Problem("promo.unknown_field", {"field": key[:20]})
    if field in seen:
        return Problem("promo.repeated", {"field": key[:20]})
    seen.add(field)
    return field, match.group(2).strip()


def _words(key: str) -> Reader:
    return lambda value: {key: [v for v in _LIST.split(value) if v]}


def _as_typed(key: str) -> Reader:
    # Checked by the body's model, which names the field if it is wrong.
    return lambda value: {key: value}


def _funded(value: str) -> dict[str, Any]:
    return {"funded_by": FUNDERS.get(value.lower(), value)}


def _cap(value: str) -> dict[str, Any]:
    return {"unit_cap": int(value) if value.isascii() and value.isdigit() else value}


def _stackable(value: str) -> dict[str, Any] | Problem:
    if value.lower() not in YES | NO:
        return Problem("promo.bad.stackable")
    return {"stackable": value.lower() in YES}


def _discount(value: str) -> dict[str, str] | Problem:
    if value.endswith("%"):
        return {"percent_off": value[:-1].strip()}
    match = _AMOUNT.match(value)
    if match is None:
        return Problem("promo.bad.percent_off")
    sign = match.group(1) or match.group(3)
    found: dict[str, str] = {"amount_off": match.group(2)}
    if sign:
        found["currency"] = SIGNS.get(sign, sign.upper())
    return found


# A field's value → the body's fields it sets, or what is wrong with it.
READERS: dict[str, Reader] = {
    "off": _discount,
    "skus": _words("skus"),
    "categories": _words("categories"),
    "regions": _words("regions"),
    "from": _as_typed("starts_at"),
    "to": _as_typed("ends_at"),
    "funded": _funded,
    "cap": _cap,
    "stack": _stackable,
}
