"""The application's MultiFernet: current key first, previous keys decrypt, and it dies with lock()."""

from __future__ import annotations

import os

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from custodian_receiver.errors import ReceiverLocked
from custodian_receiver.fernet_keys import ReceiverFernet
from custodian_receiver.secret_memory import SecretKey, wipe


def _fernet(raw: bytes) -> Fernet:
    import base64

    return Fernet(base64.urlsafe_b64encode(raw))


def test_current_key_encrypts_and_previous_keys_still_decrypt() -> None:
    current, previous = os.urandom(32), os.urandom(32)
    fernet = ReceiverFernet([SecretKey(current), SecretKey(previous)])
    assert isinstance(fernet, MultiFernet)
    old_token = _fernet(previous).encrypt(b"old row")
    assert fernet.decrypt(old_token) == b"old row"
    new_token = fernet.encrypt(b"new row")
    assert _fernet(current).decrypt(new_token) == b"new row"
    with pytest.raises(InvalidToken):
        _fernet(previous).decrypt(new_token)
    rotated = fernet.rotate(old_token)
    assert _fernet(current).decrypt(rotated) == b"old row"
    assert fernet.extract_timestamp(rotated) == fernet.extract_timestamp(old_token)


def test_revoked_fernet_refuses_every_operation_and_drops_its_keys() -> None:
    raw = os.urandom(32)
    fernet = ReceiverFernet([SecretKey(raw)])
    token = fernet.encrypt(b"x")
    fernet.revoke()
    assert fernet._fernets == []
    for call in (
        lambda: fernet.encrypt(b"x"),
        lambda: fernet.encrypt_at_time(b"x", 1),
        lambda: fernet.decrypt(token),
        lambda: fernet.decrypt_at_time(token, 60, 1),
        lambda: fernet.rotate(token),
        lambda: fernet.extract_timestamp(token),
    ):
        with pytest.raises(ReceiverLocked):
            call()
    assert "revoked" in repr(fernet)


def test_secret_key_wipes_its_buffer_and_never_shows_its_bytes() -> None:
    raw = bytes(range(1, 33))
    key = SecretKey(raw)
    buffer = key.buffer
    assert raw.hex() not in repr(key)
    key.wipe()
    assert buffer == bytearray(32)
    assert key.wiped
    with pytest.raises(ValueError):
        _ = key.buffer
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(key)


def test_wipe_zeroes_a_bytearray_in_place_and_refuses_immutable_bytes() -> None:
    data = bytearray(b"\xff" * 100)
    view_before = memoryview(data)
    wipe(data)
    assert bytes(view_before) == b"\0" * 100
    with pytest.raises(TypeError):
        wipe(memoryview(b"immutable"))
