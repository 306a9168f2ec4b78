"""The Vault login delivered by push (docs/protocol.md §12.13) against a real OpenBao (``bao server -dev``):
unwrap exactly once, AppRole login with the configured RoleID, token in memory only, renewed, revoked on lock;
a used or expired wrapping token is refused (VAULT_WRAP_USED) while the data keys still install; Vault down or
sealed -> VAULT_UNREACHABLE. Also the key sources for migrating teams (vault, env, user_input)."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hvac
import pytest
from cryptography.fernet import Fernet

from custodian_client import build_unlock, verify_receipt
from custodian_receiver import ConfigError, ReceiverLocked, VaultLocked, VaultLogin, VaultSettings
from custodian_receiver.key_sources import fernet_from_key_text, key_from_env, key_from_user_input, key_from_vault
from custodian_receiver.vault_login import vault_login_from_environment
from helpers import World, error_of, make_world
from vault_dev import DevVault, start_dev_vault

APP = "mail-helper"
DB_PASSWORD = "pg-" + os.urandom(12).hex()
ENCRYPTION_KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevVault]:
    started = start_dev_vault(tmp_path_factory.mktemp("bao"))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def role_id(vault: DevVault) -> str:
    return vault.setup_app(APP, {
        "postgresql": {"username": "mail", "password": DB_PASSWORD, "host": "db.internal", "port": "5432", "database": "mail"},
        "encryption": {"key": ENCRYPTION_KEY},
    })


def settings(vault: DevVault, role: str, **overrides: Any) -> VaultSettings:
    return VaultSettings(**{"addr": vault.addr, "role": APP, "role_id": role, **overrides})


def vault_world(vault: DevVault, role: str, **overrides: Any) -> World:
    return make_world(vault=VaultLogin(settings(vault, role, **overrides)))


def push(world: World, wrap: str | None, role: str = APP) -> tuple[int, dict[str, Any], Any]:
    status = world.status()
    keys = [world.current, world.previous]
    extra = wrap.encode("ascii") if wrap is not None else b""
    request = build_unlock(status, world.custodian, keys, plaintext=b"".join(keys) + extra, overrides={"vault_role": role})
    code, body = world.send(request)
    return code, body, (verify_receipt(__import__("json").dumps(body), world.receiver.identity, request) if code == 200 else None)


def test_status_announces_the_role_and_awaits_the_login(vault: DevVault, role_id: str) -> None:
    world = vault_world(vault, role_id)
    assert world.status()["vault_login"] == {"role": APP, "state": "awaiting"}
    with pytest.raises(VaultLocked):
        world.receiver.get_secret("postgresql")


def test_a_push_delivers_the_login_and_get_secret_reads_the_app_secrets(vault: DevVault, role_id: str) -> None:
    world = vault_world(vault, role_id)
    code, body, receipt = push(world, vault.wrapped_secret_id(APP))
    assert code == 200, body
    assert receipt["vault_login"] == "delivered"
    assert world.status()["vault_login"] == {"role": APP, "state": "delivered"}
    assert world.receiver.get_secret("postgresql")["password"] == DB_PASSWORD
    assert world.receiver.get_fernet() is not None  # the data keys too
    # the login's policy reads this app's secrets only
    with pytest.raises(hvac.exceptions.Forbidden):
        world.receiver.vault_login._client.secrets.kv.v2.read_secret_version(path="other-app/x", mount_point="secret", raise_on_deleted_version=True)  # type: ignore[union-attr]


def test_a_used_wrapping_token_is_refused_but_the_data_keys_install(vault: DevVault, role_id: str) -> None:
    wrap = vault.wrapped_secret_id(APP)
    hvac.Client(url=vault.addr, token=wrap).sys.unwrap()  # the interceptor unwrapped it first
    world = vault_world(vault, role_id)
    code, body, receipt = push(world, wrap)
    assert code == 200, body
    assert receipt["vault_login"] == "VAULT_WRAP_USED"
    assert world.receiver.state == "unlocked"
    assert world.status()["vault_login"]["state"] == "VAULT_WRAP_USED"
    with pytest.raises(VaultLocked) as locked:
        world.receiver.get_secret("postgresql")
    assert locked.value.state == "VAULT_WRAP_USED"


def test_the_same_wrapping_token_works_once_only(vault: DevVault, role_id: str) -> None:
    wrap = vault.wrapped_secret_id(APP)
    first, second = vault_world(vault, role_id), vault_world(vault, role_id)
    assert push(first, wrap)[2]["vault_login"] == "delivered"
    assert push(second, wrap)[2]["vault_login"] == "VAULT_WRAP_USED"


def test_an_expired_wrapping_token_is_refused_as_used(vault: DevVault, role_id: str) -> None:
    wrap = vault.wrapped_secret_id(APP, ttl="1s")
    time.sleep(2.2)
    world = vault_world(vault, role_id)
    assert push(world, wrap)[2]["vault_login"] == "VAULT_WRAP_USED"


def test_a_login_for_another_role_is_not_unwrapped(vault: DevVault, role_id: str) -> None:
    wrap = vault.wrapped_secret_id(APP)
    world = vault_world(vault, role_id)
    assert push(world, wrap, role="other-app")[2]["vault_login"] == "VAULT_ROLE_MISMATCH"
    assert hvac.Client(url=vault.addr, token=wrap).sys.unwrap()["data"]["secret_id"], "the token was left unused"


def test_a_wrong_role_id_is_a_failed_login(vault: DevVault, role_id: str) -> None:
    world = vault_world(vault, role_id, role_id="00000000-0000-0000-0000-000000000000")
    assert push(world, vault.wrapped_secret_id(APP))[2]["vault_login"] == "VAULT_LOGIN_FAILED"


def test_vault_unreachable_still_installs_the_keys(vault: DevVault, role_id: str, tmp_path: Path) -> None:
    world = make_world(vault=VaultLogin(VaultSettings(addr="http://127.0.0.1:9", role=APP, role_id=role_id, timeout=2)))
    code, _body, receipt = push(world, vault.wrapped_secret_id(APP))
    assert code == 200 and receipt["vault_login"] == "VAULT_UNREACHABLE"
    assert world.receiver.state == "unlocked"


def test_the_plaintext_layout_is_strict(vault: DevVault, role_id: str) -> None:
    world = vault_world(vault, role_id)
    assert error_of(push(world, None)[1]) == "BAD_PAYLOAD"  # vault_role named but no token after the keys
    world = vault_world(vault, role_id)
    assert error_of(push(world, "bad token with spaces")[1]) == "BAD_PAYLOAD"
    world = vault_world(vault, role_id)
    assert error_of(push(world, "x" * 1025)[1]) == "BAD_PAYLOAD"
    plain = make_world()  # no Vault login configured: vault_role is an unknown member
    assert error_of(push(plain, "s.abc")[1]) == "BAD_REQUEST"
    assert plain.receiver.state == "locked"


def test_lock_revokes_and_forgets_the_token(vault: DevVault, role_id: str) -> None:
    world = vault_world(vault, role_id)
    push(world, vault.wrapped_secret_id(APP))
    login = world.receiver.vault_login
    assert login is not None
    token = login._client.token
    assert vault.root().auth.token.lookup(token)["data"]["policies"] == ["default", APP]
    world.receiver.lock()
    with pytest.raises(VaultLocked):
        world.receiver.get_secret("postgresql")
    with pytest.raises(ReceiverLocked):
        world.receiver.get_fernet()
    assert world.status()["vault_login"]["state"] == "awaiting"
    with pytest.raises(hvac.exceptions.Forbidden):
        vault.root().auth.token.lookup(token)  # revoked in Vault, not just forgotten here


def test_the_token_is_renewed_before_it_expires(vault: DevVault, tmp_path: Path) -> None:
    short_role = vault.setup_app("short-lived", {"postgresql": {"password": "x"}}, token_ttl="3s", token_max_ttl="60s")
    world = make_world(vault=VaultLogin(VaultSettings(addr=vault.addr, role="short-lived", role_id=short_role)))
    assert push(world, vault.wrapped_secret_id("short-lived"), role="short-lived")[2]["vault_login"] == "delivered"
    time.sleep(5)  # longer than the token's TTL: only renew-self keeps it alive
    assert world.receiver.get_secret("postgresql") == {"password": "x"}
    assert world.status()["vault_login"]["state"] == "delivered"
    world.receiver.lock()


def test_settings_from_the_environment_refuse_a_vault_token(vault: DevVault, role_id: str, tmp_path: Path) -> None:
    base = {"VAULT_ENABLED": "true", "VAULT_ADDR": vault.addr, "VAULT_ROLE": APP, "VAULT_ROLE_ID": role_id}
    login = vault_login_from_environment(base)
    assert login is not None and login.role == APP
    with pytest.raises(ConfigError, match="VAULT_TOKEN is set"):
        vault_login_from_environment({**base, "VAULT_TOKEN": "s.whatever"})
    with pytest.raises(ConfigError, match="VAULT_ROLE_ID"):
        vault_login_from_environment({k: v for k, v in base.items() if k != "VAULT_ROLE_ID"})
    role_file = tmp_path / "role-id"
    role_file.write_text(role_id + "\n")
    from_file = vault_login_from_environment({**{k: v for k, v in base.items() if k != "VAULT_ROLE_ID"}, "VAULT_ROLE_ID_FILE": str(role_file)})
    assert from_file is not None and from_file.settings.role_id == role_id
    assert vault_login_from_environment({}) is None


def test_key_source_vault_reads_the_encryption_key_with_the_pushed_login(vault: DevVault, role_id: str) -> None:
    world = vault_world(vault, role_id)
    login = world.receiver.vault_login
    assert login is not None
    with pytest.raises(VaultLocked):
        key_from_vault(login)
    push(world, vault.wrapped_secret_id(APP))
    token = Fernet(ENCRYPTION_KEY.encode()).encrypt(b"hello")
    assert key_from_vault(login).decrypt(token) == b"hello"


def test_key_source_env_is_refused_in_production() -> None:
    key = Fernet.generate_key()
    token = Fernet(key).encrypt(b"dev")
    assert key_from_env({"ENCRYPTION_KEY": key.decode()}, production=False).decrypt(token) == b"dev"
    with pytest.raises(ConfigError, match="refused in production"):
        key_from_env({"ENCRYPTION_KEY": key.decode()}, production=True)
    with pytest.raises(ConfigError) as bad:
        key_from_env({"ENCRYPTION_KEY": key.decode()[:43]}, production=False)
    assert key.decode()[:20] not in str(bad.value), "the error never quotes the value"


def test_key_source_user_input_checks_the_44_characters() -> None:
    key = Fernet.generate_key().decode()
    typed = iter(["too-short", key[:-1] + "!", key])
    prompts: list[str] = []

    def prompt(text: str) -> str:
        prompts.append(text)
        return next(typed)

    fernet = key_from_user_input(prompt)
    assert len(prompts) == 3 and "44" in prompts[0]
    assert fernet.decrypt(Fernet(key.encode()).encrypt(b"ok")) == b"ok"
    with pytest.raises(ConfigError):
        key_from_user_input(lambda _p: "nope", attempts=2)
    with pytest.raises(ValueError):
        fernet_from_key_text(base64.urlsafe_b64encode(os.urandom(31)).decode())
