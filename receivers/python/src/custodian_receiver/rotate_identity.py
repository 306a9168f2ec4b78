"""``python -m custodian_receiver rotate-identity (--identity-key OLD | --identity-key-credential NAME)
--new-identity-key NEW --server-id ID`` (protocol §12.6): creates NEW (``0600``) if missing, never overwrites it,
and prints one line, the hand-over JWS signed by OLD. Append
it to the file given with ``--identity-handovers`` and restart the receiver with ``--identity-key NEW``; the
custodian then re-pins with ``custodian server accept-identity NAME``."""

from __future__ import annotations

import os
import sys
import time

from .cli_args import QuietParser
from .config_files import load_identity_key, load_identity_key_credential, load_or_create_identity_key
from .errors import ConfigError
from .identity_handover import make_receiver_handover
from .jws import raw_public_key
from .wire import is_server_id

_EPILOG = """Example:
  python -m custodian_receiver rotate-identity --identity-key /etc/app/receiver.key \\
      --new-identity-key /etc/app/receiver-2.key --server-id app-1 >> /etc/app/identity-handovers
  # then restart with --identity-key /etc/app/receiver-2.key --identity-handovers /etc/app/identity-handovers"""


def _parser() -> QuietParser:
    parser = QuietParser(
        prog="python -m custodian_receiver rotate-identity",
        description="Replace the receiver identity key: prints a hand-over statement signed by the old key.",
        epilog=_EPILOG,
    )
    parser.add_argument("--identity-key", metavar="OLD", help="the current identity key file (must exist)")
    parser.add_argument("--identity-key-credential", metavar="NAME", help="instead of --identity-key: the current identity key as "
                        "the systemd credential $CREDENTIALS_DIRECTORY/NAME (run it inside the service, e.g. systemd-run -p "
                        "LoadCredentialEncrypted=...)")
    parser.add_argument("--new-identity-key", metavar="NEW", help="the new identity key file, created 0600 if missing")
    parser.add_argument("--server-id", metavar="ID", help="the receiver's server id (as in its --server-id)")
    return parser


def rotate_identity_main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
        if bool(args.identity_key) == bool(args.identity_key_credential):
            raise ConfigError("USAGE", "give exactly one of --identity-key OLD and --identity-key-credential NAME")
        if not args.new_identity_key or args.server_id is None:
            raise ConfigError("USAGE", "--new-identity-key NEW and --server-id ID are required")
        if not is_server_id(args.server_id):
            raise ConfigError(
                "INVALID_CONFIG", "the server id must be 1-64 characters of A-Z a-z 0-9 . _ - (starting with a letter or digit)"
            )
        if args.identity_key and os.path.abspath(args.identity_key) == os.path.abspath(args.new_identity_key):
            raise ConfigError("USAGE", "--new-identity-key must be another file than --identity-key")
        # OLD is checked before NEW is created
        old_key = load_identity_key(args.identity_key) if args.identity_key else load_identity_key_credential(args.identity_key_credential)
        new_key, _created = load_or_create_identity_key(args.new_identity_key)
        if raw_public_key(new_key) == raw_public_key(old_key):
            raise ConfigError("INVALID_CONFIG", "the new identity key is the old one")
    except ConfigError as error:
        sys.stderr.write(f"error [{error.code}]: {error.message}\n")
        return 2
    sys.stdout.write(make_receiver_handover(old_key, new_key, args.server_id, int(time.time())) + "\n")
    sys.stdout.flush()
    return 0
