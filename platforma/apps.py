from django.apps import AppConfig


class PlatformaConfig(AppConfig):
    """The project package as an app, only to connect project-wide signal receivers at start-up."""

    name = "platforma"
    verbose_name = "Platforma"

    def ready(self):
        from django.contrib.auth.signals import user_login_failed

        from .middleware import log_failed_login

        user_login_failed.connect(log_failed_login, dispatch_uid="platforma.log_failed_login")
