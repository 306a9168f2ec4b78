"""The mail helper's production stack as real processes for the agent tests: redis-server, the host agent
(``python -m custodian_receiver agent``), gunicorn with 2 workers and one Celery worker. Every wait is bounded."""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from custodian_client import build_lock, build_unlock, verify_receipt, verify_status
from custodian_receiver import key_id
from helpers import fernet_text, fingerprint
from processes import Child, child_env

PYTHON_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = PYTHON_ROOT / "examples" / "mail_helper"
SERVER_ID = "mail-helper"
T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 20.0, interval: float = 0.1) -> T:
    """Polls ``probe`` until it returns something other than None/False, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value is not None and value is not False:
                return value
        except (OSError, ValueError) as error:
            last_error = error
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {last_error!r})" if last_error else ""))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_get(url: str, timeout: float = 5.0) -> tuple[int, dict[str, Any], dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def http_post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def children_of(pid: int) -> set[int]:
    """Live child processes of ``pid`` (from /proc; zombies excluded)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


class Stack:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.custodian = Ed25519PrivateKey.generate()
        self.current, self.previous = os.urandom(32), os.urandom(32)
        (tmp / "custodians").write_text(f"{fingerprint(self.custodian)} officer\n")
        self.run_dir = tmp / "run"
        self.run_dir.mkdir(mode=0o700)
        self.socket_path = self.run_dir / "agent.sock"
        self.database_url = f"sqlite:///{tmp / 'mail.db'}"
        self.env = child_env(tmp)
        # The checkout's code, not an installed copy: the package's src and the example app.
        self.env["PYTHONPATH"] = os.pathsep.join([str(PYTHON_ROOT / "src"), str(EXAMPLE)])
        self.children: list[Child] = []
        self.agent: Child | None = None
        self.agent_start: dict[str, Any] = {}
        self.redis: subprocess.Popen[bytes] | None = None
        self.broker = ""
        self.app_url = ""
        self.gunicorn: Child | None = None
        self.celery: Child | None = None
        self.celery_app: Any = None

    # ---- data ------------------------------------------------------------------------------------------------

    def seed(self, raw_key: bytes, sender: str, text: str) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "mail_helper.seed", "--sender", sender, "--database-url", self.database_url],
            input=fernet_text(raw_key).encode() + b"\n" + text.encode(), env=self.env, capture_output=True, timeout=30,
        )
        assert result.returncode == 0, result.stderr

    # ---- processes -------------------------------------------------------------------------------------------

    def start_redis(self) -> None:
        port = free_port()
        self.redis = subprocess.Popen(
            ["/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.tmp)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        self.broker = f"redis://127.0.0.1:{port}/0"

        def ping() -> bool:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")

        wait_for("redis-server", ping, timeout=15)

    def start_agent(self, *extra: str, allow_uid: str | None = None) -> Child:
        args = [sys.executable, "-m", "custodian_receiver", "agent", "--socket", str(self.socket_path),
                "--allow-uid", allow_uid or str(os.getuid()), "--port", "0", "--identity-key", str(self.tmp / "receiver.key"),
                "--authorized-custodians", str(self.tmp / "custodians"), "--key-check", key_id(self.current),
                "--key-check", key_id(self.previous), "--server-id", SERVER_ID, *extra]
        self.agent = Child(args, env=self.env)
        self.children.append(self.agent)
        agent_line = self.agent.next_json()
        assert agent_line["event"] == "agent" and agent_line["socket"] == str(self.socket_path), agent_line
        self.agent_start = self.agent.next_json()
        assert self.agent_start["event"] == "listening"
        return self.agent

    def app_env(self) -> dict[str, str]:
        return {**self.env, "ENCRYPTION_KEY_SOURCE": "custodian-agent", "CUSTODIAN_AGENT_SOCKET": str(self.socket_path),
                "DATABASE_URL": self.database_url, "CELERY_BROKER_URL": self.broker}

    def start_gunicorn(self) -> None:
        port = free_port()
        env = {**self.app_env(), "MAIL_HELPER_BIND": f"127.0.0.1:{port}", "MAIL_HELPER_WORKERS": "2", "MAIL_HELPER_WORKER_HEADER": "1"}
        self.gunicorn = Child([sys.executable, "-m", "gunicorn", "-c", str(EXAMPLE / "gunicorn.conf.py"), "mail_helper.wsgi:app"],
                              env=env, cwd=EXAMPLE)
        self.children.append(self.gunicorn)
        self.app_url = f"http://127.0.0.1:{port}"
        wait_for("gunicorn to answer /health", lambda: http_get(self.app_url + "/health")[0] == 200, timeout=30)
        wait_for("gunicorn's 2 workers", lambda: len(self.worker_pids()) == 2, timeout=30)

    def worker_pids(self) -> set[int]:
        assert self.gunicorn is not None
        return children_of(self.gunicorn.process.pid)

    def start_celery(self) -> None:
        self.celery = Child([sys.executable, "-m", "celery", "-A", "mail_helper.tasks", "worker", "--pool", "prefork", "--concurrency", "1",
                             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"],
                            env=self.app_env(), cwd=EXAMPLE)
        self.children.append(self.celery)
        from celery import Celery

        # A producer of our own (the example's module would make an agent client in the test process).
        self.celery_app = Celery("mail_helper", broker=self.broker, backend=self.broker)
        self.celery_app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
        from celery.exceptions import TimeoutError as CeleryTimeout

        def ready() -> Any:
            try:
                return self.task("mail_helper.tasks.encryption_state", timeout=5)
            except CeleryTimeout:
                return None

        wait_for("the Celery worker", ready, timeout=60, interval=0.5)

    def task(self, name: str, *args: Any, timeout: float = 20.0) -> Any:
        result = self.celery_app.send_task(name, args=args)
        try:
            return result.get(timeout=timeout)
        finally:
            result.forget()
            del result  # its __del__ talks to redis: let it run now, while redis is up

    # ---- the officer's push ----------------------------------------------------------------------------------

    def push(self) -> dict[str, Any]:
        url, identity = self.agent_start["url"], self.agent_start["identity"]
        status = verify_status(json.dumps(http_get(url + "/status")[1]), identity, SERVER_ID)
        request = build_unlock(status, self.custodian, [self.current, self.previous])
        code, body = http_post(url + "/unlock", request.body)
        assert code == 200, body
        return verify_receipt(json.dumps(body), identity, request)

    def remote_lock(self) -> dict[str, Any]:
        url, identity = self.agent_start["url"], self.agent_start["identity"]
        status = verify_status(json.dumps(http_get(url + "/status")[1]), identity, SERVER_ID)
        request = build_lock(status, self.custodian)
        code, body = http_post(url + "/lock", request.body)
        assert code == 200, body
        return verify_receipt(json.dumps(body), identity, request, lock=True)

    def receiver_state(self) -> str:
        url, identity = self.agent_start["url"], self.agent_start["identity"]
        return str(verify_status(json.dumps(http_get(url + "/status")[1]), identity, SERVER_ID)["state"])

    # ---- requests to the app ---------------------------------------------------------------------------------

    def answers_by_worker(self, rounds: int = 40, parallel: int = 6) -> dict[int, list[tuple[int, dict[str, Any]]]]:
        """Requests /api/messages in parallel bursts until both workers have answered (bounded in rounds)."""
        from concurrent.futures import ThreadPoolExecutor

        seen: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        with ThreadPoolExecutor(parallel) as pool:
            for _ in range(rounds):
                for code, body, headers in pool.map(lambda _i: http_get(self.app_url + "/api/messages"), range(parallel)):
                    seen.setdefault(int(headers["X-Worker-Pid"]), []).append((code, body))
                if len(seen) >= 2 and set(seen) >= self.worker_pids():
                    break
        return seen

    def stop(self) -> None:
        if self.celery_app is not None:
            gc.collect()  # finalizes Celery's AsyncResult objects (their __del__ talks to redis) while redis is up
            self.celery_app.close()
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.stop()
        if self.redis is not None and self.redis.poll() is None:
            os.killpg(self.redis.pid, signal.SIGTERM)
            try:
                self.redis.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.redis.pid, signal.SIGKILL)
                self.redis.wait(5)

    def outputs(self) -> list[bytes]:
        return [("\n".join(child.stdout)).encode() + child.stderr for child in self.children]
