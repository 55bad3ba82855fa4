"""Clients written out as CSV and vCard files for spreadsheets, address books and our importer."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

import vobject  # type: ignore[import-untyped]

from coachdesk.domain.clients import ClientDraft, ClientStatus, ClientType, Objective, display_name

# OWASP's list of characters that make a spreadsheet treat a cell as a formula.
FORMULA_TRIGGERS = frozenset("=+-@\t\r")
# What the importer unguards: also "\n" (a guarded "\r" arrives as "\n" once newlines are
# normalised) and the apostrophe itself, so that a value really starting with "'=" survives.
_UNGUARD_AFTER = FORMULA_TRIGGERS | {"\n", "'"}

# C0 and C1 control characters other than tab and newline: no address book or spreadsheet
# keeps them, and the importer takes a file full of them for a binary one.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

FIRST_NAME = "First name"
LAST_NAME = "Last name"
PREFERRED_NAME = "Preferred name"
EMAIL = "E-mail"
PHONE = "Phone"
_AFTER_PHONES = (
    "Company",
    "Role",
    "Time zone",
    "Locale",
    "Lead source",
    "Status",
    "Client type",
    "Objective",
    "Stage",
    "Tags",
    "Birthday",
    "Notes",
)

# Our own vCard properties, read back by the importer so a round trip loses nothing.
VCARD_X_PROPERTIES = {
    "status": "X-COACHDESK-STATUS",
    "client_type": "X-COACHDESK-TYPE",
    "objective": "X-COACHDESK-OBJECTIVE",
    "lead_source": "X-COACHDESK-LEAD-SOURCE",
    "time_zone": "X-COACHDESK-TIME-ZONE",
    "locale": "X-COACHDESK-LOCALE",
    "stage": "X-COACHDESK-STAGE",
}
PRODID = "-//CoachDesk//CoachDesk//EN"

_IMAGE_TYPE = re.compile(r"^image/([A-Za-z0-9.+-]{1,40})$")


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """One client as it leaves CoachDesk.

    Args:
        draft: the client's fields.
        stage: the pipeline stage's name, or "" when the client is on no stage.
        photo: the picture's bytes (vCard only; CSV has no place for it).
        photo_type: its media type, such as "image/jpeg"; sniffed from the bytes when "".
    """

    draft: ClientDraft
    stage: str = ""
    photo: bytes | None = None
    photo_type: str = ""


def csv_headers(email_columns: int = 1, phone_columns: int = 1) -> tuple[str, ...]:
    """The header row of an export with that many e-mail and phone columns (at least one each)."""
    emails = [EMAIL] + [f"{EMAIL} {n}" for n in range(2, email_columns + 1)]
    phones = [PHONE] + [f"{PHONE} {n}" for n in range(2, phone_columns + 1)]
    return (FIRST_NAME, LAST_NAME, PREFERRED_NAME, *emails, *phones, *_AFTER_PHONES)


CSV_HEADERS = csv_headers()


def enum_label(value: ClientStatus | ClientType | Objective) -> str:
    """The name the coach sees for a status, client type or objective."""
    # ClientStatus has no label of its own; its capitalised value is what the app shows.
    label = getattr(value, "label", None)
    if isinstance(label, str):
        return label
    return value.value.replace("_", " ").capitalize()


def guard_formula(cell: str) -> str:
    """`cell` made safe to open in a spreadsheet; `unguard_formula` undoes it exactly.

    A cell starting with = + - @ tab or carriage return gets a leading apostrophe, so
    Excel, LibreOffice and Google Sheets show it as text instead of running it as a
    formula ("+44 20 7946 0958" is written "'+44 20 7946 0958"). A cell that the
    importer would otherwise unguard (an apostrophe followed by one of those characters
    or by another apostrophe) gets one too, which makes the pair lossless.
    """
    if cell[:1] in FORMULA_TRIGGERS or unguard_formula(cell) != cell:
        return "'" + cell
    return cell


def unguard_formula(cell: str) -> str:
    """`cell` without the apostrophe that `guard_formula` (or a careful coach) put in front."""
    if cell[:1] == "'" and cell[1:2] in _UNGUARD_AFTER:
        return cell[1:]
    return cell


def plain_text(value: str) -> str:
    """`value` with newlines normalised to "\\n" and other control characters dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_CHARACTERS.sub("", value)


def join_tags(tags: Iterable[str]) -> str:
    """Tags in one cell, separated by commas (which a tag can never contain).

    The importer splits on semicolons or " ::: " when a cell has no comma (as Outlook and
    Google write them), so a lone tag containing either gets a trailing comma.
    """
    text = ", ".join(tags)
    if "," not in text and (";" in text or ":::" in text):
        text += ","
    return text


def write_csv(records: Iterable[ExportRecord]) -> bytes:
    """A CSV file: UTF-8 with a byte-order mark (so Excel reads accents), CRLF, quoted as needed.

    There is one column per e-mail address and per phone number, as many as the client
    with the most needs. Status, client type and objective are written as the labels the
    coach knows; tags are joined with ", ". Every cell goes through `guard_formula`
    against formula injection; `importing.read_csv` removes those apostrophes again.
    """
    rows = list(records)
    email_columns = max((len(r.draft.emails) for r in rows), default=1) or 1
    phone_columns = max((len(r.draft.phones) for r in rows), default=1) or 1
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(csv_headers(email_columns, phone_columns))
    for record in rows:
        draft = record.draft
        emails = list(draft.emails) + [""] * (email_columns - len(draft.emails))
        phones = list(draft.phones) + [""] * (phone_columns - len(draft.phones))
        objective = "" if draft.objective is Objective.NONE else enum_label(draft.objective)
        cells = [
            draft.first_name,
            draft.last_name,
            draft.preferred_name,
            *emails,
            *phones,
            draft.company,
            draft.role,
            draft.time_zone,
            draft.locale,
            draft.lead_source,
            enum_label(ClientStatus(draft.status)),
            enum_label(ClientType(draft.client_type)),
            objective,
            record.stage,
            join_tags(draft.tags),
            draft.birthday,
            draft.notes,
        ]
        writer.writerow([guard_formula(plain_text(cell)) for cell in cells])
    return buffer.getvalue().encode("utf-8-sig")


def write_vcards(records: Iterable[ExportRecord]) -> bytes:
    """vCard 3.0 cards (the version every address book reads), UTF-8, CRLF, folded at 75 octets.

    Besides the standard properties, X-COACHDESK-* properties carry status, client type,
    objective, lead source, time zone, locale and stage so that `importing.read_vcards`
    gives back exactly what was written. The first e-mail and phone are marked PREF.
    """
    return "".join(_vcard(record) for record in records).encode("utf-8")


def _vcard(record: ExportRecord) -> str:
    draft = record.draft
    card = vobject.vCard()
    card.add("prodid").value = PRODID
    card.add("n").value = vobject.vcard.Name(
        family=plain_text(draft.last_name), given=plain_text(draft.first_name)
    )
    card.add("fn").value = plain_text(
        display_name(draft.first_name, draft.last_name, draft.preferred_name)
    )
    if draft.preferred_name:
        card.add("nickname").value = plain_text(draft.preferred_name)
    if draft.company:
        card.add("org").value = [plain_text(draft.company)]
    if draft.role:
        card.add("title").value = plain_text(draft.role)
    for index, address in enumerate(draft.emails):
        line = card.add("email")
        line.value = plain_text(address)
        line.type_paramlist = ["INTERNET", "PREF"] if index == 0 else ["INTERNET"]
    for index, number in enumerate(draft.phones):
        line = card.add("tel")
        line.value = plain_text(number)
        line.type_paramlist = ["VOICE", "PREF"] if index == 0 else ["VOICE"]
    if draft.notes:
        card.add("note").value = plain_text(draft.notes)
    if draft.tags:
        card.add("categories").value = [plain_text(tag) for tag in draft.tags]
    if draft.birthday:
        card.add("bday").value = plain_text(draft.birthday)
    if record.photo:
        line = card.add("photo")
        line.value = record.photo
        line.encoding_param = "b"
        kind = photo_type_param(record.photo_type or sniff_image_type(record.photo))
        if kind:
            line.type_param = kind
        # vobject's Photo behaviour never folds, for an old Apple Address Book bug; the
        # plain text behaviour folds at 75 octets as RFC 2426 asks.
        line.behavior = vobject.vcard.VCardTextBehavior
    extras = {
        "status": ClientStatus(draft.status).value,
        "client_type": ClientType(draft.client_type).value,
        "objective": Objective(draft.objective).value,
        "lead_source": draft.lead_source,
        "time_zone": draft.time_zone,
        "locale": draft.locale,
        "stage": record.stage,
    }
    for key, value in extras.items():
        if value:
            card.add(VCARD_X_PROPERTIES[key].lower()).value = plain_text(value)
    text: str = card.serialize()
    return text


def photo_type_param(media_type: str) -> str:
    """vCard 3.0's TYPE for a picture's media type ("image/jpeg" → "JPEG"), else ""."""
    match = _IMAGE_TYPE.match(media_type.strip().lower())
    return match.group(1).upper() if match else ""


def sniff_image_type(data: bytes) -> str:
    """The media type of a JPEG, PNG, GIF or WebP picture from its first bytes, else ""."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return ""
