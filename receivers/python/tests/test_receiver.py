"""The receiver state machine: locked/unlocked, stateless single-use challenges, replay, wrong key, key order,
lock() and remote lock, listeners, and wiping."""

from __future__ import annotations

import json
import threading

import pytest
from cryptography.fernet import Fernet

from conftest import Clock
from custodian_receiver import ReceiverLocked, key_id
from custodian_receiver import receiver as receiver_module
from custodian_receiver.wire import CHALLENGE_TTL_SECONDS
from helpers import NOW, error_of, fernet_text, make_world


def test_a_new_receiver_is_locked_and_its_status_is_signed_and_fresh() -> None:
    world = make_world()
    assert world.receiver.state == "locked"
    with pytest.raises(ReceiverLocked):
        world.receiver.get_fernet()
    first, second = world.status(), world.status()
    assert first["state"] == "locked" and first["installed_key_ids"] == []
    assert first["challenge"] != second["challenge"]
    assert first["challenge_expires_at"] == NOW + CHALLENGE_TTL_SECONDS
    assert first["ephemeral_key"] == second["ephemeral_key"]
    assert first["boot_id"] == second["boot_id"]
    assert first["key_checks"] == [key_id(world.current), key_id(world.previous)]


def test_a_valid_push_unlocks_and_the_application_gets_a_multifernet() -> None:
    world = make_world()
    old_row = Fernet(fernet_text(world.previous)).encrypt(b"row under the previous key")
    first_ephemeral = world.status()["ephemeral_key"]
    status, body = world.send(world.request())
    assert status == 200 and set(body) == {"protocol", "receipt"}
    assert world.receiver.state == "unlocked"
    assert world.receiver.installed_key_ids == (key_id(world.current), key_id(world.previous))
    fernet = world.receiver.get_fernet()
    assert fernet.decrypt(old_row) == b"row under the previous key"
    assert Fernet(fernet_text(world.current)).decrypt(fernet.encrypt(b"new")) == b"new"
    assert world.receiver.wait_unlocked(0)
    unlocked = world.status()
    assert unlocked["state"] == "unlocked"
    # a fresh rekey key (§12.12): the boot's unlock key is gone, nothing can be unlocked again in this boot
    assert unlocked["ephemeral_key"] not in (None, first_ephemeral)
    assert unlocked["challenge"] and unlocked["challenge_expires_at"] == NOW + CHALLENGE_TTL_SECONDS  # for a lock
    assert world.attempts[-1].ok and world.attempts[-1].custodian_name == "alice"


def test_replay_of_an_accepted_request_is_refused_and_changes_nothing() -> None:
    world = make_world()
    request = world.request()
    assert world.send(request)[0] == 200
    status, body = world.send(request)
    assert (status, error_of(body)) == (409, "ALREADY_UNLOCKED")
    assert world.receiver.installed_key_ids == (key_id(world.current), key_id(world.previous))


def test_lock_wipes_keys_revokes_the_fernet_and_starts_a_new_boot() -> None:
    world = make_world()
    request = world.request()
    boot_before = world.receiver.boot_id
    world.send(request)
    key_buffers = [key.buffer for key in world.receiver._keys]
    fernet = world.receiver.get_fernet()
    world.receiver.lock()
    assert world.receiver.state == "locked"
    assert all(buffer == bytearray(32) for buffer in key_buffers)
    with pytest.raises(ReceiverLocked):
        fernet.decrypt(Fernet(fernet_text(world.current)).encrypt(b"x"))
    with pytest.raises(ReceiverLocked):
        world.receiver.get_fernet()
    assert world.receiver.boot_id != boot_before
    assert not world.receiver.wait_unlocked(0)
    # A request recorded before the lock is useless now, and a fresh push works again.
    status, body = world.send(request)
    assert (status, error_of(body)) == (409, "WRONG_BOOT")
    assert world.send(world.request())[0] == 200


def test_a_wrong_key_is_refused_nothing_is_installed_and_the_challenge_is_used_up() -> None:
    world = make_world()
    attacker = bytes(range(32))
    status_payload = world.status()
    from custodian_client import build_unlock

    wrong = build_unlock(status_payload, world.custodian, [world.current, attacker])  # right current key first
    status, body = world.send(wrong)
    assert (status, error_of(body)) == (422, "KEY_CHECK_FAILED")
    assert world.receiver.state == "locked"
    right = build_unlock(status_payload, world.custodian, [world.current])
    status, body = world.send(right)
    assert (status, error_of(body)) == (409, "UNKNOWN_CHALLENGE")
    assert world.receiver.state == "locked"


def test_a_push_whose_first_key_is_not_the_newest_is_refused_before_the_challenge_is_spent() -> None:
    world = make_world()
    status_payload = world.status()
    from custodian_client import build_unlock

    for keys in ([world.previous], [world.previous, world.current], [bytes(range(32))]):
        status, body = world.send(build_unlock(status_payload, world.custodian, keys))
        assert (status, error_of(body)) == (422, "KEY_ORDER_REFUSED")
    assert world.receiver.state == "locked"
    assert world.send(build_unlock(status_payload, world.custodian, [world.current, world.previous]))[0] == 200


def test_allow_older_current_key_accepts_the_previous_key_first() -> None:
    world = make_world(allow_older_current_key=True)
    assert world.send(world.request([world.previous, world.current]))[0] == 200
    assert world.receiver.installed_key_ids == (key_id(world.previous), key_id(world.current))


def test_key_ids_that_lie_about_the_sealed_keys_are_refused() -> None:
    world = make_world()
    request = world.request([bytes(32), world.previous], key_ids=[key_id(world.current), key_id(world.previous)])
    assert error_of(world.send(request)[1]) == "KEY_CHECK_FAILED"
    assert world.receiver.state == "locked"


def test_a_stranger_cannot_learn_whether_a_key_is_authorized_without_its_private_key() -> None:
    world = make_world()
    # Signed by the stranger itself: the signature verifies, the signer is not authorized.
    status, body = world.send(world.request(signer=world.stranger))
    assert (status, error_of(body)) == (403, "UNKNOWN_CUSTODIAN")
    # Claiming the authorized custodian's key without its private key: the same answer as a stranger's forgery.
    from custodian_receiver.jws import raw_public_key
    from custodian_receiver.wire import b64u_encode, dumps

    forged = world.request(signer=world.stranger)
    header, payload, signature = forged.token.split(".")
    claimed = dumps({"alg": "EdDSA", "typ": "custodian-unlock+jws", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(raw_public_key(world.custodian))}})
    for token in (f"{b64u_encode(claimed)}.{payload}.{signature}", f"{header}.{payload}.{b64u_encode(bytes(64))}"):
        status, body = world.send(dumps({"protocol": "custodian-unlock/1", "request": token}))
        assert (status, error_of(body)) == (401, "BAD_SIGNATURE")
    assert world.receiver.state == "locked"


def test_challenges_expire_after_their_ttl() -> None:
    world = make_world()
    request = world.request()
    world.clock.now = NOW + CHALLENGE_TTL_SECONDS + 1
    assert error_of(world.send(request)[1]) == "CHALLENGE_EXPIRED"
    world.clock.now = NOW
    request = world.request()
    world.clock.now = NOW + CHALLENGE_TTL_SECONDS
    assert world.send(request)[0] == 200  # at the expiry second it is still valid


def test_a_status_flood_neither_evicts_a_challenge_nor_grows_the_receiver() -> None:
    # Revision 1 kept 32 challenges and dropped the oldest: 32 statuses evicted a custodian's challenge.
    world = make_world()
    request = world.request()
    for _ in range(10_000):
        world.status()
    assert world.receiver._challenges.spent_count == 0  # only spent challenges are remembered
    assert world.send(request)[0] == 200


def test_a_challenge_of_a_previous_boot_or_a_forged_one_is_unknown() -> None:
    world = make_world()
    status = world.status()
    from custodian_client import build_unlock
    from custodian_receiver.wire import b64u_decode, b64u_encode

    raw = bytearray(b64u_decode(status["challenge"]))  # type: ignore[arg-type]
    raw[-1] ^= 1
    forged = build_unlock({**status, "challenge": b64u_encode(bytes(raw))}, world.custodian, [world.current])
    assert error_of(world.send(forged)[1]) == "UNKNOWN_CHALLENGE"
    world.receiver.lock()
    again = world.status()
    stale = build_unlock({**again, "challenge": status["challenge"]}, world.custodian, [world.current])
    assert error_of(world.send(stale)[1]) == "UNKNOWN_CHALLENGE"  # the secret changed with the boot
    assert world.receiver.state == "locked"


def test_a_request_for_another_server_is_refused() -> None:
    world = make_world("app-1")
    stranger_server = make_world("app-2")
    assert error_of(world.send(stranger_server.request())[1]) == "UNKNOWN_CUSTODIAN"  # its custodian is not ours
    # The same custodian trusted by both servers: the binding to server id and identity still refuses it.
    sibling = make_world("app-2", custodian=world.custodian)
    assert error_of(world.send(sibling.request())[1]) == "WRONG_SERVER"
    same_name = make_world("app-1", custodian=world.custodian)  # same server id, another receiver identity
    assert error_of(world.send(same_name.request())[1]) == "WRONG_SERVER"
    assert world.receiver.state == "locked"


def test_concurrent_requests_with_one_challenge_unlock_exactly_once() -> None:
    world = make_world()
    status = world.status()
    from custodian_client import build_unlock

    requests = [build_unlock(status, world.custodian, [world.current, world.previous]) for _ in range(16)]
    results: list[int] = []
    barrier = threading.Barrier(len(requests))

    def push(index: int) -> None:
        barrier.wait()
        results.append(world.send(requests[index])[0])

    threads = [threading.Thread(target=push, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] + [409] * 15


def test_the_decrypted_payload_is_scrubbed_after_the_keys_are_copied(monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world()
    opened: list[bytes] = []
    real_open = receiver_module.hpke_open

    def spy(private_key, sealed, info):  # type: ignore[no-untyped-def]
        plaintext = real_open(private_key, sealed, info)
        opened.append(plaintext)
        return plaintext

    monkeypatch.setattr(receiver_module, "hpke_open", spy)
    assert world.send(world.request())[0] == 200
    assert opened and opened[0] == bytes(64)  # the immutable copy was zeroed in place (CPython)
    refused = world.receiver
    refused.lock()
    opened.clear()
    assert error_of(world.send(world.request([world.current, bytes(range(32))]))[1]) == "KEY_CHECK_FAILED"
    assert opened[0] == bytes(64)


def test_the_revoked_fernet_halves_are_scrubbed() -> None:
    world = make_world()
    world.send(world.request([world.current]))
    inner = world.receiver.get_fernet()._fernets[0]
    halves = (inner._signing_key, inner._encryption_key)
    assert halves[0] + halves[1] == world.current
    world.receiver.lock()
    assert halves == (bytes(16), bytes(16))


def test_listeners_hear_every_attempt_without_key_material() -> None:
    world = make_world()
    world.send(world.request([world.current, bytes(range(32))]))
    world.send(b"not json")
    world.send(world.request())
    assert [a.error for a in world.attempts] == ["KEY_CHECK_FAILED", "BAD_REQUEST", None]
    text = repr(world.attempts)
    for secret in (world.current, world.previous):
        assert secret.hex() not in text and fernet_text(secret) not in text


def test_a_broken_listener_does_not_change_the_answer() -> None:
    world = make_world()

    def broken(_attempt: object) -> None:
        raise RuntimeError("listener bug")

    world.receiver.add_listener(broken)
    assert world.send(world.request())[0] == 200


def test_status_answers_are_valid_json_with_the_protocol_member() -> None:
    world = make_world()
    body = world.receiver.status().body
    assert json.loads(json.dumps(body))["protocol"] == "custodian-unlock/1"


def test_clock_is_read_in_whole_seconds() -> None:
    world = make_world()
    world.clock.now = NOW + 0.999
    assert world.status()["issued_at"] == NOW
    assert isinstance(Clock(1)(), int)
