"""The demo server: ``python -m custodian_receiver --identity-key FILE --authorized-custodians FILE --key-check K1-...``.

``python -m custodian_receiver agent …`` runs the same receiver plus the host key agent (agent_cli.py, docs/agent.md).

Flags and output are those of docs/protocol.md §10, shared with the Node demo (``npx custodian-receiver``).
stdout: one JSON start line, then one JSON line per unlock attempt; never key material. Configuration errors go
to stderr as ``error [CODE]: message`` with exit status 2; SIGTERM/SIGINT stop it with status 0.
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
from typing import Any, NoReturn

from .errors import ConfigError
from .receiver import Receiver, UnlockAttempt
from .server import ReceiverHttpServer
from .wire import PROTOCOL

USAGE_EXAMPLE = """Example:
  python -m custodian_receiver --identity-key ./receiver.key --authorized-custodians ./custodians \\
      --key-check K1-8KE1-QDS4-9W1J-7TKF --port 8421

Host key agent (one push for every process of an app, docs/agent.md):
  python -m custodian_receiver agent --socket /run/custodian-agent/agent.sock --allow-uid USER [these flags]"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse quotes what was typed; a stray value may be a secret pasted in the wrong place, so say that
        # something is wrong and where, never what the value was.
        if message.startswith("unrecognized arguments"):
            message = "unrecognized arguments (every value goes right after its --option; see --help)"
        message = re.sub(r":?\s*'[^']*'", "", message)
        raise ConfigError("USAGE", f"{message}\n{self.format_usage().rstrip()}")


def _parser() -> _Parser:
    parser = _Parser(
        prog="python -m custodian_receiver",
        description="A demo Key Custodian receiver: starts locked, waits for `custodian push`, keeps the key in memory "
        "only. Prints one JSON line with \"identity\" (for `custodian server add --identity`) and \"url\" at start.",
        epilog=USAGE_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,  # like the Node demo; an abbreviation error would also quote what was typed
    )
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", default="8421", help="listen port (default 8421; 0 picks a free one)")
    parser.add_argument("--identity-key", metavar="FILE", help="receiver identity, Ed25519 PKCS#8 PEM; created 0600 if missing")
    parser.add_argument("--authorized-custodians", metavar="FILE", help="one custodian fingerprint per line")
    parser.add_argument("--key-check", metavar="KEY_ID", action="append", default=[], help="a key id this receiver accepts (repeatable)")
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


def _attempt_line(attempt: UnlockAttempt) -> dict[str, Any]:
    if attempt.ok:
        return {"event": "unlock", "ok": True, "key_ids": list(attempt.key_ids), "custodian": attempt.custodian}
    return {"event": "unlock", "ok": False, "error": attempt.error}


def _configure(argv: list[str] | None) -> tuple[argparse.Namespace, Receiver, ssl.SSLContext | None, int]:
    args = _parser().parse_args(argv)
    try:
        port = int(args.port)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ConfigError("USAGE", "--port must be a number from 0 to 65535")
    if not args.identity_key:
        raise ConfigError("USAGE", "--identity-key FILE is required")
    if not args.authorized_custodians:
        raise ConfigError("USAGE", "--authorized-custodians FILE is required")
    if not args.key_check:
        raise ConfigError("USAGE", "at least one --key-check KEY_ID is required")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ConfigError("USAGE", "--tls-cert and --tls-key go together")
    receiver = Receiver.from_files(
        identity_key_file=args.identity_key,
        authorized_custodians_file=args.authorized_custodians,
        key_checks=args.key_check,
        server_id=args.server_id if args.server_id is not None else default_server_id(),
    )
    tls = None
    if args.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            tls.load_cert_chain(args.tls_cert, args.tls_key)
        except (OSError, ssl.SSLError):
            raise ConfigError("INVALID_CONFIG", "cannot read the TLS certificate or key") from None
    return args, receiver, tls, port


# A service runs beside the HTTP receiver in the same process (the host agent, docs/agent.md): started with the
# receiver and a JSON-line writer once the server listens, it returns its stop function, called after lock().
Service = Callable[[Receiver, Callable[[dict[str, Any]], None]], Callable[[], None]]


def main(argv: list[str] | None = None, *, services: Sequence[Service] = ()) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["agent"]:
        from .agent_cli import run_agent

        return run_agent(argv[1:], serve=main, receiver_help=lambda: _parser().format_help())
    try:
        args, receiver, tls, port = _configure(argv)
        try:
            server = ReceiverHttpServer((args.host, port), receiver, tls=tls)
        except OSError as error:
            reason = os.strerror(error.errno) if error.errno else "error"
            raise ConfigError("LISTEN_FAILED", f"cannot listen on {args.host}:{port} ({reason})") from None
    except ConfigError as error:
        sys.stderr.write(f"error [{error.code}]: {error.message}\n")
        return 2

    output = _Output()
    receiver.add_listener(lambda attempt: output.line(_attempt_line(attempt)))
    stops = [start(receiver, output.line) for start in services]
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
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
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    receiver.lock()
    for stop_service in stops:
        stop_service()
    return 0


if __name__ == "__main__":
    sys.exit(main())
