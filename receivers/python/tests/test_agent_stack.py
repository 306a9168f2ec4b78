"""The host agent with the mail helper's production stack, all real processes: redis-server, the agent, gunicorn
with 2 workers, one Celery worker. One push unlocks every process; a killed worker comes back unlocked; a killed
agent relocks them all; no key in any file or output."""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path

import pytest

from agent_stack import Stack, http_get, wait_for
from helpers import key_forms

EXPECTED = [
    {"id": 1, "sender": "old@example.org", "body": "written under the previous key"},
    {"id": 2, "sender": "alice@example.org", "body": "Hallo Welt – verschlüsselt"},
]


@pytest.fixture
def stack(tmp_path: Path):  # type: ignore[no-untyped-def]
    stack = Stack(tmp_path)
    stack.seed(stack.previous, "old@example.org", "written under the previous key")
    stack.seed(stack.current, "alice@example.org", "Hallo Welt – verschlüsselt")
    try:
        stack.start_redis()
        stack.start_agent()
        stack.start_gunicorn()
        stack.start_celery()
        yield stack
    finally:
        stack.stop()


def assert_every_worker(stack: Stack, expected_code: int) -> set[int]:
    answers = stack.answers_by_worker()
    workers = stack.worker_pids()
    assert set(answers) >= workers, f"not every worker answered: {sorted(answers)} vs {sorted(workers)}"
    for pid, results in answers.items():
        for code, body in results:
            assert code == expected_code, (pid, code, body)
            if code == 200:
                assert body == {"messages": EXPECTED}
            else:
                assert body["error"] == "locked"
    return set(answers)


def test_one_push_unlocks_gunicorn_workers_and_celery_a_killed_worker_comes_back_unlocked_a_killed_agent_relocks_all(stack: Stack) -> None:
    # The socket: 0600 in a 0700 directory.
    assert stat.S_ISSOCK(os.stat(stack.socket_path).st_mode)
    assert stat.S_IMODE(os.stat(stack.socket_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(stack.run_dir).st_mode) == 0o700

    # Locked boot: every web worker answers 503 "locked", the Celery worker has no key.
    assert_every_worker(stack, 503)
    assert http_get(stack.app_url + "/health")[1] == {"status": "ok", "encryption": "locked"}
    assert stack.task("mail_helper.tasks.encryption_state")["encryption"] == "locked"

    # ONE push, to the agent: every process decrypts.
    receipt = stack.push()
    assert receipt["key_ids"] and stack.receiver_state() == "unlocked"
    first_workers = wait_for("both workers to decrypt", lambda: _all_decrypt(stack), timeout=15)
    celery_message = stack.task("mail_helper.tasks.read_message", 2)
    assert celery_message["body"] == "Hallo Welt – verschlüsselt" and celery_message["sender"] == "alice@example.org"
    assert celery_message["worker"] not in first_workers  # a Celery pool process, not a web worker
    assert stack.task("mail_helper.tasks.read_message", 1)["body"] == "written under the previous key"

    # SIGKILL one gunicorn worker: gunicorn replaces it, the host stays unlocked, the new worker decrypts.
    victim = min(first_workers)
    os.kill(victim, signal.SIGKILL)
    wait_for("gunicorn to replace the killed worker",
             lambda: victim not in stack.worker_pids() and len(stack.worker_pids()) == 2, timeout=30)
    new_workers = stack.worker_pids() - first_workers
    assert len(new_workers) == 1
    assert stack.receiver_state() == "unlocked"
    answered = wait_for("the new worker to decrypt", lambda: _all_decrypt(stack), timeout=15)
    assert new_workers <= answered

    # SIGKILL the agent: every process loses its keys (503 "locked"), the Celery worker too.
    assert stack.agent is not None
    stack.agent.process.send_signal(signal.SIGKILL)
    stack.agent.process.wait(10)
    wait_for("every worker to answer 503", lambda: _all_locked(stack), timeout=10)  # EOF reaches them at once
    assert_every_worker(stack, 503)  # and stays so
    assert http_get(stack.app_url + "/health")[1]["encryption"] == "locked"
    state = stack.task("mail_helper.tasks.encryption_state")
    assert state["encryption"] == "locked" and state["reason"] in ("unavailable", "locked")

    # An agent restart is a new boot: locked until the next push, then every process decrypts again.
    stack.start_agent()
    assert stack.receiver_state() == "locked"
    assert_every_worker(stack, 503)
    stack.push()
    wait_for("both workers to decrypt after the second push", lambda: _all_decrypt(stack), timeout=15)
    wait_for("the Celery worker to hold the keys again",
             lambda: stack.task("mail_helper.tasks.encryption_state")["encryption"] == "unlocked", timeout=15, interval=0.3)

    # A signed remote lock (incident response, protocol §12.4): the agent's clients lose the keys at once, in
    # every web worker and in Celery, and the host stays locked until the next push.
    lock_receipt = stack.remote_lock()
    assert lock_receipt["type"] == "lock_receipt"
    wait_for("every worker to answer 503 after the remote lock", lambda: _all_locked(stack), timeout=5)
    assert stack.receiver_state() == "locked"
    assert stack.task("mail_helper.tasks.encryption_state")["encryption"] == "locked"
    stack.push()
    wait_for("both workers to decrypt after the push that follows the lock", lambda: _all_decrypt(stack), timeout=15)

    # No key in any file under the test directory (database, socket dir, TMPDIR, redis dir) or any output.
    for child in stack.children:
        if child.process.poll() is None:
            child.stop()
    blobs = stack.outputs() + [path.read_bytes() for path in stack.tmp.rglob("*") if path.is_file()]
    for raw in (stack.current, stack.previous):
        for form in key_forms(raw):
            assert not any(form in blob for blob in blobs)


def _all_decrypt(stack: Stack) -> set[int] | None:
    answers = stack.answers_by_worker()
    workers = stack.worker_pids()
    if not set(answers) >= workers:
        return None
    if all(code == 200 and body == {"messages": EXPECTED} for results in answers.values() for code, body in results):
        return set(answers)
    return None


def _all_locked(stack: Stack) -> bool:
    answers = stack.answers_by_worker()
    return set(answers) >= stack.worker_pids() and all(code == 503 for results in answers.values() for code, _ in results)
