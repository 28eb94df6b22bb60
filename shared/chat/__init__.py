"""The chat layer: what services and bots share about chats, and no channel's own API.

Chat users and their roles, invitations, button tokens, the message catalogs (Chinese
and English), the chat outbox and its lanes, and the rendering helpers that put a notice,
an offer or a statement into a dealer's language. Services queue chat messages here;
``bots/`` holds the Telegram side (python-telegram-bot handlers, the sender's Bot API
calls, the emulator). A second chat channel would plug in beside ``bots/``.
"""
