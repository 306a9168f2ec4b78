"""Wire encodings of docs/protocol.md (``custodian-unlock/1``): strict base64url, strict JSON, fingerprints,
formats. The package implements the protocol on its own; it imports nothing of the Key Custodian app."""

from __future__ import annotations

import base64
import binascii
import json
import re
from hashlib import sha256
from typing import Any, Final

from .key_id import is_key_id

PROTOCOL: Final = "custodian-unlock/1"
MAX_BODY_BYTES: Final = 16384
MAX_KEYS: Final = 9
CHALLENGE_TTL_SECONDS: Final = 60
KEY_BYTES: Final = 32
MAX_SAFE_INTEGER: Final = 2**53 - 1  # what a JavaScript peer can represent exactly

_B64U = re.compile(r"[A-Za-z0-9_-]*")
_FINGERPRINT = re.compile(r"ed25519:[A-Za-z0-9_-]{43}")
_SERVER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_LABEL = re.compile(r"[\x20-\x7e]{1,64}")


def b64u_encode(data: bytes | bytearray | memoryview) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: object, expected_length: int | None = None) -> bytes | None:
    """Strict base64url without padding; ``None`` for anything else.

    Refuses padding, '+', '/', whitespace, impossible lengths and non-canonical trailing bits (so one value
    has exactly one encoding), and, when given, a decoded length other than ``expected_length``.
    """
    if not isinstance(text, str) or len(text) % 4 == 1 or _B64U.fullmatch(text) is None:
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    if b64u_encode(data) != text:
        return None
    if expected_length is not None and len(data) != expected_length:
        return None
    return data


def fingerprint_of(raw_public_key: bytes) -> str:
    """``ed25519:`` + b64u(SHA-256(raw 32-byte public key)), protocol §2."""
    return "ed25519:" + b64u_encode(sha256(raw_public_key).digest())


def is_fingerprint(text: object) -> bool:
    return isinstance(text, str) and _FINGERPRINT.fullmatch(text) is not None and b64u_decode(text[8:], 32) is not None


def is_server_id(text: object) -> bool:
    return isinstance(text, str) and _SERVER_ID.fullmatch(text) is not None


def is_label(text: object) -> bool:
    """A custodian label of a hand-over statement: 1-64 printable ASCII characters (protocol §12.5)."""
    return isinstance(text, str) and _LABEL.fullmatch(text) is not None


def is_key_id_value(value: object) -> bool:
    return isinstance(value, str) and is_key_id(value)


def is_time(value: object) -> bool:
    """A non-negative integer (JSON booleans are not numbers here, though Python calls them ints)."""
    return type(value) is int and 0 <= value <= MAX_SAFE_INTEGER


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotJson(name)  # NaN, Infinity, -Infinity are not JSON


def _refuse_float(text: str) -> Any:
    raise _NotJson("number with a fraction or an exponent")  # 1e3, 1000.0: one value, one spelling (§12.3)


def _strict_int(text: str) -> int:
    # Only 0 ... 2^53-1 written as plain digits: "-0" and negatives are refused, and so is anything a
    # JavaScript peer could not represent exactly (it would read another number than the signer wrote).
    if text.startswith("-"):
        raise _NotJson("negative number")
    value = int(text)
    if value > MAX_SAFE_INTEGER:
        raise _NotJson("number too large")
    return value


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _NotJson("duplicate member")  # one signed text must have one meaning
        result[key] = value
    return result


def parse_json(data: bytes | str) -> tuple[bool, Any]:
    """Strict JSON (protocol §12.3): ``(True, value)``, or ``(False, None)`` for invalid UTF-8, invalid JSON,
    duplicate members, NaN/Infinity, a number written with a fraction or exponent or as ``-0``, a number
    outside 0 ... 2^53-1, and nesting too deep for the parser."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(
            text,
            object_pairs_hook=_unique_members,
            parse_constant=_refuse_constant,
            parse_float=_refuse_float,
            parse_int=_strict_int,
        )
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return False, None
    return True, value


def parse_json_object(data: bytes | str) -> dict[str, Any] | None:
    """A JSON object from strict JSON (see ``parse_json``); ``None`` for anything else."""
    ok, value = parse_json(data)
    return value if ok and isinstance(value, dict) else None


def has_exactly(value: dict[str, Any], names: tuple[str, ...]) -> bool:
    return len(value) == len(names) and all(name in value for name in names)


def dumps(value: dict[str, Any]) -> bytes:
    """Compact JSON as JavaScript's JSON.stringify writes it, so signed bytes match the Node implementations."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
