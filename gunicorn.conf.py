"""gunicorn's settings in production: docker-compose.yml and the Dockerfile start gunicorn in
this folder, which loads this file; bench/registration_rush.py measures the same settings.

Threaded workers keep HTTP connections alive between requests (sync workers close each one)
and overlap one request's database waits with another's work. Each thread holds its own
database connection (DB_CONN_MAX_AGE): workers x threads connections in all.
"""

import os


def _count(name: str, default: int) -> int:
    """A whole number of at least 1 from the environment, or a start-up error naming it."""
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = _count("WEB_CONCURRENCY", 3)
worker_class = "gthread"
threads = _count("GUNICORN_THREADS", 4)
keepalive = 5
accesslog = "-"
