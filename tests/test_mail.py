"""Development e-mails are written to the console as readable text (no quoted-printable)."""

import io

from django.core.mail import EmailMessage

from platforma.mail import ConsoleTextBackend

LINK = "http://127.0.0.1:8000/fr/partners/reset/MQ/cz1y8q-0123456789abcdef0123456789abcdef/"


def send(body, **kwargs):
    stream = io.StringIO()
    message = EmailMessage("Réinitialisation du mot de passe", body, "Platforma <no-reply@platforma.local>",
                           ["élodie@mairie.example"], **kwargs)
    assert ConsoleTextBackend(stream=stream).send_messages([message]) == 1
    return stream.getvalue()


def test_french_text_and_long_link_are_written_as_is():
    body = f"Bonjour,\n\nVous avez demandé à réinitialiser votre mot de passe : {LINK}\n"
    output = send(body)
    assert "Subject: Réinitialisation du mot de passe" in output
    assert "To: élodie@mairie.example" in output
    assert f"mot de passe : {LINK}\n" in output  # whole on one line: clickable from the terminal
    assert "=C3=A9" not in output and "=\n" not in output


def test_attachments_are_named_not_dumped():
    output = send("Voir la pièce jointe.", attachments=[("liste.csv", "a;b\n", "text/csv")])
    assert "[attachment liste.csv]" in output
    assert "a;b" not in output

