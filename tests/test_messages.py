"""The envelope and the registry: typed on the way in, JSON on the wire."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.clock import FakeClock
from shared.messages import REGISTRY, BadMessage, Envelope
from shared.messages.system import HqAlertRaised


def test_an_envelope_round_trips_and_resolves_to_its_type() -> None:
    clock = FakeClock()
    alert = HqAlertRaised(kind="no_dealer", text="nobody can take order 7", subject_id="7")
    envelope = Envelope.wrap(alert, clock)
    decoded = Envelope.decode(envelope.encode())
    assert decoded == envelope
    assert decoded.time == clock.now()
    assert REGISTRY.resolve(decoded) == alert
    assert decoded.correlation_id == envelope.id
    assert decoded.causation_id is None


def test_a_caused_message_keeps_the_correlation() -> None:
    clock = FakeClock()
    first = Envelope.wrap(HqAlertRaised(kind="a", text="t"), clock)
    second = Envelope.wrap(HqAlertRaised(kind="b", text="t"), clock, caused_by=first)
    third = Envelope.wrap(HqAlertRaised(kind="c", text="t"), clock, caused_by=second)
    assert third.correlation_id == first.id
    assert third.causation_id == second.id


def test_a_name_and_version_register_once() -> None:
    with pytest.raises(ValueError, match="registered twice"):

        class Copy(HqAlertRaised):
            pass

        Copy.NAME = HqAlertRaised.NAME
        REGISTRY.add(Copy)


def test_naive_times_are_not_accepted_on_the_wire() -> None:
    envelope = Envelope.wrap(HqAlertRaised(kind="a", text="t"), FakeClock())
    naive = envelope.encode().replace("Z", "").replace("+00:00", "")
    with pytest.raises(BadMessage, match="timezone"):
        Envelope.decode(naive)


@given(st.one_of(st.binary(), st.text()))
def test_any_bytes_either_decode_or_raise_bad_message(raw: bytes | str) -> None:
    try:
        envelope = Envelope.decode(raw)
    except BadMessage:
        return
    with contextlib.suppress(BadMessage):
        REGISTRY.resolve(envelope)
