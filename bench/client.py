"""A minimal asyncio HTTP/1.1 client for the load driver.

httpx costs more CPU per request than a Django view on this 2-core machine, and the driver
shares the cores with the server, so the hot loop uses this instead: one connection per
virtual user, kept alive while the server allows it (gunicorn's sync workers close after
each response, gthread workers keep it). It only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Connection:
    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        if host not in ("127.0.0.1", "localhost"):
            raise ValueError("the load driver only talks to 127.0.0.1")
        self.host, self.port, self.timeout = host, port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        form: str | None = None,
        timeout: float | None = None,
    ) -> Response:
        return await asyncio.wait_for(self._request(method, path, token, body, form), timeout or self.timeout)

    async def _request(self, method: str, path: str, token: str | None, body: Any, form: str | None) -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        payload = b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept: application/json"]
        if token:
            head.append(f"Authorization: Bearer {token}")
        if body is not None:
            payload = json.dumps(body).encode()
            head.append("Content-Type: application/json")
        elif form is not None:
            payload = form.encode()
            head.append("Content-Type: application/x-www-form-urlencoded")
        if payload or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(payload)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        headers: dict[bytes, bytes] = {}
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if b"content-length" in headers:
            data = await self.reader.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            data = b"".join(chunks)
        else:
            data = await self.reader.read()
            headers[b"connection"] = b"close"
        if headers.get(b"connection", b"").lower() == b"close" or status_line.startswith(b"HTTP/1.0"):
            await self.close()
        return Response(status, data)
