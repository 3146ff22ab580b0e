"""Benchmark helpers for `registration_rush.py`: registrations through the service layer alone.

Several processes (forked after Django is set up, each with its own database connection) call
`registration_create` for their share of the learners. Needs Django set up. A helper, not a
benchmark (leading "_").
"""

from __future__ import annotations

import multiprocessing as mp
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections

from attendance.services.registration import registration_create
from tms.exceptions import DomainError


@dataclass
class ServiceResult:
    label: str
    processes: int
    requests: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    positions: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def tps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def unexpected(self) -> int:
        return sum(n for o, n in self.outcomes.items() if o not in {"confirmed", "waitlisted"})

    def percentile(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return 0.0
        return data[min(len(data) - 1, round(q / 100 * (len(data) - 1)))]


def _worker(
    jobs: list[tuple[int, int]], start: Any, results: Any
) -> None:  # runs in a forked process
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    positions: list[int] = []
    errors: list[str] = []
    began = ended = 0.0
    try:
        users = get_user_model().objects.in_bulk([learner for learner, _ in jobs])
        start.wait()
        began = time.perf_counter()
        for learner_id, session_id in jobs:
            t0 = time.perf_counter()
            try:
                outcome = registration_create(session_id=session_id, learner=users[learner_id])
            except DomainError as error:
                outcomes[type(error).__name__] += 1
                if len(errors) < 5:
                    errors.append(f"{type(error).__name__}: {error.message}")
            else:
                if outcome.confirmed:
                    outcomes["confirmed"] += 1
                else:
                    outcomes["waitlisted"] += 1
                    if outcome.position is not None:
                        positions.append(outcome.position)
            latencies.append((time.perf_counter() - t0) * 1000)
        ended = time.perf_counter()
    except BaseException:  # report, never hang the parent
        errors.append(traceback.format_exc())
        outcomes["crashed"] += 1
        start.abort()
    finally:
        connections.close_all()
    results.put((began, ended, latencies, dict(outcomes), positions, errors))


def run_service(label: str, jobs: list[tuple[int, int]], *, processes: int) -> ServiceResult:
    """`jobs` (learner id, session id), dealt round-robin to `processes` forked workers."""
    connections.close_all()  # a forked child must never share the parent's socket
    context = mp.get_context("fork")
    start = context.Barrier(processes + 1)
    results = context.Queue()
    workers = [
        context.Process(target=_worker, args=(jobs[k::processes], start, results), daemon=True)
        for k in range(processes)
    ]
    result = ServiceResult(label, processes)
    try:
        for worker in workers:
            worker.start()
        try:
            start.wait(timeout=120)
        except Exception as error:  # a worker crashed while loading: its report says why
            result.errors.append(f"start barrier: {type(error).__name__}")
        spans = []
        for _ in workers:
            began, ended, latencies, outcomes, positions, errors = results.get(timeout=600)
            if began and ended:
                spans.append((began, ended))
            result.latencies_ms += latencies
            result.outcomes.update(outcomes)
            result.positions += positions
            result.errors += errors
        for worker in workers:
            worker.join(timeout=30)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
                worker.join(timeout=5)
    if spans:
        result.seconds = max(e for _, e in spans) - min(b for b, _ in spans)
    result.requests = len(jobs)
    return result
