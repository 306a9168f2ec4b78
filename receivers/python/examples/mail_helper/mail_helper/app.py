"""The mail helper's web app: its messages are Fernet-encrypted in SQLite, and it boots locked.

Until Key Custodian pushes the data key, every data route answers ``503 {"error": "locked"}``; afterwards it
decrypts with the pushed key (current first, previous keys for rows not yet rotated). The keys come either from a
receiver inside this process (``ENCRYPTION_KEY_SOURCE=custodian``, one process) or from the host key agent
(``ENCRYPTION_KEY_SOURCE=custodian-agent``, any number of gunicorn and Celery workers; docs/agent.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from cryptography.fernet import InvalidToken
from flask import Flask, Response, jsonify

from custodian_receiver import Receiver, ReceiverLocked
from custodian_receiver.agent_client import AgentClient
from custodian_receiver.fernet_keys import ReceiverFernet
from custodian_receiver.flask_blueprint import get_fernet, get_receiver, get_secret, init_app

from .rotation import register_rotation, tokens_under_previous
from .store import list_messages
from .vault_secrets import database_url as database_url_from, redacted, redis_ping

KeySource = Receiver | AgentClient


def create_app(source: KeySource, database_url: str | None, *, worker_header: bool = False) -> Flask:
    """``database_url`` None: ``VAULT_ENABLED=true``, the URL comes from ``secret/mail-helper/postgresql`` with the
    pushed Vault login, per request (mail_helper/vault_secrets.py)."""
    app = Flask("mail_helper")
    app.config["DATABASE_URL"] = database_url or (lambda: database_url_from(get_secret("postgresql")))
    fernet: Callable[[], ReceiverFernet]
    state: Callable[[], str]
    if isinstance(source, AgentClient):
        # The receiver runs in the agent process; this app only asks the agent for the keys.
        fernet, state = source.get_fernet, lambda: _agent_state(source)
        app.register_error_handler(ReceiverLocked, _locked)
    else:
        init_app(app, source)  # /custodian/status|unlock|lock|rekey, and 503 "locked" for ReceiverLocked
        fernet, state = get_fernet, lambda: get_receiver().state
        # The signed status reports how many rows are still under a previous key (protocol §12.12).
        source.report_tokens_under_previous(tokens_under_previous(database_url, source.get_fernet))

    if worker_header:
        @app.after_request
        def _worker(response: Response) -> Response:
            response.headers["X-Worker-Pid"] = str(os.getpid())  # which gunicorn worker answered (tests, debugging)
            return response

    @app.get("/health")
    def health() -> Any:
        # Always answers, so a load balancer can tell "up but locked" from "down".
        return jsonify(status="ok", encryption=state())

    @app.get("/api/messages")
    def messages() -> Any:
        keys = fernet()  # raises ReceiverLocked -> 503 while locked
        result = []
        for message_id, sender, token in list_messages(current_database_url(app)):
            try:
                body = keys.decrypt(token).decode("utf-8")
            except InvalidToken:
                # A row under a key this server was not given: say so, never guess.
                message = f"message {message_id} is encrypted with a key this server does not have"
                return jsonify(error="undecryptable", message=message), 500
            result.append({"id": message_id, "sender": sender, "body": body})
        return jsonify(messages=result)

    @app.get("/api/dependencies")
    def dependencies() -> Any:
        # VAULT_ENABLED=true: both come from Vault (VaultLocked -> 503 "vault_locked" until the push delivered a login).
        if database_url is not None:
            return jsonify(vault="disabled")
        return jsonify(vault=get_receiver().vault_login.state, database=redacted(current_database_url(app)),  # type: ignore[union-attr]
                       redis="ok" if redis_ping(os.environ, get_secret) else "failed")

    register_rotation(app, fernet)  # GET/POST /api/rotation: rows under a previous key, re-encryption
    return app


def current_database_url(app: Flask) -> str:
    """The database URL: fixed (DATABASE_URL), or read from Vault now (VAULT_ENABLED=true)."""
    value = app.config["DATABASE_URL"]
    return value() if callable(value) else str(value)


def _agent_state(client: AgentClient) -> str:
    """Whether this worker holds the keys; subscribes if it has not yet (a first /health waits at most 0.5 s)."""
    try:
        client.get_fernet(timeout=0.5)
        return "unlocked"
    except ReceiverLocked:
        return "locked"


def _locked(_error: ReceiverLocked) -> Response:
    body = json.dumps({"error": "locked", "message": "waiting for the data key from Key Custodian"}, separators=(",", ":"))
    response = Response(body, status=503, mimetype="application/json")
    response.headers["Retry-After"] = "5"
    response.headers["Cache-Control"] = "no-store"
    return response
