"""The bodies HQ sends for floors and promotions, and how the API shows them.

Times without an offset are read in HQ's time zone (``BATON_HQ_TIMEZONE``), passed in the
validation context as ``zone``; they are stored and shown in UTC. Amounts are decimal
strings in the currency's major unit; percentages are decimal strings too (``"12.5"``).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.catalog.public import valid_id
from services.pricing.models import PriceRule, Promotion
from services.pricing.rules import BASIS_POINTS, Funder, discount_text
from shared.money import MoneyError, format_amount, known_currency, parse_amount
from shared.times import parse_time

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")
MAX_ITEMS = 100  # SKUs, categories or regions of one promotion
_PERCENT = re.compile(r"^(0|[1-9][0-9]{0,2})(?:\.([0-9]{1,2}))?$")


@dataclasses.dataclass(frozen=True)
class Issue:
    """Something wrong with a rule: the field, a code (chat texts), a message (the API)."""

    field: str
    code: str
    message: str
    values: dict[str, str] = dataclasses.field(default_factory=dict)


def parse_percent(text: str) -> int:
    """``"12.5"`` (or ``"12.5%"``) as basis points, more than 0 and at most 100 %."""
    match = _PERCENT.match(text.strip().removesuffix("%").strip())
    if match is None:
        raise ValueError('a percentage such as "10" or "12.5", at most 2 decimals')
    points = int(match.group(1)) * 100 + int((match.group(2) or "").ljust(2, "0"))
    if not 0 < points <= BASIS_POINTS:
        raise ValueError("more than 0 and at most 100")
    return points


def _zone(info: ValidationInfo) -> tzinfo:
    context = info.context if isinstance(info.context, dict) else {}
    zone = context.get("zone")
    return zone if isinstance(zone, tzinfo) else DEFAULT_ZONE


def _currency(value: str | None) -> str | None:
    return value if value is None else known_currency(value)


class PriceRuleBody(BaseModel):
    """`PUT /v1/price-rules/{sku}` and `PUT /v1/price-rules/category/{category}`."""

    model_config = ConfigDict(extra="forbid")

    floor: str = Field(description='the floor, a decimal string such as "1799.00"')
    currency: str | None = Field(
        default=None, description="the product's currency (SKU); required for a category"
    )
    effective_at: datetime | None = Field(
        default=None, description="when it takes effect (HQ time without an offset); now if omitted"
    )

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str | None) -> str | None:
        return _currency(value)

    @field_validator("effective_at", mode="before")
    @classmethod
    def _time(cls, value: object, info: ValidationInfo) -> datetime | None:
        return None if value is None else parse_time(value, _zone(info))


class PromotionBody(BaseModel):
    """`POST /v1/promotions`: exactly one of ``percent_off`` and ``amount_off``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    starts_at: datetime = Field(description="start (HQ time without an offset)")
    ends_at: datetime = Field(description="end, excluded (HQ time without an offset)")
    skus: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    categories: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    regions: list[str] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="empty: every region"
    )
    percent_off: str | None = Field(default=None, description='e.g. "10" or "12.5"')
    currency: str | None = Field(default=None, description="required with amount_off")
    amount_off: str | None = Field(default=None, description='off each unit, e.g. "20.00"')
    funded_by: Funder
    unit_cap: int | None = Field(default=None, ge=1, le=1_000_000_000)
    stackable: bool = Field(default=False, description="may combine with other stackable ones")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("starts_at", "ends_at", mode="before")
    @classmethod
    def _time(cls, value: object, info: ValidationInfo) -> datetime:
        return parse_time(value, _zone(info))

    @field_validator("skus")
    @classmethod
    def _skus(cls, value: list[str]) -> list[str]:
        bad = [s for s in value if not valid_id(s)]
        if bad:
            raise ValueError(f"not SKUs: {', '.join(bad[:5])}")
        return list(dict.fromkeys(value))

    @field_validator("categories", "regions")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        names = [v.strip() for v in value]
        if any(not 1 <= len(n) <= 64 for n in names):
            raise ValueError("each must have 1 to 64 characters")
        return list(dict.fromkeys(names))

    @field_validator("percent_off", mode="before")
    @classmethod
    def _percent(cls, value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError('a decimal string such as "10" or "12.5"')
        parse_percent(value)
        return value.strip().removesuffix("%").strip()

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str | None) -> str | None:
        return _currency(value)

    @field_validator("amount_off")
    @classmethod
    def _amount(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        currency = info.data.get("currency")
        if currency is None:
            raise ValueError("give the currency of the amount too")
        try:
            if parse_amount(value, currency) <= 0:
                raise ValueError("must be more than 0")
        except MoneyError as exc:
            raise ValueError(str(exc)) from None
        return value

    @property
    def percent_bp(self) -> int | None:
        """The percentage in basis points."""
        return None if self.percent_off is None else parse_percent(self.percent_off)

    @property
    def amount_minor(self) -> int | None:
        """The fixed amount off in minor units."""
        if self.amount_off is None or self.currency is None:
            return None
        return parse_amount(self.amount_off, self.currency)

    def problems(self, now: datetime) -> list[Issue]:
        """What is wrong across fields; empty if nothing."""
        found: list[Issue] = []
        if (self.percent_off is None) == (self.amount_off is None):
            found.append(Issue("percent_off", "need_discount",
                               "give exactly one of percent_off and amount_off"))  # fmt: skip
        if not self.skus and not self.categories:
            found.append(Issue("skus", "need_items", "name at least one SKU or category"))
        if self.ends_at <= self.starts_at:
            found.append(Issue("ends_at", "bad_window", "must be after starts_at"))
        elif self.ends_at <= now:
            found.append(Issue("ends_at", "over", "is in the past"))
        return found


def iso(moment: datetime | None) -> str | None:
    """A stored time as the API shows it (UTC, ISO 8601)."""
    return None if moment is None else moment.astimezone(UTC).isoformat()


class FloorVersionView(BaseModel):
    """One version of a floor."""

    id: int
    floor: str
    currency: str
    effective_at: str
    created_at: str
    created_by: str
    in_force: bool = Field(description="the version in force now for its key and currency")


class PriceRulesView(BaseModel):
    """A SKU's or a category's floors: what is in force and its versions, oldest first."""

    scope: str
    key: str
    currency: str | None = Field(default=None, description="the product's (SKU only)")
    base_floor: str | None = Field(default=None, description="the product's own floor_price")
    floor_in_force: str | None = Field(default=None, description="SKU only")
    source: str | None = Field(default=None, description="sku, category or product")
    versions: list[FloorVersionView] = Field(
        description="a page of the versions, oldest first (100 unless `limit` says)"
    )
    next_cursor: str | None = Field(
        default=None, description="the cursor of the next page of versions; null: no more"
    )


def version_view(rule: PriceRule, in_force: bool) -> FloorVersionView:
    """The view of a stored floor version."""
    assert rule.id is not None
    return FloorVersionView(
        id=rule.id, floor=format_amount(rule.floor, rule.currency), currency=rule.currency,
        effective_at=iso(rule.effective_at) or "", created_at=iso(rule.created_at) or "",
        created_by=rule.created_by, in_force=in_force,
    )  # fmt: skip


class PromotionView(BaseModel):
    """A promotion as the API shows it, with its state and units sold."""

    id: str
    name: str
    state: str = Field(description="scheduled, live or ended")
    starts_at: str
    ends_at: str
    ended_at: str | None
    skus: list[str]
    categories: list[str]
    regions: list[str]
    discount: str = Field(description='as people write it: "10%", "¥20.00"')
    percent_off: str | None
    amount_off: str | None
    currency: str | None
    funded_by: str
    unit_cap: int | None
    units_sold: int
    stackable: bool
    created_at: str
    created_by: str

    @classmethod
    def of(cls, promotion: Promotion, now: datetime) -> PromotionView:
        """The view of a stored promotion at ``now``."""
        p = promotion
        return cls(
            id=p.id, name=p.name, state=promotion_state(p, now), starts_at=iso(p.starts_at) or "",
            ends_at=iso(p.ends_at) or "", ended_at=iso(p.ended_at), skus=p.skus,
            categories=p.categories, regions=p.regions,
            discount=discount_text(p.percent_off, p.amount_off, p.currency),
            percent_off=_percent_text(p.percent_off),
            amount_off=format_amount(p.amount_off, p.currency)
            if p.amount_off is not None and p.currency else None,
            currency=p.currency, funded_by=p.funded_by, unit_cap=p.unit_cap,
            units_sold=p.units_sold, stackable=p.stackable, created_at=iso(p.created_at) or "",
            created_by=p.created_by,
        )  # fmt: skip


class PromotionList(BaseModel):
    """`GET /v1/promotions`: a page, and ``next_cursor`` for the one after (null: no more)."""

    promotions: list[PromotionView]
    next_cursor: str | None = None


class RiskView(BaseModel):
    """A floor HQ must set knowingly, with the warning chat gives before Apply."""

    code: str = Field(description="free (a floor of 0) or above_list (above a list price)")
    sku: str | None = Field(description="the product at risk; null: every one of the category")
    messages: dict[str, str] = Field(description="the warning, by language (en, zh)")


class FloorPreviewView(BaseModel):
    """What a floor's PUT would set and announce; nothing is changed."""

    scope: str = Field(description="sku or category")
    key: str
    currency: str
    floor: str
    effective_at: str = Field(description="when it would take effect (UTC)")
    floor_in_force: str | None = Field(description="the floor it would replace (SKU only)")
    source: str | None = Field(description="where that one comes from: sku, category, product")
    list_price: str | None = Field(description="the product's list price (SKU only)")
    unchanged: bool = Field(
        description="the floor is already set so: the PUT would add no version and tell nobody"
    )
    warnings: list[RiskView] = Field(description="a floor of 0, or above a list price")
    audience: int = Field(description="the dealer chats that would be told")
    messages: dict[str, str] = Field(
        description="the announcement as dealers would read it, by language (en, zh)"
    )


class PromotionDraftView(BaseModel):
    """A promotion as its POST would create it (no id: none is made)."""

    name: str
    state: str = Field(description="scheduled or live")
    starts_at: str
    ends_at: str
    skus: list[str]
    categories: list[str]
    regions: list[str]
    discount: str
    percent_off: str | None
    amount_off: str | None
    currency: str | None
    funded_by: str
    unit_cap: int | None
    stackable: bool


class RegionAudience(BaseModel):
    """One broadcast a promotion would start: its region (null: every region), its audience."""

    region: str | None
    audience: int


class PromotionPreviewView(BaseModel):
    """What a promotion's POST would create and announce; nothing is changed."""

    promotion: PromotionDraftView
    broadcasts: list[RegionAudience] = Field(description="one per region it names")
    audience: int = Field(description="the dealer chats that would be told, in all")
    messages: dict[str, str] = Field(
        description="the announcement as dealers would read it, by language (en, zh)"
    )


def _percent_text(points: int | None) -> str | None:
    return None if points is None else discount_text(points, None, None).removesuffix("%")


def promotion_state(promotion: Promotion, now: datetime) -> str:
    """``scheduled`` before its start, ``ended`` from its (possibly early) end, else ``live``."""
    end = promotion.ends_at
    if promotion.ended_at is not None:
        end = min(end, promotion.ended_at)
    if now >= end:
        return "ended"
    return "scheduled" if now < promotion.starts_at else "live"


def validation_context(zone: tzinfo) -> dict[str, Any]:
    """The context bodies are validated in."""
    return {"zone": zone}
