"""The bus benchmark runs every path end to end on the test Redis and database."""

from __future__ import annotations

import pytest
from sqlmodel import SQLModel, col, func, select

from benchmarks.bus import GROUP_PREFIX, OUT_STREAM, STREAM, run_bus_bench
from benchmarks.cli import main
from shared.bus.connection import connect
from shared.bus.streams import stream_key
from shared.db.engine import Database
from shared.db.models import InboxRow

N = 50


async def test_every_path_processes_every_message(
    redis_url: str, database_url: str, db: Database
) -> None:
    lines: list[str] = []
    report = await run_bus_bench(
        redis_url, database_url, messages=N, consumers=[1, 2], batch=8, progress=lines.append
    )

    paths = [(r.path, r.consumers) for r in report.results]
    assert paths == [
        ("raw Redis", "1"),
        ("raw Redis, pipelined", "1"),
        ("taskiq-redis", "1 process"),
        ("bus, message by message", "1"),
        ("bus", "1"),
        ("bus", "2 (1 process)"),
        ("bus", "2 (2 processes)"),
        ("outbox chain", "1 + relay + 1"),
        ("outbox relay only", "relay"),
    ]
    for result in report.results:
        assert result.messages == N, result
        assert result.processed == N, result
        assert result.rate > 0, result
    assert report.baseline is not None
    assert report.ratio(report.baseline) == pytest.approx(1.0)
    text = report.format()
    assert "× raw Redis" in text
    assert "bus, 1 consumer: " in text and "× taskiq-redis" in text
    assert "of pipelined streams" in text
    assert report.redis and report.database and report.python
    assert lines  # progress was reported

    # It cleans up after itself: no streams, no inbox marks of its groups.
    redis = connect(redis_url)
    try:
        assert not await redis.exists(stream_key(STREAM), stream_key(OUT_STREAM))
    finally:
        await redis.aclose()
    async with db.read() as session:
        statement = (
            select(func.count())
            .select_from(InboxRow)
            .where(col(InboxRow.consumer_group).like(f"{GROUP_PREFIX}%"))
        )
        assert (await session.exec(statement)).one() == 0


def test_the_bench_table_stays_out_of_the_schema() -> None:
    assert "bench_events" not in SQLModel.metadata.tables


def test_cli_prints_the_table(
    redis_url: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bus", "--messages", "20", "--consumers", "1", "--no-processes"]
    argv += ["--redis-url", redis_url, "--database-url", database_url]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "raw Redis" in out
    assert "1.00× raw Redis" in out
    assert "outbox chain" in out


def test_cli_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["bus", "--consumers", "0"])
    assert exit_.value.code == 2
    assert "--consumers" in capsys.readouterr().err
