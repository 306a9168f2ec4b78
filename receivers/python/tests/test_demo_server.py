"""``python -m custodian_receiver`` as a real process on loopback: flags, start line, unlock over HTTP, restart,
TLS, body limits, and no key in anything the process writes."""

from __future__ import annotations

import datetime
import json
import os
import socket
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from custodian_client import build_unlock, verify_receipt, verify_status
from custodian_receiver import key_id, load_or_create_identity_key
from custodian_receiver.jws import raw_public_key
from custodian_receiver.wire import fingerprint_of
from helpers import fingerprint, key_forms
from processes import Child, child_env, demo_server


def http(url: str, body: bytes | None = None, content_type: str = "application/json", method: str | None = None,
         context: ssl.SSLContext | None = None) -> tuple[int, dict[str, Any], Any]:
    request = urllib.request.Request(url, data=body, method=method or ("POST" if body is not None else "GET"))
    if body is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


class Setup:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.custodian = Ed25519PrivateKey.generate()
        self.current, self.previous = os.urandom(32), os.urandom(32)
        (tmp / "custodians").write_text(f"# test custodians\n{fingerprint(self.custodian)} alice\n")
        self.env = child_env(tmp)

    def start(self, *extra: str) -> tuple[Child, dict[str, Any]]:
        child = demo_server(self.tmp, "--key-check", key_id(self.current), "--key-check", key_id(self.previous),
                            "--server-id", "app-1", *extra, env=self.env)
        return child, child.next_json()


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


def scan_for_keys(setup: Setup, texts: list[bytes]) -> None:
    """No file under the receiver's directory (identity, custodians, its TMPDIR) and no output holds a key."""
    blobs = list(texts)
    for path in setup.tmp.rglob("*"):
        if path.is_file():
            blobs.append(path.read_bytes())
    assert len(blobs) >= 4
    for raw in (setup.current, setup.previous):
        for form in key_forms(raw):
            for blob in blobs:
                assert form not in blob


def test_start_line_status_unlock_receipt_and_no_key_anywhere(setup: Setup) -> None:
    child, start = setup.start()
    try:
        assert set(start) == {"event", "protocol", "url", "identity", "server_id", "boot_id", "pid"}
        assert start["event"] == "listening" and start["protocol"] == "custodian-unlock/1"
        assert start["pid"] == child.process.pid and start["server_id"] == "app-1"
        url = urlparse(start["url"])
        assert url.scheme == "http" and url.hostname == "127.0.0.1" and url.path == "/custodian"
        identity_key, created = load_or_create_identity_key(setup.tmp / "receiver.key")
        assert not created and start["identity"] == fingerprint_of(raw_public_key(identity_key))
        assert (setup.tmp / "receiver.key").stat().st_mode & 0o777 == 0o600

        code, body, headers = http(start["url"] + "/status")
        assert code == 200 and headers["Cache-Control"] == "no-store"
        status = verify_status(json.dumps(body), start["identity"], "app-1")
        assert status["state"] == "locked" and status["boot_id"] == start["boot_id"]

        wrong = build_unlock(status, setup.custodian, [setup.current, os.urandom(32)])
        code, body, _ = http(start["url"] + "/unlock", wrong.body)
        assert (code, body["error"]["code"]) == (422, "KEY_CHECK_FAILED")
        assert child.next_json() == {"event": "unlock", "ok": False, "error": "KEY_CHECK_FAILED"}

        _, body, _ = http(start["url"] + "/status")
        request = build_unlock(verify_status(json.dumps(body), start["identity"], "app-1"), setup.custodian, [setup.current, setup.previous])
        code, body, _ = http(start["url"] + "/unlock", request.body, content_type="application/json; charset=utf-8")
        assert code == 200
        receipt = verify_receipt(json.dumps(body), start["identity"], request)
        assert receipt["key_ids"] == [key_id(setup.current), key_id(setup.previous)]
        assert child.next_json() == {"event": "unlock", "ok": True, "key_ids": receipt["key_ids"], "custodian": fingerprint(setup.custodian)}

        code, body, _ = http(start["url"] + "/unlock", request.body)
        assert (code, body["error"]["code"]) == (409, "ALREADY_UNLOCKED")
        _, body, _ = http(start["url"] + "/status")
        assert verify_status(json.dumps(body), start["identity"], "app-1")["state"] == "unlocked"
    finally:
        assert child.stop() == 0
    scan_for_keys(setup, ["\n".join(child.stdout).encode(), child.stderr])


def test_restart_comes_back_locked_with_the_same_identity_and_old_requests_fail(setup: Setup) -> None:
    child, start = setup.start()
    try:
        _, body, _ = http(start["url"] + "/status")
        request = build_unlock(verify_status(json.dumps(body), start["identity"], "app-1"), setup.custodian, [setup.current])
        assert http(start["url"] + "/unlock", request.body)[0] == 200
    finally:
        assert child.stop() == 0
    child, again = setup.start()
    try:
        assert again["identity"] == start["identity"] and again["boot_id"] != start["boot_id"]
        _, body, _ = http(again["url"] + "/status")
        assert verify_status(json.dumps(body), again["identity"], "app-1")["state"] == "locked"
        code, body, _ = http(again["url"] + "/unlock", request.body)
        assert (code, body["error"]["code"]) == (409, "WRONG_BOOT")
        _, body, _ = http(again["url"] + "/status")
        assert verify_status(json.dumps(body), again["identity"], "app-1")["state"] == "locked"
    finally:
        assert child.stop() == 0


def test_routes_methods_and_media_types(setup: Setup) -> None:
    child, start = setup.start()
    try:
        base = start["url"]
        code, body, _ = http(base + "/nope")
        assert (code, body["error"]["code"]) == (404, "NOT_FOUND")
        code, body, headers = http(base + "/status", b"{}")
        assert (code, body["error"]["code"], headers["Allow"]) == (405, "METHOD_NOT_ALLOWED", "GET")
        code, body, headers = http(base + "/unlock")
        assert (code, body["error"]["code"], headers["Allow"]) == (405, "METHOD_NOT_ALLOWED", "POST")
        code, body, _ = http(base + "/unlock", b"{}", content_type="text/plain")
        assert (code, body["error"]["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
        code, body, _ = http(base + "/status?ignored=1")
        assert code == 200
    finally:
        child.stop()


def _raw_exchange(url: str, request: bytes, body_chunks: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    parsed = urlparse(url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as connection:
        connection.sendall(request)
        try:
            for chunk in body_chunks:
                connection.sendall(chunk)
        except OSError:
            pass  # the server may close as soon as it has refused the body
        data = b""
        while True:
            try:
                part = connection.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not part:
                break
            data += part
        return data


def test_a_body_declared_too_large_is_refused_without_reading_it(setup: Setup) -> None:
    child, start = setup.start()
    try:
        head = (b"POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000000000\r\n\r\n")
        answer = _raw_exchange(start["url"], head)  # no body is sent at all: the answer must not wait for it
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert b'"BODY_TOO_LARGE"' in answer and b"Connection: close" in answer
        assert child.next_json() == {"event": "unlock", "ok": False, "error": "BODY_TOO_LARGE"}
    finally:
        child.stop()


def test_a_chunked_body_that_grows_too_large_is_refused(setup: Setup) -> None:
    child, start = setup.start()
    try:
        head = b"POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        chunks = [b"1000\r\n" + b"a" * 4096 + b"\r\n" for _ in range(5)] + [b"0\r\n\r\n"]
        answer = _raw_exchange(start["url"], head, chunks)
        assert answer.startswith(b"HTTP/1.1 413 ") and b'"BODY_TOO_LARGE"' in answer
        small = b'{"protocol":"custodian-unlock/1","request":"a.b.c"}'
        answer = _raw_exchange(start["url"], head, [f"{len(small):x}\r\n".encode() + small + b"\r\n0\r\n\r\n"])
        assert answer.startswith(b"HTTP/1.1 400 ") and b'"BAD_REQUEST"' in answer
        code, _, _ = http(start["url"] + "/status")
        assert code == 200
    finally:
        child.stop()


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    import ipaddress

    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "tls.crt", tmp / "tls.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def test_tls_with_a_pinned_self_signed_certificate(setup: Setup) -> None:
    cert, key = _self_signed(setup.tmp)
    child, start = setup.start("--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert start["url"].startswith("https://127.0.0.1:")
        pinned = ssl.create_default_context(cafile=str(cert))
        code, body, _ = http(start["url"] + "/status", context=pinned)
        status = verify_status(json.dumps(body), start["identity"], "app-1")
        request = build_unlock(status, setup.custodian, [setup.current])
        assert http(start["url"] + "/unlock", request.body, context=pinned)[0] == 200
        with pytest.raises(urllib.error.URLError):
            http(start["url"] + "/status", context=ssl.create_default_context())  # not trusted without the pin
    finally:
        assert child.stop() == 0


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        ([], "USAGE", "--identity-key FILE is required"),
        (["--identity-key", "{tmp}/k"], "USAGE", "--authorized-custodians FILE is required"),
        (["--identity-key", "{tmp}/k", "--authorized-custodians", "{tmp}/custodians"], "USAGE", "--key-check"),
        (["--identity-key", "{tmp}/k", "--authorized-custodians", "{tmp}/custodians", "--key-check", "K1-0"], "INVALID_CONFIG", "not a key id"),
        (["--identity-key", "{tmp}/k", "--authorized-custodians", "{tmp}/missing", "--key-check", "K1-8KE1-QDS4-9W1J-7TKF"], "INVALID_CONFIG", "authorized-custodians"),
        (["--identity-key", "{tmp}/insecure", "--authorized-custodians", "{tmp}/custodians", "--key-check", "K1-8KE1-QDS4-9W1J-7TKF"], "INSECURE_FILE", "chmod 600"),
        (["--port", "70000"], "USAGE", "--port"),
        (["--bogus"], "USAGE", "unrecognized arguments"),
        (["--identity-key", "{tmp}/k", "--authorized-custodians", "{tmp}/custodians", "--key-check", "K1-8KE1-QDS4-9W1J-7TKF", "--tls-cert", "x"], "USAGE", "go together"),
        (["--identity-key", "{tmp}/k", "--authorized-custodians", "{tmp}/custodians", "--key-check", "K1-8KE1-QDS4-9W1J-7TKF", "--server-id", "bad id"], "INVALID_CONFIG", "server id"),
    ],
)
def test_configuration_errors_exit_2_with_a_clear_message(setup: Setup, arguments: list[str], code: str, message: str) -> None:
    load_or_create_identity_key(setup.tmp / "insecure")
    (setup.tmp / "insecure").chmod(0o640)
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "custodian_receiver", *[a.format(tmp=setup.tmp) for a in arguments]],
                            capture_output=True, timeout=30, env=setup.env)
    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr.decode().startswith(f"error [{code}]: ")
    assert message in result.stderr.decode()


def test_help_names_every_flag_and_an_example() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "custodian_receiver", "--help"], capture_output=True, timeout=30)
    assert result.returncode == 0
    for flag in ("--host", "--port", "--identity-key", "--authorized-custodians", "--key-check", "--server-id", "--tls-cert", "--tls-key", "--identity-key-credential", "--custodian-statements", "--identity-handovers", "--metrics", "--allow-older-current-key", "rotate-identity", "Examples:"):
        assert flag in result.stdout.decode()
