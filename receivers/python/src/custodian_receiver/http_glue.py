"""Framework-independent HTTP handling: routes ``{base}/status`` and ``{base}/unlock`` to a Receiver, reads at
most MAX_BODY_BYTES of a body, and turns answers into bytes with the protocol's headers. The demo server and
the Flask blueprint are thin adapters over ``handle_request``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from .receiver import Answer, Receiver, refusal_answer
from .wire import MAX_BODY_BYTES

DEFAULT_BASE_PATH = "/custodian"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    close_connection: bool = False  # set when a body was refused unread: do not drain it


def route_of(path: str, base_path: str) -> str | None:
    """``"status"``, ``"unlock"`` or ``None`` for a request path (query string ignored)."""
    base = base_path.rstrip("/")
    path = path.split("?", 1)[0]
    if path == f"{base}/status":
        return "status"
    if path == f"{base}/unlock":
        return "unlock"
    return None


def handle_request(
    receiver: Receiver,
    *,
    method: str,
    path: str,
    content_type: str | None,
    content_length: int | None,
    read: Callable[[int], bytes],
    base_path: str = DEFAULT_BASE_PATH,
) -> HttpResponse:
    """One request. ``read(n)`` returns up to ``n`` more body bytes (``b""`` at the end); it is called only for
    an unlock request whose media type and declared length are acceptable, and never for more than
    MAX_BODY_BYTES + 1 bytes in total."""
    route = route_of(path, base_path)
    if route is None:
        return to_http(refusal_answer("NOT_FOUND"))
    if route == "status":
        if method != "GET":
            return to_http(refusal_answer("METHOD_NOT_ALLOWED", headers=(("Allow", "GET"),)))
        return to_http(receiver.status())
    if method != "POST":
        return to_http(refusal_answer("METHOD_NOT_ALLOWED", headers=(("Allow", "POST"),)))
    if (content_type or "").split(";")[0].strip().lower() != "application/json":
        return to_http(receiver.unlock(b"", content_type), close=True)
    if content_length is not None and content_length > MAX_BODY_BYTES:
        return to_http(receiver.refuse_unlock("BODY_TOO_LARGE"), close=True)
    body = bytearray()
    while len(body) <= MAX_BODY_BYTES:
        chunk = read(MAX_BODY_BYTES + 1 - len(body))
        if not chunk:
            break
        body += chunk
    if len(body) > MAX_BODY_BYTES:
        return to_http(receiver.refuse_unlock("BODY_TOO_LARGE"), close=True)
    return to_http(receiver.unlock(body, content_type))


def to_http(answer: Answer, *, close: bool = False) -> HttpResponse:
    body = json.dumps(answer.body, separators=(",", ":")).encode("utf-8")
    headers = (
        ("Content-Type", "application/json"),
        ("Cache-Control", "no-store"),
        ("Content-Length", str(len(body))),
        *answer.headers,
    )
    return HttpResponse(answer.http_status, headers, body, close)
