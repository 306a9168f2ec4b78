"""Store one encrypted message: ``python -m mail_helper.seed --sender alice@example.org < key-and-text``.

stdin: the Fernet key text on the first line, the message text after it. The key comes on stdin because a
file or an argument (which ``ps`` shows) would leave it behind; it is used once and forgotten. This is the
step that happens long before a deploy, wherever the data is written; the server itself never sees a key file.
"""

from __future__ import annotations

import argparse
import os
import sys

from cryptography.fernet import Fernet

from .store import add_message


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mail_helper.seed", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sender", required=True)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="default: $DATABASE_URL")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("set DATABASE_URL or pass --database-url")
    key_text = bytearray(sys.stdin.buffer.readline().strip())
    text = sys.stdin.buffer.read()
    try:
        token = Fernet(bytes(key_text)).encrypt(text)
    except ValueError:
        print("error: the first line of stdin must be a Fernet key (44 characters of url-safe base64)", file=sys.stderr)
        return 2
    finally:
        key_text[:] = bytes(len(key_text))
    message_id = add_message(args.database_url, args.sender, token)
    print(f"stored encrypted message {message_id} from {args.sender}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
