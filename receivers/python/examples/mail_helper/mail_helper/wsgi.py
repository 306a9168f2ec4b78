"""The WSGI entry point for gunicorn: ``gunicorn -c gunicorn.conf.py mail_helper.wsgi:app``.

Needs ``ENCRYPTION_KEY_SOURCE=custodian-agent``, ``CUSTODIAN_AGENT_SOCKET`` and ``DATABASE_URL``: with several
workers one receiver per worker would need one push per worker, so the keys come from the host key agent.
"""

from __future__ import annotations

import os

from custodian_receiver import ConfigError

from .app import create_app
from .encryption import agent_client_from_environment

_database_url = os.environ.get("DATABASE_URL")
if not _database_url:
    raise ConfigError("INVALID_CONFIG", "set DATABASE_URL, e.g. sqlite:////var/lib/mail-helper/data.db")

app = create_app(agent_client_from_environment(os.environ), _database_url,
                 worker_header=os.environ.get("MAIL_HELPER_WORKER_HEADER") == "1")
