"""`baton import stock`: every bad line named; good files applied as counts, in chunks."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from sqlmodel import func, select

from baton.import_command import run_import
from services.catalog import importer as catalog
from services.stock import importer
from services.stock.importer import StockRow, apply_stock_rows, parse_stock_csv
from services.stock.models import StockLevel, StockReservation
from services.stock.view import availability
from shared.runtime import Runtime
from shared.settings import Settings
from tests.stock.conftest import reserve_now


def test_a_good_file_with_a_bom_gives_rows() -> None:
    parsed = parse_stock_csv("\ufeffsku,on_hand,dealer_id,note\r\nX, 5 ,d1,\r\n\r\nY,0,d1,x\r\n")
    assert parsed.errors == []
    assert parsed.rows == [(2, StockRow("d1", "X", 5)), (4, StockRow("d1", "Y", 0))]


def test_every_bad_line_is_named() -> None:
    text = (
        "dealer_id,sku,on_hand\n"
        "d1,X,1\n"
        "d1,Y,-2\n"
        "d1,Z,1.5\n"
        "d1,W,ten\n"
        ",X,1\n"
        "d1,,1\n"
        "d1,V\n"
        "d1,X,3\n"
        "d1,U,100000001\n"
        "d1,T,1,extra\n"
        f"d1,{'S' * 65},1\n"
        "d2,X,1\n"
    )
    parsed = parse_stock_csv(text)
    assert [row for _, row in parsed.rows] == [StockRow("d1", "X", 1), StockRow("d2", "X", 1)]
    assert [str(e) for e in parsed.errors] == [
        "line 3: on_hand -2 is negative",
        "line 4: on_hand '1.5' is not a whole number",
        "line 5: on_hand 'ten' is not a whole number",
        "line 6: dealer_id is empty",
        "line 7: sku is empty",
        "line 8: on_hand is empty",
        "line 9: dealer 'd1' sku 'X' is also on line 2",
        "line 10: on_hand 100000001 is over 100,000,000",
        "line 11: more values than the header has columns",
        "line 12: sku is longer than 64 characters",
    ]


def test_a_missing_column_is_one_header_error() -> None:
    parsed = parse_stock_csv("dealer,sku,qty\nd1,X,1\n")
    assert parsed.rows == []
    assert [str(e) for e in parsed.errors] == ["line 1: the header lacks: dealer_id, on_hand"]


def test_an_empty_file_says_what_header_it_wants() -> None:
    assert [str(e) for e in parse_stock_csv("").errors] == [
        "line 1: the header lacks: dealer_id, on_hand, sku"
    ]


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_any_text_gives_rows_or_line_errors_never_an_exception(text: str) -> None:
    parsed = parse_stock_csv(text)
    assert all(error.line >= 1 for error in parsed.errors)
    assert all(row.on_hand >= 0 for _, row in parsed.rows)


cell = st.text(alphabet=st.characters(blacklist_characters=',"\r\n'), max_size=8)


@given(st.lists(st.lists(cell, max_size=4), max_size=12))
@settings(max_examples=200)
def test_each_line_under_the_right_header_is_a_row_or_an_error(cells: list[list[str]]) -> None:
    lines = [",".join(row) for row in cells]
    parsed = parse_stock_csv("\n".join(["dealer_id,sku,on_hand", *lines]))
    named = sorted([line for line, _ in parsed.rows] + [e.line for e in parsed.errors])
    assert named == [n for n, text in enumerate(lines, start=2) if text]


async def test_rows_are_applied_in_chunks_as_counts(
    runtime: Runtime, redis: Redis, monkeypatch
) -> None:
    monkeypatch.setattr(importer, "CHUNK", 3)
    rows = [StockRow(f"d{i % 2}", f"S{i}", i) for i in range(7)]
    done: list[int] = []
    assert await apply_stock_rows(runtime, rows, done.append) == (7, 0)
    assert done == [3, 6, 7]
    view = await availability(redis, ["d0", "d1"], ["S0", "S1", "S6"])
    assert view == {"d0": {"S0": 0, "S1": 0, "S6": 6}, "d1": {"S0": 0, "S1": 1, "S6": 0}}
    assert await apply_stock_rows(runtime, rows[:2]) == (0, 2)  # again: the same counts


async def test_an_imported_count_below_reserved_releases_the_reservation(
    runtime: Runtime,
) -> None:
    await apply_stock_rows(runtime, [StockRow("d1", "X", 2)])
    await reserve_now(runtime.db, runtime.redis, runtime.clock, "r1", "d1", X=2)
    await apply_stock_rows(runtime, [StockRow("d1", "X", 1)])
    async with runtime.db.read() as session:
        level = await session.get(StockLevel, ("d1", "X"))
        reservation = await session.get(StockReservation, "r1")
    assert level is not None and (level.on_hand, level.reserved) == (1, 0)
    assert reservation is not None and reservation.reason == "stock_reported_short"


async def test_the_import_refuses_dealers_and_skus_the_catalog_does_not_know(
    runtime: Runtime, settings: Settings, tmp_path: Path, capsys
) -> None:
    dealers = catalog.parse_dealers(
        "id,name,region,city,lat,lon,service_radius_km\nd1,One,sichuan,Chengdu,30.6,104.0,30\n"
    )
    products = catalog.parse_products(
        "sku,name,category,currency,list_price,wholesale_price,floor_price\n"
        "X,Phone X,phones,CNY,1999.00,1500.00,1799.00\n"
    )
    await catalog.apply_dealers(runtime, [row for _, row in dealers.rows], lambda _: None)
    await catalog.apply_products(runtime, [row for _, row in products.rows], lambda _: None)
    path = tmp_path / "stock.csv"
    path.write_text("dealer_id,sku,on_hand\nd1,X,5\nghost,X,1\nd1,NOPE,2\n")

    assert await run_import(settings, "stock", path, skip_bad=False) == 1
    said = capsys.readouterr().err
    assert "line 3: no dealer 'ghost' (import dealers first)" in said
    assert "line 4: no product 'NOPE' in the catalog" in said
    assert "Nothing was imported" in said and "import the 1 good line(s)" in said
    async with runtime.db.read() as session:
        assert (await session.exec(select(func.count()).select_from(StockLevel))).one() == 0

    assert await run_import(settings, "stock", path, skip_bad=True) == 0
    assert "Imported 1 stock levels: 1 new, 0 replaced, 2 bad line(s) skipped." in (
        capsys.readouterr().out
    )
    async with runtime.db.read() as session:
        levels = (await session.exec(select(StockLevel))).all()
    assert [(level.dealer_id, level.sku, level.on_hand) for level in levels] == [("d1", "X", 5)]
