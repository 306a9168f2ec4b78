"""Stateless, unexhaustible challenges (protocol §12.1).

A receiver keeps no table of issued challenges, so a status flood cannot evict the one a custodian is about to
use. A challenge carries its own issue time and is authenticated with a per-boot secret:

    challenge = issued_at (8 bytes, big-endian) || nonce (8 random bytes) || tag (16 bytes)
    tag       = HMAC-SHA256(secret, "custodian-challenge/1" 0x00 boot_id 0x00 issued_at||nonce)[:16]

Only a challenge that a signed, authorized request spends is remembered (the *spent set*, single use), and only
until it expires; the set and the secret are replaced at every boot.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from hashlib import sha256

from .errors import Refusal
from .secret_memory import wipe
from .wire import CHALLENGE_TTL_SECONDS, b64u_decode, b64u_encode

CHALLENGE_BYTES = 32
SECRET_BYTES = 32
_DOMAIN = b"custodian-challenge/1\x00"


class ChallengeBook:
    """Issues and spends the challenges of one boot. Not thread-safe: the receiver's mutex guards it."""

    def __init__(self, boot_id: str, secret: bytes | bytearray, random_bytes: Callable[[int], bytes], spent: Iterable[str] = ()) -> None:
        if len(secret) != SECRET_BYTES:
            raise ValueError("a challenge secret has 32 bytes")
        self._boot_id = boot_id.encode("ascii")
        self._secret = bytearray(secret)
        self._random_bytes = random_bytes
        self._spent: dict[str, int] = {}  # challenge -> issued_at
        for challenge in spent:
            raw = b64u_decode(challenge, CHALLENGE_BYTES)
            if raw is not None:
                self._spent[challenge] = int.from_bytes(raw[:8], "big")

    def issue(self, now: int) -> tuple[str, int]:
        """A fresh challenge and its expiry (``issued_at + 60``)."""
        head = now.to_bytes(8, "big") + bytes(self._random_bytes(8))
        return b64u_encode(head + self._tag(head)), now + CHALLENGE_TTL_SECONDS

    def spend(self, challenge: str, now: int) -> None:
        """Step 11 of §6 as revision 2 defines it: a forged or future challenge is unknown, an expired one is
        expired (it can never be used again, so it need not be remembered), a spent one is unknown; otherwise it
        is spent now, so a request that fails at a later step has used it up all the same."""
        raw = b64u_decode(challenge, CHALLENGE_BYTES)
        if raw is None:
            raise Refusal("UNKNOWN_CHALLENGE")
        head, tag = raw[:16], raw[16:]
        issued_at = int.from_bytes(head[:8], "big")
        if not hmac.compare_digest(tag, self._tag(head)) or issued_at > now:
            raise Refusal("UNKNOWN_CHALLENGE")
        if now > issued_at + CHALLENGE_TTL_SECONDS:
            raise Refusal("CHALLENGE_EXPIRED")
        if challenge in self._spent:
            raise Refusal("UNKNOWN_CHALLENGE")
        self._drop_expired(now)
        self._spent[challenge] = issued_at

    @property
    def spent_count(self) -> int:
        return len(self._spent)

    def wipe(self) -> None:
        """Forget the secret (the boot is over): no challenge of this boot verifies any more."""
        wipe(self._secret)
        self._spent.clear()

    def _tag(self, head: bytes) -> bytes:
        return hmac.new(self._secret, _DOMAIN + self._boot_id + b"\x00" + head, sha256).digest()[:16]

    def _drop_expired(self, now: int) -> None:
        # An expired challenge fails the expiry check before the spent set is consulted.
        for challenge in [c for c, issued_at in self._spent.items() if now > issued_at + CHALLENGE_TTL_SECONDS]:
            del self._spent[challenge]
