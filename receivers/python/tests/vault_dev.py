"""A real OpenBao for the Vault-login tests: ``bao server -dev`` on a free loopback port (in memory, unsealed, KV v2
at ``secret/``), set up like ``custodian vault setup --app NAME`` would: a policy that reads ``secret/data/NAME/*``,
an AppRole role NAME with single-use SecretIDs, and the application's secrets. The binary comes from
CUSTODIAN_TEST_BAO (scripts/test.mjs sets it); without it the tests fail, they never skip."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hvac
import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class DevVault:
    addr: str
    root_token: str
    process: subprocess.Popen[bytes]
    log: Path

    def root(self) -> hvac.Client:
        return hvac.Client(url=self.addr, token=self.root_token, timeout=5)

    def setup_app(self, app: str, secrets_by_name: dict[str, dict[str, str]], *, token_ttl: str = "1h", token_max_ttl: str = "4h") -> str:
        """Policy, AppRole role (single-use SecretIDs, bounded TTLs) and KV secrets for ``app``; returns its RoleID."""
        client = self.root()
        if "approle/" not in client.sys.list_auth_methods():
            client.sys.enable_auth_method("approle")
        client.sys.create_or_update_policy(app, f'path "secret/data/{app}/*" {{ capabilities = ["read"] }}\n'
                                                f'path "secret/metadata/{app}/*" {{ capabilities = ["read", "list"] }}\n')
        client.auth.approle.create_or_update_approle(
            app, token_policies=[app], secret_id_num_uses=1, secret_id_ttl="10m", token_ttl=token_ttl, token_max_ttl=token_max_ttl,
        )
        for name, fields in secrets_by_name.items():
            client.secrets.kv.v2.create_or_update_secret(path=f"{app}/{name}", secret=fields, mount_point="secret")
        return str(client.auth.approle.read_role_id(app)["data"]["role_id"])

    def wrapped_secret_id(self, role: str, ttl: str = "60s") -> str:
        """What ``custodian push --vault-role`` mints: a response-wrapped SecretID."""
        answer: dict[str, Any] = self.root().adapter.post(f"/v1/auth/approle/role/{role}/secret-id", wrap_ttl=ttl)
        return str(answer["wrap_info"]["token"])

    def seal(self) -> None:
        self.root().sys.seal()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def start_dev_vault(tmp: Path) -> DevVault:
    binary = os.environ.get("CUSTODIAN_TEST_BAO")
    if not binary or not Path(binary).is_file():
        pytest.fail("CUSTODIAN_TEST_BAO must name the OpenBao binary (scripts/test.mjs sets it; npm run openbao:path builds it)", pytrace=False)
    port = _free_port()
    token = "root-" + secrets.token_hex(12)
    log = tmp / "bao.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "server", "-dev", f"-dev-root-token-id={token}", f"-dev-listen-address=127.0.0.1:{port}"],
            stdout=out, stderr=subprocess.STDOUT, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp)},
        )
    vault = DevVault(f"http://127.0.0.1:{port}", token, process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"bao -dev exited: {log.read_text(errors='replace')[-2000:]}", pytrace=False)
        try:
            if not vault.root().sys.is_sealed():
                return vault
        except Exception:
            pass
        time.sleep(0.1)
    vault.stop()
    pytest.fail("bao -dev did not answer within 30 s", pytrace=False)
