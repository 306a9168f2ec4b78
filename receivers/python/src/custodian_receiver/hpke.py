"""HPKE (RFC 9180) as custodian-unlock/1 fixes it: base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
AES-256-GCM, empty aad, single-shot; ``sealed`` = ``enc || ciphertext``. Implemented by ``cryptography``."""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .wire import PROTOCOL

SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)


def hpke_info(server_id: str, receiver_identity: str, boot_id: str, challenge: str, custodian: str, *, rekey: bool = False) -> bytes:
    """The binding values joined by NUL bytes (protocol §5.2); none of them can contain NUL. A rekey (§12.12)
    puts ``"rekey"`` after the protocol, so an unlock and a rekey never open each other's ciphertext."""
    domain = (PROTOCOL, "rekey") if rekey else (PROTOCOL,)
    return "\0".join((*domain, server_id, receiver_identity, boot_id, challenge, custodian)).encode("utf-8")


def hpke_open(private_key: X25519PrivateKey, sealed: bytes, info: bytes) -> bytes | None:
    """The plaintext, or ``None`` if it does not open for any reason (length, tag, low-order point)."""
    try:
        return SUITE.decrypt(sealed, private_key, info=info)
    except (InvalidTag, ValueError):
        return None


def hpke_seal(public_key: X25519PublicKey, plaintext: bytes, info: bytes) -> bytes:
    """``enc || ciphertext`` (what a custodian sends; the tests use it to build requests)."""
    return SUITE.encrypt(plaintext, public_key, info=info)


def x25519_public_raw(private_key: X25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
