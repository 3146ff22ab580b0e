from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "attendance"

    def ready(self) -> None:
        from attendance import emails, learner_emails
        from attendance.selectors import messages_preview
        from attendance.views import session_registration_context, with_seats
        from notifications.registry import register_preview
        from scheduling.page_extensions import extend_session_detail, extend_session_rows

        emails.register_builders()
        learner_emails.register_builders()
        register_preview(messages_preview)
        extend_session_rows(with_seats)
        extend_session_detail(session_registration_context)
