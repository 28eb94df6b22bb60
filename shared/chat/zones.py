"""How chat names a time zone: as people in China say it, not by its IANA id."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from shared.chat.i18n import t

# Zones on China Standard Time (UTC+8, no daylight saving): "Beijing time" to a dealer.
CHINA_STANDARD = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin",
                            "PRC"})  # fmt: skip


def zone_name(zone: tzinfo, language: str, at: datetime) -> str:
    """北京时间 / China Standard Time for China's zone; else its UTC offset at ``at``."""
    if getattr(zone, "key", str(zone)) in CHINA_STANDARD:
        return t(language, "zone.china")
    offset = at.astimezone(zone).utcoffset() or timedelta(0)
    minutes = abs(int(offset.total_seconds())) // 60
    sign = "-" if offset < timedelta(0) else "+"
    return t(language, "zone.offset", offset=f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}")
