"""The shared wire test vectors (test/vectors/protocol/unlock-v1.json), every case, through the core and
through the HTTP glue. Ed25519 is deterministic, so statuses and receipts must match byte for byte."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conftest import Clock, load_vectors
from custodian_client import ClientError, verify_status
from custodian_receiver import BootState, Receiver, ReceiverLocked, handle_request, key_id
from custodian_receiver.hpke import hpke_info
from custodian_receiver.wire import PROTOCOL, b64u_decode, fingerprint_of
from custodian_receiver.jws import raw_public_key

VECTORS = load_vectors()
CASES = VECTORS["request_cases"]


def _bytes(text: str) -> bytes:
    value = b64u_decode(text)
    assert value is not None, text
    return value


def make_receiver(
    vectors: dict[str, Any], clock: Clock, overrides: dict[str, Any] | None = None, *, with_challenges: bool = True,
    random_bytes: Any = None,
) -> Receiver:
    base = vectors["receiver"]
    o = overrides or {}
    challenges = o.get("challenges", base["challenges"]) if with_challenges else []
    return Receiver(
        server_id=base["server_id"],
        identity_key=Ed25519PrivateKey.from_private_bytes(_bytes(base["identity_seed"])),
        authorized_custodians=base["authorized_custodians"],
        key_checks=base["key_checks"],
        clock=clock,
        **({"random_bytes": random_bytes} if random_bytes else {}),
        boot=BootState(
            boot_id=o.get("boot_id", base["boot_id"]),
            ephemeral_private_key=_bytes(o.get("ephemeral_private_key", base["ephemeral_private_key"])),
            challenges=[(c["challenge"], c["expires_at"]) for c in challenges],
        ),
    )


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


def test_hpke_info_and_plaintext_match_the_valid_request(vectors: dict[str, Any]) -> None:
    payload = vectors["request"]["payload"]
    info = hpke_info(payload["server_id"], payload["receiver_identity"], payload["boot_id"], payload["challenge"], payload["custodian"])
    assert info.hex() == vectors["request"]["hpke_info_hex"]
    keys = vectors["keys"]
    assert (_bytes(keys["current"]["raw"]) + _bytes(keys["previous"]["raw"])).hex() == vectors["request"]["plaintext_hex"]
    assert _bytes(payload["sealed"]) == _bytes(vectors["request"]["hpke_enc"]) + _bytes(vectors["request"]["hpke_ciphertext"])


def test_status_receipt_and_unlocked_status_are_byte_exact(vectors: dict[str, Any]) -> None:
    clock = Clock(vectors["status"]["now"])
    challenge = _bytes(vectors["receiver"]["challenges"][0]["challenge"])
    # The boot comes from the vectors; the one challenge the status issues is the vectors' challenge.
    receiver = make_receiver(vectors, clock, with_challenges=False, random_bytes=lambda n: challenge)
    status = receiver.status()
    assert status.http_status == 200
    assert status.body == {"protocol": PROTOCOL, "status": vectors["status"]["jws"]}
    assert json.dumps(status.body, separators=(",", ":")) == vectors["status"]["body"]

    clock.now = vectors["receipt"]["now"]
    answer = receiver.unlock(vectors["request"]["body"].encode(), "application/json")
    assert answer.http_status == 200, answer.body
    assert answer.body == {"protocol": PROTOCOL, "receipt": vectors["receipt"]["jws"]}
    assert answer.attempt is not None and answer.attempt.ok
    assert list(answer.attempt.key_ids) == vectors["receipt"]["payload"]["key_ids"]

    clock.now = vectors["status"]["unlocked_payload"]["issued_at"]
    assert receiver.status().body["status"] == vectors["status"]["unlocked_jws"]


def test_the_client_side_check_of_the_vectors_status_passes(vectors: dict[str, Any]) -> None:
    payload = verify_status(vectors["status"]["body"], vectors["receiver"]["identity"], vectors["receiver"]["server_id"])
    assert payload == vectors["status"]["payload"]


@pytest.mark.parametrize("case", VECTORS["client_status_cases"], ids=lambda c: c["name"])
def test_client_status_cases_hold_for_the_test_client(case: dict[str, Any]) -> None:
    # The tests' own push client must agree with the vectors, or its requests would prove nothing.
    try:
        verify_status(case["status_body"], case["pinned_identity"], case["pinned_server_id"])
        error = None
    except ClientError as refusal:
        error = refusal.code
    assert error == case["expect_error"]


def _send(receiver: Receiver, layer: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body = request["body"].encode("utf-8")
    if layer == "core":
        answer = receiver.unlock(body, request["content_type"])
        return answer.http_status, answer.body
    stream = [body]
    response = handle_request(
        receiver,
        method="POST",
        path="/custodian/unlock",
        content_type=request["content_type"],
        content_length=len(body),
        read=lambda n: stream.pop()[:n] if stream else b"",
    )
    assert ("Cache-Control", "no-store") in response.headers
    assert ("Content-Type", "application/json") in response.headers
    return response.status, json.loads(response.body)


@pytest.mark.parametrize("layer", ["core", "http"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_request_case(vectors: dict[str, Any], case: dict[str, Any], layer: str) -> None:
    clock = Clock(0)
    receiver = make_receiver(vectors, clock, case.get("receiver"))
    attempts: list[Any] = []
    receiver.add_listener(attempts.append)
    accepted = None
    for request in case["requests"]:
        clock.now = request["now"]
        status, body = _send(receiver, layer, request)
        assert status == request["expect_status"], body
        assert body["protocol"] == PROTOCOL
        if request["expect_error"] is None:
            assert set(body) == {"protocol", "receipt"}
            accepted = body
        else:
            assert body == {"protocol": PROTOCOL, "error": {"code": request["expect_error"], "message": body["error"]["message"]}}
            assert request["body"][:40] not in body["error"]["message"]  # messages never quote the input
    assert [a.error for a in attempts] == [r["expect_error"] for r in case["requests"]]

    if accepted is None:
        assert receiver.state == "locked"
        assert receiver.installed_key_ids == ()
        with pytest.raises(ReceiverLocked):
            receiver.get_fernet()
    else:
        assert receiver.state == "unlocked"
        fernet = receiver.get_fernet()
        keys = VECTORS["keys"]
        token = Fernet(keys["current"]["fernet_key"]).encrypt(b"row encrypted before the boot")
        assert fernet.decrypt(token) == b"row encrypted before the boot"
        assert Fernet(keys["current"]["fernet_key"]).decrypt(fernet.encrypt(b"new")) == b"new"
        if len(receiver.installed_key_ids) == 2:
            old = Fernet(keys["previous"]["fernet_key"]).encrypt(b"older row")
            assert fernet.decrypt(old) == b"older row"


def test_every_vector_case_is_exercised() -> None:
    # Guards against a vectors file that silently lost its cases (a test over nothing passes).
    names = {c["name"] for c in CASES}
    assert len(CASES) >= 40
    for required in ("valid-unlock", "replay-after-unlock", "replay-other-boot", "unknown-custodian", "wrong-key",
                     "tampered-signature", "tampered-ciphertext", "body-too-large", "downgrade-alg-none"):
        assert required in names


@pytest.mark.parametrize("case", VECTORS["client_receipt_cases"], ids=lambda c: c["name"])
def test_client_receipt_cases_hold_for_the_test_client(vectors: dict[str, Any], case: dict[str, Any]) -> None:
    from custodian_client import PreparedRequest, verify_receipt

    request = PreparedRequest(vectors["request"]["body"].encode(), vectors["request"]["jws"], vectors["request"]["payload"])
    try:
        verify_receipt(case["receipt_body"], vectors["receiver"]["identity"], request)
        error = None
    except ClientError as refusal:
        error = refusal.code
    assert error == case["expect_error"]
