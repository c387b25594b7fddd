"""The deployment files: the systemd unit's required keys (parsed, so CI without systemd checks
them too), `systemd-analyze verify` where it exists, and the container files' essentials."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit as {section: {key: [values]}} (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}: a key before any section: {line}"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not a key=value line: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_the_service_unit_has_what_an_operator_expects() -> None:
    service = unit(DEPLOY / "civicbot.service")
    main = service["Service"]
    assert main["User"] == ["civicbot"]
    assert main["Restart"] == ["on-failure"]
    assert main["WorkingDirectory"][0].startswith("/")
    assert main["EnvironmentFile"][0].startswith("/etc/civicbot/")
    assert main["ExecStart"][0].endswith("civicbot run --config /etc/civicbot/config.toml")
    assert main["RestartPreventExitStatus"] == ["2"]  # a bad config is not retried
    for hardening in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp"):
        assert hardening in main, hardening
    assert main["ProtectSystem"] == ["strict"]
    assert service["Install"]["WantedBy"] == ["multi-user.target"]
    assert "network-online.target" in service["Unit"]["After"][0]


def test_the_backup_timer_runs_the_backup_service() -> None:
    timer = unit(DEPLOY / "civicbot-backup.timer")
    assert timer["Timer"]["OnCalendar"]
    backup = unit(DEPLOY / "civicbot-backup.service")
    assert "civicbot db backup" in backup["Service"]["ExecStart"][0]
    assert "-mtime +14 -delete" in backup["Service"]["ExecStart"][0]


@pytest.mark.parametrize("name", ["civicbot.service", "civicbot-backup.service"])
def test_systemd_analyze_verify(name: str) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (the keys are checked by parsing)")
    done = subprocess.run(
        [tool, "verify", str(DEPLOY / name)], capture_output=True, text=True, timeout=60
    )
    # The binary lives where the README installs it, which this machine need not have.
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.strip() and "is not executable: No such file or directory" not in line
    ]
    assert problems == []


def test_the_image_is_slim_non_root_and_has_a_healthcheck() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    users = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert "\nHEALTHCHECK " in dockerfile
    assert 'CMD ["run", "--config", "/etc/civicbot/config.toml"]' in dockerfile


def test_compose_keeps_the_database_in_a_volume_and_the_token_out_of_the_file() -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert "env_file: civicbot.env" in compose
    assert "civicbot-data:/data" in compose
    assert "CIVICBOT_STORAGE__PATH: /data/civicbot.db" in compose
    assert "TOKEN" not in compose.replace("CIVICBOT_TELEGRAM__TOKEN", "")
