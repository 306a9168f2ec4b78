"""The demo server: ``python -m custodian_receiver --identity-key FILE --authorized-custodians FILE --key-check K1-...``,
and ``python -m custodian_receiver rotate-identity --identity-key OLD --new-identity-key NEW --server-id ID``.

Flags and output are those of docs/protocol.md §10 and §12, shared with the Node demo (``npx custodian-receiver``).
stdout: one JSON start line, then one JSON line per signed request (unlock, lock, statement, rekey) and per
key-check change; never key material. Configuration errors go to stderr as ``error [CODE]: message`` with exit
status 2; SIGTERM/SIGINT stop it with status 0; SIGHUP re-reads ``--key-check-file`` (§12.12).

``python -m custodian_receiver agent …`` runs the same receiver plus the host key agent (agent_cli.py, docs/agent.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from .cli_args import QuietParser
from .errors import ConfigError
from .receiver import Attempt, KeyChecksEvent, Receiver
from .rotate_identity import rotate_identity_main
from .server import ReceiverHttpServer
from .wire import PROTOCOL

USAGE_EXAMPLE = """Examples:
  python -m custodian_receiver --identity-key /etc/app/receiver.key --authorized-custodians /etc/app/custodians \\
      --key-check K1-8KE1-QDS4-9W1J-7TKF --port 8421
  # under systemd, with the identity key as an encrypted credential (LoadCredentialEncrypted=receiver-identity:...):
  python -m custodian_receiver --identity-key-credential receiver-identity --authorized-custodians ... --key-check ...
  # replace the identity key (prints a hand-over line for --identity-handovers):
  python -m custodian_receiver rotate-identity --identity-key OLD --new-identity-key NEW --server-id app-1

Host key agent (one push for every process of an app, docs/agent.md):
  python -m custodian_receiver agent --socket /run/custodian-agent/agent.sock --allow-uid USER [these flags]"""


def _parser() -> QuietParser:
    parser = QuietParser(
        prog="python -m custodian_receiver",
        description="A demo Key Custodian receiver: starts locked, waits for `custodian push`, keeps the key in memory "
        "only. Prints one JSON line with \"identity\" (for `custodian server add --identity`) and \"url\" at start.",
        epilog=USAGE_EXAMPLE,
    )
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", default="8421", help="listen port (default 8421; 0 picks a free one)")
    parser.add_argument("--identity-key", metavar="FILE", help="receiver identity, Ed25519 PKCS#8 PEM; created 0600 if missing. "
                        "As sensitive as the data key: see --identity-key-credential")
    parser.add_argument("--identity-key-credential", metavar="NAME", help="instead of --identity-key: read the identity key from "
                        "$CREDENTIALS_DIRECTORY/NAME (systemd LoadCredentialEncrypted=NAME:...); never created or written")
    parser.add_argument("--authorized-custodians", metavar="FILE", help="one custodian fingerprint per line, then a name")
    parser.add_argument("--key-check", metavar="KEY_ID", action="append", default=[],
                        help="a key id this receiver accepts (repeatable); the first is the current (newest) key")
    parser.add_argument("--key-check-file", metavar="FILE",
                        help="more accepted key ids, one per line (after the --key-check flags); re-read on SIGHUP and at "
                        "every status request, so a new key id can be deployed without a restart")
    parser.add_argument("--allow-older-current-key", action="store_true",
                        help="accept a push whose current key is not the first --key-check (refused by default)")
    parser.add_argument("--custodian-statements", metavar="FILE", help="enable custodian hand-overs and revocations "
                        "(POST {base}/custodians); accepted statements are kept in FILE, created 0600")
    parser.add_argument("--identity-handovers", metavar="FILE", help="receiver identity hand-overs (lines printed by "
                        "rotate-identity), served at GET {base}/identity")
    parser.add_argument("--metrics", action="store_true", help="serve Prometheus metrics at GET {base}/metrics")
    parser.add_argument("--server-id", metavar="ID", help="default: the host name, reduced to the allowed characters")
    parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this PEM certificate (with --tls-key)")
    parser.add_argument("--tls-key", metavar="FILE", help="the PEM private key of --tls-cert")
    return parser


def default_server_id() -> str:
    cleaned = re.sub(r"^[^A-Za-z0-9]+", "", re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname()))[:64]
    return cleaned or "server"


class _Output:
    """One JSON object per stdout line, whole lines only, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def line(self, value: dict[str, Any]) -> None:
        with self._lock:
            sys.stdout.write(json.dumps(value, separators=(",", ":")) + "\n")
            sys.stdout.flush()


def attempt_line(attempt: Attempt) -> dict[str, Any]:
    """One structured line per signed request (protocol §12.7); never key material, never the request."""
    if not attempt.ok:
        return {"event": attempt.event, "ok": False, "error": attempt.error}
    if attempt.event == "unlock":
        return {"event": "unlock", "ok": True, "key_ids": list(attempt.key_ids), "custodian": attempt.custodian}
    if attempt.event == "lock":
        return {"event": "lock", "ok": True, "custodian": attempt.custodian, "boot_id": attempt.boot_id}
    if attempt.event == "rekey":
        return {"event": "rekey", "ok": True, "key_ids": list(attempt.key_ids), "retired": list(attempt.retired), "custodian": attempt.custodian}
    return {"event": "statement", "ok": True, "type": attempt.statement_type, "custodian": attempt.custodian, "subject": attempt.subject,
            "applied": attempt.applied}


def key_checks_line(event: KeyChecksEvent) -> dict[str, Any] | None:
    """A line when the key checks changed or could not be re-read (§12.12); None for an unchanged re-read."""
    if not event.ok:
        return {"event": "key_checks", "ok": False, "error": event.error}
    return {"event": "key_checks", "ok": True, "key_checks": list(event.key_checks)} if event.changed else None


def _configure(argv: list[str] | None) -> tuple[argparse.Namespace, Receiver, ssl.SSLContext | None, int]:
    args = _parser().parse_args(argv)
    try:
        port = int(args.port)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ConfigError("USAGE", "--port must be a number from 0 to 65535")
    if not args.identity_key and not args.identity_key_credential:
        raise ConfigError("USAGE", "--identity-key FILE is required (or --identity-key-credential NAME)")
    if args.identity_key and args.identity_key_credential:
        raise ConfigError("USAGE", "give --identity-key FILE or --identity-key-credential NAME, not both")
    if not args.authorized_custodians:
        raise ConfigError("USAGE", "--authorized-custodians FILE is required")
    if not args.key_check and not args.key_check_file:
        raise ConfigError("USAGE", "at least one --key-check KEY_ID (or --key-check-file FILE) is required")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ConfigError("USAGE", "--tls-cert and --tls-key go together")
    receiver = Receiver.from_files(
        identity_key_file=args.identity_key or None,
        identity_key_credential=args.identity_key_credential or None,
        authorized_custodians_file=args.authorized_custodians,
        key_checks=args.key_check,
        server_id=args.server_id if args.server_id is not None else default_server_id(),
        custodian_statements_file=args.custodian_statements,
        identity_handovers_file=args.identity_handovers,
        allow_older_current_key=args.allow_older_current_key,
        key_check_file=args.key_check_file,
    )
    tls = None
    if args.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            tls.load_cert_chain(args.tls_cert, args.tls_key)
        except (OSError, ssl.SSLError):
            raise ConfigError("INVALID_CONFIG", "cannot read the TLS certificate or key") from None
    return args, receiver, tls, port


SUBCOMMANDS: dict[str, Callable[[list[str]], int]] = {"rotate-identity": rotate_identity_main}

# A service runs beside the HTTP receiver in the same process (the host agent): started with the receiver and a
# JSON-line writer once the server listens, it returns its stop function, called after lock().
Service = Callable[[Receiver, Callable[[dict[str, Any]], None]], Callable[[], None]]


def main(argv: list[str] | None = None, *, services: Sequence[Service] = ()) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["agent"]:
        from .agent_cli import run_agent

        return run_agent(arguments[1:], serve=main, receiver_help=lambda: _parser().format_help())
    if arguments[:1] and arguments[0] in SUBCOMMANDS:
        return SUBCOMMANDS[arguments[0]](arguments[1:])
    return serve_main(arguments, services=services)


def serve_main(argv: list[str], *, services: Sequence[Service] = ()) -> int:
    try:
        args, receiver, tls, port = _configure(argv)
        try:
            server = ReceiverHttpServer((args.host, port), receiver, tls=tls, metrics=args.metrics)
        except OSError as error:
            reason = os.strerror(error.errno) if error.errno else "error"
            raise ConfigError("LISTEN_FAILED", f"cannot listen on {args.host}:{port} ({reason})") from None
    except ConfigError as error:
        sys.stderr.write(f"error [{error.code}]: {error.message}\n")
        return 2

    output = _Output()
    receiver.add_listener(lambda attempt: output.line(attempt_line(attempt)))
    def on_key_checks(event: KeyChecksEvent) -> None:
        changed = key_checks_line(event)
        if changed is not None:
            output.line(changed)

    receiver.on_key_checks(on_key_checks)
    stops = [start(receiver, output.line) for start in services]
    stop = threading.Event()
    reload = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: reload.set())  # handled in the loop below, not in the signal handler
    host = f"[{args.host}]" if ":" in args.host else args.host
    output.line({
        "event": "listening",
        "protocol": PROTOCOL,
        "url": f"{'https' if tls else 'http'}://{host}:{server.port}/custodian",
        "identity": receiver.identity,
        "server_id": receiver.server_id,
        "boot_id": receiver.boot_id,
        "pid": os.getpid(),
    })
    server.serve_in_thread()
    while not stop.wait(0.2):
        if reload.is_set():
            reload.clear()
            receiver.reload_key_checks()
    server.shutdown()
    server.server_close()
    receiver.lock()
    for stop_service in stops:
        stop_service()
    return 0


if __name__ == "__main__":
    sys.exit(main())
