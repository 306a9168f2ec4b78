"""The key-check list (protocol §2, §12.12): which key ids a receiver accepts, newest first. It can change while
the receiver runs: the operator adds the new key's id to the key-check file (or the application's callback
returns it) and the receiver re-reads it on SIGHUP and at every status request, before anyone pushes the key."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from .errors import ConfigError
from .wire import is_key_id_value

KeyCheckSource = Callable[[], Iterable[str]]

_MAX_FILE_BYTES = 64 * 1024
KEY_CHECK_NOT_A_KEY_ID = (
    "a --key-check value is not a key id (K1-XXXX-XXXX-XXXX-XXXX); "
    "if you passed the key itself, treat it as exposed and rotate it"
)


def checked_key_checks(key_checks: Iterable[str]) -> tuple[str, ...]:
    """Deduplicated, newest first; at least one, every one a key id. Errors never quote the values: a key check
    that is not a key id may be the key itself, pasted by mistake."""
    checks = tuple(dict.fromkeys(key_checks))
    if not checks:
        raise ConfigError("INVALID_CONFIG", "at least one key check (key id) is required")
    if not all(isinstance(check, str) and is_key_id_value(check) for check in checks):
        raise ConfigError("INVALID_CONFIG", KEY_CHECK_NOT_A_KEY_ID)
    return checks


def read_key_check_file(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """One key id per line, newest first; blank lines and ``#`` comments are ignored; a line that is not a key
    id is an error naming its line number (never its text)."""
    try:
        data = Path(path).read_bytes()[: _MAX_FILE_BYTES + 1]
        if len(data) > _MAX_FILE_BYTES:
            raise ConfigError("INVALID_CONFIG", f"the key-check file {os.fspath(path)} is larger than 64 KiB")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        raise ConfigError("INVALID_CONFIG", f"cannot read the key-check file {os.fspath(path)}") from None
    ids: list[str] = []
    for number, raw in enumerate(re.split(r"\r?\n", text), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not is_key_id_value(line):
            raise ConfigError("INVALID_CONFIG", f"key-check file line {number} is not a key id (K1-XXXX-XXXX-XXXX-XXXX)")
        ids.append(line)
    return tuple(ids)


def key_check_source(static: Iterable[str], file: str | os.PathLike[str] | None) -> KeyCheckSource:
    """The ``--key-check`` flags first, in order, then the file's lines (read again at every call)."""
    fixed = tuple(static)
    if file is None:
        return lambda: fixed
    return lambda: (*fixed, *read_key_check_file(file))
