"""The demo server against an attacker on the network (issue 10 §5, protocol §12.8), each finding of the review as
a regression test on the real ``python -m custodian_receiver`` process on loopback: slow clients, request
smuggling, methods, Host, paths, strict JSON, and a status flood."""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from custodian_client import build_lock, build_revocation, build_unlock, new_nonce, verify_status
from custodian_receiver import key_id
from custodian_receiver.wire import PROTOCOL, b64u_encode, dumps
from helpers import fingerprint
from processes import Child, child_env, demo_server

ATTACKER_ADDRESS = "127.0.0.2"  # all of 127.0.0.0/8 is loopback on Linux: the attacker is another client address


class Server:
    def __init__(self, tmp: Path, *extra: str) -> None:
        self.tmp = tmp
        self.custodian = Ed25519PrivateKey.generate()
        self.current, self.previous = os.urandom(32), os.urandom(32)
        (tmp / "custodians").write_text(f"{fingerprint(self.custodian)} alice\n")
        self.child: Child = demo_server(tmp, "--key-check", key_id(self.current), "--key-check", key_id(self.previous),
                                        "--server-id", "app-1", *extra, env=child_env(tmp))
        self.start = self.child.next_json()
        self.url = self.start["url"]
        self.port = int(urlparse(self.url).port or 0)

    def status(self, nonce: str | None = None) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/status" + (f"?nonce={nonce}" if nonce else ""), timeout=10) as response:
            return verify_status(response.read(), self.start["identity"], "app-1", nonce)

    def post(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        head = f"POST /custodian/{path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        answer = exchange(self.port, head.encode() + body)
        status_line, _, rest = answer.partition(b"\r\n")
        return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    running = Server(tmp_path)
    yield running
    assert running.child.stop() == 0
    assert running.child.stderr == b"", running.child.stderr.decode(errors="replace")


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One server for the many small refusal cases that change nothing (process starts are the slow part)."""
    running = Server(tmp_path_factory.mktemp("shared"))
    yield running
    assert running.child.stop() == 0
    assert running.child.stderr == b"", running.child.stderr.decode(errors="replace")
    assert running.child.stdout[1:] == []  # none of them reached the receiver as an attempt


def exchange(port: int, data: bytes, *, source: str = "127.0.0.1", timeout: float = 10) -> bytes:
    """Sends ``data`` and reads until the server closes (or the timeout): everything the server answered."""
    with socket.socket() as connection:
        connection.bind((source, 0))
        connection.settimeout(timeout)
        connection.connect(("127.0.0.1", port))
        connection.sendall(data)
        received = b""
        while True:
            try:
                part = connection.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not part:
                break
            received += part
        return received


def responses(answer: bytes) -> list[int]:
    """The status codes of every HTTP response in ``answer`` (a second one may follow the first body directly)."""
    return [int(code) for code in re.findall(rb"HTTP/1\.[01] (\d{3}) ", answer)]


# ---- slow clients --------------------------------------------------------------------------------------------


def _is_open(connection: socket.socket) -> bool:
    connection.setblocking(False)
    try:
        return connection.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        connection.setblocking(True)


def test_slow_clients_from_one_address_hold_16_connections_for_10_s_at_most_and_status_still_answers(server: Server) -> None:
    # The review's attack: connections that each send a header byte every few seconds. Revision 1 kept each one for
    # 10 s per byte (forever) and let 256 of them take every slot.
    attackers = []
    first_byte = time.monotonic()
    for _ in range(40):
        connection = socket.socket()
        connection.bind((ATTACKER_ADDRESS, 0))
        connection.settimeout(5)
        connection.connect(("127.0.0.1", server.port))
        connection.sendall(b"G")
        attackers.append(connection)
    try:
        time.sleep(0.5)
        held = [c for c in attackers if _is_open(c)]
        assert len(held) == 16  # the other 24 were closed at once
        latencies = []
        trickle = iter(b"ET /custodian/status HTTP/1.1\r\nHost: x\r\n")
        while time.monotonic() - first_byte < 8:
            byte = bytes([next(trickle)])
            for connection in held:
                connection.sendall(byte)
            started = time.monotonic()
            assert server.status()["state"] == "locked"  # a real status from another address, during the attack
            latencies.append(time.monotonic() - started)
            time.sleep(1)
        assert max(latencies) < 1.0, latencies
        assert all(_is_open(c) for c in held)
        # 10 s after its first byte an unfinished request is answered 408 and its connection closed.
        for connection in held:
            connection.settimeout(6)
            answer = b""
            while chunk := connection.recv(4096):
                answer += chunk
            assert responses(answer) == [408] and b'"REQUEST_TIMEOUT"' in answer and b"Connection: close" in answer
        elapsed = time.monotonic() - first_byte
        assert 9.5 <= elapsed <= 13, elapsed
    finally:
        for connection in attackers:
            connection.close()
    assert server.status()["state"] == "locked"


# ---- request smuggling and framing --------------------------------------------------------------------------

_POST = b"POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
_SMUGGLED = b"GET /custodian/status HTTP/1.1\r\nHost: x\r\n\r\n"
_BODY = b"{}" + _SMUGGLED  # "{}" for a server that takes the short framing, then a smuggled second request
_ALL = str(len(_BODY)).encode()


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: 2\r\nContent-Length: " + _ALL + b"\r\n",  # two different lengths (revision 1: the first won)
        b"Content-Length: " + _ALL + b"\r\nContent-Length: " + _ALL + b"\r\n",  # two equal ones are refused too
        b"Transfer-Encoding: identity\r\nContent-Length: 2\r\n",  # revision 1 accepted it with the length
        b"Transfer-Encoding: chunked\r\nContent-Length: 2\r\n",
        b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: gzip, chunked\r\n",
        b"Transfer-Encoding: chunked, identity\r\n",
        b"Content-Length: +2\r\n",
        b"Content-Length: 2 2\r\n",
        b"Content-Length: 0x2\r\n",
        b"Content-Length : 2\r\n",
        b"X-Folded: a\r\n b\r\nContent-Length: 2\r\n",
    ],
    ids=lambda f: f.decode().replace("\r\n", "|"),
)
def test_ambiguous_framing_is_refused_with_400_and_the_connection_closed(shared: Server, framing: bytes) -> None:
    answer = exchange(shared.port, _POST + framing + b"\r\n" + _BODY)
    assert responses(answer) == [400], answer  # one answer: nothing after it was read as a second request
    assert b"Connection: close" in answer and b'"BAD_REQUEST"' in answer
    assert shared.child.lines.empty()  # no unlock attempt was even made


def test_a_request_without_host_is_refused(shared: Server) -> None:
    for request in (b"GET /custodian/status HTTP/1.1\r\n\r\n", b"GET /custodian/status HTTP/1.0\r\n\r\n",
                    b"GET /custodian/status HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"):
        answer = exchange(shared.port, request)
        assert responses(answer) == [400] and b'"BAD_REQUEST"' in answer


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "HEAD", "BREW", "GET"])
def test_other_methods_get_405_with_allow_never_501(shared: Server, method: str) -> None:
    for path, allowed in (("/custodian/status", "GET"), ("/custodian/unlock", "POST"), ("/custodian/lock", "POST"),
                          ("/custodian/custodians", "POST"), ("/custodian/identity", "GET")):
        if method == allowed:
            continue
        answer = exchange(shared.port, f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        assert responses(answer) == [405], (method, path, answer)
        assert f"\r\nAllow: {allowed}\r\n".encode() in answer
        if method == "HEAD":
            assert answer.endswith(b"\r\n\r\n")  # no body for HEAD
        else:
            assert b'"METHOD_NOT_ALLOWED"' in answer


@pytest.mark.parametrize("target", [
    "/x/../custodian/status", "/custodian/./status", "/custodian/%73tatus", "/custodian/%2e%2e/custodian/status", "//custodian/status",
    "//h/custodian/status", "http://127.0.0.1/custodian/status", "/custodian/status#x", "/custodian/status/", "/CUSTODIAN/status", "*",
    "/custodian/metrics",  # only with --metrics
])
def test_only_the_exact_route_paths_are_routed(shared: Server, target: str) -> None:
    answer = exchange(shared.port, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert responses(answer) == [404] and b'"NOT_FOUND"' in answer


# ---- strict JSON and the status flood ----------------------------------------------------------------------


def test_duplicate_members_and_non_integer_numbers_are_refused_and_spend_nothing(server: Server) -> None:
    status = server.status()
    valid = build_unlock(status, server.custodian, [server.current, server.previous])
    token = valid.token
    forms = [
        b'{"protocol":"custodian-unlock/1","request":"a.b.c","request":"' + token.encode() + b'"}',
        b'{"protocol":"custodian-unlock/1","protocol":"custodian-unlock/1","request":"' + token.encode() + b'"}',
    ]
    for issued_at in (b"1e3", b"1000.0", b"-0", b"1E3", b"9007199254740992"):
        payload = dumps(valid.payload).replace(b'"issued_at":' + str(valid.payload["issued_at"]).encode(), b'"issued_at":' + issued_at)
        assert issued_at in payload
        header = token.split(".")[0]
        signing_input = f"{header}.{b64u_encode(payload)}"  # signed as written: only the number's spelling differs
        jws = f"{signing_input}.{b64u_encode(server.custodian.sign(signing_input.encode()))}"
        forms.append(dumps({"protocol": PROTOCOL, "request": jws}))
    for body in forms:
        code, answer = server.post("unlock", body)
        assert (code, answer["error"]["code"]) == (400, "BAD_REQUEST"), body[:120]
    code, _ = server.post("unlock", valid.body)
    assert code == 200  # none of them spent the challenge


def test_a_status_flood_from_another_client_leaves_an_earlier_challenge_usable(server: Server) -> None:
    status = server.status(new_nonce())  # the custodian's status, then 500 quick statuses from someone else
    request = build_unlock(status, server.custodian, [server.current, server.previous])
    flood_done = threading.Event()

    def flood() -> None:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
            stream = connection.makefile("rb")
            for _ in range(500):
                connection.sendall(b"GET /custodian/status HTTP/1.1\r\nHost: x\r\n\r\n")
                length = 0
                while (line := stream.readline()) != b"\r\n":
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                assert b'"status"' in stream.read(length)
        flood_done.set()

    thread = threading.Thread(target=flood)
    thread.start()
    time.sleep(0.3)  # the custodian's round trip, during the flood
    code, answer = server.post("unlock", request.body)
    thread.join(60)
    assert flood_done.is_set()
    assert code == 200, answer
    assert server.status()["state"] == "unlocked"


# ---- lock, statements and metrics over HTTP ---------------------------------------------------------------------


def test_lock_statements_and_metrics_over_http_with_one_log_line_each(tmp_path: Path) -> None:
    running = Server(tmp_path, "--metrics", "--custodian-statements", str(tmp_path / "statements"))
    try:
        assert running.post("unlock", build_unlock(running.status(), running.custodian, [running.current]).body)[0] == 200
        assert running.child.next_json()["event"] == "unlock"
        code, answer = running.post("lock", build_lock(running.status(), running.custodian).body)
        assert code == 200 and "receipt" in answer
        assert running.child.next_json() == {"event": "lock", "ok": True, "custodian": fingerprint(running.custodian), "boot_id": running.start["boot_id"]}
        assert running.status()["state"] == "locked"
        stranger = Ed25519PrivateKey.generate()
        code, answer = running.post("custodians", build_revocation(running.custodian, fingerprint(stranger)))
        assert (code, answer) == (200, {"protocol": PROTOCOL, "applied": True})
        assert running.child.next_json() == {"event": "statement", "ok": True, "type": "revocation", "applied": True,
                                             "custodian": fingerprint(running.custodian), "subject": fingerprint(stranger)}
        code, answer = running.post("lock", b"{}")
        assert running.child.next_json() == {"event": "lock", "ok": False, "error": "BAD_REQUEST"}
        with urllib.request.urlopen(running.url + "/metrics", timeout=10) as response:
            assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
            text = response.read().decode()
        for line in ("custodian_receiver_unlocked 0", "custodian_receiver_unlocks_total 1", "custodian_receiver_locks_total 1",
                     'custodian_receiver_refused_total{code="BAD_REQUEST"} 1'):
            assert line + "\n" in text
    finally:
        assert running.child.stop() == 0
    assert running.child.stderr == b""
