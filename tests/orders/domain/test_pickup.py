"""Pickup codes: generation, normalisation, salted hashes and the wrong-code lock."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.orders.domain.pickup import (
    MAX_WRONG,
    SCRYPT_N,
    Accepted,
    Locked,
    PickupGuard,
    Wrong,
    hash_code,
    new_code,
    new_salt,
    normalise,
    verify,
)

FAST = 2**4  # a cheap scrypt cost, so tests stay fast; production uses SCRYPT_N
SALT = b"0123456789abcdef"
DIGEST = hash_code("042042", SALT, n=FAST)


def test_codes_are_six_digits_with_leading_zeros_from_the_given_rng() -> None:
    codes = [new_code(random.Random(seed)) for seed in range(300)]
    assert all(len(c) == 6 and c.isascii() and c.isdigit() for c in codes)
    assert any(c.startswith("0") for c in codes)
    assert new_code(random.Random(7)) == new_code(random.Random(7))
    assert len(set(codes)) > 290


def test_salts_come_from_the_given_rng() -> None:
    assert len(new_salt(random.Random(1))) == 16
    assert new_salt(random.Random(1)) == new_salt(random.Random(1))
    assert new_salt(random.Random(1)) != new_salt(random.Random(2))


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("042042", "042042"),
        (" 042 042\n", "042042"),
        ("０４２０４２", "042042"),  # full-width, as a Chinese keyboard types it
        ("０４２　０４２", "042042"),  # with an ideographic space
        ("042-042", "042042"),
        ("٠٤٢٠٤٢", "042042"),  # Arabic-Indic digits
        ("04204", None),
        ("0420421", None),
        ("04204a", None),
        ("", None),
        ("一二三四五六", None),
        ("0" * 100, None),
    ],
)
def test_typed_codes_are_normalised(typed: str, code: str | None) -> None:
    assert normalise(typed) == code


def test_hashes_are_salted_and_verify_as_typed() -> None:
    assert DIGEST.startswith(f"scrypt${FAST}$8$1$")
    assert verify("042042", SALT, DIGEST)
    assert verify("０４２ ０４２", SALT, DIGEST)
    assert not verify("042043", SALT, DIGEST)
    assert not verify("042042", b"another salt....", DIGEST)
    assert not verify("nonsense", SALT, DIGEST)
    assert hash_code("042042", b"another salt....", n=FAST) != DIGEST


def test_the_default_cost_is_the_slow_one() -> None:
    digest = hash_code("000001", SALT)
    assert digest.startswith(f"scrypt${SCRYPT_N}$") and verify("000001", SALT, digest)


def test_bad_codes_and_bad_hashes_are_refused() -> None:
    with pytest.raises(ValueError, match="six digits"):
        hash_code("12345", SALT, n=FAST)
    with pytest.raises(ValueError, match="not a pickup code hash"):
        verify("042042", SALT, "md5$abc")


def test_the_right_code_is_accepted() -> None:
    guard = PickupGuard(SALT, DIGEST)
    assert guard.check("042 042") == Accepted()


def test_five_wrong_codes_lock_the_pickup_until_reset() -> None:
    guard = PickupGuard(SALT, DIGEST)
    results = [guard.check("111111") for _ in range(MAX_WRONG)]
    assert results == [Wrong(4), Wrong(3), Wrong(2), Wrong(1), Locked()]
    assert guard.locked and guard.check("042042") == Locked()
    guard.reset()
    assert guard.check("042042") == Accepted()


def test_malformed_input_is_not_counted() -> None:
    guard = PickupGuard(SALT, DIGEST)
    assert guard.check("order 17") == Wrong(MAX_WRONG, malformed=True)
    assert guard.check("12345") == Wrong(MAX_WRONG, malformed=True)
    assert guard.wrong == 0


@settings(max_examples=300)
@given(st.lists(st.text(max_size=20) | st.sampled_from(["042042", "０４２０４２"]), max_size=8))
def test_any_text_gets_a_result_never_an_exception(attempts: list[str]) -> None:
    guard = PickupGuard(SALT, DIGEST)
    for text in attempts:
        before = guard.wrong
        result = guard.check(text)
        assert isinstance(result, Accepted | Wrong | Locked)
        if isinstance(result, Accepted):
            assert normalise(text) == "042042" and guard.wrong == before
        assert guard.wrong <= MAX_WRONG


@given(st.randoms(use_true_random=False))
def test_every_new_code_normalises_to_itself(rng: random.Random) -> None:
    code = new_code(rng)
    assert normalise(code) == code
