"""Message catalogs: every text a dealer reads, in Chinese and English."""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"

CATALOGS: dict[str, dict[str, str]] = {
    "en": {
        "start.welcome": (
            "Welcome to Baton, {name}. Online orders from the brand come here for you to "
            "accept and hand over, and your earnings are one message away."
        ),
        "start.no_code": (
            "To link this chat to your store, open the invitation link HQ sent you, "
            "or type /start followed by your invitation code."
        ),
        "help.title": "What you can do here:",
        "help.start": "/start CODE: link this chat to your store",
        "help.help": "/help: this list",
        "unknown": "I did not understand that. Type /help to see what you can do.",
    },
    "zh": {
        "start.welcome": (
            "欢迎使用 Baton，{name}。品牌的线上订单会发送到这里，由您接单并交付；"
            "收益随时发消息即可查询。"
        ),
        "start.no_code": (
            "要把此聊天绑定到您的门店，请打开总部发给您的邀请链接，或输入 /start 加邀请码。"
        ),
        "help.title": "您可以在这里：",
        "help.start": "/start 邀请码：把此聊天绑定到您的门店",
        "help.help": "/help：显示本列表",
        "unknown": "没看懂这条消息。输入 /help 查看可用的操作。",
    },
}


def language_of(code: str | None) -> str:
    """The catalog for a Telegram ``language_code``: Chinese for any zh variant, else English."""
    if code and code.lower().startswith("zh"):
        return "zh"
    return DEFAULT_LANGUAGE


def t(language: str, key: str, **values: object) -> str:
    """The text ``key`` in ``language``, filled with ``values``."""
    catalog = CATALOGS.get(language, CATALOGS[DEFAULT_LANGUAGE])
    return catalog[key].format(**values)
