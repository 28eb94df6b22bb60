"""Delivers status webhooks to the shop: HMAC-SHA256 signed, retried, never in the order's way.

Order handlers only insert delivery rows (in their own transaction, via the consumer in
``handlers.py``); this loop does the network I/O afterwards, so a slow or dead shop never
holds up an order.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import timedelta

import aiohttp
from sqlmodel import col, select

from services.webhooks.models import WebhookDelivery
from shared.clock import Clock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from shared.loops import poll
from shared.messages.system import HqAlertRaised

SIGNATURE_HEADER = "X-Baton-Signature"
EVENT_HEADER = "X-Baton-Event-Id"
MAX_ATTEMPTS = 12
MAX_BACKOFF = timedelta(hours=1)


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=<hex HMAC>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 5 s doubling, at most an hour."""
    return min(timedelta(seconds=5 * 2 ** (attempts - 1)), MAX_BACKOFF)


class WebhookSender:
    """Sends due deliveries; one POST at a time per delivery, several deliveries at once."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        http: aiohttp.ClientSession,
        secret: str,
        *,
        batch: int = 50,
        timeout_s: float = 10.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.http = http
        self.secret = secret
        self.batch = batch
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.delivered = 0

    async def send_due(self) -> int:
        """Attempt every delivery that is due; returns how many were attempted."""
        now = self.clock.now()
        async with self.db.read() as session:
            due = (
                await session.exec(
                    select(WebhookDelivery)
                    .where(
                        col(WebhookDelivery.delivered_at).is_(None),
                        col(WebhookDelivery.failed).is_(False),
                        col(WebhookDelivery.next_attempt_at) <= now,
                    )
                    .order_by(col(WebhookDelivery.next_attempt_at))
                    .limit(self.batch)
                )
            ).all()
        results = await asyncio.gather(*(self._post(d) for d in due))
        for delivery, error in zip(due, results, strict=True):
            await self._record(delivery.id, error)
        return len(due)

    async def _post(self, delivery: WebhookDelivery) -> str | None:
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, body),
            EVENT_HEADER: delivery.id,
        }
        try:
            async with self.http.post(
                delivery.url, data=body, headers=headers, timeout=self.timeout
            ) as response:
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}"[:500]

    async def _record(self, delivery_id: str, error: str | None) -> None:
        async with unit_of_work(self.db, self.clock) as uow:
            delivery = await uow.session.get(WebhookDelivery, delivery_id, with_for_update=True)
            if delivery is None or delivery.delivered_at is not None:
                return
            now = self.clock.now()
            delivery.attempts += 1
            if error is None:
                delivery.delivered_at = now
                self.delivered += 1
            else:
                delivery.last_error = error
                if delivery.attempts >= MAX_ATTEMPTS:
                    delivery.failed = True
                    uow.emit(
                        HqAlertRaised(
                            kind="webhook_failed",
                            text=f"the shop did not accept webhook {delivery.id}: {error}",
                            subject_id=delivery.id,
                        )
                    )
                else:
                    delivery.next_attempt_at = now + backoff(delivery.attempts)
            uow.session.add(delivery)

    async def run(self, stop: asyncio.Event, poll_ms: int = 1000) -> None:
        """Send due deliveries until ``stop``."""
        await poll(stop, self.send_due, batch=self.batch, every_ms=poll_ms)
