"""``baton bench sender`` runs end to end with small numbers and cleans up after itself."""

from __future__ import annotations

import asyncio

import pytest

from benchmarks.sender import main
from shared.db.engine import Database
from tests.sender.support import states


def test_the_bench_reports_both_figures_against_the_limit(
    redis_url: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--messages", "40", "--backlog", "60", "--offers", "1"]
    assert main([*argv, "--redis-url", redis_url, "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    assert "40 messages to 8 chats" in out and "× the limit" in out
    assert "behind a 60-message broadcast" in out and "429s: 0" in out

    async def left() -> dict[str, int]:
        db = Database(database_url)
        try:
            return dict(await states(db))
        finally:
            await db.dispose()

    assert asyncio.run(left()) == {}  # its rows are gone
