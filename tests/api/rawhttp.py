"""A deliberately slow HTTP client on a raw socket: the body goes in pieces with pauses."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any

from yarl import URL

PAUSE_S = 0.02  # between pieces, so the server sees a body that has only partly arrived


@dataclass
class Answer:
    """A response as read off the socket."""

    status: int
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


async def send_slowly(
    url: str,
    path: str,
    pieces: list[bytes],
    *,
    headers: dict[str, str] | None = None,
    chunked: bool = False,
    method: str = "POST",
) -> Answer:
    """Send ``pieces`` as one body, each after a pause; with ``chunked``, no Content-Length.

    Stops sending once the server has answered (a 413 may come before the body ends).
    """
    target = URL(url)
    reader, writer = await asyncio.open_connection(target.host, target.port)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {target.host}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    else:
        lines.append(f"Content-Length: {sum(len(p) for p in pieces)}")
    answer = asyncio.create_task(reader.read())
    try:
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        with contextlib.suppress(ConnectionError):
            for piece in pieces:
                if answer.done():
                    break
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                await writer.drain()
                await asyncio.sleep(PAUSE_S)
            else:
                if chunked:
                    writer.write(b"0\r\n\r\n")
                    await writer.drain()
        async with asyncio.timeout(30):
            raw = await answer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        body = _unchunk(body)
    return Answer(status, body)


def _unchunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2 :]
    return bytes(out)


def split(body: bytes, parts: int) -> list[bytes]:
    """``body`` cut into ``parts`` pieces of about the same size."""
    step = -(-len(body) // parts)
    return [body[i : i + step] for i in range(0, len(body), step)]
