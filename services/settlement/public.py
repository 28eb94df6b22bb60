"""Settlement's public face: a dealer's earnings over a period, and their text in chat."""

from __future__ import annotations

from services.settlement.earnings import dealer_earnings
from services.settlement.periods import RECENT, Period, recent
from services.settlement.texts import earnings_text

__all__ = ["RECENT", "Period", "dealer_earnings", "earnings_text", "recent"]
