"""Receiver metrics in the Prometheus text format 0.0.4 (protocol §12.7): state, boot time and counters of
unlocks, locks and refused attempts by code. Nothing secret: no key, no key id, no request."""

from __future__ import annotations

import threading
from collections import Counter

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    """Counters since the process started. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._unlocks = 0
        self._locks = 0
        self._statements = 0
        self._rekeys = 0
        self._refused: Counter[str] = Counter()

    def count_unlock(self) -> None:
        with self._lock:
            self._unlocks += 1

    def count_lock(self) -> None:
        with self._lock:
            self._locks += 1

    def count_rekey(self) -> None:
        with self._lock:
            self._rekeys += 1

    def count_statement(self) -> None:
        with self._lock:
            self._statements += 1

    def count_refusal(self, code: str) -> None:
        with self._lock:
            self._refused[code] += 1

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {"unlocks": self._unlocks, "locks": self._locks, "statements": self._statements, "rekeys": self._rekeys,
                    "refused": dict(self._refused)}

    def render(self, *, server_id: str, identity: str, protocol: str, unlocked: bool, boot_time: int) -> str:
        with self._lock:
            refused = sorted(self._refused.items())
            unlocks, locks, statements, rekeys = self._unlocks, self._locks, self._statements, self._rekeys
        lines = [
            "# HELP custodian_receiver_info Receiver identity (labels) and protocol.",
            "# TYPE custodian_receiver_info gauge",
            f'custodian_receiver_info{{server_id="{_label(server_id)}",identity="{_label(identity)}",protocol="{_label(protocol)}"}} 1',
            "# HELP custodian_receiver_unlocked 1 while the data keys are installed, 0 while locked.",
            "# TYPE custodian_receiver_unlocked gauge",
            f"custodian_receiver_unlocked {int(unlocked)}",
            "# HELP custodian_receiver_boot_time_seconds Unix time the current boot began (start, or the last lock).",
            "# TYPE custodian_receiver_boot_time_seconds gauge",
            f"custodian_receiver_boot_time_seconds {boot_time}",
            "# HELP custodian_receiver_unlocks_total Accepted unlock requests.",
            "# TYPE custodian_receiver_unlocks_total counter",
            f"custodian_receiver_unlocks_total {unlocks}",
            "# HELP custodian_receiver_locks_total Locks: remote lock requests and local lock() calls.",
            "# TYPE custodian_receiver_locks_total counter",
            f"custodian_receiver_locks_total {locks}",
            "# HELP custodian_receiver_statements_total Accepted custodian statements that changed something.",
            "# TYPE custodian_receiver_statements_total counter",
            f"custodian_receiver_statements_total {statements}",
            "# HELP custodian_receiver_rekeys_total Accepted rekey requests (key set replaced while unlocked).",
            "# TYPE custodian_receiver_rekeys_total counter",
            f"custodian_receiver_rekeys_total {rekeys}",
            "# HELP custodian_receiver_refused_total Refused unlock, lock and statement requests by error code.",
            "# TYPE custodian_receiver_refused_total counter",
            *(f'custodian_receiver_refused_total{{code="{_label(code)}"}} {count}' for code, count in refused),
        ]
        return "\n".join(lines) + "\n"
