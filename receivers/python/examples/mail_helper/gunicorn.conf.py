"""gunicorn settings for the mail helper: ``gunicorn -c gunicorn.conf.py mail_helper.wsgi:app``.

No key and no secret here or in the environment: each worker gets the keys from the host key agent
(CUSTODIAN_AGENT_SOCKET) at its first request. Restarting a worker, or the whole app, keeps the host unlocked.
"""

import os

bind = os.environ.get("MAIL_HELPER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MAIL_HELPER_WORKERS", "2"))
worker_class = "sync"
preload_app = False  # each worker imports the app itself; the master never talks to the agent
timeout = 30
graceful_timeout = 10
accesslog = None  # request lines are not needed; errors go to stderr
errorlog = "-"
loglevel = "warning"
