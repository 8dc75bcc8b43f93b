"""Text messages to phones (SMS), behind one interface with pluggable backends.

``MESSAGING_BACKEND`` names a class with ``send(phone, text) -> str`` (a delivery id). The console
backend logs the message (development); the memory backend keeps an outbox (tests). The marketing
issue adds real SMS providers behind the same interface.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from .phones import mask_phone

logger = logging.getLogger("mendian.messaging")


@dataclass(frozen=True)
class Message:
    phone: str
    text: str


class ConsoleBackend:
    """Writes each message to the log (the phone masked, the text whole: development only)."""

    _ids = itertools.count(1)

    def send(self, phone: str, text: str) -> str:
        logger.warning("SMS to %s: %s", mask_phone(phone), text)
        return f"console-{next(self._ids)}"


class MemoryBackend:
    """Keeps messages in ``outbox`` (tests read it)."""

    outbox: list[Message] = []

    def send(self, phone: str, text: str) -> str:
        self.outbox.append(Message(phone, text))
        return f"memory-{len(self.outbox)}"


def send_text(*, phone: str, text: str) -> str:
    backend = import_string(getattr(settings, "MESSAGING_BACKEND", "mendian.core.messaging.ConsoleBackend"))()
    return backend.send(phone, text)
