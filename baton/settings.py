"""The settings as the `baton` command reads them: shared's, then each service's own checks.

``shared.settings`` knows every variable but no service: the values only a service can
judge (its routing rules, split rules, commissions) are checked here, at start, by that
service's own parser, so a bad one still stops the process with its variable named.
"""

from __future__ import annotations

from collections.abc import Callable

from services.orders.domain.rules import parse_rule_names
from services.settlement.split_rules import parse_provider_commission, parse_split_rules
from shared import settings as shared_settings
from shared.settings import Settings, SettingsError

# A field of the settings and the parser of the service that reads it (raises ValueError).
SERVICE_CHECKS: dict[str, Callable[[str], object]] = {
    "routing_rules": parse_rule_names,
    "split_rules": parse_split_rules,
    "provider_commission": parse_provider_commission,
}


def load_settings(**overrides: object) -> Settings:
    """The settings, every value checked; SettingsError names each bad variable."""
    settings = shared_settings.load_settings(**overrides)
    problems = []
    for field, check in SERVICE_CHECKS.items():
        try:
            check(getattr(settings, field))
        except ValueError as exc:
            problems.append(f"BATON_{field.upper()}: {exc}")
    if problems:
        raise SettingsError("bad configuration: " + "; ".join(problems))
    return settings
