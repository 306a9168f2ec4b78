"""Several custodians and their life cycle (protocol §12.5): the effective custodians and the statements file.

**Effective custodians** = the authorized-custodians file's entries, plus hand-over targets, minus every revoked
fingerprint (a revocation is permanent and wins over the file). Changes arrive as statements signed by an
effective custodian; accepted ones are appended to the statements file (one JWS per line) before the answer,
and replayed in order at start.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .config_files import AuthorizedCustodian
from .errors import ConfigError, Refusal
from .signed_messages import Statement, parse_signed, parse_statement_payload

_MAX_STATEMENTS_FILE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class StatementOutcome:
    statement: Statement
    applied: bool  # False: it was applied before (or changes nothing), and nothing was written


class CustodianRegistry:
    """Who may sign unlock, lock and statement requests. Not thread-safe: the receiver's mutex guards it."""

    def __init__(self, file_entries: Iterable[AuthorizedCustodian]) -> None:
        self._file: dict[str, str] = {entry.fingerprint: entry.name for entry in file_entries}
        self._handed_over: dict[str, str] = {}  # new custodian -> label
        self._revoked: set[str] = set()
        self._applied_tokens: set[str] = set()

    def label_of(self, fingerprint: str) -> str | None:
        """The name or label of an effective custodian, ``None`` for anyone else."""
        if fingerprint in self._revoked:
            return None
        if fingerprint in self._handed_over:
            return self._handed_over[fingerprint]
        return self._file.get(fingerprint)

    def effective(self) -> tuple[AuthorizedCustodian, ...]:
        names = {**self._file, **self._handed_over}
        return tuple(AuthorizedCustodian(fp, name) for fp, name in names.items() if fp not in self._revoked)

    @property
    def revoked(self) -> frozenset[str]:
        return frozenset(self._revoked)

    def apply(self, token: str, persist: Callable[[str], None] | None) -> StatementOutcome:
        """Checks a statement JWS (after the envelope) and applies it. ``persist(token)`` is called before
        anything changes in memory; if it raises, nothing changes."""
        jws = parse_signed(token, "custodian-statement+jws")
        if token in self._applied_tokens:
            # The very statement accepted before: replaying it is harmless and answers "already applied", even
            # though a hand-over revoked its own signer meanwhile.
            return StatementOutcome(parse_statement_payload(token, jws.payload, jws.signer), applied=False)
        if self.label_of(jws.signer) is None:
            raise Refusal("UNKNOWN_CUSTODIAN")
        statement = parse_statement_payload(token, jws.payload, jws.signer)
        if statement.type == "handover":
            # The signer is effective, so a hand-over always changes something: it revokes the signer.
            if statement.subject in self._revoked:
                raise Refusal("CUSTODIAN_REVOKED")
        else:
            if statement.subject in self._revoked:
                return StatementOutcome(statement, applied=False)
            if not any(entry.fingerprint != statement.subject for entry in self.effective()):
                raise Refusal("LAST_CUSTODIAN")
        if persist is not None:
            persist(token)
        self._record(statement)
        return StatementOutcome(statement, applied=True)

    def _record(self, statement: Statement) -> None:
        self._applied_tokens.add(statement.token)
        if statement.type == "handover":
            self._handed_over[statement.subject] = statement.label or ""
            self._revoked.add(statement.signer)
        else:
            self._revoked.add(statement.subject)


class StatementsFile:
    """The append-only statements file (``--custodian-statements FILE``): created ``0600``, refused when group or
    others can read or write it (like the identity key), one JWS per line."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)

    def read_lines(self, *, create: bool = True) -> list[str]:
        """The file's lines (created empty when missing, unless ``create`` is False)."""
        name = self.path
        if self._stat() is None:
            if create:
                self._create()
            return []
        try:
            with open(name, encoding="ascii") as file:
                text = file.read()
        except (OSError, UnicodeDecodeError):
            raise ConfigError("INVALID_CONFIG", f"cannot read the custodian statements file {name}") from None
        return text.split("\n")

    def _stat(self) -> os.stat_result | None:
        """``None`` when missing; a ConfigError when it is not a private regular file of a sane size."""
        name = self.path
        try:
            info = os.stat(name)
        except FileNotFoundError:
            return None
        except OSError:
            raise ConfigError("INVALID_CONFIG", f"cannot read the custodian statements file {name}") from None
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError("INVALID_CONFIG", f"the custodian statements file {name} is not a regular file")
        if info.st_mode & 0o077:
            raise ConfigError(
                "INSECURE_FILE", f"the custodian statements file {name} is accessible by group or others; run: chmod 600 {name}"
            )
        if info.st_size > _MAX_STATEMENTS_FILE_BYTES:
            raise ConfigError("INVALID_CONFIG", f"the custodian statements file {name} is too large")
        return info

    def append(self, token: str) -> None:
        """One line, flushed to disk before the receiver answers (a crash after the answer keeps it)."""
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0))
        try:
            os.write(descriptor, token.encode("ascii") + b"\n")
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def _create(self) -> None:
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError:
            raise ConfigError("INVALID_CONFIG", f"cannot create the custodian statements file {self.path}") from None
        try:
            os.fchmod(descriptor, 0o600)
        finally:
            os.close(descriptor)


def replay_statements(registry: CustodianRegistry, lines: Iterable[str], path: str) -> int:
    """Applies the statements file's lines in order at start; a line that no longer verifies stops the start,
    naming the line (the file or the authorized-custodians file was changed by hand). Returns how many applied."""
    applied = 0
    for number, line in enumerate(lines, start=1):
        token = line.strip()
        if not token:
            continue
        try:
            outcome = registry.apply(token, persist=None)
        except Refusal as refusal:
            raise ConfigError(
                "INVALID_CONFIG", f"custodian statements file {path} line {number} no longer verifies ({refusal.code})"
            ) from None
        applied += outcome.applied
    return applied
