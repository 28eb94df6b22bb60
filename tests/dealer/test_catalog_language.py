"""Every Chinese text, rendered as the bot renders it, is Chinese: no English left in it.

Values a reply carries (SKUs, ids, product and store names, amounts) and what a dealer
types (commands, the CSV header) may be in Latin letters; the words around them may not.
"""

from __future__ import annotations

import re
import string

from shared.chat.i18n import t
from shared.chat.texts_zh import ZH

# Realistic values for every placeholder, as the bot passes them to a Chinese reader.
VALUES: dict[str, object] = {
    "acknowledged": 2, "address": "成都市武侯区天府大道 1 号", "amount": "¥1,849.30",
    "at": "2026-01-05 10:00", "audience": 3, "available": 5, "blocked": 0, "cap": "100",
    "category": "phones", "city": "Chengdu", "columns": "on_hand", "count": 2,
    "currency": "CNY", "customer": "张伟", "days": 4, "deadline": "14:30",
    "dealer": "天府广场店", "delivered": 3, "discount": "10%", "distance": "3.2",
    "district": "四川 Chengdu", "effective_at": "2026-02-01 00:00",
    "ends": "2026-03-08 00:00", "ends_at": "2026-03-08 00:00",
    "errors": "第 3 行：-2 小于 0，库存数量不能为负数。未保存任何内容。", "example": "A1B2C3",
    "failed": 0, "field": "colour", "first": "2026-01-12", "floor": "1899.00",
    "format": t("zh", "stock.file_format"), "fulfilled": 3, "fulfilment": "¥1,200.00",
    "funder": "总部", "held": "¥0.00", "id": "pr_1a2b3c4d5e6f", "items": "PX-1, 品类 phones",
    "kind": "通知", "last": "2026-01-18", "left": 7, "length": 3501, "limit": 3500,
    "line": 3, "list": "1999.00", "max": 200, "minutes": 2, "name": "Phone X",
    "new": "1899.00", "offset": "UTC+05:30", "old": "1799.00", "originated": 1,
    "paid": "¥0.00", "pending": "¥1,200.00", "period": "2026-W03", "phone": "+86 138 0000 0000",
    "link": "https://hq.example/console/sign-in?t=abc",
    "qty": "-2", "ref": "A1B2C3", "referral": "¥100.00", "region": "四川",
    "regions": "四川, 重庆", "remaining": 4, "role": "店主", "sent": 3, "sku": "PX-1",
    "stack": "否", "starts": "2026-03-01 10:00", "starts_at": "2026-03-01 10:00",
    "status": "已交付", "summary": "🎉 春季特惠：PX-1 优惠 10%", "text": "周五盘点库存，谢谢！",
    "where": "四川", "zone": "北京时间",
}  # fmt: skip
# What a Chinese text may still show in Latin letters: the product's name, what the
# dealer types or reads on a file or a price (the CSV header, an encoding, a currency code,
# a file size), language names, and catalog ids used in examples.
ALLOWED = {"Baton", "CSV", "UTF", "Excel", "English", "zh", "en", "sku", "on_hand", "CNY", "MB",
           "UTC", "phones", "tablets"}  # fmt: skip
COMMAND = re.compile(r"/[a-z_]+")
SKU_LIKE = re.compile(r"\b[A-Z0-9]+(?:-[A-Z0-9]+)+\b")
WORD = re.compile(r"[A-Za-z][A-Za-z_]*[A-Za-z]")


def english_in(text: str, values: dict[str, object]) -> list[str]:
    """The Latin words of ``text`` that are neither values, commands, SKUs nor allowed."""
    for value in sorted((str(v) for v in values.values()), key=len, reverse=True):
        text = text.replace(value, " ")
    text = SKU_LIKE.sub(" ", COMMAND.sub(" ", text))
    return [word for word in WORD.findall(text) if word not in ALLOWED]


def test_every_chinese_text_rendered_has_no_english_in_it() -> None:
    leaks = {}
    for key, template in ZH.items():
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        values = {name: VALUES[name] for name in names}
        found = english_in(t("zh", key, **values), values)
        if found:
            leaks[key] = found
    assert not leaks, leaks


def test_the_check_finds_an_english_sentence() -> None:
    assert english_in("第 1 行：the header lacks: on_hand", {}) == ["the", "header", "lacks"]
    assert english_in("库存：/stock PX-1 5，商品 Phone X", {"name": "Phone X"}) == []
