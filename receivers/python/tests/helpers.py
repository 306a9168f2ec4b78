"""Builders for tests: a receiver with fresh keys, an authorized custodian, and requests against it."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conftest import Clock
from custodian_client import PreparedRequest, build_unlock, verify_status
from custodian_receiver import Receiver, key_id
from custodian_receiver.jws import raw_public_key
from custodian_receiver.wire import fingerprint_of

NOW = 1_800_000_000


@dataclass
class World:
    receiver: Receiver
    clock: Clock
    custodian: Ed25519PrivateKey
    stranger: Ed25519PrivateKey
    current: bytes
    previous: bytes
    attempts: list[Any] = field(default_factory=list)

    def status(self) -> dict[str, Any]:
        answer = self.receiver.status()
        assert answer.http_status == 200
        return verify_status(json.dumps(answer.body), self.receiver.identity, self.receiver.server_id)

    def request(self, keys: list[bytes] | None = None, **options: Any) -> PreparedRequest:
        return build_unlock(self.status(), options.pop("signer", self.custodian), keys if keys is not None else [self.current, self.previous], **options)

    def send(self, request: PreparedRequest | bytes, content_type: str = "application/json") -> tuple[int, dict[str, Any]]:
        body = request.body if isinstance(request, PreparedRequest) else request
        answer = self.receiver.unlock(body, content_type)
        return answer.http_status, answer.body


def fingerprint(key: Ed25519PrivateKey) -> str:
    return fingerprint_of(raw_public_key(key))


def fernet_text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def make_world(server_id: str = "app-1", custodian: Ed25519PrivateKey | None = None, **options: Any) -> World:
    custodian, stranger = custodian or Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    current, previous = os.urandom(32), os.urandom(32)
    clock = Clock(NOW)
    receiver = Receiver(
        server_id=server_id,
        identity_key=Ed25519PrivateKey.generate(),
        authorized_custodians=f"# test\n{fingerprint(custodian)} alice\n",
        key_checks=[key_id(current), key_id(previous)],
        clock=clock,
        **options,
    )
    world = World(receiver, clock, custodian, stranger, current, previous)
    receiver.add_listener(world.attempts.append)
    return world


def error_of(body: dict[str, Any]) -> str | None:
    return body["error"]["code"] if "error" in body else None


def key_forms(raw: bytes) -> list[bytes]:
    """Every encoding a key could leak in: raw, hex (both cases), base64, base64url, with and without padding."""
    b64 = base64.b64encode(raw)
    b64u = base64.urlsafe_b64encode(raw)
    return [raw, raw.hex().encode(), raw.hex().upper().encode(), b64, b64.rstrip(b"="), b64u, b64u.rstrip(b"=")]
