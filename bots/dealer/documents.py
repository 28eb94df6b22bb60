"""A CSV file uploaded in chat reports many counts at once: a header ``sku,on_hand``, then
one product a line.

Lines are numbered as a spreadsheet numbers its rows: the header is line 1, so the first
product is line 2 (typed ``/stock`` lines are numbered from the line the command is on).
A file from a Chinese Excel is often GB18030 rather than UTF-8: both are read.
"""

from __future__ import annotations

from telegram import Update

from bots.dealer.context import BotContext, BoundChat, Chat, reply
from bots.dealer.guard import command
from bots.dealer.handlers import report_counts
from bots.dealer.parsing import StockReport, check_counts
from shared.imports import LineError, csv_records

MAX_BYTES = 1024 * 1024
COLUMNS = ("sku", "on_hand")
SHOWN_ERRORS = 5
ENCODINGS = ("utf-8-sig", "gb18030")  # Excel saves CSV as UTF-8, or in the system's (GBK)


def decode(data: bytes) -> str | None:
    """The file's text, or None if it is not text in any encoding dealers' tools write."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def read_counts(text: str) -> StockReport | list[LineError]:
    """The counts in a CSV text, checked like typed ones; or the errors of its lines."""
    records, errors = csv_records(text, set(COLUMNS))
    rows = []
    for record in records:
        if isinstance(record, LineError):
            errors.append(record)
        else:
            rows.append((int(record["__line__"]), record["sku"], record["on_hand"]))
    return errors if errors else check_counts(rows)


def errors_text(chat: Chat, errors: list[LineError]) -> str:
    """The first few errors of a file in the user's language, and the format it should have."""
    lines = [
        chat.text(f"csv.{e.code}" if e.code else "csv.other", line=e.line, **e.values)
        for e in errors[:SHOWN_ERRORS]
    ]
    if len(errors) > SHOWN_ERRORS:
        lines.append(chat.text("csv.more", count=len(errors) - SHOWN_ERRORS))
    return chat.text(
        "stock.file_bad", errors="\n".join(lines), format=chat.text("stock.file_format")
    )


@command("stock")
async def on_document(update: Update, context: BotContext, chat: BoundChat) -> None:
    """Read an uploaded CSV of counts; a bad file changes nothing and says which line."""
    message = update.effective_message
    if message is None or message.document is None:  # the handler's filter lets files only
        return
    if (message.document.file_size or 0) > MAX_BYTES:
        await reply(update, chat.text("stock.file_too_big"))
        return
    data = await (await message.document.get_file()).download_as_bytearray()
    text = decode(bytes(data))
    if text is None:
        await reply(update, chat.text("stock.file_not_text", format=chat.text("stock.file_format")))
        return
    found = read_counts(text)
    if isinstance(found, list):
        await reply(update, errors_text(chat, found))
        return
    await report_counts(update, chat, found)
