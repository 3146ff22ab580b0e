from django.apps import AppConfig


class TmsConfig(AppConfig):
    name = "tms"
    verbose_name = "TMS core"
