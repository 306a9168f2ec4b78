"""The encrypted data: a SQLite table of mail messages whose bodies are Fernet tokens."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from urllib.parse import urlparse

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
