"""The example app's ``/api/rotation`` routes in process (Flask's test client): who may start a re-encryption, bad
options, a row under a key the server was not given, and the compare-and-set store."""

from __future__ import annotations

import sqlite3
import sys
from contextlib import closing
from pathlib import Path

from cryptography.fernet import Fernet

from custodian_receiver import Rotated
from helpers import fernet_text, make_world

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "mail_helper"))
from mail_helper.app import create_app  # noqa: E402
from mail_helper.store import add_message, fetch_tokens, list_messages, replace_tokens  # noqa: E402

LOCAL = {"REMOTE_ADDR": "127.0.0.1"}


def unlocked_app(tmp_path: Path):  # type: ignore[no-untyped-def]
    world = make_world()
    status, _ = world.send(world.request([world.current, world.previous]))
    assert status == 200
    database_url = f"sqlite:///{tmp_path / 'mail.db'}"
    return world, database_url, create_app(world.receiver, database_url).test_client()


def test_only_a_json_request_from_this_host_not_through_a_proxy_starts_a_run(tmp_path: Path) -> None:
    world, database_url, client = unlocked_app(tmp_path)
    add_message(database_url, "a@example.org", Fernet(fernet_text(world.previous)).encrypt(b"x"))
    before = list_messages(database_url)
    refused = [
        client.post("/api/rotation", json={}, environ_base={"REMOTE_ADDR": "192.0.2.7"}),
        client.post("/api/rotation", json={}, environ_base={"REMOTE_ADDR": "::1"}, headers={"Forwarded": "for=192.0.2.7"}),
        client.post("/api/rotation", json={}, environ_base=LOCAL, headers={"X-Forwarded-For": "192.0.2.7"}),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    bad = [
        client.post("/api/rotation", data="after=", content_type="application/x-www-form-urlencoded", environ_base=LOCAL),
        client.post("/api/rotation", data="{}", content_type="text/plain", environ_base=LOCAL),
        client.post("/api/rotation", json=[], environ_base=LOCAL),
        client.post("/api/rotation", json={"after": True}, environ_base=LOCAL),
        client.post("/api/rotation", json={"after": -1}, environ_base=LOCAL),
        client.post("/api/rotation", json={"batch_size": 5001}, environ_base=LOCAL),
        client.post("/api/rotation", json={"max_batches": 0}, environ_base=LOCAL),
        client.post("/api/rotation", json={"other": 1}, environ_base=LOCAL),
    ]
    assert [r.status_code for r in bad] == [400] * len(bad)
    assert list_messages(database_url) == before
    ok = client.post("/api/rotation", json={"after": None}, environ_base={"REMOTE_ADDR": "::1"})
    assert ok.status_code == 200 and ok.json["rotated"] == 1 and ok.json["finished"] is True


def test_a_row_no_installed_key_opens_is_reported_and_kept(tmp_path: Path) -> None:
    world, database_url, client = unlocked_app(tmp_path)
    foreign = Fernet(Fernet.generate_key()).encrypt(b"elsewhere")
    add_message(database_url, "a@example.org", Fernet(fernet_text(world.previous)).encrypt(b"old"))
    add_message(database_url, "b@example.org", foreign)
    answer = client.post("/api/rotation", json={"batch_size": 1, "max_batches": 1}, environ_base=LOCAL).json
    assert (answer["rotated"], answer["cursor"], answer["finished"]) == (1, 1, False)
    answer = client.post("/api/rotation", json={"after": 1}, environ_base=LOCAL).json
    assert (answer["undecryptable"], answer["cursor"], answer["finished"]) == (1, 2, True)
    assert list_messages(database_url)[1][2] == foreign
    assert client.get("/api/rotation").json == {"tokens_under_previous": 1}


def test_the_store_does_not_overwrite_a_row_rewritten_since_it_was_read(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'mail.db'}"
    add_message(database_url, "a@example.org", b"token-read")
    add_message(database_url, "b@example.org", b"token-b")
    [(first, read), second] = fetch_tokens(database_url, None, 10)
    assert fetch_tokens(database_url, first, 10) == [second]
    # The app rewrites row 1 meanwhile: the stale rotation of row 1 is dropped, row 2's goes in.
    with closing(sqlite3.connect(tmp_path / "mail.db")) as connection, connection:
        connection.execute("UPDATE messages SET body_encrypted = ? WHERE id = 1", (b"token-newer",))
    changed = replace_tokens(database_url, [Rotated(first, read, b"token-rotated"), Rotated(second[0], second[1], b"token-b2")])
    assert changed == 1
    assert [token for _, _, token in list_messages(database_url)] == [b"token-newer", b"token-b2"]
