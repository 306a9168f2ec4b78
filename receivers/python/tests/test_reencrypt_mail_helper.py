"""``python -m mail_helper rotate`` against the real example app, with its own receiver (``python -m mail_helper``)
and in agent mode (gunicorn workers holding the host agent's keys):
rows under the previous key, a push of [current, previous], the rotate command, and afterwards every row opens
with the current key alone and ``GET /api/rotation`` says 0. No key, message or token in any output or file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from custodian_client import build_unlock, verify_receipt, verify_status
from custodian_receiver import key_id
from helpers import fernet_text, fingerprint, key_forms
from agent_stack import Stack, wait_for
from processes import Child, child_env

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "mail_helper"
sys.path.insert(0, str(EXAMPLE))
from mail_helper.store import add_message, list_messages  # noqa: E402

ROWS = 23  # with --batch-size 4 --batches-per-call 2: several calls, a short last batch


def http(url: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST", headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def push(start: dict[str, Any], custodian: Ed25519PrivateKey, keys: list[bytes]) -> None:
    _, body = http(start["url"] + "/status")
    status = verify_status(json.dumps(body), start["identity"], start["server_id"])
    request = build_unlock(status, custodian, keys)
    response = urllib.request.urlopen(urllib.request.Request(start["url"] + "/unlock", data=request.body,
                                                             headers={"Content-Type": "application/json"}), timeout=10)
    receipt = verify_receipt(response.read().decode(), start["identity"], request)
    assert receipt["key_ids"] == [key_id(k) for k in keys]


def rotate(app_url: str, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mail_helper", "rotate", "--app-url", app_url, *extra],
                          capture_output=True, text=True, timeout=60, env=env, cwd=EXAMPLE)


def test_rotate_re_encrypts_every_row_under_the_current_key_through_the_running_app(tmp_path: Path) -> None:
    custodian = Ed25519PrivateKey.generate()
    current, previous = os.urandom(32), os.urandom(32)
    (tmp_path / "custodians").write_text(f"{fingerprint(custodian)} alice\n")
    database_url = f"sqlite:///{tmp_path / 'mail.db'}"
    old, new = Fernet(fernet_text(previous)), Fernet(fernet_text(current))
    texts = [f"secret body number {i:02d}".encode() for i in range(ROWS)]
    for i, text in enumerate(texts):
        add_message(database_url, f"sender{i}@example.org", (new if i == 5 else old).encrypt(text))  # one row already current

    # The checkout's code, not an installed copy: the package's src and the example app.
    env = {**child_env(tmp_path), "DATABASE_URL": database_url, "ENCRYPTION_KEY_SOURCE": "custodian",
           "PYTHONPATH": os.pathsep.join([str(EXAMPLE.parents[1] / "src"), str(EXAMPLE)])}
    app = Child([sys.executable, "-m", "mail_helper", "--port", "0", "--identity-key", str(tmp_path / "receiver.key"),
                 "--authorized-custodians", str(tmp_path / "custodians"), "--key-check", key_id(current),
                 "--key-check", key_id(previous), "--server-id", "mail-1"], env=env, cwd=EXAMPLE)
    outputs: list[str] = []
    try:
        start = app.next_json()
        app_url = start["app_url"]

        # Locked: the count and the command refuse, and nothing changes.
        assert http(app_url + "/api/rotation")[0] == 503
        before = list_messages(database_url)
        locked = rotate(app_url, env)
        outputs += [locked.stdout, locked.stderr]
        assert locked.returncode == 3, locked.stderr
        assert locked.stderr == "error [LOCKED]: the app has no keys (locked): push them, then run this again\n"
        assert list_messages(database_url) == before

        push(start, custodian, [current, previous])
        assert http(app_url + "/api/rotation") == (200, {"tokens_under_previous": ROWS - 1})

        # The POST answers only a JSON body from this host, not through a proxy.
        assert http(app_url + "/api/rotation", {"after": None}, {"X-Forwarded-For": "203.0.113.9"})[0] == 403
        assert http(app_url + "/api/rotation", {"batch_size": 0})[0] == 400
        assert http(app_url + "/api/rotation", {"after": "1; DROP TABLE messages"})[0] == 400

        done = rotate(app_url, env, "--batch-size", "4", "--batches-per-call", "2")
        outputs += [done.stdout, done.stderr]
        assert done.returncode == 0, done.stderr
        lines = [json.loads(line) for line in done.stdout.splitlines()]
        assert [line["event"] for line in lines] == ["progress"] * 3 + ["done"]
        assert [line["cursor"] for line in lines] == [8, 16, 23, 23]
        assert {k: lines[-1][k] for k in ("examined", "rotated", "already_current", "undecryptable", "tokens_under_previous")} == {
            "examined": ROWS, "rotated": ROWS - 1, "already_current": 1, "undecryptable": 0, "tokens_under_previous": 0}
        assert http(app_url + "/api/rotation") == (200, {"tokens_under_previous": 0})

        # Every row opens with the current key ALONE; the previous key opens none.
        assert_only_current(database_url, current, previous, texts)
        rows = list_messages(database_url)

        # Again: nothing to do, nothing rewritten.
        again = rotate(app_url, env)
        outputs += [again.stdout, again.stderr]
        assert again.returncode == 0 and json.loads(again.stdout.splitlines()[-1])["rotated"] == 0
        assert list_messages(database_url) == rows
    finally:
        assert app.stop() == 0
    outputs += ["\n".join(app.stdout), app.stderr.decode(errors="replace")]

    blobs = [text.encode() for text in outputs]
    blobs += [path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()]
    for blob in blobs:
        for raw in (current, previous):
            for form in key_forms(raw):
                assert form not in blob
        for text in texts:
            assert text not in blob, "a message body in clear in an output or a file"
    for text in outputs:
        assert "gAAAAA" not in text, "a Fernet token in an output"


def assert_only_current(database_url: str, current: bytes, previous: bytes, texts: list[bytes]) -> None:
    new, old = Fernet(fernet_text(current)), Fernet(fernet_text(previous))
    rows = list_messages(database_url)
    assert [new.decrypt(token) for _, _, token in rows] == texts
    for _, _, token in rows:
        try:
            old.decrypt(token)
            raise AssertionError("a row still opens with the previous key")
        except InvalidToken:
            pass


def test_rotate_in_agent_mode_through_gunicorn_workers_and_a_remote_lock_stops_it(tmp_path: Path) -> None:
    stack = Stack(tmp_path)
    texts = [f"agent mode body {i:02d}".encode() for i in range(9)]
    old = Fernet(fernet_text(stack.previous))
    for i, text in enumerate(texts):
        add_message(stack.database_url, f"s{i}@example.org", old.encrypt(text))
    outputs: list[bytes] = []
    try:
        stack.start_agent()
        stack.start_gunicorn()
        env = stack.app_env()
        locked = rotate(stack.app_url, env)
        assert locked.returncode == 3, locked.stderr
        outputs += [locked.stdout.encode(), locked.stderr.encode()]

        stack.push()
        # Each gunicorn worker gets the keys from the agent a few milliseconds after the push: wait (bounded) until
        # every worker answers unlocked, so the rotate calls below cannot land on one that is still catching up.
        wait_for("every worker to hold the keys", lambda: _every_worker_unlocked(stack), timeout=15)
        assert http(stack.app_url + "/api/rotation") == (200, {"tokens_under_previous": len(texts)})
        done = rotate(stack.app_url, env, "--batch-size", "2", "--batches-per-call", "1")
        outputs += [done.stdout.encode(), done.stderr.encode()]
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.splitlines()[-1]) == {
            "event": "done", "examined": 9, "rotated": 9, "already_current": 0, "undecryptable": 0, "cursor": 9,
            "tokens_under_previous": 0}
        assert_only_current(stack.database_url, stack.current, stack.previous, texts)
        assert http(stack.app_url + "/api/rotation") == (200, {"tokens_under_previous": 0})

        # A custodian's remote lock: the workers lose the keys, the next run refuses with LOCKED, the data stays.
        stack.remote_lock()
        after_lock = rotate(stack.app_url, env)
        outputs += [after_lock.stdout.encode(), after_lock.stderr.encode()]
        assert after_lock.returncode == 3 and "error [LOCKED]" in after_lock.stderr
        assert http(stack.app_url + "/api/rotation")[0] == 503
        assert_only_current(stack.database_url, stack.current, stack.previous, texts)
    finally:
        stack.stop()
    outputs += stack.outputs()
    for blob in outputs:
        for raw in (stack.current, stack.previous):
            for form in key_forms(raw):
                assert form not in blob
        for text in texts:
            assert text not in blob
        assert b"gAAAAA" not in blob


def _every_worker_unlocked(stack: Stack) -> bool:
    answers = stack.answers_by_worker()
    return set(answers) >= stack.worker_pids() and all(code == 200 for results in answers.values() for code, _ in results)
