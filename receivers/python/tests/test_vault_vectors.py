"""The §12.13 wire vectors (test/vectors/protocol/vault-login-v1.json): the status announcing the Vault login, the
request whose sealed plaintext carries the wrapping token after the keys, the exact receipts, and the bad tails.
Vault is replaced by a double at hvac's client only, so parsing, the exactly-once unwrap, the login and the
receipt/state logic are the receiver's own (the real exchange against OpenBao is in test_vault_login.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import hvac.exceptions
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from conftest import Clock, load_vectors
from custodian_receiver import BootState, Receiver, VaultLogin, VaultSettings
from custodian_receiver.wire import b64u_decode

BASE = load_vectors()
VAULT = json.loads((Path(__file__).resolve().parents[3] / "test" / "vectors" / "protocol" / "vault-login-v1.json").read_text(encoding="utf-8"))
SECRET_ID = "secret-id-of-the-double"
ROLE_ID = "role-id-of-the-double"


def _bytes(text: str) -> bytes:
    value = b64u_decode(text)
    assert value is not None, text
    return value


class VaultDouble:
    """What the receiver sees of Vault through hvac: unwrap answers a SecretID once per wrapping token."""

    def __init__(self) -> None:
        self.unwrapped: list[str] = []
        self.calls: list[str] = []


class _Client:
    def __init__(self, world: VaultDouble) -> None:
        self.token: str | None = None
        outer = self

        class Sys:
            def unwrap(self) -> dict[str, Any]:
                world.calls.append("unwrap")
                if outer.token in world.unwrapped:
                    raise hvac.exceptions.InvalidRequest("wrapping token is not valid or does not exist")
                world.unwrapped.append(str(outer.token))
                return {"data": {"secret_id": SECRET_ID}}

        class AppRole:
            def login(self, role_id: str, secret_id: str, use_token: bool) -> dict[str, Any]:
                world.calls.append("login")
                assert (role_id, secret_id) == (ROLE_ID, SECRET_ID)
                outer.token = "client-token-of-the-double"
                return {"auth": {"client_token": outer.token, "lease_duration": 3600, "renewable": False}}

        class Token:
            def revoke_self(self) -> None:
                world.calls.append("revoke")

            def renew_self(self) -> dict[str, Any]:
                return {"auth": {"lease_duration": 3600}}

        class Auth:
            approle = AppRole()
            token = Token()

        self.sys = Sys()
        self.auth = Auth()


def make(configured: bool = True, nonce: str | None = None) -> tuple[Receiver, VaultDouble, Clock, VaultLogin]:
    base = BASE["receiver"]
    clock = Clock(BASE["status"]["now"])
    world = VaultDouble()
    login = VaultLogin(VaultSettings(addr="http://127.0.0.1:9", role=VAULT["vault_role"], role_id=ROLE_ID), client_factory=lambda _s: _Client(world))
    rekey_keys = [X25519PrivateKey.from_private_bytes(_bytes(k)) for k in base["rekey_ephemeral_private_keys"]]
    fixed = _bytes(nonce) if nonce else None
    receiver = Receiver(
        server_id=base["server_id"],
        identity_key=Ed25519PrivateKey.from_private_bytes(_bytes(base["identity_seed"])),
        authorized_custodians=base["authorized_custodians"],
        key_checks=base["key_checks"],
        clock=clock,
        **({"random_bytes": lambda n: fixed if n == 8 else os.urandom(n)} if fixed else {}),
        boot=BootState(
            boot_id=base["boot_id"],
            ephemeral_private_key=_bytes(base["ephemeral_private_key"]),
            challenge_secret=_bytes(base["challenge_secret"]),
            spent=base["spent"],
        ),
        allow_older_current_key=base["allow_older_current_key"],
        new_ephemeral_key=lambda: rekey_keys.pop(0),
        vault=login if configured else None,
    )
    return receiver, world, clock, login


def _receipt(body: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(_bytes(body["receipt"].split(".")[1]))
    return payload


def test_the_plaintext_layout_is_keys_then_wrapping_token() -> None:
    plaintext = bytes.fromhex(VAULT["request"]["plaintext_hex"])
    assert plaintext[:32] == _bytes(BASE["keys"]["current"]["raw"])
    assert plaintext[32:64] == _bytes(BASE["keys"]["previous"]["raw"])
    assert plaintext[VAULT["request"]["keys_bytes"] :] == VAULT["wrap_token_ascii"].encode("ascii")
    assert list(VAULT["request"]["payload"])[-1] == "vault_role"


def test_the_status_announces_the_login_exactly_and_unconfigured_stays_revision_2() -> None:
    receiver, _, _, _ = make(nonce=BASE["status"]["challenge_nonce"])
    assert json.dumps(receiver.status().body, separators=(",", ":")) == VAULT["status"]["body"]
    plain, _, _, _ = make(configured=False, nonce=BASE["status"]["challenge_nonce"])
    assert json.dumps(plain.status().body, separators=(",", ":")) == BASE["status"]["body"]


def test_the_valid_request_installs_unwraps_once_and_signs_the_receipt_exactly() -> None:
    receiver, world, clock, login = make()
    clock.now = VAULT["receipt"]["now"]
    answer = receiver.unlock(VAULT["request"]["body"].encode(), "application/json")
    assert json.dumps(answer.body, separators=(",", ":")) == VAULT["receipt"]["body"]
    assert world.unwrapped == [VAULT["wrap_token_ascii"]]
    assert login.state == "delivered"
    receiver.lock()
    assert login.state == "awaiting"


def test_another_role_is_never_unwrapped_and_the_receipt_is_exact() -> None:
    receiver, world, clock, login = make()
    clock.now = VAULT["other_role_receipt"]["now"]
    case = next(c for c in VAULT["request_cases"] if c["name"] == "other-role")
    answer = receiver.unlock(case["requests"][0]["body"].encode(), "application/json")
    assert json.dumps(answer.body, separators=(",", ":")) == VAULT["other_role_receipt"]["body"]
    assert world.calls == []
    assert login.state == "VAULT_ROLE_MISMATCH"


@pytest.mark.parametrize("case", VAULT["request_cases"], ids=[c["name"] for c in VAULT["request_cases"]])
def test_vault_request_case(case: dict[str, Any]) -> None:
    receiver, world, clock, login = make(configured=case["vault_configured"])
    for request in case["requests"]:
        clock.now = request["now"]
        answer = receiver.unlock(request["body"].encode(), request["content_type"])
        code = (answer.body.get("error") or {}).get("code")
        assert (answer.http_status, code) == (request["expect_status"], request["expect_error"]), answer.body
        if request["expect_error"] is not None:
            assert receiver.state == "locked"
            assert world.calls == []
        else:
            assert receiver.state == "unlocked"
            assert _receipt(answer.body)["vault_login"] == case["expect_vault_login"]
    expected = [] if case["expect_wrap_token"] is None else [_bytes(case["expect_wrap_token"]).decode("ascii")]
    assert world.unwrapped == expected


def test_a_used_wrapping_token_is_wrap_used_and_the_keys_install() -> None:
    receiver, world, clock, login = make()
    world.unwrapped.append(VAULT["wrap_token_ascii"])
    clock.now = VAULT["receipt"]["now"]
    answer = receiver.unlock(VAULT["request"]["body"].encode(), "application/json")
    assert answer.http_status == 200
    assert _receipt(answer.body)["vault_login"] == "VAULT_WRAP_USED"
    assert receiver.state == "unlocked"
    assert "login" not in world.calls
