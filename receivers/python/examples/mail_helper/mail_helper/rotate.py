"""``python -m mail_helper rotate``: re-encrypt every stored message under the current key, through the running app.

The running app holds the keys (its own receiver, or the host agent's clients in its gunicorn workers); this
command holds none. It calls ``POST /api/rotation`` on the app's loopback address a few batches at a time, prints
one JSON line per call (counts and the cursor, never a message or a token), and ends with the count of rows still
under a previous key from ``GET /api/rotation``. Safe to interrupt and run again: rows already under the current
key are skipped (``--after ID`` starts after the last cursor printed, to skip reading them again).

Exit codes: 0 done (nothing left under a previous key), 1 rows remain that no installed key opens, 3 the app is
locked (push the keys first; what was done stays), 2 usage or connection errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlparse

MAX_CALLS = 1_000_000  # a bound on the loop; each call advances the cursor or finishes
TIMEOUT_SECONDS = 120


class AppError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        super().__init__(f"HTTP {status}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mail_helper rotate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app-url", default=os.environ.get("MAIL_HELPER_URL", "http://127.0.0.1:8000"),
                        help="the running app, on this host (default: $MAIL_HELPER_URL or http://127.0.0.1:8000)")
    parser.add_argument("--after", type=int, default=None, metavar="ID", help="start after this message id (a cursor printed before)")
    parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction (1-5000, default 500)")
    parser.add_argument("--batches-per-call", type=int, default=20, help="batches per request to the app (default 20)")
    args = parser.parse_args(argv)
    url = args.app_url.rstrip("/")
    if urlparse(url).scheme not in ("http", "https"):
        parser.error("--app-url must be an http(s) URL of the running app")

    cursor, totals = args.after, {"examined": 0, "rotated": 0, "already_current": 0, "undecryptable": 0}
    try:
        for _ in range(MAX_CALLS):
            step = _call(f"{url}/api/rotation", {"after": cursor, "batch_size": args.batch_size, "max_batches": args.batches_per_call})
            for name in totals:
                totals[name] += int(step[name])
            cursor = step["cursor"]
            _line({"event": "progress", **totals, "cursor": cursor})
            if step["finished"]:
                break
        remaining = int(_call(f"{url}/api/rotation", None)["tokens_under_previous"])
    except AppError as error:
        code = str(error.body.get("error", "")) if isinstance(error.body, dict) else ""
        if error.status == 503 and code == "locked":
            _line({"event": "locked", **totals, "cursor": cursor})
            print("error [LOCKED]: the app has no keys (locked): push them, then run this again"
                  + (f" with --after {cursor}" if cursor is not None else ""), file=sys.stderr)
            return 3
        print(f"error [APP_REFUSED]: the app answered HTTP {error.status} {code}".rstrip(), file=sys.stderr)
        return 2
    except (OSError, ValueError, KeyError) as error:
        print(f"error [APP_UNREACHABLE]: cannot use {url}/api/rotation ({type(error).__name__})", file=sys.stderr)
        return 2
    _line({"event": "done", **totals, "cursor": cursor, "tokens_under_previous": remaining})
    return 0 if remaining == 0 else 1


def _call(url: str, body: dict[str, Any] | None) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            refused = json.loads(error.read())
        except ValueError:
            refused = {}
        raise AppError(error.code, refused if isinstance(refused, dict) else {}) from None
    if not isinstance(answer, dict):
        raise ValueError("not a JSON object")
    return answer


def _line(value: dict[str, Any]) -> None:
    print(json.dumps(value, separators=(",", ":")), flush=True)
