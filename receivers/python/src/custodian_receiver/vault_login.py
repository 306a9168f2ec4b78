"""A Vault login delivered by push (docs/protocol.md §12.13): no Vault token on the server's disk or environment.

The custodian mints a response-wrapped AppRole SecretID (wrap TTL 60 s, single use) per server at push time and
sends the wrapping token inside the HPKE-sealed unlock request, after the data keys. The receiver unwraps it
exactly once (``sys/wrapping/unwrap``), logs in with the RoleID from its configuration (not a secret: a RoleID
alone logs nobody in), keeps the Vault token in memory only, renews it before it expires, and revokes it on
``lock()``. ``get_secret("postgresql")`` reads ``{mount}/data/{prefix}/postgresql`` with that token.

A wrapping token that Vault no longer knows (already unwrapped, expired, or never issued) means somebody else
may have unwrapped it: the Vault part is refused (``VAULT_WRAP_USED`` in the receipt and the status) and this
boot stays locked for Vault; the data keys of the same request are installed anyway (pushing data keys never
needs Vault). Python strings: hvac takes and returns the tokens as ``str`` (JSON), which cannot be wiped; they
live in this object only, never in a log, an exception message, a file or the environment.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .errors import ConfigError, Refusal
from .secret_memory import scrub_bytes

# The states a status or receipt reports (protocol §12.13). "awaiting" and "delivered" are states; the others are
# the reason the Vault login of this boot is not there.
AWAITING: Final = "awaiting"
DELIVERED: Final = "delivered"
WRAP_USED: Final = "VAULT_WRAP_USED"
UNREACHABLE: Final = "VAULT_UNREACHABLE"
LOGIN_FAILED: Final = "VAULT_LOGIN_FAILED"
ROLE_MISMATCH: Final = "VAULT_ROLE_MISMATCH"
TOKEN_EXPIRED: Final = "VAULT_TOKEN_EXPIRED"
STATES: Final = (AWAITING, DELIVERED, WRAP_USED, UNREACHABLE, LOGIN_FAILED, ROLE_MISMATCH, TOKEN_EXPIRED)

MAX_WRAP_TOKEN_BYTES: Final = 1024
_ROLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SECRET_NAME = re.compile(r"[A-Za-z0-9_.@-]+(/[A-Za-z0-9_.@-]+)*")


def is_role_name(value: object) -> bool:
    return isinstance(value, str) and _ROLE.fullmatch(value) is not None


class VaultLocked(Exception):
    """The application asked for a Vault secret while this boot has no Vault login (503 in the Flask helper)."""

    code = "VAULT_LOCKED"
    http_status = 503

    def __init__(self, state: str) -> None:
        self.state = state
        super().__init__(f"vault locked ({state}): waiting for the Vault login from Key Custodian")


@dataclass(frozen=True)
class VaultSettings:
    """Where to log in (receiver configuration, never the request): a request naming the Vault address could send
    this server's RoleID and SecretID to any host, and the CA to trust is the server's decision."""

    addr: str
    role: str  # the AppRole role name the custodian mints for (``push --vault-role``)
    role_id: str
    mount: str = "secret"
    prefix: str = ""  # secrets live under {mount}/data/{prefix}/...; default: the role name
    ca_cert: str | None = None
    timeout: float = 5.0

    def __post_init__(self) -> None:
        if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", self.addr or ""):
            raise ConfigError("INVALID_CONFIG", "VAULT_ADDR must be an http(s):// URL")
        if not is_role_name(self.role):
            raise ConfigError("INVALID_CONFIG", "the Vault role name must be 1-64 characters of A-Z a-z 0-9 . _ -")
        if not re.fullmatch(r"[A-Za-z0-9-]{1,128}", self.role_id or ""):
            raise ConfigError("INVALID_CONFIG", "the Vault RoleID is missing or malformed (see `bao read auth/approle/role/NAME/role-id`)")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", self.mount):
            raise ConfigError("INVALID_CONFIG", "the KV mount must be one path segment")

    @property
    def secret_prefix(self) -> str:
        return self.prefix or self.role

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> VaultSettings:
        """``VAULT_ADDR``, ``VAULT_ROLE``, ``VAULT_ROLE_ID`` (or ``VAULT_ROLE_ID_FILE``), optional ``VAULT_CACERT``,
        ``VAULT_KV_MOUNT``, ``VAULT_SECRET_PREFIX``. A ``VAULT_TOKEN`` in the environment is refused: the point of
        the pushed login is that no Vault token lives on the server."""
        if environ.get("VAULT_TOKEN"):
            raise ConfigError("INVALID_CONFIG", "VAULT_TOKEN is set: remove it; this server logs in with the Vault login Key Custodian pushes")
        role_id = environ.get("VAULT_ROLE_ID", "")
        role_id_file = environ.get("VAULT_ROLE_ID_FILE")
        if not role_id and role_id_file:
            try:
                with open(role_id_file, encoding="ascii") as handle:
                    role_id = handle.read().strip()
            except (OSError, UnicodeDecodeError) as error:
                raise ConfigError("INVALID_CONFIG", "cannot read VAULT_ROLE_ID_FILE") from error
        missing = [name for name in ("VAULT_ADDR", "VAULT_ROLE") if not environ.get(name)] + ([] if role_id else ["VAULT_ROLE_ID"])
        if missing:
            raise ConfigError("INVALID_CONFIG", f"set {', '.join(missing)} for the Vault login")
        return cls(
            addr=environ["VAULT_ADDR"].rstrip("/"),
            role=environ["VAULT_ROLE"],
            role_id=role_id,
            mount=environ.get("VAULT_KV_MOUNT") or "secret",
            prefix=environ.get("VAULT_SECRET_PREFIX") or "",
            ca_cert=environ.get("VAULT_CACERT") or None,
        )


def take_wrap_token(plaintext: bytes, key_count: int, key_bytes: int) -> bytearray:
    """Step 13 with a Vault login: the plaintext is the keys, then 1-1024 bytes of the wrapping token (printable
    ASCII, no space). Returns a copy of the token's bytes; anything else is ``BAD_PAYLOAD`` (plaintext scrubbed)."""
    tail = len(plaintext) - key_count * key_bytes
    if tail < 1 or tail > MAX_WRAP_TOKEN_BYTES:
        scrub_bytes(plaintext)
        raise Refusal("BAD_PAYLOAD")
    with memoryview(plaintext) as view:
        token = bytearray(view[key_count * key_bytes :])
    if not all(0x21 <= byte <= 0x7E for byte in token):
        token[:] = bytes(len(token))
        scrub_bytes(plaintext)
        raise Refusal("BAD_PAYLOAD")
    return token


def _default_client(settings: VaultSettings) -> Any:
    try:
        import hvac  # optional dependency: pip install "custodian-receiver[vault]"
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise ConfigError("INVALID_CONFIG", 'the Vault login needs hvac: pip install "custodian-receiver[vault]"') from error
    return hvac.Client(url=settings.addr, verify=settings.ca_cert or True, timeout=settings.timeout)


class VaultLogin:
    """The Vault login of one receiver: its state, the in-memory token, renewal, ``get_secret``.

    ``client_factory(settings)`` returns an hvac ``Client`` (tests may pass another); ``clock`` is monotonic seconds.
    """

    def __init__(
        self,
        settings: VaultSettings,
        *,
        client_factory: Callable[[VaultSettings], Any] = _default_client,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._client_factory = client_factory
        self._clock = clock
        self._lock = threading.Lock()
        self._client: Any = None  # holds the Vault token (hvac keeps it as client.token)
        self._state = AWAITING
        self._generation = 0
        self._expires_at = 0.0
        self._renewer: threading.Thread | None = None
        self._stop_renewing = threading.Event()
        self._revoking: list[threading.Thread] = []
        client_factory(settings)  # fail at start (missing hvac, bad CA file), not at the first push

    @property
    def role(self) -> str:
        return self.settings.role

    @property
    def state(self) -> str:
        with self._lock:
            if self._state == DELIVERED and self._clock() >= self._expires_at:
                self._client = None
                self._state = TOKEN_EXPIRED
            return self._state

    def status_member(self) -> dict[str, str]:
        """The status payload's ``vault_login`` member (§12.13)."""
        return {"role": self.settings.role, "state": self.state}

    def generation(self) -> int:
        with self._lock:
            return self._generation

    def deliver(self, wrap_token: bytearray, role: str, generation: int) -> str:
        """Unwraps ``wrap_token`` once, logs in with the configured RoleID, keeps the token; returns the new state.

        ``generation`` is the boot's (``generation()`` under the receiver's lock at install): a ``lock()`` meanwhile
        makes the new token useless, so it is revoked at once. The token bytes are wiped here whatever happens."""
        try:
            if role != self.settings.role:
                return self._set(ROLE_MISMATCH, generation)  # minted for another app: never unwrapped here
            # hvac sends JSON: the wrapping token must become a str for the request (not wipeable, see above).
            wrap = wrap_token.decode("ascii")
        finally:
            wrap_token[:] = bytes(len(wrap_token))
        secret_id, refused = self._unwrap(wrap)
        del wrap
        if secret_id is None:
            return self._set(refused, generation)
        client = self._client_factory(self.settings)
        try:
            auth = client.auth.approle.login(role_id=self.settings.role_id, secret_id=secret_id, use_token=True)["auth"]
        except Exception as error:
            return self._set(_failure_state(error, LOGIN_FAILED), generation)
        finally:
            del secret_id
        lease = float(auth.get("lease_duration") or 0)
        with self._lock:
            if generation != self._generation:
                stale = client
            else:
                stale = self._client
                self._client = client
                self._state = DELIVERED
                self._expires_at = self._clock() + (lease if lease > 0 else float("inf"))
                self._start_renewer(lease if auth.get("renewable") else 0.0)
        if stale is not None:
            self._revoke_later(stale)
        return self.state if generation == self.generation() else AWAITING

    def get_secret(self, name: str) -> dict[str, str]:
        """The latest version's fields of ``{mount}/data/{prefix}/{name}`` (e.g. ``get_secret("postgresql")``);
        ``VaultLocked`` while this boot has no Vault login. Values are Python strings (hvac's JSON)."""
        if not isinstance(name, str) or _SECRET_NAME.fullmatch(name) is None or ".." in name.split("/"):
            raise ValueError("a secret name is letters, digits, - _ . @ and /")
        state = self.state
        with self._lock:
            client = self._client
        if client is None:
            raise VaultLocked(state)
        answer = client.secrets.kv.v2.read_secret_version(
            path=f"{self.settings.secret_prefix}/{name}", mount_point=self.settings.mount, raise_on_deleted_version=True
        )
        data = answer["data"]["data"]
        return {str(key): value if isinstance(value, str) else str(value) for key, value in data.items()}

    def forget(self) -> None:
        """``lock()``: forget the token now (``get_secret`` raises at once) and revoke it in the background."""
        with self._lock:
            self._generation += 1
            client, self._client = self._client, None
            self._state = AWAITING
            self._stop_renewing.set()
            self._renewer = None
        if client is not None:
            self._revoke_later(client)

    def wait_revoked(self, timeout: float | None = None) -> None:
        """Waits (bounded) for the revocations started by ``forget()``; ``lock()`` calls it outside its mutex."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                pending = [thread for thread in self._revoking if thread.is_alive()]
                self._revoking = pending
            if not pending:
                return
            pending[0].join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if deadline is not None and time.monotonic() >= deadline:
                return

    # ---- internals ------------------------------------------------------------------------------------------

    def _set(self, state: str, generation: int) -> str:
        with self._lock:
            if generation == self._generation and self._client is None:
                self._state = state
        return state

    def _unwrap(self, wrap: str) -> tuple[str | None, str]:
        """The SecretID, or None and the state that says why there is none. Unwrapping is the single use: a second
        attempt (ours or anyone's) fails, which is exactly how an interception shows."""
        client = self._client_factory(self.settings)
        client.token = wrap  # the wrapping token authenticates its own unwrap (X-Vault-Token)
        try:
            answer = client.sys.unwrap()
        except Exception as error:
            return None, _failure_state(error, WRAP_USED)
        finally:
            client.token = None
        secret_id = (answer.get("data") or {}).get("secret_id") if isinstance(answer, dict) else None
        if not isinstance(secret_id, str) or not secret_id:
            return None, WRAP_USED  # a wrapping token of something else than a SecretID: refused like a used one
        return secret_id, DELIVERED

    def _start_renewer(self, lease: float) -> None:
        """Under the lock: renew-self at two thirds of each lease until ``forget()``."""
        self._stop_renewing.set()
        if lease <= 0:
            return
        stop = threading.Event()
        self._stop_renewing = stop
        generation = self._generation
        thread = threading.Thread(target=self._renew_loop, args=(stop, generation, lease), name="vault-renew", daemon=True)
        self._renewer = thread
        thread.start()

    def _renew_loop(self, stop: threading.Event, generation: int, lease: float) -> None:
        while not stop.wait(max(1.0, lease * 2 / 3)):
            with self._lock:
                client = self._client if generation == self._generation else None
            if client is None:
                return
            try:
                auth = client.auth.token.renew_self()["auth"]
            except Exception:
                continue  # Vault down for a moment: try again; the token expires on its own if it stays down
            lease = float(auth.get("lease_duration") or 0)
            with self._lock:
                if generation != self._generation:
                    return
                self._expires_at = self._clock() + lease
            if lease <= 0:
                return

    def _revoke_later(self, client: Any) -> None:
        def revoke() -> None:
            with contextlib.suppress(Exception):  # expired already, or Vault down: it expires on its own
                client.auth.token.revoke_self()
            client.token = None

        thread = threading.Thread(target=revoke, name="vault-revoke", daemon=True)
        with self._lock:
            self._revoking.append(thread)
        thread.start()


def _failure_state(error: BaseException, refused: str) -> str:
    """Vault refused (4xx: used/expired wrapping token, wrong RoleID) -> ``refused``; sealed, 5xx or no answer ->
    ``VAULT_UNREACHABLE``. Never looks at (or keeps) the message: it is input from the network."""
    try:
        import hvac.exceptions as hvac_errors
    except ImportError:  # pragma: no cover
        return UNREACHABLE
    if isinstance(error, (hvac_errors.InvalidRequest, hvac_errors.Unauthorized, hvac_errors.Forbidden, hvac_errors.InvalidPath)):
        return refused
    return UNREACHABLE  # requests' ConnectionError, Timeout, TLS failures


def vault_login_from_environment(environ: Mapping[str, str] = os.environ) -> VaultLogin | None:
    """A ``VaultLogin`` when ``VAULT_ENABLED=true`` (the secrets plan's switch), else None."""
    if (environ.get("VAULT_ENABLED") or "").strip().lower() not in ("1", "true", "yes"):
        if environ.get("VAULT_TOKEN"):
            raise ConfigError("INVALID_CONFIG", "VAULT_TOKEN is set: remove it; no Vault token belongs on this server")
        return None
    return VaultLogin(VaultSettings.from_environment(environ))
