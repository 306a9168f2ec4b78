"""A small threaded HTTP(S) server for a Receiver on the standard library (the demo server uses it).

Bounded against slow or hostile clients: a socket timeout per connection, http.server's limits on header lines
and count, a body never read beyond MAX_BODY_BYTES + 1 (chunked bodies included), and no draining of a body it
refused: the connection is closed instead.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .http_glue import DEFAULT_BASE_PATH, HttpResponse, handle_request, to_http
from .receiver import Receiver, refusal_answer

_SOCKET_TIMEOUT_SECONDS = 10
_MAX_CHUNK_LINE = 64
_LINGER_SECONDS = 1.0
_LINGER_MAX_BYTES = 4 * 1024 * 1024
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,8}")


class _BadBody(Exception):
    pass


class ReceiverHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    max_connections = 256  # concurrent connections (one thread each); more are closed at once

    def __init__(
        self, address: tuple[str, int], receiver: Receiver, base_path: str = DEFAULT_BASE_PATH, tls: ssl.SSLContext | None = None
    ) -> None:
        self.receiver = receiver
        self.base_path = base_path
        self.tls = tls
        self._slots = threading.BoundedSemaphore(self.max_connections)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, object]:
        connection, address = super().get_request()
        if self.tls is not None:
            # Handshake in the handler thread (first read), so one slow client cannot block the accept loop.
            connection = self.tls.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
        return connection, address

    def process_request(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        # One thread per connection, but never more than max_connections: beyond that a connection is closed at
        # once rather than letting slow clients pile up threads (each is also bounded by the socket timeout).
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that went away is normal; anything else is one line on stderr, the exception type only
        (its message could quote the input), never a traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            return
        sys.stderr.write(f"error [INTERNAL]: a connection failed: {type(error).__name__}\n")

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def serve_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="custodian-receiver", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: ReceiverHttpServer
    protocol_version = "HTTP/1.1"
    timeout = _SOCKET_TIMEOUT_SECONDS

    def version_string(self) -> str:
        return "custodian-receiver"

    def setup(self) -> None:
        super().setup()
        # Answers are written as headers then body; without this, Nagle's algorithm and the peer's delayed ACK
        # add ~40 ms to every answer on a kept-alive connection.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        pass  # stdout/stderr carry only the demo's JSON lines; request lines are not needed there

    def _dispatch(self) -> None:
        try:
            response = self._answer()
        except (_BadBody, ValueError):
            response = to_http(refusal_answer("BAD_REQUEST"), close=True)
        except OSError:
            self.close_connection = True
            return
        self._send(response)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    def _answer(self) -> HttpResponse:
        declared = self.headers.get("Content-Length")
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        content_length: int | None = None
        if declared is not None and not chunked:
            if not declared.strip().isdigit():
                raise _BadBody()
            content_length = int(declared)
        body: _Body = _ChunkedBody(self) if chunked else _LengthBody(self, content_length or 0)
        response = handle_request(
            self.server.receiver,
            method=self.command,
            path=self.path,
            content_type=self.headers.get("Content-Type"),
            content_length=content_length,
            read=body.read,
            base_path=self.server.base_path,
        )
        if response.close_connection or not body.finished:
            # A body left unread must not be parsed as the next request: close instead of reading it all.
            self.close_connection = True
            self._unread_body = True
        return response

    _unread_body = False

    def finish(self) -> None:
        super().finish()
        if self._unread_body:
            self._linger()

    def _linger(self) -> None:
        """Lingering close: after refusing a body unread, stop sending and discard a bounded amount of what the
        client is still sending, so its kernel does not get a reset that throws away our answer unread."""
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(_LINGER_SECONDS)
            discarded = 0
            while discarded < _LINGER_MAX_BYTES:
                chunk = self.connection.recv(65536)
                if not chunk:
                    break
                discarded += len(chunk)
        except OSError:
            pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (bad request line, URI too long, too many headers) as protocol JSON."""
        self.close_connection = True
        body = json.dumps(refusal_answer("BAD_REQUEST").body, separators=(",", ":")).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)
        except OSError:
            pass

    def _send(self, response: HttpResponse) -> None:
        if response.close_connection:
            self.close_connection = True
        try:
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except OSError:
            self.close_connection = True


class _Body:
    finished = True

    def read(self, size: int) -> bytes:
        raise NotImplementedError


class _LengthBody(_Body):
    """A body of Content-Length bytes (or up to the client's early close)."""

    def __init__(self, handler: _Handler, length: int) -> None:
        self._rfile = handler.rfile
        self._left = length

    @property
    def finished(self) -> bool:  # type: ignore[override]
        return self._left == 0

    def read(self, size: int) -> bytes:
        size = min(size, self._left)
        if size <= 0:
            return b""
        data = self._rfile.read(size)
        self._left = 0 if len(data) < size else self._left - len(data)  # short read: the client closed
        return data


class _ChunkedBody(_Body):
    """Transfer-Encoding: chunked, decoded without buffering more than asked for plus one chunk header."""

    def __init__(self, handler: _Handler) -> None:
        self._rfile = handler.rfile
        self._left_in_chunk = 0
        self._done = False

    @property
    def finished(self) -> bool:  # type: ignore[override]
        return False  # trailers are never read: the connection is not reused after a chunked body

    def read(self, size: int) -> bytes:
        out = bytearray()
        while len(out) < size and not self._done:
            if self._left_in_chunk == 0:
                line = self._rfile.readline(_MAX_CHUNK_LINE + 1)
                if len(line) > _MAX_CHUNK_LINE or not line.endswith(b"\n"):
                    raise _BadBody()
                size_text = line.split(b";", 1)[0].strip()
                if _CHUNK_SIZE.fullmatch(size_text) is None:
                    raise _BadBody()
                chunk_size = int(size_text, 16)
                if chunk_size == 0:
                    self._done = True
                    break
                self._left_in_chunk = chunk_size
            data = self._rfile.read(min(size - len(out), self._left_in_chunk))
            if not data:
                raise _BadBody()
            out += data
            self._left_in_chunk -= len(data)
            if self._left_in_chunk == 0 and self._rfile.read(2) != b"\r\n":
                raise _BadBody()
        return bytes(out)
