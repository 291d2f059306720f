"""Email backends for tests, named in EMAIL_BACKEND (in the test's settings, or in a worker
process's environment).

- `FailingBackend`: every send raises SMTPServerDisconnected, as a mail server that is down.
- `GoodbyeFailsBackend`: the locmem backend (messages in `django.core.mail.outbox`) whose
  connection fails to close, as a server that accepts the message and then stops answering.
- `SlowFileBackend`: Django's file backend (a file per connection, in EMAIL_FILE_PATH), slowed
  on the first attempt of each message, so a test can kill the worker mid-send. The environment
  says where and how long: EMAIL_TEST_SLOW="before:30" waits before the message is written (the
  mail server has not accepted it yet), "after:30" once it is written (accepted, not yet marked
  sent in the outbox). Later attempts of the same message (by Message-ID) are not slowed.
"""

import hashlib
import os
import time
from email import message_from_bytes
from pathlib import Path
from smtplib import SMTPServerDisconnected

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

SEPARATOR = b"-" * 79


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed")


class GoodbyeFailsBackend(LocmemBackend):
    def close(self):
        raise TimeoutError("timed out saying QUIT")


class SlowFileBackend(FileBackend):
    def send_messages(self, email_messages):
        where, _, seconds = os.environ.get("EMAIL_TEST_SLOW", "").partition(":")
        first = all(self._first_attempt(m) for m in email_messages)
        if first and where == "before":
            time.sleep(float(seconds))
        sent = super().send_messages(email_messages)
        if first and where == "after":
            time.sleep(float(seconds))
        return sent

    def _first_attempt(self, message) -> bool:
        name = hashlib.sha256(message.extra_headers.get("Message-ID", "").encode()).hexdigest()
        marker = Path(self.file_path) / f".attempted-{name[:16]}"
        if marker.exists():
            return False
        marker.touch()
        return True


def messages_in(directory: Path) -> list:
    """Every message the file backend wrote under `directory` (a file holds one connection's
    messages, each followed by a line of 79 dashes)."""
    found = []
    for path in sorted(Path(directory).glob("*.log")):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                found.append(message_from_bytes(chunk.strip(b"\n") + b"\n"))
    return found
