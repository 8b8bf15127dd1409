"""E-mail: build a message in the recipient's language, and hand it to the mail server.

Nothing here is called from a web request. Requests write rows to the outbox (portal/outbox/); workers
build each message and transmit it. With MAIL_SERVER set, messages go through SMTP (STARTTLS or SMTPS,
with credentials if given). Without it (development), each message is logged and written to OUTBOX_DIR as
an .eml file, so a developer can open it and click the link.
"""
import logging
import smtplib
import ssl
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The mail server did not take the message. `permanent`: it refused it for good (5xx), so trying
    again would not help; otherwise (no connection, timeout, 4xx) a later try may succeed."""

    def __init__(self, reason: str, permanent: bool = False, retry_after: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after  # seconds the other side asked us to wait (LINE's Retry-After)


def build_message(to: str, subject, template: str, locale: str, message_id: str, headers: dict | None = None,
                  **context) -> EmailMessage:
    """Render `templates/email/<template>.txt` in `locale`; `subject` may be a lazy string. `headers` are
    added as given (List-Unsubscribe …); a line break in one is refused, as in the subject."""
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
    message["Message-ID"] = message_id
    message["Content-Language"] = locale
    for name, value in (headers or {}).items():
        if "\r" in value or "\n" in value:
            raise ValueError(f"line break in the {name} header")
        message[name] = value
    message.set_content(body, charset="utf-8")
    return message


def transmit(message: EmailMessage) -> None:
    """Hand one message to the SMTP server (or the development outbox folder).
    :raises DeliveryError: with the server's reason."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        _write_to_folder(message)
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
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        raise DeliveryError(_reason(exc), permanent=all(500 <= code < 600 for code in codes)) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(_reason(exc), permanent=500 <= exc.smtp_code < 600) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(_reason(exc)) from exc
    log.info("mail %s %r sent to %s", message["Message-ID"], message["Subject"], message["To"])


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{rcpt}: {code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
                         for rcpt, (code, text) in exc.recipients.items())
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _write_to_folder(message: EmailMessage) -> None:
    outbox = Path(current_app.config["OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}.eml"
    path.write_bytes(bytes(message))
    log.warning("MAIL_SERVER is not set: mail %r to %s written to %s", message["Subject"], message["To"], path)
