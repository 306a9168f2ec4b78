"""The receiver's protocol state machine (docs/protocol.md §5-6 and revision 2, §12), without HTTP.

A receiver starts **locked**. ``status()`` answers the signed status with a fresh stateless challenge;
``unlock()`` runs the checks of §6 in their documented order and installs the keys only when all pass;
``remote_lock()`` and ``lock()`` wipe the keys and start a new boot; ``statement()`` applies a custodian
hand-over or revocation; ``rekey()`` replaces the keys of an unlocked receiver (§12.12). The key checks are
re-read from their source at every status and on ``reload_key_checks()`` (the demo server's SIGHUP).
Thread-safe: one lock guards the state.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from .challenges import SECRET_BYTES, ChallengeBook
from .config_files import (
    AuthorizedCustodian,
    load_identity_key_credential,
    load_or_create_identity_key,
    parse_authorized_custodians,
    read_authorized_custodians,
)
from .errors import REFUSALS, ConfigError, ReceiverLocked, Refusal, RefusalCode
from .fernet_keys import ReceiverFernet
from .hpke import hpke_info, hpke_open, x25519_public_raw
from .identity_handover import check_handover_chain, read_handovers_file
from .jws import MessageType, raw_public_key, sign_jws
from .key_checks import KeyCheckSource, checked_key_checks, key_check_source
from .key_id import key_id
from .metrics import Metrics
from .secret_memory import SecretKey, scrub_bytes
from .signed_messages import (
    BoundRequest,
    check_media_and_size,
    parse_lock_payload,
    parse_rekey_payload,
    parse_signed,
    parse_unlock_payload,
    read_envelope,
)
from .statements import CustodianRegistry, StatementsFile, replay_statements
from .vault_login import VaultLogin, take_wrap_token
from .wire import KEY_BYTES, PROTOCOL, b64u_decode, b64u_encode, fingerprint_of, is_fingerprint, is_server_id

State = Literal["locked", "unlocked"]
Event = Literal["unlock", "lock", "statement", "rekey"]
TokensReporter = Callable[[], "int | None"]


@dataclass(frozen=True)
class BootState:
    """A fixed boot to start from instead of a random one (the wire test vectors use it)."""

    boot_id: str
    ephemeral_private_key: bytes
    challenge_secret: bytes
    spent: Sequence[str] = ()  # challenges already spent in this boot


@dataclass(frozen=True)
class Attempt:
    """What happened to one signed request (``unlock``, ``lock`` or ``statement``); never key material.

    The demo server logs it as one JSON line; listeners added with ``add_listener`` receive every one.
    """

    ok: bool
    error: RefusalCode | None = None
    key_ids: tuple[str, ...] = ()
    custodian: str | None = None
    custodian_name: str | None = None
    boot_id: str | None = None
    event: Event = "unlock"
    statement_type: str | None = None  # "handover" or "revocation"
    subject: str | None = None  # statements: the new custodian of a hand-over, the revoked one of a revocation
    applied: bool | None = None  # statements: False when it was already applied
    retired: tuple[str, ...] = ()  # rekey: installed keys the request retired


UnlockAttempt = Attempt  # the name of revision 1, kept for existing listeners


@dataclass(frozen=True)
class LockEvent:
    """A lock happened: ``locked_boot_id`` ended, ``boot_id`` is the new (locked) boot. ``remote`` is True for a
    signed lock request from ``custodian``, False for the application's own ``lock()``."""

    locked_boot_id: str
    boot_id: str
    remote: bool
    custodian: str | None = None


@dataclass(frozen=True)
class UnlockEvent:
    """The receiver was unlocked in boot ``boot_id`` with ``key_ids`` (current first) by ``custodian``."""

    boot_id: str
    key_ids: tuple[str, ...]
    custodian: str


@dataclass(frozen=True)
class RekeyEvent:
    """A rekey (§12.12) replaced ``replaced_key_ids`` with ``key_ids`` (current first) in boot ``boot_id``;
    ``retired`` are the replaced keys the custodian dropped on purpose. ``get_fernet()`` already returns the new
    MultiFernet; the one handed out before is revoked."""

    boot_id: str
    key_ids: tuple[str, ...]
    replaced_key_ids: tuple[str, ...]
    retired: tuple[str, ...]
    custodian: str


@dataclass(frozen=True)
class KeyChecksEvent:
    """The key checks were re-read: ``ok`` False when the source failed (``key_checks`` is then the list that
    stays); ``changed`` when the list differs from the one before."""

    ok: bool
    key_checks: tuple[str, ...]
    changed: bool = False
    error: str | None = None


@dataclass(frozen=True)
class Answer:
    """An HTTP-independent answer: status code and JSON body; ``attempt`` is set for signed requests."""

    http_status: int
    body: dict[str, Any]
    attempt: Attempt | None = None
    headers: tuple[tuple[str, str], ...] = field(default=())


def refusal_answer(
    code: RefusalCode, *, attempt: bool = False, headers: tuple[tuple[str, str], ...] = (), event: Event = "unlock"
) -> Answer:
    status, message = REFUSALS[code]
    return Answer(
        status,
        {"protocol": PROTOCOL, "error": {"code": code, "message": message}},
        Attempt(ok=False, error=code, event=event) if attempt else None,
        headers,
    )


def check_settings(
    *, server_id: str, key_checks: Iterable[str], authorized_custodians: str | Iterable[AuthorizedCustodian | str]
) -> tuple[tuple[str, ...], tuple[AuthorizedCustodian, ...]]:
    """Checks what needs no identity key; returns the key checks (deduplicated, newest first) and the custodians.

    Errors never quote the values: a key check that is not a key id may be the key itself, pasted by mistake.
    """
    if not is_server_id(server_id):
        raise ConfigError(
            "INVALID_CONFIG", "the server id must be 1-64 characters of A-Z a-z 0-9 . _ - (starting with a letter or digit)"
        )
    return checked_key_checks(key_checks), _custodian_entries(authorized_custodians)


class Receiver:
    """One receiver: identity, custodians, key checks, and the locked/unlocked state.

    ``clock`` returns Unix seconds, ``random_bytes(n)`` gives boot ids, challenge nonces and secrets,
    ``new_ephemeral_key`` the per-boot X25519 key and each rekey key; tests replace them, production code never
    needs to. ``key_checks`` is a list, or a callable the receiver calls again at every status and on
    ``reload_key_checks()`` (the application's source, e.g. a file it re-reads). ``tokens_under_previous`` is the
    application's count of tokens under non-current keys for the signed status (§12.12); see
    ``report_tokens_under_previous``.
    """

    def __init__(
        self,
        *,
        server_id: str,
        identity_key: Ed25519PrivateKey,
        authorized_custodians: str | Iterable[AuthorizedCustodian | str],
        key_checks: Iterable[str] | KeyCheckSource,
        clock: Callable[[], float] = time.time,
        random_bytes: Callable[[int], bytes] = os.urandom,
        new_ephemeral_key: Callable[[], X25519PrivateKey] = X25519PrivateKey.generate,
        boot: BootState | None = None,
        allow_older_current_key: bool = False,
        custodian_statements_file: str | os.PathLike[str] | None = None,
        identity_handovers: Sequence[str] = (),
        vault: VaultLogin | None = None,
        tokens_under_previous: TokensReporter | None = None,
    ) -> None:
        self._key_check_source: KeyCheckSource | None = key_checks if callable(key_checks) else None
        initial = list(key_checks()) if callable(key_checks) else key_checks
        checks, custodians = check_settings(server_id=server_id, key_checks=initial, authorized_custodians=authorized_custodians)
        if not isinstance(identity_key, Ed25519PrivateKey):
            raise ConfigError("INVALID_CONFIG", "the identity key must be an Ed25519 private key")
        self._server_id = server_id
        self._identity_key = identity_key
        self._identity = fingerprint_of(raw_public_key(identity_key))
        self._key_checks = checks
        self._allow_older_current_key = allow_older_current_key
        self._registry = CustodianRegistry(custodians)
        self._statements: StatementsFile | None = None
        if custodian_statements_file is not None:
            self._statements = StatementsFile(custodian_statements_file)
            replay_statements(self._registry, self._statements.read_lines(), self._statements.path)
            if not self._registry.effective():
                raise ConfigError("INVALID_CONFIG", "the custodian statements leave no authorized custodian")
        self._handovers = check_handover_chain(list(identity_handovers), server_id, self._identity)
        self._clock = clock
        self._random_bytes = random_bytes
        self._new_ephemeral_key = new_ephemeral_key
        self._vault = vault  # §12.13: a Vault login delivered by push (None: not configured)
        self._mutex = threading.RLock()
        self._unlocked_event = threading.Event()
        self._listeners: list[Callable[[Attempt], None]] = []
        self._lock_listeners: list[Callable[[LockEvent], None]] = []
        self._unlock_listeners: list[Callable[[UnlockEvent], None]] = []
        self._rekey_listeners: list[Callable[[RekeyEvent], None]] = []
        self._key_check_listeners: list[Callable[[KeyChecksEvent], None]] = []
        self._tokens_reporter: TokensReporter | None = tokens_under_previous
        self._metrics = Metrics()
        self._keys: list[SecretKey] = []
        self._installed_ids: tuple[str, ...] = ()
        self._fernet: ReceiverFernet | None = None
        self._boot_id = ""
        self._boot_time = 0
        self._challenges: ChallengeBook | None = None
        self._ephemeral: X25519PrivateKey | None = None
        self._ephemeral_public: bytes | None = None
        self._new_boot(boot)

    @classmethod
    def from_files(
        cls,
        *,
        authorized_custodians_file: str | os.PathLike[str],
        key_checks: Iterable[str],
        server_id: str,
        identity_key_file: str | os.PathLike[str] | None = None,
        identity_key_credential: str | None = None,
        custodian_statements_file: str | os.PathLike[str] | None = None,
        identity_handovers_file: str | os.PathLike[str] | None = None,
        allow_older_current_key: bool = False,
        vault: VaultLogin | None = None,
        key_check_file: str | os.PathLike[str] | None = None,
    ) -> Receiver:
        """The usual way to build one: the identity key as a file (created 0600 if missing) or as a systemd
        credential (``$CREDENTIALS_DIRECTORY/NAME``, never created), and the custodians file; optionally the
        custodian statements file (§12.5) and the identity hand-overs file (§12.6). ``key_check_file`` adds the
        key ids of a file (one per line) after ``key_checks``; it is re-read at every status and on
        ``reload_key_checks()`` (§12.12).

        Everything else is checked before the identity key file is touched, so a refused configuration does not
        leave a new key file behind.
        """
        if (identity_key_file is None) == (identity_key_credential is None):
            raise ConfigError("USAGE", "give exactly one of --identity-key FILE and --identity-key-credential NAME")
        custodians = read_authorized_custodians(authorized_custodians_file)
        source = key_check_source(key_checks, key_check_file)
        check_settings(server_id=server_id, key_checks=source(), authorized_custodians=custodians)
        handovers = read_handovers_file(identity_handovers_file) if identity_handovers_file is not None else []
        check_handover_chain(handovers, server_id, None)  # all but the last link's target, which needs the key
        if custodian_statements_file is not None:
            statements = StatementsFile(custodian_statements_file)
            replay_statements(CustodianRegistry(custodians), statements.read_lines(create=False), statements.path)
        if identity_key_credential is not None:
            identity_key = load_identity_key_credential(identity_key_credential)
        else:
            assert identity_key_file is not None
            identity_key, _created = load_or_create_identity_key(identity_key_file)
        return cls(
            server_id=server_id,
            identity_key=identity_key,
            authorized_custodians=custodians,
            key_checks=source if key_check_file is not None else list(source()),
            allow_older_current_key=allow_older_current_key,
            custodian_statements_file=custodian_statements_file,
            identity_handovers=handovers,
            vault=vault,
        )

    # ---- read-only view ---------------------------------------------------------------------------------

    @property
    def server_id(self) -> str:
        return self._server_id

    @property
    def identity(self) -> str:
        """The fingerprint a custodian pins (``custodian server add --identity``)."""
        return self._identity

    @property
    def key_checks(self) -> tuple[str, ...]:
        """The accepted key ids, the newest (current) first."""
        return self._key_checks

    @property
    def boot_id(self) -> str:
        return self._boot_id

    @property
    def state(self) -> State:
        return "unlocked" if self._keys else "locked"

    @property
    def installed_key_ids(self) -> tuple[str, ...]:
        return self._installed_ids

    @property
    def custodians(self) -> tuple[AuthorizedCustodian, ...]:
        """The effective custodians: the file's, plus hand-over targets, minus revoked ones (§12.5)."""
        with self._mutex:
            return self._registry.effective()

    @property
    def statements_enabled(self) -> bool:
        return self._statements is not None

    def get_fernet(self) -> ReceiverFernet:
        """cryptography's MultiFernet over the pushed keys, current first; raises ``ReceiverLocked`` while locked.

        Do not keep it beyond a request: after a lock it raises ``ReceiverLocked`` too.
        """
        with self._mutex:
            if self._fernet is None:
                raise ReceiverLocked()
            return self._fernet

    @property
    def vault_login(self) -> VaultLogin | None:
        """The Vault login of §12.13 (None when not configured): its ``state`` and ``get_secret``."""
        return self._vault

    def get_secret(self, name: str) -> dict[str, str]:
        """A secret of the application from Vault with the login the last push delivered (``get_secret("postgresql")``
        reads ``secret/data/<app>/postgresql``); raises ``VaultLocked`` while there is none (docs/protocol.md §12.13)."""
        if self._vault is None:
            raise ConfigError("INVALID_CONFIG", "this receiver has no Vault login configured (VAULT_ENABLED)")
        return self._vault.get_secret(name)

    def copy_keys(self) -> list[SecretKey]:
        """Copies of the installed keys, current first (ids in ``installed_key_ids``), each in its own
        ``SecretKey`` that the caller MUST ``wipe()`` when done; raises ``ReceiverLocked`` while locked. For the
        host agent, which hands the keys to the application's processes; an application in this process uses
        ``get_fernet()``. Never turn them into ``str``."""
        with self._mutex:
            if not self._keys:
                raise ReceiverLocked()
            return [SecretKey(key.buffer) for key in self._keys]

    def wait_unlocked(self, timeout: float | None = None) -> bool:
        """Blocks until the receiver is unlocked (or the timeout passes); returns whether it is."""
        return self._unlocked_event.wait(timeout)

    def add_listener(self, listener: Callable[[Attempt], None]) -> Callable[[], None]:
        """Called after every signed request (unlock, lock, statement), accepted or refused; no key material.
        Returns a function that removes the listener."""
        return _subscribe(self._listeners, listener)

    def on_lock(self, listener: Callable[[LockEvent], None]) -> Callable[[], None]:
        """Called after every lock, remote or local, once the keys are wiped (so ``get_fernet()`` already raises
        ``ReceiverLocked``) and before a remote lock is answered; a host agent uses it to cut its clients off at
        once. Returns a function that removes the listener."""
        return _subscribe(self._lock_listeners, listener)

    def on_rekey(self, listener: Callable[[RekeyEvent], None]) -> Callable[[], None]:
        """Called after a rekey swapped the keys (§12.12), before it is answered: ``get_fernet()`` and
        ``copy_keys()`` give the new set from here on, and the MultiFernet handed out before is revoked. An
        application that keeps its own copy (its own MultiFernet) replaces it here. Returns a remover."""
        return _subscribe(self._rekey_listeners, listener)

    def on_key_checks(self, listener: Callable[[KeyChecksEvent], None]) -> Callable[[], None]:
        """Called after every re-read of the key checks (status, ``reload_key_checks``). Returns a remover."""
        return _subscribe(self._key_check_listeners, listener)

    def report_tokens_under_previous(self, reporter: TokensReporter | None) -> None:
        """Registers the application's count of tokens still under a non-current key (e.g.
        ``lambda: count_under_previous(fetch, fernet_source=receiver.get_fernet)``), or ``None`` to stop. It is
        called at every status request, outside the receiver's lock; keep it quick (cache it if counting reads
        every row). ``None``, an exception (e.g. ``ReceiverLocked``) or a value that is not a non-negative
        integer is reported as ``null``: unknown."""
        self._tokens_reporter = reporter

    def reload_key_checks(self) -> KeyChecksEvent:
        """Re-reads the key checks from their source (a no-op for a fixed list). A source that fails or gives an
        invalid list leaves the current list in place. The demo server calls it on SIGHUP; ``status()`` too."""
        source = self._key_check_source
        if source is None:
            return KeyChecksEvent(True, self._key_checks)
        try:
            checks = checked_key_checks(list(source()))
        except ConfigError as error:
            event = KeyChecksEvent(False, self._key_checks, error=error.code)
        except Exception:  # the application's callback: its failure must not take the status down
            event = KeyChecksEvent(False, self._key_checks, error="INVALID_CONFIG")
        else:
            with self._mutex:
                changed, self._key_checks = checks != self._key_checks, checks
            event = KeyChecksEvent(True, checks, changed)
        _tell(self._key_check_listeners, event)
        return event

    def on_unlock(self, listener: Callable[[UnlockEvent], None]) -> Callable[[], None]:
        """Called after a push installed the keys, before it is answered (``copy_keys()`` works from here).
        Returns a function that removes the listener."""
        return _subscribe(self._unlock_listeners, listener)

    # ---- protocol -----------------------------------------------------------------------------------------

    def status(self, client_nonce: str | None = None) -> Answer:
        """``GET {base}/status[?nonce=…]``: the signed status with a fresh challenge (both states) and the
        client's nonce echoed (§12.2). A nonce that is not b64u of 16 bytes is ``BAD_REQUEST``."""
        if client_nonce is not None and b64u_decode(client_nonce, 16) is None:
            return refusal_answer("BAD_REQUEST")
        self.reload_key_checks()
        tokens = self._tokens_under_previous()
        with self._mutex:
            now = self._now()
            assert self._challenges is not None
            challenge, expires_at = self._challenges.issue(now)
            payload = {
                "protocol": PROTOCOL,
                "type": "status",
                "server_id": self._server_id,
                "identity": self._identity,
                "boot_id": self._boot_id,
                "state": self.state,
                "issued_at": now,
                "client_nonce": client_nonce,
                "challenge": challenge,
                "challenge_expires_at": expires_at,
                # locked: the boot's key for unlock; unlocked: the rekey key (§12.12)
                "ephemeral_key": b64u_encode(self._ephemeral_public) if self._ephemeral_public else None,
                "key_checks": list(self._key_checks),
                "installed_key_ids": list(self._installed_ids),
                "tokens_under_previous": tokens,
            }
            if self._vault is not None:
                payload["vault_login"] = self._vault.status_member()  # §12.13, only when configured
        return Answer(200, {"protocol": PROTOCOL, "status": sign_jws("custodian-status+jws", payload, self._identity_key)})

    def unlock(self, body: bytes | bytearray, content_type: str | None) -> Answer:
        """``POST {base}/unlock`` with the raw body. Never raises; a refusal carries a code of protocol §7."""
        return self._attempt("unlock", lambda: self._check_and_install(bytes(body), content_type))

    def remote_lock(self, body: bytes | bytearray, content_type: str | None) -> Answer:
        """``POST {base}/lock`` (§12.4): a signed lock request from an authorized custodian. Never raises."""
        return self._attempt("lock", lambda: self._check_and_lock(bytes(body), content_type))

    def rekey(self, body: bytes | bytearray, content_type: str | None) -> Answer:
        """``POST {base}/rekey`` (§12.12): replace the keys of an unlocked receiver. Never raises."""
        return self._attempt("rekey", lambda: self._check_and_rekey(bytes(body), content_type))

    def statement(self, body: bytes | bytearray, content_type: str | None) -> Answer:
        """``POST {base}/custodians`` (§12.5): a custodian hand-over or revocation. Never raises."""
        return self._attempt("statement", lambda: self._check_and_apply(bytes(body), content_type))

    def refuse(self, event: Event, code: RefusalCode) -> Answer:
        """A signed request the HTTP layer refused before reading it (``BODY_TOO_LARGE``): answered and reported
        to the listeners like any other attempt."""
        return self._notify(refusal_answer(code, attempt=True, event=event))

    def refuse_unlock(self, code: RefusalCode) -> Answer:
        return self.refuse("unlock", code)

    def identity_handovers(self) -> Answer:
        """``GET {base}/identity`` (§12.6): the receiver's identity hand-overs, oldest first."""
        return Answer(200, {"protocol": PROTOCOL, "handovers": list(self._handovers)})

    def metrics_text(self) -> str:
        """``GET {base}/metrics`` (§12.7) in the Prometheus text format; nothing secret."""
        with self._mutex:
            unlocked, boot_time = self.state == "unlocked", self._boot_time
        return self._metrics.render(
            server_id=self._server_id, identity=self._identity, protocol=PROTOCOL, unlocked=unlocked, boot_time=boot_time
        )

    def lock(self) -> None:
        """Wipes the installed keys, revokes the MultiFernet handed out, and starts a new boot."""
        with self._mutex:
            event = self._lock_now(remote=False, custodian=None)
        if self._vault is not None:
            self._vault.wait_revoked(self._vault.settings.timeout)
        self._metrics.count_lock()
        self._tell_lock(event)

    # ---- internals ------------------------------------------------------------------------------------------

    def _now(self) -> int:
        return int(self._clock())

    def _tokens_under_previous(self) -> int | None:
        reporter = self._tokens_reporter
        if reporter is None:
            return None
        try:
            count = reporter()
        except Exception:  # ReceiverLocked, a database error: unknown, never a failed status
            return None
        return count if isinstance(count, int) and not isinstance(count, bool) and 0 <= count <= 2**53 - 1 else None

    def _attempt(self, event: Event, run: Callable[[], tuple[Answer, LockEvent | UnlockEvent | RekeyEvent | None]]) -> Answer:
        happened = None
        try:
            answer, happened = run()
        except Refusal as refusal:
            answer = refusal_answer(refusal.code, attempt=True, event=event)
        except Exception:  # a bug must not leak details or take the receiver down
            answer = refusal_answer("INTERNAL", attempt=True, event=event)
        if isinstance(happened, LockEvent):
            self._tell_lock(happened)
        elif isinstance(happened, UnlockEvent):
            _tell(self._unlock_listeners, happened)
        elif isinstance(happened, RekeyEvent):
            _tell(self._rekey_listeners, happened)
        return self._notify(answer)

    def _notify(self, answer: Answer) -> Answer:
        attempt = answer.attempt
        if attempt is not None:
            if not attempt.ok:
                self._metrics.count_refusal(attempt.error or "INTERNAL")
            elif attempt.event == "unlock":
                self._metrics.count_unlock()
            elif attempt.event == "lock":
                self._metrics.count_lock()
            elif attempt.event == "rekey":
                self._metrics.count_rekey()
            elif attempt.applied:
                self._metrics.count_statement()
            _tell(self._listeners, attempt)
        return answer

    def _tell_lock(self, event: LockEvent) -> None:
        _tell(self._lock_listeners, event)

    def _new_boot(self, boot: BootState | None) -> None:
        if self._challenges is not None:
            self._challenges.wipe()
        if boot is not None:
            self._boot_id = boot.boot_id
            self._ephemeral = X25519PrivateKey.from_private_bytes(boot.ephemeral_private_key)
            self._challenges = ChallengeBook(boot.boot_id, boot.challenge_secret, self._random_bytes, boot.spent)
        else:
            self._boot_id = b64u_encode(self._random_bytes(16))
            self._ephemeral = self._new_ephemeral_key()
            self._challenges = ChallengeBook(self._boot_id, self._random_bytes(SECRET_BYTES), self._random_bytes)
        self._ephemeral_public = x25519_public_raw(self._ephemeral)
        self._boot_time = self._now()

    def _lock_now(self, *, remote: bool, custodian: str | None) -> LockEvent:
        """Under the mutex: wipe the keys, revoke the MultiFernet, start a new boot."""
        if self._fernet is not None:
            self._fernet.revoke()
            self._fernet = None
        for key in self._keys:
            key.wipe()
        self._keys = []
        self._installed_ids = ()
        self._unlocked_event.clear()
        if self._vault is not None:
            self._vault.forget()  # §12.13: the Vault token goes with the keys (revoked in the background)
        locked_boot = self._boot_id
        self._new_boot(None)
        return LockEvent(locked_boot, self._boot_id, remote, custodian)

    def _custodian_label(self, signer: str) -> str:
        """Step 8 of revision 2: the signer (whose signature verified) must be an effective custodian."""
        label = self._registry.label_of(signer)
        if label is None:
            raise Refusal("UNKNOWN_CUSTODIAN")
        return label

    def _check_binding(self, request: BoundRequest) -> None:
        """Step 10: this server, this identity, this boot."""
        if request.server_id != self._server_id or request.receiver_identity != self._identity:
            raise Refusal("WRONG_SERVER")
        if request.boot_id != self._boot_id:
            raise Refusal("WRONG_BOOT")

    def _spend(self, challenge: str) -> int:
        """Step 11: the challenge is used up from here on, whatever happens next. Returns now."""
        now = self._now()
        assert self._challenges is not None
        self._challenges.spend(challenge, now)
        return now

    def _check_and_install(self, body: bytes, content_type: str | None) -> tuple[Answer, UnlockEvent]:
        token = read_envelope(body, content_type, "request")  # 1-2
        jws = parse_signed(token, "custodian-unlock+jws")  # 3-7: shape, alg, typ, header, signature
        with self._mutex:
            custodian_name = self._custodian_label(jws.signer)  # 8
            request = parse_unlock_payload(jws.payload, jws.signer, vault_enabled=self._vault is not None)  # 9
            self._check_binding(request)  # 10
            if self.state == "unlocked" or self._ephemeral is None:
                raise Refusal("ALREADY_UNLOCKED")
            if request.key_ids[0] != self._key_checks[0] and not self._allow_older_current_key:
                raise Refusal("KEY_ORDER_REFUSED")  # 10a: the old key must not silently become the current one
            now = self._spend(request.challenge)  # 11
            # 12. HPKE Open, bound to this receiver's own values and the verified signer
            info = hpke_info(self._server_id, self._identity, self._boot_id, request.challenge, jws.signer)
            plaintext = hpke_open(self._ephemeral, request.sealed, info)
            if plaintext is None:
                raise Refusal("DECRYPT_FAILED")
            wrap = None if request.vault_role is None else take_wrap_token(plaintext, len(request.key_ids), KEY_BYTES)  # 13, §12.13
            try:
                keys = _checked_keys(plaintext, request.key_ids, self._key_checks, extra=len(wrap or b""))  # 13-14, wipes on refusal
            except BaseException:
                if wrap is not None:
                    wrap[:] = bytes(len(wrap))
                raise
            # 15. install, forget the ephemeral key, sign the receipt
            self._keys = keys
            self._installed_ids = request.key_ids
            self._fernet = ReceiverFernet(keys)
            self._new_rekey_key()  # the boot's unlock key is dropped; the next rekey seals to a fresh one
            self._unlocked_event.set()
            boot_id = self._boot_id
            vault_generation = self._vault.generation() if self._vault is not None else 0
        receipt_vault: dict[str, str] = {}
        if wrap is not None and self._vault is not None and request.vault_role is not None:
            # Outside the mutex: Vault is a network call (bounded by its timeout); the keys are already installed.
            receipt_vault["vault_login"] = self._vault.deliver(wrap, request.vault_role, vault_generation)
        receipt = self._receipt(
            "custodian-receipt+jws", "receipt", boot_id, request.challenge, jws.signer, token,
            {"key_ids": list(request.key_ids), "installed_at": now, **receipt_vault},
        )
        attempt = Attempt(ok=True, key_ids=request.key_ids, custodian=jws.signer, custodian_name=custodian_name, boot_id=boot_id)
        return Answer(200, {"protocol": PROTOCOL, "receipt": receipt}, attempt), UnlockEvent(boot_id, request.key_ids, jws.signer)

    def _receipt(
        self, typ: MessageType, kind: str, boot_id: str, challenge: str, custodian: str, token: str, fields: dict[str, Any]
    ) -> str:
        """A signed receipt (unlock §5.3, lock §12.4, rekey §12.12): the shared bindings, the message's own
        ``fields`` in order, then the hash of the request it answers."""
        payload = {
            "protocol": PROTOCOL, "type": kind, "server_id": self._server_id, "identity": self._identity, "boot_id": boot_id,
            "challenge": challenge, "custodian": custodian, **fields, "request_hash": _request_hash(token),
        }
        return sign_jws(typ, payload, self._identity_key)

    def _new_rekey_key(self) -> None:
        """Drops the current X25519 private key (unlock or previous rekey key) and draws the next rekey key."""
        self._ephemeral = self._new_ephemeral_key()
        self._ephemeral_public = x25519_public_raw(self._ephemeral)

    def _check_and_rekey(self, body: bytes, content_type: str | None) -> tuple[Answer, RekeyEvent]:
        token = read_envelope(body, content_type, "request")  # §6 steps 1-2
        jws = parse_signed(token, "custodian-rekey+jws")  # 3-7
        with self._mutex:
            custodian_name = self._custodian_label(jws.signer)  # 8
            request = parse_rekey_payload(jws.payload, jws.signer)  # 9
            self._check_binding(request)  # 10
            if self.state != "unlocked" or self._ephemeral is None:
                raise Refusal("NOT_UNLOCKED")
            if request.key_ids[0] != self._key_checks[0] and not self._allow_older_current_key:
                raise Refusal("KEY_ORDER_REFUSED")
            dropped = tuple(key for key in self._installed_ids if key not in request.key_ids)
            if request.retire != dropped:
                raise Refusal("RETIRE_MISMATCH")  # the current key is dropped only when named; a stale request fails
            now = self._spend(request.challenge)  # the challenge is spent from here on
            info = hpke_info(self._server_id, self._identity, self._boot_id, request.challenge, jws.signer, rekey=True)
            plaintext = hpke_open(self._ephemeral, request.sealed, info)
            if plaintext is None:
                raise Refusal("DECRYPT_FAILED")
            keys = _checked_keys(plaintext, request.key_ids, self._key_checks)  # wipes on refusal
            # Swap in one step: get_fernet() gives the new set from here; the old keys are wiped, the old
            # MultiFernet revoked (a request still holding it gets ReceiverLocked, never a wiped key).
            old_keys, old_fernet, replaced = self._keys, self._fernet, self._installed_ids
            self._keys, self._installed_ids, self._fernet = keys, request.key_ids, ReceiverFernet(keys)
            if old_fernet is not None:
                old_fernet.revoke()
            for key in old_keys:
                key.wipe()
            self._new_rekey_key()
            boot_id = self._boot_id
        receipt = self._receipt(
            "custodian-rekey-receipt+jws", "rekey_receipt", boot_id, request.challenge, jws.signer, token,
            {"key_ids": list(request.key_ids), "replaced_key_ids": list(replaced), "retired": list(request.retire), "installed_at": now},
        )
        attempt = Attempt(
            ok=True, key_ids=request.key_ids, custodian=jws.signer, custodian_name=custodian_name, boot_id=boot_id, event="rekey",
            retired=request.retire,
        )
        event = RekeyEvent(boot_id, request.key_ids, replaced, request.retire, jws.signer)
        return Answer(200, {"protocol": PROTOCOL, "receipt": receipt}, attempt), event

    def _check_and_lock(self, body: bytes, content_type: str | None) -> tuple[Answer, LockEvent]:
        token = read_envelope(body, content_type, "request")
        jws = parse_signed(token, "custodian-lock+jws")
        with self._mutex:
            custodian_name = self._custodian_label(jws.signer)
            request = parse_lock_payload(jws.payload, jws.signer)
            self._check_binding(request)  # no ALREADY_UNLOCKED: locking a locked receiver starts a new boot
            now = self._spend(request.challenge)
            event = self._lock_now(remote=True, custodian=jws.signer)
        if self._vault is not None:
            self._vault.wait_revoked(self._vault.settings.timeout)
        receipt = self._receipt(
            "custodian-lock-receipt+jws", "lock_receipt", event.locked_boot_id, request.challenge, jws.signer, token, {"locked_at": now}
        )
        attempt = Attempt(ok=True, custodian=jws.signer, custodian_name=custodian_name, boot_id=event.locked_boot_id, event="lock")
        return Answer(200, {"protocol": PROTOCOL, "receipt": receipt}, attempt), event

    def _check_and_apply(self, body: bytes, content_type: str | None) -> tuple[Answer, None]:
        check_media_and_size(body, content_type)
        if self._statements is None:
            raise Refusal("STATEMENTS_DISABLED")
        token = read_envelope(body, content_type, "statement")
        with self._mutex:
            outcome = self._registry.apply(token, persist=self._statements.append)
            statement = outcome.statement
            name = self._registry.label_of(statement.signer)
        attempt = Attempt(
            ok=True,
            custodian=statement.signer,
            custodian_name=name,
            event="statement",
            statement_type=statement.type,
            subject=statement.subject,
            applied=outcome.applied,
        )
        return Answer(200, {"protocol": PROTOCOL, "applied": outcome.applied}, attempt), None


def _subscribe(listeners: list[Any], listener: Any) -> Callable[[], None]:
    listeners.append(listener)

    def remove() -> None:
        with contextlib.suppress(ValueError):
            listeners.remove(listener)

    return remove


def _tell(listeners: list[Any], event: object) -> None:
    for listener in list(listeners):
        with contextlib.suppress(Exception):  # a broken listener must not change the answer
            listener(event)


def _request_hash(token: str) -> str:
    return b64u_encode(sha256(token.encode("ascii")).digest())


def _checked_keys(plaintext: bytes, key_ids: tuple[str, ...], key_checks: tuple[str, ...], extra: int = 0) -> list[SecretKey]:
    """Steps 13-14: whole keys, one per key id, each matching its id and a configured key check. ``extra``: the
    bytes of a Vault wrapping token after the keys (§12.13), already taken by the caller."""
    keys: list[SecretKey] = []
    try:
        if len(plaintext) != KEY_BYTES * len(key_ids) + extra:
            raise Refusal("BAD_PAYLOAD")
        with memoryview(plaintext) as view:
            for index, expected in enumerate(key_ids):
                key = SecretKey(view[index * KEY_BYTES : (index + 1) * KEY_BYTES])  # copied into a bytearray
                keys.append(key)
                actual = key_id(key.buffer)
                if actual != expected or actual not in key_checks:
                    raise Refusal("KEY_CHECK_FAILED")
        return keys
    except BaseException:
        for key in keys:
            key.wipe()
        raise
    finally:
        scrub_bytes(plaintext)


def _custodian_entries(source: str | Iterable[AuthorizedCustodian | str]) -> tuple[AuthorizedCustodian, ...]:
    entries = parse_authorized_custodians(source) if isinstance(source, str) else [
        entry if isinstance(entry, AuthorizedCustodian) else AuthorizedCustodian(entry, "") for entry in source
    ]
    unique: dict[str, AuthorizedCustodian] = {}
    for entry in entries:
        if not is_fingerprint(entry.fingerprint):
            raise ConfigError("INVALID_CONFIG", "an authorized custodian is not an ed25519: fingerprint")
        unique[entry.fingerprint] = entry
    if not unique:
        raise ConfigError("INVALID_CONFIG", "the authorized-custodians file lists no custodian")
    return tuple(unique.values())
