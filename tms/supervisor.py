"""Keep a few child processes running: restart one that exits, stop all on SIGINT/SIGTERM.

Used by `manage.py serve_all` (web server, Celery worker, beat). A child that exits while we are
not stopping is logged with its exit code and started again after a back-off that doubles with
each quick failure (1 s, 2 s, 4 s ... 30 s) and starts over once a child has run for a while.
Restart counts are logged and, if asked, written to a JSON status file (the soak benchmark
reads it). Plain standard library: no Django here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

logger = logging.getLogger(__name__)

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
# A child that ran this long before exiting is restarted after the first back-off again.
HEALTHY_AFTER = 60.0
POLL_SECONDS = 0.2
STOP_TIMEOUT = 20.0


@dataclass
class Child:
    """One supervised command. `stop_signal` asks it to shut down cleanly (Django's runserver
    exits cleanly on SIGINT only; Celery takes SIGTERM as a warm shutdown)."""

    name: str
    argv: Sequence[str]
    stop_signal: signal.Signals = signal.SIGTERM
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    quick_failures: int = 0
    restart_at: float | None = None
    last_exit: int | None = None
    history: list[int] = field(default_factory=list)


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class Supervisor:
    def __init__(
        self,
        children: Sequence[Child],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        status_file: Path | None = None,
    ) -> None:
        self.children = list(children)
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.status_file = status_file
        self._stopping = threading.Event()

    # --- the loop -------------------------------------------------------------------------
    def run(self) -> int:
        """Start every child and keep them running until SIGINT or SIGTERM; then stop them.
        Must run in the main thread (it installs the signal handlers)."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            for child in self.children:
                self._start(child)
            self._write_status()
            while not self._stopping.is_set():
                self._tick(time.monotonic())
                self._stopping.wait(POLL_SECONDS)
        finally:
            self._stop_all()
            self._write_status()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def stop(self) -> None:
        self._stopping.set()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if not self._stopping.is_set():
            logger.info("Received %s: stopping %s", signal.Signals(signum).name, self._names())
        self._stopping.set()

    def _tick(self, moment: float) -> None:
        changed = False
        for child in self.children:
            if child.process is not None:
                code = child.process.poll()
                if code is not None:
                    self._schedule_restart(child, code, moment)
                    changed = True
            elif child.restart_at is not None and moment >= child.restart_at:
                if self._stopping.is_set():
                    return
                self._start(child)
                changed = True
        if changed:
            self._write_status()

    def _schedule_restart(self, child: Child, code: int, moment: float) -> None:
        ran_for = moment - child.started_at
        child.process = None
        child.last_exit = code
        child.history.append(code)
        child.quick_failures = 1 if ran_for >= HEALTHY_AFTER else child.quick_failures + 1
        delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (child.quick_failures - 1))
        child.restart_at = moment + delay
        child.restarts += 1
        logger.error(
            "%s exited unexpectedly (%s) after %.0f s; restarting it in %.0f s (restart %d)",
            child.name,
            describe_exit(code),
            ran_for,
            delay,
            child.restarts,
        )

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(  # noqa: S603 - our own commands, fixed arguments
            list(child.argv), env=self.env, cwd=self.cwd
        )
        child.started_at = time.monotonic()
        child.restart_at = None
        logger.info("Started %s (pid %d)", child.name, child.process.pid)

    # --- stopping ---------------------------------------------------------------------------
    def _stop_all(self) -> None:
        running = [
            (child, child.process)
            for child in self.children
            if child.process is not None and child.process.poll() is None
        ]
        for child, process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(child.stop_signal)
        deadline = time.monotonic() + STOP_TIMEOUT
        for child, process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop in %.0f s; killing it", child.name, STOP_TIMEOUT)
                process.kill()
                process.wait()
        for child in self.children:
            child.restart_at = None
        if running:
            logger.info("Stopped %s", self._names())

    # --- reporting ----------------------------------------------------------------------------
    def _names(self) -> str:
        return ", ".join(child.name for child in self.children)

    def status(self) -> dict[str, object]:
        return {
            "pid": os.getpid(),
            "stopping": self._stopping.is_set(),
            "restarts": sum(child.restarts for child in self.children),
            "children": {
                child.name: {
                    "pid": child.process.pid if child.process is not None else None,
                    "running": child.process is not None and child.process.poll() is None,
                    "restarts": child.restarts,
                    "exit_codes": child.history,
                }
                for child in self.children
            },
        }

    def _write_status(self) -> None:
        if self.status_file is None:
            return
        temporary = self.status_file.with_name(self.status_file.name + ".tmp")
        temporary.write_text(json.dumps(self.status()))
        temporary.replace(self.status_file)  # readers never see half a file
