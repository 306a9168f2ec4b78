"""The mail helper's background jobs (Celery, Redis broker): ``celery -A mail_helper.tasks worker``.

The workers decrypt with the same pushed key as the web workers, from the host key agent
(``ENCRYPTION_KEY_SOURCE=custodian-agent``). The broker carries message ids, never plaintext or keys.

    CELERY_BROKER_URL      e.g. redis://127.0.0.1:6379/0 (also the result backend unless CELERY_RESULT_BACKEND)
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

from custodian_receiver.agent_client import AgentLocked

from .encryption import agent_client_from_environment
from .store import get_message

_broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
app = Celery("mail_helper", broker=_broker, backend=os.environ.get("CELERY_RESULT_BACKEND", _broker))
app.conf.update(
    task_serializer="json", result_serializer="json", accept_content=["json"],  # never pickle
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
_keys = agent_client_from_environment(os.environ)


@app.task(autoretry_for=(AgentLocked,), retry_backoff=2, retry_backoff_max=60, max_retries=30)
def read_message(message_id: int) -> dict[str, Any]:
    """Decrypts one stored message (a stand-in for the helper's real jobs: digests, forwarding). While the host is
    locked it is retried with back-off instead of failing: the job runs once the officer has pushed the key."""
    found = get_message(os.environ["DATABASE_URL"], message_id)
    if found is None:
        return {"id": message_id, "error": "not found"}
    sender, token = found
    body = _keys.get_fernet().decrypt(token).decode("utf-8")
    return {"id": message_id, "sender": sender, "body": body, "worker": os.getpid()}


@app.task
def encryption_state() -> dict[str, Any]:
    """Whether this worker process holds the keys (for monitoring; no key material)."""
    try:
        _keys.get_fernet()
        return {"encryption": "unlocked", "key_ids": list(_keys.key_ids), "worker": os.getpid()}
    except AgentLocked as locked:
        return {"encryption": "locked", "reason": locked.reason, "worker": os.getpid()}
