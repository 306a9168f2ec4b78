"""JWS compact serialization (RFC 7515) restricted to custodian-unlock/1: ``alg`` EdDSA with Ed25519 (RFC 8037),
the signer's key as an OKP JWK in the protected header, and exactly the members ``alg``, ``typ``, ``jwk``.

Parsing is separate from verification so the caller decides whether it trusts the key before verifying.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .errors import Refusal
from .wire import b64u_decode, b64u_encode, dumps, fingerprint_of, has_exactly, parse_json_object

MessageType = Literal[
    "custodian-status+jws",
    "custodian-unlock+jws",
    "custodian-receipt+jws",
    # revision 2 (protocol §12.4-12.6)
    "custodian-lock+jws",
    "custodian-lock-receipt+jws",
    "custodian-statement+jws",
    "custodian-receiver-handover+jws",
    # rekey of an unlocked receiver (protocol §12.12)
    "custodian-rekey+jws",
    "custodian-rekey-receipt+jws",
]


@dataclass(frozen=True)
class ParsedJws:
    signer_key: bytes  # raw Ed25519 public key from the header
    signer: str  # its fingerprint
    signing_input: bytes
    signature: bytes
    payload: bytes


def parse_jws(token: str, expected_typ: MessageType) -> ParsedJws:
    """Steps 3-6 of protocol §6: three b64u parts, header a strict JSON object, ``alg``, ``typ``, header members."""
    parts = token.split(".")
    if len(parts) != 3:
        raise Refusal("BAD_REQUEST")
    header_part, payload_part, signature_part = parts
    header_bytes, payload, signature = (b64u_decode(part) for part in parts)
    if header_bytes is None or payload is None or signature is None:
        raise Refusal("BAD_REQUEST")
    header = parse_json_object(header_bytes)
    if header is None:
        raise Refusal("BAD_REQUEST")
    if header.get("alg") != "EdDSA":
        raise Refusal("UNSUPPORTED_PROTOCOL")
    if header.get("typ") != expected_typ:
        raise Refusal("WRONG_MESSAGE_TYPE")
    jwk = header.get("jwk")
    if (
        not has_exactly(header, ("alg", "typ", "jwk"))
        or not isinstance(jwk, dict)
        or not has_exactly(jwk, ("kty", "crv", "x"))
        or jwk["kty"] != "OKP"
        or jwk["crv"] != "Ed25519"
    ):
        raise Refusal("BAD_REQUEST")
    signer_key = b64u_decode(jwk["x"], 32)
    if signer_key is None:
        raise Refusal("BAD_REQUEST")
    return ParsedJws(
        signer_key=signer_key,
        signer=fingerprint_of(signer_key),
        signing_input=f"{header_part}.{payload_part}".encode("ascii"),
        signature=signature,
        payload=payload,
    )


def verify_jws(parsed: ParsedJws) -> bool:
    """An Ed25519 signature of 64 bytes over the signing input, by the key in the header (revision 2 verifies it
    before looking the signer up, so "unknown" and "forged" cannot be told apart without a valid signature)."""
    if len(parsed.signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(parsed.signer_key).verify(parsed.signature, parsed.signing_input)
    except (InvalidSignature, ValueError):
        return False
    return True


def raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign_jws(typ: MessageType, payload: dict[str, Any], private_key: Ed25519PrivateKey) -> str:
    """Signs a payload (members already in the protocol's order) as a compact JWS."""
    header = {"alg": "EdDSA", "typ": typ, "jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(raw_public_key(private_key))}}
    signing_input = f"{b64u_encode(dumps(header))}.{b64u_encode(dumps(payload))}"
    return f"{signing_input}.{b64u_encode(private_key.sign(signing_input.encode('ascii')))}"
