"""Key ids, against an independent computation and the shared format rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

import pytest

from custodian_receiver.key_id import is_key_id, key_id

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _reference(raw: bytes) -> str:
    # Independent route: RFC 4648 base32 of the 10 bytes, then map its alphabet onto Crockford's.
    digest = hmac.new(raw, b"key-custodian key-id v1", hashlib.sha256).digest()[:10]
    rfc = base64.b32encode(digest).decode()
    table = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", CROCKFORD)
    chars = rfc.translate(table)
    return "K1-" + "-".join(chars[i : i + 4] for i in range(0, 16, 4))


@pytest.mark.parametrize("raw", [bytes(32), bytes(range(32)), b"\xff" * 32] + [os.urandom(32) for _ in range(50)])
def test_key_id_matches_an_independent_computation(raw: bytes) -> None:
    assert key_id(raw) == _reference(raw)
    assert key_id(bytearray(raw)) == key_id(raw)
    assert is_key_id(key_id(raw))


def test_key_id_refuses_a_key_of_the_wrong_length() -> None:
    for length in (0, 16, 31, 33, 44):
        with pytest.raises(ValueError):
            key_id(bytes(length))


@pytest.mark.parametrize(
    "text",
    ["", "K1-", "K1-0000-0000-0000", "K1-0000-0000-0000-000I", "K1-0000-0000-0000-000L", "K1-0000-0000-0000-000O",
     "K1-0000-0000-0000-000U", "k1-0000-0000-0000-0000", "K2-0000-0000-0000-0000", "K1-00000000-0000-0000",
     "K1-0000-0000-0000-0000 ", "K1-0000-0000-0000-0000-0000"],
)
def test_is_key_id_rejects_malformed_ids(text: str) -> None:
    assert not is_key_id(text)
