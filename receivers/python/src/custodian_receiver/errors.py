"""Errors of the receiver: the protocol's refusal codes (docs/protocol.md §7 and §12.10) and configuration errors.

Refusal messages are fixed and short; they never quote the input, name key material, or tell which part of a
cryptographic check failed.
"""

from __future__ import annotations

from typing import Final, Literal

RefusalCode = Literal[
    "BAD_REQUEST", "UNSUPPORTED_PROTOCOL", "WRONG_MESSAGE_TYPE", "DECRYPT_FAILED", "BAD_PAYLOAD",
    "BAD_SIGNATURE", "UNKNOWN_CUSTODIAN", "WRONG_SERVER", "NOT_FOUND", "METHOD_NOT_ALLOWED", "WRONG_BOOT",
    "ALREADY_UNLOCKED", "UNKNOWN_CHALLENGE", "CHALLENGE_EXPIRED", "BODY_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE",
    "KEY_CHECK_FAILED", "INTERNAL", "KEY_ORDER_REFUSED", "CUSTODIAN_REVOKED", "LAST_CUSTODIAN", "STATEMENTS_DISABLED",
    "REQUEST_TIMEOUT", "NOT_UNLOCKED", "RETIRE_MISMATCH",
]

REFUSALS: Final[dict[str, tuple[int, str]]] = {
    "BAD_REQUEST": (400, "malformed request"),
    "UNSUPPORTED_PROTOCOL": (400, "unsupported protocol version or algorithm"),
    "WRONG_MESSAGE_TYPE": (400, "not an unlock request"),
    "DECRYPT_FAILED": (400, "invalid token"),
    "BAD_PAYLOAD": (400, "invalid key payload"),
    "BAD_SIGNATURE": (401, "invalid signature"),
    "UNKNOWN_CUSTODIAN": (403, "custodian not authorized"),
    "WRONG_SERVER": (403, "request was made for another server"),
    "NOT_FOUND": (404, "not found"),
    "METHOD_NOT_ALLOWED": (405, "method not allowed"),
    "WRONG_BOOT": (409, "request was made for another boot"),
    "ALREADY_UNLOCKED": (409, "already unlocked"),
    "UNKNOWN_CHALLENGE": (409, "unknown or used challenge"),
    "CHALLENGE_EXPIRED": (409, "challenge expired"),
    "BODY_TOO_LARGE": (413, "request too large"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "content type must be application/json"),
    "KEY_CHECK_FAILED": (422, "key check failed"),
    "INTERNAL": (500, "internal error"),
    # revision 2 (protocol §12.10)
    "KEY_ORDER_REFUSED": (422, "the current key must be the newest configured key"),
    "CUSTODIAN_REVOKED": (409, "custodian revoked"),
    "LAST_CUSTODIAN": (409, "would leave no authorized custodian"),
    "STATEMENTS_DISABLED": (409, "statements are not enabled on this receiver"),
    "REQUEST_TIMEOUT": (408, "request not received in time"),
    # rekey of an unlocked receiver (protocol §12.12)
    "NOT_UNLOCKED": (409, "not unlocked"),
    "RETIRE_MISMATCH": (409, "retire must name exactly the installed keys the new set leaves out"),
}


class Refusal(Exception):
    """A refused request: only the code travels; status and message come from the fixed table."""

    def __init__(self, code: RefusalCode) -> None:
        self.code: RefusalCode = code
        self.http_status, self.message = REFUSALS[code]
        super().__init__(f"{code}: {self.message}")


class ReceiverLocked(Exception):
    """The application asked for the data keys while the receiver is locked (the Flask helper answers 503)."""

    code = "LOCKED"
    http_status = 503

    def __init__(self) -> None:
        super().__init__("locked: waiting for the data key from Key Custodian")


ConfigCode = Literal["INVALID_CONFIG", "INSECURE_FILE", "USAGE", "LISTEN_FAILED"]


class ConfigError(Exception):
    """A receiver file or option is wrong. The message says what to fix; it never contains key material."""

    def __init__(self, code: ConfigCode, message: str) -> None:
        self.code: ConfigCode = code
        self.message = message
        super().__init__(f"{code}: {message}")
