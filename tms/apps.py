from django.apps import AppConfig


class TmsConfig(AppConfig):
    name = "tms"
    verbose_name = "TMS core"

    def ready(self) -> None:
        from django.urls import register_converter

        from tms.converters import IdConverter

        register_converter(IdConverter, "id")
