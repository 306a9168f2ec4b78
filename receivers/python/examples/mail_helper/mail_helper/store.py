"""The encrypted data: a SQLite table of mail messages whose bodies are Fernet tokens."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from urllib.parse import urlparse

from custodian_receiver import Rotated

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    sender TEXT NOT NULL,
    body_encrypted BLOB NOT NULL
)
"""


def sqlite_path(database_url: str) -> str:
    """``sqlite:////absolute/path.db`` -> ``/absolute/path.db`` (this example speaks SQLite only)."""
    parsed = urlparse(database_url)
    if parsed.scheme != "sqlite" or not parsed.path.startswith("//"):
        raise ValueError("DATABASE_URL must look like sqlite:////absolute/path/to/file.db")
    return parsed.path[1:]


def connect(database_url: str) -> sqlite3.Connection:
    connection = sqlite3.connect(sqlite_path(database_url))
    connection.execute(SCHEMA)
    return connection


def add_message(database_url: str, sender: str, body_encrypted: bytes) -> int:
    with closing(connect(database_url)) as connection, connection:
        cursor = connection.execute("INSERT INTO messages (sender, body_encrypted) VALUES (?, ?)", (sender, body_encrypted))
        return int(cursor.lastrowid or 0)


def list_messages(database_url: str) -> list[tuple[int, str, bytes]]:
    with closing(connect(database_url)) as connection:
        return [(int(i), str(s), bytes(b)) for i, s, b in connection.execute("SELECT id, sender, body_encrypted FROM messages ORDER BY id")]


def get_message(database_url: str, message_id: int) -> tuple[str, bytes] | None:
    with closing(connect(database_url)) as connection:
        row = connection.execute("SELECT sender, body_encrypted FROM messages WHERE id = ?", (message_id,)).fetchone()
    return None if row is None else (str(row[0]), bytes(row[1]))


def fetch_tokens(database_url: str, after: int | None, limit: int) -> list[tuple[int, bytes]]:
    """One batch for the re-encryption helper: (id, token) after ``after``, in id order."""
    with closing(connect(database_url)) as connection:
        rows = connection.execute(
            "SELECT id, body_encrypted FROM messages WHERE id > ? ORDER BY id LIMIT ?", (after or 0, limit)
        )
        return [(int(i), bytes(b)) for i, b in rows]


def replace_tokens(database_url: str, rows: Sequence[Rotated[int]]) -> int:
    """Stores a batch of re-encrypted tokens in one transaction. Compare-and-set: a row the app rewrote since it was
    read keeps its newer token. Returns how many rows changed."""
    with closing(connect(database_url)) as connection, connection:
        changed = 0
        for row in rows:
            cursor = connection.execute(
                "UPDATE messages SET body_encrypted = ? WHERE id = ? AND body_encrypted = ?", (row.new, row.key, row.old)
            )
            changed += cursor.rowcount
        return changed
