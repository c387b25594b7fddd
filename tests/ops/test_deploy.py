"""The deployment files: the systemd unit's required keys (parsed, so CI without systemd checks
them too), `systemd-analyze verify` where it exists, and the container files' essentials."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

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


def test_the_units_pass_systemd_analyze_verify_where_it_exists() -> None:
    """Always: each unit parses into sections, with an ExecStart that calls civicbot. Where
    `systemd-analyze` exists, it verifies the units too."""
    names = ("civicbot.service", "civicbot-backup.service", "civicbot-backup.timer")
    for name in names:
        sections = unit(DEPLOY / name)
        assert "Unit" in sections, name
        if name.endswith(".service"):
            assert "/civicbot " in sections["Service"]["ExecStart"][0], name
    tool = shutil.which("systemd-analyze")
    if tool is None:
        return  # CI's fresh machine: the parsed keys above and in the tests above are the check
    for name in names:
        done = subprocess.run(
            [tool, "verify", str(DEPLOY / name)], capture_output=True, text=True, timeout=60
        )
        # The binary lives where the README installs it, which this machine need not have;
        # the timer's service is looked for beside it, under /etc/systemd/system.
        problems = [
            line
            for line in (done.stdout + done.stderr).splitlines()
            if line.strip()
            and "is not executable: No such file or directory" not in line
            and "civicbot-backup.service" not in line
        ]
        assert problems == [], name


def container_tool() -> str | None:
    """docker or podman, if one is installed and its engine answers."""
    for name in ("docker", "podman"):
        tool = shutil.which(name)
        if tool is None:
            continue
        try:
            info = subprocess.run([tool, "info"], capture_output=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if info.returncode == 0:
            return tool
    return None


def test_the_image_builds_where_a_container_engine_answers() -> None:
    """Always: everything the Dockerfile copies exists. Where docker or podman answers, the
    image is built and `civicbot --version` runs in it as the unprivileged user."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    tool = container_tool()
    if tool is None:
        return
    tag = "civicbot-test:latest"
    build = subprocess.run(
        [tool, "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=1800
    )
    assert build.returncode == 0, build.stderr[-3000:]
    ran = subprocess.run(
        [tool, "run", "--rm", tag, "--version"], capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0 and ran.stdout.startswith("civicbot "), ran.stderr
    whoami = subprocess.run(
        [tool, "run", "--rm", "--entrypoint", "id", tag, "-u"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert whoami.stdout.strip() == "10001"


def test_the_image_is_slim_non_root_and_has_a_healthcheck() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    users = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert "\nHEALTHCHECK " in dockerfile
    assert "CIVICBOT_OPS__LISTEN=127.0.0.1:9181" in dockerfile
    assert "http://127.0.0.1:9181/health" in dockerfile
    assert 'CMD ["run", "--config", "/etc/civicbot/config.toml"]' in dockerfile


def test_compose_keeps_the_database_in_a_volume_and_the_token_out_of_the_file() -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert "env_file: civicbot.env" in compose
    assert "civicbot-data:/data" in compose
    assert "CIVICBOT_STORAGE__PATH: /data/civicbot.db" in compose
    assert "TOKEN" not in compose.replace("CIVICBOT_TELEGRAM__TOKEN", "")
