"""The host agent (docs/agent.md): the receiver takes the push, and this serves the installed keys to the
application's own processes (gunicorn workers, Celery workers) over a Unix domain socket.

One thread runs a selector loop over the listening socket and every client. A client is checked by its peer
credentials when it connects, says hello, and is subscribed: it gets ``L`` (locked) or ``K`` (the keys, current
first) at once, ``K`` when a push unlocks the receiver, and ``L`` followed by the end of the connection when the
receiver locks. When the agent stops or dies every connection ends, and clients wipe their keys on that EOF.

The agent keeps no copy of the keys: it copies them out of the receiver for each ``K`` frame and wipes the copy
and the frame once sent.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .agent_socket import PeerCredentials, PeerPolicy, peer_credentials
from .agent_wire import ERROR, HELLO, LOCKED, PROTOCOL, FrameBuffer, WireError, json_frame, keys_frame, parse_json_payload
from .errors import ReceiverLocked
from .key_id import key_id
from .receiver import Receiver, UnlockAttempt
from .secret_memory import wipe

HELLO_TIMEOUT_SECONDS = 2.0
MAX_CLIENTS = 256
_HELLO_MAX_PAYLOAD = 256
_TICK_SECONDS = 0.25

Log = Callable[[dict[str, Any]], None]


@dataclass(eq=False)
class _Client:
    sock: socket.socket
    peer: PeerCredentials
    deadline: float
    inbox: FrameBuffer = field(default_factory=lambda: FrameBuffer(_HELLO_MAX_PAYLOAD))
    subscribed: bool = False
    generation: int = -1
    has_keys: bool = False


class HostAgent:
    """Serves ``receiver``'s keys on ``listener`` (from ``agent_socket.bind_agent_socket``) to peers ``policy``
    allows. ``start()`` runs it in a daemon thread; ``stop()`` tells every client "locked", closes every
    connection and removes the socket file."""

    def __init__(self, receiver: Receiver, listener: socket.socket, policy: PeerPolicy, *, log: Log | None = None,
                 max_clients: int = MAX_CLIENTS) -> None:
        self._receiver = receiver
        self._listener = listener
        self._listener.setblocking(False)
        self._path = listener.getsockname()
        self._inode = _inode(self._path)
        self._policy = policy
        self._log = log or (lambda _line: None)
        self._max_clients = max_clients
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._wake_write.setblocking(False)
        self._clients: set[_Client] = set()
        self._state_lock = threading.Lock()
        self._generation = 0  # +1 at every lock(): a subscription from an older generation is closed
        self._dirty = True
        self._rekeyed = False  # a rekey (§12.12) replaced the keys: every client gets the new set
        self._stopping = False
        self._thread: threading.Thread | None = None
        receiver.add_listener(self._on_attempt)
        receiver.on_lock(self._on_lock)
        receiver.on_rekey(self._on_rekey)

    @property
    def socket_path(self) -> str:
        return str(self._path)

    @property
    def client_count(self) -> int:
        return sum(1 for client in list(self._clients) if client.subscribed)

    def start(self) -> None:
        self._selector.register(self._listener, selectors.EVENT_READ, "listener")
        self._selector.register(self._wake_read, selectors.EVENT_READ, "wake")
        self._thread = threading.Thread(target=self._run, name="custodian-agent", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._state_lock:
            self._stopping = True
            self._generation += 1
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)

    # ---- receiver events (any thread) ------------------------------------------------------------------------

    def _on_attempt(self, attempt: UnlockAttempt) -> None:
        if attempt.ok:
            self._mark_dirty()

    def _on_lock(self, *_args: object) -> None:
        with self._state_lock:
            self._generation += 1
        self._mark_dirty()

    def _on_rekey(self, *_args: object) -> None:
        # The clients keep their subscription and get a new keys frame (the client swaps its MultiFernet and
        # wipes the old keys); nobody sees "locked" during a rekey.
        with self._state_lock:
            self._rekeyed = True
        self._mark_dirty()

    def _mark_dirty(self) -> None:
        with self._state_lock:
            self._dirty = True
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # a full wake-up pipe already wakes the loop
            self._wake_write.send(b"\0")

    # ---- the loop (agent thread only) ------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                with self._state_lock:
                    stopping = self._stopping
                if stopping:
                    break
                for key, _mask in self._selector.select(_TICK_SECONDS):
                    if key.data == "listener":
                        self._accept_all()
                    elif key.data == "wake":
                        with contextlib.suppress(OSError):
                            while self._wake_read.recv(4096):
                                pass
                    else:
                        self._readable(key.data)
                self._expire_hellos()
                self._sync()
        finally:
            self._shutdown()

    def _accept_all(self) -> None:
        for _ in range(64):  # bounded per tick; the rest wait in the backlog
            try:
                connection, _address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            self._admit(connection)

    def _admit(self, connection: socket.socket) -> None:
        connection.setblocking(False)
        try:
            peer = peer_credentials(connection)
        except OSError:
            connection.close()
            return
        if not self._policy.allows(peer):
            self._log({"event": "agent_refused", "uid": peer.uid, "gid": peer.gid, "pid": peer.pid, "error": "PEER_NOT_ALLOWED"})
            message = f"uid {peer.uid} / gid {peer.gid} is not allowed by this agent (--allow-uid, --allow-gid)"
            self._refuse(connection, "PEER_NOT_ALLOWED", message)
            return
        if len(self._clients) >= self._max_clients:
            self._log({"event": "agent_refused", "uid": peer.uid, "gid": peer.gid, "pid": peer.pid, "error": "TOO_MANY_CLIENTS"})
            self._refuse(connection, "TOO_MANY_CLIENTS", "the agent serves too many clients")
            return
        client = _Client(connection, peer, time.monotonic() + HELLO_TIMEOUT_SECONDS)
        self._clients.add(client)
        self._selector.register(connection, selectors.EVENT_READ, client)

    def _refuse(self, connection: socket.socket, code: str, message: str) -> None:
        with contextlib.suppress(OSError):
            connection.send(json_frame(ERROR, {"protocol": PROTOCOL, "error": code, "message": message}))
        _close(connection)

    def _readable(self, client: _Client) -> None:
        try:
            if not client.inbox.receive(client.sock):
                self._drop(client)  # the client went away (a worker exited)
                return
        except (BlockingIOError, InterruptedError):
            return
        except (OSError, WireError):
            self._drop(client)
            return
        if client.subscribed:
            self._drop(client)  # a subscribed client has nothing more to say
            return
        try:
            frame = client.inbox.next_frame()
            if frame is None:
                return
            kind, payload = frame
            if kind != HELLO:
                raise WireError("expected hello")
            parse_json_payload(payload)
            client.inbox.consume()
        except WireError:
            self._drop(client, "UNSUPPORTED_PROTOCOL", f"expected a {PROTOCOL} hello")
            return
        with self._state_lock:
            client.generation = self._generation
            self._dirty = True
        client.subscribed = True
        self._log({"event": "agent_client", "uid": client.peer.uid, "pid": client.peer.pid})
        if self._receiver.state != "unlocked":
            self._send(client, json_frame(LOCKED, self._meta()))

    def _expire_hellos(self) -> None:
        now = time.monotonic()
        for client in [c for c in self._clients if not c.subscribed and now > c.deadline]:
            self._drop(client, "HELLO_TIMEOUT", "no hello in time")

    def _sync(self) -> None:
        """Brings every subscription in line with the receiver: older generations get "locked" and are closed;
        subscribed clients without keys get them when the receiver is unlocked."""
        with self._state_lock:
            if not self._dirty:
                return
            self._dirty = False
            generation = self._generation
            rekeyed, self._rekeyed = self._rekeyed, False
        if rekeyed:
            for client in self._clients:
                client.has_keys = False
        for client in [c for c in self._clients if c.subscribed and c.generation != generation]:
            self._send(client, json_frame(LOCKED, self._meta()))
            self._drop(client)
        waiting = [c for c in self._clients if c.subscribed and not c.has_keys]
        if not waiting or self._receiver.state != "unlocked":
            return
        boot_id = self._receiver.boot_id
        try:
            keys = self._receiver.copy_keys()
        except ReceiverLocked:
            return
        frame = None
        try:
            with self._state_lock:
                if self._generation != generation:  # locked meanwhile: start over on the next tick
                    self._dirty = True
                    return
            meta = {"protocol": PROTOCOL, "server_id": self._receiver.server_id, "boot_id": boot_id,
                    "key_ids": [key_id(key.buffer) for key in keys]}
            frame = keys_frame(meta, keys)
            for client in waiting:
                if self._send(client, frame):
                    client.has_keys = True
                    self._log({"event": "agent_keys", "uid": client.peer.uid, "pid": client.peer.pid, "key_ids": meta["key_ids"]})
        finally:
            for key in keys:
                key.wipe()
            if frame is not None:
                wipe(frame)

    def _meta(self) -> dict[str, Any]:
        return {"protocol": PROTOCOL, "server_id": self._receiver.server_id, "boot_id": self._receiver.boot_id}

    def _send(self, client: _Client, frame: bytes | bytearray) -> bool:
        """Whole small frames only: a client whose socket buffer is full is not reading, and is dropped."""
        try:
            sent = client.sock.send(frame)
        except OSError:
            sent = -1
        if sent != len(frame):
            self._drop(client)
            return False
        return True

    def _drop(self, client: _Client, code: str | None = None, message: str = "") -> None:
        if client not in self._clients:
            return
        self._clients.discard(client)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(client.sock)
        if code is not None:
            with contextlib.suppress(OSError):
                client.sock.send(json_frame(ERROR, {"protocol": PROTOCOL, "error": code, "message": message}))
        client.inbox.wipe()
        _close(client.sock)

    def _shutdown(self) -> None:
        for client in list(self._clients):
            if client.subscribed:
                self._send(client, json_frame(LOCKED, self._meta()))
            self._drop(client)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(self._listener)
        self._listener.close()
        if _inode(self._path) == self._inode:  # only our own socket file, not a successor's
            with contextlib.suppress(OSError):
                os.unlink(self._path)
        self._selector.close()
        self._wake_read.close()
        self._wake_write.close()


def _inode(path: str) -> int | None:
    try:
        return os.lstat(path).st_ino
    except OSError:
        return None


def _close(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()
