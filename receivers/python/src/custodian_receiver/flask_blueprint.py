"""Flask integration: mount the receiver's two endpoints and give the application its MultiFernet.

    from custodian_receiver import Receiver
    from custodian_receiver.flask_blueprint import init_app, get_fernet

    receiver = Receiver.from_files(...)
    init_app(app, receiver)                 # GET/POST /custodian/status|unlock; ReceiverLocked -> 503 "locked"
    fernet = get_fernet()                   # inside a request: cryptography MultiFernet, current key first

Requires Flask (``pip install "custodian-receiver[flask]"``); the core package does not.
"""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, current_app, request

from .errors import ReceiverLocked
from .fernet_keys import ReceiverFernet
from .http_glue import DEFAULT_BASE_PATH, HttpResponse, handle_request
from .receiver import Receiver

EXTENSION_NAME = "custodian_receiver"


def create_blueprint(receiver: Receiver, *, base_path: str = DEFAULT_BASE_PATH, name: str = "custodian_receiver") -> Blueprint:
    """A blueprint answering ``{base_path}/status`` and ``{base_path}/unlock`` (any method: wrong ones get the
    protocol's 405 answer). Bodies are read from the stream, never more than the protocol's limit."""
    blueprint = Blueprint(name, __name__)
    base = base_path.rstrip("/")
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]

    def endpoint() -> Response:
        stream = request.stream  # bounded by Content-Length (or the chunked end) by Werkzeug
        result = handle_request(
            receiver,
            method=request.method,
            path=request.path,
            content_type=request.headers.get("Content-Type"),
            content_length=request.content_length,
            read=stream.read,
            base_path=base,
        )
        return _flask_response(result)

    blueprint.add_url_rule(f"{base}/status", "status", endpoint, methods=methods, provide_automatic_options=False)
    blueprint.add_url_rule(f"{base}/unlock", "unlock", endpoint, methods=methods, provide_automatic_options=False)
    return blueprint


def init_app(app: Flask, receiver: Receiver, *, base_path: str = DEFAULT_BASE_PATH) -> None:
    """Registers the blueprint, keeps the receiver in ``app.extensions``, and turns ``ReceiverLocked`` raised by
    any view into ``503 {"error": "locked"}``: the application's data stays unavailable until the push."""
    app.extensions[EXTENSION_NAME] = receiver
    app.register_blueprint(create_blueprint(receiver, base_path=base_path))

    @app.errorhandler(ReceiverLocked)
    def _locked(_error: ReceiverLocked) -> Response:
        body = json.dumps({"error": "locked", "message": "waiting for the data key from Key Custodian"}, separators=(",", ":"))
        response = Response(body, status=503, mimetype="application/json")
        response.headers["Retry-After"] = "5"
        response.headers["Cache-Control"] = "no-store"
        return response


def get_receiver() -> Receiver:
    """The receiver of the current Flask application (after ``init_app``)."""
    receiver = current_app.extensions.get(EXTENSION_NAME)
    if not isinstance(receiver, Receiver):
        raise RuntimeError("custodian_receiver.flask_blueprint.init_app(app, receiver) was not called for this app")
    return receiver


def get_fernet() -> ReceiverFernet:
    """cryptography's MultiFernet over the pushed keys (current first, then previous ones).

    Raises ``ReceiverLocked`` (answered as 503 "locked" by ``init_app``) until Key Custodian has pushed the key.
    Fetch it per request rather than keeping it: after ``lock()`` the old object refuses to work.
    """
    return get_receiver().get_fernet()


def _flask_response(result: HttpResponse) -> Response:
    response = Response(result.body, status=result.status)
    for name, value in result.headers:
        if name.lower() != "content-length":
            response.headers[name] = value
    # No "Connection: close" here: WSGI forbids hop-by-hop headers; the WSGI server discards an unread body.
    return response
