"""Pickup codes: generation, normalisation, keyed salted hashes and the wrong-code lock."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.orders.domain.pickup import (
    MAX_WRONG,
    Accepted,
    Locked,
    PickupGuard,
    PickupKeyMismatch,
    Wrong,
    hash_code,
    key_id,
    new_code,
    new_salt,
    normalise,
    verify,
)

SALT = b"0123456789abcdef"
KEY = b"k" * 32
DIGEST = hash_code("042042", SALT, KEY)


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


def test_hashes_are_keyed_salted_and_verify_as_typed() -> None:
    assert DIGEST.startswith(f"hmac-sha256${key_id(KEY)}$")
    assert verify("042042", SALT, DIGEST, KEY)
    assert verify("０４２ ０４２", SALT, DIGEST, KEY)
    assert not verify("042043", SALT, DIGEST, KEY)
    assert not verify("042042", b"another salt....", DIGEST, KEY)
    assert not verify("nonsense", SALT, DIGEST, KEY)
    assert hash_code("042042", b"another salt....", KEY) != DIGEST


def test_the_hash_reveals_nothing_without_the_key() -> None:
    """Whoever has the table but not the key cannot try the million codes against it."""
    other = b"o" * 32
    assert hash_code("042042", SALT, other) != DIGEST
    assert DIGEST.split("$")[2] not in {
        hashlib.sha256(SALT + f"{n:06d}".encode()).hexdigest() for n in range(42_000, 42_100)
    }
    assert key_id(KEY) not in DIGEST.split("$")[2] and KEY.hex() not in DIGEST


def test_a_code_hashed_under_another_key_is_a_configuration_error_not_a_wrong_try() -> None:
    guard = PickupGuard(SALT, DIGEST, b"o" * 32)
    with pytest.raises(PickupKeyMismatch, match="BATON_PICKUP_KEY"):
        guard.check("042042")
    assert guard.wrong == 0


def test_codes_taken_before_keyed_hashes_still_verify() -> None:
    """An order hashed with scrypt (``scrypt$n$r$p$hex``) is checked as it was made."""
    n = 2**4
    old = hashlib.scrypt(b"042042", salt=SALT, n=n, r=8, p=1, dklen=32).hex()
    digest = f"scrypt${n}$8$1${old}"
    assert verify("042 042", SALT, digest, KEY)
    assert not verify("042043", SALT, digest, KEY)
    assert PickupGuard(SALT, digest, KEY).check("042042") == Accepted()


def test_bad_codes_bad_keys_and_bad_hashes_are_refused() -> None:
    with pytest.raises(ValueError, match="six digits"):
        hash_code("12345", SALT, KEY)
    with pytest.raises(ValueError, match="16 bytes"):
        hash_code("042042", SALT, b"short")
    with pytest.raises(ValueError, match="not a pickup code hash"):
        verify("042042", SALT, "md5$abc", KEY)


def test_the_right_code_is_accepted() -> None:
    guard = PickupGuard(SALT, DIGEST, KEY)
    assert guard.check("042 042") == Accepted()


def test_five_wrong_codes_lock_the_pickup_until_reset() -> None:
    guard = PickupGuard(SALT, DIGEST, KEY)
    results = [guard.check("111111") for _ in range(MAX_WRONG)]
    assert results == [Wrong(4), Wrong(3), Wrong(2), Wrong(1), Locked()]
    assert guard.locked and guard.check("042042") == Locked()
    guard.reset()
    assert guard.check("042042") == Accepted()


def test_malformed_input_is_not_counted() -> None:
    guard = PickupGuard(SALT, DIGEST, KEY)
    assert guard.check("order 17") == Wrong(MAX_WRONG, malformed=True)
    assert guard.check("12345") == Wrong(MAX_WRONG, malformed=True)
    assert guard.wrong == 0


@settings(max_examples=300)
@given(st.lists(st.text(max_size=20) | st.sampled_from(["042042", "０４２０４２"]), max_size=8))
def test_any_text_gets_a_result_never_an_exception(attempts: list[str]) -> None:
    guard = PickupGuard(SALT, DIGEST, KEY)
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
