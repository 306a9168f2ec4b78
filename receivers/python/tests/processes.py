"""Starting the demo server or the example app as real child processes, and reading their JSON lines."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

START_TIMEOUT_SECONDS = 20


class Child:
    """A child process whose stdout lines are collected by a thread (so the pipe never fills up)."""

    def __init__(self, args: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self.process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.stdout.append(line)
            self.lines.put(line)

    def next_json(self, timeout: float = START_TIMEOUT_SECONDS) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            raise AssertionError(f"no output line within {timeout}s; stderr: {self.stderr.decode(errors='replace')}") from None
        return json.loads(line)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            _, self.stderr = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            _, self.stderr = self.process.communicate()
        self._reader.join(5)
        return int(self.process.returncode)


def demo_server(tmp: Path, *extra: str, env: dict[str, str] | None = None) -> Child:
    return Child(
        [sys.executable, "-m", "custodian_receiver", "--port", "0", "--identity-key", str(tmp / "receiver.key"),
         "--authorized-custodians", str(tmp / "custodians"), *extra],
        env=env,
    )


def child_env(tmp: Path) -> dict[str, str]:
    """The parent's environment with a private TMPDIR inside ``tmp``, so the scan sees every temp file."""
    private_tmp = tmp / "tmp"
    private_tmp.mkdir(exist_ok=True)
    return {**os.environ, "TMPDIR": str(private_tmp), "PYTHONDONTWRITEBYTECODE": "1"}
