"""What /prices and the previews show stays within one Telegram message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from bots.dealer.context import Chat
from bots.dealer.prices import prices_text
from services.pricing.models import Promotion
from services.pricing.queries import ProductFloor
from services.pricing.rules import Floor, FloorRule

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _chat(language: str) -> Chat:
    runtime: Any = SimpleNamespace(settings=SimpleNamespace(hq_timezone="Asia/Shanghai"))
    return Chat(runtime, None, language, 1, 1)


def test_a_long_price_list_is_cut_to_one_message() -> None:
    floors = [
        ProductFloor(f"SKU-{i}", "N" * 200, "CNY", Floor(100 * i, "product"),
                     FloorRule(i, "sku", f"SKU-{i}", 5, "CNY", NOW + timedelta(days=1)))
        for i in range(200)
    ]  # fmt: skip
    promotions = [
        Promotion(
            id=f"pr_{i}", name="P" * 200, starts_at=NOW, ends_at=NOW + timedelta(days=1),
            skus=[f"SKU-{j}" for j in range(100)], categories=["c" * 64] * 100,
            percent_off=1000, funded_by="hq", unit_cap=10, created_at=NOW, created_by="api",
        )
        for i in range(40)
    ]  # fmt: skip
    for language in ("en", "zh"):
        text = prices_text(_chat(language), floors, promotions, "sichuan", NOW)
        assert len(text) <= 4096
        assert text.startswith("Price floors" if language == "en" else "当前价格底线")
    short = prices_text(_chat("en"), floors[:1], [], "sichuan", NOW)
    assert "…and" not in short and "No promotions now or coming for Sichuan." in short
    assert "   from 2026-01-02 08:00: 0.05 CNY" in short
