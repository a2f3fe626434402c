"""``dynatrace.email:send-email``: mail over SMTP (STARTTLS, implicit TLS or plain; optional login).

An ``smtp`` credential holds ``host``, ``port``, ``security`` (``starttls``, ``tls`` or ``none``), ``user``
and ``password`` (optional), ``from`` and, for a private CA, ``ca_file``. ``to``/``cc``/``bcc`` are lists or
comma-separated text; ``content`` is Markdown, sent as HTML with the text as the plain alternative.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from markdown_it import MarkdownIt

from threatlake.workflows.actions.base import Action, ActionContext, Input, require_credential
from threatlake.workflows.errors import ActionError

__all__ = ["ACTION"]

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
_MAX_RECIPIENTS = 100


def _addresses(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    return [str(a).strip() for a in items if str(a).strip()]


def _send(fields: dict[str, Any], message: EmailMessage, recipients: list[str], timeout: float) -> None:
    host, port = str(fields.get("host", "")), int(fields.get("port") or 0)
    security = str(fields.get("security") or "starttls").lower()
    tls = ssl.create_default_context(cafile=fields.get("ca_file") or None)
    smtp: smtplib.SMTP
    if security == "tls":
        smtp = smtplib.SMTP_SSL(host, port or 465, timeout=timeout, context=tls)
    else:
        smtp = smtplib.SMTP(host, port or 587, timeout=timeout)
    with smtp:
        if security == "starttls":
            smtp.starttls(context=tls)
        if fields.get("user"):
            smtp.login(str(fields["user"]), str(fields.get("password", "")))
        smtp.send_message(message, to_addrs=recipients)


async def _run(inputs: dict[str, Any], context: ActionContext) -> Any:
    fields = require_credential(context, inputs, "smtp").fields
    to, cc, bcc = (_addresses(inputs.get(k)) for k in ("to", "cc", "bcc"))
    recipients = to + cc + bcc
    if not recipients or len(recipients) > _MAX_RECIPIENTS:
        raise ActionError(f"give 1 to {_MAX_RECIPIENTS} recipients in to, cc, bcc")
    message = EmailMessage()
    message["From"] = str(fields.get("from") or fields.get("user") or "threatlake@localhost")
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = str(inputs.get("subject") or "")[:500]
    message["Message-ID"] = make_msgid(domain="threatlake")
    content = str(inputs.get("content") or "")
    message.set_content(content)
    message.add_alternative(_MARKDOWN.render(content), subtype="html")
    try:
        await asyncio.to_thread(_send, fields, message, recipients, context.services.http_timeout)
    except smtplib.SMTPAuthenticationError as error:
        raise ActionError(f"SMTP login refused: {error.smtp_code} {error.smtp_error!r}") from None
    except smtplib.SMTPResponseException as error:
        raise ActionError(f"SMTP: {error.smtp_code} {error.smtp_error!r}", retryable=error.smtp_code >= 400
                          and error.smtp_code < 500) from None  # fmt: skip
    except smtplib.SMTPRecipientsRefused as error:
        raise ActionError(f"SMTP refused the recipients {sorted(error.recipients)}") from None
    except (OSError, smtplib.SMTPException) as error:
        raise ActionError(
            f"SMTP {fields.get('host')}: {type(error).__name__}: {error}", retryable=True
        ) from None
    context.log(f"mail to {len(recipients)} recipients sent")
    return {"messageId": message["Message-ID"], "recipients": recipients}


ACTION = Action(
    "email:send-email",
    "E-mail: send",
    (
        Input("connection", str, False, "the smtp credential (else the default one)"),
        Input("to", (list, str), True, "recipients"),
        Input("cc", (list, str)),
        Input("bcc", (list, str)),
        Input("subject", str),
        Input("content", str),
    ),
    _run,
)
