"""The secrets plan's other data-key sources, for teams migrating to Key Custodian (``ENCRYPTION_KEY_SOURCE``).

``custodian`` (the receiver, a push into memory) stays the recommended source: nothing on the server's disk, in
its environment or in Vault can give the key away, and every unlock is signed, bound to one boot, and receipted.
These three exist so an application can move over one step at a time:

- ``vault``: the key from ``secret/<app>/encryption`` (field ``key``), read with the Vault login the push
  delivered (docs/protocol.md §12.13): no Vault token on the server either, but the key now lives in Vault too.
- ``env``: ``ENCRYPTION_KEY`` from the environment. Development only: refused when the application says it runs
  in production, because the environment of a process is readable by its user and ends up in crash reports.
- ``user_input``: typed at a hidden prompt when the service starts (someone at the console at every restart).

Every source checks the key the way the plan does: 44 characters of URL-safe base64 for 32 bytes.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import re
from collections.abc import Callable, Mapping

from .errors import ConfigError
from .fernet_keys import ReceiverFernet
from .secret_memory import SecretKey, scrub_bytes
from .vault_login import VaultLogin

KEY_TEXT_LENGTH = 44
_KEY_TEXT = re.compile(rb"[A-Za-z0-9_-]{43}=")


def fernet_from_key_text(text: bytes | bytearray | str) -> ReceiverFernet:
    """A one-key MultiFernet from Fernet key text, checked: exactly 44 characters of URL-safe base64 (32 bytes).
    The error says what is wrong with the shape, never anything of the value."""
    raw = bytearray(text.encode("ascii", "replace") if isinstance(text, str) else text)  # our own copy, wiped below
    body = raw.strip()
    try:
        if len(body) != KEY_TEXT_LENGTH or _KEY_TEXT.fullmatch(body) is None:
            raise ValueError(f"a Fernet key is {KEY_TEXT_LENGTH} characters of URL-safe base64 (A-Z a-z 0-9 - _, ending in '=')")
        try:
            decoded = base64.urlsafe_b64decode(body)
        except binascii.Error as error:
            raise ValueError("a Fernet key is URL-safe base64 of 32 bytes") from error
        key = SecretKey(decoded)
        scrub_bytes(decoded)
        try:
            return ReceiverFernet([key])
        finally:
            key.wipe()
    finally:
        raw[:] = bytes(len(raw))
        body[:] = bytes(len(body))


def key_from_vault(login: VaultLogin, name: str = "encryption", field: str = "key") -> ReceiverFernet:
    """``ENCRYPTION_KEY_SOURCE=vault``: the key text in ``secret/<app>/<name>`` field ``field``, read with the pushed
    Vault login; raises ``VaultLocked`` until the push delivered one."""
    fields = login.get_secret(name)
    text = fields.get(field)
    if not isinstance(text, str):
        raise ConfigError("INVALID_CONFIG", f"the Vault secret {name} has no field {field!r}")
    return fernet_from_key_text(text)


def key_from_env(environ: Mapping[str, str], *, production: bool, variable: str = "ENCRYPTION_KEY") -> ReceiverFernet:
    """``ENCRYPTION_KEY_SOURCE=env``: development only; refused in production (the caller says whether it is)."""
    if production:
        raise ConfigError("INVALID_CONFIG", f"ENCRYPTION_KEY_SOURCE=env is refused in production: use custodian (or custodian-agent); remove {variable}")
    text = environ.get(variable)
    if not text:
        raise ConfigError("INVALID_CONFIG", f"set {variable} (development only)")
    try:
        return fernet_from_key_text(text)
    except ValueError as error:
        raise ConfigError("INVALID_CONFIG", f"{variable}: {error}") from None


def key_from_user_input(prompt: Callable[[str], str] = getpass.getpass, attempts: int = 3) -> ReceiverFernet:
    """``ENCRYPTION_KEY_SOURCE=user_input``: a hidden prompt at start (``getpass``), with the 44-character check;
    ``attempts`` tries, then ``ConfigError``. Python's prompt returns a ``str``, which cannot be wiped."""
    for attempt in range(1, attempts + 1):
        try:
            return fernet_from_key_text(prompt(f"Fernet key ({KEY_TEXT_LENGTH} characters, hidden): "))
        except ValueError as error:
            if attempt == attempts:
                raise ConfigError("INVALID_CONFIG", f"no valid key typed: {error}") from None
            print(f"{error}; try again", flush=True)
        except EOFError:
            break
    raise ConfigError("INVALID_CONFIG", "no key typed (input ended)")
