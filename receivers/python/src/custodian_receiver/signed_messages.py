"""The custodian's signed messages as a receiver reads them: the envelope and JWS checks shared by unlock, lock
and statements (protocol §6 steps 1-9, with revision 2's order: signature before authorization), and the
payload of each message type. Everything here is pure: no receiver state, no side effects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .errors import Refusal
from .vault_login import is_role_name
from .jws import MessageType, ParsedJws, parse_jws, verify_jws
from .wire import (
    MAX_BODY_BYTES,
    MAX_KEYS,
    PROTOCOL,
    b64u_decode,
    has_exactly,
    is_fingerprint,
    is_key_id_value,
    is_label,
    is_server_id,
    is_time,
    parse_json_object,
)

MEDIA_TYPE = "application/json"

_UNLOCK_MEMBERS = (
    "protocol", "type", "server_id", "receiver_identity", "boot_id", "challenge", "custodian", "key_ids", "issued_at", "sealed",
)
_REKEY_MEMBERS = (
    "protocol", "type", "server_id", "receiver_identity", "boot_id", "challenge", "custodian", "key_ids", "retire", "issued_at",
    "sealed",
)
_LOCK_MEMBERS = ("protocol", "type", "server_id", "receiver_identity", "boot_id", "challenge", "custodian", "issued_at")
_HANDOVER_MEMBERS = ("protocol", "type", "custodian", "new_custodian", "label", "issued_at")
_REVOCATION_MEMBERS = ("protocol", "type", "custodian", "revoked", "issued_at")


def is_json_media_type(content_type: str | None) -> bool:
    """Compared on the media type only: ``application/json; charset=utf-8`` is fine."""
    return (content_type or "").split(";")[0].strip().lower() == MEDIA_TYPE


def check_media_and_size(body: bytes, content_type: str | None) -> None:
    """Step 1 (the HTTP layer has already refused other methods and paths)."""
    if not is_json_media_type(content_type):
        raise Refusal("UNSUPPORTED_MEDIA_TYPE")
    if len(body) > MAX_BODY_BYTES:
        raise Refusal("BODY_TOO_LARGE")


def read_envelope(body: bytes, content_type: str | None, member: Literal["request", "statement"]) -> str:
    """Steps 1-2: media type, size, and an envelope of exactly ``protocol`` and ``member`` (both strings)."""
    check_media_and_size(body, content_type)
    envelope = parse_json_object(body)
    if envelope is None:
        raise Refusal("BAD_REQUEST")
    if isinstance(envelope.get("protocol"), str) and envelope["protocol"] != PROTOCOL:
        raise Refusal("UNSUPPORTED_PROTOCOL")
    token = envelope.get(member)
    if not has_exactly(envelope, ("protocol", member)) or envelope["protocol"] != PROTOCOL or not isinstance(token, str):
        raise Refusal("BAD_REQUEST")
    return token


def parse_signed(token: str, typ: MessageType) -> ParsedJws:
    """Steps 3-7 of revision 2: JWS shape, ``alg``, ``typ``, header, then the signature by the header's key
    (``BAD_SIGNATURE``). The caller looks the signer up next (``UNKNOWN_CUSTODIAN``)."""
    jws = parse_jws(token, typ)
    if not verify_jws(jws):
        raise Refusal("BAD_SIGNATURE")
    return jws


def _payload(data: bytes, types: tuple[str, ...]) -> dict[str, Any]:
    payload = parse_json_object(data)
    if payload is None:
        raise Refusal("BAD_REQUEST")
    if payload.get("protocol") != PROTOCOL:
        raise Refusal("UNSUPPORTED_PROTOCOL" if isinstance(payload.get("protocol"), str) else "BAD_REQUEST")
    if payload.get("type") not in types:
        raise Refusal("WRONG_MESSAGE_TYPE")
    return payload


@dataclass(frozen=True)
class BoundRequest:
    """An unlock or lock request: bound to one server, one boot and one challenge."""

    server_id: str
    receiver_identity: str
    boot_id: str
    challenge: str
    key_ids: tuple[str, ...] = ()
    sealed: bytes = b""
    vault_role: str | None = None  # §12.13: the plaintext carries a Vault wrapping token after the keys
    retire: tuple[str, ...] = ()  # rekey only (§12.12)


def _bindings_valid(payload: dict[str, Any]) -> bool:
    return (
        is_server_id(payload["server_id"])
        and is_fingerprint(payload["receiver_identity"])
        and b64u_decode(payload["boot_id"], 16) is not None
        and b64u_decode(payload["challenge"], 32) is not None
        and is_fingerprint(payload["custodian"])
        and is_time(payload["issued_at"])
    )


def parse_unlock_payload(data: bytes, signer: str, *, vault_enabled: bool = False) -> BoundRequest:
    """Step 9 for ``unlock``: exactly the members of §5.2 (plus ``vault_role`` of §12.13 on a receiver configured
    for a Vault login), in their formats, naming the signer."""
    payload = _payload(data, ("unlock",))
    with_vault = vault_enabled and "vault_role" in payload
    if not has_exactly(payload, _UNLOCK_MEMBERS + (("vault_role",) if with_vault else ())):
        raise Refusal("BAD_REQUEST")
    if with_vault and not is_role_name(payload["vault_role"]):
        raise Refusal("BAD_REQUEST")
    key_ids = payload["key_ids"]
    sealed = b64u_decode(payload["sealed"])
    valid = (
        _bindings_valid(payload)
        and isinstance(key_ids, list)
        and 1 <= len(key_ids) <= MAX_KEYS
        and all(is_key_id_value(k) for k in key_ids)
        and len(set(key_ids)) == len(key_ids)
        and sealed is not None
    )
    if not valid or payload["custodian"] != signer or sealed is None:
        raise Refusal("BAD_REQUEST")
    return BoundRequest(
        payload["server_id"], payload["receiver_identity"], payload["boot_id"], payload["challenge"], tuple(key_ids), sealed,
        payload["vault_role"] if with_vault else None,
    )


def _distinct_key_ids(value: object, low: int) -> bool:
    return (
        isinstance(value, list) and low <= len(value) <= MAX_KEYS and all(is_key_id_value(k) for k in value)
        and len(set(value)) == len(value)
    )


def parse_rekey_payload(data: bytes, signer: str) -> BoundRequest:
    """Step 1 of §12.12 for ``rekey``: the unlock request's members plus ``retire`` (0-9 distinct key ids)."""
    payload = _payload(data, ("rekey",))
    if not has_exactly(payload, _REKEY_MEMBERS):
        raise Refusal("BAD_REQUEST")
    sealed = b64u_decode(payload["sealed"])
    valid = _bindings_valid(payload) and _distinct_key_ids(payload["key_ids"], 1) and _distinct_key_ids(payload["retire"], 0)
    if not valid or payload["custodian"] != signer or sealed is None:
        raise Refusal("BAD_REQUEST")
    return BoundRequest(
        payload["server_id"], payload["receiver_identity"], payload["boot_id"], payload["challenge"], tuple(payload["key_ids"]),
        sealed, retire=tuple(payload["retire"]),
    )


def parse_lock_payload(data: bytes, signer: str) -> BoundRequest:
    """Step 9 for ``lock`` (§12.4): the unlock request's bindings without keys."""
    payload = _payload(data, ("lock",))
    if not has_exactly(payload, _LOCK_MEMBERS) or not _bindings_valid(payload) or payload["custodian"] != signer:
        raise Refusal("BAD_REQUEST")
    return BoundRequest(payload["server_id"], payload["receiver_identity"], payload["boot_id"], payload["challenge"])


@dataclass(frozen=True)
class Statement:
    """A verified custodian statement (§12.5): ``subject`` is the new custodian of a hand-over or the revoked
    fingerprint of a revocation."""

    token: str
    type: Literal["handover", "revocation"]
    signer: str
    subject: str
    label: str | None
    issued_at: int


def parse_statement_payload(token: str, data: bytes, signer: str) -> Statement:
    payload = _payload(data, ("handover", "revocation"))
    if payload["type"] == "handover":
        valid = (
            has_exactly(payload, _HANDOVER_MEMBERS)
            and is_fingerprint(payload["custodian"])
            and is_fingerprint(payload["new_custodian"])
            and payload["new_custodian"] != signer  # handing over to oneself would revoke the only target
            and is_label(payload["label"])
            and is_time(payload["issued_at"])
        )
        subject_member, label = "new_custodian", payload.get("label")
    else:
        valid = (
            has_exactly(payload, _REVOCATION_MEMBERS)
            and is_fingerprint(payload["custodian"])
            and is_fingerprint(payload["revoked"])
            and is_time(payload["issued_at"])
        )
        subject_member, label = "revoked", None
    if not valid or payload["custodian"] != signer:
        raise Refusal("BAD_REQUEST")
    return Statement(token, payload["type"], signer, payload[subject_member], label, payload["issued_at"])
