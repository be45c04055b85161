"""Send plain-text email over SMTP with the relay named in settings (notification digests)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from .errors import Unavailable
from .settings import Settings


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def enabled(settings: Settings) -> bool:
    """Whether email is configured at all (no SMTP host means in-app inbox only)."""
    return bool(settings.smtp_host)


def _message(settings: Settings, mail: Mail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg.set_content(mail.body)
    return msg


def send_all(settings: Settings, mails: list[Mail], timeout: float = 15.0) -> list[Mail]:
    """Send each mail over one SMTP connection; returns those the relay accepted. Unavailable if none could go."""
    if not mails:
        return []
    host = settings.smtp_host
    if not host:  # the check enabled() makes, on a local so the type narrows to str
        raise Unavailable("no SMTP host is configured")
    sent: list[Mail] = []
    try:
        with smtplib.SMTP(host, settings.smtp_port, timeout=timeout) as smtp:
            for mail in mails:
                try:
                    smtp.send_message(_message(settings, mail))
                except smtplib.SMTPRecipientsRefused:
                    continue  # this address is refused; the others still go
                sent.append(mail)
    except (OSError, smtplib.SMTPException) as exc:
        if not sent:
            raise Unavailable(f"the SMTP relay {host}:{settings.smtp_port} failed: {exc}") from None
    return sent
