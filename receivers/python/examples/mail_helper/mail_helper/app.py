"""The mail helper's web app: its messages are Fernet-encrypted in SQLite, and it boots locked.

Until Key Custodian pushes the data key, every data route answers ``503 {"error": "locked"}``; afterwards it
decrypts with the pushed key (current first, previous keys for rows not yet rotated).
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken
from flask import Flask, jsonify

from custodian_receiver import Receiver
from custodian_receiver.flask_blueprint import get_fernet, get_receiver, init_app

from .store import list_messages


def create_app(receiver: Receiver, database_url: str) -> Flask:
    app = Flask("mail_helper")
    app.config["DATABASE_URL"] = database_url
    init_app(app, receiver)  # /custodian/status and /custodian/unlock, and 503 "locked" for ReceiverLocked

    @app.get("/health")
    def health() -> Any:
        # Always answers, so a load balancer can tell "up but locked" from "down".
        return jsonify(status="ok", encryption=get_receiver().state)

    @app.get("/api/messages")
    def messages() -> Any:
        fernet = get_fernet()  # raises ReceiverLocked -> 503 while locked
        result = []
        for message_id, sender, token in list_messages(app.config["DATABASE_URL"]):
            try:
                body = fernet.decrypt(token).decode("utf-8")
            except InvalidToken:
                # A row under a key this server was not given: say so, never guess.
                message = f"message {message_id} is encrypted with a key this server does not have"
                return jsonify(error="undecryptable", message=message), 500
            result.append({"id": message_id, "sender": sender, "body": body})
        return jsonify(messages=result)

    return app
