"""Pickup codes in transit: sealed for one order under the pickup key, opened only so."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.sealed import SealError, open_sealed, seal

KEY = b"k" * 32


@given(code=st.text(max_size=64), order_id=st.from_regex(r"o_[0-9a-f]{20}", fullmatch=True))
def test_a_sealed_code_opens_to_what_was_typed(code: str, order_id: str) -> None:
    sealed = seal(code, order_id, KEY)
    assert open_sealed(sealed, order_id, KEY) == code
    assert sealed.startswith("v1.") and len(sealed) <= 200  # fits ConfirmPickup.sealed_code


def test_a_sealed_code_hides_the_code_and_differs_each_time() -> None:
    first, second = seal("123456", "o_1", KEY), seal("123456", "o_1", KEY)
    assert first != second and "123456" not in first


@pytest.mark.parametrize(
    ("order_id", "key", "tamper"),
    [
        ("o_2", KEY, False),  # sealed for another order: not replayable there
        ("o_1", b"x" * 32, False),  # another BATON_PICKUP_KEY
        ("o_1", KEY, True),  # altered on the way
    ],
)
def test_a_sealed_code_opens_only_for_its_order_under_its_key(
    order_id: str, key: bytes, tamper: bool
) -> None:
    sealed = seal("123456", "o_1", KEY)
    if tamper:
        sealed = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SealError, match="BATON_PICKUP_KEY"):
        open_sealed(sealed, order_id, key)
    with pytest.raises(SealError):
        open_sealed("123456", "o_1", KEY)  # a code in clear is not a sealed one
