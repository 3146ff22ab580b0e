"""gunicorn's settings in production: docker-compose.yml and the Dockerfile start gunicorn in
this folder, which loads this file; bench/registration_rush.py measures the same settings.

Threaded workers keep HTTP connections alive between requests (sync workers close each one)
and overlap one request's database waits with another's work. Each thread holds its own
database connection (DB_CONN_MAX_AGE): workers x threads connections in all.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 5
accesslog = "-"
