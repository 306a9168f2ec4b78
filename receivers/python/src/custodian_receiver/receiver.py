"""The receiver's protocol state machine (docs/protocol.md §5-6), without HTTP.

A receiver starts **locked**. ``status()`` answers the signed status and, while locked, issues single-use
challenges; ``unlock()`` runs the checks of §6 in their documented order and installs the keys only when all
pass; ``lock()`` wipes the keys and starts a new boot. Thread-safe: one lock guards the state.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from .config_files import (
    AuthorizedCustodian,
    load_or_create_identity_key,
    parse_authorized_custodians,
    read_authorized_custodians,
)
from .errors import REFUSALS, ConfigError, ReceiverLocked, Refusal, RefusalCode
from .fernet_keys import ReceiverFernet
from .hpke import hpke_info, hpke_open, x25519_public_raw
from .jws import parse_jws, raw_public_key, sign_jws, verify_jws
from .key_id import key_id
from .secret_memory import SecretKey, scrub_bytes
from .wire import (
    CHALLENGE_TTL_SECONDS,
    KEY_BYTES,
    MAX_BODY_BYTES,
    MAX_KEYS,
    MAX_OUTSTANDING_CHALLENGES,
    PROTOCOL,
    b64u_decode,
    b64u_encode,
    fingerprint_of,
    has_exactly,
    is_fingerprint,
    is_key_id_value,
    is_server_id,
    is_time,
    parse_json_object,
)

State = Literal["locked", "unlocked"]
MEDIA_TYPE = "application/json"


@dataclass(frozen=True)
class BootState:
    """A fixed boot to start from instead of a random one (the wire test vectors use it)."""

    boot_id: str
    ephemeral_private_key: bytes
    challenges: Sequence[tuple[str, int]] = ()  # (challenge, expires_at)


@dataclass(frozen=True)
class UnlockAttempt:
    """What happened to one ``POST {base}/unlock`` (no key material): the demo server logs it."""

    ok: bool
    error: RefusalCode | None = None
    key_ids: tuple[str, ...] = ()
    custodian: str | None = None
    custodian_name: str | None = None
    boot_id: str | None = None


@dataclass(frozen=True)
class Answer:
    """An HTTP-independent answer: status code and JSON body; ``attempt`` is set for unlock requests."""

    http_status: int
    body: dict[str, Any]
    attempt: UnlockAttempt | None = None
    headers: tuple[tuple[str, str], ...] = field(default=())


def refusal_answer(code: RefusalCode, *, attempt: bool = False, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    status, message = REFUSALS[code]
    return Answer(
        status,
        {"protocol": PROTOCOL, "error": {"code": code, "message": message}},
        UnlockAttempt(ok=False, error=code) if attempt else None,
        headers,
    )


@dataclass(frozen=True)
class _UnlockRequest:
    server_id: str
    receiver_identity: str
    boot_id: str
    challenge: str
    key_ids: tuple[str, ...]
    sealed: bytes


_REQUEST_MEMBERS = (
    "protocol", "type", "server_id", "receiver_identity", "boot_id", "challenge", "custodian", "key_ids", "issued_at", "sealed",
)


KEY_CHECK_NOT_A_KEY_ID = (
    "a --key-check value is not a key id (K1-XXXX-XXXX-XXXX-XXXX); "
    "if you passed the key itself, treat it as exposed and rotate it"
)


def check_settings(
    *, server_id: str, key_checks: Iterable[str], authorized_custodians: str | Iterable[AuthorizedCustodian | str]
) -> tuple[tuple[str, ...], dict[str, str]]:
    """Checks what needs no identity key; returns the key checks (deduplicated) and the custodian names.

    Errors never quote the values: a key check that is not a key id may be the key itself, pasted by mistake.
    """
    if not is_server_id(server_id):
        raise ConfigError(
            "INVALID_CONFIG", "the server id must be 1-64 characters of A-Z a-z 0-9 . _ - (starting with a letter or digit)"
        )
    checks = tuple(dict.fromkeys(key_checks))
    if not checks:
        raise ConfigError("INVALID_CONFIG", "at least one key check (key id) is required")
    if not all(is_key_id_value(check) for check in checks):
        raise ConfigError("INVALID_CONFIG", KEY_CHECK_NOT_A_KEY_ID)
    return checks, _custodian_names(authorized_custodians)


class Receiver:
    """One receiver: identity, authorized custodians, key checks, and the locked/unlocked state.

    ``clock`` returns Unix seconds, ``random_bytes(n)`` gives boot ids and challenges, ``new_ephemeral_key``
    the per-boot X25519 key; tests replace them, production code never needs to.
    """

    def __init__(
        self,
        *,
        server_id: str,
        identity_key: Ed25519PrivateKey,
        authorized_custodians: str | Iterable[AuthorizedCustodian | str],
        key_checks: Iterable[str],
        clock: Callable[[], float] = time.time,
        random_bytes: Callable[[int], bytes] = os.urandom,
        new_ephemeral_key: Callable[[], X25519PrivateKey] = X25519PrivateKey.generate,
        boot: BootState | None = None,
    ) -> None:
        checks, custodians = check_settings(server_id=server_id, key_checks=key_checks, authorized_custodians=authorized_custodians)
        if not isinstance(identity_key, Ed25519PrivateKey):
            raise ConfigError("INVALID_CONFIG", "the identity key must be an Ed25519 private key")
        self._server_id = server_id
        self._identity_key = identity_key
        self._identity = fingerprint_of(raw_public_key(identity_key))
        self._key_checks = checks
        self._custodians = custodians
        self._clock = clock
        self._random_bytes = random_bytes
        self._new_ephemeral_key = new_ephemeral_key
        self._mutex = threading.RLock()
        self._unlocked_event = threading.Event()
        self._listeners: list[Callable[[UnlockAttempt], None]] = []
        self._lock_listeners: list[Callable[[], None]] = []
        self._keys: list[SecretKey] = []
        self._installed_ids: tuple[str, ...] = ()
        self._fernet: ReceiverFernet | None = None
        self._challenges: OrderedDict[str, int] = OrderedDict()
        self._boot_id = ""
        self._ephemeral: X25519PrivateKey | None = None
        self._ephemeral_public: bytes | None = None
        self._new_boot(boot)

    @classmethod
    def from_files(
        cls,
        *,
        identity_key_file: str | os.PathLike[str],
        authorized_custodians_file: str | os.PathLike[str],
        key_checks: Iterable[str],
        server_id: str,
    ) -> Receiver:
        """The usual way to build one: identity key file (created 0600 if missing) and custodians file.

        Everything else is checked before the identity key file is touched, so a refused configuration does not
        leave a new key file behind.
        """
        custodians = read_authorized_custodians(authorized_custodians_file)
        key_checks = list(key_checks)
        check_settings(server_id=server_id, key_checks=key_checks, authorized_custodians=custodians)
        identity_key, _created = load_or_create_identity_key(identity_key_file)
        return cls(server_id=server_id, identity_key=identity_key, authorized_custodians=custodians, key_checks=key_checks)

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

    def get_fernet(self) -> ReceiverFernet:
        """cryptography's MultiFernet over the pushed keys, current first; raises ``ReceiverLocked`` while locked.

        Do not keep it beyond a request: after ``lock()`` it raises ``ReceiverLocked`` too.
        """
        with self._mutex:
            if self._fernet is None:
                raise ReceiverLocked()
            return self._fernet

    def wait_unlocked(self, timeout: float | None = None) -> bool:
        """Blocks until the receiver is unlocked (or the timeout passes); returns whether it is."""
        return self._unlocked_event.wait(timeout)

    def add_listener(self, listener: Callable[[UnlockAttempt], None]) -> None:
        """Called after every unlock attempt, accepted or refused (no key material in it)."""
        self._listeners.append(listener)

    def on_lock(self, listener: Callable[[], None]) -> None:
        """Called after every ``lock()``, once the keys are wiped (the host agent closes its clients then)."""
        self._lock_listeners.append(listener)

    def copy_keys(self) -> list[SecretKey]:
        """Copies of the installed keys, current first, each in its own ``SecretKey`` that the caller MUST
        ``wipe()`` when done; raises ``ReceiverLocked`` while locked. For the host agent (docs/agent.md), which
        hands the keys to the application's processes; an application in this process uses ``get_fernet()``."""
        with self._mutex:
            if not self._keys:
                raise ReceiverLocked()
            return [SecretKey(key.buffer) for key in self._keys]

    # ---- protocol -----------------------------------------------------------------------------------------

    def status(self) -> Answer:
        """``GET {base}/status``: the signed status; while locked it issues a fresh single-use challenge."""
        with self._mutex:
            now = self._now()
            locked = self.state == "locked"
            challenge: str | None = None
            if locked:
                self._drop_expired(now)
                while len(self._challenges) >= MAX_OUTSTANDING_CHALLENGES:
                    self._challenges.popitem(last=False)
                challenge = b64u_encode(self._random_bytes(32))
                self._challenges[challenge] = now + CHALLENGE_TTL_SECONDS
            payload = {
                "protocol": PROTOCOL,
                "type": "status",
                "server_id": self._server_id,
                "identity": self._identity,
                "boot_id": self._boot_id,
                "state": self.state,
                "issued_at": now,
                "challenge": challenge,
                "challenge_expires_at": None if challenge is None else now + CHALLENGE_TTL_SECONDS,
                "ephemeral_key": b64u_encode(self._ephemeral_public) if locked and self._ephemeral_public else None,
                "key_checks": list(self._key_checks),
                "installed_key_ids": list(self._installed_ids),
            }
        return Answer(200, {"protocol": PROTOCOL, "status": sign_jws("custodian-status+jws", payload, self._identity_key)})

    def unlock(self, body: bytes | bytearray, content_type: str | None) -> Answer:
        """``POST {base}/unlock`` with the raw body. Never raises; a refusal carries a code of protocol §7."""
        try:
            attempt, receipt = self._check_and_install(bytes(body), content_type)
            answer = Answer(200, {"protocol": PROTOCOL, "receipt": receipt}, attempt)
        except Refusal as refusal:
            answer = refusal_answer(refusal.code, attempt=True)
        except Exception:  # a bug must not leak details or take the receiver down
            answer = refusal_answer("INTERNAL", attempt=True)
        return self._notify(answer)

    def refuse_unlock(self, code: RefusalCode) -> Answer:
        """An unlock attempt the HTTP layer refused before reading it (``BODY_TOO_LARGE``): answered and
        reported to the listeners like any other attempt."""
        return self._notify(refusal_answer(code, attempt=True))

    def _notify(self, answer: Answer) -> Answer:
        if answer.attempt is not None:
            for listener in list(self._listeners):
                with contextlib.suppress(Exception):  # a broken listener must not change the answer
                    listener(answer.attempt)
        return answer

    def lock(self) -> None:
        """Wipes the installed keys, revokes the MultiFernet handed out, and starts a new boot."""
        with self._mutex:
            if self._fernet is not None:
                self._fernet.revoke()
                self._fernet = None
            for key in self._keys:
                key.wipe()
            self._keys = []
            self._installed_ids = ()
            self._unlocked_event.clear()
            self._new_boot(None)
        for listener in list(self._lock_listeners):
            with contextlib.suppress(Exception):  # a broken listener must not stop the lock
                listener()

    # ---- internals ------------------------------------------------------------------------------------------

    def _now(self) -> int:
        return int(self._clock())

    def _new_boot(self, boot: BootState | None) -> None:
        self._challenges.clear()
        if boot is not None:
            self._boot_id = boot.boot_id
            self._ephemeral = X25519PrivateKey.from_private_bytes(boot.ephemeral_private_key)
            for challenge, expires_at in boot.challenges:
                self._challenges[challenge] = expires_at
        else:
            self._boot_id = b64u_encode(self._random_bytes(16))
            self._ephemeral = self._new_ephemeral_key()
        self._ephemeral_public = x25519_public_raw(self._ephemeral)

    def _drop_expired(self, now: int) -> None:
        for challenge in [c for c, expires_at in self._challenges.items() if now > expires_at]:
            del self._challenges[challenge]

    def _check_and_install(self, body: bytes, content_type: str | None) -> tuple[UnlockAttempt, str]:
        # 1. media type and size (the HTTP layer also stops reading early)
        if (content_type or "").split(";")[0].strip().lower() != MEDIA_TYPE:
            raise Refusal("UNSUPPORTED_MEDIA_TYPE")
        if len(body) > MAX_BODY_BYTES:
            raise Refusal("BODY_TOO_LARGE")
        # 2. envelope
        envelope = parse_json_object(body)
        if envelope is None:
            raise Refusal("BAD_REQUEST")
        if isinstance(envelope.get("protocol"), str) and envelope["protocol"] != PROTOCOL:
            raise Refusal("UNSUPPORTED_PROTOCOL")
        token = envelope.get("request")
        if not has_exactly(envelope, ("protocol", "request")) or envelope["protocol"] != PROTOCOL or not isinstance(token, str):
            raise Refusal("BAD_REQUEST")
        # 3-6. JWS shape, alg, typ, header
        jws = parse_jws(token, "custodian-unlock+jws")
        # 7. authorized custodian
        custodian_name = self._custodians.get(jws.signer)
        if custodian_name is None:
            raise Refusal("UNKNOWN_CUSTODIAN")
        # 8. signature
        if not verify_jws(jws):
            raise Refusal("BAD_SIGNATURE")
        # 9. payload
        request = _parse_request_payload(jws.payload, jws.signer)
        with self._mutex:
            # 10. server, boot, state
            if request.server_id != self._server_id or request.receiver_identity != self._identity:
                raise Refusal("WRONG_SERVER")
            if request.boot_id != self._boot_id:
                raise Refusal("WRONG_BOOT")
            if self.state == "unlocked" or self._ephemeral is None:
                raise Refusal("ALREADY_UNLOCKED")
            # 11. challenge: single use from here on, whatever happens next
            now = self._now()
            expires_at = self._challenges.pop(request.challenge, None)
            if expires_at is None:
                raise Refusal("UNKNOWN_CHALLENGE")
            if now > expires_at:
                raise Refusal("CHALLENGE_EXPIRED")
            # 12. HPKE Open, bound to this receiver's own values and the verified signer
            info = hpke_info(self._server_id, self._identity, self._boot_id, request.challenge, jws.signer)
            plaintext = hpke_open(self._ephemeral, request.sealed, info)
            if plaintext is None:
                raise Refusal("DECRYPT_FAILED")
            keys = _checked_keys(plaintext, request.key_ids, self._key_checks)  # 13-14, wipes on refusal
            # 15. install, forget the ephemeral key and every challenge, sign the receipt
            self._keys = keys
            self._installed_ids = request.key_ids
            self._fernet = ReceiverFernet(keys)
            self._ephemeral = None
            self._ephemeral_public = None
            self._challenges.clear()
            self._unlocked_event.set()
            boot_id = self._boot_id
        receipt = sign_jws(
            "custodian-receipt+jws",
            {
                "protocol": PROTOCOL,
                "type": "receipt",
                "server_id": self._server_id,
                "identity": self._identity,
                "boot_id": boot_id,
                "challenge": request.challenge,
                "custodian": jws.signer,
                "key_ids": list(request.key_ids),
                "installed_at": now,
                "request_hash": b64u_encode(sha256(token.encode("ascii")).digest()),
            },
            self._identity_key,
        )
        attempt = UnlockAttempt(ok=True, key_ids=request.key_ids, custodian=jws.signer, custodian_name=custodian_name, boot_id=boot_id)
        return attempt, receipt


def _checked_keys(plaintext: bytes, key_ids: tuple[str, ...], key_checks: tuple[str, ...]) -> list[SecretKey]:
    """Steps 13-14: whole keys, one per key id, each matching its id and a configured key check."""
    keys: list[SecretKey] = []
    try:
        if len(plaintext) != KEY_BYTES * len(key_ids):
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


def _parse_request_payload(data: bytes, signer: str) -> _UnlockRequest:
    """Step 9: a JSON object with exactly the members of §5.2, in their formats, naming the signer."""
    payload = parse_json_object(data)
    if payload is None:
        raise Refusal("BAD_REQUEST")
    if payload.get("protocol") != PROTOCOL:
        raise Refusal("UNSUPPORTED_PROTOCOL" if isinstance(payload.get("protocol"), str) else "BAD_REQUEST")
    if payload.get("type") != "unlock":
        raise Refusal("WRONG_MESSAGE_TYPE")
    if not has_exactly(payload, _REQUEST_MEMBERS):
        raise Refusal("BAD_REQUEST")
    key_ids = payload["key_ids"]
    sealed = b64u_decode(payload["sealed"])
    valid = (
        is_server_id(payload["server_id"])
        and is_fingerprint(payload["receiver_identity"])
        and b64u_decode(payload["boot_id"], 16) is not None
        and b64u_decode(payload["challenge"], 32) is not None
        and is_fingerprint(payload["custodian"])
        and isinstance(key_ids, list)
        and 1 <= len(key_ids) <= MAX_KEYS
        and all(is_key_id_value(k) for k in key_ids)
        and len(set(key_ids)) == len(key_ids)
        and is_time(payload["issued_at"])
        and sealed is not None
    )
    if not valid or payload["custodian"] != signer or sealed is None:
        raise Refusal("BAD_REQUEST")
    return _UnlockRequest(
        server_id=payload["server_id"],
        receiver_identity=payload["receiver_identity"],
        boot_id=payload["boot_id"],
        challenge=payload["challenge"],
        key_ids=tuple(key_ids),
        sealed=sealed,
    )


def _custodian_names(source: str | Iterable[AuthorizedCustodian | str]) -> dict[str, str]:
    entries = parse_authorized_custodians(source) if isinstance(source, str) else [
        entry if isinstance(entry, AuthorizedCustodian) else AuthorizedCustodian(entry, "") for entry in source
    ]
    names: dict[str, str] = {}
    for entry in entries:
        if not is_fingerprint(entry.fingerprint):
            raise ConfigError("INVALID_CONFIG", "an authorized custodian is not an ed25519: fingerprint")
        names[entry.fingerprint] = entry.name
    if not names:
        raise ConfigError("INVALID_CONFIG", "the authorized-custodians file lists no custodian")
    return names
