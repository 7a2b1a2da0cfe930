"""E-mail settings: Django 6.1's MAILERS, built from the EMAIL_* environment variables the README lists; none
of the deprecated EMAIL_* settings is defined."""

import runpy
from pathlib import Path

SETTINGS = str(Path(__file__).resolve().parent.parent / "platforma" / "settings.py")


def email_settings(conf):
    return {name for name in conf if name.startswith("EMAIL_")}


def test_production_sends_through_the_smtp_server_from_the_environment(monkeypatch):
    for name, value in {
        "DEBUG": "0", "SECRET_KEY": "k" * 60, "ALLOWED_HOSTS": "directory.example.org",
        "EMAIL_HOST": "smtp.example.org", "EMAIL_PORT": "587", "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "secret", "EMAIL_USE_TLS": "1",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("EMAIL_BACKEND", raising=False)
    conf = runpy.run_path(SETTINGS)
    assert conf["MAILERS"] == {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": "smtp.example.org", "port": 587, "username": "mailer", "password": "secret",
                "use_tls": True, "use_ssl": False,
            },
        }
    }  # fmt: skip
    assert email_settings(conf) == set()


def test_development_prints_mail_to_the_console(monkeypatch):
    monkeypatch.setenv("DEBUG", "1")
    monkeypatch.delenv("EMAIL_BACKEND", raising=False)
    conf = runpy.run_path(SETTINGS)
    assert conf["MAILERS"] == {"default": {"BACKEND": "platforma.mail.ConsoleTextBackend"}}
    assert email_settings(conf) == set()
