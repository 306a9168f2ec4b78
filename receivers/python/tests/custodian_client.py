"""A minimal push client for the tests (protocol §8), written from docs/protocol.md with cryptography only.

It builds real unlock requests against a status answer, so the tests can drive a receiver without the
Node CLI; the CLI itself is exercised by test/integration/push-python.test.ts.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from custodian_receiver.hpke import hpke_info, hpke_seal
from custodian_receiver.jws import raw_public_key, sign_jws
from custodian_receiver.key_id import key_id
from custodian_receiver.wire import PROTOCOL, b64u_decode, b64u_encode, dumps, fingerprint_of


class ClientError(Exception):
    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def _split(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    parts = token.split(".")
    if len(parts) != 3:
        raise ClientError("BAD_REQUEST")
    decoded = [b64u_decode(p) for p in parts]
    if any(d is None for d in decoded):
        raise ClientError("BAD_REQUEST")
    header, payload = json.loads(decoded[0]), json.loads(decoded[1])  # type: ignore[arg-type]
    return header, payload, f"{parts[0]}.{parts[1]}".encode(), decoded[2]  # type: ignore[return-value]


def verify_signed(token: str, typ: str, pinned: str, message_type: str) -> dict[str, Any]:
    """Client checks of §8 step 1 (status) or 5 (receipt): header, pinned identity, signature, payload."""
    header, payload, signing_input, signature = _split(token)
    if header.get("alg") != "EdDSA":
        raise ClientError("UNSUPPORTED_PROTOCOL")
    if header.get("typ") != typ:
        raise ClientError("WRONG_MESSAGE_TYPE")
    jwk = header.get("jwk") or {}
    raw = b64u_decode(jwk.get("x"), 32)
    if raw is None or set(header) != {"alg", "typ", "jwk"} or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ClientError("BAD_REQUEST")
    if fingerprint_of(raw) != pinned:
        raise ClientError("IDENTITY_MISMATCH")
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, signing_input)
    except InvalidSignature:
        raise ClientError("BAD_SIGNATURE") from None
    if payload.get("protocol") != PROTOCOL:
        raise ClientError("UNSUPPORTED_PROTOCOL")
    if payload.get("type") != message_type:
        raise ClientError("WRONG_MESSAGE_TYPE")
    if payload.get("identity") != pinned:
        raise ClientError("BAD_REQUEST")
    return payload


def verify_status(body: bytes | str, pinned_identity: str, pinned_server_id: str) -> dict[str, Any]:
    envelope = json.loads(body)
    if envelope.get("protocol") != PROTOCOL:
        raise ClientError("UNSUPPORTED_PROTOCOL")
    payload = verify_signed(envelope["status"], "custodian-status+jws", pinned_identity, "status")
    if payload["server_id"] != pinned_server_id:
        raise ClientError("IDENTITY_MISMATCH")
    return payload


@dataclass
class PreparedRequest:
    body: bytes
    token: str
    payload: dict[str, Any]


def build_unlock(
    status: dict[str, Any],
    custodian: Ed25519PrivateKey,
    keys: list[bytes],
    *,
    key_ids: list[str] | None = None,
    plaintext: bytes | None = None,
    overrides: dict[str, Any] | None = None,
    info_overrides: dict[str, str] | None = None,
    recipient: bytes | None = None,
) -> PreparedRequest:
    """An unlock request for a verified status payload; the keyword arguments forge variants for the tests."""
    signer = fingerprint_of(raw_public_key(custodian))
    bindings = {
        "server_id": status["server_id"],
        "receiver_identity": status["identity"],
        "boot_id": status["boot_id"],
        "challenge": status["challenge"],
        "custodian": signer,
        **(info_overrides or {}),
    }
    info = hpke_info(bindings["server_id"], bindings["receiver_identity"], bindings["boot_id"], bindings["challenge"], bindings["custodian"])
    public = X25519PublicKey.from_public_bytes(recipient or b64u_decode(status["ephemeral_key"], 32))  # type: ignore[arg-type]
    sealed = hpke_seal(public, plaintext if plaintext is not None else b"".join(keys), info)
    payload: dict[str, Any] = {
        "protocol": PROTOCOL,
        "type": "unlock",
        "server_id": status["server_id"],
        "receiver_identity": status["identity"],
        "boot_id": status["boot_id"],
        "challenge": status["challenge"],
        "custodian": signer,
        "key_ids": key_ids if key_ids is not None else [key_id(k) for k in keys],
        "issued_at": int(time.time()),
        "sealed": b64u_encode(sealed),
        **(overrides or {}),
    }
    token = sign_jws("custodian-unlock+jws", payload, custodian)
    return PreparedRequest(dumps({"protocol": PROTOCOL, "request": token}), token, payload)


def verify_receipt(body: bytes | str, pinned_identity: str, request: PreparedRequest) -> dict[str, Any]:
    envelope = json.loads(body)
    payload = verify_signed(envelope["receipt"], "custodian-receipt+jws", pinned_identity, "receipt")
    expected = {
        "server_id": request.payload["server_id"],
        "boot_id": request.payload["boot_id"],
        "challenge": request.payload["challenge"],
        "custodian": request.payload["custodian"],
        "key_ids": request.payload["key_ids"],
        "request_hash": b64u_encode(sha256(request.token.encode()).digest()),
    }
    if any(payload.get(name) != value for name, value in expected.items()):
        raise ClientError("RECEIPT_MISMATCH")
    return payload
