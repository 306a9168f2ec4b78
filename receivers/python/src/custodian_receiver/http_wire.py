"""Strict HTTP/1.1 request heads for the demo server (protocol §12.8): one reading of the bytes, so a proxy in
front cannot frame a request differently from the receiver (request smuggling).

Refused (``BAD_REQUEST``, and the connection is closed): a request line that is not ``METHOD SP target SP
HTTP/1.x``, obsolete line folding, a header name with whitespace before the colon, control characters, more
than MAX_HEADERS headers, a missing or repeated ``Host``, two ``Content-Length`` headers, a ``Content-Length``
that is not digits, any ``Transfer-Encoding`` other than one ``chunked``, and ``Transfer-Encoding`` together
with ``Content-Length``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_HEAD_BYTES = 16 * 1024
MAX_HEADERS = 100
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TARGET = re.compile(rb"[\x21-\x7e]+")
_DIGITS = re.compile(rb"[0-9]+")
_FIELD_VALUE = re.compile(rb"[\x20-\x7e\x80-\xff\t]*")


class BadHead(Exception):
    """The head cannot be read one way only: answer 400 and close."""


@dataclass(frozen=True)
class RequestHead:
    method: str
    target: str
    version: str
    headers: dict[str, list[str]]  # lower-case name -> values in order
    content_length: int | None
    chunked: bool

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[0] if values else None

    @property
    def host(self) -> str | None:
        return self.header("host")

    @property
    def keep_alive(self) -> bool:
        tokens = {token.strip().lower() for value in self.headers.get("connection", []) for token in value.split(",")}
        return self.version == "HTTP/1.1" and "close" not in tokens

    @property
    def has_body(self) -> bool:
        return self.chunked or bool(self.content_length)


def parse_head(head: bytes) -> RequestHead:
    """``head`` is everything up to and including the blank line (``\\r\\n\\r\\n``)."""
    lines = head[:-4].split(b"\r\n") if head.endswith(b"\r\n\r\n") else []
    if not lines:
        raise BadHead()
    parts = lines[0].split(b" ")
    if len(parts) != 3:
        raise BadHead()
    method, target, version = parts
    if _TOKEN.fullmatch(method) is None or _TARGET.fullmatch(target) is None or version not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise BadHead()
    if len(lines) - 1 > MAX_HEADERS:
        raise BadHead()
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or _TOKEN.fullmatch(name) is None:  # also refuses folding (leading blank) and "Name :"
            raise BadHead()
        value = value.strip(b" \t")
        if _FIELD_VALUE.fullmatch(value) is None:  # no CR, LF, NUL or other control characters
            raise BadHead()
        headers.setdefault(name.decode("ascii").lower(), []).append(value.decode("latin-1"))
    hosts = headers.get("host", [])
    if len(hosts) != 1:
        raise BadHead()
    lengths = headers.get("content-length", [])
    encodings = headers.get("transfer-encoding", [])
    if len(lengths) > 1 or (lengths and encodings):
        raise BadHead()
    if encodings and (len(encodings) != 1 or encodings[0].lower() != "chunked" or version != b"HTTP/1.1"):
        raise BadHead()
    content_length = None
    if lengths:
        if _DIGITS.fullmatch(lengths[0].encode("latin-1")) is None:
            raise BadHead()
        content_length = int(lengths[0])
    return RequestHead(method.decode("ascii"), target.decode("ascii"), version.decode("ascii"), headers, content_length, bool(encodings))
