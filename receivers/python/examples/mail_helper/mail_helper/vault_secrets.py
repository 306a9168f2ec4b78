"""``VAULT_ENABLED=true``: the mail helper's database URL and Redis password from ``secret/mail-helper/*``, read with
the Vault login Key Custodian pushes with the data key (docs/protocol.md §12.13): no ``VAULT_TOKEN`` in the
environment, in a file or in a log. Settings (none of them secret):

    VAULT_ENABLED=true      VAULT_ADDR=https://vault:8200   VAULT_ROLE=mail-helper
    VAULT_ROLE_ID=…  (or VAULT_ROLE_ID_FILE)                VAULT_CACERT=/etc/mail-helper/vault-ca.pem
    REDIS_URL=redis://127.0.0.1:6379/0   (no password: it comes from Vault)

``secret/mail-helper/postgresql`` holds ``username``, ``password``, ``host``, ``port``, ``database`` (the URL is
``postgresql://username:password@host:port/database``); this example stores its rows in SQLite, so a secret with
``scheme`` = ``sqlite`` and ``database`` = an absolute path gives ``sqlite:////path``. ``secret/mail-helper/redis``
holds ``password``. They are read per request, so a lock (or a Vault login that was not delivered) shows at once as
503 ``vault_locked``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import quote

GetSecret = Callable[[str], dict[str, str]]


def database_url(fields: Mapping[str, str]) -> str:
    """The SQLAlchemy-style database URL from the ``postgresql`` secret's fields."""
    scheme = fields.get("scheme", "postgresql")
    if scheme == "sqlite":
        path = fields.get("database", "")
        if not path.startswith("/"):
            raise ValueError("a sqlite database in Vault must be an absolute path")
        return f"sqlite:///{path}"
    missing = [name for name in ("username", "password", "host", "database") if not fields.get(name)]
    if missing:
        raise ValueError(f"secret mail-helper/postgresql lacks {', '.join(missing)}")
    user, password = quote(fields["username"], safe=""), quote(fields["password"], safe="")
    return f"{scheme}://{user}:{password}@{fields['host']}:{fields.get('port') or '5432'}/{quote(fields['database'], safe='')}"


def redacted(url: str) -> str:
    """The URL as it may be shown: the password replaced by ``***``."""
    head, at, tail = url.rpartition("@")
    if not at or "://" not in head:
        return url
    scheme, _, credentials = head.partition("://")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}"


def redis_ping(environ: Mapping[str, str], get_secret: GetSecret) -> bool:
    """Connects to ``REDIS_URL`` with the password from ``secret/mail-helper/redis`` and pings it."""
    import redis  # the example's Celery broker client

    password = get_secret("redis")["password"]
    client = redis.Redis.from_url(environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), password=password, socket_timeout=3)
    try:
        return bool(client.ping())
    finally:
        client.close()
