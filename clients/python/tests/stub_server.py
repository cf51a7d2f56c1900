"""A scripted local HTTP server: a test double of the network only, for retry and error
mapping tests that need no Foley server. Each request pops the next scripted reply."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, List, Optional, Union


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: Dict[str, str] = field(default_factory=dict)
    #: Close the connection without answering (a network error for the client).
    drop: bool = False


def error_reply(status: int, code: str, message: str = "scripted", request_id: str = "req-stub",
                headers: Optional[Dict[str, str]] = None) -> Reply:
    body = json.dumps({"code": code, "message": message, "request_id": request_id}).encode()
    all_headers = {"Content-Type": "application/json", "X-Request-Id": request_id}
    all_headers.update(headers or {})
    return Reply(status, body, all_headers)


Script = Union[List[Reply], Callable[["Recorded"], Reply]]


@dataclass
class Recorded:
    method: str
    path: str
    headers: Dict[str, str]
    body: bytes


class StubServer:
    """``with StubServer(script) as stub: Client(base_url=stub.url)``. ``script`` is a list
    of replies served in order (the last one repeats) or a function of the request."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: List[Recorded] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(self.command, self.path, dict(self.headers.items()), body)
                reply = stub._next(recorded)
                if reply.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: object) -> None:  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _next(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            if callable(self.script):
                return self.script(recorded)
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def __enter__(self) -> "StubServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
