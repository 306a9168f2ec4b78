"""``python -m custodian_receiver agent --socket PATH --allow-uid USER … [the receiver's flags]``.

The HTTP receiver (every flag of ``python -m custodian_receiver``) and the host agent in one process: the push
unlocks the receiver, and the agent hands the keys to the application's processes over the Unix socket. stdout:
one line ``{"event":"agent","socket":…}`` when the socket is ready, then the receiver's start line and its
per-attempt lines, and one line per agent client (``agent_client``, ``agent_keys``, ``agent_refused``), never key
material. Errors as the receiver's: ``error [CODE]: message`` on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from .agent import HostAgent
from .agent_socket import bind_agent_socket, make_policy, peer_credentials_supported, resolve_gid
from .errors import ConfigError
from .receiver import Receiver

Serve = Callable[..., int]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        message = re.sub(r":?\s*'[^']*'", "", message)  # never echo a value (it could be a secret in the wrong place)
        raise ConfigError("USAGE", message)


def _parser() -> _Parser:
    parser = _Parser(prog="python -m custodian_receiver agent", add_help=False, allow_abbrev=False)
    parser.add_argument("--socket", metavar="PATH", help="the agent's Unix socket, in a directory of mode 0700/0750 owned by this user "
                        "(systemd: RuntimeDirectory=), e.g. /run/custodian-agent/agent.sock")
    parser.add_argument("--allow-uid", metavar="USER", action="append", default=[],
                        help="a user (name or uid) whose processes may get the keys (repeatable)")
    parser.add_argument("--allow-gid", metavar="GROUP", action="append", default=[],
                        help="a primary group (name or gid) whose processes may get the keys (repeatable)")
    parser.add_argument("--socket-group", metavar="GROUP",
                        help="make the socket 0660 and owned by this group (default: 0600, this user only)")
    return parser


def run_agent(argv: list[str], *, serve: Serve, receiver_help: Callable[[], str]) -> int:
    if "-h" in argv or "--help" in argv:
        sys.stdout.write(_parser().format_help())
        sys.stdout.write("\nand every flag of the receiver:\n\n" + receiver_help())
        return 0
    try:
        args, rest = _parser().parse_known_args(argv)
        if not args.socket:
            raise ConfigError("USAGE", "--socket PATH is required")
        if not peer_credentials_supported():
            raise ConfigError("INVALID_CONFIG", "the host agent needs SO_PEERCRED (Linux); Python has no getpeereid() on this system")
        policy = make_policy(args.allow_uid, args.allow_gid)
        group = resolve_gid(args.socket_group) if args.socket_group else None
        listener = bind_agent_socket(args.socket, group=group)
    except ConfigError as error:
        sys.stderr.write(f"error [{error.code}]: {error.message}\n")
        return 2
    path = os.path.abspath(args.socket)
    agents: list[HostAgent] = []

    def start(receiver: Receiver, line: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        agent = HostAgent(receiver, listener, policy, log=line)
        agents.append(agent)
        agent.start()
        line({"event": "agent", "socket": path, "allow_uids": sorted(policy.uids), "allow_gids": sorted(policy.gids), "pid": os.getpid()})
        return agent.stop

    try:
        return serve(rest, services=[start])
    finally:
        if not agents:  # the receiver did not start: remove the socket we made
            listener.close()
            with contextlib.suppress(OSError):
                os.unlink(path)
