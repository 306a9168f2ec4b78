"""Re-encryption routes of the app: ``GET /api/rotation`` (how many rows are still under a previous key) and
``POST /api/rotation`` (re-encrypt a bounded number of batches; ``python -m mail_helper rotate`` calls it).

Why an endpoint in the app: the app's processes are the only ones holding the keys in both modes (its own
receiver, or the host agent's clients in the gunicorn workers), so the rotate command itself needs no key, no
receiver file and no access to the agent's socket. Each call does at most ``max_batches`` batches, so it fits a
gunicorn worker's timeout; the answer's ``cursor`` is where the next call resumes.

The POST is for the host's own operator: it answers only to a loopback peer that did not come through a proxy
(no ``Forwarded``/``X-Forwarded-For``; a reverse proxy on the same host would otherwise make every outside
request look local), and only with a JSON body (a browser cannot send one cross-site without a preflight).
Re-encrypting is harmless to repeat, but it is work an outsider must not be able to start. Block
``/api/rotation`` at your proxy anyway.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify, request

from custodian_receiver import count_under_previous, reencrypt
from custodian_receiver.fernet_keys import ReceiverFernet

from .store import fetch_tokens, replace_tokens

DEFAULT_MAX_BATCHES = 20
MAX_BATCH_SIZE = 5_000


def tokens_under_previous(database_url: str, fernet: Callable[[], ReceiverFernet]) -> Callable[[], int]:
    """The app's count of rows the current key does not open, for the receiver's signed status
    (``tokens_under_previous``, protocol §12.12): ``custodian push`` refuses to drop a key while it is above 0, and
    ``custodian server status`` shows it. It reads every row (fine for this example's table; a big application
    would keep the count as it writes). While locked it raises ReceiverLocked, which the receiver reports as null."""
    return lambda: count_under_previous(lambda after, limit: fetch_tokens(database_url, after, limit), fernet_source=fernet)


def register_rotation(app: Flask, fernet: Callable[[], ReceiverFernet]) -> None:
    def database_url() -> str:  # fixed, or from Vault per request (VAULT_ENABLED=true, mail_helper/vault_secrets.py)
        value = app.config["DATABASE_URL"]
        return value() if callable(value) else str(value)

    def fetch(after: int | None, limit: int) -> list[tuple[int, bytes]]:
        return fetch_tokens(database_url(), after, limit)

    @app.get("/api/rotation")
    def rotation_count() -> Any:
        # Raises ReceiverLocked -> 503 while locked: without the current key nobody can tell.
        return jsonify(tokens_under_previous=count_under_previous(fetch, fernet_source=fernet))

    @app.post("/api/rotation")
    def rotation_run() -> Any:
        if not _from_this_host():
            return jsonify(error="forbidden", message="re-encryption is started from this host only"), 403
        options = request.get_json(silent=True) if request.is_json else None
        parsed = _options(options)
        if parsed is None:
            return jsonify(error="bad_request", message='send JSON {"after": id or null, "batch_size": 1-5000, "max_batches": 1-1000}'), 400
        after, batch_size, max_batches = parsed
        report = reencrypt(fetch, lambda rows: replace_tokens(database_url(), rows), fernet_source=fernet,
                           after=after, batch_size=batch_size, max_batches=max_batches)
        return jsonify(examined=report.examined, rotated=report.rotated, already_current=report.already_current,
                       undecryptable=report.undecryptable, batches=report.batches, cursor=report.cursor,
                       finished=report.finished)


def _from_this_host() -> bool:
    if request.headers.get("Forwarded") or request.headers.get("X-Forwarded-For"):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False  # a Unix-socket peer or anything else unknown


def _options(body: object) -> tuple[int | None, int, int] | None:
    if not isinstance(body, dict) or set(body) - {"after", "batch_size", "max_batches"}:
        return None
    after, batch_size, max_batches = body.get("after"), body.get("batch_size", 500), body.get("max_batches", DEFAULT_MAX_BATCHES)
    if after is not None and not _int_in(after, 0, 2**63 - 1):
        return None
    if not _int_in(batch_size, 1, MAX_BATCH_SIZE) or not _int_in(max_batches, 1, 1000):
        return None
    return after, batch_size, max_batches


def _int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
