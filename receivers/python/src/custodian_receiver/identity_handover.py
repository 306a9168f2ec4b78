"""Receiver identity hand-over (protocol §12.6): a receiver replaces its identity key with a statement signed by
the old one, and serves the chain at ``GET {base}/identity`` so a custodian can re-pin with proof
(``custodian server accept-identity NAME``) instead of trusting a new key on sight."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .errors import ConfigError, Refusal
from .jws import raw_public_key, sign_jws
from .signed_messages import parse_signed
from .wire import PROTOCOL, fingerprint_of, has_exactly, is_fingerprint, is_server_id, is_time, parse_json_object

TYP = "custodian-receiver-handover+jws"
_MEMBERS = ("protocol", "type", "server_id", "old_identity", "new_identity", "issued_at")
_MAX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ReceiverHandover:
    token: str
    server_id: str
    old_identity: str
    new_identity: str
    issued_at: int


def make_receiver_handover(old_key: Ed25519PrivateKey, new_key: Ed25519PrivateKey, server_id: str, issued_at: int) -> str:
    """The hand-over JWS, signed by the old identity (what ``rotate-identity`` prints)."""
    payload = {
        "protocol": PROTOCOL,
        "type": "receiver_handover",
        "server_id": server_id,
        "old_identity": fingerprint_of(raw_public_key(old_key)),
        "new_identity": fingerprint_of(raw_public_key(new_key)),
        "issued_at": issued_at,
    }
    return sign_jws(TYP, payload, old_key)


def parse_receiver_handover(token: str) -> ReceiverHandover:
    """A hand-over signed by the key it hands over from; raises ``Refusal`` otherwise."""
    jws = parse_signed(token, TYP)
    payload = parse_json_object(jws.payload)
    if payload is None or not has_exactly(payload, _MEMBERS):
        raise Refusal("BAD_REQUEST")
    if payload["protocol"] != PROTOCOL or payload["type"] != "receiver_handover":
        raise Refusal("WRONG_MESSAGE_TYPE")
    valid = (
        is_server_id(payload["server_id"])
        and is_fingerprint(payload["old_identity"])
        and is_fingerprint(payload["new_identity"])
        and payload["old_identity"] == jws.signer
        and payload["new_identity"] != jws.signer
        and is_time(payload["issued_at"])
    )
    if not valid:
        raise Refusal("BAD_REQUEST")
    return ReceiverHandover(token, payload["server_id"], payload["old_identity"], payload["new_identity"], payload["issued_at"])


def check_handover_chain(
    lines: list[str], server_id: str, identity: str | None, source: str = "the identity hand-overs"
) -> tuple[str, ...]:
    """Each link signed by the previous key and naming this server, the last one leading to ``identity`` (not
    checked when ``None``, before the key is loaded): a receiver refuses to start with a chain the custodian
    would refuse anyway. Blank lines are skipped; errors name the line. Returns the links, oldest first."""
    previous: ReceiverHandover | None = None
    tokens: list[str] = []
    for number, raw in enumerate(lines, start=1):
        token = raw.strip()
        if not token:
            continue
        tokens.append(token)
        try:
            link = parse_receiver_handover(token)
        except Refusal:
            raise ConfigError("INVALID_CONFIG", f"{source} line {number} is not a valid receiver hand-over") from None
        if link.server_id != server_id:
            raise ConfigError("INVALID_CONFIG", f"{source} line {number} names another server id")
        if previous is not None and link.old_identity != previous.new_identity:
            raise ConfigError("INVALID_CONFIG", f"{source} line {number} does not continue the chain of the line before")
        previous = link
    if previous is not None and identity is not None and previous.new_identity != identity:
        raise ConfigError("INVALID_CONFIG", f"{source} do not lead to this receiver's identity key (is the new key in use?)")
    return tuple(tokens)


def read_handovers_file(path: str | os.PathLike[str]) -> list[str]:
    """The file's lines (one JWS each). Not secret (it is served to anyone), so no permission rule."""
    name = os.fspath(path)
    try:
        if os.path.getsize(name) > _MAX_FILE_BYTES:
            raise ConfigError("INVALID_CONFIG", f"the identity hand-overs file {name} is too large")
        text = Path(name).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise ConfigError("INVALID_CONFIG", f"cannot read the identity hand-overs file {name}") from None
    return text.split("\n")
