"""Command-line parsing that never echoes what was typed (shared by the demo server and its subcommands)."""

from __future__ import annotations

import argparse
import re
from typing import NoReturn

from .errors import ConfigError


class QuietParser(argparse.ArgumentParser):
    """argparse quotes what was typed in its errors; a stray value may be a secret pasted in the wrong place, so
    this parser says that something is wrong and where, never what the value was. Abbreviations are refused
    (like the Node demo; an abbreviation error would also quote the input)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments"):
            message = "unrecognized arguments (every value goes right after its --option; see --help)"
        message = re.sub(r":?\s*'[^']*'", "", message)
        raise ConfigError("USAGE", f"{message}\n{self.format_usage().rstrip()}")
