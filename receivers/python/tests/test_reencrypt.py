"""The re-encryption helper on a real Receiver: batches, resume after a crash, progress, the count of tokens
under a previous key, refusal while locked, and a lock in the middle of a run."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import pytest
from cryptography.fernet import Fernet, InvalidToken

from custodian_receiver import ReceiverLocked, Rotated, count_under_previous, reencrypt
from helpers import World, fernet_text, make_world


class Table:
    """An in-memory table of (id, token), with the compare-and-set store the helper's docs ask for."""

    def __init__(self, tokens: list[bytes]) -> None:
        self.rows = dict(enumerate(tokens, start=1))
        self.fetches: list[tuple[int | None, int]] = []
        self.stores: list[list[int]] = []

    def fetch(self, after: int | None, limit: int) -> list[tuple[int, bytes]]:
        self.fetches.append((after, limit))
        keys = sorted(k for k in self.rows if after is None or k > after)[:limit]
        return [(k, self.rows[k]) for k in keys]

    def store(self, rows: Sequence[Rotated[int]]) -> None:
        self.stores.append([row.key for row in rows])
        for row in rows:
            if self.rows[row.key] == row.old:
                self.rows[row.key] = row.new


def unlocked_world() -> World:
    world = make_world()
    status, _ = world.send(world.request([world.current, world.previous]))
    assert status == 200
    return world


def plaintexts(n: int) -> list[bytes]:
    return [f"message {i}".encode() for i in range(1, n + 1)]


def only_current(world: World) -> Fernet:
    return Fernet(fernet_text(world.current))


def test_rotates_in_batches_and_every_row_then_opens_with_the_current_key_alone(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    world = unlocked_world()
    old, new = Fernet(fernet_text(world.previous)), only_current(world)
    texts = plaintexts(12)
    table = Table([new.encrypt(t) if i % 4 == 0 else old.encrypt(t) for i, t in enumerate(texts)])  # 3 already current
    before = dict(table.rows)
    assert count_under_previous(table.fetch, fernet_source=world.receiver.get_fernet, batch_size=5) == 9
    table.fetches.clear()

    seen: list[tuple[int, int, int | None]] = []
    report = reencrypt(table.fetch, table.store, fernet_source=world.receiver.get_fernet, batch_size=5,
                       progress=lambda r: seen.append((r.examined, r.rotated, r.cursor)))

    assert (report.examined, report.rotated, report.already_current, report.undecryptable) == (12, 9, 3, 0)
    assert (report.batches, report.cursor, report.finished) == (3, 12, True)
    assert table.fetches == [(None, 5), (5, 5), (10, 5)]
    assert seen == [(5, 3, 5), (10, 7, 10), (12, 9, 12)]  # rows 1, 5 and 9 were current
    assert [new.decrypt(table.rows[k]) for k in sorted(table.rows)] == texts
    assert all(table.rows[k] == before[k] for k in (1, 5, 9)), "a token already under the current key was rewritten"
    assert count_under_previous(table.fetch, fernet_source=world.receiver.get_fernet, batch_size=5) == 0
    assert "Rotated(key=1)" == repr(Rotated(1, b"old-token", b"new-token"))
    for text in texts:
        assert text not in caplog.text.encode()
    assert "gAAAAA" not in caplog.text and "gAAAAA" not in repr(report)


def test_a_crash_after_storing_a_batch_reruns_from_the_saved_cursor_without_harm() -> None:
    world = unlocked_world()
    old = Fernet(fernet_text(world.previous))
    texts = plaintexts(10)
    table = Table([old.encrypt(t) for t in texts])
    saved: list[int | None] = [None]

    def save_then_crash(report) -> None:  # type: ignore[no-untyped-def]
        if report.batches == 2:
            raise RuntimeError("power cut")  # batch 2 is stored, its cursor is not saved
        saved[0] = report.cursor

    with pytest.raises(RuntimeError):
        reencrypt(table.fetch, table.store, fernet_source=world.receiver.get_fernet, batch_size=3, progress=save_then_crash)
    assert saved[0] == 3 and table.stores == [[1, 2, 3], [4, 5, 6]]

    report = reencrypt(table.fetch, table.store, fernet_source=world.receiver.get_fernet, batch_size=3, after=saved[0])
    # Rows 4-6 were rotated before the crash: the current key opens them, so they are skipped, not rotated again.
    assert (report.examined, report.rotated, report.already_current, report.finished) == (7, 4, 3, True)
    assert table.stores[-2:] == [[7, 8, 9], [10]]
    assert [only_current(world).decrypt(table.rows[k]) for k in sorted(table.rows)] == texts

    # Even from the very start (cursor lost), a re-run changes nothing.
    untouched = dict(table.rows)
    again = reencrypt(table.fetch, table.store, fernet_source=world.receiver.get_fernet, batch_size=3)
    assert (again.rotated, again.already_current) == (0, 10) and table.rows == untouched


def test_max_batches_bounds_one_call_and_the_next_call_resumes() -> None:
    world = unlocked_world()
    old = Fernet(fernet_text(world.previous))
    table = Table([old.encrypt(t) for t in plaintexts(7)])
    first = reencrypt(table.fetch, table.store, fernet_source=world.receiver.get_fernet, batch_size=2, max_batches=2)
    assert (first.rotated, first.cursor, first.finished) == (4, 4, False)
    second = reencrypt(table.fetch, table.store, fernet_source=world.receiver.get_fernet, batch_size=2, after=first.cursor)
    assert (second.rotated, second.cursor, second.finished) == (3, 7, True)
    # An exact multiple of the batch size ends with one empty fetch.
    exact = Table([old.encrypt(t) for t in plaintexts(4)])
    report = reencrypt(exact.fetch, exact.store, fernet_source=world.receiver.get_fernet, batch_size=2)
    assert (report.batches, report.finished, exact.fetches[-1]) == (2, True, (4, 2))


def test_a_token_no_installed_key_opens_is_counted_and_left_alone() -> None:
    world = unlocked_world()
    stranger = Fernet(Fernet.generate_key())
    foreign = stranger.encrypt(b"someone else's")
    table = Table([Fernet(fernet_text(world.previous)).encrypt(b"a"), foreign])
    report = reencrypt(table.fetch, table.store, fernet_source=world.receiver.get_fernet)
    assert (report.rotated, report.undecryptable) == (1, 1)
    assert table.rows[2] == foreign
    assert count_under_previous(table.fetch, fernet_source=world.receiver.get_fernet) == 1


def test_refuses_to_run_or_count_while_locked_and_reads_nothing() -> None:
    world = make_world()  # never unlocked
    table = Table([os.urandom(40)])
    with pytest.raises(ReceiverLocked) as raised:
        reencrypt(table.fetch, table.store, fernet_source=world.receiver.get_fernet)
    assert "locked" in str(raised.value)
    with pytest.raises(ReceiverLocked):
        count_under_previous(table.fetch, fernet_source=world.receiver.get_fernet)
    assert table.fetches == [] and table.stores == []


def test_a_lock_mid_way_stops_at_the_next_batch_and_keeps_what_was_stored() -> None:
    world = unlocked_world()
    old = Fernet(fernet_text(world.previous))
    texts = plaintexts(9)
    table = Table([old.encrypt(t) for t in texts])

    def lock_after_first(report) -> None:  # type: ignore[no-untyped-def]
        if report.batches == 1:
            world.receiver.lock()  # a custodian's remote lock lands here: the keys are wiped

    with pytest.raises(ReceiverLocked):
        reencrypt(table.fetch, table.store, fernet_source=world.receiver.get_fernet, batch_size=3, progress=lock_after_first)
    assert table.stores == [[1, 2, 3]]
    current = only_current(world)
    assert [current.decrypt(table.rows[k]) for k in (1, 2, 3)] == texts[:3]
    for k in range(4, 10):
        with pytest.raises(InvalidToken):
            current.decrypt(table.rows[k])


def test_keys_wiped_during_a_batch_mean_that_batch_is_not_stored() -> None:
    world = unlocked_world()
    old = Fernet(fernet_text(world.previous))
    table = Table([old.encrypt(t) for t in plaintexts(4)])
    calls = 0

    def source_that_locks_on_the_third_call():  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        fernet = world.receiver.get_fernet()
        if calls == 3:  # the start check, batch 1, then batch 2: the lock lands after the batch got its Fernet
            world.receiver.lock()
            assert fernet.revoked
        return fernet

    with pytest.raises(ReceiverLocked):
        reencrypt(table.fetch, table.store, fernet_source=source_that_locks_on_the_third_call, batch_size=2)
    assert table.stores == [[1, 2]]
    assert old.decrypt(table.rows[3]) == b"message 3"


def test_bad_arguments_are_refused_before_anything_is_read() -> None:
    world = unlocked_world()
    table = Table([])
    for options in ({"batch_size": 0}, {"batch_size": 100_001}, {"max_batches": 0}):
        with pytest.raises(ValueError):
            reencrypt(table.fetch, table.store, fernet_source=world.receiver.get_fernet, **options)  # type: ignore[arg-type]
    assert table.fetches == []
    report = reencrypt(table.fetch, table.store, fernet_source=world.receiver.get_fernet)
    assert (report.examined, report.batches, report.finished, report.cursor) == (0, 0, True, None)
