"""What a broadcast says: its parameters checked, and its text in each dealer's language.

Pure functions, no I/O: the same broadcast renders the same text every time, so an
acknowledgement or a reminder can show the message again without storing it per chat.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from shared.chat.i18n import t
from shared.chat.render import CHINA
from shared.money import MoneyError, format_amount

Kind = Literal["notice", "price", "promotion", "promotion_end"]
KINDS: tuple[str, ...] = ("notice", "price", "promotion", "promotion_end")
MAX_TEXT = 3_500  # Telegram takes 4,096 characters; the header and the ack line need room
MAX_FIELD = 200
MAX_ITEMS = 100


class BadBroadcast(ValueError):
    """Parameters a broadcast cannot be sent with: ``field`` names the bad one."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def _text(params: dict[str, Any], name: str, limit: int = MAX_FIELD) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadBroadcast(name, "required: a non-empty string")
    value = value.strip()
    if len(value) > limit:
        raise BadBroadcast(name, f"at most {limit} characters, not {len(value)}")
    return value


def _time(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise BadBroadcast(name, "an ISO 8601 time such as 2026-07-01T00:00:00+08:00") from None
    else:
        raise BadBroadcast(name, "required: an ISO 8601 time")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _names(params: dict[str, Any], name: str) -> list[str]:
    value = params.get(name, [])
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise BadBroadcast(name, "a list of non-empty strings")
    if len(value) > MAX_ITEMS:
        raise BadBroadcast(name, f"at most {MAX_ITEMS} entries")
    return [str(v) for v in value]


def check(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters of a ``kind`` broadcast, normalised for storage (JSON), or BadBroadcast."""
    if kind == "notice":
        return {"text": _text(params, "text", MAX_TEXT)}
    if kind == "price":
        floor = params.get("floor")
        if not isinstance(floor, int) or isinstance(floor, bool) or floor < 0:
            raise BadBroadcast("floor", "required: a whole number of minor units, 0 or more")
        currency = _text(params, "currency", 8)
        try:
            format_amount(floor, currency)
        except MoneyError as exc:
            raise BadBroadcast("currency", str(exc)) from None
        scope = params.get("scope", "sku")
        if scope not in ("sku", "category"):
            raise BadBroadcast("scope", "sku or category")
        return {
            "sku": _text(params, "sku", 64), "name": _text(params, "name"), "floor": floor,
            "currency": currency, "effective_at": _time(params, "effective_at"),
        } | ({"scope": scope} if scope == "category" else {})  # fmt: skip
    if kind == "promotion":
        starts_at, ends_at = _time(params, "starts_at"), _time(params, "ends_at")
        if datetime.fromisoformat(ends_at) <= datetime.fromisoformat(starts_at):
            raise BadBroadcast("ends_at", "must be after starts_at")
        return {
            "promotion_id": _text(params, "promotion_id", 64), "name": _text(params, "name"),
            "discount": _text(params, "discount", 64), "starts_at": starts_at,
            "ends_at": ends_at, "skus": _names(params, "skus"),
            "categories": _names(params, "categories"),
        }  # fmt: skip
    if kind == "promotion_end":
        return {"promotion_id": _text(params, "promotion_id", 64), "name": _text(params, "name")}
    raise BadBroadcast("kind", f"one of {', '.join(KINDS)}, not {kind!r}")


def when(moment: str | datetime) -> str:
    """A time as dealers read it: China's time zone, to the minute."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def body(kind: str, params: dict[str, Any], language: str) -> str:
    """The broadcast's text in ``language`` (``params`` as ``check`` returned them)."""
    if kind == "notice":
        return t(language, "broadcast.notice", text=params["text"])
    if kind == "promotion_end":
        return t(language, "promo.ended_notice", name=params["name"])
    if kind == "price":
        floor = format_amount(params["floor"], params["currency"])
        name = params["name"]
        if params.get("scope") == "category":  # "sku" is the category: name it in words
            name = t(language, "price.category_name", category=params["sku"])
        return t(
            language, "broadcast.price", name=name, sku=params["sku"], floor=floor,
            currency=params["currency"], effective_at=when(params["effective_at"]),
        )  # fmt: skip
    items = [*params["skus"], *params["categories"]]
    return t(
        language, "broadcast.promotion", name=params["name"], discount=params["discount"],
        starts_at=when(params["starts_at"]), ends_at=when(params["ends_at"]),
        items=", ".join(items) if items else t(language, "broadcast.all_products"),
    )  # fmt: skip


def acknowledged(kind: str, params: dict[str, Any], language: str, at: datetime) -> str:
    """The message after its Acknowledge button was pressed: the text, then who-when."""
    return body(kind, params, language) + "\n\n" + t(language, "ack.done", at=when(at))


def reminder(kind: str, params: dict[str, Any], language: str) -> str:
    """The one reminder a dealer gets when nobody of the store has acknowledged."""
    return t(language, "ack.reminder") + "\n\n" + body(kind, params, language)


def floor_warning(
    code: str, name: str, floor: int, currency: str, list_price: int | None, language: str,
    *, category: bool = False,
) -> str:  # fmt: skip
    """What HQ is warned of before a floor is announced (``code``: ``free``, ``above_list``),
    for the product ``name`` (with ``category``: every product of the category ``name``)."""
    if category:
        name = t(language, "price.category_name", category=name)
    return t(
        language, f"price.risk.{code}", name=name, floor=format_amount(floor, currency),
        currency=currency, list=format_amount(list_price or 0, currency),
    )  # fmt: skip
