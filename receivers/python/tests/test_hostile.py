"""Hostile input: more than 10,000 generated malformed, forged, oversized and replayed requests against a locked
receiver, through the Flask test client, plus malformed HTTP against the real threaded server.

Every request must be refused with a protocol code (never INTERNAL, never 5xx), the receiver must stay locked,
and its status must keep answering. The generator is seeded (printed on failure) so a failure can be replayed.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from flask import Flask

from custodian_client import PreparedRequest, build_unlock, verify_status
from custodian_receiver import key_id
from custodian_receiver.flask_blueprint import init_app
from custodian_receiver.jws import raw_public_key
from custodian_receiver.server import ReceiverHttpServer
from custodian_receiver.wire import MAX_BODY_BYTES, PROTOCOL, b64u_encode, dumps, fingerprint_of
from helpers import World, error_of, fingerprint, make_world
from processes import child_env, demo_server

SEED = int(os.environ.get("CUSTODIAN_HOSTILE_SEED", "20261130"))
FLASK_REQUESTS = 2000
HTTP_REQUESTS = 8000
REFUSAL_CODES = {
    "BAD_REQUEST", "UNSUPPORTED_PROTOCOL", "WRONG_MESSAGE_TYPE", "DECRYPT_FAILED", "BAD_PAYLOAD", "BAD_SIGNATURE",
    "UNKNOWN_CUSTODIAN", "WRONG_SERVER", "NOT_FOUND", "METHOD_NOT_ALLOWED", "WRONG_BOOT", "ALREADY_UNLOCKED",
    "UNKNOWN_CHALLENGE", "CHALLENGE_EXPIRED", "BODY_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "KEY_CHECK_FAILED",
    "KEY_ORDER_REFUSED", "STATEMENTS_DISABLED",
}

Request = tuple[str, str, str | None, bytes]  # method, path, content type, body


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1.5, 2**53, 2**64, -(2**63), 1e308, rng.randrange(-10**6, 10**6)])
    if kind == 3:
        return "".join(rng.choice("abcK1-_=+/.:\u00e9\u0000\"\\ ") for _ in range(rng.randrange(0, 50)))
    if kind == 4:
        return rng.choice(["custodian-unlock/1", "unlock", "status", "EdDSA", "", "ed25519:", "K1-8KE1-QDS4-9W1J-7TKF"])
    if kind == 5:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(0, 5))]
    names = ["protocol", "request", "type", "alg", "typ", "jwk", "x", "kty", "crv", "sealed", "key_ids", "challenge", "__proto__"]
    return {rng.choice(names): _random_json(rng, depth + 1) for _ in range(rng.randrange(0, 6))}


class Generator:
    """Makes hostile requests against one locked receiver; forged ones are signed with real keys."""

    def __init__(self, world: World, rng: random.Random, recorded: PreparedRequest) -> None:
        self.world = world
        self.rng = rng
        self.recorded = recorded  # a request that really unlocked an earlier boot of this receiver
        # A valid request for the current boot that is never sent unmodified: the base for mutations, and the
        # status that forgeries refused before the challenge step are built on (saves a status per request).
        self.base_status = world.status()
        self.base = build_unlock(self.base_status, world.custodian, [world.current, world.previous])
        self.base_envelope = json.loads(self.base.body)
        self.attacker_key = os.urandom(32)
        self.consumed: list[PreparedRequest] = []

    def _on_base(self, keys: list[bytes] | None = None, **options: Any) -> PreparedRequest:
        signer = options.pop("signer", self.world.custodian)
        return build_unlock(self.base_status, signer, keys if keys is not None else [self.world.current, self.world.previous], **options)

    def _post(self, body: bytes, content_type: str | None = "application/json") -> Request:
        return ("POST", "/custodian/unlock", content_type, body)

    def random_bytes(self) -> Request:
        size = self.rng.choice([0, 1, 2, 16, 100, 1000, 4096, MAX_BODY_BYTES])
        return self._post(self.rng.randbytes(size))

    def random_json(self) -> Request:
        return self._post(json.dumps(_random_json(self.rng)).encode())

    def mutated_valid(self) -> Request:
        """1-4 byte edits of the valid base request; anything that still means the same request is skipped."""
        while True:
            body = bytearray(self.base.body)
            for _ in range(self.rng.randrange(1, 5)):
                position = self.rng.randrange(len(body))
                action = self.rng.randrange(3)
                if action == 0:
                    body[position] ^= 1 << self.rng.randrange(8)
                elif action == 1:
                    del body[position]
                else:
                    body.insert(position, self.rng.randrange(256))
            try:
                same = json.loads(bytes(body)) == self.base_envelope
            except ValueError:
                same = False
            if not same:
                return self._post(bytes(body))

    def mutated_token(self) -> Request:
        """A character of the header, payload or signature part replaced (the envelope stays well-formed)."""
        parts = self.base.token.split(".")
        index = self.rng.randrange(3)
        part = parts[index]
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/. "
        while True:
            position = self.rng.randrange(max(1, len(part)))
            mutated = part[:position] + self.rng.choice(alphabet) + part[position + 1:]
            if mutated != part:
                break
        parts[index] = mutated
        return self._post(dumps({"protocol": PROTOCOL, "request": ".".join(parts)}))

    def forged_signed(self) -> Request:
        """Signed by the authorized custodian, but wrong in exactly one deliberate way."""
        world, rng = self.world, self.rng
        forgery = rng.randrange(16)
        if forgery == 0:
            request = self._on_base(overrides={"server_id": rng.choice(["app-2", "APP-1", "app-1.", "a" * 64])})
        elif forgery == 1:
            request = self._on_base(overrides={"receiver_identity": fingerprint_of(os.urandom(32))})
        elif forgery == 2:
            request = self._on_base(overrides={"boot_id": b64u_encode(os.urandom(16))})
        elif forgery == 3:
            request = self._on_base(overrides={"challenge": b64u_encode(os.urandom(32))})
        elif forgery == 4:
            request = world.request(rng.choice([[self.attacker_key], [world.current, self.attacker_key]]))
        elif forgery == 5:
            request = world.request([self.attacker_key, world.previous], key_ids=[key_id(world.current), key_id(world.previous)])
        elif forgery == 6:
            request = world.request([world.current], plaintext=world.current + os.urandom(rng.choice([1, 31, 32])))
        elif forgery == 7:
            request = world.request(info_overrides={"challenge": b64u_encode(os.urandom(32))})
        elif forgery == 8:
            request = world.request(recipient=X25519PrivateKey.generate().public_key().public_bytes_raw())
        elif forgery == 9:
            member = rng.choice(["note", "exp", "key", "keys", "Protocol"])
            request = self._on_base(overrides={member: _random_json(rng)})
        elif forgery == 10:
            member = rng.choice(["server_id", "receiver_identity", "boot_id", "challenge", "custodian", "key_ids", "issued_at", "sealed"])
            bad = rng.choice([None, True, -1, 1.5, [], {}, "", "x" * 100, ["K1-8KE1-QDS4-9W1J-7TKF"] * 2])
            if member == "key_ids" and bad == []:
                bad = ["K1-0000"]
            request = self._on_base(overrides={member: bad})
        elif forgery == 11:
            request = self._on_base([os.urandom(32) for _ in range(10)])
        elif forgery == 12:
            request = self._on_base(overrides={"protocol": rng.choice(["custodian-unlock/0", "custodian-unlock/2", ""])})
        elif forgery == 13:
            request = self._on_base(overrides={"type": rng.choice(["status", "receipt", "Unlock"])})
        elif forgery == 14:
            return self._post(dumps({"protocol": PROTOCOL, "request": self._odd_header_token()}))
        else:
            request = self._on_base(overrides={"custodian": fingerprint_of(os.urandom(32))})
        return self._post(request.body)

    def _odd_header_token(self) -> str:
        """Right payload and a real signature, but a header the protocol does not allow."""
        rng = self.rng
        x = b64u_encode(raw_public_key(self.world.custodian))
        header = rng.choice([
            {"alg": "none", "typ": "custodian-unlock+jws", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": x}},
            {"alg": "HS256", "typ": "custodian-unlock+jws", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": x}},
            {"alg": "EdDSA", "typ": "custodian-status+jws", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": x}},
            {"alg": "EdDSA", "typ": "custodian-unlock+jws", "jwk": {"kty": "OKP", "crv": "X25519", "x": x}},
            {"alg": "EdDSA", "typ": "custodian-unlock+jws", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": x, "d": x}},
            {"alg": "EdDSA", "typ": "custodian-unlock+jws", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": x}, "crit": ["b64"]},
            {"alg": "EdDSA", "typ": "custodian-unlock+jws", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": x + "A"}},
            {"alg": "EdDSA", "typ": "custodian-unlock+jws"},
        ])
        signing_input = f"{b64u_encode(dumps(header))}.{self.base.token.split('.')[1]}"
        return f"{signing_input}.{b64u_encode(self.world.custodian.sign(signing_input.encode()))}"

    def unknown_custodian(self) -> Request:
        return self._post(self._on_base(signer=self.world.stranger).body)

    def oversized(self) -> Request:
        size = self.rng.choice([MAX_BODY_BYTES + 1, MAX_BODY_BYTES + 2, 20000, 65536, 1_000_000])
        filler = self.base.body + b" " * size
        return self._post(filler[:size])

    def replayed(self) -> Request:
        choice = self.rng.randrange(3)
        if choice == 0:
            return self._post(self.recorded.body)  # from an earlier boot
        if choice == 1 or not self.consumed:
            refused = self.world.request([self.world.current, self.attacker_key])  # consumes its challenge when refused
            self.consumed.append(refused)
            return self._post(refused.body)
        return self._post(self.rng.choice(self.consumed).body)  # a used challenge

    def other_endpoint(self) -> Request:
        """A valid unlock request, or garbage, sent to the lock and statements endpoints."""
        body = self.rng.choice([self.base.body, self.recorded.body, json.dumps(_random_json(self.rng)).encode()])
        return ("POST", self.rng.choice(["/custodian/lock", "/custodian/custodians"]), "application/json", body)

    def odd_http(self) -> Request:
        rng = self.rng
        choice = rng.randrange(5)
        if choice == 0:
            return (rng.choice(["GET", "PUT", "DELETE", "PATCH"]), "/custodian/unlock", "application/json", self.base.body)
        if choice == 1:
            return ("POST", rng.choice(["/custodian/status", "/custodian/unlock/", "/custodian//unlock", "/CUSTODIAN/unlock", "/custodian/unlock%00", "/custodian"]), "application/json", self.base.body)
        if choice == 2:
            return ("POST", "/custodian/unlock", rng.choice([None, "", "text/plain", "application/jsonx", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json, text/plain"]), self.base.body)
        if choice == 3:
            return ("POST", "/custodian/unlock", "application/json", rng.choice([b"[" * 8000, b"{\"a\":" * 4000, b"1" * 16000, b"NaN", b'{"protocol":"custodian-unlock/1","protocol":"custodian-unlock/1","request":"a.b.c"}', b"\xef\xbb\xbf{}", "{}".encode("utf-16"), b"\xff\xfe\xfd"]))
        envelope = dict(self.base_envelope)
        while envelope == self.base_envelope:  # a random value can be the right one: that is no forgery
            envelope[rng.choice(["request", "protocol"])] = _random_json(rng)
        return self._post(json.dumps(envelope).encode())

    def kinds(self) -> list[tuple[str, Callable[[], Request]]]:
        return [
            ("random_bytes", self.random_bytes), ("random_json", self.random_json), ("mutated_valid", self.mutated_valid),
            ("mutated_token", self.mutated_token), ("forged_signed", self.forged_signed), ("unknown_custodian", self.unknown_custodian),
            ("oversized", self.oversized), ("replayed", self.replayed), ("odd_http", self.odd_http),
            ("forged_signed_2", self.forged_signed), ("other_endpoint", self.other_endpoint),
        ]


def _schedule(generator: Generator, count: int) -> Iterator[tuple[str, Request]]:
    kinds = generator.kinds()
    order = [kinds[i % len(kinds)][0] for i in range(count)]
    generator.rng.shuffle(order)
    lookup = dict(kinds)
    for name in order:
        yield name, lookup[name]()


class RemoteWorld:
    """The generator's view of a receiver running as a separate process: status over a kept-alive connection."""

    def __init__(self, url: str, identity: str, world: World) -> None:
        parsed = urlparse(url)
        self.connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=15)
        self.identity = identity
        self.custodian, self.stranger = world.custodian, world.stranger
        self.current, self.previous = world.current, world.previous

    def status(self) -> dict[str, Any]:
        self.connection.request("GET", "/custodian/status")
        return verify_status(self.connection.getresponse().read(), self.identity, "app-1")

    def request(self, keys: list[bytes] | None = None, **options: Any) -> PreparedRequest:
        return build_unlock(self.status(), options.pop("signer", self.custodian), keys if keys is not None else [self.current, self.previous], **options)

    def send(self, request: Request) -> tuple[int, Any]:
        method, path, content_type, body = request
        if len(body) > 65536:
            return self._send_unwanted_body(request)
        self.connection.request(method, path, body=body, headers={"Content-Type": content_type} if content_type is not None else {})
        answer = self.connection.getresponse()
        data = answer.read()
        try:
            return answer.status, json.loads(data)
        except ValueError:
            return answer.status, None


    def _send_unwanted_body(self, request: Request) -> tuple[int, Any]:
        """A body larger than the socket buffers: the server answers 413 and closes while it is still being
        sent, which http.client cannot read. A raw socket sends what it can and reads the answer."""
        method, path, content_type, body = request
        head = f"{method} {path} HTTP/1.1\r\nHost: receiver\r\nContent-Length: {len(body)}\r\n"
        head += f"Content-Type: {content_type}\r\n" if content_type is not None else ""
        answer = _raw(self.connection.port, head.encode() + b"\r\n" + body)
        status_line, _, rest = answer.partition(b"\r\n")
        try:
            return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])
        except (IndexError, ValueError):
            return 0, None


def _flood(generator: Generator, count: int, send: Callable[[Request], tuple[int, Any]], still_locked: Callable[[], bool],
           label: str, codes: Counter[str]) -> int:
    sent = 0
    for name, request in _schedule(generator, count):
        status_code, payload = send(request)
        sent += 1
        context = f"seed {SEED}, {label} request {sent} ({name})"
        assert status_code < 500 and status_code != 200, context
        if payload is None:
            # Flask's own routing answered (unknown path, or a slash redirect): the receiver never saw it.
            assert label == "flask" and status_code in (308, 404, 405), context
            codes[f"flask-{status_code}"] += 1
            continue
        code = error_of(payload)
        assert code in REFUSAL_CODES, f"{context}: {code}"
        codes[code] += 1
        if sent % 250 == 0:
            assert still_locked(), context
    assert still_locked()
    return sent


DEEP_CODES = ("BAD_REQUEST", "BAD_SIGNATURE", "UNKNOWN_CUSTODIAN", "WRONG_SERVER", "WRONG_BOOT", "UNKNOWN_CHALLENGE",
              "DECRYPT_FAILED", "BAD_PAYLOAD", "KEY_CHECK_FAILED", "BODY_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE",
              "METHOD_NOT_ALLOWED", "UNSUPPORTED_PROTOCOL", "WRONG_MESSAGE_TYPE", "NOT_FOUND", "KEY_ORDER_REFUSED",
              "STATEMENTS_DISABLED")


def _flask_flood(codes: Counter[str]) -> int:
    """Part 1: through Flask's test client, against a receiver in this process."""
    rng = random.Random(SEED)
    world = make_world()
    app = Flask("hostile")
    init_app(app, world.receiver)
    client = app.test_client()
    recorded = world.request()
    assert world.send(recorded)[0] == 200
    world.receiver.lock()  # recorded is now a request from an earlier boot

    def via_flask(request: Request) -> tuple[int, Any]:
        method, path, content_type, body = request
        response = client.open(path, method=method, data=body, **({"content_type": content_type} if content_type is not None else {}))
        return response.status_code, response.get_json(silent=True)

    def still_locked() -> bool:
        status = verify_status(client.get("/custodian/status").data, world.receiver.identity, "app-1")
        return status["state"] == "locked" and world.receiver.state == "locked"

    sent = _flood(Generator(world, rng, recorded), FLASK_REQUESTS, via_flask, still_locked, "flask", codes)
    assert client.post("/custodian/unlock", data=world.request().body, content_type="application/json").status_code == 200
    return sent


def _http_flood(tmp_path: Path, codes: Counter[str]) -> int:
    """Part 2: over HTTP, against the demo server as a real process, restarted once so a recorded request
    is stale; afterwards the process must still work, stop cleanly and have written nothing to stderr."""
    rng = random.Random(SEED + 2)
    keys = make_world()
    (tmp_path / "custodians").write_text(f"{fingerprint(keys.custodian)} alice\n")
    arguments = ("--server-id", "app-1", "--key-check", key_id(keys.current), "--key-check", key_id(keys.previous))
    env = child_env(tmp_path)
    first = demo_server(tmp_path, *arguments, env=env)
    try:
        start = first.next_json()
        remote = RemoteWorld(start["url"], start["identity"], keys)
        recorded = remote.request()
        assert remote.send(("POST", "/custodian/unlock", "application/json", recorded.body))[0] == 200
        remote.connection.close()
    finally:
        assert first.stop() == 0
    server = demo_server(tmp_path, *arguments, env=env)
    try:
        start = server.next_json()
        remote = RemoteWorld(start["url"], start["identity"], keys)
        sent = _flood(Generator(remote, rng, recorded), HTTP_REQUESTS, remote.send, lambda: remote.status()["state"] == "locked", "http", codes)
        final = remote.request()
        assert remote.send(("POST", "/custodian/unlock", "application/json", final.body))[0] == 200
        assert remote.status()["state"] == "unlocked"
        remote.connection.close()
    finally:
        assert server.stop() == 0  # it was alive until now and stops cleanly
    assert server.stderr == b"", server.stderr.decode(errors="replace")[:2000]  # no traceback, no warning
    events = [json.loads(line) for line in server.stdout[1:]]
    assert all(event["event"] in ("unlock", "lock", "statement") for event in events)
    assert [event["ok"] for event in events].count(True) == 1 and events[-1]["ok"] is True
    return sent


def test_ten_thousand_hostile_requests_are_all_refused_and_the_receivers_survive(tmp_path: Path) -> None:
    flask_codes: Counter[str] = Counter()
    http_codes: Counter[str] = Counter()
    # The two parts run side by side: the HTTP part mostly waits on the server process.
    with ThreadPoolExecutor(max_workers=1) as pool:
        flask_part = pool.submit(_flask_flood, flask_codes)
        http_sent = _http_flood(tmp_path, http_codes)
        flask_sent = flask_part.result()
    assert flask_sent + http_sent >= 10_000
    for code in DEEP_CODES:  # the run must have reached the deep checks, not just the parser
        assert http_codes[code] > 0, f"{code}: http {dict(http_codes)}"
        assert code == "NOT_FOUND" or flask_codes[code] > 0, f"{code}: flask {dict(flask_codes)}"
    assert flask_codes["flask-404"] > 0  # unknown paths reached Flask's own routing (not the receiver)


def _raw(port: int, data: bytes, half_close: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=15) as connection:
        try:
            connection.sendall(data)
            if half_close:
                connection.shutdown(socket.SHUT_WR)  # the server sees the end instead of waiting for more
        except OSError:
            pass
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


def _malformed_http(rng: random.Random, valid_body: bytes) -> bytes:
    choice = rng.randrange(12)
    post = b"POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    if choice == 0:
        return rng.randbytes(rng.randrange(1, 2000))
    if choice == 1:
        return b"GARBAGE\r\n\r\n"
    if choice == 2:
        return b"GET /custodian/status HTTP/9.9\r\n\r\n"
    if choice == 3:
        return b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n"
    if choice == 4:
        return b"GET /custodian/status HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(150)) + b"\r\n"
    if choice == 5:
        return post + b"Content-Length: " + rng.choice([b"-1", b"abc", b"1e3", b"99999999999999999999", b"+5", b" "]) + b"\r\n\r\n" + valid_body
    if choice == 6:
        return post + b"Content-Length: %d\r\n\r\n" % (len(valid_body) + rng.randrange(1, 100)) + valid_body  # body shorter than declared
    if choice == 7:
        return post + b"Transfer-Encoding: chunked\r\n\r\n" + rng.choice([b"zz\r\n", b"ffffffffff\r\n", b"5\r\nabc", b"3\r\nabcXX", b"0x10\r\n", b"-1\r\n"])
    if choice == 8:
        return post + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{}{}{\r\n0\r\n\r\n"
    if choice == 9:
        return post + b"Content-Length: %d\r\n\r\n" % len(valid_body) + valid_body + b"GET /custodian/status HTTP/1.1\r\n\r\n"
    if choice == 10:
        return post + b"Content-Length: 10\r\n\r\n" + rng.randbytes(10)
    return post + b"Content-Length: 20000\r\n\r\n" + b"x" * 20000


def test_malformed_http_against_the_real_server_never_unlocks_or_kills_it() -> None:
    rng = random.Random(SEED + 1)
    world = make_world()
    server = ReceiverHttpServer(("127.0.0.1", 0), world.receiver)
    thread = server.serve_in_thread()
    try:
        # A request that really unlocked the previous boot: replayed inside every kind of broken HTTP.
        recorded = world.request()
        assert world.send(recorded)[0] == 200
        world.receiver.lock()
        valid_body = recorded.body
        statuses: Counter[bytes] = Counter()
        for index in range(1500):
            answer = _raw(server.port, _malformed_http(rng, valid_body))
            status_line = answer.split(b"\r\n", 1)[0]
            statuses[status_line[:12]] += 1
            assert b" 200 " not in status_line or b'"receipt"' not in answer, f"seed {SEED + 1}, request {index}"
            assert not status_line.startswith(b"HTTP/1.1 5") and not status_line.startswith(b"HTTP/1.0 5"), f"request {index}: {status_line!r}"
            assert world.receiver.state == "locked"
        assert thread.is_alive()
        assert b"HTTP/1.1 413" in statuses and b"HTTP/1.1 400" in statuses, statuses
        answer = _raw(server.port, b"GET /custodian/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        body = answer.split(b"\r\n\r\n", 1)[1]
        assert verify_status(body, world.receiver.identity, "app-1")["state"] == "locked"
    finally:
        server.shutdown()
        server.server_close()


def test_idle_connections_beyond_the_limit_are_closed_and_the_server_recovers() -> None:
    world = make_world()

    class SmallServer(ReceiverHttpServer):
        max_connections = 4

    server = SmallServer(("127.0.0.1", 0), world.receiver)
    server.serve_in_thread()
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(4)]
    try:
        for connection in idle:
            connection.sendall(b"GET /custodian/status HTTP/1.1\r\n")  # a request that never ends
        extra = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        try:
            extra.sendall(b"GET /custodian/status HTTP/1.1\r\nHost: x\r\n\r\n")
            assert extra.recv(100) == b""  # closed without an answer: no thread for it
        except ConnectionResetError:
            pass
        finally:
            extra.close()
    finally:
        for connection in idle:
            connection.close()
    # Once the idle clients are gone, the slots are free again.
    for _ in range(50):
        answer = _raw(server.port, b"GET /custodian/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        if answer.startswith(b"HTTP/1.1 200"):
            break
        time.sleep(0.1)  # the handler threads notice the closed connections
    assert answer.startswith(b"HTTP/1.1 200")
    server.shutdown()
    server.server_close()
