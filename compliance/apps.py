from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"

    def ready(self) -> None:
        from compliance import emails

        emails.register_builders()
        from celery import signals as celery_signals
        from django.core.management.base import BaseCommand
        from django.db import connections
        from django.db.backends.signals import connection_created

        from compliance.audit import install_wrapper
        from compliance.audit_views import session_history_context
        from scheduling.page_extensions import extend_session_detail

        # Every connection sends the audit context before its first write (compliance/audit).
        connection_created.connect(install_wrapper, dispatch_uid="compliance-audit-wrapper")
        for connection in connections.all(initialized_only=True):  # opened before ready()
            install_wrapper(connection=connection)
        celery_signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="audit-task")
        celery_signals.task_postrun.connect(_task_ended, weak=False, dispatch_uid="audit-task")
        _hook_commands(BaseCommand)
        extend_session_detail(session_history_context)


def _task_started(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    from compliance.audit import AuditContext, set_context

    name = getattr(task, "name", "task")
    token = set_context(AuditContext(actor=f"worker:{name}", request_id=task_id or ""))
    if task is not None:
        task.request._audit_token = token


def _task_ended(task: Any = None, **kwargs: Any) -> None:
    from compliance.audit import reset_context

    token = getattr(getattr(task, "request", None), "_audit_token", None)
    if token is not None:
        reset_context(token)


def _hook_commands(base: Any) -> None:
    """Every management command (manage.py or call_command) writes as `system:<command>`."""
    if getattr(base.execute, "_audit_hooked", False):
        return
    original = base.execute

    def execute(self: Any, *args: Any, **options: Any) -> Any:
        from compliance.audit import AuditContext, audit_context, current_context

        if current_context() is not None and not current_context().actor.startswith("system:"):
            return original(self, *args, **options)  # a command run from a request or task
        name = type(self).__module__.rsplit(".", 1)[-1]
        with audit_context(AuditContext(actor=f"system:{name}")):
            return original(self, *args, **options)

    execute._audit_hooked = True  # type: ignore[attr-defined]
    base.execute = execute
