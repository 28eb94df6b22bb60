"""The split's configuration: percentages per channel, category and dealer, and commissions.

Pure: no I/O. ``BATON_SPLIT_RULES`` (JSON) and ``BATON_PROVIDER_COMMISSION`` are parsed
here, so a bad value is named at start (``baton.settings``) by the same code that reads it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

HUNDRED = Fraction(100)
DEFAULT_FULFILMENT_PCT = Fraction(70)
DEFAULT_REFERRAL_PCT = Fraction(10)
_RULE_KEYS = {"channel", "category", "dealer", "fulfilment_pct", "referral_pct"}


class ConfigError(ValueError):
    """A split rule or commission Baton cannot use; the message says which and why."""


# -- configuration ---------------------------------------------------------------------------


def percent(value: object, what: str) -> Fraction:
    """A percentage between 0 and 100 from a number or a decimal string, exactly."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"{what} must be a number from 0 to 100, not {value!r}")
    try:
        result = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        raise ConfigError(f"{what} must be a number from 0 to 100, not {value!r}") from None
    if not 0 <= result <= HUNDRED:
        raise ConfigError(f"{what} must be from 0 to 100, not {value}")
    return result


@dataclass(frozen=True)
class SplitRule:
    """Percentages for orders that match every field given (None matches anything).

    ``dealer`` is matched against the dealer whose share the percentage sets: the
    fulfilling dealer for ``fulfilment_pct``, the originating dealer for ``referral_pct``.
    """

    channel: str | None = None
    category: str | None = None
    dealer: str | None = None
    fulfilment_pct: Fraction | None = None
    referral_pct: Fraction | None = None

    @property
    def specificity(self) -> int:
        """Higher is more specific: a dealer beats a category, which beats a channel."""
        return (
            4 * (self.dealer is not None)
            + 2 * (self.category is not None)
            + (self.channel is not None)
        )

    def matches(self, channel: str, category: str, dealer: str | None) -> bool:
        """True if every field the rule names matches."""
        return (
            (self.channel is None or self.channel == channel)
            and (self.category is None or self.category == category)
            and (self.dealer is None or self.dealer == dealer)
        )


@dataclass(frozen=True)
class SplitConfig:
    """The split percentages in force: rules (most specific wins) and provider commissions."""

    rules: tuple[SplitRule, ...] = ()
    provider_pct: Mapping[str, Fraction] = field(default_factory=dict)
    fulfilment_pct_default: Fraction = DEFAULT_FULFILMENT_PCT
    referral_pct_default: Fraction = DEFAULT_REFERRAL_PCT

    def fulfilment_pct(self, channel: str, category: str, dealer: str | None) -> Fraction:
        """The fulfilling dealer's percent of the margin for this line."""
        return self._resolve("fulfilment_pct", channel, category, dealer)

    def referral_pct(self, channel: str, category: str, dealer: str | None) -> Fraction:
        """The originating dealer's percent of the margin for this line."""
        return self._resolve("referral_pct", channel, category, dealer)

    def provider(self, channel: str) -> Fraction:
        """The service provider's percent of what the customer paid on ``channel``."""
        return self.provider_pct.get(channel, Fraction(0))

    def _resolve(self, name: str, channel: str, category: str, dealer: str | None) -> Fraction:
        best: tuple[int, Fraction] | None = None
        for rule in self.rules:
            value = getattr(rule, name)
            if value is None or not rule.matches(channel, category, dealer):
                continue
            if best is None or rule.specificity > best[0]:
                best = (rule.specificity, value)
        if best is not None:
            return best[1]
        return (
            self.fulfilment_pct_default if name == "fulfilment_pct" else self.referral_pct_default
        )


def parse_split_rules(text: str) -> tuple[SplitRule, ...]:
    """Rules from JSON: a list of objects with ``channel``, ``category``, ``dealer`` (any of
    them, to match) and ``fulfilment_pct`` and/or ``referral_pct``.

    Raises ConfigError naming the rule and what is wrong with it.
    """
    if not text.strip():
        return ()
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"not JSON: {exc}") from None
    if not isinstance(data, list):
        raise ConfigError("must be a JSON list of rule objects")
    rules: list[SplitRule] = []
    seen: set[tuple[str | None, str | None, str | None]] = set()
    for n, item in enumerate(data, start=1):
        rule = _rule(n, item)
        where = (rule.channel, rule.category, rule.dealer)
        if where in seen:
            raise ConfigError(f"rule {n} matches the same orders as an earlier rule")
        seen.add(where)
        rules.append(rule)
    return tuple(rules)


def _rule(n: int, item: Any) -> SplitRule:
    if not isinstance(item, dict):
        raise ConfigError(f"rule {n} must be an object")
    unknown = set(item) - _RULE_KEYS
    if unknown:
        raise ConfigError(f"rule {n}: unknown field(s) {sorted(unknown)}")
    for key in ("channel", "category", "dealer"):
        if key in item and (not isinstance(item[key], str) or not item[key]):
            raise ConfigError(f"rule {n}: {key} must be a non-empty string")
    fulfilment = item.get("fulfilment_pct")
    referral = item.get("referral_pct")
    if fulfilment is None and referral is None:
        raise ConfigError(f"rule {n} sets neither fulfilment_pct nor referral_pct")
    f = None if fulfilment is None else percent(fulfilment, f"rule {n} fulfilment_pct")
    r = None if referral is None else percent(referral, f"rule {n} referral_pct")
    if (f or 0) + (r or 0) > HUNDRED:
        raise ConfigError(f"rule {n}: fulfilment_pct + referral_pct is over 100")
    return SplitRule(item.get("channel"), item.get("category"), item.get("dealer"), f, r)


def parse_provider_commission(text: str) -> dict[str, Fraction]:
    """``channel=percent`` pairs separated by commas (``"tmall=5,jd=2.5"``)."""
    result: dict[str, Fraction] = {}
    for pair in (p.strip() for p in text.split(",")):
        if not pair:
            continue
        channel, sep, value = pair.partition("=")
        channel = channel.strip()
        if not sep or not channel:
            raise ConfigError(f"{pair!r}: write channel=percent, e.g. tmall=5")
        if channel in result:
            raise ConfigError(f"channel {channel!r} is named twice")
        result[channel] = percent(value, f"commission of {channel}")
    return result
