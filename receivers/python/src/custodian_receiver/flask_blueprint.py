"""Flask integration: mount the receiver's endpoints and give the application its MultiFernet.

    from custodian_receiver import Receiver
    from custodian_receiver.flask_blueprint import init_app, get_fernet

    receiver = Receiver.from_files(...)
    init_app(app, receiver)                 # /custodian/status|unlock|lock|custodians|identity|rekey; ReceiverLocked -> 503
    fernet = get_fernet()                   # inside a request: cryptography MultiFernet, current key first

The protocol behaviour is the demo server's (same checks, codes and answers). HTTP framing (Content-Length,
chunked bodies, request deadlines, connections per client) is the WSGI server's job: run it behind one that
bounds them (gunicorn behind a proxy, see the README). Requires Flask (``pip install "custodian-receiver[flask]"``).
"""

from __future__ import annotations

import json
from urllib.parse import quote

from flask import Blueprint, Flask, Response, current_app, request

from .errors import ReceiverLocked
from .fernet_keys import ReceiverFernet
from .http_glue import DEFAULT_BASE_PATH, HttpResponse, handle_request
from .receiver import Receiver
from .vault_login import VaultLocked

EXTENSION_NAME = "custodian_receiver"
_ROUTES = ("status", "unlock", "lock", "custodians", "identity", "rekey")
# Every method Flask can route to the endpoint, so a wrong one gets the protocol's 405 with Allow.
_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"]


def create_blueprint(
    receiver: Receiver, *, base_path: str = DEFAULT_BASE_PATH, name: str = "custodian_receiver", metrics: bool = False
) -> Blueprint:
    """A blueprint answering ``{base_path}/status``, ``/unlock``, ``/lock``, ``/custodians``, ``/identity``, ``/rekey`` and,
    with ``metrics=True``, ``/metrics``. Bodies are read from the stream, never more than the protocol's limit."""
    blueprint = Blueprint(name, __name__)
    base = base_path.rstrip("/")

    def endpoint() -> Response:
        stream = request.stream  # bounded by Content-Length (or the chunked end) by Werkzeug
        result = handle_request(
            receiver,
            method=request.method,
            path=_raw_target(),
            host=request.environ.get("HTTP_HOST"),
            content_type=request.headers.get("Content-Type"),
            content_length=request.content_length,
            read=stream.read,
            base_path=base,
            metrics=metrics,
        )
        return _flask_response(result)

    for route in (*_ROUTES, *(("metrics",) if metrics else ())):
        blueprint.add_url_rule(f"{base}/{route}", route, endpoint, methods=_METHODS, provide_automatic_options=False)
    return blueprint


def init_app(app: Flask, receiver: Receiver, *, base_path: str = DEFAULT_BASE_PATH, metrics: bool = False) -> None:
    """Registers the blueprint, keeps the receiver in ``app.extensions``, and turns ``ReceiverLocked`` raised by
    any view into ``503 {"error": "locked"}``: the application's data stays unavailable until the push, and
    again at once after a lock (``get_fernet()`` asks the receiver on every call)."""
    app.extensions[EXTENSION_NAME] = receiver
    app.register_blueprint(create_blueprint(receiver, base_path=base_path, metrics=metrics))

    @app.errorhandler(ReceiverLocked)
    def _locked(_error: ReceiverLocked) -> Response:
        body = json.dumps({"error": "locked", "message": "waiting for the data key from Key Custodian"}, separators=(",", ":"))
        response = Response(body, status=503, mimetype="application/json")
        response.headers["Retry-After"] = "5"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(VaultLocked)
    def _vault_locked(error: VaultLocked) -> Response:
        # §12.13: no Vault login in this boot (not pushed yet, refused, or expired): the state is not a secret.
        body = json.dumps({"error": "vault_locked", "state": error.state, "message": "waiting for the Vault login from Key Custodian"},
                          separators=(",", ":"))
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

    Raises ``ReceiverLocked`` (answered as 503 "locked" by ``init_app``) until Key Custodian has pushed the key,
    and again right after a lock. Fetch it per request rather than keeping it: after a lock the old object
    refuses to work too.
    """
    return get_receiver().get_fernet()


def get_secret(name: str) -> dict[str, str]:
    """A secret of the application from Vault (``get_secret("postgresql")``), read with the Vault login the last push
    delivered (docs/protocol.md §12.13). Raises ``VaultLocked`` (503 "vault_locked") while there is none."""
    return get_receiver().get_secret(name)


def _raw_target() -> str:
    """The request-target as the client sent it, relative to the application (§12.8 matches routes byte for
    byte). WSGI's PATH_INFO is percent-decoded, so the raw form comes from RAW_URI/REQUEST_URI (gunicorn and
    Werkzeug set them); without them the decoded path is re-encoded, which is the best a WSGI app can do."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    script_root = environ.get("SCRIPT_NAME", "")
    if isinstance(raw, str) and raw:
        return raw[len(script_root) :] if script_root and raw.startswith(script_root) else raw
    query = environ.get("QUERY_STRING", "")
    return quote(environ.get("PATH_INFO", "")) + (f"?{query}" if query else "")


def _flask_response(result: HttpResponse) -> Response:
    response = Response(result.body, status=result.status)
    for name, value in result.headers:
        if name.lower() != "content-length":
            response.headers[name] = value
    # No "Connection: close" here: WSGI forbids hop-by-hop headers; the WSGI server discards an unread body.
    return response
