"""Framework-independent HTTP handling: routes the receiver's endpoints (protocol §3 and §12) to a Receiver,
reads at most MAX_BODY_BYTES of a body, and turns answers into bytes with the protocol's headers. The demo
server and the Flask blueprint are thin adapters over ``handle_request``; message framing (Content-Length,
chunked, timeouts) is theirs."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from .metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from .receiver import Answer, Event, Receiver, refusal_answer
from .signed_messages import is_json_media_type
from .wire import MAX_BODY_BYTES

DEFAULT_BASE_PATH = "/custodian"

# route -> (allowed method, the event of a signed request or None)
_ROUTES: Final[dict[str, tuple[str, Event | None]]] = {
    "status": ("GET", None),
    "unlock": ("POST", "unlock"),
    "lock": ("POST", "lock"),
    "custodians": ("POST", "statement"),
    "rekey": ("POST", "rekey"),
    "identity": ("GET", None),
    "metrics": ("GET", None),
}


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    close_connection: bool = False  # set when a body was refused unread: do not drain it


def route_of(target: str, base_path: str, *, metrics: bool = False) -> str | None:
    """The route name of a request-target, or ``None`` (404). Only origin-form targets whose path equals a route
    byte for byte (§12.8): no percent-decoding, no dot segments, no ``//``, no fragment. The query is ignored
    here (only ``status`` reads its ``nonce``)."""
    if not target.startswith("/") or "#" in target:
        return None
    path = target.split("?", 1)[0]
    base = base_path.rstrip("/")
    if not path.startswith(base + "/"):
        return None
    name = path[len(base) + 1 :]
    if name not in _ROUTES or (name == "metrics" and not metrics):
        return None
    return name


def status_nonce(target: str) -> tuple[bool, str | None]:
    """``(ok, nonce)`` from the query: no ``nonce`` parameter gives ``(True, None)``; two give ``(False, None)``.
    Values are taken as sent (a b64u nonce needs no percent-encoding); the receiver checks the format."""
    _, _, query = target.partition("?")
    values = [part.partition("=")[2] for part in query.split("&") if part.partition("=")[0] == "nonce"]
    if len(values) > 1:
        return False, None
    return True, values[0] if values else None


def handle_request(
    receiver: Receiver,
    *,
    method: str,
    path: str,
    host: str | None,
    content_type: str | None,
    content_length: int | None,
    read: Callable[[int], bytes],
    base_path: str = DEFAULT_BASE_PATH,
    metrics: bool = False,
) -> HttpResponse:
    """One request. ``path`` is the raw request-target (query included), ``host`` the Host header (``None`` when
    missing: 400). ``read(n)`` returns up to ``n`` more body bytes (``b""`` at the end); it is called only for a
    signed request whose media type and declared length are acceptable, and never for more than
    MAX_BODY_BYTES + 1 bytes in total. ``metrics`` exposes ``{base}/metrics`` (else 404)."""
    if not host:
        return to_http(refusal_answer("BAD_REQUEST"), close=True)
    route = route_of(path, base_path, metrics=metrics)
    if route is None:
        return to_http(refusal_answer("NOT_FOUND"))
    allowed, event = _ROUTES[route]
    if method != allowed:
        return to_http(refusal_answer("METHOD_NOT_ALLOWED", headers=(("Allow", allowed),)))
    if route == "status":
        ok, nonce = status_nonce(path)
        return to_http(receiver.status(nonce) if ok else refusal_answer("BAD_REQUEST"))
    if route == "identity":
        return to_http(receiver.identity_handovers())
    if route == "metrics":
        body = receiver.metrics_text().encode("utf-8")
        headers = (("Content-Type", METRICS_CONTENT_TYPE), ("Cache-Control", "no-store"), ("Content-Length", str(len(body))))
        return HttpResponse(200, headers, body)
    assert event is not None
    return _signed_request(receiver, event, content_type, content_length, read)


def _signed_request(
    receiver: Receiver, event: Event, content_type: str | None, content_length: int | None, read: Callable[[int], bytes]
) -> HttpResponse:
    submit: Callable[[bytes, str | None], Answer] = {
        "unlock": receiver.unlock, "lock": receiver.remote_lock, "statement": receiver.statement, "rekey": receiver.rekey,
    }[event]
    if not is_json_media_type(content_type):
        return to_http(submit(b"", content_type), close=True)
    if content_length is not None and content_length > MAX_BODY_BYTES:
        return to_http(receiver.refuse(event, "BODY_TOO_LARGE"), close=True)
    body = bytearray()
    while len(body) <= MAX_BODY_BYTES:
        chunk = read(MAX_BODY_BYTES + 1 - len(body))
        if not chunk:
            break
        body += chunk
    if len(body) > MAX_BODY_BYTES:
        return to_http(receiver.refuse(event, "BODY_TOO_LARGE"), close=True)
    return to_http(submit(bytes(body), content_type))


def to_http(answer: Answer, *, close: bool = False) -> HttpResponse:
    body = json.dumps(answer.body, separators=(",", ":")).encode("utf-8")
    headers = (
        ("Content-Type", "application/json"),
        ("Cache-Control", "no-store"),
        ("Content-Length", str(len(body))),
        *answer.headers,
    )
    return HttpResponse(answer.http_status, headers, body, close)
