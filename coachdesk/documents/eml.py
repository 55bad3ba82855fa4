"""E-mail drafts (.eml) for the coach's own mail client to open and send.

The message is marked unsent (`X-Unsent: 1`), which Outlook and Apple Mail read
as "open this as a draft"; Thunderbird opens it and offers "Edit as New
Message".  It has no From or Date: the mail client fills those in when the
coach sends it.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr

from coachdesk.domain.errors import ValidationError


def draft(
    to_name: str,
    to_address: str,
    subject: str,
    body: str,
    attachment_name: str = "",
    attachment: bytes | None = None,
    media_type: str = "application/pdf",
) -> bytes:
    """An unsent message (with one attachment, if given), as the bytes of an .eml file.

    Raises:
        ValidationError: the address is not a usable e-mail address.
    """
    message = EmailMessage(policy=SMTP)
    if to_address:
        try:
            Address(addr_spec=to_address)
        except (ValueError, IndexError):
            raise ValidationError(
                {
                    "email": f"'{to_address}' is not an e-mail address; "
                    "fix it on the client's record."
                }
            ) from None
        message["To"] = formataddr((to_name, to_address))
    message["Subject"] = " ".join(subject.split())
    message["X-Unsent"] = "1"
    message.set_content(body)
    if attachment is not None:
        maintype, _, subtype = media_type.partition("/")
        message.add_attachment(
            attachment, maintype=maintype, subtype=subtype, filename=attachment_name
        )
    return message.as_bytes()
