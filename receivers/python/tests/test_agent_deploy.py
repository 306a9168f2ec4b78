"""The systemd units of docs/agent.md: the files in the example's deploy/ are the ones the doc shows, systemd
accepts them, and they carry the hardening the doc promises."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "receivers" / "python" / "examples" / "mail_helper" / "deploy"
UNITS = ["custodian-agent.service", "mail-helper.service", "mail-helper-celery.service"]
HARDENING = ["LimitCORE=0", "NoNewPrivileges=yes", "MemoryDenyWriteExecute=yes", "PrivateTmp=yes", "ProtectSystem=strict",
             "CapabilityBoundingSet=", "UMask=0077"]


def unit(name: str) -> str:
    return (DEPLOY / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", UNITS)
def test_docs_show_the_unit_files_exactly(name: str) -> None:
    doc = (ROOT / "docs" / "agent.md").read_text(encoding="utf-8")
    match = re.search(rf"### `{re.escape(name)}`\n\n```ini\n(.*?)```\n", doc, re.S)
    assert match is not None, f"docs/agent.md has no ini block for {name}"
    assert match.group(1) == unit(name)


@pytest.mark.parametrize("name", UNITS)
def test_units_are_hardened(name: str) -> None:
    text = unit(name)
    lines = set(text.splitlines())
    for directive in HARDENING:
        assert directive in lines, f"{name} lacks {directive}"
    # The app and the agent never restart each other: an agent restart relocks the host.
    assert not re.search(r"^(Requires|BindsTo|PartOf)=", text, re.M)
    assert "CUSTODIAN_AGENT_SOCKET=/run/custodian-agent/agent.sock" in text or name == "custodian-agent.service"


def test_agent_unit_keeps_its_socket_in_a_runtime_directory_and_allows_only_the_app() -> None:
    text = unit("custodian-agent.service")
    assert "RuntimeDirectory=custodian-agent\n" in text and "RuntimeDirectoryMode=0750\n" in text
    assert "--socket /run/custodian-agent/agent.sock --socket-group mail-helper --allow-uid mail-helper" in text
    assert "StateDirectoryMode=0700\n" in text and "--identity-key /var/lib/custodian-agent/receiver.key" in text


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: apt-get install systemd (scripts/setup.mjs installs it)", pytrace=False)
    venv_bin = str(Path(sys.executable).parent)
    for name in UNITS:  # the programs must exist for verify: point them at this venv
        (tmp_path / name).write_text(unit(name).replace("/opt/mail-helper/venv/bin", venv_bin))
    result = subprocess.run([analyze, "verify", "--man=no", *[str(tmp_path / n) for n in UNITS]],
                            capture_output=True, text=True, timeout=60, env={"SYSTEMD_LOG_LEVEL": "notice", "PATH": "/usr/bin:/bin"})
    # Unknown or misspelt directives are only warnings: any output at all fails the test.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
