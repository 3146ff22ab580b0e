from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"

    def ready(self) -> None:
        from notifications import registry
        from programs.outbound.services import TEMPLATE, build_statement

        registry.register(TEMPLATE, build_statement)
