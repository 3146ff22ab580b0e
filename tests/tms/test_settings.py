"""Configuration comes from the environment; bad values stop the start-up with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# No connection is made by these checks; a URL is given so that no embedded server starts.
UNUSED_DB = "postgres://nobody@127.0.0.1:1/unused"
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "production-secret-with-enough-entropy-0123456789abcdef",
    "ALLOWED_HOSTS": "tms.example.org",
    "DATABASE_URL": UNUSED_DB,
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DEBUG"}}
    clean.update(env)
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be one of"),
        ({"DEBUG": "0", "SECRET_KEY": ""}, "SECRET_KEY is not set"),
        ({"DEBUG": "0", "SECRET_KEY": "short"}, "at least 50 characters"),
        ({"DEBUG": "1", "TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE='Mars/Olympus' is not an IANA"),
        ({"DEBUG": "1", "DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL must point at PostgreSQL"),
        ({"DEBUG": "1", "REDIS_URL": "http://localhost"}, "REDIS_URL must start with"),
        ({"DEBUG": "1", "BROKER_URL": "filesystem://"}, "BROKER_URL must be a Redis URL"),
        ({"DEBUG": "1", "HEALTH_ALERT_MINUTES": "0"}, "HEALTH_ALERT_MINUTES must be at least 1"),
        ({"DEBUG": "1", "DB_CONN_MAX_AGE": "soon"}, "DB_CONN_MAX_AGE must be a whole number"),
        ({"DEBUG": "1", "EMAIL_URL": "carrier-pigeon"}, "EMAIL_URL is not a valid email URL"),
        ({"DEBUG": "1", "TRUSTED_PROXY_HEADER": "HTTP_X_FORWARDED_FOR"}, "TRUSTED_PROXY_HEADER"),
        ({"DEBUG": "1", "TRUSTED_PROXY_COUNT": "0"}, "TRUSTED_PROXY_COUNT must be at least 1"),
        ({"DEBUG": "1", "XAPI_LRS_ENDPOINT": "lrs.example.org"}, "XAPI_LRS_ENDPOINT must be"),
        (
            {"DEBUG": "1", "XAPI_LRS_ENDPOINT": "https://lrs.example.org/xapi/"},
            "set XAPI_LRS_USERNAME and XAPI_LRS_PASSWORD",
        ),
        (
            {"DEBUG": "1", "XAPI_LRS_TIMEOUT_SECONDS": "0"},
            "XAPI_LRS_TIMEOUT_SECONDS must be at least 1",
        ),
        ({"DEBUG": "1", "XAPI_ACTIVITY_BASE": "urn:tms"}, "XAPI_ACTIVITY_BASE must be"),
    ],
)
def test_bad_configuration_stops_start_up_with_a_message(env, message):
    env = {"DATABASE_URL": UNUSED_DB, **env}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(PRODUCTION["SECRET_KEY"] + "\n")
    env = {**PRODUCTION, "SECRET_KEY": "", "SECRET_KEY_FILE": str(secret)}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stderr


def test_gunicorn_counts_come_from_the_environment_or_stop_with_a_clear_message(monkeypatch):
    import runpy
    from pathlib import Path

    conf = str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py")
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.setenv("GUNICORN_THREADS", "")
    values = runpy.run_path(conf)
    assert (values["workers"], values["threads"], values["worker_class"]) == (5, 4, "gthread")

    monkeypatch.setenv("GUNICORN_THREADS", "0")
    with pytest.raises(SystemExit, match="GUNICORN_THREADS must be a whole number"):
        runpy.run_path(conf)
