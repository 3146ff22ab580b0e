from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "attendance"

    def ready(self) -> None:
        from attendance.services import messages, reminders

        messages.register_builders()
        reminders.register_builders()
