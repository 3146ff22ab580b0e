from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"

    def ready(self) -> None:
        from scheduling import emails
        from scheduling.services.resource_guards import refuse_booked_resource
        from tms.hooks import register_booking_check

        # The instructors' invites (assignment, reschedule, removal, cancellation).
        emails.register_builders()

        # Venues and instructors refuse closures, buffer changes and leave over bookings.
        register_booking_check(refuse_booked_resource)
