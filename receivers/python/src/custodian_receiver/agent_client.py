"""The application side of the host agent (docs/agent.md): ``get_fernet()`` in any of the app's processes.

    from custodian_receiver.agent_client import get_fernet, AgentLocked
    token = get_fernet().encrypt(data)        # cryptography MultiFernet, current key first
                                              # raises AgentLocked (a ReceiverLocked) while the host is locked

The socket path comes from ``CUSTODIAN_AGENT_SOCKET`` (a path, not a secret) or ``AgentClient(path)``.

Each process keeps its own subscription: a daemon thread connects to the agent, says hello, and reads the agent's
frames; keys arrive in bytearrays (``SecretKey``) and are wiped, and the MultiFernet handed out revoked, the moment
the agent says "locked" or the connection ends (the agent locked, stopped or died). Fork-safe for prefork servers
(gunicorn, Celery): a forked child never uses its parent's connection or keys; it wipes its inherited copy, closes
its copy of the socket (never ``shutdown()``, which would cut the parent's) and subscribes on its own at its first
``get_fernet()``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import weakref
from typing import Literal

from .agent_wire import ERROR, HELLO, KEYS, LOCKED, PROTOCOL, FrameBuffer, WireError, json_frame, parse_json_payload, parse_keys_payload
from .errors import ReceiverLocked
from .fernet_keys import ReceiverFernet
from .secret_memory import SecretKey

ENV_SOCKET = "CUSTODIAN_AGENT_SOCKET"
FIRST_ANSWER_TIMEOUT_SECONDS = 2.0
_BACKOFF_FIRST, _BACKOFF_MAX, _BACKOFF_REFUSED = 0.05, 1.0, 5.0

ClientState = Literal["connecting", "locked", "unlocked", "unavailable", "refused"]

_REASONS: dict[str, str] = {
    "locked": "locked: waiting for the data key from Key Custodian",
    "connecting": "locked: no answer from the host key agent yet",
    "unavailable": "locked: the host key agent is not running or not reachable",
    "refused": "locked: the host key agent refused this process (its uid/gid is not allowed)",
}


class AgentLocked(ReceiverLocked):
    """No keys in this process: the host is locked, or the agent is unreachable or refused us. A ``ReceiverLocked``,
    so the Flask helper (and any handler for it) answers 503 "locked"; ``reason`` tells which case it is."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
        self.args = (_REASONS.get(reason, _REASONS["locked"]),)


_clients: weakref.WeakSet[AgentClient] = weakref.WeakSet()


class AgentClient:
    def __init__(self, socket_path: str, *, first_answer_timeout: float = FIRST_ANSWER_TIMEOUT_SECONDS) -> None:
        self._path = socket_path
        self._first_answer_timeout = first_answer_timeout
        self._reset_in_this_process()
        _clients.add(self)

    def _reset_in_this_process(self) -> None:
        self._pid = os.getpid()
        self._cond = threading.Condition(threading.Lock())  # new objects: the parent's may be held at fork time
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._keys: list[SecretKey] = []
        self._fernet: ReceiverFernet | None = None
        self._key_ids: tuple[str, ...] = ()
        self._state: ClientState = "connecting"
        self._closed = False
        self._error: str | None = None

    # ---- the application's API ---------------------------------------------------------------------------------

    @property
    def socket_path(self) -> str:
        return self._path

    @property
    def state(self) -> ClientState:
        self._check_process()
        return self._state

    @property
    def key_ids(self) -> tuple[str, ...]:
        return self._key_ids

    def get_fernet(self, timeout: float | None = None) -> ReceiverFernet:
        """cryptography's MultiFernet over the host's keys (current first). The first call in a process subscribes
        and waits up to ``timeout`` (default 2 s) for the agent's first answer; raises ``AgentLocked`` when there are
        no keys. Fetch it per request: after a lock the old object refuses to work."""
        self._check_process()
        wait = self._first_answer_timeout if timeout is None else timeout
        with self._cond:
            if self._closed:
                raise AgentLocked("unavailable")
            self._start_locked()
            deadline = time.monotonic() + wait
            while self._state == "connecting":
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            if self._state == "unlocked" and self._fernet is not None:
                return self._fernet
            raise AgentLocked(self._state)

    def wait_unlocked(self, timeout: float) -> bool:
        """Blocks until this process holds keys, or the timeout passes (for start-up scripts and tests)."""
        self._check_process()
        with self._cond:
            self._start_locked()
            return self._cond.wait_for(lambda: self._state == "unlocked", timeout)

    def close(self) -> None:
        """Ends the subscription and wipes the keys in this process."""
        self._check_process()
        with self._cond:
            self._closed = True
            self._wipe_locked()
            sock = self._sock
            self._cond.notify_all()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the reader thread blocked in recv
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2.0)

    # ---- internals --------------------------------------------------------------------------------------------

    def _check_process(self) -> None:
        if self._pid != os.getpid():  # forked without the at-fork hook (it runs for os.fork() and multiprocessing)
            self._after_fork_in_child()

    def _after_fork_in_child(self) -> None:
        inherited_sock, inherited_keys, inherited_fernet = self._sock, self._keys, self._fernet
        self._reset_in_this_process()
        if inherited_fernet is not None:
            inherited_fernet.revoke()
        for key in inherited_keys:
            key.wipe()  # this process's copy-on-write copy; the parent's keys are untouched
        if inherited_sock is not None:
            with contextlib.suppress(OSError):
                inherited_sock.close()  # close our descriptor only: no shutdown(), the parent still uses it

    def _start_locked(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="custodian-agent-client", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        backoff = _BACKOFF_FIRST
        while True:
            with self._cond:
                if self._closed or self._pid != os.getpid():
                    return
            outcome = self._subscribe_once()
            if outcome == "answered":
                backoff = _BACKOFF_FIRST  # the agent was there: reconnect soon (it locked, or restarted)
            with self._cond:
                if self._closed:
                    return
                self._cond.wait(_BACKOFF_REFUSED if outcome == "refused" else backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX)

    def _subscribe_once(self) -> str:
        """One connection's life; returns "unavailable", "refused" or "answered" (the agent spoke, then left)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self._first_answer_timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            self._set_state("unavailable")
            return "unavailable"
        with contextlib.suppress(OSError):
            # An agent that refuses us has already sent its reason and closed: read it below, whatever this says.
            sock.sendall(json_frame(HELLO, {"protocol": PROTOCOL}))
        with self._cond:
            if self._closed:
                sock.close()
                return "unavailable"
            self._sock = sock
        inbox = FrameBuffer()
        answered = False
        result = "unavailable"
        try:
            sock.settimeout(None)  # the agent may stay silent for hours; EOF or a frame wakes us
            while True:
                frame = inbox.next_frame()
                if frame is None:
                    if not inbox.receive(sock):
                        break
                    continue
                kind, payload = frame
                try:
                    if kind == KEYS:
                        meta, keys = parse_keys_payload(payload)
                        self._install(keys, meta)
                    elif kind == LOCKED:
                        parse_json_payload(payload)
                        self._set_state("locked")
                    elif kind == ERROR:
                        error = parse_json_payload(payload)
                        self._error = str(error.get("error"))
                        result = "refused" if error.get("error") == "PEER_NOT_ALLOWED" else "unavailable"
                        self._set_state("refused" if result == "refused" else "unavailable")
                        break
                    else:
                        raise WireError("unexpected frame")
                finally:
                    inbox.consume()  # wipes the frame, key bytes included
                answered = True
        except (OSError, WireError):
            pass
        finally:
            inbox.wipe()
            with self._cond:
                if self._sock is sock:
                    self._sock = None
            sock.close()
            if result != "refused":
                self._set_state("unavailable")  # EOF: the agent locked, stopped or died; wipe now
        return result if result == "refused" or not answered else "answered"

    def _install(self, keys: list[SecretKey], meta: dict[str, object]) -> None:
        with self._cond:
            self._wipe_locked()
            if self._closed:
                for key in keys:
                    key.wipe()
                return
            self._keys = keys
            self._fernet = ReceiverFernet(keys)
            key_ids = meta.get("key_ids")
            self._key_ids = tuple(str(k) for k in key_ids) if isinstance(key_ids, list) else ()
            self._state = "unlocked"
            self._cond.notify_all()

    def _set_state(self, state: ClientState) -> None:
        with self._cond:
            if state != "unlocked":
                self._wipe_locked()
            self._state = state
            self._cond.notify_all()

    def _wipe_locked(self) -> None:
        if self._fernet is not None:
            self._fernet.revoke()
            self._fernet = None
        for key in self._keys:
            key.wipe()
        self._keys = []
        self._key_ids = ()


def _after_fork_in_child() -> None:
    global _default_lock
    _default_lock = threading.Lock()  # the parent's may have been held by another thread at fork time
    for client in list(_clients):
        client._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


_default: AgentClient | None = None
_default_lock = threading.Lock()


def default_client() -> AgentClient:
    """The process's client for ``$CUSTODIAN_AGENT_SOCKET`` (created at the first call)."""
    global _default
    with _default_lock:
        path = os.environ.get(ENV_SOCKET)
        if not path:
            raise RuntimeError(f"set {ENV_SOCKET} to the host key agent's socket path (e.g. /run/custodian-agent/agent.sock)")
        if _default is None or _default.socket_path != path:
            _default = AgentClient(path)
        return _default


def get_fernet(timeout: float | None = None) -> ReceiverFernet:
    """``default_client().get_fernet()``: the MultiFernet, or ``AgentLocked`` while the host is locked."""
    return default_client().get_fernet(timeout)
