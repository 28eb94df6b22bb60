"""The scheduler alone, on a clock the test moves: priorities, order, buckets, holds, edits."""

from __future__ import annotations

import pytest

from bots.sender.limits import SenderLimits, SlidingWindow
from bots.sender.schedule import Item, Scheduler

LIMITS = SenderLimits(bot_per_second=10, bot_burst=4, private_per_second=1, private_burst=2)
A, B, GROUP = 101, 102, -5001


def item(key: str, chat: int, lane: int, seq: int, **kw: object) -> Item:
    method = "editMessageText" if kw.get("refers_to") else "sendMessage"
    return Item(key, chat, lane, seq, method, **kw)


def drain(sched: Scheduler, now: float) -> list[str]:
    """Take whatever may go now, answering each as sent at once."""
    taken = []
    while (found := sched.take(now)) is not None:
        taken.append(found.key)
        sched.sent(found.key, len(taken), now)
    return taken


def test_the_best_lane_goes_first_whatever_the_backlog() -> None:
    sched = Scheduler(LIMITS, 0.0)
    sched.add([item(f"b{i}", A + i, 3, i) for i in range(50)], 0.0)
    sched.add([item("offer", B + 100, 0, 99)], 0.0)
    assert sched.take(0.0).key == "offer"
    assert sched.depth[3] == 50 and sched.depth[0] == 1


def test_a_chat_sends_one_at_a_time_in_order_and_a_higher_lane_overtakes() -> None:
    sched = Scheduler(LIMITS, 0.0)
    sched.add([item("a1", A, 3, 1), item("a2", A, 3, 2), item("b1", B, 3, 3)], 0.0)
    first = sched.take(0.0)
    assert first is not None and first.key == "a1"
    assert sched.take(0.0).key == "b1"  # a2 waits for a1's answer
    assert sched.take(0.0) is None
    sched.add([item("urgent", A, 0, 4)], 0.0)
    sched.sent("a1", 1, 0.0)
    assert sched.take(0.0).key == "urgent"


def test_buckets_pace_each_chat_and_the_bot() -> None:
    sched = Scheduler(LIMITS, 0.0)
    sched.add([item(f"a{i}", A, 3, i) for i in range(4)], 0.0)
    assert drain(sched, 0.0) == ["a0", "a1"]  # a private chat's burst of 2
    assert sched.next_wake(0.0) == pytest.approx(1.0)
    assert drain(sched, 1.0) == ["a2"]
    sched.add([item(f"c{i}", 1000 + i, 3, 10 + i) for i in range(10)], 1.0)
    # The bot's bucket (4, at 10/s) was full again at 1 s, and a2 took one of them.
    assert len(drain(sched, 1.0)) == 3
    assert sched.next_wake(1.0) == pytest.approx(0.1)


def test_a_429_holds_its_chat_or_the_whole_bot() -> None:
    sched = Scheduler(LIMITS, 0.0)
    sched.add([item("a", A, 0, 1), item("b", B, 3, 2)], 0.0)
    refused = sched.take(0.0)
    assert refused is not None and refused.key == "a"
    sched.hold("a", 5.0, 0.0, everyone=False)
    assert drain(sched, 0.0) == ["b"]
    assert drain(sched, 4.9) == []
    sched.add([item("b2", B, 3, 3)], 4.9)
    sched.hold("nothing", 9.0, 4.9, everyone=True)
    assert drain(sched, 8.9) == []
    assert drain(sched, 9.0) == ["a", "b2"]


def test_a_retry_waits_but_does_not_block_other_lanes_of_its_chat() -> None:
    sched = Scheduler(SenderLimits(private_burst=10), 0.0)
    sched.add([item("x", A, 3, 1), item("y", A, 3, 2)], 0.0)
    assert sched.take(0.0).key == "x"
    sched.retry("x", 2.0, 0.0)
    assert drain(sched, 0.0) == []  # y stays behind x
    sched.add([item("prompt", A, 1, 3)], 0.5)
    assert drain(sched, 0.5) == ["prompt"]
    assert sched.next_wake(0.5) == pytest.approx(1.5)
    assert drain(sched, 2.0) == ["x", "y"]


def test_an_edit_waits_for_its_original_and_learns_its_message_id() -> None:
    sched = Scheduler(SenderLimits(private_burst=10), 0.0)
    sched.add([item("edit", A, 0, 2, refers_to="orig"), item("orig", A, 3, 1)], 0.0)
    original = sched.take(0.0)
    assert original is not None and original.key == "orig"
    sched.sent("orig", 77, 0.0)
    edit = sched.take(0.0)
    assert edit is not None and (edit.key, edit.target_id) == ("edit", 77)


def test_the_edits_of_a_message_given_up_on_go_with_it() -> None:
    sched = Scheduler(LIMITS, 0.0)
    sched.add([item("o", A, 3, 1), item("e1", A, 0, 2, refers_to="o")], 0.0)
    sched.add([item("e2", A, 0, 3, refers_to="e1"), item("other", B, 3, 4)], 0.0)
    assert sched.dependents(["o"]) == ["e1", "e2"]
    sched.drop(["o", "e1", "e2"], 0.0)
    assert set(sched.items) == {"other"} and sched.chat_keys(A) == []


def test_a_group_gets_twenty_a_window() -> None:
    window = SlidingWindow(20, 62.0)
    for second in range(20):
        assert window.wait(float(second)) == 0
        window.take(float(second))
    assert window.wait(20.0) == pytest.approx(42.0)  # the first send leaves at 62
    sched = Scheduler(SenderLimits(bot_burst=30), 0.0)
    sched.add([item(f"g{i}", GROUP, 3, i) for i in range(25)], 0.0)
    assert len(drain(sched, 0.0)) == 20
    assert drain(sched, 61.9) == []
    assert len(drain(sched, 62.0)) == 5


def test_below_lane_takes_only_the_more_urgent_messages() -> None:
    sched = Scheduler(LIMITS, 0.0)
    sched.add([item(f"b{i}", 1000 + i, 3, i) for i in range(3)], 0.0)
    assert sched.next_lane(0.0) == 3
    assert sched.take(0.0, below_lane=3) is None  # the bulk lane is full: nothing to take
    sched.add([item("prompt", B, 1, 10)], 0.0)
    taken = sched.take(0.0, below_lane=3)
    assert taken is not None and taken.key == "prompt"
    assert sched.take(0.0, below_lane=3) is None
    assert sched.take(0.0) is not None  # without the cap, the broadcast goes on
