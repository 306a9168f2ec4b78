"""A minimal push client for the tests (protocol §8), written from docs/protocol.md with cryptography only.

It builds real unlock requests against a status answer, so the tests can drive a receiver without the
Node CLI; the CLI itself is exercised by test/integration/push-python.test.ts.
"""

from __future__ import annotations

import os
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
from custodian_receiver.wire import PROTOCOL, b64u_decode, b64u_encode, dumps, fingerprint_of, parse_json_object

STATUS_MEMBERS = {
    "protocol", "type", "server_id", "identity", "boot_id", "state", "issued_at", "client_nonce", "challenge",
    "challenge_expires_at", "ephemeral_key", "key_checks", "installed_key_ids", "tokens_under_previous",
}


class ClientError(Exception):
    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def _strict(data: bytes | str) -> dict[str, Any]:
    value = parse_json_object(data)  # strict JSON on the client side too (protocol §12.3)
    if value is None:
        raise ClientError("BAD_REQUEST")
    return value


def _split(token: str) -> tuple[dict[str, Any], bytes, bytes, bytes]:
    parts = token.split(".")
    if len(parts) != 3:
        raise ClientError("BAD_REQUEST")
    decoded = [b64u_decode(p) for p in parts]
    if any(d is None for d in decoded):
        raise ClientError("BAD_REQUEST")
    return _strict(decoded[0]), decoded[1], f"{parts[0]}.{parts[1]}".encode(), decoded[2]  # type: ignore[return-value]


def verify_signed(token: str, typ: str, pinned: str, message_type: str) -> dict[str, Any]:
    """Client checks of §8 step 1 (status) or 5 (receipt): header, pinned identity, signature, payload."""
    header, payload_bytes, signing_input, signature = _split(token)
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
    payload = _strict(payload_bytes)
    if payload.get("protocol") != PROTOCOL:
        raise ClientError("UNSUPPORTED_PROTOCOL")
    if payload.get("type") != message_type:
        raise ClientError("WRONG_MESSAGE_TYPE")
    if payload.get("identity") != pinned:
        raise ClientError("BAD_REQUEST")
    return payload


def verify_status(body: bytes | str, pinned_identity: str, pinned_server_id: str, client_nonce: str | None = None) -> dict[str, Any]:
    """§8 step 1 and §12.2: ``client_nonce`` is the nonce this client sent (``STALE_STATUS`` if not echoed)."""
    envelope = _strict(body)
    if envelope.get("protocol") != PROTOCOL:
        raise ClientError("UNSUPPORTED_PROTOCOL")
    if not isinstance(envelope.get("status"), str):
        raise ClientError("BAD_REQUEST")
    payload = verify_signed(envelope["status"], "custodian-status+jws", pinned_identity, "status")
    if set(payload) - {"vault_login"} != STATUS_MEMBERS:  # vault_login: §12.13, on receivers with a Vault login
        raise ClientError("BAD_REQUEST")
    if payload["server_id"] != pinned_server_id:
        raise ClientError("IDENTITY_MISMATCH")
    if payload["client_nonce"] != client_nonce:
        raise ClientError("STALE_STATUS")
    return payload


def new_nonce() -> str:
    return b64u_encode(os.urandom(16))


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


def verify_receipt(body: bytes | str, pinned_identity: str, request: PreparedRequest, *, lock: bool = False) -> dict[str, Any]:
    """§8 step 5 (unlock receipt) or §12.4 (``lock=True``: lock receipt)."""
    envelope = _strict(body)
    if not isinstance(envelope.get("receipt"), str):
        raise ClientError("BAD_REQUEST")
    if lock:
        payload = verify_signed(envelope["receipt"], "custodian-lock-receipt+jws", pinned_identity, "lock_receipt")
    else:
        payload = verify_signed(envelope["receipt"], "custodian-receipt+jws", pinned_identity, "receipt")
    expected = {
        "server_id": request.payload["server_id"],
        "boot_id": request.payload["boot_id"],
        "challenge": request.payload["challenge"],
        "custodian": request.payload["custodian"],
        "request_hash": b64u_encode(sha256(request.token.encode()).digest()),
    }
    if not lock:
        expected["key_ids"] = request.payload["key_ids"]
    if any(payload.get(name) != value for name, value in expected.items()):
        raise ClientError("RECEIPT_MISMATCH")
    return payload


def build_rekey(
    status: dict[str, Any],
    custodian: Ed25519PrivateKey,
    keys: list[bytes],
    *,
    retire: list[str] | None = None,
    key_ids: list[str] | None = None,
    overrides: dict[str, Any] | None = None,
    unlock_info: bool = False,
) -> PreparedRequest:
    """A rekey request (§12.12) for a verified unlocked status; ``retire`` defaults to the installed keys the new
    set leaves out. ``unlock_info`` seals with the unlock's HPKE info instead (a forgery for the tests)."""
    signer = fingerprint_of(raw_public_key(custodian))
    ids = key_ids if key_ids is not None else [key_id(k) for k in keys]
    info = hpke_info(status["server_id"], status["identity"], status["boot_id"], status["challenge"], signer, rekey=not unlock_info)
    sealed = hpke_seal(X25519PublicKey.from_public_bytes(b64u_decode(status["ephemeral_key"], 32)), b"".join(keys), info)  # type: ignore[arg-type]
    payload: dict[str, Any] = {
        "protocol": PROTOCOL,
        "type": "rekey",
        "server_id": status["server_id"],
        "receiver_identity": status["identity"],
        "boot_id": status["boot_id"],
        "challenge": status["challenge"],
        "custodian": signer,
        "key_ids": ids,
        "retire": retire if retire is not None else [k for k in status["installed_key_ids"] if k not in ids],
        "issued_at": int(time.time()),
        "sealed": b64u_encode(sealed),
        **(overrides or {}),
    }
    token = sign_jws("custodian-rekey+jws", payload, custodian)
    return PreparedRequest(dumps({"protocol": PROTOCOL, "request": token}), token, payload)


def verify_rekey_receipt(body: bytes | str, pinned_identity: str, request: PreparedRequest) -> dict[str, Any]:
    """§12.12: the rekey receipt answers exactly this request (server, boot, challenge, custodian, hash, keys)."""
    envelope = _strict(body)
    if not isinstance(envelope.get("receipt"), str):
        raise ClientError("BAD_REQUEST")
    payload = verify_signed(envelope["receipt"], "custodian-rekey-receipt+jws", pinned_identity, "rekey_receipt")
    expected = {name: request.payload[name] for name in ("server_id", "boot_id", "challenge", "custodian", "key_ids")}
    expected["retired"] = request.payload["retire"]
    expected["request_hash"] = b64u_encode(sha256(request.token.encode()).digest())
    if any(payload.get(name) != value for name, value in expected.items()):
        raise ClientError("RECEIPT_MISMATCH")
    return payload


def build_lock(status: dict[str, Any], custodian: Ed25519PrivateKey, *, overrides: dict[str, Any] | None = None) -> PreparedRequest:
    """A lock request (§12.4) for a verified status payload."""
    payload: dict[str, Any] = {
        "protocol": PROTOCOL,
        "type": "lock",
        "server_id": status["server_id"],
        "receiver_identity": status["identity"],
        "boot_id": status["boot_id"],
        "challenge": status["challenge"],
        "custodian": fingerprint_of(raw_public_key(custodian)),
        "issued_at": int(time.time()),
        **(overrides or {}),
    }
    token = sign_jws("custodian-lock+jws", payload, custodian)
    return PreparedRequest(dumps({"protocol": PROTOCOL, "request": token}), token, payload)


def build_handover(signer: Ed25519PrivateKey, new_custodian: str, label: str) -> bytes:
    payload = {"protocol": PROTOCOL, "type": "handover", "custodian": fingerprint_of(raw_public_key(signer)),
               "new_custodian": new_custodian, "label": label, "issued_at": int(time.time())}
    return dumps({"protocol": PROTOCOL, "statement": sign_jws("custodian-statement+jws", payload, signer)})


def build_revocation(signer: Ed25519PrivateKey, revoked: str) -> bytes:
    payload = {"protocol": PROTOCOL, "type": "revocation", "custodian": fingerprint_of(raw_public_key(signer)),
               "revoked": revoked, "issued_at": int(time.time())}
    return dumps({"protocol": PROTOCOL, "statement": sign_jws("custodian-statement+jws", payload, signer)})
