"""Key ids: the public key check value of a Fernet key (see docs/key-id.md).

``K1-XXXX-XXXX-XXXX-XXXX``: 16 Crockford base32 characters that encode the first 80 bits of
HMAC-SHA256(key = the 32 raw Fernet key bytes, message = b"key-custodian key-id v1"). It names a key
without revealing it, and lets a receiver check that a pushed key is the one it was configured for.
"""

from __future__ import annotations

import hmac
import re
from hashlib import sha256

FERNET_KEY_LENGTH = 32
KEY_ID_MESSAGE = b"key-custodian key-id v1"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_KEY_ID_PATTERN = re.compile(r"K1(?:-[0-9A-HJKMNP-TV-Z]{4}){4}")


def key_id(raw_key: bytes | bytearray) -> str:
    """The key id of a raw 32-byte Fernet key."""
    if len(raw_key) != FERNET_KEY_LENGTH:
        raise ValueError("a Fernet key has 32 raw bytes")
    digest = hmac.new(raw_key, KEY_ID_MESSAGE, sha256).digest()  # no bytes() copy of the key
    value = int.from_bytes(digest[:10], "big")  # first 80 bits = 16 base32 digits of 5 bits
    chars = "".join(_CROCKFORD[(value >> (5 * (15 - i))) & 31] for i in range(16))
    return "K1-" + "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def is_key_id(text: str) -> bool:
    """True if ``text`` is a well-formed key id (canonical form: upper case, with dashes)."""
    return isinstance(text, str) and _KEY_ID_PATTERN.fullmatch(text) is not None
