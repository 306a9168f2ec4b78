"""Run the example: ``ENCRYPTION_KEY_SOURCE=custodian DATABASE_URL=sqlite:////path/mail.db python -m mail_helper``.

Takes the demo receiver's flags (``--host --port --identity-key --authorized-custodians --key-check --server-id``)
as alternatives to the CUSTODIAN_* variables. Prints one JSON line on stdout when listening, like the demo
receiver (``url`` is the receiver's base URL for `custodian server add`, ``app_url`` the application's), then
one per unlock, lock and rekey attempt and per key-check change. SIGTERM/SIGINT stop it; SIGHUP re-reads the
key-check file (``--key-check-file``), which is also re-read at every status request.

``python -m mail_helper rotate``: re-encrypt the stored messages under the current key (mail_helper/rotate.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading

from werkzeug.serving import make_server

from custodian_receiver import PROTOCOL, Attempt, ConfigError, KeyChecksEvent
from custodian_receiver.__main__ import attempt_line, key_checks_line

from .app import create_app
from .encryption import receiver_from_environment
from .rotate import main as rotate_main


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["rotate"]:
        return rotate_main(argv[1:])  # re-encrypt through the running app (mail_helper/rotate.py)
    parser = argparse.ArgumentParser(prog="python -m mail_helper", epilog="python -m mail_helper rotate --help: re-encrypt the stored messages")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--identity-key", metavar="FILE")
    parser.add_argument("--authorized-custodians", metavar="FILE")
    parser.add_argument("--key-check", metavar="KEY_ID", action="append", default=[])
    parser.add_argument("--key-check-file", metavar="FILE")
    parser.add_argument("--server-id", metavar="ID")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL")
    try:
        vault_enabled = os.environ.get("VAULT_ENABLED", "").strip().lower() in ("1", "true", "yes")
        if not database_url and not vault_enabled:
            raise ConfigError("INVALID_CONFIG", "set DATABASE_URL, e.g. sqlite:////var/lib/mail-helper/data.db (or VAULT_ENABLED=true)")
        if database_url and vault_enabled:
            raise ConfigError("INVALID_CONFIG", "with VAULT_ENABLED=true the database URL comes from Vault: remove DATABASE_URL")
        receiver = receiver_from_environment(os.environ, identity_key=args.identity_key, authorized_custodians=args.authorized_custodians,
                                             key_checks=args.key_check, server_id=args.server_id,
                                             key_check_file=args.key_check_file)
        server = make_server(args.host, args.port, create_app(receiver, database_url or None), threaded=True)
    except ConfigError as error:
        print(f"error [{error.code}]: {error.message}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error [LISTEN_FAILED]: cannot listen on {args.host}:{args.port} ({error.strerror})", file=sys.stderr)
        return 2
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no per-request lines

    lock = threading.Lock()

    def line(value: dict[str, object]) -> None:
        with lock:
            print(json.dumps(value, separators=(",", ":")), flush=True)

    def on_attempt(attempt: Attempt) -> None:
        line(attempt_line(attempt))  # the demo receiver's line format (protocol §12.7): unlock, lock, statement

    def on_key_checks(event: KeyChecksEvent) -> None:
        changed = key_checks_line(event)
        if changed is not None:
            line(changed)

    receiver.add_listener(on_attempt)
    receiver.on_key_checks(on_key_checks)
    stop = threading.Event()
    reload = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: reload.set())  # re-read in the loop below, not in the handler
    app_url = f"http://{args.host}:{server.server_port}"
    line({"event": "listening", "protocol": PROTOCOL, "url": f"{app_url}/custodian", "identity": receiver.identity,
          "server_id": receiver.server_id, "boot_id": receiver.boot_id, "pid": os.getpid(), "app_url": app_url})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    while not stop.wait(0.2):
        if reload.is_set():
            reload.clear()
            receiver.reload_key_checks()
    server.shutdown()
    receiver.lock()
    return 0


if __name__ == "__main__":
    sys.exit(main())
