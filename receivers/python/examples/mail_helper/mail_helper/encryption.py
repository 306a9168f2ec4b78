"""Where the data key comes from, chosen by ``ENCRYPTION_KEY_SOURCE`` as in the secrets strategy.

``custodian-agent`` (production: gunicorn workers plus Celery workers): a host key agent
(``python -m custodian_receiver agent``) takes the push and every process of the app gets the keys from it over a
Unix socket. The only setting is the socket's path, which is not a secret:

    CUSTODIAN_AGENT_SOCKET            the agent's socket, e.g. /run/custodian-agent/agent.sock

``custodian``: the server boots locked and Key Custodian pushes the key into memory (no key in any file,
environment variable or Vault token on this machine). Settings (environment, or the same-named flags of
``python -m mail_helper``, which win):

    CUSTODIAN_IDENTITY_KEY            --identity-key           receiver identity key file (created 0600 if missing)
    CUSTODIAN_AUTHORIZED_CUSTODIANS   --authorized-custodians  file of `custodian identity show` lines
    CUSTODIAN_KEY_CHECK               --key-check              key id(s) accepted, comma-separated (current, previous)
    CUSTODIAN_KEY_CHECK_FILE          --key-check-file         more key ids, one per line, re-read on SIGHUP and at
                                                               every status request (deploy a new key id first)
    CUSTODIAN_SERVER_ID               --server-id              server id (default: mail-helper)

With ``VAULT_ENABLED=true`` the same push also delivers a Vault login (mail_helper/vault_secrets.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from custodian_receiver import ConfigError, Receiver
from custodian_receiver.agent_client import ENV_SOCKET, AgentClient
from custodian_receiver.vault_login import vault_login_from_environment

AGENT_SOURCE = "custodian-agent"


def agent_client_from_environment(environ: Mapping[str, str]) -> AgentClient:
    """The host agent's client for ``ENCRYPTION_KEY_SOURCE=custodian-agent``; it connects at the first request, in
    the worker process that serves it (never in gunicorn's or Celery's parent process)."""
    if environ.get("ENCRYPTION_KEY_SOURCE") != AGENT_SOURCE:
        raise ConfigError("INVALID_CONFIG", f"run under gunicorn/Celery with ENCRYPTION_KEY_SOURCE={AGENT_SOURCE} and {ENV_SOCKET}")
    path = environ.get(ENV_SOCKET)
    if not path:
        raise ConfigError("INVALID_CONFIG", f"set {ENV_SOCKET} to the host key agent's socket, e.g. /run/custodian-agent/agent.sock")
    return AgentClient(path)


def receiver_from_environment(
    environ: Mapping[str, str],
    *,
    identity_key: str | None = None,
    authorized_custodians: str | None = None,
    key_checks: Sequence[str] = (),
    server_id: str | None = None,
    key_check_file: str | None = None,
) -> Receiver:
    source = environ.get("ENCRYPTION_KEY_SOURCE")
    if source != "custodian":
        raise ConfigError("INVALID_CONFIG", "this example needs ENCRYPTION_KEY_SOURCE=custodian (the key is pushed by Key Custodian)")
    identity_key = identity_key or environ.get("CUSTODIAN_IDENTITY_KEY")
    authorized_custodians = authorized_custodians or environ.get("CUSTODIAN_AUTHORIZED_CUSTODIANS")
    checks = list(key_checks) or [k.strip() for k in environ.get("CUSTODIAN_KEY_CHECK", "").split(",") if k.strip()]
    key_check_file = key_check_file or environ.get("CUSTODIAN_KEY_CHECK_FILE") or None
    settings = (
        ("CUSTODIAN_IDENTITY_KEY", identity_key),
        ("CUSTODIAN_AUTHORIZED_CUSTODIANS", authorized_custodians),
        ("CUSTODIAN_KEY_CHECK", checks or key_check_file),
    )
    missing = [name for name, value in settings if not value]
    if missing:
        raise ConfigError("INVALID_CONFIG", f"set {', '.join(missing)} (see mail_helper/encryption.py)")
    assert identity_key is not None and authorized_custodians is not None
    return Receiver.from_files(
        identity_key_file=identity_key,
        authorized_custodians_file=authorized_custodians,
        key_checks=checks,
        server_id=server_id or environ.get("CUSTODIAN_SERVER_ID") or "mail-helper",
        vault=vault_login_from_environment(environ),  # VAULT_ENABLED=true: mail_helper/vault_secrets.py
        key_check_file=key_check_file,
    )
