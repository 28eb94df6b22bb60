"""The entries of each posting an order causes (pure: the handlers load and save).

- hold (accepted): the customer's payment is split; dealers' shares are ``held``;
- void (cancelled after acceptance): the hold, negated;
- handover: dealers' held shares move to ``pending``; cash on delivery also books the cash
  the fulfilling dealer collected as owed to HQ;
- release (return window over): pending moves to ``available``;
- return: each returned line's parts, reversed in proportion (``split.reversal``), from
  wherever the dealer's money now is; the refund goes back to the customer (or, for cash
  on delivery, comes off what the dealer owes HQ, since the dealer paid it out).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import cast

from services.settlement import accounts
from services.settlement.accounts import Share, State
from services.settlement.ledger import Entry, cash_entry, dealer_entry
from services.settlement.models import LedgerEntry
from services.settlement.split import LineSplit, Part, Sale, reversal
from shared.messages.settlement import SaleSnapshot

PartKey = tuple[Share, str | None, str | None]  # share, dealer, channel
RESIDUAL: PartKey = ("hq", None, None)


def sale_of(snapshot: SaleSnapshot) -> Sale:
    """The pure view of an event's snapshot."""
    return Sale(
        order_id=snapshot.order_id, channel=snapshot.channel, currency=snapshot.currency,
        payment=snapshot.payment, fulfilling_dealer_id=snapshot.fulfilling_dealer_id,
        originating_dealer_id=snapshot.originating_dealer_id,
        lines=tuple(snapshot.lines), fulfilled_by_hq=snapshot.fulfilled_by_hq,
    )  # fmt: skip


def _part_entry(part: Part, amount: int, state: State, sku: str) -> Entry:
    if part.dealer_id is not None:
        return dealer_entry(part.dealer_id, state, amount, part.share, sku)
    return Entry(part.account(state), amount, share=part.share, sku=sku)


def hold_entries(splits: Iterable[LineSplit]) -> list[Entry]:
    """The customer's payment, split line by line; dealers' parts held."""
    entries: list[Entry] = []
    for line in splits:
        entries.append(Entry(accounts.CUSTOMER, -line.paid, sku=line.sku))
        entries.extend(_part_entry(part, part.amount, "held", line.sku) for part in line.parts)
    return entries


def negated(entries: Iterable[LedgerEntry | Entry]) -> list[Entry]:
    """The same entries with their signs turned: a transaction that undoes another."""
    return [Entry(e.account, -e.amount, e.dealer_id, e.bucket, e.share, e.sku) for e in entries]


def moved(
    balances: Mapping[tuple[str, str | None], int], source: State, target: State
) -> list[Entry]:
    """Move each (dealer, kind) balance from one state to the next."""
    entries: list[Entry] = []
    for (dealer_id, share), amount in sorted(balances.items(), key=lambda kv: str(kv[0])):
        entries.append(dealer_entry(dealer_id, source, -amount, share))
        entries.append(dealer_entry(dealer_id, target, amount, share))
    return entries


def collected(sale: Sale) -> list[Entry]:
    """Cash on delivery: the fulfilling dealer took the customer's money and owes it to HQ."""
    if sale.payment != "cod" or sale.fulfilled_by_hq:
        return []
    return [
        cash_entry(sale.fulfilling_dealer_id, -sale.paid),
        Entry(accounts.CUSTOMER, sale.paid),
    ]


def posted_parts(hold: Iterable[LedgerEntry], channel: str) -> dict[str, dict[PartKey, int]]:
    """What the hold booked for each line, by part (the customer's side left out)."""
    parts: dict[str, dict[PartKey, int]] = {}
    for entry in hold:
        if entry.share is None or entry.sku is None:
            continue
        share = cast(Share, entry.share)
        key: PartKey = (share, entry.dealer_id, channel if share == "provider" else None)
        line = parts.setdefault(entry.sku, {})
        line[key] = line.get(key, 0) + entry.amount
    return parts


def returned_entries(
    sale: Sale,
    posted: Mapping[str, Mapping[PartKey, int]],
    returned_before: Mapping[str, int],
    returning: Mapping[str, int],
    state: State,
) -> list[Entry]:
    """Reverse the returned units' parts from ``state`` and refund the customer.

    Raises ValueError for a SKU not in the order or more units than are left to return.
    """
    lines = {line.sku: line for line in sale.lines}
    entries: list[Entry] = []
    for sku, qty in sorted(returning.items()):
        line = lines.get(sku)
        if line is None:
            raise ValueError(f"{sku} is not in order {sale.order_id}")
        back = reversal(
            posted.get(sku, {}), RESIDUAL, line.unit_price, line.qty,
            returned_before.get(sku, 0), qty,
        )  # fmt: skip
        for (share, dealer_id, channel), amount in back.items():
            part = Part(share, 0, dealer_id, channel)
            entries.append(_part_entry(part, -amount, state, sku))
        refund = line.unit_price * qty
        if sale.payment == "cod" and not sale.fulfilled_by_hq:
            entries.append(cash_entry(sale.fulfilling_dealer_id, refund))
        else:
            entries.append(Entry(accounts.CUSTOMER, refund, sku=sku))
    return entries
