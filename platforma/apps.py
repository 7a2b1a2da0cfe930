from django.apps import AppConfig


class PlatformaConfig(AppConfig):
    """The project package as an app: project-wide signal receivers and admin pages, set at start-up (after
    the admin has found every app's pages: this app comes last in INSTALLED_APPS)."""

    name = "platforma"
    verbose_name = "Platforma"

    def ready(self):
        from django.contrib.auth.signals import user_login_failed

        from .middleware import log_failed_login

        user_login_failed.connect(log_failed_login, dispatch_uid="platforma.log_failed_login")

        # The task queue's own admin page (django_tasks_db) exists in English only: an import's page shows its
        # progress and why it failed, the worker's log the rest.
        from django.contrib import admin
        from django_tasks_db.models import DBTaskResult

        if admin.site.is_registered(DBTaskResult):
            admin.site.unregister(DBTaskResult)
