"""The shared wire test vectors (test/vectors/protocol/unlock-v1.json, revision 2), every case, through the core
and through the HTTP glue. Ed25519 is deterministic, so statuses and receipts must match byte for byte."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from conftest import Clock, load_vectors
from custodian_client import ClientError, PreparedRequest, verify_receipt, verify_status
from custodian_receiver import BootState, ConfigError, Receiver, ReceiverLocked, handle_request, key_id
from custodian_receiver.challenges import ChallengeBook
from custodian_receiver.hpke import hpke_info
from custodian_receiver.jws import raw_public_key
from custodian_receiver.wire import PROTOCOL, b64u_decode, fingerprint_of

VECTORS = load_vectors()
CASES = VECTORS["request_cases"]
LOCK_CASES = VECTORS["lock"]["cases"]
STATEMENT_CASES = VECTORS["statements"]["cases"]
REKEY_CASES = VECTORS["rekey"]["cases"]
PATHS = {"unlock": "/custodian/unlock", "lock": "/custodian/lock", "custodians": "/custodian/custodians", "rekey": "/custodian/rekey"}


def _bytes(text: str) -> bytes:
    value = b64u_decode(text)
    assert value is not None, text
    return value


def make_receiver(
    vectors: dict[str, Any], clock: Clock, overrides: dict[str, Any] | None = None, *, tmp: Path | None = None, random_bytes: Any = None,
    identity_seed: str | None = None, handovers: list[str] | None = None,
) -> Receiver:
    base = {**vectors["receiver"], **(overrides or {})}
    rekey_keys = [X25519PrivateKey.from_private_bytes(_bytes(k)) for k in base["rekey_ephemeral_private_keys"]]
    statements_file = None
    if base["statements_enabled"]:
        assert tmp is not None, "a case with statements needs a directory for the statements file"
        statements_file = tmp / "statements"
    return Receiver(
        server_id=base["server_id"],
        identity_key=Ed25519PrivateKey.from_private_bytes(_bytes(identity_seed or base["identity_seed"])),
        authorized_custodians=base["authorized_custodians"],
        key_checks=base["key_checks"],
        clock=clock,
        **({"random_bytes": random_bytes} if random_bytes else {}),
        boot=BootState(
            boot_id=base["boot_id"],
            ephemeral_private_key=_bytes(base["ephemeral_private_key"]),
            challenge_secret=_bytes(base["challenge_secret"]),
            spent=base["spent"],
        ),
        allow_older_current_key=base["allow_older_current_key"],
        custodian_statements_file=statements_file,
        identity_handovers=handovers or (),
        new_ephemeral_key=lambda: rekey_keys.pop(0),  # the vectors' rekey keys (§12.12), in order
    )


def _nonce_source(nonce: str) -> Any:
    """A random source that yields the vectors' challenge nonce (the only 8-byte draw) and real randomness else."""
    fixed = _bytes(nonce)
    return lambda n: fixed if n == 8 else os.urandom(n)


def test_identities_keys_and_key_ids_match_the_vectors(vectors: dict[str, Any]) -> None:
    for identity in vectors["identities"].values():
        private = Ed25519PrivateKey.from_private_bytes(_bytes(identity["seed"]))
        assert raw_public_key(private) == _bytes(identity["public_key"])
        assert fingerprint_of(_bytes(identity["public_key"])) == identity["fingerprint"]
    for key in vectors["keys"].values():
        raw = _bytes(key["raw"])
        assert key_id(raw) == key["key_id"]
        assert base64.urlsafe_b64encode(raw).decode() == key["fernet_key"]
    receiver = make_receiver(vectors, Clock(0))
    assert receiver.identity == vectors["receiver"]["identity"]


def test_challenges_are_computed_as_the_vectors_say(vectors: dict[str, Any]) -> None:
    receiver = vectors["receiver"]
    for name in ("valid", "second", "unlocked_status"):
        entry = vectors["challenges"][name]
        book = ChallengeBook(receiver["boot_id"], _bytes(receiver["challenge_secret"]), lambda n, e=entry: _bytes(e["nonce"]))
        assert book.issue(entry["issued_at"]) == (entry["challenge"], entry["issued_at"] + 60)
    boot_2 = vectors["challenges"]["boot_2"]
    book = ChallengeBook(boot_2["boot_id"], _bytes(boot_2["challenge_secret"]), lambda n: _bytes(boot_2["nonce"]))
    assert book.issue(boot_2["issued_at"])[0] == boot_2["challenge"]


def test_hpke_info_and_plaintext_match_the_valid_request(vectors: dict[str, Any]) -> None:
    payload = vectors["request"]["payload"]
    info = hpke_info(payload["server_id"], payload["receiver_identity"], payload["boot_id"], payload["challenge"], payload["custodian"])
    assert info.hex() == vectors["request"]["hpke_info_hex"]
    keys = vectors["keys"]
    assert (_bytes(keys["current"]["raw"]) + _bytes(keys["previous"]["raw"])).hex() == vectors["request"]["plaintext_hex"]
    assert _bytes(payload["sealed"]) == _bytes(vectors["request"]["hpke_enc"]) + _bytes(vectors["request"]["hpke_ciphertext"])


def test_status_receipt_and_unlocked_status_are_byte_exact(vectors: dict[str, Any]) -> None:
    status_vector = vectors["status"]
    clock = Clock(status_vector["now"])
    nonces = [_bytes(status_vector["challenge_nonce"]), _bytes(status_vector["challenge_nonce"]), _bytes(status_vector["unlocked_challenge_nonce"])]
    receiver = make_receiver(vectors, clock, random_bytes=lambda n: nonces.pop(0) if n == 8 else os.urandom(n))
    status = receiver.status()
    assert status.http_status == 200
    assert status.body == {"protocol": PROTOCOL, "status": status_vector["jws"]}
    assert json.dumps(status.body, separators=(",", ":")) == status_vector["body"]
    with_nonce = status_vector["with_nonce"]
    response = _http(receiver, "GET", f"/custodian/status?{with_nonce['query']}")
    assert (response.status, response.body.decode()) == (200, with_nonce["body"])

    clock.now = vectors["receipt"]["now"]
    answer = receiver.unlock(vectors["request"]["body"].encode(), "application/json")
    assert answer.http_status == 200, answer.body
    assert answer.body == {"protocol": PROTOCOL, "receipt": vectors["receipt"]["jws"]}
    assert json.dumps(answer.body, separators=(",", ":")) == vectors["receipt"]["body"]
    assert answer.attempt is not None and answer.attempt.ok
    assert list(answer.attempt.key_ids) == vectors["receipt"]["payload"]["key_ids"]

    clock.now = status_vector["unlocked_now"]
    assert receiver.status().body["status"] == status_vector["unlocked_jws"]


def test_the_lock_receipt_is_byte_exact(vectors: dict[str, Any]) -> None:
    lock = vectors["lock"]
    clock = Clock(lock["receipt"]["now"])
    receiver = make_receiver(vectors, clock)
    answer = receiver.remote_lock(lock["request"]["body"].encode(), "application/json")
    assert answer.http_status == 200, answer.body
    assert json.dumps(answer.body, separators=(",", ":")) == lock["receipt"]["body"]
    assert receiver.boot_id != vectors["receiver"]["boot_id"]


def test_the_client_side_check_of_the_vectors_status_passes(vectors: dict[str, Any]) -> None:
    payload = verify_status(vectors["status"]["body"], vectors["receiver"]["identity"], vectors["receiver"]["server_id"])
    assert payload == vectors["status"]["payload"]


@pytest.mark.parametrize("case", VECTORS["client_status_cases"], ids=lambda c: c["name"])
def test_client_status_cases_hold_for_the_test_client(case: dict[str, Any]) -> None:
    # The tests' own push client must agree with the vectors, or its requests would prove nothing.
    try:
        verify_status(case["status_body"], case["pinned_identity"], case["pinned_server_id"], case["client_nonce"])
        error = None
    except ClientError as refusal:
        error = refusal.code
    assert error == case["expect_error"]


def _http(receiver: Receiver, method: str, path: str, body: bytes = b"", content_type: str | None = None) -> Any:
    stream = [body]
    return handle_request(
        receiver,
        method=method,
        path=path,
        host="receiver.test",
        content_type=content_type,
        content_length=len(body) if method == "POST" else None,
        read=lambda n: stream.pop()[:n] if stream else b"",
    )


def _send(receiver: Receiver, layer: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body = request["body"].encode("utf-8")
    endpoint = request["endpoint"]
    if layer == "core":
        submit = {"unlock": receiver.unlock, "lock": receiver.remote_lock, "custodians": receiver.statement, "rekey": receiver.rekey}[endpoint]
        answer = submit(body, request["content_type"])
        return answer.http_status, answer.body
    response = _http(receiver, "POST", PATHS[endpoint], body, request["content_type"])
    assert ("Cache-Control", "no-store") in response.headers
    assert ("Content-Type", "application/json") in response.headers
    return response.status, json.loads(response.body)


def _run(receiver: Receiver, clock: Clock, layer: str, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    attempts: list[Any] = []
    receiver.add_listener(attempts.append)
    answers = []
    for request in requests:
        clock.now = request["now"]
        status, body = _send(receiver, layer, request)
        assert status == request["expect_status"], (request, body)
        assert body["protocol"] == PROTOCOL
        if request["expect_error"] is None:
            assert "error" not in body
            if "expect_applied" in request:
                assert body == {"protocol": PROTOCOL, "applied": request["expect_applied"]}
        else:
            assert body == {"protocol": PROTOCOL, "error": {"code": request["expect_error"], "message": body["error"]["message"]}}
            assert request["body"][:40] not in body["error"]["message"]  # messages never quote the input
        answers.append(body)
    assert [a.error for a in attempts] == [r["expect_error"] for r in requests]
    assert [a.event for a in attempts] == [{"custodians": "statement"}.get(r["endpoint"], r["endpoint"]) for r in requests]
    return answers


@pytest.mark.parametrize("layer", ["core", "http"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_request_case(vectors: dict[str, Any], case: dict[str, Any], layer: str) -> None:
    clock = Clock(0)
    receiver = make_receiver(vectors, clock, case.get("receiver"))
    answers = _run(receiver, clock, layer, case["requests"])
    accepted = [a for a in answers if "receipt" in a]
    if not accepted:
        assert receiver.state == "locked"
        assert receiver.installed_key_ids == ()
        with pytest.raises(ReceiverLocked):
            receiver.get_fernet()
    else:
        assert receiver.state == "unlocked"
        fernet = receiver.get_fernet()
        by_id = {key["key_id"]: key["fernet_key"] for key in VECTORS["keys"].values()}
        first, *others = receiver.installed_key_ids
        token = Fernet(by_id[first]).encrypt(b"row encrypted before the boot")
        assert fernet.decrypt(token) == b"row encrypted before the boot"
        assert Fernet(by_id[first]).decrypt(fernet.encrypt(b"new")) == b"new"  # the first key encrypts
        for other in others:
            assert fernet.decrypt(Fernet(by_id[other]).encrypt(b"older row")) == b"older row"


@pytest.mark.parametrize("layer", ["core", "http"])
@pytest.mark.parametrize("case", LOCK_CASES, ids=lambda c: c["name"])
def test_lock_case(vectors: dict[str, Any], case: dict[str, Any], layer: str) -> None:
    clock = Clock(0)
    receiver = make_receiver(vectors, clock, case.get("receiver"))
    locks: list[Any] = []
    receiver.on_lock(locks.append)
    _run(receiver, clock, layer, case["requests"])
    assert receiver.state == case["expect_state"]
    assert (receiver.boot_id != vectors["receiver"]["boot_id"]) == case["expect_new_boot"]
    accepted_locks = [r for r in case["requests"] if r["endpoint"] == "lock" and r["expect_error"] is None]
    assert len(locks) == len(accepted_locks) and all(event.remote for event in locks)
    if case["expect_state"] == "locked":
        with pytest.raises(ReceiverLocked):
            receiver.get_fernet()


@pytest.mark.parametrize("layer", ["core", "http"])
@pytest.mark.parametrize("case", STATEMENT_CASES, ids=lambda c: c["name"])
def test_statement_case(vectors: dict[str, Any], case: dict[str, Any], layer: str, tmp_path: Path) -> None:
    clock = Clock(0)
    receiver = make_receiver(vectors, clock, case.get("receiver"), tmp=tmp_path)
    _run(receiver, clock, layer, case["requests"])
    assert sorted(c.fingerprint for c in receiver.custodians) == case["expect_effective_custodians"]
    if receiver.statements_enabled:
        # What was accepted is on disk, and a restart from the file reaches the same effective set.
        written = (tmp_path / "statements").read_text()
        applied = [r for r in case["requests"] if r.get("expect_applied")]
        assert len(written.splitlines()) == len(applied)
        assert (tmp_path / "statements").stat().st_mode & 0o777 == 0o600
        again = make_receiver(vectors, Clock(0), case.get("receiver"), tmp=tmp_path)
        assert sorted(c.fingerprint for c in again.custodians) == case["expect_effective_custodians"]


@pytest.mark.parametrize("case", VECTORS["statements"]["file_cases"], ids=lambda c: c["name"])
def test_statements_file_case(vectors: dict[str, Any], case: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "statements"
    path.write_text("".join(line + "\n" for line in case["lines"]))
    path.chmod(0o600)
    overrides = {"authorized_custodians": case["authorized_custodians"], "statements_enabled": True}
    if case["expect_error_line"] is None:
        receiver = make_receiver(vectors, Clock(0), overrides, tmp=tmp_path)
        assert sorted(c.fingerprint for c in receiver.custodians) == case["expect_effective_custodians"]
    else:
        with pytest.raises(ConfigError) as refused:
            make_receiver(vectors, Clock(0), overrides, tmp=tmp_path)
        assert f"line {case['expect_error_line']} " in refused.value.message


def test_the_identity_endpoint_serves_the_hand_over_chain(vectors: dict[str, Any]) -> None:
    handover = vectors["receiver_handover"]
    rotated = vectors["identities"]["receiver_rotated"]
    receiver = make_receiver(vectors, Clock(0), identity_seed=rotated["seed"], handovers=[handover["handover"]["jws"]])
    assert receiver.identity == rotated["fingerprint"]
    response = _http(receiver, "GET", "/custodian/identity")
    assert (response.status, response.body.decode()) == (200, handover["identity_body"])
    assert json.loads(_http(make_receiver(vectors, Clock(0)), "GET", "/custodian/identity").body) == {"protocol": PROTOCOL, "handovers": []}
    with pytest.raises(ConfigError, match="lead to this receiver's identity"):
        make_receiver(vectors, Clock(0), handovers=[handover["handover"]["jws"]])  # the old key still in use


@pytest.mark.parametrize("case", VECTORS["status_query_cases"], ids=lambda c: c["name"])
def test_status_query_case(vectors: dict[str, Any], case: dict[str, Any]) -> None:
    receiver = make_receiver(vectors, Clock(vectors["status"]["now"]))
    response = _http(receiver, "GET", "/custodian/status" + (f"?{case['query']}" if case["query"] else ""))
    body = json.loads(response.body)
    assert response.status == case["expect_status"]
    if case["expect_error"] is None:
        status = verify_status(response.body, receiver.identity, receiver.server_id, case["expect_client_nonce"])
        assert status["client_nonce"] == case["expect_client_nonce"]
    else:
        assert body["error"]["code"] == case["expect_error"]


def test_every_vector_case_is_exercised() -> None:
    # Guards against a vectors file that silently lost its cases (a test over nothing passes).
    names = {c["name"] for c in CASES}
    assert VECTORS["revision"] == 2
    assert len(CASES) >= 60 and len(LOCK_CASES) >= 10 and len(STATEMENT_CASES) >= 20
    for required in ("valid-unlock", "replay-after-unlock", "replay-other-boot", "unknown-custodian", "wrong-key",
                     "tampered-signature", "tampered-ciphertext", "body-too-large", "downgrade-alg-none",
                     "unknown-custodian-forged-signature", "key-order-swapped", "strict-header-duplicate-alg",
                     "strict-payload-1e3", "strict-payload-fraction", "strict-payload-minus-zero", "challenge-already-spent"):
        assert required in names


@pytest.mark.parametrize("case", VECTORS["client_receipt_cases"], ids=lambda c: c["name"])
def test_client_receipt_cases_hold_for_the_test_client(vectors: dict[str, Any], case: dict[str, Any]) -> None:
    request = PreparedRequest(vectors["request"]["body"].encode(), vectors["request"]["jws"], vectors["request"]["payload"])
    try:
        verify_receipt(case["receipt_body"], vectors["receiver"]["identity"], request)
        error = None
    except ClientError as refusal:
        error = refusal.code
    assert error == case["expect_error"]


@pytest.mark.parametrize("case", VECTORS["lock"]["client_receipt_cases"], ids=lambda c: c["name"])
def test_client_lock_receipt_cases_hold_for_the_test_client(vectors: dict[str, Any], case: dict[str, Any]) -> None:
    lock = vectors["lock"]["request"]
    request = PreparedRequest(lock["body"].encode(), lock["jws"], lock["payload"])
    try:
        verify_receipt(case["receipt_body"], vectors["receiver"]["identity"], request, lock=True)
        error = None
    except ClientError as refusal:
        error = refusal.code
    assert error == case["expect_error"]


@pytest.mark.parametrize("layer", ["core", "http"])
@pytest.mark.parametrize("case", REKEY_CASES, ids=lambda c: c["name"])
def test_rekey_case(vectors: dict[str, Any], case: dict[str, Any], layer: str) -> None:
    clock = Clock(0)
    receiver = make_receiver(vectors, clock, case.get("receiver"))
    _run(receiver, clock, layer, case["requests"])
    assert list(receiver.installed_key_ids) == case["expect_installed_key_ids"]


def test_the_rekey_receipt_is_byte_exact(vectors: dict[str, Any]) -> None:
    rekey = vectors["rekey"]
    clock = Clock(vectors["receipt"]["now"])
    receiver = make_receiver(vectors, clock)
    assert receiver.unlock(vectors["request"]["body"].encode(), "application/json").http_status == 200
    clock.now = rekey["receipt"]["now"]
    answer = receiver.rekey(rekey["request"]["body"].encode(), "application/json")
    assert answer.http_status == 200, answer.body
    assert json.dumps(answer.body, separators=(",", ":")) == rekey["receipt"]["body"]
    payload = rekey["request"]["payload"]
    info = hpke_info(payload["server_id"], payload["receiver_identity"], payload["boot_id"], payload["challenge"], payload["custodian"], rekey=True)
    assert info.hex() == rekey["request"]["hpke_info_hex"]
