"""The two files a receiver reads at start (protocol §2): its identity key and the authorized custodians."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, load_pem_private_key

from .errors import ConfigError
from .secret_memory import wipe
from .wire import is_fingerprint

_LINE = re.compile(r"(\S+)(?:\s+(.*))?")
_MAX_IDENTITY_FILE_BYTES = 64 * 1024
_CREDENTIAL_NAME = re.compile(r"[A-Za-z0-9_.-]{1,255}")


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
    with private keys: the identity is what the custodian pins, and a copy of it together with control of the
    pinned address lets an impostor receive the data key (docs/threat-model.md), so the file is as sensitive as
    the data key itself. ``load_identity_key_credential`` offers a form that is never on disk in clear.
    """
    name = os.fspath(path)
    try:
        os.stat(name)
    except FileNotFoundError:
        return _create_identity_key(name), True
    except OSError:
        raise ConfigError("INVALID_CONFIG", f"cannot read the identity key file {name}") from None
    return load_identity_key(name), False


def load_identity_key(path: str | os.PathLike[str], what: str = "identity key file") -> Ed25519PrivateKey:
    """An existing identity key file (never created), with the same permission rule."""
    name = os.fspath(path)
    try:
        info = os.stat(name)
    except FileNotFoundError:
        raise ConfigError("INVALID_CONFIG", f"the {what} {name} does not exist") from None
    except OSError:
        raise ConfigError("INVALID_CONFIG", f"cannot read the {what} {name}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError("INVALID_CONFIG", f"the {what} {name} is not a regular file")
    if info.st_mode & 0o077:
        raise ConfigError("INSECURE_FILE", f"the {what} {name} is accessible by group or others; run: chmod 600 {name}")
    if info.st_size > _MAX_IDENTITY_FILE_BYTES:
        raise ConfigError("INVALID_CONFIG", f"the {what} {name} is not an Ed25519 private key in PKCS#8 PEM")
    pem = bytearray(info.st_size)
    try:
        with open(name, "rb", buffering=0) as file:
            length = file.readinto(pem)
        del pem[length:]
        key = load_pem_private_key(pem, password=None)
    except OSError:
        raise ConfigError("INVALID_CONFIG", f"cannot read the {what} {name}") from None
    except (ValueError, TypeError):
        raise ConfigError("INVALID_CONFIG", f"the {what} {name} is not an Ed25519 private key in PKCS#8 PEM") from None
    finally:
        wipe(pem)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError("INVALID_CONFIG", f"the {what} {name} is not an Ed25519 private key in PKCS#8 PEM")
    return key


CREDENTIALS_DIRECTORY = "CREDENTIALS_DIRECTORY"


def load_identity_key_credential(name: str, environ: Mapping[str, str] | None = None) -> Ed25519PrivateKey:
    """The identity key as a systemd credential: ``$CREDENTIALS_DIRECTORY/NAME``, which systemd decrypts from
    ``LoadCredentialEncrypted=NAME:…`` (sealed with the host's TPM and/or its credential secret) into a
    non-swappable, service-private memory file system. The key is never written in clear by anyone, and never
    created or written here: a missing credential is a configuration error."""
    environ = os.environ if environ is None else environ
    if _CREDENTIAL_NAME.fullmatch(name) is None or name in (".", ".."):
        raise ConfigError("INVALID_CONFIG", "the --identity-key-credential name must be a plain credential name (letters, digits, . _ -)")
    directory = environ.get(CREDENTIALS_DIRECTORY)
    if not directory:
        raise ConfigError(
            "INVALID_CONFIG",
            f"the identity key credential {name} needs $CREDENTIALS_DIRECTORY: run the receiver as a systemd service "
            f"with LoadCredentialEncrypted={name}:/etc/credstore.encrypted/{name}",
        )
    path = os.path.join(directory, name)
    if not os.path.lexists(path):
        raise ConfigError(
            "INVALID_CONFIG",
            f"the identity key credential {name} is missing from $CREDENTIALS_DIRECTORY; add "
            f"LoadCredentialEncrypted={name}:… to the service (the receiver never creates it)",
        )
    return load_identity_key(path, what="identity key credential")


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
