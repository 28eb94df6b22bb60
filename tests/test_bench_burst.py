"""The burst benchmark runs end to end, tiny: Baton's processes, the bot, the emulator."""

from __future__ import annotations

import pytest

from benchmarks.burst import run_burst_bench
from benchmarks.orders import ONE_PROCESS


@pytest.mark.timeout(300)
async def test_burst_puts_every_offer_in_its_dealers_chat(
    redis_url: str, database_url: str
) -> None:
    lines: list[str] = []
    report = await run_burst_bench(
        redis_url, database_url, orders=12, clients=4, dealers=6, progress=lines.append
    )

    assert report.accepted == 12 and not report.refused
    assert report.offers_in_chats == 12  # each in the chat of a dealer it was offered to
    assert report.count_429 == 0  # the sender keeps to Telegram's limits
    assert report.busiest_chat >= 2  # 12 orders, 7 dealers
    assert report.floor_s >= 12 / report.bot_limit
    assert set(report.cpu_by_process) == {f"{ONE_PROCESS}-1", "bot-1"}
    assert all(seconds > 0 for seconds in report.cpu_by_process.values())
    text = report.format()
    assert "POSTs answered 201            12/12 (refused or failed: none)" in text
    assert "Telegram's pacing (baseline)" in text
    assert "429s from the emulator        0" in text
    assert any("offers in their chats after" in line for line in lines)
