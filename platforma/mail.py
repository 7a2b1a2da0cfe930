"""Development e-mail: each message written to the console as a person reads it.

Django's console backend prints the MIME source, where French text is quoted-printable ("=C3=A9", and a
link broken by "=" at a soft line break). This one prints the headers a reader needs and the text as it is,
so a password-reset link can be clicked from the terminal.
"""

import sys
import threading

from django.core.mail.backends.base import BaseEmailBackend


class ConsoleTextBackend(BaseEmailBackend):
    def __init__(self, *args, stream=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def send_messages(self, email_messages):
        with self._lock:
            for message in email_messages:
                self.stream.write(self.format(message))
                self.stream.flush()
        return len(email_messages)

    @staticmethod
    def format(message):
        lines = [
            "-" * 79,
            f"From: {message.from_email}",
            f"To: {', '.join(message.to)}",
        ]
        if message.cc:
            lines.append(f"Cc: {', '.join(message.cc)}")
        if message.reply_to:
            lines.append(f"Reply-To: {', '.join(message.reply_to)}")
        lines += [f"Subject: {message.subject}", "", message.body.rstrip("\n")]
        for content, mimetype in getattr(message, "alternatives", []):
            lines += ["", f"[alternative {mimetype}, {len(content)} characters: not shown]"]
        for attachment in message.attachments:
            lines += ["", f"[attachment {getattr(attachment, 'filename', None) or 'unnamed'}]"]
        return "\n".join(lines) + "\n" + "-" * 79 + "\n"
