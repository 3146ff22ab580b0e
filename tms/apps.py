from django.apps import AppConfig


class TmsConfig(AppConfig):
    name = "tms"
    verbose_name = "TMS core"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate
        from django.urls import register_converter

        from tms.converters import IdConverter

        register_converter(IdConverter, "id")
        # Every migrate leaves each app's SQL functions as their files say (tms/sql_functions).
        post_migrate.connect(_install_sql_functions, sender=self, dispatch_uid="tms-sql-functions")


def _install_sql_functions(sender: AppConfig, *, using: str = "default", **kwargs: object) -> None:
    from tms.sql_functions import install_all

    install_all(using=using)
