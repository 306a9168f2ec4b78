"""The Flask blueprint and the example mail helper app (through Flask's test client)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask

from custodian_client import build_unlock, new_nonce, verify_receipt, verify_status
from custodian_receiver import ReceiverLocked
from custodian_receiver.flask_blueprint import get_fernet, init_app
from custodian_receiver.wire import MAX_BODY_BYTES
from helpers import fernet_text, make_world

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "mail_helper"))
from mail_helper.app import create_app  # noqa: E402
from mail_helper.encryption import receiver_from_environment  # noqa: E402
from mail_helper.seed import main as seed_main  # noqa: E402


def _app_with_data_route():  # type: ignore[no-untyped-def]
    world = make_world()
    app = Flask("test")
    init_app(app, world.receiver)

    @app.get("/data")
    def data() -> str:
        return get_fernet().decrypt(Fernet(fernet_text(world.current)).encrypt(b"secret row")).decode()

    return world, app, app.test_client()


def test_blueprint_serves_status_and_unlock_and_the_app_is_503_until_unlocked() -> None:
    world, _app, client = _app_with_data_route()
    locked = client.get("/data")
    assert locked.status_code == 503 and locked.json == {"error": "locked", "message": "waiting for the data key from Key Custodian"}
    assert locked.headers["Cache-Control"] == "no-store"
    response = client.get("/custodian/status")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    status = verify_status(response.data, world.receiver.identity, "app-1")
    request = build_unlock(status, world.custodian, [world.current, world.previous])
    response = client.post("/custodian/unlock", data=request.body, content_type="application/json")
    assert response.status_code == 200
    verify_receipt(response.data, world.receiver.identity, request)
    assert client.get("/data").data == b"secret row"
    world.receiver.lock()
    assert client.get("/data").status_code == 503


def test_blueprint_refusals_use_the_protocol_codes() -> None:
    _world, _app, client = _app_with_data_route()
    response = client.put("/custodian/status")
    assert (response.status_code, response.json["error"]["code"], response.headers["Allow"]) == (405, "METHOD_NOT_ALLOWED", "GET")
    response = client.get("/custodian/unlock")
    assert (response.status_code, response.headers["Allow"]) == (405, "POST")
    response = client.post("/custodian/unlock", data=b"{}", content_type="text/plain")
    assert response.json["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    response = client.post("/custodian/unlock", data=b"x" * (MAX_BODY_BYTES + 1), content_type="application/json")
    assert (response.status_code, response.json["error"]["code"]) == (413, "BODY_TOO_LARGE")
    response = client.post("/custodian/unlock", data=b"[]", content_type="application/json")
    assert (response.status_code, response.json["error"]["code"]) == (400, "BAD_REQUEST")


def test_a_body_larger_than_declared_is_not_read_past_the_limit() -> None:
    world, _app, client = _app_with_data_route()
    reads: list[int] = []

    class Stream:
        def __init__(self) -> None:
            self.left = 10 * 1024 * 1024

        def read(self, size: int = -1) -> bytes:
            reads.append(size)
            take = min(size if size >= 0 else self.left, self.left, 4096)
            self.left -= take
            return b"x" * take

    environ = {"wsgi.input": Stream(), "CONTENT_TYPE": "application/json", "wsgi.input_terminated": True}
    response = client.post("/custodian/unlock", environ_overrides=environ)
    assert (response.status_code, response.json["error"]["code"]) == (413, "BODY_TOO_LARGE")
    assert sum(min(r, 4096) for r in reads) <= MAX_BODY_BYTES + 1 + 4096
    assert world.receiver.state == "locked"


def test_get_fernet_outside_init_app_explains_what_is_missing() -> None:
    app = Flask("bare")
    with app.app_context(), pytest.raises(RuntimeError, match="init_app"):
        get_fernet()


@pytest.fixture
def mail_helper(tmp_path: Path):  # type: ignore[no-untyped-def]
    world = make_world()
    database_url = f"sqlite:///{tmp_path / 'mail.db'}"
    return world, database_url, tmp_path


def _seed(database_url: str, raw_key: bytes, sender: str, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    stdin = io.TextIOWrapper(io.BytesIO(fernet_text(raw_key).encode() + b"\n" + text.encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert seed_main(["--sender", sender, "--database-url", database_url]) == 0


def test_example_app_is_locked_then_serves_rows_encrypted_with_current_and_previous_keys(mail_helper, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    world, database_url, tmp = mail_helper
    _seed(database_url, world.previous, "old@example.org", "written under the previous key", monkeypatch)
    _seed(database_url, world.current, "alice@example.org", "Hallo Welt – verschlüsselt", monkeypatch)
    assert fernet_text(world.current).encode() not in (tmp / "mail.db").read_bytes()
    client = create_app(world.receiver, database_url).test_client()
    assert client.get("/health").json == {"status": "ok", "encryption": "locked"}
    locked = client.get("/api/messages")
    assert locked.status_code == 503 and locked.json["error"] == "locked"

    status = verify_status(client.get("/custodian/status").data, world.receiver.identity, "app-1")
    request = build_unlock(status, world.custodian, [world.current, world.previous])
    assert client.post("/custodian/unlock", data=request.body, content_type="application/json").status_code == 200
    assert client.get("/health").json["encryption"] == "unlocked"
    messages = client.get("/api/messages").json["messages"]
    assert [(m["sender"], m["body"]) for m in messages] == [
        ("old@example.org", "written under the previous key"),
        ("alice@example.org", "Hallo Welt – verschlüsselt"),
    ]


def test_example_app_reports_a_row_under_an_unknown_key_instead_of_guessing(mail_helper, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    world, database_url, _tmp = mail_helper
    _seed(database_url, os.urandom(32), "x@example.org", "foreign", monkeypatch)
    client = create_app(world.receiver, database_url).test_client()
    status = verify_status(client.get("/custodian/status").data, world.receiver.identity, "app-1")
    client.post("/custodian/unlock", data=build_unlock(status, world.custodian, [world.current]).body, content_type="application/json")
    response = client.get("/api/messages")
    assert response.status_code == 500 and response.json["error"] == "undecryptable"


def test_example_seed_refuses_a_bad_key_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"not-a-key\ntext")))
    assert seed_main(["--sender", "a@example.org", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"]) == 2
    assert "must be a Fernet key" in capsys.readouterr().err


def test_example_configuration_needs_the_custodian_source_and_its_files(tmp_path: Path) -> None:
    from custodian_receiver import ConfigError

    with pytest.raises(ConfigError, match="ENCRYPTION_KEY_SOURCE=custodian"):
        receiver_from_environment({"ENCRYPTION_KEY_SOURCE": "env"})
    with pytest.raises(ConfigError, match="CUSTODIAN_IDENTITY_KEY, CUSTODIAN_AUTHORIZED_CUSTODIANS, CUSTODIAN_KEY_CHECK"):
        receiver_from_environment({"ENCRYPTION_KEY_SOURCE": "custodian"})
    world = make_world()
    custodians = tmp_path / "custodians"
    custodians.write_text(f"{world.receiver.custodians[0].fingerprint} alice\n")
    receiver = receiver_from_environment({
        "ENCRYPTION_KEY_SOURCE": "custodian",
        "CUSTODIAN_IDENTITY_KEY": str(tmp_path / "id.pem"),
        "CUSTODIAN_AUTHORIZED_CUSTODIANS": str(custodians),
        "CUSTODIAN_KEY_CHECK": "K1-8KE1-QDS4-9W1J-7TKF, K1-EYQN-M5BR-VE6F-QYNP",
    })
    assert receiver.server_id == "mail-helper" and receiver.key_checks == ("K1-8KE1-QDS4-9W1J-7TKF", "K1-EYQN-M5BR-VE6F-QYNP")
    with pytest.raises(ReceiverLocked):
        receiver.get_fernet()


# ---- revision 2 through the blueprint (framing is the WSGI server's; the protocol behaviour is the same) ----------


def test_blueprint_checks_host_exact_paths_methods_and_the_status_nonce() -> None:
    world, _app, client = _app_with_data_route()
    response = client.get("/custodian/status", environ_overrides={"HTTP_HOST": ""})
    assert (response.status_code, response.json["error"]["code"]) == (400, "BAD_REQUEST")
    response = client.get("/custodian/%73tatus")  # Werkzeug decodes it to /custodian/status; the raw target is not a route
    assert (response.status_code, response.json["error"]["code"]) == (404, "NOT_FOUND")
    for path, allowed in (("/custodian/lock", "POST"), ("/custodian/custodians", "POST"), ("/custodian/identity", "GET")):
        response = client.open(path, method="DELETE")
        assert (response.status_code, response.json["error"]["code"], response.headers["Allow"]) == (405, "METHOD_NOT_ALLOWED", allowed)
    nonce = new_nonce()
    status = verify_status(client.get(f"/custodian/status?nonce={nonce}").data, world.receiver.identity, "app-1", nonce)
    assert status["client_nonce"] == nonce
    response = client.get(f"/custodian/status?nonce={nonce}&nonce={nonce}")
    assert (response.status_code, response.json["error"]["code"]) == (400, "BAD_REQUEST")
    assert client.get("/custodian/identity").json == {"protocol": "custodian-unlock/1", "handovers": []}
    assert client.get("/custodian/metrics").status_code == 404  # not enabled
    response = client.post("/custodian/custodians", data=b"{}", content_type="application/json")
    assert (response.status_code, response.json["error"]["code"]) == (409, "STATEMENTS_DISABLED")


def test_blueprint_refuses_strict_json_violations_and_serves_metrics_when_asked() -> None:
    world = make_world()
    app = Flask("metrics")
    init_app(app, world.receiver, metrics=True)
    client = app.test_client()
    request = build_unlock(verify_status(client.get("/custodian/status").data, world.receiver.identity, "app-1"), world.custodian, [world.current])
    duplicate = b'{"protocol":"custodian-unlock/1","request":"x","request":"' + request.token.encode() + b'"}'
    response = client.post("/custodian/unlock", data=duplicate, content_type="application/json")
    assert (response.status_code, response.json["error"]["code"]) == (400, "BAD_REQUEST")
    assert client.post("/custodian/unlock", data=request.body, content_type="application/json").status_code == 200
    metrics = client.get("/custodian/metrics")
    assert metrics.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "custodian_receiver_unlocks_total 1\n" in metrics.data.decode()
    assert 'custodian_receiver_refused_total{code="BAD_REQUEST"} 1\n' in metrics.data.decode()
