"""The host agent's listening socket and its peers' credentials (docs/agent.md §1).

The socket lives in a runtime directory that only the agent's user can write to (systemd's ``RuntimeDirectory``,
mode 0700 or 0750); the socket file is created 0600, or 0660 with ``--socket-group``. On Linux every connection's
peer is identified by ``SO_PEERCRED`` (uid, gid, pid as the kernel recorded them at ``connect()``), then checked
against the allow lists. Python's standard library has no ``getpeereid()`` (BSD, macOS): there the agent refuses to
start rather than rely on file permissions alone.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import socket
import stat
import struct
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import ConfigError

_UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


@dataclass(frozen=True)
class PeerCredentials:
    pid: int
    uid: int
    gid: int


@dataclass(frozen=True)
class PeerPolicy:
    """Who may subscribe: a peer whose uid is in ``uids`` or whose primary gid is in ``gids`` (``SO_PEERCRED``
    gives the primary group only; supplementary groups are not seen)."""

    uids: frozenset[int]
    gids: frozenset[int]

    def allows(self, peer: PeerCredentials) -> bool:
        return peer.uid in self.uids or peer.gid in self.gids


def peer_credentials_supported() -> bool:
    return sys.platform.startswith("linux") and hasattr(socket, "SO_PEERCRED")


def peer_credentials(connection: socket.socket) -> PeerCredentials:
    raw = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    pid, uid, gid = _UCRED.unpack(raw)
    return PeerCredentials(pid, uid, gid)


def resolve_uid(value: str) -> int:
    if value.isdigit():
        return int(value)
    try:
        return pwd.getpwnam(value).pw_uid
    except KeyError:
        raise ConfigError("USAGE", "an --allow-uid value is neither a number nor a user name on this host") from None


def resolve_gid(value: str) -> int:
    if value.isdigit():
        return int(value)
    try:
        return grp.getgrnam(value).gr_gid
    except KeyError:
        raise ConfigError("USAGE", "an --allow-gid/--socket-group value is neither a number nor a group name on this host") from None


def make_policy(uids: Iterable[str], gids: Iterable[str]) -> PeerPolicy:
    policy = PeerPolicy(frozenset(resolve_uid(u) for u in uids), frozenset(resolve_gid(g) for g in gids))
    if not policy.uids and not policy.gids:
        raise ConfigError("USAGE", "at least one --allow-uid or --allow-gid is required (who may get the keys)")
    return policy


def check_runtime_directory(directory: str) -> None:
    """The socket's directory must belong to this user and be writable by no one else (0700 or 0750): whoever can
    write there could replace the socket with their own and collect the applications' connections."""
    try:
        info = os.stat(directory)
    except OSError:
        message = f"the agent socket's directory {directory} does not exist (systemd: RuntimeDirectory=)"
        raise ConfigError("INVALID_CONFIG", message) from None
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError("INVALID_CONFIG", f"{directory} is not a directory")
    if info.st_uid != os.geteuid():
        raise ConfigError("INSECURE_FILE", f"the agent socket's directory {directory} must belong to the agent's user")
    if info.st_mode & 0o022 or info.st_mode & 0o005:
        message = f"the agent socket's directory {directory} must be mode 0700 or 0750; run: chmod 750 {directory}"
        raise ConfigError("INSECURE_FILE", message)


def bind_agent_socket(path: str, *, group: int | None = None, backlog: int = 64) -> socket.socket:
    """A listening Unix socket at ``path``, mode 0600 (0660 and this group with ``group``). A socket file left by an
    agent that died is replaced; a live agent at the same path, or any other kind of file there, is an error."""
    path = os.path.abspath(path)
    check_runtime_directory(os.path.dirname(path))
    _remove_stale_socket(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)  # the file is born 0600: no moment where another user could connect
    try:
        listener.bind(path)
    except OSError as error:
        listener.close()
        raise ConfigError("LISTEN_FAILED", f"cannot create the agent socket {path} ({os.strerror(error.errno or 0)})") from None
    finally:
        os.umask(old_umask)
    try:
        if group is not None:
            os.chown(path, -1, group)
            os.chmod(path, 0o660)
        else:
            os.chmod(path, 0o600)
        listener.listen(backlog)
    except OSError as error:
        listener.close()
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise ConfigError("LISTEN_FAILED", f"cannot set up the agent socket {path} ({os.strerror(error.errno or 0)})") from None
    return listener


def _remove_stale_socket(path: str) -> None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise ConfigError("INVALID_CONFIG", f"{path} exists and is not a socket; refusing to replace it")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(path)
    except OSError:
        os.unlink(path)  # nobody listens: an agent died without cleaning up
        return
    finally:
        probe.close()
    raise ConfigError("LISTEN_FAILED", f"another agent is listening on {path}")
