"""CSV imports of the catalog: every bad line named, and a bad file changes nothing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from services.catalog.importer import apply_dealers, parse_dealers, parse_products
from services.catalog.models import Dealer
from shared.runtime import Runtime

PRODUCTS = """sku,name,category,currency,list_price,wholesale_price,floor_price,channel
PX-1,Phone X,phones,CNY,1999.00,1500.00,1799.00,both
PX-2,Phone Y,phones,CNY,12.345,1.00,1.00,web
PX-1,Dup,phones,CNY,1,1,1,both
bad id,Z,phones,CNY,1,1,1,both
"""

DEALERS = """\ufeffid,name,region,city,lat,lon,service_radius_km,capabilities,capacity,referral_code
cd-1,Chengdu,sichuan,Chengdu,30.65,104.06,30,pickup;delivery,40,CD-1
bj-1,Beijing,beijing,Beijing,39.90,116.40,25,pickup,30,
"""


def test_every_bad_product_line_is_named() -> None:
    parsed = parse_products(PRODUCTS)
    assert [sku for _, (sku, _) in parsed.rows] == ["PX-1"]
    messages = [str(e) for e in parsed.errors]
    assert "line 3: list_price: '12.345' has more than 2 decimals for CNY" in messages
    assert any(m.startswith("line 3: channel") for m in messages)
    assert "line 4: sku 'PX-1' is also on line 2" in messages
    assert any(m.startswith("line 5: 'bad id' is not an id") for m in messages)


def test_a_missing_column_is_one_header_error() -> None:
    parsed = parse_products("sku,name\nPX-1,Phone\n")
    assert parsed.rows == []
    assert [str(e) for e in parsed.errors] == [
        "line 1: the header lacks: category, currency, floor_price, list_price, wholesale_price"
    ]


@given(st.text(max_size=300))
@settings(max_examples=200)
def test_any_text_gives_rows_or_line_errors(text: str) -> None:
    for parse in (parse_products, parse_dealers):
        parsed = parse(text)
        assert all(error.line >= 1 for error in parsed.errors)


async def test_dealers_import_with_lists_and_bom(runtime: Runtime) -> None:
    parsed = parse_dealers(DEALERS)
    assert parsed.errors == []
    done: list[int] = []
    created, replaced = await apply_dealers(runtime, [r for _, r in parsed.rows], done.append)
    assert (created, replaced, done[-1]) == (2, 0, 2)
    async with runtime.db.read() as session:
        assert (await session.exec(select(func.count()).select_from(Dealer))).one() == 2
        chengdu = await session.get(Dealer, "cd-1")
    assert chengdu is not None
    assert chengdu.capabilities == ["delivery", "pickup"]
    assert chengdu.referral_code == "CD-1"
