"""Key Custodian receiver for Python servers: the server boots locked, Key Custodian pushes the Fernet data key
over the ``custodian-unlock/1`` protocol (docs/protocol.md, revision 2), and the key is kept in memory only.

    from custodian_receiver import Receiver
    receiver = Receiver.from_files(identity_key_file="receiver.key", authorized_custodians_file="custodians",
                                   key_checks=["K1-8KE1-QDS4-9W1J-7TKF"], server_id="app-1")
    fernet = receiver.get_fernet()   # cryptography MultiFernet once unlocked; raises ReceiverLocked before
    receiver.on_lock(lambda event: ...)   # told at once when a custodian locks the server remotely
    receiver.on_rekey(lambda event: ...)  # the keys were replaced while unlocked (protocol §12.12)
    receiver.report_tokens_under_previous(lambda: count)  # for the signed status (tokens_under_previous)

Flask: ``custodian_receiver.flask_blueprint.init_app(app, receiver)`` and ``get_fernet()``.
Vault (protocol §12.13): ``Receiver(..., vault=VaultLogin(VaultSettings(...)))`` and ``receiver.get_secret("postgresql")``.
"""

from .config_files import (
    AuthorizedCustodian,
    load_identity_key,
    load_identity_key_credential,
    load_or_create_identity_key,
    parse_authorized_custodians,
)
from .errors import ConfigError, ReceiverLocked, Refusal
from .fernet_keys import ReceiverFernet
from .http_glue import DEFAULT_BASE_PATH, HttpResponse, handle_request
from .key_id import is_key_id, key_id
from .reencrypt import Rotated, count_under_previous, reencrypt
from .key_checks import read_key_check_file
from .receiver import Answer, Attempt, BootState, KeyChecksEvent, LockEvent, Receiver, RekeyEvent, UnlockAttempt, UnlockEvent
from .vault_login import VaultLocked, VaultLogin, VaultSettings
from .wire import PROTOCOL, fingerprint_of

__all__ = [
    "PROTOCOL",
    "DEFAULT_BASE_PATH",
    "Answer",
    "Attempt",
    "AuthorizedCustodian",
    "BootState",
    "ConfigError",
    "HttpResponse",
    "KeyChecksEvent",
    "LockEvent",
    "Receiver",
    "ReceiverFernet",
    "ReceiverLocked",
    "Refusal",
    "RekeyEvent",
    "Rotated",
    "UnlockAttempt",
    "UnlockEvent",
    "VaultLocked",
    "VaultLogin",
    "VaultSettings",
    "fingerprint_of",
    "handle_request",
    "is_key_id",
    "key_id",
    "load_identity_key",
    "load_identity_key_credential",
    "load_or_create_identity_key",
    "parse_authorized_custodians",
    "read_key_check_file",
    "count_under_previous",
    "reencrypt",
]
__version__ = "0.2.0"
