"""The host agent and its client (docs/agent.md): the socket's permissions, peer-credential refusals, the
custodian-agent/1 frames, lock and stop, fork safety, and the CLI's start-up checks. In-process agents over real
Unix sockets, and ``python -m custodian_receiver agent`` as a real process."""

from __future__ import annotations

import base64
import grp
import json
import os
import socket
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from agent_stack import Stack, wait_for
from custodian_receiver import ReceiverLocked
from custodian_receiver.agent import HostAgent
from custodian_receiver.agent_client import AgentClient, AgentLocked
from custodian_receiver.agent_socket import bind_agent_socket, make_policy
from custodian_receiver.agent_wire import ERROR, HEADER, HELLO, KEYS, LOCKED, PROTOCOL, FrameBuffer, json_frame
from custodian_receiver.errors import ConfigError
from helpers import World, make_world
from processes import Child


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "run"
    directory.mkdir(mode=0o700)
    return directory


class Hosted:
    def __init__(self, world: World, agent: HostAgent, path: str, log: list[dict[str, Any]]) -> None:
        self.world, self.agent, self.path, self.log = world, agent, path, log

    def unlock(self) -> None:
        assert self.world.send(self.world.request())[0] == 200


@pytest.fixture
def hosted(run_dir: Path) -> Iterator[Hosted]:
    world = make_world()
    path = str(run_dir / "agent.sock")
    log: list[dict[str, Any]] = []
    agent = HostAgent(world.receiver, bind_agent_socket(path), make_policy([str(os.getuid())], []), log=log.append)
    agent.start()
    yield Hosted(world, agent, path, log)
    agent.stop()


def raw_connect(path: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(path)
    return sock


def read_frame(sock: socket.socket) -> tuple[int, bytes] | None:
    inbox = FrameBuffer()
    while True:
        frame = inbox.next_frame()
        if frame is not None:
            kind, payload = frame
            data = bytes(payload)
            inbox.consume()
            return kind, data
        if not inbox.receive(sock):
            return None


def fernet_of(raw: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(raw))


# ---- socket and permissions ----------------------------------------------------------------------------------


def test_socket_is_0600_in_a_private_directory_and_a_group_socket_is_0660(run_dir: Path) -> None:
    listener = bind_agent_socket(str(run_dir / "a.sock"))
    assert stat.S_IMODE(os.stat(run_dir / "a.sock").st_mode) == 0o600
    listener.close()
    group = os.getgid()
    listener = bind_agent_socket(str(run_dir / "g.sock"), group=group)
    info = os.stat(run_dir / "g.sock")
    assert stat.S_IMODE(info.st_mode) == 0o660 and info.st_gid == group
    listener.close()


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o755, 0o701])
def test_a_runtime_directory_others_can_enter_or_anyone_else_can_write_is_refused(tmp_path: Path, mode: int) -> None:
    directory = tmp_path / "open"
    directory.mkdir()
    directory.chmod(mode)
    with pytest.raises(ConfigError) as refused:
        bind_agent_socket(str(directory / "agent.sock"))
    assert refused.value.code == "INSECURE_FILE"
    assert not (directory / "agent.sock").exists()


def test_a_runtime_directory_of_another_user_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("this test needs root to give the directory to another user (the suite runs as root)")
    directory = tmp_path / "theirs"
    directory.mkdir(mode=0o700)
    os.chown(directory, 65534, -1)
    with pytest.raises(ConfigError) as refused:
        bind_agent_socket(str(directory / "agent.sock"))
    assert refused.value.code == "INSECURE_FILE"


def test_a_stale_socket_is_replaced_a_live_agent_or_another_file_is_not(run_dir: Path) -> None:
    path = str(run_dir / "agent.sock")
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)
    stale.close()  # the file stays, nobody listens: an agent that died
    live = bind_agent_socket(path)
    with pytest.raises(ConfigError) as second:
        bind_agent_socket(path)
    assert second.value.code == "LISTEN_FAILED"
    live.close()
    other = run_dir / "file"
    other.write_text("x")
    with pytest.raises(ConfigError) as not_socket:
        bind_agent_socket(str(other))
    assert not_socket.value.code == "INVALID_CONFIG" and other.read_text() == "x"


def test_an_allow_list_is_required() -> None:
    with pytest.raises(ConfigError) as refused:
        make_policy([], [])
    assert refused.value.code == "USAGE"


# ---- peer credentials -------------------------------------------------------------------------------------------


def test_a_peer_whose_uid_and_gid_are_not_allowed_is_refused_and_logged(run_dir: Path) -> None:
    world = make_world()
    path = str(run_dir / "agent.sock")
    log: list[dict[str, Any]] = []
    not_us = str(os.getuid() + 4242)
    agent = HostAgent(world.receiver, bind_agent_socket(path), make_policy([not_us], [str(os.getgid() + 4242)]), log=log.append)
    agent.start()
    try:
        assert world.send(world.request())[0] == 200  # unlocked: there are keys to be had
        with raw_connect(path) as sock:  # refused before it says anything
            kind, payload = read_frame(sock) or (0, b"")
            assert kind == ERROR and json.loads(payload)["error"] == "PEER_NOT_ALLOWED"
            assert read_frame(sock) is None  # and closed
        client = AgentClient(path)
        with pytest.raises(AgentLocked) as locked:
            client.get_fernet()
        assert locked.value.reason == "refused" and "not allowed" in str(locked.value)
        client.close()
        refusals = [line for line in log if line["event"] == "agent_refused"]
        assert refusals and refusals[0]["uid"] == os.getuid() and refusals[0]["error"] == "PEER_NOT_ALLOWED"
        assert agent.client_count == 0
    finally:
        agent.stop()


def test_a_peer_allowed_by_its_primary_group_gets_the_keys(run_dir: Path) -> None:
    world = make_world()
    path = str(run_dir / "agent.sock")
    agent = HostAgent(world.receiver, bind_agent_socket(path), make_policy([], [grp.getgrgid(os.getgid()).gr_name]))
    agent.start()
    try:
        assert world.send(world.request())[0] == 200
        client = AgentClient(path)
        assert fernet_of(world.current).decrypt(client.get_fernet().encrypt(b"x")) == b"x"
        client.close()
    finally:
        agent.stop()


# ---- subscription, lock, stop --------------------------------------------------------------------------------


def test_locked_then_keys_current_first_then_locked_and_closed_on_lock(hosted: Hosted) -> None:
    with raw_connect(hosted.path) as sock:
        sock.sendall(json_frame(HELLO, {"protocol": PROTOCOL}))
        kind, payload = read_frame(sock) or (0, b"")
        assert kind == LOCKED and json.loads(payload) == {"protocol": PROTOCOL, "server_id": "app-1", "boot_id": hosted.world.receiver.boot_id}
        hosted.unlock()
        kind, payload = read_frame(sock) or (0, b"")
        assert kind == KEYS
        meta_length = int.from_bytes(payload[:2], "big")
        meta = json.loads(payload[2 : 2 + meta_length])
        assert meta["key_ids"] == list(hosted.world.receiver.installed_key_ids)
        assert payload[2 + meta_length :] == hosted.world.current + hosted.world.previous  # raw, current first
        hosted.world.receiver.lock()
        kind, _ = read_frame(sock) or (0, b"")
        assert kind == LOCKED
        assert read_frame(sock) is None  # every subscription ends at a lock


def test_client_decrypts_after_the_push_loses_the_keys_at_lock_and_gets_them_after_the_next_push(hosted: Hosted) -> None:
    client = AgentClient(hosted.path)
    with pytest.raises(AgentLocked) as locked:
        client.get_fernet()
    assert locked.value.reason == "locked" and isinstance(locked.value, ReceiverLocked)
    hosted.unlock()
    assert client.wait_unlocked(5)
    fernet = client.get_fernet()
    assert fernet_of(hosted.world.current).decrypt(fernet.encrypt(b"a")) == b"a"  # current key encrypts
    assert fernet.decrypt(fernet_of(hosted.world.previous).encrypt(b"old")) == b"old"  # previous still reads
    keys = list(client._keys)
    hosted.world.receiver.lock()
    wait_for("the client to drop its keys", lambda: client.state != "unlocked", timeout=5, interval=0.02)
    assert all(key.wiped for key in keys) and fernet.revoked
    with pytest.raises(ReceiverLocked):
        fernet.decrypt(fernet_of(hosted.world.current).encrypt(b"a"))
    with pytest.raises(AgentLocked):
        client.get_fernet()
    wait_for("the client to resubscribe", lambda: client.state == "locked", timeout=5, interval=0.02)
    hosted.unlock()
    assert client.wait_unlocked(5) and client.get_fernet().decrypt(fernet_of(hosted.world.current).encrypt(b"b")) == b"b"
    client.close()


def test_stop_tells_every_client_locked_closes_them_and_removes_the_socket(hosted: Hosted) -> None:
    hosted.unlock()
    clients = [AgentClient(hosted.path) for _ in range(3)]
    for client in clients:
        client.get_fernet()
    wait_for("three subscriptions", lambda: hosted.agent.client_count == 3, timeout=5)
    hosted.agent.stop()
    for client in clients:
        wait_for("the client to drop its keys", lambda c=client: c.state != "unlocked", timeout=5, interval=0.02)  # type: ignore[misc]
        assert client._keys == []
        client.close()
    assert not os.path.exists(hosted.path)


def test_a_client_that_says_nothing_or_speaks_another_protocol_is_dropped(hosted: Hosted) -> None:
    hosted.unlock()
    with raw_connect(hosted.path) as silent:
        started = time.monotonic()
        kind, payload = read_frame(silent) or (0, b"")
        assert kind == ERROR and json.loads(payload)["error"] == "HELLO_TIMEOUT"
        assert time.monotonic() - started < 4
    with raw_connect(hosted.path) as other:
        other.sendall(json_frame(HELLO, {"protocol": "custodian-agent/9"}))
        kind, payload = read_frame(other) or (0, b"")
        assert kind == ERROR and json.loads(payload)["error"] == "UNSUPPORTED_PROTOCOL"
    with raw_connect(hosted.path) as garbage:
        garbage.sendall(HEADER.pack(ord("Z"), 1) + b"x")
        kind, _ = read_frame(garbage) or (0, b"")
        assert kind == ERROR
    with raw_connect(hosted.path) as huge:
        huge.sendall(HEADER.pack(HELLO, 1 << 30))
        kind, _ = read_frame(huge) or (0, b"")
        assert kind == ERROR
    assert not any(line["event"] == "agent_keys" for line in hosted.log)


def test_a_forked_child_wipes_its_inherited_keys_and_subscribes_on_its_own(hosted: Hosted) -> None:
    hosted.unlock()
    client = AgentClient(hosted.path)
    parent_fernet = client.get_fernet()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report what it sees, then exit without running pytest's teardown
        try:
            os.close(read_end)
            inherited_wiped = client.state == "connecting" and client._keys == []
            token = client.get_fernet(timeout=5).encrypt(b"from the child")
            report = {"inherited_wiped": inherited_wiped, "token": token.decode(), "pid": os.getpid()}
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            report = {"error": repr(error)}
        os.write(write_end, json.dumps(report).encode())
        os._exit(0)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            report = json.loads(pipe.read())
    finally:
        os.waitpid(pid, 0)
    assert report.get("inherited_wiped") is True, report
    assert fernet_of(hosted.world.current).decrypt(report["token"].encode()) == b"from the child"
    # The child's own subscription (its pid, not the parent's) and the parent's still works after the child exited.
    assert any(line["event"] == "agent_keys" and line["pid"] == report["pid"] for line in hosted.log)
    time.sleep(0.2)
    assert client.state == "unlocked" and not parent_fernet.revoked
    assert parent_fernet.decrypt(parent_fernet.encrypt(b"still")) == b"still"
    client.close()


def test_receiver_copy_keys_gives_wipeable_copies_and_on_lock_runs_after_the_wipe() -> None:
    world = make_world()
    with pytest.raises(ReceiverLocked):
        world.receiver.copy_keys()
    assert world.send(world.request())[0] == 200
    copies = world.receiver.copy_keys()
    assert [bytes(k.buffer) for k in copies] == [world.current, world.previous]
    for key in copies:
        key.wipe()
    assert world.receiver.get_fernet().decrypt(fernet_of(world.current).encrypt(b"z")) == b"z"  # originals intact
    seen: list[str] = []
    world.receiver.on_lock(lambda _event: seen.append(world.receiver.state))
    world.receiver.lock()
    assert seen == ["locked"]


# ---- the CLI as a real process -----------------------------------------------------------------------------


def test_cli_refuses_a_uid_not_in_the_allow_list_and_removes_its_socket_on_sigterm(tmp_path: Path) -> None:
    stack = Stack(tmp_path)
    try:
        agent = stack.start_agent(allow_uid=str(os.getuid() + 4242))
        assert stat.S_IMODE(os.stat(stack.socket_path).st_mode) == 0o600
        stack.push()
        client = AgentClient(str(stack.socket_path))
        with pytest.raises(AgentLocked) as locked:
            client.get_fernet()
        assert locked.value.reason == "refused"
        client.close()
        refused = json.loads(wait_for("the refusal line", lambda: next((l for l in agent.stdout if "agent_refused" in l), None), timeout=5))
        assert refused["uid"] == os.getuid() and refused["error"] == "PEER_NOT_ALLOWED"
        assert agent.stop() == 0
        assert not stack.socket_path.exists()
    finally:
        stack.stop()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ([], "USAGE"),  # no --socket
        (["--socket", "{run}/agent.sock"], "USAGE"),  # no allow list
        (["--socket", "{run}/agent.sock", "--allow-uid", "no-such-user-k7"], "USAGE"),
        (["--socket", "{tmp}/open/agent.sock", "--allow-uid", "0"], "INSECURE_FILE"),
        (["--socket", "{run}/agent.sock", "--allow-uid", "0"], "USAGE"),  # receiver flags missing: socket removed again
    ],
)
def test_cli_start_errors_are_coded_and_leave_no_socket(tmp_path: Path, args: list[str], code: str) -> None:
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    (tmp_path / "open").mkdir(mode=0o777)
    (tmp_path / "open").chmod(0o777)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    child = Child([sys.executable, "-m", "custodian_receiver", "agent", *[a.format(run=run, tmp=tmp_path) for a in args]], env=env)
    child.process.wait(20)
    assert child.stop() == 2
    stderr = child.stderr.decode()
    assert stderr.startswith(f"error [{code}]:"), stderr
    assert "no-such-user-k7" not in stderr  # a value is never echoed
    assert list(run.iterdir()) == [] and list((tmp_path / "open").iterdir()) == []


def test_cli_help_lists_agent_and_receiver_flags() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    child = Child([sys.executable, "-m", "custodian_receiver", "agent", "--help"], env=env)
    child.process.wait(20)
    assert child.stop() == 0
    text = "\n".join(child.stdout)
    for flag in ("--socket", "--allow-uid", "--allow-gid", "--socket-group", "--identity-key", "--key-check"):
        assert flag in text
