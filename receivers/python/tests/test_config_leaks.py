"""A configuration error never quotes what the operator typed: the Fernet key pasted as ``--key-check`` (or as
any other value) would otherwise land in a terminal, a log or a CI transcript. A refused start also leaves no
new identity key file behind. Checked on the real ``python -m custodian_receiver`` process and on the library."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from custodian_receiver import ConfigError, Receiver, key_id
from helpers import fingerprint
from processes import child_env

KEY_TEXT = base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")
CUSTODIAN = fingerprint(Ed25519PrivateKey.generate())
VALID_CHECK = key_id(os.urandom(32))


def assert_no_key_in(text: str) -> None:
    """Neither the key nor any 8-character piece of it."""
    for start in range(len(KEY_TEXT) - 7):
        piece = KEY_TEXT[start : start + 8]
        assert piece not in text, f"output quotes part of the key: {text!r}"


@pytest.fixture
def custodians(tmp_path: Path) -> Path:
    path = tmp_path / "custodians"
    path.write_text(f"{CUSTODIAN} alice\n")
    return path


def run_demo(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "custodian_receiver", "--port", "0", *arguments],
        capture_output=True, text=True, timeout=30, env=child_env(tmp_path),
    )


def test_the_key_as_key_check_is_refused_unquoted_and_no_identity_file_is_created(tmp_path: Path, custodians: Path) -> None:
    identity = tmp_path / "id.key"
    result = run_demo(tmp_path, "--identity-key", str(identity), "--authorized-custodians", str(custodians), "--key-check", KEY_TEXT)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error [INVALID_CONFIG]: a --key-check value is not a key id (K1-XXXX-XXXX-XXXX-XXXX); "
        "if you passed the key itself, treat it as exposed and rotate it\n"
    )
    assert_no_key_in(result.stderr + result.stdout)
    assert not identity.exists(), "a refused start left an identity key file behind"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--key-check", VALID_CHECK, "--key-check", KEY_TEXT], "error [INVALID_CONFIG]: a --key-check value is not a key id"),
        (["--key-check", VALID_CHECK, "--server-id", KEY_TEXT], "error [INVALID_CONFIG]: the server id must be"),
        (["--key-check", VALID_CHECK, KEY_TEXT], "error [USAGE]: unrecognized arguments"),
        (["--key-check", VALID_CHECK, "--bogus", KEY_TEXT], "error [USAGE]: unrecognized arguments"),
        (["--key-check", VALID_CHECK, f"--bogus={KEY_TEXT}"], "error [USAGE]: unrecognized arguments"),
        (["--key-check", VALID_CHECK, f"--help={KEY_TEXT}"], "error [USAGE]: argument -h/--help: ignored explicit argument"),
    ],
)
def test_the_key_anywhere_on_the_command_line_is_never_printed(
    tmp_path: Path, custodians: Path, arguments: list[str], expected: str
) -> None:
    identity = tmp_path / "id.key"
    result = run_demo(tmp_path, "--identity-key", str(identity), "--authorized-custodians", str(custodians), *arguments)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(expected)
    assert_no_key_in(result.stderr + result.stdout)
    assert not identity.exists(), "a refused start left an identity key file behind"


def test_a_bad_custodians_line_is_named_by_number_only(tmp_path: Path) -> None:
    identity = tmp_path / "id.key"
    bad = tmp_path / "bad-custodians"
    bad.write_text(f"# custodians\n{CUSTODIAN} alice\n{KEY_TEXT}\n")
    result = run_demo(tmp_path, "--identity-key", str(identity), "--authorized-custodians", str(bad), "--key-check", VALID_CHECK)
    assert result.returncode == 2
    assert "error [INVALID_CONFIG]: authorized-custodians line 3 does not start with an ed25519: fingerprint" in result.stderr
    assert_no_key_in(result.stderr + result.stdout)
    assert not identity.exists(), "a refused start left an identity key file behind"


def test_an_identity_file_holding_something_else_is_not_quoted(tmp_path: Path, custodians: Path) -> None:
    identity = tmp_path / "id.key"
    identity.write_text(KEY_TEXT + "\n")
    identity.chmod(0o600)
    result = run_demo(tmp_path, "--identity-key", str(identity), "--authorized-custodians", str(custodians), "--key-check", VALID_CHECK)
    assert result.returncode == 2
    assert "is not an Ed25519 private key in PKCS#8 PEM" in result.stderr
    assert_no_key_in(result.stderr + result.stdout)


def _config_error_text(raised: pytest.ExceptionInfo[ConfigError]) -> str:
    return "".join(traceback.format_exception(raised.value)) + raised.value.message + str(raised.value)


@pytest.mark.parametrize(
    "options",
    [
        {"key_checks": [KEY_TEXT]},
        {"key_checks": [VALID_CHECK, KEY_TEXT]},
        {"server_id": KEY_TEXT},
        {"authorized_custodians": [KEY_TEXT]},
        {"authorized_custodians": f"{KEY_TEXT} alice\n"},
    ],
)
def test_the_receiver_constructor_never_quotes_a_bad_value(options: dict[str, object]) -> None:
    arguments: dict[str, object] = {
        "server_id": "app-1",
        "identity_key": Ed25519PrivateKey.generate(),
        "authorized_custodians": [CUSTODIAN],
        "key_checks": [VALID_CHECK],
        **options,
    }
    with pytest.raises(ConfigError) as raised:
        Receiver(**arguments)  # type: ignore[arg-type]
    assert raised.value.code == "INVALID_CONFIG"
    assert_no_key_in(_config_error_text(raised))


def test_from_files_checks_everything_before_creating_the_identity_key(tmp_path: Path, custodians: Path) -> None:
    identity = tmp_path / "id.key"
    for options in ({"key_checks": [KEY_TEXT], "server_id": "app-1"}, {"key_checks": [VALID_CHECK], "server_id": "bad id"},
                    {"key_checks": [], "server_id": "app-1"}):
        with pytest.raises(ConfigError) as raised:
            Receiver.from_files(identity_key_file=identity, authorized_custodians_file=custodians, **options)  # type: ignore[arg-type]
        assert_no_key_in(_config_error_text(raised))
        assert not identity.exists(), f"a refused configuration ({options}) left an identity key file behind"
    receiver = Receiver.from_files(identity_key_file=identity, authorized_custodians_file=custodians,
                                   key_checks=[VALID_CHECK], server_id="app-1")
    assert identity.exists()
    assert receiver.state == "locked"


@pytest.mark.parametrize("flag", ["--custodian-statements", "--identity-handovers"])
def test_a_statements_or_handovers_line_holding_something_else_is_named_by_number_only(tmp_path: Path, custodians: Path, flag: str) -> None:
    lines = tmp_path / "lines"
    lines.write_text(f"\n{KEY_TEXT}\n")
    lines.chmod(0o600)
    result = run_demo(tmp_path, "--identity-key", str(tmp_path / "id.key"), "--authorized-custodians", str(custodians),
                      "--key-check", VALID_CHECK, flag, str(lines))
    assert result.returncode == 2
    assert "line 2 " in result.stderr
    assert_no_key_in(result.stderr + result.stdout)
    assert not (tmp_path / "id.key").exists(), "a refused start left an identity key file behind"


def test_rotate_identity_never_quotes_a_bad_value(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "custodian_receiver", "rotate-identity", "--identity-key", str(tmp_path / "old"), "--new-identity-key",
         str(tmp_path / "new"), "--server-id", KEY_TEXT, f"--x={KEY_TEXT}"],
        capture_output=True, text=True, timeout=30, env=child_env(tmp_path),
    )
    assert result.returncode == 2 and result.stderr.startswith("error [USAGE]: ")
    assert_no_key_in(result.stderr + result.stdout)
