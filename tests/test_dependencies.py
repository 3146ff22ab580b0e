"""Dependencies point one way (../shared/ARCHITECTURE.md): venues, instructors -> scheduling ->
attendance -> compliance; any app -> notifications; every app -> tms. Only the composition
root (URLs, the home page and /health/) imports apps from tms. A backwards import fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "tms",
    "venues",
    "instructors",
    "scheduling",
    "attendance",
    "notifications",
    "compliance",
    "programs",
]
# What each app may import (besides itself).
ALLOWED = {
    "tms": set(),
    "venues": {"tms", "notifications"},
    "instructors": {"tms", "notifications"},
    "notifications": {"tms"},
    "scheduling": {"tms", "venues", "instructors", "notifications"},
    "attendance": {"tms", "venues", "instructors", "scheduling", "notifications"},
    "compliance": {"tms", "venues", "instructors", "scheduling", "attendance", "notifications"},
    "programs": {"tms", "venues", "instructors", "scheduling", "attendance", "notifications"},
}
COMPOSITION_ROOT = {
    "tms/urls.py",
    "tms/api_urls.py",
    "tms/web_urls.py",
    "tms/manage_urls.py",
    "tms/home.py",
    "tms/health.py",
    "tms/sign_off.py",
}


def imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & set(APPS)
    return found


def sources(app: str) -> list[Path]:
    return [
        path
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
        and path.relative_to(ROOT).as_posix() not in COMPOSITION_ROOT
    ]


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_only_the_apps_below_it(app):
    wrong = {
        path.relative_to(ROOT).as_posix(): sorted(imported_apps(path) - ALLOWED[app] - {app})
        for path in sources(app)
    }
    assert {path: apps for path, apps in wrong.items() if apps} == {}


def test_the_check_sees_a_backwards_import(tmp_path):
    module = tmp_path / "services.py"
    module.write_text("def f():\n    from attendance.models import Registration\n")
    assert imported_apps(module) == {"attendance"}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


def test_services_never_import_task_modules():
    """Tasks are the thin edge: they import services, and services queue tasks by name
    (tms.celery.enqueue_on_commit), so the two never import each other in a circle."""
    services = [
        path
        for app in APPS
        for path in sources(app)
        if "services" in path.parts or path.name in {"services.py", "selectors.py", "emails.py"}
    ]
    assert services
    importing_tasks = {
        path.relative_to(ROOT).as_posix(): sorted(
            name for name in imported_modules(path) if name.split(".")[-1] == "tasks"
        )
        for path in services
    }
    assert {path: names for path, names in importing_tasks.items() if names} == {}
