"""Re-encrypting the application's tokens under the current key (cryptography's ``MultiFernet.rotate``).

After a push of [current, previous], rows written before the rotation are still under the previous key. The
application calls ``reencrypt`` with two functions over its own storage; this module never sees a table:

    def fetch(after: int | None, limit: int) -> list[tuple[int, bytes]]:   # (row key, token), ascending, key > after
        ...
    def store(rows: Sequence[Rotated[int]]) -> None:                      # one transaction; see Rotated
        ...
    report = reencrypt(fetch, store, fernet_source=receiver.get_fernet, after=saved_cursor, progress=save_cursor)

Resumable: after each stored batch, ``progress`` gets the report so far; its ``cursor`` (the last row key of
that batch) is what to pass as ``after`` next time. A crash between ``store`` and saving the cursor is harmless:
a token the current key opens is left alone, so a re-run (even from the start) only skips the done rows.

Which key a token is under: the current key is tried alone first; a token it opens is done. The others are
rotated (decrypted with any installed key, encrypted with the current one); a token no installed key opens is
counted as ``undecryptable`` and left as it is.

Locks: ``fernet_source`` (``Receiver.get_fernet`` or ``AgentClient.get_fernet``) is called for every batch, so
after a lock the next batch raises ``ReceiverLocked``; a batch during which the keys were wiped is not stored.
Every batch stored before stays. Nothing here logs or returns a plaintext or a token.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from cryptography.fernet import InvalidToken

from .errors import ReceiverLocked
from .fernet_keys import ReceiverFernet

C = TypeVar("C")

DEFAULT_BATCH_SIZE = 500
MAX_BATCH_SIZE = 100_000


@dataclass(frozen=True)
class Rotated(Generic[C]):
    """One re-encrypted row for ``store_batch``. ``old`` is the token that was read: store with a compare-and-set
    (``UPDATE … SET token = :new WHERE id = :key AND token = :old``) so a row the application rewrote meanwhile
    (already under the current key) is not overwritten with older content."""

    key: C
    old: bytes
    new: bytes

    def __repr__(self) -> str:
        return f"Rotated(key={self.key!r})"  # never the tokens


@dataclass(frozen=True)
class Report(Generic[C]):
    """What a run did. ``cursor`` is the last row key of the last stored batch (pass it as ``after`` to resume);
    ``finished`` says the last fetch came back short, so every row after the starting cursor was seen."""

    examined: int = 0
    rotated: int = 0
    already_current: int = 0
    undecryptable: int = 0
    batches: int = 0
    cursor: C | None = None
    finished: bool = False


FernetSource = Callable[[], ReceiverFernet]


def reencrypt(
    fetch_batch: Callable[[C | None, int], Sequence[tuple[C, bytes]]],
    store_batch: Callable[[Sequence[Rotated[C]]], None],
    *,
    fernet_source: FernetSource,
    batch_size: int = DEFAULT_BATCH_SIZE,
    after: C | None = None,
    max_batches: int | None = None,
    progress: Callable[[Report[C]], None] | None = None,
) -> Report[C]:
    """Re-encrypts every token after ``after`` under the current key, ``batch_size`` rows at a time.

    Raises ``ReceiverLocked`` if the receiver is locked at the start or locks mid-way (batches stored before stay;
    resume from the last ``progress`` cursor). ``max_batches`` bounds one call (e.g. to fit a request timeout).
    """
    _check_batch_size(batch_size)
    if max_batches is not None and max_batches < 1:
        raise ValueError("max_batches must be at least 1")
    report: Report[C] = Report(cursor=after)
    fernet_source()  # refuse at once while locked, before reading any row
    while max_batches is None or report.batches < max_batches:
        rows = fetch_batch(report.cursor, batch_size)
        if not rows:
            return _replace(report, finished=True)
        fernet = fernet_source()  # per batch: a lock since the last batch raises ReceiverLocked here
        rotated: list[Rotated[C]] = []
        current = undecryptable = 0
        for key, token in rows:
            if _opens_with_current(fernet, token):
                current += 1  # done already (a re-run after a crash lands here)
                continue
            try:
                rotated.append(Rotated(key, token, _rotate(fernet, token)))
            except InvalidToken:
                undecryptable += 1
        # revoke() sets the flag before it wipes the key halves, so a batch computed with wiped keys is never stored.
        if fernet.revoked:
            raise ReceiverLocked()
        if rotated:
            store_batch(rotated)
        report = Report(
            examined=report.examined + len(rows), rotated=report.rotated + len(rotated),
            already_current=report.already_current + current, undecryptable=report.undecryptable + undecryptable,
            batches=report.batches + 1, cursor=rows[-1][0], finished=len(rows) < batch_size,
        )
        if progress is not None:
            progress(report)
        if report.finished:
            return report
    return report


def count_under_previous(
    fetch_batch: Callable[[C | None, int], Sequence[tuple[C, bytes]]],
    *,
    fernet_source: FernetSource,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> int:
    """How many tokens the current key does not open (still under a previous key, or under none installed): the
    number ``custodian rotate finish`` waits to see at 0. Reads every row; raises ``ReceiverLocked`` while locked."""
    _check_batch_size(batch_size)
    count = 0
    cursor: C | None = None
    fernet_source()
    while True:
        rows = fetch_batch(cursor, batch_size)
        if not rows:
            return count
        fernet = fernet_source()
        count += sum(1 for _, token in rows if not _opens_with_current(fernet, token))
        if fernet.revoked:
            raise ReceiverLocked()
        cursor = rows[-1][0]
        if len(rows) < batch_size:
            return count


def _rotate(fernet: ReceiverFernet, token: bytes) -> bytes:
    try:
        return fernet.rotate(token)
    except IndexError:
        # revoke() emptied the key list between the check and the encryption: the receiver locked.
        raise ReceiverLocked() from None


def _opens_with_current(fernet: ReceiverFernet, token: bytes) -> bool:
    # MultiFernet keeps its Fernets, current first, in _fernets (ReceiverFernet.revoke relies on it too); an empty
    # list means the receiver locked meanwhile.
    fernets = fernet._fernets  # noqa: SLF001
    if fernet.revoked or not fernets:
        raise ReceiverLocked()
    try:
        fernets[0].decrypt(token)  # the plaintext is dropped at once (bytes cannot be wiped; see secret_memory)
        return True
    except InvalidToken:
        return False


def _check_batch_size(batch_size: int) -> None:
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}")


def _replace(report: Report[C], *, finished: bool) -> Report[C]:
    return Report(report.examined, report.rotated, report.already_current, report.undecryptable, report.batches,
                  report.cursor, finished)
