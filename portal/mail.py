"""Outgoing e-mail, in the recipient's language, with a plain-text body.

With MAIL_SERVER set, messages go through SMTP (STARTTLS or SMTPS, with credentials if given).
Without it (development), each message is logged and written to OUTBOX_DIR as an .eml file, so a
developer can open it and click the link.
"""
import logging
import smtplib
import ssl
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

log = logging.getLogger(__name__)


class MailError(Exception):
    """The message could not be handed to the mail server."""


def build_message(to: str, subject, template: str, locale: str, **context) -> EmailMessage:
    """Render `templates/email/<template>.txt` in `locale`; `subject` may be a lazy string."""
    with force_locale(locale):
        # Subjects quote what users typed (a reason, a firm name): a line break there is not allowed in a
        # header (and would be header injection), so every run of whitespace becomes one space.
        subject_text = " ".join(str(subject).split())
        body = render_template(f"email/{template}.txt", locale=locale, **context)
    message = EmailMessage()
    message["Subject"] = subject_text
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = make_msgid(domain="cluster-portal")
    message["Content-Language"] = locale
    message.set_content(body, charset="utf-8")
    return message


def send(message: EmailMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        _write_to_outbox(message)
        return
    try:
        if config["MAIL_USE_SSL"]:
            smtp = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"],
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
        with smtp:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("could not send mail %r to %s: %s", message["Subject"], message["To"], exc)
        raise MailError(str(exc)) from exc
    log.info("mail %r sent to %s", message["Subject"], message["To"])


def send_email(to: str, subject, template: str, locale: str, **context) -> None:
    send(build_message(to, subject, template, locale, **context))


def _write_to_outbox(message: EmailMessage) -> None:
    outbox = Path(current_app.config["OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}.eml"
    path.write_bytes(bytes(message))
    log.warning("MAIL_SERVER is not set: mail %r to %s written to %s", message["Subject"], message["To"], path)
