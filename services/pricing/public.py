"""Pricing's public face: what the order intake and HQ's chat may use of price rules.

Quoting an order's lines (floors, promotions, the best price), claiming and giving back a
promotion's capped units, HQ's floors and promotions as chat previews, shows and sets them
(``preview_floor`` and ``preview_promotion``, what applying one would do, serve the API's
previews too).
"""

from __future__ import annotations

from services.pricing.models import Promotion
from services.pricing.preview import (
    FloorPreview,
    PromotionPreview,
    Risk,
    preview_floor,
    preview_promotion,
)
from services.pricing.queries import (
    ProductFloor,
    PromotionGone,
    claim_units,
    price_list,
    pricing_inputs,
    product_floor,
    promotions_on,
    release_units,
)
from services.pricing.rules import (
    FloorRule,
    LineIn,
    Quote,
    Terms,
    discount_text,
    floor_risk,
    quote_order,
    recorded_units,
    units_used,
)
from services.pricing.schemas import PromotionBody, validation_context
from services.pricing.store import RuleError, check_promotion, create_promotion, set_floor

__all__ = [
    "FloorPreview",
    "FloorRule",
    "LineIn",
    "ProductFloor",
    "Promotion",
    "PromotionBody",
    "PromotionGone",
    "PromotionPreview",
    "Quote",
    "Risk",
    "RuleError",
    "Terms",
    "check_promotion",
    "claim_units",
    "create_promotion",
    "discount_text",
    "floor_risk",
    "preview_floor",
    "preview_promotion",
    "price_list",
    "pricing_inputs",
    "product_floor",
    "promotions_on",
    "quote_order",
    "recorded_units",
    "release_units",
    "set_floor",
    "units_used",
    "validation_context",
]
