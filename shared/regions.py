"""China's provincial-level regions: one id each, and the names people write in chat and data.

Dealers, orders, promotions and broadcasts name regions as someone typed them: ``sichuan``,
``Sichuan``, ``四川``, ``四川省``. ``region_key`` folds any of those to the region's id, so
they all match; ``region_name`` is what chat shows, in the reader's language. A region
this table does not know (a sales area of the brand's own) still matches regardless of
case and spacing, and is shown as it was stored. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    """One provincial-level region: its id, its Chinese and English names, other spellings."""

    id: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()


REGIONS: tuple[Region, ...] = (
    Region("beijing", "北京", "Beijing"),
    Region("tianjin", "天津", "Tianjin"),
    Region("hebei", "河北", "Hebei"),
    Region("shanxi", "山西", "Shanxi"),
    Region("inner_mongolia", "内蒙古", "Inner Mongolia", ("Nei Mongol", "Neimenggu")),
    Region("liaoning", "辽宁", "Liaoning"),
    Region("jilin", "吉林", "Jilin"),
    Region("heilongjiang", "黑龙江", "Heilongjiang"),
    Region("shanghai", "上海", "Shanghai"),
    Region("jiangsu", "江苏", "Jiangsu"),
    Region("zhejiang", "浙江", "Zhejiang"),
    Region("anhui", "安徽", "Anhui"),
    Region("fujian", "福建", "Fujian"),
    Region("jiangxi", "江西", "Jiangxi"),
    Region("shandong", "山东", "Shandong"),
    Region("henan", "河南", "Henan"),
    Region("hubei", "湖北", "Hubei"),
    Region("hunan", "湖南", "Hunan"),
    Region("guangdong", "广东", "Guangdong"),
    Region("guangxi", "广西", "Guangxi"),
    Region("hainan", "海南", "Hainan"),
    Region("chongqing", "重庆", "Chongqing"),
    Region("sichuan", "四川", "Sichuan"),
    Region("guizhou", "贵州", "Guizhou"),
    Region("yunnan", "云南", "Yunnan"),
    Region("tibet", "西藏", "Tibet", ("Xizang",)),
    Region("shaanxi", "陕西", "Shaanxi"),
    Region("gansu", "甘肃", "Gansu"),
    Region("qinghai", "青海", "Qinghai"),
    Region("ningxia", "宁夏", "Ningxia"),
    Region("xinjiang", "新疆", "Xinjiang"),
    Region("hong_kong", "香港", "Hong Kong", ("HK",)),
    Region("macau", "澳门", "Macau", ("Macao",)),
    Region("taiwan", "台湾", "Taiwan"),
)

# What follows a name in full forms: 四川省, 广西壮族自治区, Sichuan Province, Hong Kong SAR.
_SUFFIX = re.compile(
    "(维吾尔自治区|壮族自治区|回族自治区|特别行政区|自治区|省|市"
    "|province|municipality|autonomousregion|specialadministrativeregion|sar)$"
)
_NOISE = re.compile(r"[\s\-_'’·.]+")


def _fold(text: str) -> str:
    folded = _NOISE.sub("", unicodedata.normalize("NFKC", text).casefold())
    return _SUFFIX.sub("", folded) or folded


_BY_SPELLING: dict[str, Region] = {
    _fold(spelling): region
    for region in REGIONS
    for spelling in (region.id, region.zh, region.en, *region.aliases)
}


def find_region(text: str) -> Region | None:
    """The region ``text`` names, in any language, case or full form; None if unknown."""
    return _BY_SPELLING.get(_fold(text))


def region_key(text: str) -> str:
    """What regions are compared by: the id of a known region, else ``text`` folded."""
    region = find_region(text)
    return region.id if region is not None else _fold(text)


def region_name(text: str, language: str) -> str:
    """The region as chat shows it in ``language`` (zh or en); unknown: as stored."""
    region = find_region(text)
    if region is None:
        return text.strip()
    return region.zh if language == "zh" else region.en
