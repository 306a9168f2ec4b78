"""The receiver identity key (issue 10 §5 bullet 3, protocol §12.6), on the real ``python -m custodian_receiver``:
loaded from a systemd credential without ever being created or written, rotated with a hand-over signed by the
old key, and the hand-over chain served at ``GET {base}/identity``."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from custodian_client import verify_status
from custodian_receiver import key_id, load_or_create_identity_key
from custodian_receiver.identity_handover import parse_receiver_handover
from helpers import fingerprint
from processes import Child, child_env

KEY_CHECK = key_id(bytes(range(32)))


def _run(tmp: Path, *arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "custodian_receiver", *arguments], capture_output=True, text=True, timeout=30,
                          env=env or child_env(tmp))


def _custodians(tmp: Path) -> Path:
    path = tmp / "custodians"
    path.write_text(f"{fingerprint(Ed25519PrivateKey.generate())} alice\n")
    return path


def _start(tmp: Path, *arguments: str, env: dict[str, str] | None = None) -> tuple[Child, dict[str, Any]]:
    child = Child([sys.executable, "-m", "custodian_receiver", "--port", "0", "--authorized-custodians", str(_custodians(tmp)),
                   "--key-check", KEY_CHECK, "--server-id", "app-1", *arguments], env=env or child_env(tmp))
    return child, child.next_json()


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _credential_directory(tmp: Path) -> tuple[Path, Ed25519PrivateKey]:
    """What systemd gives a service for LoadCredentialEncrypted=receiver-identity:...: a private directory with the
    decrypted credential, mode 0400 (the decryption itself needs systemd and a TPM or host key, not available in
    the test environment)."""
    directory = tmp / "credentials"
    directory.mkdir(mode=0o700)
    key = Ed25519PrivateKey.generate()
    path = directory / "receiver-identity"
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    path.chmod(0o400)
    return directory, key


def test_the_identity_key_credential_is_read_from_the_credentials_directory_and_never_written(tmp_path: Path) -> None:
    directory, key = _credential_directory(tmp_path)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.iterdir()}
    env = {**child_env(tmp_path), "CREDENTIALS_DIRECTORY": str(directory)}
    child, start = _start(tmp_path, "--identity-key-credential", "receiver-identity", env=env)
    try:
        assert start["identity"] == fingerprint(key)
        body = _get(start["url"] + "/status")
        assert verify_status(json.dumps(body), fingerprint(key), "app-1")["state"] == "locked"
    finally:
        assert child.stop() == 0
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.iterdir()} == before
    assert not list(tmp_path.glob("*.key")) and not (tmp_path / "receiver-identity").exists()


@pytest.mark.parametrize(
    ("arguments", "environment", "code", "message"),
    [
        (["--identity-key-credential", "receiver-identity"], {}, "INVALID_CONFIG", "needs $CREDENTIALS_DIRECTORY"),
        (["--identity-key-credential", "other-name"], {"CREDENTIALS_DIRECTORY": "{dir}"}, "INVALID_CONFIG", "is missing from $CREDENTIALS_DIRECTORY"),
        (["--identity-key-credential", "../receiver-identity"], {"CREDENTIALS_DIRECTORY": "{dir}"}, "INVALID_CONFIG", "a plain credential name"),
        (["--identity-key-credential", "receiver-identity", "--identity-key", "{tmp}/k"], {"CREDENTIALS_DIRECTORY": "{dir}"}, "USAGE", "not both"),
    ],
)
def test_a_missing_or_wrong_credential_is_a_clear_error_and_nothing_is_created(
    tmp_path: Path, arguments: list[str], environment: dict[str, str], code: str, message: str
) -> None:
    directory, _key = _credential_directory(tmp_path)
    env = {k: v for k, v in child_env(tmp_path).items() if k != "CREDENTIALS_DIRECTORY"}
    env.update({k: v.format(dir=directory) for k, v in environment.items()})
    before = sorted(p.name for p in directory.iterdir())
    result = _run(tmp_path, "--port", "0", "--authorized-custodians", str(_custodians(tmp_path)), "--key-check", KEY_CHECK,
                  *[a.format(tmp=tmp_path) for a in arguments], env=env)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error [{code}]: ") and message in result.stderr
    assert sorted(p.name for p in directory.iterdir()) == before
    assert not (tmp_path / "k").exists()


def test_rotate_identity_creates_the_new_key_and_prints_a_handover_signed_by_the_old_one(tmp_path: Path) -> None:
    old_key, _ = load_or_create_identity_key(tmp_path / "old.key")
    result = _run(tmp_path, "rotate-identity", "--identity-key", str(tmp_path / "old.key"), "--new-identity-key", str(tmp_path / "new.key"),
                  "--server-id", "app-1")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout.count("\n") == 1
    new_key, created = load_or_create_identity_key(tmp_path / "new.key")
    assert not created and (tmp_path / "new.key").stat().st_mode & 0o777 == 0o600
    handover = parse_receiver_handover(result.stdout.strip())
    assert (handover.server_id, handover.old_identity, handover.new_identity) == ("app-1", fingerprint(old_key), fingerprint(new_key))
    # Run again: the existing NEW key is kept, never overwritten.
    again = _run(tmp_path, "rotate-identity", "--identity-key", str(tmp_path / "old.key"), "--new-identity-key", str(tmp_path / "new.key"),
                 "--server-id", "app-1")
    assert parse_receiver_handover(again.stdout.strip()).new_identity == fingerprint(new_key)

    # The receiver started with NEW and the hand-over file serves the chain and signs with NEW.
    (tmp_path / "handovers").write_text(result.stdout)
    child, start = _start(tmp_path, "--identity-key", str(tmp_path / "new.key"), "--identity-handovers", str(tmp_path / "handovers"))
    try:
        assert start["identity"] == fingerprint(new_key)
        assert _get(start["url"] + "/identity") == {"protocol": "custodian-unlock/1", "handovers": [result.stdout.strip()]}
        verify_status(json.dumps(_get(start["url"] + "/status")), fingerprint(new_key), "app-1")
    finally:
        assert child.stop() == 0
    # Still started with OLD, the same file does not lead to the key in use: refused, naming the problem.
    refused = _run(tmp_path, "--port", "0", "--authorized-custodians", str(_custodians(tmp_path)), "--key-check", KEY_CHECK, "--server-id", "app-1",
                   "--identity-key", str(tmp_path / "old.key"), "--identity-handovers", str(tmp_path / "handovers"))
    assert refused.returncode == 2 and "do not lead to this receiver's identity key" in refused.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--identity-key", "{tmp}/missing.key", "--new-identity-key", "{tmp}/new.key", "--server-id", "app-1"], "does not exist"),
        (["--identity-key", "{tmp}/old.key", "--new-identity-key", "{tmp}/old.key", "--server-id", "app-1"], "another file"),
        (["--identity-key", "{tmp}/old.key", "--new-identity-key", "{tmp}/new.key"], "--server-id ID are required"),
        (["--new-identity-key", "{tmp}/new.key", "--server-id", "app-1"], "exactly one of"),
        (["--identity-key", "{tmp}/old.key", "--new-identity-key", "{tmp}/new.key", "--server-id", "bad id"], "server id"),
    ],
)
def test_rotate_identity_refuses_bad_arguments_without_creating_the_new_key(tmp_path: Path, arguments: list[str], message: str) -> None:
    load_or_create_identity_key(tmp_path / "old.key")
    result = _run(tmp_path, "rotate-identity", *[a.format(tmp=tmp_path) for a in arguments])
    assert result.returncode == 2 and result.stdout == "" and message in result.stderr
    assert not (tmp_path / "new.key").exists()


def test_a_handovers_file_with_a_bad_line_stops_the_start_naming_the_line(tmp_path: Path) -> None:
    load_or_create_identity_key(tmp_path / "old.key")
    line = _run(tmp_path, "rotate-identity", "--identity-key", str(tmp_path / "old.key"), "--new-identity-key", str(tmp_path / "new.key"),
                "--server-id", "app-1").stdout
    (tmp_path / "handovers").write_text(line + "\nnot-a-jws\n")
    result = _run(tmp_path, "--port", "0", "--authorized-custodians", str(_custodians(tmp_path)), "--key-check", KEY_CHECK, "--server-id", "app-1",
                  "--identity-key", str(tmp_path / "new.key"), "--identity-handovers", str(tmp_path / "handovers"))
    assert result.returncode == 2 and "line 3 is not a valid receiver hand-over" in result.stderr  # blank line 2 skipped


def test_rotate_identity_can_sign_with_the_identity_key_credential(tmp_path: Path) -> None:
    directory, old_key = _credential_directory(tmp_path)
    env = {**child_env(tmp_path), "CREDENTIALS_DIRECTORY": str(directory)}
    result = _run(tmp_path, "rotate-identity", "--identity-key-credential", "receiver-identity", "--new-identity-key", str(tmp_path / "new.key"),
                  "--server-id", "app-1", env=env)
    assert result.returncode == 0, result.stderr
    new_key, _ = load_or_create_identity_key(tmp_path / "new.key")
    handover = parse_receiver_handover(result.stdout.strip())
    assert (handover.old_identity, handover.new_identity) == (fingerprint(old_key), fingerprint(new_key))
