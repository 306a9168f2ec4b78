"""The application's view of the pushed keys: cryptography's MultiFernet, revoked when the receiver locks."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, MultiFernet

from .errors import ReceiverLocked
from .secret_memory import SecretKey, scrub_bytes


class ReceiverFernet(MultiFernet):
    """A MultiFernet (current key first, then previous keys) that stops working once the receiver locks.

    ``revoke()`` drops every reference to the inner Fernet objects, so the immutable key copies they hold
    become garbage even if the application still holds this object; afterwards every call raises
    ``ReceiverLocked`` instead of using a key that should be gone.
    """

    def __init__(self, keys: Sequence[SecretKey]) -> None:
        super().__init__([_fernet_from(key) for key in keys])
        self._revoked = False

    @property
    def revoked(self) -> bool:
        return self._revoked

    def revoke(self) -> None:
        self._revoked = True
        fernets, self._fernets = self._fernets, []
        for fernet in fernets:
            # Fernet's own key halves (private attributes of cryptography's Fernet; skipped if they change).
            for name in ("_signing_key", "_encryption_key"):
                half = getattr(fernet, name, None)
                if isinstance(half, bytes):
                    scrub_bytes(half)

    def _check(self) -> None:
        if self._revoked:
            raise ReceiverLocked()

    def encrypt(self, msg: bytes) -> bytes:
        self._check()
        return super().encrypt(msg)

    def encrypt_at_time(self, msg: bytes, current_time: int) -> bytes:
        self._check()
        return super().encrypt_at_time(msg, current_time)

    def rotate(self, msg: bytes | str) -> bytes:
        self._check()
        return super().rotate(msg)

    def decrypt(self, msg: bytes | str, ttl: int | None = None) -> bytes:
        self._check()
        return super().decrypt(msg, ttl)

    def decrypt_at_time(self, msg: bytes | str, ttl: int, current_time: int) -> bytes:
        self._check()
        return super().decrypt_at_time(msg, ttl, current_time)

    def extract_timestamp(self, msg: bytes | str) -> int:
        self._check()
        return super().extract_timestamp(msg)

    def __repr__(self) -> str:
        return "<ReceiverFernet revoked>" if self._revoked else f"<ReceiverFernet {len(self._fernets)} keys>"


def _fernet_from(key: SecretKey) -> Fernet:
    # Fernet only takes the base64 key text, an immutable copy: scrub it as soon as Fernet has decoded it.
    # Fernet keeps its own key halves until revoke() (see secret_memory for what cannot be reached).
    encoded = base64.urlsafe_b64encode(key.buffer)
    try:
        return Fernet(encoded)
    finally:
        scrub_bytes(encoded)
