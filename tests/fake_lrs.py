"""A fake LRS for tests: a real HTTP server on a loopback socket, in a thread, that keeps the
statements PUT to `/xapi/statements?statementId=...` with their headers and answers as told
(a script of status codes, then 204), so a test sees what went over the wire."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    method: str
    path: str
    statement_id: str | None
    headers: dict[str, str]
    body: dict[str, Any]
    status: int

    @property
    def basic_credentials(self) -> tuple[str, str] | None:
        scheme, _, encoded = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user, password


@dataclass
class FakeLrs:
    url: str = ""
    # Status codes to answer with, one per request, before answering 204 to the rest.
    script: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    @property
    def stored(self) -> dict[str, dict[str, Any]]:
        """Statements the LRS accepted, by id."""
        return {
            r.statement_id: r.body
            for r in self.received
            if r.status in (200, 204) and r.statement_id
        }


@contextmanager
def running_lrs() -> Iterator[FakeLrs]:
    lrs = FakeLrs()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            with lock:
                status = lrs.script.pop(0) if lrs.script else 204
                query = parse_qs(urlsplit(self.path).query)
                lrs.received.append(
                    Received(
                        method="PUT",
                        path=urlsplit(self.path).path,
                        statement_id=(query.get("statementId") or [None])[0],
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=json.loads(raw or b"{}"),
                        status=status,
                    )
                )
            answer = b"" if status == 204 else json.dumps({"status": status}).encode()
            self.send_response(status)
            self.send_header("X-Experience-API-Version", "1.0.3")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    lrs.url = f"http://127.0.0.1:{server.server_address[1]}/xapi/"
    try:
        yield lrs
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
