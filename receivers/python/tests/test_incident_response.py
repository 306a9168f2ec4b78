"""Incident response in the receiver (protocol §12.4-12.7): remote lock and its listeners, custodian hand-over and
revocation with the statements file, the metrics text, and the host agent's view of the keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from custodian_client import build_handover, build_lock, build_revocation, verify_receipt
from custodian_receiver import ConfigError, LockEvent, Receiver, ReceiverLocked, UnlockEvent, key_id
from custodian_receiver.flask_blueprint import get_fernet, init_app
from helpers import NOW, error_of, fernet_text, fingerprint, make_world


def test_a_remote_lock_wipes_the_keys_tells_the_listeners_first_and_starts_a_new_boot() -> None:
    world = make_world()
    assert world.send(world.request())[0] == 200
    fernet = world.receiver.get_fernet()
    buffers = [key.buffer for key in world.receiver._keys]
    seen: list[tuple[LockEvent, str]] = []
    world.receiver.on_lock(lambda event: seen.append((event, world.receiver.state)))
    boot = world.receiver.boot_id
    lock = build_lock(world.status(), world.custodian)
    answer = world.receiver.remote_lock(lock.body, "application/json")
    assert answer.http_status == 200
    # The listener ran before the answer came back, and it already saw the receiver locked.
    assert seen == [(LockEvent(boot, world.receiver.boot_id, remote=True, custodian=fingerprint(world.custodian)), "locked")]
    receipt = verify_receipt(json.dumps(answer.body), world.receiver.identity, lock, lock=True)
    assert receipt["boot_id"] == boot and receipt["locked_at"] == NOW and receipt["type"] == "lock_receipt"
    assert all(buffer == bytearray(32) for buffer in buffers)
    with pytest.raises(ReceiverLocked):
        fernet.decrypt(Fernet(fernet_text(world.current)).encrypt(b"x"))
    with pytest.raises(ReceiverLocked):
        world.receiver.get_fernet()
    assert world.receiver.boot_id != boot and not world.receiver.wait_unlocked(0)
    assert world.attempts[-1].event == "lock" and world.attempts[-1].ok
    # The lock's challenge is spent with the old boot; a new push works.
    assert error_of(world.receiver.remote_lock(lock.body, "application/json").body) == "WRONG_BOOT"
    assert world.send(world.request())[0] == 200


def test_a_lock_needs_an_authorized_custodian_and_changes_nothing_otherwise() -> None:
    world = make_world()
    unlock_request = world.request()
    assert world.send(world.request())[0] == 200
    status = world.status()
    answer = world.receiver.remote_lock(build_lock(status, world.stranger).body, "application/json")
    assert (answer.http_status, error_of(answer.body)) == (403, "UNKNOWN_CUSTODIAN")
    other_server = build_lock({**status, "server_id": "app-2"}, world.custodian)
    assert error_of(world.receiver.remote_lock(other_server.body, "application/json").body) == "WRONG_SERVER"
    # an unlock request is not a lock request
    assert error_of(world.receiver.remote_lock(unlock_request.body, "application/json").body) == "WRONG_MESSAGE_TYPE"
    assert world.receiver.state == "unlocked"
    world.receiver.get_fernet()


def test_the_applications_own_lock_tells_the_listeners_too() -> None:
    world = make_world()
    seen: list[LockEvent] = []
    world.receiver.on_lock(seen.append)
    world.send(world.request())
    world.receiver.lock()
    assert len(seen) == 1 and seen[0].remote is False and seen[0].custodian is None


def test_flask_get_fernet_answers_locked_right_after_a_remote_lock() -> None:
    world = make_world()
    app = Flask("lock")
    init_app(app, world.receiver)

    @app.get("/data")
    def data() -> str:
        return get_fernet().decrypt(Fernet(fernet_text(world.current)).encrypt(b"row")).decode()

    client = app.test_client()
    status = json.loads(client.get("/custodian/status").data)
    assert client.post("/custodian/unlock", data=world.request().body, content_type="application/json").status_code == 200
    assert client.get("/data").data == b"row"
    from custodian_client import verify_status

    status = verify_status(client.get("/custodian/status").data, world.receiver.identity, "app-1")
    response = client.post("/custodian/lock", data=build_lock(status, world.custodian).body, content_type="application/json")
    assert response.status_code == 200
    locked = client.get("/data")
    assert locked.status_code == 503 and locked.json["error"] == "locked"


def test_copy_keys_gives_copies_the_caller_wipes_and_a_lock_does_not_touch() -> None:
    world = make_world()
    with pytest.raises(ReceiverLocked):
        world.receiver.copy_keys()
    world.send(world.request())
    copies = world.receiver.copy_keys()
    assert [bytes(key.buffer) for key in copies] == [world.current, world.previous]
    world.receiver.lock()
    assert [bytes(key.buffer) for key in copies] == [world.current, world.previous]  # the caller's to wipe
    for key in copies:
        key.wipe()
    assert all(key.wiped for key in copies)


# ---- custodian statements --------------------------------------------------------------------------------------


def _two_custodian_receiver(tmp_path: Path, alice: Ed25519PrivateKey, bob: Ed25519PrivateKey, *, statements: bool = True) -> Receiver:
    return Receiver(
        server_id="app-1",
        identity_key=Ed25519PrivateKey.generate(),
        authorized_custodians=f"{fingerprint(alice)} alice\n{fingerprint(bob)} bob\n",
        key_checks=[key_id(bytes(32))],
        custodian_statements_file=tmp_path / "statements" if statements else None,
    )


def test_a_handover_replaces_the_custodian_is_kept_in_the_file_and_survives_a_restart(tmp_path: Path) -> None:
    alice, bob, carol = (Ed25519PrivateKey.generate() for _ in range(3))
    receiver = _two_custodian_receiver(tmp_path, alice, bob)
    assert (tmp_path / "statements").stat().st_mode & 0o777 == 0o600
    answer = receiver.statement(build_handover(alice, fingerprint(carol), "carol (officer)"), "application/json")
    assert (answer.http_status, answer.body) == (200, {"protocol": "custodian-unlock/1", "applied": True})
    effective = {c.fingerprint: c.name for c in receiver.custodians}
    assert effective == {fingerprint(bob): "bob", fingerprint(carol): "carol (officer)"}
    assert len((tmp_path / "statements").read_text().splitlines()) == 1
    restarted = _two_custodian_receiver(tmp_path, alice, bob)
    assert {c.fingerprint for c in restarted.custodians} == set(effective)
    # Alice is revoked for good: her statements and requests are refused; bob revoking carol works.
    assert error_of(restarted.statement(build_revocation(alice, fingerprint(bob)), "application/json").body) == "UNKNOWN_CUSTODIAN"
    assert restarted.statement(build_revocation(bob, fingerprint(carol)), "application/json").body["applied"] is True
    assert error_of(restarted.statement(build_revocation(bob, fingerprint(bob)), "application/json").body) == "LAST_CUSTODIAN"
    assert error_of(restarted.statement(build_handover(bob, fingerprint(alice), "alice again"), "application/json").body) == "CUSTODIAN_REVOKED"
    assert [c.fingerprint for c in restarted.custodians] == [fingerprint(bob)]


def test_a_statement_that_cannot_be_written_changes_nothing(tmp_path: Path) -> None:
    alice, bob, carol = (Ed25519PrivateKey.generate() for _ in range(3))
    receiver = _two_custodian_receiver(tmp_path, alice, bob)
    (tmp_path / "statements").unlink()
    (tmp_path / "statements").mkdir()  # appending now fails
    answer = receiver.statement(build_handover(alice, fingerprint(carol), "carol"), "application/json")
    assert error_of(answer.body) == "INTERNAL"
    assert {c.fingerprint for c in receiver.custodians} == {fingerprint(alice), fingerprint(bob)}


def test_without_a_statements_file_statements_are_disabled() -> None:
    world = make_world()
    answer = world.receiver.statement(build_revocation(world.custodian, fingerprint(world.stranger)), "application/json")
    assert (answer.http_status, error_of(answer.body)) == (409, "STATEMENTS_DISABLED")


def test_a_statements_file_others_can_read_is_refused(tmp_path: Path) -> None:
    alice, bob = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    (tmp_path / "statements").write_text("")
    (tmp_path / "statements").chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        _two_custodian_receiver(tmp_path, alice, bob)


def test_a_revoked_custodian_can_neither_unlock_nor_lock(tmp_path: Path) -> None:
    world = make_world(custodian_statements_file=tmp_path / "statements")
    deputy = Ed25519PrivateKey.generate()
    handover = build_handover(world.custodian, fingerprint(deputy), "deputy")
    assert world.receiver.statement(handover, "application/json").body["applied"] is True
    assert error_of(world.send(world.request())[1]) == "UNKNOWN_CUSTODIAN"
    assert world.send(world.request(signer=deputy))[0] == 200
    assert error_of(world.receiver.remote_lock(build_lock(world.status(), world.custodian).body, "application/json").body) == "UNKNOWN_CUSTODIAN"
    # The same hand-over again is harmless and says so.
    assert world.receiver.statement(handover, "application/json").body == {"protocol": "custodian-unlock/1", "applied": False}
    assert [a.event for a in world.attempts][-2:] == ["lock", "statement"]


# ---- metrics -------------------------------------------------------------------------------------------------


def test_metrics_count_unlocks_locks_and_refusals_and_show_nothing_secret() -> None:
    world = make_world()
    world.send(world.request([world.current, bytes(range(32))]))  # KEY_CHECK_FAILED
    world.send(b"{}")  # BAD_REQUEST
    world.send(world.request())
    text = world.receiver.metrics_text()
    assert f'custodian_receiver_info{{server_id="app-1",identity="{world.receiver.identity}",protocol="custodian-unlock/1"}} 1' in text
    assert "custodian_receiver_unlocked 1\n" in text and "custodian_receiver_unlocks_total 1\n" in text
    assert 'custodian_receiver_refused_total{code="KEY_CHECK_FAILED"} 1\n' in text
    assert 'custodian_receiver_refused_total{code="BAD_REQUEST"} 1\n' in text
    assert f"custodian_receiver_boot_time_seconds {NOW}\n" in text
    world.clock.now = NOW + 100
    world.receiver.lock()
    text = world.receiver.metrics_text()
    assert "custodian_receiver_unlocked 0\n" in text and "custodian_receiver_locks_total 1\n" in text
    assert f"custodian_receiver_boot_time_seconds {NOW + 100}\n" in text
    for secret in (world.current, world.previous):
        assert fernet_text(secret) not in text and secret.hex() not in text and key_id(secret) not in text


def test_on_unlock_is_told_before_the_answer_and_listeners_can_be_removed() -> None:
    world = make_world()
    seen: list[Any] = []

    def on_unlock(event: UnlockEvent) -> None:
        copies = world.receiver.copy_keys()  # the keys are installed when the listener runs
        seen.append((event, [bytes(key.buffer) for key in copies]))
        for key in copies:
            key.wipe()

    remove = world.receiver.on_unlock(on_unlock)
    assert world.send(world.request())[0] == 200
    assert seen == [(UnlockEvent(world.receiver.boot_id, (key_id(world.current), key_id(world.previous)), fingerprint(world.custodian)),
                     [world.current, world.previous])]
    remove()
    world.receiver.lock()
    assert world.send(world.request())[0] == 200
    assert len(seen) == 1
