"""The host agent's wire format, ``custodian-agent/1`` (docs/agent.md §2), shared by the agent and its clients.

A stream of frames over a Unix domain socket: 1 byte type, 4 bytes big-endian payload length, payload.

    H  hello   client -> agent   JSON {"protocol":"custodian-agent/1"}
    L  locked  agent -> client   JSON {"protocol":…,"server_id":…,"boot_id":…}
    K  keys    agent -> client   2-byte length of a JSON header {"protocol","server_id","boot_id","key_ids"},
                                 the header, then 32 raw bytes per key id, current key first
    E  error   agent -> client   JSON {"protocol":…,"error":CODE,"message":…}, then the agent closes

Key bytes travel raw (never as JSON text) so that each side can read them into a buffer it can wipe.
"""

from __future__ import annotations

import ctypes
import json
import socket
import struct
from collections.abc import Sequence
from typing import Any

from .secret_memory import SecretKey, wipe

PROTOCOL = "custodian-agent/1"
HELLO, LOCKED, KEYS, ERROR = b"H"[0], b"L"[0], b"K"[0], b"E"[0]
KINDS = frozenset((HELLO, LOCKED, KEYS, ERROR))
HEADER = struct.Struct(">BI")
META_LENGTH = struct.Struct(">H")
MAX_PAYLOAD = 16 * 1024
KEY_BYTES = 32


class WireError(Exception):
    """A frame that breaks the format: the connection is closed."""


def json_frame(kind: int, value: dict[str, Any]) -> bytes:
    payload = json.dumps(value, separators=(",", ":")).encode("utf-8")
    return HEADER.pack(kind, len(payload)) + payload


def keys_frame(meta: dict[str, Any], keys: Sequence[SecretKey]) -> bytearray:
    """One ``K`` frame in a bytearray that the caller wipes after sending (it holds the raw keys)."""
    header = json.dumps(meta, separators=(",", ":")).encode("utf-8")
    length = META_LENGTH.size + len(header) + KEY_BYTES * len(keys)
    if length > MAX_PAYLOAD:
        raise WireError("too many keys for one frame")
    frame = bytearray(HEADER.size + length)
    HEADER.pack_into(frame, 0, KEYS, length)
    offset = HEADER.size
    META_LENGTH.pack_into(frame, offset, len(header))
    offset += META_LENGTH.size
    frame[offset : offset + len(header)] = header
    offset += len(header)
    for key in keys:
        frame[offset : offset + KEY_BYTES] = key.buffer  # copied from one bytearray into the other, no bytes object
        offset += KEY_BYTES
    return frame


def parse_json_payload(payload: memoryview) -> dict[str, Any]:
    try:
        value = json.loads(bytes(payload).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WireError("payload is not JSON") from None
    if not isinstance(value, dict) or value.get("protocol") != PROTOCOL:
        raise WireError("not a custodian-agent/1 message")
    return value


def parse_keys_payload(payload: memoryview) -> tuple[dict[str, Any], list[SecretKey]]:
    """The header and the keys of a ``K`` payload; each key is copied into its own ``SecretKey``."""
    if len(payload) < META_LENGTH.size:
        raise WireError("short keys frame")
    (meta_length,) = META_LENGTH.unpack_from(payload, 0)
    start = META_LENGTH.size + meta_length
    meta = parse_json_payload(payload[META_LENGTH.size : start])
    key_ids = meta.get("key_ids")
    if not isinstance(key_ids, list) or not key_ids or not all(isinstance(k, str) for k in key_ids):
        raise WireError("keys frame without key ids")
    if len(payload) - start != KEY_BYTES * len(key_ids):
        raise WireError("keys frame length does not match its key ids")
    keys = [SecretKey(payload[start + i * KEY_BYTES : start + (i + 1) * KEY_BYTES]) for i in range(len(key_ids))]
    return meta, keys


class FrameBuffer:
    """Reads frames from a socket into one fixed bytearray (no intermediate ``bytes``), so a ``K`` frame's key
    bytes exist only there until ``consume()`` wipes them."""

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self._buffer = bytearray(HEADER.size + max_payload)
        self._view = memoryview(self._buffer)
        self._filled = 0
        self._max_payload = max_payload
        self._frame_end = 0

    def receive(self, sock: socket.socket) -> bool:
        """One ``recv_into``; False when the peer closed. Raises OSError as the socket does."""
        if self._filled == len(self._buffer):
            raise WireError("frame too large")
        count = sock.recv_into(self._view[self._filled :])
        self._filled += count
        return count > 0

    def next_frame(self) -> tuple[int, memoryview] | None:
        """The next whole frame (type, payload view into the buffer), or None until more bytes arrive. The view is
        valid until ``consume()``."""
        if self._frame_end:
            raise RuntimeError("consume() the previous frame first")
        if self._filled < HEADER.size:
            return None
        kind, length = HEADER.unpack_from(self._buffer, 0)
        if kind not in KINDS or length > self._max_payload:
            raise WireError("not a custodian-agent/1 frame")
        end = HEADER.size + length
        if self._filled < end:
            return None
        self._frame_end = end
        return kind, self._view[HEADER.size : end]

    def consume(self) -> None:
        """Drops the frame returned last: moves what follows it to the front and wipes the rest."""
        end, self._frame_end = self._frame_end, 0
        rest = self._filled - end
        if rest:
            base = ctypes.addressof(ctypes.c_char.from_buffer(self._buffer))
            ctypes.memmove(base, base + end, rest)  # in place: no temporary copy of what may be key bytes
        wipe(self._view[rest : self._filled])
        self._filled = rest

    def wipe(self) -> None:
        wipe(self._view)
        self._filled = self._frame_end = 0
