"""Identity key file and authorized-custodians file: created safely, refused clearly when wrong."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from custodian_receiver import ConfigError, Receiver, load_or_create_identity_key, parse_authorized_custodians
from helpers import fingerprint

CUSTODIAN = fingerprint(Ed25519PrivateKey.generate())
KEY_CHECK = "K1-8KE1-QDS4-9W1J-7TKF"


def test_a_missing_identity_key_is_created_0600_even_with_a_permissive_umask(tmp_path: Path) -> None:
    path = tmp_path / "receiver.key"
    old = os.umask(0)
    try:
        key, created = load_or_create_identity_key(path)
    finally:
        os.umask(old)
    assert created
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    again, created_again = load_or_create_identity_key(path)
    assert not created_again
    assert again.public_key().public_bytes_raw() == key.public_key().public_bytes_raw()


def test_an_identity_key_readable_by_others_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "receiver.key"
    load_or_create_identity_key(path)
    path.chmod(0o644)
    with pytest.raises(ConfigError) as raised:
        load_or_create_identity_key(path)
    assert raised.value.code == "INSECURE_FILE"
    assert f"chmod 600 {path}" in raised.value.message


@pytest.mark.parametrize(
    "content",
    [b"", b"not a pem", X25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())],
    ids=["empty", "garbage", "x25519-key"],
)
def test_an_identity_key_that_is_not_ed25519_pkcs8_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "receiver.key"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(ConfigError) as raised:
        load_or_create_identity_key(path)
    assert raised.value.code == "INVALID_CONFIG"
    assert "not an Ed25519 private key in PKCS#8 PEM" in raised.value.message


def test_an_identity_key_in_a_missing_directory_cannot_be_created(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_or_create_identity_key(tmp_path / "no" / "such" / "dir" / "receiver.key")
    assert raised.value.code == "INVALID_CONFIG"


def test_authorized_custodians_ignores_comments_and_blank_lines_and_keeps_names() -> None:
    other = fingerprint(Ed25519PrivateKey.generate())
    entries = parse_authorized_custodians(f"# officers\n\n  {CUSTODIAN}   alice (security officer)\r\n{other}\n   # indented comment\n")
    assert [(e.fingerprint, e.name) for e in entries] == [(CUSTODIAN, "alice (security officer)"), (other, "")]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (f"{CUSTODIAN}\nnot-a-fingerprint bob\n", 2),
        (f"# c\n\ned25519:{'A' * 42}\n", 3),
        (f"ED25519:{CUSTODIAN[8:]}\n", 1),
        (f"{CUSTODIAN}x alice\n", 1),
    ],
)
def test_a_bad_custodian_line_is_refused_naming_its_line(text: str, line: int) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_authorized_custodians(text)
    assert raised.value.code == "INVALID_CONFIG"
    assert f"line {line} " in raised.value.message


@pytest.mark.parametrize("text", ["", "# only a comment\n\n"])
def test_a_custodians_file_without_custodians_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="lists no custodian"):
        parse_authorized_custodians(text)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"server_id": "-bad"}, "server id"),
        ({"server_id": "x" * 65}, "server id"),
        ({"key_checks": []}, "at least one key check"),
        ({"key_checks": ["K1-0000"]}, "not a key id"),
        ({"identity_key": X25519PrivateKey.generate()}, "Ed25519"),
    ],
)
def test_receiver_options_are_validated(options: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "server_id": "app-1",
        "identity_key": Ed25519PrivateKey.generate(),
        "authorized_custodians": [CUSTODIAN],
        "key_checks": [KEY_CHECK],
        **options,
    }
    with pytest.raises(ConfigError, match=message):
        Receiver(**arguments)  # type: ignore[arg-type]


def test_from_files_reads_both_files(tmp_path: Path) -> None:
    (tmp_path / "custodians").write_text(f"{CUSTODIAN} alice\n")
    receiver = Receiver.from_files(identity_key_file=tmp_path / "id.pem", authorized_custodians_file=tmp_path / "custodians",
                                   key_checks=[KEY_CHECK, KEY_CHECK], server_id="app-1")
    assert receiver.key_checks == (KEY_CHECK,)
    assert receiver.state == "locked"
    with pytest.raises(ConfigError, match="cannot read the authorized-custodians file"):
        Receiver.from_files(identity_key_file=tmp_path / "id.pem", authorized_custodians_file=tmp_path / "missing",
                            key_checks=[KEY_CHECK], server_id="app-1")
