"""The practice profile: read and save, with the logo kept as an encrypted attachment."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from coachdesk.domain.errors import ValidationError
from coachdesk.domain.practice import PracticeProfile
from coachdesk.store import attachments, audit, documents
from coachdesk.store.tables import AttachmentTable, PracticeTable
from coachdesk.store.vault import Vault

MAX_LOGO_BYTES = 2 * 1024 * 1024
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def get_profile(vault: Vault) -> PracticeProfile:
    """The stored profile (empty until first-run set-up saves it)."""
    with vault.reading() as session:
        row = session.get(PracticeTable, 1)
        if row is None:
            return PracticeProfile()
        return PracticeProfile(
            row.coach_name, row.business_name, row.time_zone, row.currency, row.logo_attachment_id
        )


MAX_LOGO_PIXELS = 6000


def _logo_type(data: bytes) -> str:
    """The logo's media type, once it is known to decode: every document will print it."""
    from PIL import Image, UnidentifiedImageError

    media_type = next((t for magic, t in LOGO_TYPES.items() if data.startswith(magic)), None)
    if media_type is None:
        raise ValidationError({"logo": "The logo must be a PNG or JPEG image."})
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            width, height = image.size
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            {"logo": "The logo file is damaged or not a complete image; export it again."}
        ) from None
    if max(width, height) > MAX_LOGO_PIXELS:
        raise ValidationError(
            {"logo": f"The logo is larger than {MAX_LOGO_PIXELS} pixels on a side; shrink it."}
        )
    return media_type


def save_profile(
    vault: Vault, profile: PracticeProfile, logo: bytes | None = None
) -> PracticeProfile:
    """Validate and store the profile; `logo` (PNG/JPEG bytes) replaces the current logo."""
    clean = profile.validated()
    media_type = None
    if logo is not None:
        if len(logo) > MAX_LOGO_BYTES:
            raise ValidationError(
                {"logo": "The logo file is larger than 2 MB; use a smaller image."}
            )
        media_type = _logo_type(logo)
    now = datetime.now(UTC).replace(tzinfo=None)
    new_blob = vault.attachments.put(logo) if logo is not None else None
    old_blob = None
    try:
        with vault.writing() as session:
            row = session.get(PracticeTable, 1)
            created = row is None
            if row is None:
                row = PracticeTable(id=1, updated_at=now)
                session.add(row)
            fields = ("coach_name", "business_name", "time_zone", "currency")
            changed = [f for f in fields if getattr(row, f) != getattr(clean, f)]
            for f in fields:
                setattr(row, f, getattr(clean, f))
            row.updated_at = now
            if new_blob is not None and logo is not None and media_type is not None:
                attachment = attachments.add_row(session, new_blob, logo, media_type, now)
                old = session.get(AttachmentTable, row.logo_attachment_id or 0)
                row.logo_attachment_id = attachment.id
                # Documents made with the old logo keep it for "Save as Word".
                if old is not None and not documents.logo_in_use(session, old.id):
                    old_blob = old.blob_name
                    session.delete(old)
                changed.append("logo")
            audit.append(
                session, vault.actor, "practice", 1, "create" if created else "update", changed
            )
            session.flush()
            saved = PracticeProfile(
                row.coach_name,
                row.business_name,
                row.time_zone,
                row.currency,
                row.logo_attachment_id,
            )
    except BaseException:
        if new_blob is not None:
            vault.attachments.delete(new_blob)
        raise
    if old_blob is not None:
        vault.attachments.delete(old_blob)
    return saved


def logo_bytes(vault: Vault) -> bytes | None:
    """The decrypted logo, if the profile has one."""
    with vault.reading() as session:
        row = session.get(PracticeTable, 1)
        if row is None or row.logo_attachment_id is None:
            return None
        attachment = session.get(AttachmentTable, row.logo_attachment_id)
        blob_name = attachment.blob_name if attachment else None
    return vault.attachments.get(blob_name) if blob_name else None
