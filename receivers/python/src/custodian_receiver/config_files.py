"""The two files a receiver reads at start (protocol §2): its identity key and the authorized custodians."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, load_pem_private_key

from .errors import ConfigError
from .secret_memory import wipe
from .wire import is_fingerprint

_LINE = re.compile(r"(\S+)(?:\s+(.*))?")
_MAX_IDENTITY_FILE_BYTES = 64 * 1024


@dataclass(frozen=True)
class AuthorizedCustodian:
    fingerprint: str
    name: str


def parse_authorized_custodians(text: str) -> tuple[AuthorizedCustodian, ...]:
    """One fingerprint per line, then an optional name; blank lines and ``#`` comments are ignored; any other
    line is an error that names its line number. A file with no custodian is an error too."""
    custodians: list[AuthorizedCustodian] = []
    for number, raw in enumerate(re.split(r"\r?\n", text), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.fullmatch(line)
        if match is None or not is_fingerprint(match.group(1)):
            raise ConfigError("INVALID_CONFIG", f"authorized-custodians line {number} does not start with an ed25519: fingerprint")
        custodians.append(AuthorizedCustodian(match.group(1), (match.group(2) or "").strip()))
    if not custodians:
        raise ConfigError("INVALID_CONFIG", "the authorized-custodians file lists no custodian")
    return tuple(custodians)


def read_authorized_custodians(path: str | os.PathLike[str]) -> tuple[AuthorizedCustodian, ...]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise ConfigError("INVALID_CONFIG", f"cannot read the authorized-custodians file {os.fspath(path)}") from None
    return parse_authorized_custodians(text)


def load_or_create_identity_key(path: str | os.PathLike[str]) -> tuple[Ed25519PrivateKey, bool]:
    """The receiver's Ed25519 identity (PKCS#8 PEM), created with mode 0600 when the file does not exist.

    Returns ``(key, created)``. An existing file that group or others can read or write is refused, as ssh does
    with private keys: the identity is what the custodian pins, so a copy would let someone impersonate the
    receiver (it would still never see a data key, which is encrypted to the per-boot ephemeral key).
    """
    name = os.fspath(path)
    try:
        info = os.stat(name)
    except FileNotFoundError:
        return _create_identity_key(name), True
    except OSError:
        raise ConfigError("INVALID_CONFIG", f"cannot read the identity key file {name}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError("INVALID_CONFIG", f"the identity key file {name} is not a regular file")
    if info.st_mode & 0o077:
        raise ConfigError("INSECURE_FILE", f"the identity key file {name} is accessible by group or others; run: chmod 600 {name}")
    if info.st_size > _MAX_IDENTITY_FILE_BYTES:
        raise ConfigError("INVALID_CONFIG", f"the identity key file {name} is not an Ed25519 private key in PKCS#8 PEM")
    pem = bytearray(info.st_size)
    try:
        with open(name, "rb", buffering=0) as file:
            length = file.readinto(pem)
        del pem[length:]
        key = load_pem_private_key(pem, password=None)
    except OSError:
        raise ConfigError("INVALID_CONFIG", f"cannot read the identity key file {name}") from None
    except (ValueError, TypeError):
        raise ConfigError("INVALID_CONFIG", f"the identity key file {name} is not an Ed25519 private key in PKCS#8 PEM") from None
    finally:
        wipe(pem)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError("INVALID_CONFIG", f"the identity key file {name} is not an Ed25519 private key in PKCS#8 PEM")
    return key, False


def _create_identity_key(name: str) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    try:
        descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError:
        raise ConfigError("INVALID_CONFIG", f"cannot create the identity key file {name}") from None
    try:
        os.fchmod(descriptor, 0o600)  # whatever the umask says
        os.write(descriptor, pem)
        os.fsync(descriptor)
    except OSError:
        raise ConfigError("INVALID_CONFIG", f"cannot create the identity key file {name}") from None
    finally:
        os.close(descriptor)
    return key
