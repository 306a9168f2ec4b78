"""Rekey of an unlocked receiver (protocol §12.12), key checks reloaded without a restart, and the application's
``tokens_under_previous`` in the signed status: in the core, and as a real process (SIGHUP, the key-check file)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from custodian_client import ClientError, build_rekey, verify_rekey_receipt, verify_status
from custodian_receiver import ReceiverLocked, RekeyEvent, key_id
from helpers import World, error_of, fernet_text, key_forms, make_world
from processes import demo_server
from test_demo_server import Setup, http


def _rekey(world: World, keys: list[bytes], **options: Any) -> tuple[int, dict[str, Any], Any]:
    request = build_rekey(world.status(), options.pop("signer", world.custodian), keys, **options)
    answer = world.receiver.rekey(request.body, "application/json")
    return answer.http_status, answer.body, request


def _unlocked(**options: Any) -> World:
    world = make_world(**options)
    assert world.send(world.request([world.current]))[0] == 200
    return world


def _newer_key_check(world: World, newest: bytes) -> list[str]:
    """The operator deploys the new key id first: the receiver's key checks come from a list it re-reads."""
    checks = [key_id(newest), key_id(world.current), key_id(world.previous)]
    world.receiver._key_check_source = lambda: checks  # noqa: SLF001 (the callable source of the constructor)
    return checks


def test_rekey_replaces_the_set_in_place_and_the_receipt_says_what_is_installed() -> None:
    world = _unlocked()
    newest = os.urandom(32)
    _newer_key_check(world, newest)
    old_fernet = world.receiver.get_fernet()
    old_row = old_fernet.encrypt(b"row under the old current key")
    events: list[RekeyEvent] = []
    world.receiver.on_rekey(events.append)
    boot = world.receiver.boot_id
    status, body, request = _rekey(world, [newest, world.current])
    assert status == 200, body
    receipt = verify_rekey_receipt(json.dumps(body), world.receiver.identity, request)
    assert receipt["key_ids"] == [key_id(newest), key_id(world.current)]
    assert receipt["replaced_key_ids"] == [key_id(world.current)] and receipt["retired"] == []
    assert receipt["boot_id"] == boot == world.receiver.boot_id  # no new boot
    assert world.receiver.installed_key_ids == (key_id(newest), key_id(world.current))
    fernet = world.receiver.get_fernet()
    assert fernet.decrypt(old_row) == b"row under the old current key"
    assert Fernet(fernet_text(newest)).decrypt(fernet.encrypt(b"new")) == b"new"  # new data under the new key
    with pytest.raises(ReceiverLocked):
        old_fernet.decrypt(old_row)  # the MultiFernet handed out before is revoked
    assert [(e.key_ids, e.replaced_key_ids, e.retired) for e in events] == [
        ((key_id(newest), key_id(world.current)), (key_id(world.current),), ())
    ]
    assert world.attempts[-1].event == "rekey" and world.attempts[-1].ok


def test_the_current_key_is_dropped_only_when_the_request_retires_it() -> None:
    world = _unlocked()
    newest = os.urandom(32)
    _newer_key_check(world, newest)
    status, body, _ = _rekey(world, [newest], retire=[])
    assert (status, error_of(body)) == (409, "RETIRE_MISMATCH")
    assert world.receiver.installed_key_ids == (key_id(world.current),)
    status, body, request = _rekey(world, [newest], retire=[key_id(world.current)])
    assert status == 200, body
    assert verify_rekey_receipt(json.dumps(body), world.receiver.identity, request)["retired"] == [key_id(world.current)]
    assert world.receiver.installed_key_ids == (key_id(newest),)


def test_refusals_change_nothing() -> None:
    world = _unlocked()
    newest, stranger_key = os.urandom(32), os.urandom(32)
    installed = world.receiver.installed_key_ids
    # not in the key checks (the operator has not deployed the new id yet): KEY_ORDER_REFUSED before the challenge
    assert error_of(_rekey(world, [newest, world.current])[1]) == "KEY_ORDER_REFUSED"
    _newer_key_check(world, newest)
    # a retire list that names a key the set keeps, or a key not installed
    assert error_of(_rekey(world, [newest, world.current], retire=[key_id(world.current)])[1]) == "RETIRE_MISMATCH"
    assert error_of(_rekey(world, [newest, world.current], retire=[key_id(world.previous)])[1]) == "RETIRE_MISMATCH"
    # a key whose id is not accepted (forged id list): KEY_CHECK_FAILED after opening
    assert error_of(_rekey(world, [newest, stranger_key], key_ids=[key_id(newest), key_id(world.current)])[1]) == "KEY_CHECK_FAILED"
    # sealed with the unlock's info: the "rekey" domain keeps the two apart
    assert error_of(_rekey(world, [newest, world.current], unlock_info=True)[1]) == "DECRYPT_FAILED"
    # an unknown custodian
    assert error_of(_rekey(world, [newest, world.current], signer=world.stranger)[1]) == "UNKNOWN_CUSTODIAN"
    assert world.receiver.installed_key_ids == installed


def test_a_locked_receiver_is_not_rekeyed_and_a_request_cannot_be_replayed() -> None:
    world = make_world()
    locked_status = world.status()
    assert locked_status["tokens_under_previous"] is None
    request = build_rekey({**locked_status, "installed_key_ids": []}, world.custodian, [world.current])
    answer = world.receiver.rekey(request.body, "application/json")
    assert (answer.http_status, error_of(answer.body)) == (409, "NOT_UNLOCKED")
    world = _unlocked()
    status, body, request = _rekey(world, [world.current, world.previous])
    assert status == 200, body
    again = world.receiver.rekey(request.body, "application/json")
    assert (again.http_status, error_of(again.body)) == (409, "UNKNOWN_CHALLENGE")  # single use


def test_each_rekey_seals_to_a_fresh_key_and_a_lock_ends_it() -> None:
    world = _unlocked()
    first = world.status()["ephemeral_key"]
    assert first is not None
    assert _rekey(world, [world.current, world.previous])[0] == 200
    second = world.status()["ephemeral_key"]
    assert second not in (None, first)
    world.receiver.lock()
    locked = world.status()
    assert locked["state"] == "locked" and locked["installed_key_ids"] == []


def test_tokens_under_previous_is_signed_and_null_when_unknown() -> None:
    world = _unlocked()
    assert world.status()["tokens_under_previous"] is None  # no hook
    counts = iter([7, 0])
    world.receiver.report_tokens_under_previous(lambda: next(counts))
    assert world.status()["tokens_under_previous"] == 7
    assert world.status()["tokens_under_previous"] == 0

    def broken() -> int:
        raise ReceiverLocked()

    for reporter in (broken, lambda: -1, lambda: True, lambda: "3"):
        world.receiver.report_tokens_under_previous(reporter)  # type: ignore[arg-type]
        assert world.status()["tokens_under_previous"] is None


def test_a_bad_key_check_source_keeps_the_list() -> None:
    world = _unlocked()
    before = world.status()["key_checks"]
    world.receiver._key_check_source = lambda: ["not-a-key-id"]  # noqa: SLF001
    event = world.receiver.reload_key_checks()
    assert not event.ok and event.error == "INVALID_CONFIG"
    assert world.status()["key_checks"] == before


def test_the_client_refuses_a_receipt_for_another_request() -> None:
    world = _unlocked()
    newest = os.urandom(32)
    _newer_key_check(world, newest)
    status, body, _ = _rekey(world, [newest, world.current])
    assert status == 200
    other = build_rekey(world.status(), world.custodian, [newest, world.current])
    with pytest.raises(ClientError, match="RECEIPT_MISMATCH"):
        verify_rekey_receipt(json.dumps(body), world.receiver.identity, other)


# ---- a real process: SIGHUP, the key-check file, rekey over HTTP ------------------------------------------------

def _wait_for(predicate: Any, what: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_demo_server_rereads_its_key_check_file_on_sighup_and_status_and_rekeys_over_http(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    newest = os.urandom(32)
    check_file = tmp_path / "key-checks"
    check_file.write_text(f"# newest first\n{key_id(setup.current)}\n")
    child = demo_server(tmp_path, "--key-check-file", str(check_file), "--server-id", "app-1", env=setup.env)
    try:
        start = child.next_json()
        url, identity = start["url"], start["identity"]

        def status() -> dict[str, Any]:
            code, body, _ = http(f"{url}/status")
            assert code == 200
            return verify_status(json.dumps(body), identity, "app-1")

        assert status()["key_checks"] == [key_id(setup.current)]
        from custodian_client import build_unlock  # the same client as the other tests

        code, body, _ = http(f"{url}/unlock", build_unlock(status(), setup.custodian, [setup.current]).body)
        assert code == 200, body
        assert child.next_json()["event"] == "unlock"

        # The operator deploys the new id first; SIGHUP makes the process re-read it at once.
        check_file.write_text(f"{key_id(newest)}\n{key_id(setup.current)}\n")
        child.process.send_signal(signal.SIGHUP)
        line = child.next_json()
        assert line == {"event": "key_checks", "ok": True, "key_checks": [key_id(newest), key_id(setup.current)]}
        assert status()["key_checks"] == [key_id(newest), key_id(setup.current)]

        # An edit without SIGHUP is seen by the next status request; a broken file keeps the list.
        check_file.write_text("K1-not a key id\n")
        assert status()["key_checks"] == [key_id(newest), key_id(setup.current)]
        assert child.next_json() == {"event": "key_checks", "ok": False, "error": "INVALID_CONFIG"}

        check_file.write_text(f"{key_id(newest)}\n{key_id(setup.current)}\n")
        unlocked = status()
        request = build_rekey(unlocked, setup.custodian, [newest, setup.current])
        code, body, _ = http(f"{url}/rekey", request.body)
        assert code == 200, body
        assert verify_rekey_receipt(json.dumps(body), identity, request)["key_ids"] == [key_id(newest), key_id(setup.current)]
        _wait_for(lambda: any('"event":"rekey"' in line for line in child.stdout), "the rekey line")
        rekey_line = json.loads(next(line for line in child.stdout if '"event":"rekey"' in line))
        assert rekey_line == {"event": "rekey", "ok": True, "key_ids": [key_id(newest), key_id(setup.current)], "retired": [],
                              "custodian": request.payload["custodian"]}
        assert status()["installed_key_ids"] == [key_id(newest), key_id(setup.current)]
    finally:
        assert child.stop() == 0
    output = "\n".join(child.stdout).encode() + child.stderr
    for raw in (setup.current, newest):
        for form in key_forms(raw):
            assert form not in output
