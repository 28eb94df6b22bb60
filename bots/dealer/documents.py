"""A CSV file uploaded in chat reports many counts at once: `sku,on_hand` per line."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bots.dealer.context import chat_of
from bots.dealer.handlers import allowed, reply, report_counts
from services.imports import LineError, csv_records, report

MAX_BYTES = 1024 * 1024


def csv_to_lines(text: str) -> tuple[str, list[LineError]]:
    """The file as `SKU QTY` lines for the stock parser, or the header and line errors."""
    records, errors = csv_records(text, {"sku", "on_hand"})
    lines = []
    for record in records:
        if isinstance(record, LineError):
            errors.append(record)
        else:
            lines.append(f"{record['sku']} {record['on_hand']}")
    return "\n".join(lines), errors


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Read an uploaded CSV of counts; a bad file changes nothing and says which line."""
    chat = await chat_of(update, context)
    message = update.effective_message
    if chat is None or message is None or message.document is None:
        return
    if not await allowed(update, chat, "stock"):
        return
    if (message.document.file_size or 0) > MAX_BYTES:
        await reply(update, chat.text("stock.file_too_big"))
        return
    data = await (await message.document.get_file()).download_as_bytearray()
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError:
        await reply(update, chat.text("stock.file_bad", errors="not UTF-8 text"))
        return
    lines, errors = csv_to_lines(text)
    if errors:
        await reply(update, chat.text("stock.file_bad", errors=report(errors, limit=5)))
        return
    await report_counts(update, chat, lines)
