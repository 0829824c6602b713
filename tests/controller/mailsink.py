"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""

import socket
import threading
import time
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller


class Sink:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            time.sleep(self.delay)  # a slow server: the sender holds its row lock meanwhile
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 5) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.02)
        return list(self.messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink(app):
    """The sink, and the app's SMTP_URL pointing at it."""
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_URL=f"smtp://127.0.0.1:{controller.port}", MAIL_FROM="Lab <booking@lab.test>")
    yield sink
    controller.stop()


@pytest.fixture
def smtp_down(app):
    """An SMTP_URL where nothing listens."""
    app.config.update(SMTP_URL=f"smtp://127.0.0.1:{free_port()}", SMTP_TIMEOUT_SECONDS=2)
