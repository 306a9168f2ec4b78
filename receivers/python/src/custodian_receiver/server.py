"""The demo server's HTTP(S) listener for a Receiver, on asyncio from the standard library.

Built to stay available to the custodian while someone on the network tries to wear it down (protocol §12.8):

- A connection costs a socket and a little memory, not a thread: requests are read by one event loop, and only
  complete requests go to a small thread pool (signatures and HPKE).
- Each request must arrive whole, head and body, within ``request_deadline_seconds`` (10 s) of its first byte,
  else it is answered ``408 REQUEST_TIMEOUT`` and the connection closed; an idle kept-alive connection is closed
  after ``idle_timeout_seconds``; a TLS handshake has the same bound.
- At most ``max_connections_per_address`` (16) connections per client address and ``max_connections`` in all;
  more are closed at once, before any TLS handshake. So slow clients from one address cannot hold every slot.
- Strict framing (see ``http_wire``): ambiguous heads are refused with 400 and the connection closed.
- A body is never read beyond MAX_BODY_BYTES + 1 (chunked included), and a refused body is not drained: the
  connection is closed after a short lingering close instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import ssl
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from .http_glue import DEFAULT_BASE_PATH, HttpResponse, handle_request, route_of, to_http
from .http_wire import MAX_HEAD_BYTES, BadHead, RequestHead, parse_head
from .receiver import Receiver, refusal_answer
from .signed_messages import is_json_media_type
from .wire import MAX_BODY_BYTES

_MAX_CHUNK_LINE = 64
_LINGER_SECONDS = 1.0
_LINGER_MAX_BYTES = 4 * 1024 * 1024
_WRITE_SECONDS = 10.0
_POST_ROUTES = ("unlock", "lock", "custodians", "rekey")


class _Timeout(Exception):
    pass


@dataclass
class _Request:
    head: RequestHead
    body: bytes | None  # None: not read (the route, media type or declared length refuses it unread)
    complete: bool  # the connection is positioned at the next request


class ReceiverHttpServer:
    """``ReceiverHttpServer((host, port), receiver)``; ``serve_in_thread()``; ``shutdown()``; ``server_close()``."""

    max_connections = 1024
    max_connections_per_address = 16
    request_deadline_seconds = 10.0
    idle_timeout_seconds = 10.0
    worker_threads = 4

    def __init__(
        self,
        address: tuple[str, int],
        receiver: Receiver,
        base_path: str = DEFAULT_BASE_PATH,
        tls: ssl.SSLContext | None = None,
        *,
        metrics: bool = False,
    ) -> None:
        self.receiver = receiver
        self.base_path = base_path
        self.tls = tls
        self.metrics = metrics
        self.max_connections = min(self.max_connections, _descriptor_budget())
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._socket = socket.create_server(address, family=family, backlog=128)
        self._socket.setblocking(False)
        self._executor = ThreadPoolExecutor(max_workers=self.worker_threads, thread_name_prefix="custodian-receiver")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None
        self._per_address: Counter[str] = Counter()
        self._open = 0

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    def serve_forever(self) -> None:
        """Serves until ``shutdown()`` (from another thread)."""
        try:
            asyncio.run(self._serve())
        finally:
            self._finished.set()

    def serve_in_thread(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.serve_forever, name="custodian-receiver", daemon=True)
        self._thread.start()
        self._started.wait(10)
        return self._thread

    def shutdown(self) -> None:
        """Stops serving: open connections are closed, the call returns once the loop has ended."""
        self._started.wait(10)
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not self._finished.is_set():
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(stop.set)
            self._finished.wait(15)

    def server_close(self) -> None:
        self._socket.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ---- the loop ---------------------------------------------------------------------------------------

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_quiet_exception_handler)
        self._loop, self._stop = loop, asyncio.Event()
        self._started.set()
        connections: set[asyncio.Task[None]] = set()
        accepting = asyncio.ensure_future(self._accept(connections))
        try:
            await self._stop.wait()
        finally:
            accepting.cancel()
            for task in list(connections):
                task.cancel()
            await asyncio.gather(accepting, *connections, return_exceptions=True)

    async def _accept(self, connections: set[asyncio.Task[None]]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                connection, address = await loop.sock_accept(self._socket)
            except OSError:  # e.g. too many open files: back off a little instead of spinning
                await asyncio.sleep(0.05)
                continue
            peer = str(address[0])
            if self._open >= self.max_connections or self._per_address[peer] >= self.max_connections_per_address:
                connection.close()  # closed at once: no handshake, no buffer, nothing held
                continue
            self._open += 1
            self._per_address[peer] += 1
            task = asyncio.ensure_future(self._connection(connection, peer))
            connections.add(task)
            task.add_done_callback(connections.discard)

    async def _connection(self, connection: socket.socket, peer: str) -> None:
        writer: asyncio.StreamWriter | None = None
        try:
            with contextlib.suppress(OSError):
                # Answers go out as one write; without this, Nagle's algorithm and the peer's delayed ACK add
                # ~40 ms to every answer on a kept-alive connection.
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            reader, writer = await self._open_streams(connection)
            while await self._exchange(reader, writer):
                pass
            await _close_gracefully(writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ssl.SSLError, _Timeout):
            pass  # a client that went away, stalled or failed its handshake is normal
        except asyncio.CancelledError:
            raise
        except Exception as error:  # never a traceback: its text could quote the input
            sys.stderr.write(f"error [INTERNAL]: a connection failed: {type(error).__name__}\n")
        finally:
            if writer is not None:
                writer.transport.abort()  # a no-op after a graceful close; otherwise nothing is left behind
            else:
                connection.close()
            self._open -= 1
            self._per_address[peer] -= 1
            if self._per_address[peer] <= 0:
                del self._per_address[peer]

    async def _open_streams(self, connection: socket.socket) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=MAX_HEAD_BYTES, loop=loop)
        protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
        transport, _ = await loop.connect_accepted_socket(
            lambda: protocol, connection, ssl=self.tls, ssl_handshake_timeout=self.request_deadline_seconds if self.tls else None
        )
        return reader, asyncio.StreamWriter(transport, protocol, reader, loop)

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """One request and its answer; returns whether the connection stays open for another."""
        try:
            first = await asyncio.wait_for(reader.read(1), self.idle_timeout_seconds)
        except asyncio.TimeoutError:
            return False
        if not first:
            return False
        try:
            request = await asyncio.wait_for(self._read_request(first, reader, writer), self.request_deadline_seconds)
        except asyncio.TimeoutError:
            await self._send(writer, to_http(refusal_answer("REQUEST_TIMEOUT"), close=True), head=None)
            return False
        except (BadHead, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            await self._send(writer, to_http(refusal_answer("BAD_REQUEST"), close=True), head=None)
            await self._linger(reader, writer)
            return False
        head = request.head
        body = request.body or b""
        response = await asyncio.get_running_loop().run_in_executor(
            self._executor,
            functools.partial(
                handle_request,
                self.receiver,
                method=head.method,
                path=head.target,
                host=head.host,
                content_type=head.header("content-type"),
                content_length=head.content_length,
                read=_BufferedBody(body).read,
                base_path=self.base_path,
                metrics=self.metrics,
            ),
        )
        keep = head.keep_alive and request.complete and not response.close_connection
        await self._send(writer, response, head=head, close=not keep)
        if not keep and not request.complete:
            await self._linger(reader, writer)
        return keep

    async def _read_request(self, first: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> _Request:
        head = parse_head(first + await reader.readuntil(b"\r\n\r\n"))
        route = route_of(head.target, self.base_path, metrics=self.metrics)
        wants_body = (
            head.method == "POST"
            and route in _POST_ROUTES
            and bool(head.host)
            and is_json_media_type(head.header("content-type"))
            and (head.content_length is None or head.content_length <= MAX_BODY_BYTES)
        )
        if not wants_body:
            return _Request(head, None, complete=not head.has_body)
        if (head.header("expect") or "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if head.chunked:
            # Trailers are never read: the connection is not reused after a chunked body.
            return _Request(head, await _read_chunked(reader), complete=False)
        return _Request(head, await reader.readexactly(head.content_length or 0), complete=True)

    async def _send(self, writer: asyncio.StreamWriter, response: HttpResponse, *, head: RequestHead | None, close: bool = True) -> None:
        reason = HTTPStatus(response.status).phrase
        lines = [f"HTTP/1.1 {response.status} {reason}", "Server: custodian-receiver"]
        lines += [f"{name}: {value}" for name, value in response.headers]
        if close:
            lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if head is None or head.method != "HEAD":
            data += response.body
        writer.write(data)
        try:
            await asyncio.wait_for(writer.drain(), _WRITE_SECONDS)
        except asyncio.TimeoutError:
            raise _Timeout() from None

    async def _linger(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Lingering close: after refusing a body unread, stop sending and discard a bounded amount of what the
        client is still sending, so its kernel does not get a reset that throws away our answer unread."""
        with contextlib.suppress(OSError, RuntimeError, asyncio.TimeoutError, ssl.SSLError):
            if writer.can_write_eof():
                writer.write_eof()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + _LINGER_SECONDS
            discarded = 0
            while discarded < _LINGER_MAX_BYTES:
                chunk = await asyncio.wait_for(reader.read(65536), max(0.0, deadline - loop.time()))
                if not chunk:
                    break
                discarded += len(chunk)


async def _close_gracefully(writer: asyncio.StreamWriter) -> None:
    """FIN (and TLS close_notify) after the last answer, waiting a moment for it to go out."""
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError, asyncio.TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), _LINGER_SECONDS)


class _BufferedBody:
    def __init__(self, body: bytes) -> None:
        self._body = body
        self._offset = 0

    def read(self, size: int) -> bytes:
        chunk = self._body[self._offset : self._offset + size]
        self._offset += len(chunk)
        return chunk


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """Transfer-Encoding: chunked, never more than MAX_BODY_BYTES + 1 bytes of data (more means 413)."""
    body = bytearray()
    while len(body) <= MAX_BODY_BYTES:
        line = await reader.readuntil(b"\r\n")
        if len(line) > _MAX_CHUNK_LINE:
            raise BadHead()
        size_text = line[:-2].split(b";", 1)[0].strip(b" \t")
        if not size_text or len(size_text) > 8 or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
            raise BadHead()
        size = int(size_text, 16)
        if size == 0:
            break
        take = min(size, MAX_BODY_BYTES + 1 - len(body))
        body += await reader.readexactly(take)
        if take < size:
            break  # over the limit: the rest is not read
        if await reader.readexactly(2) != b"\r\n":
            raise BadHead()
    return bytes(body)


def _descriptor_budget() -> int:
    """Connections the process can hold open: its file descriptor limit minus a margin for everything else."""
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return 1024
    return 1024 if soft == resource.RLIM_INFINITY else max(16, soft - 64)


def _quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """asyncio reports failed TLS handshakes and dropped connections here; those are normal for a server on a
    network. Anything else is one line, the exception type only."""
    error = context.get("exception")
    if isinstance(error, (OSError, ssl.SSLError, asyncio.CancelledError, asyncio.IncompleteReadError)):
        return
    sys.stderr.write(f"error [INTERNAL]: {type(error).__name__ if error else 'event loop error'}\n")
