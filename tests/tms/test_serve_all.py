"""`make run` keeps running: a child that exits is logged and restarted, SIGTERM stops every
child and the embedded PostgreSQL, links follow the port, beat starts wherever its file goes.

Real processes throughout; every wait polls with a generous deadline (a loaded 2-core machine).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tms.management.commands.serve_all import child_environment, site_url_for

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 120.0
CELERY = [sys.executable, "-m", "celery", "-A", "tms"]


def _eventually(check: Callable[[], Any], what: str, seconds: float = DEADLINE) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {seconds:.0f} s")


def _status(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None


def _stop(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.communicate(timeout=DEADLINE)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[0]


# --- The supervisor -------------------------------------------------------------------------

FLAKY = """
import sys, time
from pathlib import Path
marker = Path(sys.argv[1])
if not marker.exists():
    marker.write_text("crashed once")
    sys.exit(3)
while True:
    time.sleep(1)
"""

SUPERVISE = """
import logging, sys
from pathlib import Path
from tms.supervisor import Child, Supervisor
logging.basicConfig(level=logging.INFO, format="%(message)s")
flaky, marker, status = sys.argv[1:4]
steady = Child("steady", [sys.executable, "-c", "import time\\nwhile True: time.sleep(1)"])
children = [Child("flaky", [sys.executable, flaky, marker]), steady]
sys.exit(Supervisor(children, status_file=Path(status)).run())
"""


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    flaky = tmp_path / "flaky.py"
    flaky.write_text(FLAKY)
    status = tmp_path / "status.json"
    process = subprocess.Popen(  # noqa: S603 - our own code, fixed arguments
        [sys.executable, "-c", SUPERVISE, str(flaky), str(tmp_path / "marker"), str(status)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process, status
    _stop(process)


def test_a_child_that_exits_is_logged_and_restarted(supervisor):
    process, status_file = supervisor

    def restarted() -> dict[str, Any] | None:
        status = _status(status_file)
        flaky = status and status["children"]["flaky"]
        return status if flaky and flaky["restarts"] == 1 and flaky["running"] else None

    status = _eventually(restarted, "the flaky child restarted")
    assert status["restarts"] == 1
    assert status["children"]["flaky"]["exit_codes"] == [3]
    assert status["children"]["steady"]["restarts"] == 0
    assert status["children"]["steady"]["running"]
    pids = [child["pid"] for child in status["children"].values()]
    output = _stop(process)
    assert process.returncode == 0
    assert "flaky exited unexpectedly (exit code 3)" in output
    assert "restarting it in 1 s (restart 1)" in output
    assert "Received SIGTERM: stopping flaky, steady" in output
    assert not [pid for pid in pids if psutil.pid_exists(pid) and _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# --- serve_all on the embedded default --------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _postgres_for(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if any("postgres" in part for part in cmdline[:1]) and str(data_dir) in cmdline:
            found.append(proc)
    return found


@pytest.fixture
def fresh_data_dir() -> Iterator[Path]:
    # Under the checkout, like .data/postgres: the embedded server's system user must be able
    # to reach it (pytest's tmp folders are private to root).
    folder = ROOT / ".data" / f"serve-all-test-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    yield folder / "postgres"
    for proc in _postgres_for(folder / "postgres"):  # only if the test failed
        proc.kill()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["sigterm", "ctrl-c"])
def test_stopping_stops_every_child_and_the_embedded_postgres(fresh_data_dir, tmp_path, how):
    """SIGTERM to serve_all, or Ctrl-C in the terminal of `make run`, which signals the whole
    process group at once (serve_all and every child): nothing keeps running."""
    port = _free_port()
    status_file = tmp_path / "status.json"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "BROKER_URL", "SITE_URL", "PYTEST_VERSION"}
    }
    env.update({"EMBEDDED_PG_DIR": str(fresh_data_dir), "DEBUG": "1"})
    process = subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
        [
            sys.executable,
            "manage.py",
            "serve_all",
            f"127.0.0.1:{port}",
            f"--status-file={status_file}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as in a terminal
    )
    try:

        def all_running() -> dict[str, Any] | None:
            status = _status(status_file)
            if status and all(c["running"] for c in status["children"].values()):
                return status
            return None

        status = _eventually(all_running, "web, worker and beat running")
        assert _postgres_for(fresh_data_dir), "the embedded PostgreSQL is running"
        worker = psutil.Process(status["children"]["worker"]["pid"])
        assert worker.environ()["SITE_URL"] == f"http://127.0.0.1:{port}"
        # Wait until the web server answers: it holds a handle on the database by then.
        _eventually(lambda: _answers(port), "the web server answers")
    except AssertionError as error:
        raise AssertionError(f"{error}\nserve_all output:\n{_stop(process)}") from None
    pids = [child["pid"] for child in status["children"].values()]
    if how == "ctrl-c":
        os.killpg(process.pid, signal.SIGINT)
        output = process.communicate(timeout=DEADLINE)[0]
    else:
        output = _stop(process)
    assert process.returncode == 0, output
    assert ("Received SIGINT" if how == "ctrl-c" else "Received SIGTERM") in output
    assert not [pid for pid in pids if _alive(pid)], output
    # The server stops a moment after its last user left.
    _eventually(lambda: not _postgres_for(fresh_data_dir), "the embedded PostgreSQL stopped", 60)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
            connection.sendall(b"GET /health/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            return connection.recv(12).startswith(b"HTTP/1.")
    except OSError:
        return False


# --- Links follow the port --------------------------------------------------------------------


def test_links_in_emails_follow_the_address_make_run_serves_on():
    assert child_environment("127.0.0.1:8001", {})["SITE_URL"] == "http://127.0.0.1:8001"
    assert site_url_for("0.0.0.0:8002") == "http://127.0.0.1:8002"
    assert site_url_for("8003") == "http://127.0.0.1:8003"
    assert site_url_for("[::1]:8004") == "http://[::1]:8004"


def test_a_site_url_set_by_hand_wins():
    env = child_environment("127.0.0.1:8001", {"SITE_URL": "https://tms.example.org"})
    assert env["SITE_URL"] == "https://tms.example.org"


# --- Beat ---------------------------------------------------------------------------------------


def test_beat_starts_when_its_schedule_folder_does_not_exist_yet(tmp_path, settings):
    schedule = tmp_path / "not" / "yet" / "there" / "celerybeat-schedule"
    env = {**os.environ, "DEBUG": "1", "BROKER_URL": settings.CELERY_BROKER_URL}
    beat = subprocess.Popen(  # noqa: S603 - our own beat, fixed arguments
        [*CELERY, "beat", "--loglevel=INFO", f"--schedule={schedule}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _eventually(
            lambda: beat.poll() is not None or list(schedule.parent.glob(schedule.name + "*")),
            "beat wrote its schedule file (or exited)",
        )
        assert beat.poll() is None, _stop(beat)
    finally:
        output = _stop(beat)
    assert "FileNotFoundError" not in output
    assert "beat: Starting..." in output


def test_children_connect_to_the_embedded_server_serve_all_holds():
    database = {"USER": "postgres", "NAME": "tms", "HOST": "/srv/tms/.data/postgres"}
    env = child_environment("127.0.0.1:8000", {}, embedded_database=database)
    assert env["DATABASE_URL"] == "postgres://postgres@/tms?host=/srv/tms/.data/postgres"
    mine = {"DATABASE_URL": "postgres://app@db/tms"}
    assert (
        child_environment("127.0.0.1:8000", mine, embedded_database=database)["DATABASE_URL"]
        == mine["DATABASE_URL"]
    )
    assert "DATABASE_URL" not in child_environment("127.0.0.1:8000", {})
