# Production image: gunicorn for the web, the same image runs the Celery worker and beat.
FROM python:3.11-slim

# `pip install .` also copies the apps into site-packages; /app comes first on the path so
# that BASE_DIR (templates/, static/, staticfiles/) is /app for manage.py, gunicorn and celery.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

RUN useradd --system --create-home --home-dir /home/tms --uid 1000 tms

COPY . .
# The versions CI tested (requirements.lock); dev tools in the lock are not installed.
RUN pip install -c requirements.lock . && rm -rf build *.egg-info

# Settings refuse to load without a SECRET_KEY and, with no DATABASE_URL, would start an
# embedded PostgreSQL. collectstatic needs neither, so give it build-time dummies; the real
# values come from .env at run time. Nothing connects to this database URL.
RUN DEBUG=0 \
    SECRET_KEY=build-time-dummy-secret-key-used-only-for-collectstatic-0123456789 \
    DATABASE_URL=postgres://build:build@127.0.0.1:5432/build \
    python manage.py collectstatic --noinput

USER tms
EXPOSE 8000
# Workers, threads, keep-alive and the access log: gunicorn.conf.py (read from /app).
CMD ["gunicorn", "tms.wsgi"]
