"""Email through SMTP (smtplib), with a timeout and the shared retry rules.

What is retried follows adapters/http.py: connection failures, timeouts before the message was
handed over and 4xx replies are transient; 5xx replies are permanent. The one ambiguous case, a
connection that breaks after DATA began, is reported as DeliveryUncertain and never retried here,
so a message is not delivered twice.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import TYPE_CHECKING

from adapters.http import HttpRetry
from connector.domain.errors import DeliveryRejected, DeliveryUnavailable, DeliveryUncertain

if TYPE_CHECKING:
    from connector.config import Settings

log = logging.getLogger(__name__)


class SmtpMailer:
    def __init__(self, host: str, port: int, *, username: str | None = None, password: str | None = None,
                 tls: str = "none", timeout: float = 15.0, envelope_from: str = "backorders@localhost",
                 retry: HttpRetry | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.tls = tls
        self.timeout = timeout
        self.envelope_from = envelope_from
        self.retry = retry or HttpRetry(max_attempts=3, base_delay=0.5, max_delay=5.0)
        self.sleep = sleep

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpMailer:
        return cls(settings.smtp_host, settings.smtp_port, username=settings.smtp_username,
                   password=settings.smtp_password, tls=settings.smtp_tls, timeout=settings.smtp_timeout_seconds,
                   envelope_from=settings.smtp_from)

    def send(self, message: EmailMessage) -> str:
        """Deliver the message; return its Message-ID. Raises a DeliveryError."""
        _refuse_header_breaks(message)
        attempt = 0
        while True:
            attempt += 1
            try:
                self._send_once(message)
                return str(message["Message-ID"])
            except DeliveryUnavailable as exc:
                if attempt >= self.retry.max_attempts:
                    raise
                delay = self.retry.backoff(attempt)
                log.warning("smtp: %s; retrying in %.2fs", exc, delay, extra={"attempt": attempt})
                self.sleep(delay)

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.tls == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                        context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            client.ehlo()
            if self.tls == "starttls":
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if self.username:
                client.login(self.username, self.password or "")
            return client
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryRejected(f"smtp: login refused ({exc.smtp_code})") from None
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, f"smtp: {self.host}:{self.port} answered {exc.smtp_code}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryUnavailable(f"smtp: cannot reach {self.host}:{self.port}: {type(exc).__name__}") from None

    def _send_once(self, message: EmailMessage) -> None:
        client = self._connect()
        recipients = [address for field in ("To", "Cc", "Bcc") for address in message.get_all(field, [])]
        try:
            refused = client.send_message(message, from_addr=self.envelope_from, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise _by_code(max(codes), f"smtp: recipients refused {sorted(exc.recipients)}") from None
        except smtplib.SMTPSenderRefused as exc:
            raise _by_code(exc.smtp_code, f"smtp: sender refused ({exc.smtp_code})") from None
        except smtplib.SMTPDataError as exc:
            raise _by_code(exc.smtp_code, f"smtp: message refused ({exc.smtp_code})") from None
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
            raise DeliveryUncertain(f"smtp: connection lost while sending: {type(exc).__name__}") from None
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
        if refused:
            log.warning("smtp: some recipients refused", extra={"refused": sorted(refused)})


def _refuse_header_breaks(message: EmailMessage) -> None:
    """The last line of defence against header injection: a header value holding CR or LF (text from a
    store that was not passed through connector/services/notify_email.header_text) is never sent."""
    for name, value in message.items():
        if "\r" in str(value) or "\n" in str(value):
            raise DeliveryRejected(f"smtp: header {name} contains a line break; message not sent")


def _by_code(code: int, message: str) -> DeliveryUnavailable | DeliveryRejected:
    return DeliveryUnavailable(message) if 400 <= code < 500 else DeliveryRejected(message)
