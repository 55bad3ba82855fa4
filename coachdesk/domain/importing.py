"""Clients read from CSV and vCard files: decoding, column mapping, dates and validation."""

from __future__ import annotations

import base64
import binascii
import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from typing import TypeVar

import vobject  # type: ignore[import-untyped]

from coachdesk.domain.clients import (
    ClientDraft,
    ClientStatus,
    ClientType,
    Objective,
    is_email,
    is_phone,
    known_time_zones,
    normalise_birthday,
)
from coachdesk.domain.errors import KnownError
from coachdesk.domain.exporting import (
    CONTROL_CHARACTERS,
    VCARD_X_PROPERTIES,
    enum_label,
    plain_text,
    sniff_image_type,
    unguard_formula,
)


class ImportFormatError(KnownError):
    """The file is not something clients can be imported from; the message says why."""


IMPORT_FIELDS: dict[str, str] = {
    "": "Don't import",
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name (split into first and last)",
    "preferred_name": "Preferred name",
    "email": "E-mail",
    "phone": "Phone",
    "company": "Company",
    "role": "Role",
    "time_zone": "Time zone",
    "locale": "Locale",
    "lead_source": "Lead source",
    "status": "Status",
    "tags": "Tags",
    "notes": "Notes",
    "client_type": "Client type",
    "objective": "Objective",
    "birthday": "Birthday",
    "stage": "Pipeline stage",
}
# Fields that several columns may feed; the others take the first non-empty column.
REPEATABLE_FIELDS = frozenset({"email", "phone", "tags", "notes"})

_DATE_ORDERS = frozenset({"dmy", "mdy"})


@dataclass(frozen=True, slots=True)
class RawTable:
    """A CSV file split into cells, before any column means anything.

    Cells have the formula-guard apostrophe of `exporting.guard_formula` removed and
    control characters dropped; headers are stripped, non-empty and unique.

    Args:
        headers: the column names from the first non-blank row.
        rows: the data rows, each padded or trimmed to the number of headers.
        encoding: the text encoding the file was read with.
        delimiter: the cell separator found in the file.
        first_row_number: the spreadsheet row number of the first data row.
        row_numbers: each data row's spreadsheet row number (blank rows are skipped
            but still counted); empty means consecutive from `first_row_number`.
        ragged: (index into `rows`, cells found) for rows with non-empty cells
            beyond the last header.
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    encoding: str
    delimiter: str
    first_row_number: int = 2
    row_numbers: tuple[int, ...] = ()
    ragged: tuple[tuple[int, int], ...] = ()

    def row_number(self, index: int) -> int:
        """The spreadsheet row number of `rows[index]`."""
        if self.row_numbers:
            return self.row_numbers[index]
        return self.first_row_number + index


@dataclass(frozen=True, slots=True)
class DateColumn:
    """What a birthday column's values say about their day and month order.

    Args:
        column: the column header.
        order: "iso" (every value says which part is the month), "dmy", "mdy",
            "ambiguous" (the coach must choose) or "unparsed" (no value is a date).
        samples: a few values to show the coach when asking.
    """

    column: str
    order: str
    samples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One valid client read from a file.

    Args:
        row: the spreadsheet row number, or the card's number in a vCard file.
        draft: the cleaned, valid fields.
        stage: the pipeline stage's name as written in the file, or "".
        photo: a picture from a vCard, or None.
        photo_type: its media type, such as "image/jpeg", or "" when unknown.
    """

    row: int
    draft: ClientDraft
    stage: str = ""
    photo: bytes | None = None
    photo_type: str = ""


@dataclass(frozen=True, slots=True)
class RowError:
    """Why a row (or card) cannot be imported.

    Args:
        row: as in `ImportRecord.row`.
        field: the import field at fault (a key of IMPORT_FIELDS), or "" for the whole row.
        message: a plain sentence for the coach.
    """

    row: int
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """The outcome of reading a file: every row is in `records` or has errors, never both."""

    records: tuple[ImportRecord, ...]
    errors: tuple[RowError, ...]
    total_rows: int


# --- Decoding -------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes) -> tuple[str, str]:
    """The text of `data` and the encoding it was read with; newlines become "\\n".

    A byte-order mark decides (UTF-8, UTF-16, UTF-32); otherwise strict UTF-8, then
    Windows-1252 (what Excel writes for "CSV (Comma delimited)" in Western Europe),
    then Latin-1, which accepts any bytes.
    """
    text: str | None = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            # The mark says what the file is: one damaged byte should not turn every
            # accent into mojibake, so it becomes U+FFFD instead.
            text = data.decode(encoding, errors="replace").removeprefix("\ufeff")
            break
    else:
        for encoding in ("utf-8", "cp1252", "latin-1"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            break
    assert text is not None  # Latin-1 decodes every byte string.
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


# --- CSV ------------------------------------------------------------------------------

_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_CHARS = 65_536
_SNIFF_ROWS = 50


def read_csv(data: bytes) -> RawTable:
    """The cells of a CSV file, or ImportFormatError saying plainly why it cannot be read.

    Handles any of the encodings `decode` knows, a comma, semicolon, tab or bar as
    delimiter, quoted cells with newlines, blank rows (skipped), short rows (padded) and
    long ones (trimmed; see `RawTable.ragged`). The apostrophe `exporting.write_csv` puts
    in front of cells that start like a formula is removed, so exports read back exactly.
    """
    _refuse_binary_signature(data)
    text, encoding = decode(data)
    if not text.strip():
        raise ImportFormatError("The file is empty.")
    controls = len(CONTROL_CHARACTERS.findall(text))
    if "\x00" in text or controls > max(8, len(text) // 100):
        raise ImportFormatError(
            "This is not a CSV text file. Open it in the program it came from and save or "
            "export it as CSV (UTF-8)."
        )
    delimiter = _sniff_delimiter(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise ImportFormatError(f"The file could not be read as CSV: {error}.") from error
    cleaned = [[unguard_formula(plain_text(cell)) for cell in r] for r in records]
    numbered = [(n, cells) for n, cells in enumerate(cleaned, start=1) if _has_content(cells)]
    if not numbered:
        raise ImportFormatError("The file is empty.")
    header_number, header_cells = numbered[0]
    headers = _unique_headers(header_cells)
    for cell in headers:
        if is_email(cell) or is_phone(cell):
            raise ImportFormatError(
                "The first row should name the columns (First name, E-mail …), but it "
                f"holds data such as “{cell}”. Add a header row and try again."
            )
    width = len(headers)
    rows: list[tuple[str, ...]] = []
    numbers: list[int] = []
    ragged: list[tuple[int, int]] = []
    for number, cells in numbered[1:]:
        used = max(i for i, cell in enumerate(cells) if cell.strip()) + 1
        if used > width:
            ragged.append((len(rows), used))
        rows.append(tuple(cells[:width]) + ("",) * (width - len(cells)))
        numbers.append(number)
    return RawTable(
        headers=headers,
        rows=tuple(rows),
        encoding=encoding,
        delimiter=delimiter,
        first_row_number=header_number + 1,
        row_numbers=tuple(numbers),
        ragged=tuple(ragged),
    )


def _refuse_binary_signature(data: bytes) -> None:
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise ImportFormatError(
            "This looks like an Excel workbook; save it as CSV first "
            "(in Excel: File, Save As, CSV UTF-8)."
        )
    if data.startswith(b"%PDF"):
        raise ImportFormatError("This is a PDF document, not a CSV file.")


def _has_content(cells: Sequence[str]) -> bool:
    return any(cell.strip() for cell in cells)


def _unique_headers(cells: Sequence[str]) -> tuple[str, ...]:
    names = [cell.strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    seen: set[str] = set()
    unique: list[str] = []
    for index, name in enumerate(names, start=1):
        candidate = name or f"Column {index}"
        suffix = 2
        while candidate.casefold() in seen:
            candidate = f"{name or f'Column {index}'} ({suffix})"
            suffix += 1
        seen.add(candidate.casefold())
        unique.append(candidate)
    return tuple(unique)


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header into most columns and the rows most alike."""
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS:
        # The last line of the sample may be cut in half.
        sample = sample.rpartition("\n")[0]
    best = _DELIMITERS[0]
    best_score = (False, 0.0, 0)
    for delimiter in _DELIMITERS:
        if delimiter not in sample:
            continue
        try:
            reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            rows = [len(r) for r in reader if _has_content(r)][:_SNIFF_ROWS]
        except csv.Error:
            continue
        if not rows:
            continue
        width = rows[0]
        alike = sum(1 for n in rows if n == width) / len(rows)
        score = (width > 1, alike, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# --- Column mapping -------------------------------------------------------------------

# Header keys (see `_header_key`) that name each field, separated by spaces.
_SYNONYMS: dict[str, str] = {
    "first_name": (
        "firstname givenname forename first vorname prenom nombre nome voornaam primernombre"
    ),
    "last_name": (
        "lastname surname familyname last nachname familienname nom nomdefamille apellido "
        "apellidos cognome achternaam"
    ),
    "full_name": (
        "name fullname displayname contactname contact clientname client nomcomplet "
        "nombrecompleto vollstandigername"
    ),
    "preferred_name": (
        "preferredname nickname knownas goesby callname spitzname rufname surnom apodo"
    ),
    "email": (
        "email emailaddress emails mail primaryemail workemail personalemail homeemail "
        "otheremail courriel adresseemail adressecourriel correo correoelectronico "
        "emailadresse mailadresse"
    ),
    "phone": (
        "phone phonenumber phones telephone telephonenumber tel mobile mobilephone "
        "mobilephonenumber mobilenumber cell cellphone homephone businessphone workphone "
        "primaryphone otherphone telefon telefonnummer handy handynummer mobil "
        "mobiltelefon mobilnummer portable telefono movil celular"
    ),
    "company": (
        "company companyname organisation organization organizationname "
        "organisationname employer business firma unternehmen arbeitgeber entreprise "
        "societe empresa associatedcompany"
    ),
    "role": (
        "role jobtitle position job occupation organizationtitle positiontitle funktion "
        "beruf poste fonction cargo puesto profession"
    ),
    "time_zone": "timezone tz zeitzone fuseauhoraire zonahoraria",
    "locale": "locale language lang preferredlanguage sprache langue idioma",
    "lead_source": (
        "leadsource source originalsource referralsource referredby howdidyouhearaboutus "
        "quelle herkunft origine fuente origen"
    ),
    "status": "status clientstatus contactstatus statut estado",
    "tags": (
        "tags tag labels label categories category groups groupmembership stichworter "
        "schlagworter etiketten etiquettes etiquetas keywords"
    ),
    "notes": (
        "notes note comments comment description remarks notizen notiz bemerkungen "
        "bemerkung anmerkungen remarques commentaires commentaire notas nota comentarios"
    ),
    "client_type": "clienttype type customertype contacttype kundentyp typedeclient",
    "objective": "objective goal goals coachinggoal objectif ziel objetivo",
    "birthday": (
        "birthday birthdate dateofbirth dob born geburtstag geburtsdatum anniversaire "
        "datedenaissance cumpleanos fechadenacimiento"
    ),
    "stage": "stage pipelinestage lifecyclestage dealstage phase pipeline etape etapa",
}
# Matched only when no column claims the field by a clearer name: Outlook's "Title"
# is "Mr." or "Dr.", and its "Job Title" then takes the role.
_WEAK_SYNONYMS = {"title": "role"}
# Words in exports' headers that say nothing about the field ("E-mail 1 - Value").
_NOISE_WORDS = frozenset({"value"})


def _header_key(header: str) -> str:
    text = unicodedata.normalize("NFKD", header.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return "".join(w for w in re.findall(r"[^\W\d_]+", text) if w not in _NOISE_WORDS)


@cache
def _strong_synonyms() -> dict[str, str]:
    table = {word: field for field, words in _SYNONYMS.items() for word in words.split()}
    for field, label in IMPORT_FIELDS.items():
        if field:
            table.setdefault(_header_key(field), field)
            table.setdefault(_header_key(label), field)
    return table


def guess_mapping(headers: Sequence[str]) -> dict[str, str]:
    """Each header → the IMPORT_FIELDS key it most likely holds, or "" to ignore it.

    Knows English, German, French and Spanish names and the headers of Google Contacts,
    Outlook, HubSpot and CoachDesk's own exports. E-mail, phone, tags and notes may be
    fed by several columns; any other field goes to the first column that names it. A
    "Name" column beside a first-name column holds the last name (German "Vorname, Name").
    """
    mapping = dict.fromkeys(headers, "")
    taken: set[str] = set()
    for table in (_strong_synonyms(), _WEAK_SYNONYMS):
        for header in headers:
            field = table.get(_header_key(header), "")
            if mapping[header] or not field:
                continue
            if field in taken and field not in REPEATABLE_FIELDS:
                continue
            mapping[header] = field
            taken.add(field)
    if "first_name" in taken and "last_name" not in taken:
        for header in headers:
            if mapping[header] == "full_name" and _header_key(header) == "name":
                mapping[header] = "last_name"
                break
    return mapping


# --- Dates ----------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "january jan januar janner janvier janv enero ene",
            "february feb februar fevrier fevr febrero",
            "march mar marz maerz mars marzo",
            "april apr avril avr abril abr",
            "may mai mayo",
            "june jun juni juin junio",
            "july jul juli juillet juil julio",
            "august aug aout agosto ago",
            "september sep sept septembre septiembre setiembre",
            "october oct oktober okt octobre octubre",
            "november nov novembre noviembre",
            "december dec dezember dez decembre diciembre dic",
        ),
        start=1,
    )
    for name in names.split()
}
# Words around a day and month that carry no meaning: "March 15th", "15 de marzo", "1er mars".
_DATE_FILLERS = frozenset({"st", "nd", "rd", "th", "er", "de", "of", "the", "le", "el"})
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T.*)?$")
_NO_YEAR_DATE = re.compile(r"^--(\d{2})-?(\d{2})$")
_NUMERIC_DATE = re.compile(
    r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}|\d{2}))?\.?(?:[ T]\d{1,2}:\d{2}.*)?$"
)


@dataclass(frozen=True, slots=True)
class _DateReading:
    """A date as written: month and day known (`fixed`), or two numbers in either order."""

    year: int | None
    first: int
    second: int
    fixed: bool

    def resolve(self, order: str) -> str | None:
        """The birthday as stored, reading numbers in `order` unless `fixed`; None if invalid."""
        if self.fixed or order == "mdy":
            month, day = self.first, self.second
        elif order == "dmy":
            day, month = self.first, self.second
        else:
            return None
        if self.year is None:
            return normalise_birthday(f"--{month:02d}-{day:02d}")
        return normalise_birthday(f"{self.year:04d}-{month:02d}-{day:02d}")

    @property
    def evidence(self) -> str:
        """The order the numbers prove ("dmy" or "mdy"), "ambiguous", or "" if none is needed."""
        if self.fixed or self.first == self.second:
            return ""
        if self.first > 12 >= self.second:
            return "dmy"
        if self.second > 12 >= self.first:
            return "mdy"
        return "ambiguous" if self.first <= 12 and self.second <= 12 else ""


def _is_blank_date(text: str) -> bool:
    # Outlook writes "0/0/00" for "no birthday".
    return not text or bool(re.fullmatch(r"[0\W_]*0[0\W_]*", text))


def _year(text: str) -> int:
    value = int(text)
    if len(text) > 2:
        return value
    # A two-digit year is a birthday's: in the past.
    return 2000 + value if 2000 + value <= date.today().year else 1900 + value


def _read_date(text: str) -> _DateReading | None:
    if match := _ISO_DATE.match(text) or _COMPACT_DATE.match(text):
        return _DateReading(int(match[1]), int(match[2]), int(match[3]), fixed=True)
    if match := _NO_YEAR_DATE.match(text):
        return _DateReading(None, int(match[1]), int(match[2]), fixed=True)
    if match := _NUMERIC_DATE.match(text):
        year = _year(match[3]) if match[3] else None
        return _DateReading(year, int(match[1]), int(match[2]), fixed=False)
    return _read_named_date(text)


def _read_named_date(text: str) -> _DateReading | None:
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = re.findall(r"[^\W\d_]+", folded)
    numbers = re.findall(r"\d+", folded)
    months = [_MONTHS[w] for w in words if w in _MONTHS]
    if len(months) != 1 or any(w not in _MONTHS and w not in _DATE_FILLERS for w in words):
        return None
    if len(numbers) == 1 and len(numbers[0]) <= 2:
        return _DateReading(None, months[0], int(numbers[0]), fixed=True)
    if len(numbers) == 2 and len(numbers[0]) == 4 and len(numbers[1]) <= 2:
        return _DateReading(int(numbers[0]), months[0], int(numbers[1]), fixed=True)
    if len(numbers) == 2 and len(numbers[0]) <= 2 and len(numbers[1]) in (2, 4):
        return _DateReading(_year(numbers[1]), months[0], int(numbers[0]), fixed=True)
    return None


def detect_dates(table: RawTable, mapping: Mapping[str, str]) -> dict[str, DateColumn]:
    """For each column mapped to "birthday", the day/month order its values show.

    A value whose first number is over 12 proves day-month order, one whose second is
    proves month-day; ISO dates, "--03-15" and dates with a month name prove nothing
    and need nothing. Proof both ways, or no proof while some value needs it, is
    "ambiguous": the coach must choose (see `build_records`' `date_orders`).
    """
    columns: dict[str, DateColumn] = {}
    for index, header in enumerate(table.headers):
        if mapping.get(header) != "birthday":
            continue
        values = [row[index].strip() for row in table.rows]
        values = [v for v in values if not _is_blank_date(v)]
        readings = [(v, _read_date(v)) for v in values]
        evidence = {r.evidence for _, r in readings if r is not None} - {""}
        undecided = [v for v, r in readings if r is not None and r.evidence == "ambiguous"]
        if values and all(r is None for _, r in readings):
            order = "unparsed"
        elif {"dmy", "mdy"} <= evidence:
            order = "ambiguous"
        elif "dmy" in evidence or "mdy" in evidence:
            order = "dmy" if "dmy" in evidence else "mdy"
        else:
            order = "ambiguous" if undecided else "iso"
        samples = tuple(dict.fromkeys(undecided + values))[:5]
        columns[header] = DateColumn(header, order, samples)
    return columns


# --- Records --------------------------------------------------------------------------

_PROBLEM_FIELDS = {"emails": "email", "phones": "phone"}
_LIST_SPLIT = re.compile(r"[,;\n]")
# Google Contacts puts every contact in this group; it is not a tag anyone chose.
_GOOGLE_ALL_CONTACTS = "* mycontacts"
_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "ter", "ten"}
)


def build_records(
    table: RawTable, mapping: Mapping[str, str], date_orders: Mapping[str, str] | None = None
) -> Parsed:
    """Validated clients from the rows of `table`, and a plain error for each bad row.

    Args:
        table: from `read_csv`.
        mapping: column header → IMPORT_FIELDS key ("" or missing: ignore the column).
        date_orders: birthday column → "dmy" or "mdy", the coach's answer when
            `detect_dates` says "ambiguous"; without one, rows whose date could be read
            either way get an error.

    Status, client type and objective accept the stored value or the label shown in
    CoachDesk, in any case. A cell may hold several e-mails or phones (split at , ; or
    a newline) and several tags (split at commas, else " ::: " as Google writes them,
    else semicolons as Outlook does). A row with no name takes its company as the
    preferred name. A row with any error is left out of `records`.
    """
    unknown = set(mapping.values()) - set(IMPORT_FIELDS)
    if unknown:
        raise ValueError(f"Unknown import fields: {sorted(unknown)}")
    fields: dict[str, list[int]] = {}
    for index, header in enumerate(table.headers):
        if field := mapping.get(header, ""):
            fields.setdefault(field, []).append(index)
    orders = {c.column: c.order for c in detect_dates(table, mapping).values()}
    for column, order in (date_orders or {}).items():
        if order in _DATE_ORDERS:
            orders[column] = order
    ragged = dict(table.ragged)
    width = len(table.headers)
    records: list[ImportRecord] = []
    errors: list[RowError] = []
    for index, row in enumerate(table.rows):
        number = table.row_number(index)
        if index in ragged:
            message = f"Row {number} has {ragged[index]} cells, expected {width}."
            errors.append(RowError(number, "", message))
            continue
        cells = {f: [row[i].strip() for i in columns] for f, columns in fields.items()}
        birthdays = [
            (table.headers[i], row[i].strip()) for i in fields.get("birthday", ()) if row[i].strip()
        ]
        outcome = _row_record(number, cells, birthdays, orders)
        if isinstance(outcome, ImportRecord):
            records.append(outcome)
        else:
            errors.extend(outcome)
    return Parsed(tuple(records), tuple(errors), len(table.rows))


def _row_record(
    number: int,
    cells: Mapping[str, list[str]],
    birthdays: Sequence[tuple[str, str]],
    orders: Mapping[str, str],
) -> ImportRecord | list[RowError]:
    def first(field: str) -> str:
        return next((v for v in cells.get(field, ()) if v), "")

    errors: list[RowError] = []
    first_name, last_name = first("first_name"), first("last_name")
    if not (first_name or last_name) and (full := first("full_name")):
        first_name, last_name = split_full_name(full)
    birthday = ""
    for column, value in birthdays[:1]:
        birthday = _table_birthday(number, column, value, orders.get(column, ""), errors)
    draft = ClientDraft(
        first_name=first_name,
        last_name=last_name,
        preferred_name=first("preferred_name"),
        emails=tuple(e for cell in cells.get("email", ()) for e in split_emails(cell)),
        phones=tuple(p for cell in cells.get("phone", ()) for p in split_phones(cell)),
        company=first("company"),
        role=first("role"),
        time_zone=_time_zone(first("time_zone")),
        locale=_locale(first("locale")),
        lead_source=first("lead_source"),
        status=_choice(number, "status", first("status"), ClientStatus, errors),
        tags=tuple(t for cell in cells.get("tags", ()) for t in split_tags(cell)),
        notes="\n\n".join(v for v in cells.get("notes", ()) if v),
        client_type=_choice(number, "client_type", first("client_type"), ClientType, errors),
        objective=_choice(number, "objective", first("objective"), Objective, errors),
        birthday=birthday,
    )
    return _finish(number, draft, " ".join(first("stage").split()), errors)


def _finish(
    number: int,
    draft: ClientDraft,
    stage: str,
    errors: list[RowError],
    photo: bytes | None = None,
    photo_type: str = "",
) -> ImportRecord | list[RowError]:
    """The record for a row or card, after the name fallback and the draft's own checks."""
    draft = draft.cleaned()
    if not (draft.first_name or draft.last_name or draft.preferred_name):
        if not draft.company:
            errors.append(
                RowError(
                    number,
                    "first_name",
                    "No name: there is no first, last or "
                    "preferred name, and no company to use instead.",
                )
            )
            return errors
        draft = replace(draft, preferred_name=draft.company)
    for address in draft.emails:
        if not is_email(address):
            errors.append(RowError(number, "email", f"Not an e-mail address: “{address}”"))
    for phone in draft.phones:
        if not is_phone(phone):
            errors.append(RowError(number, "phone", f"Not a phone number: “{phone}”"))
    for field, message in draft.problems().items():
        if field not in _PROBLEM_FIELDS:
            errors.append(RowError(number, field, message))
    if errors:
        return errors
    return ImportRecord(number, draft, stage, photo, photo_type if photo else "")


def split_full_name(text: str) -> tuple[str, str]:
    """First and last name from "Ann Smith", "Smith, Ann" or "Anna van der Berg"."""
    text = " ".join(text.split())
    if "," in text:
        last, _, given = text.partition(",")
        return given.strip(), last.strip()
    words = text.split(" ")
    if len(words) == 1:
        return text, ""
    start = len(words) - 1
    while start > 1 and words[start - 1].casefold() in _PARTICLES:
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:])


def split_emails(cell: str) -> list[str]:
    """The addresses in a cell: split at , ; newline or space; "Name <a@b>" and mailto: kept."""
    found: list[str] = []
    for part in _LIST_SPLIT.split(cell):
        if match := re.search(r"<([^<>]*)>", part):
            part = match[1]
        for word in part.split():
            word = word.removeprefix("mailto:").removeprefix("MAILTO:").strip()
            if word:
                found.append(word)
    return found


def split_phones(cell: str) -> list[str]:
    """The numbers in a cell, split at , ; or newline, without a "tel:" prefix."""
    # vCard 4.0's "tel:+1-555-0100;ext=12" would otherwise split at its semicolon.
    cell = re.sub(r";\s*ext=", " ext. ", cell, flags=re.IGNORECASE)
    parts = (p.strip() for p in _LIST_SPLIT.split(cell))
    return [_phone(p) for p in parts if p]


def _phone(text: str) -> str:
    text = re.sub(r"^tel:", "", text.strip(), flags=re.IGNORECASE)
    return re.sub(r";\s*ext=", " ext. ", text, flags=re.IGNORECASE)


def split_tags(cell: str) -> list[str]:
    """Tags in a cell: split at commas or newlines, else " ::: " (Google), else semicolons."""
    if "," in cell or "\n" in cell:
        parts = re.split(r"[,\n]", cell)
    elif ":::" in cell:
        # Google Contacts' labels: "* myContacts ::: Clients"; "* " marks its own groups.
        parts = [p.strip() for p in cell.split(":::")]
        parts = [p.removeprefix("* ") for p in parts if p.casefold() != _GOOGLE_ALL_CONTACTS]
    else:
        parts = cell.split(";")
    tags = (p.strip() for p in parts)
    return [t for t in tags if t and t.casefold() != _GOOGLE_ALL_CONTACTS]


def _time_zone(text: str) -> str:
    if text and text not in known_time_zones():
        by_case = {zone.casefold(): zone for zone in known_time_zones()}
        return by_case.get(text.casefold(), text)
    return text


def _locale(text: str) -> str:
    match = re.fullmatch(r"([A-Za-z]{2,3})(?:([-_])([A-Za-z]{4}))?(?:([-_])([A-Za-z]{2}))?", text)
    if not match:
        return text
    language, dash, script, dash2, region = match.groups()
    fixed = language.lower()
    if script:
        fixed += dash + script.title()
    if region:
        fixed += dash2 + region.upper()
    return fixed


def _enum_key(text: str) -> str:
    return " ".join(re.sub(r"[_\-]", " ", text.casefold()).split())


_Choice = TypeVar("_Choice", ClientStatus, ClientType, Objective)


def _choice(
    number: int, field: str, text: str, kind: type[_Choice], errors: list[RowError]
) -> _Choice:
    """The member of `kind` named by its value or label (any case), default when empty."""
    members = list(kind)
    if not text:
        return members[0]
    for member in members:
        if _enum_key(text) in (_enum_key(member.value), _enum_key(enum_label(member))):
            return member
    choices = ", ".join(enum_label(m) for m in members if m.value)
    label = IMPORT_FIELDS[field].lower()
    errors.append(RowError(number, field, f"Unknown {label} “{text}”; use one of {choices}."))
    return members[0]


def _table_birthday(
    number: int, column: str, value: str, order: str, errors: list[RowError]
) -> str:
    if _is_blank_date(value):
        return ""
    reading = _read_date(value)
    if reading is None:
        errors.append(RowError(number, "birthday", _not_a_date(value)))
        return ""
    evidence = reading.evidence
    if order not in _DATE_ORDERS:
        if evidence == "ambiguous":
            errors.append(
                RowError(
                    number,
                    "birthday",
                    f"“{value}” could be day/month or month/day: choose the date order "
                    f"for the “{column}” column.",
                )
            )
            return ""
        # The value proves its own order, or (ISO, "05/05/1990") needs none.
        order = evidence or "dmy"
    result = reading.resolve(order)
    if result is None:
        errors.append(RowError(number, "birthday", _not_a_date(value)))
        return ""
    return result


def _not_a_date(value: str) -> str:
    return f"Not a date: “{value}”; use 1990-03-15, or --03-15 without the year."


# --- vCard ----------------------------------------------------------------------------

# What vobject raises for a line it cannot parse or decode (quoted-printable with an
# unknown charset, say); anything else is a bug and should surface as one.
_VOBJECT_ERRORS = (vobject.base.VObjectError, ValueError, LookupError, TypeError)
_X_FIELDS = {prop: field for field, prop in VCARD_X_PROPERTIES.items()}
_QUOTED_PRINTABLE = re.compile(r"^[^:\n]*;(?:ENCODING=)?QUOTED-PRINTABLE[;:]", re.I | re.M)


@dataclass(frozen=True, slots=True)
class _Card:
    """The unfolded lines of one vCard, its number in the file, and whether END:VCARD closed it."""

    number: int
    lines: tuple[str, ...]
    closed: bool


def read_vcards(data: bytes) -> Parsed:
    """Clients from a vCard 2.1, 3.0 or 4.0 file; a card that cannot be read is a RowError.

    vobject unfolds and splits the lines; values are unescaped here, leniently, since
    many exporters leave commas in NOTE unescaped. Names come from N, then NICKNAME
    (the preferred name), then FN split in two, then ORG. E-mails and phones keep their
    order with the preferred ones first. PHOTO is read when embedded (base64 or a data:
    URI); links are ignored, never fetched. TZ is used when it is an IANA zone name. A
    BDAY marked VALUE=text that is not a date is ignored. The X-COACHDESK-* properties of
    `exporting.write_vcards` are read back.
    """
    text, _ = decode(data)
    if not text.strip():
        raise ImportFormatError("The file is empty.")
    cards = list(_split_cards(text))
    if not cards:
        raise ImportFormatError(
            "No contacts found: this is not a vCard (.vcf) file. Export the contacts as "
            "vCard, or as CSV and import that."
        )
    records: list[ImportRecord] = []
    errors: list[RowError] = []
    for card in cards:
        outcome = _card_record(card)
        if isinstance(outcome, ImportRecord):
            records.append(outcome)
        else:
            errors.extend(outcome)
    return Parsed(tuple(records), tuple(errors), len(cards))


def _split_cards(text: str) -> Iterator[_Card]:
    # vobject joins quoted-printable soft line breaks only in its line-by-line mode,
    # which also takes a folded line of spaces for a blank one; use it only for 2.1 files.
    quoted_printable = bool(_QUOTED_PRINTABLE.search(text))
    lines: list[str] | None = None
    number = 0
    for line, _ in vobject.base.getLogicalLines(io.StringIO(text), quoted_printable):
        word = line.strip().upper()
        if word == "BEGIN:VCARD":
            if lines is not None:
                yield _Card(number, tuple(lines), closed=False)
            number += 1
            lines = []
        elif word == "END:VCARD":
            if lines is not None:
                yield _Card(number, tuple(lines), closed=True)
            lines = None
        elif lines is not None:
            lines.append(line)
    if lines is not None:
        yield _Card(number, tuple(lines), closed=False)


def _card_record(card: _Card) -> ImportRecord | list[RowError]:
    number = card.number
    if not card.closed:
        return [RowError(number, "", f"Contact {number} is cut short (no END:VCARD line).")]
    properties: dict[str, list[vobject.base.ContentLine]] = {}
    for raw in card.lines:
        try:
            line = vobject.base.textLineToContentLine(raw, None)
        except _VOBJECT_ERRORS:
            shown = raw if len(raw) <= 60 else raw[:57] + "…"
            return [
                RowError(number, "", f"Contact {number} has a line that is not vCard: “{shown}”.")
            ]
        properties.setdefault(line.name.upper(), []).append(line)

    def texts(name: str) -> list[str]:
        return [_line_text(line) for line in properties.get(name, ())]

    def one(name: str) -> str:
        return next((t.strip() for t in texts(name) if t.strip()), "")

    errors: list[RowError] = []
    family, given = "", ""
    if properties.get("N"):
        parts = [*_split_escaped(_raw_value(properties["N"][0]), ";"), "", "", ""]
        family, given, additional = (_list_text(p) for p in parts[:3])
        given = " ".join(p for p in (given, additional) if p)
    nickname = next(iter(_split_list(_one_raw(properties, "NICKNAME"))), "")
    company = next(iter(_split_escaped(_one_raw(properties, "ORG"), ";")), "")
    company = _unescape(company).strip()
    formatted = one("FN")
    # Our own cards name a client known only by a preferred name or company in FN too.
    stands_in = {nickname.casefold(), company.casefold()}
    named_elsewhere = formatted.casefold() in stands_in | {""} or is_email(formatted)
    if not (given or family or named_elsewhere):
        given, family = split_full_name(formatted)
    x = {field: one(prop) for prop, field in _X_FIELDS.items()}
    zone = x["time_zone"] or next((z for z in texts("TZ") if z in known_time_zones()), "")
    photo, photo_type = _photo(properties.get("PHOTO", ()))
    draft = ClientDraft(
        first_name=given,
        last_name=family,
        preferred_name=nickname,
        emails=tuple(_ordered(properties.get("EMAIL", ()), lambda t: t.removeprefix("mailto:"))),
        phones=tuple(_ordered(properties.get("TEL", ()), _phone)),
        company=company,
        role=one("TITLE") or one("ROLE"),
        time_zone=zone,
        locale=x["locale"],
        lead_source=x["lead_source"],
        status=_choice(number, "status", x["status"], ClientStatus, errors),
        tags=tuple(
            tag
            for line in properties.get("CATEGORIES", ())
            for tag in _split_list(_raw_value(line))
        ),
        notes="\n\n".join(t.strip() for t in texts("NOTE") if t.strip()),
        client_type=_choice(number, "client_type", x["client_type"], ClientType, errors),
        objective=_choice(number, "objective", x["objective"], Objective, errors),
        birthday=_card_birthday(number, properties.get("BDAY", ()), errors),
    )
    return _finish(number, draft, " ".join(x["stage"].split()), errors, photo, photo_type)


def _one_raw(properties: Mapping[str, list[vobject.base.ContentLine]], name: str) -> str:
    """The escaped value of the first `name` property, or ""."""
    lines = properties.get(name, ())
    return _raw_value(lines[0]) if lines else ""


def _raw_value(line: vobject.base.ContentLine) -> str:
    value = line.value
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return plain_text(str(value))


def _params(line: vobject.base.ContentLine, name: str) -> list[str]:
    values: list[str] = line.params.get(name, [])
    return [v.strip().upper() for value in values for v in value.split(",")]


def _line_text(line: vobject.base.ContentLine) -> str:
    raw = _raw_value(line)
    if {"B", "BASE64"} & {*_params(line, "ENCODING"), *(s.upper() for s in line.singletonparams)}:
        decoded = _base64(raw) or b""
        return plain_text(decoded.decode("utf-8", errors="replace"))
    return _unescape(raw)


def _split_escaped(text: str, separator: str) -> list[str]:
    """`text` split at each `separator` not escaped by a backslash; escapes are kept."""
    parts: list[str] = []
    current: list[str] = []
    characters = iter(text)
    for ch in characters:
        if ch == "\\":
            current.append(ch + next(characters, ""))
        elif ch == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    # Unknown escapes stay as written: "C:\Users" from a careless exporter survives.
    return re.sub(r"\\([\\;,:nN])", lambda m: "\n" if m[1] in "nN" else m[1], text)


def _split_list(text: str) -> list[str]:
    return [v for v in (_unescape(p).strip() for p in _split_escaped(text, ",")) if v]


def _list_text(text: str) -> str:
    return " ".join(_split_list(text))


def _pref_rank(line: vobject.base.ContentLine) -> int:
    """1 to 100 for preferred (vCard 4.0's PREF=n, or 3.0's TYPE=PREF), 101 otherwise."""
    for value in line.params.get("PREF", []):
        if re.fullmatch(r"[0-9]{1,3}", value.strip()):
            return min(max(int(value), 1), 100)
    kinds = {*_params(line, "TYPE"), *(s.upper() for s in line.singletonparams)}
    return 1 if "PREF" in kinds else 101


def _ordered(lines: Sequence[vobject.base.ContentLine], tidy: Callable[[str], str]) -> list[str]:
    ranked = sorted(lines, key=_pref_rank)
    values = (tidy(_line_text(line).strip()).strip() for line in ranked)
    return [v for v in values if v]


def _base64(text: str) -> bytes | None:
    packed = "".join(text.split())
    packed += "=" * (-len(packed) % 4)
    try:
        return base64.b64decode(packed) or None
    except (binascii.Error, ValueError):
        return None


def _photo(lines: Sequence[vobject.base.ContentLine]) -> tuple[bytes | None, str]:
    for line in lines:
        value = _raw_value(line).strip()
        kinds = [*_params(line, "TYPE"), *(s.upper() for s in line.singletonparams)]
        if value[:5].casefold() == "data:":
            header, _, payload = value[5:].partition(",")
            media, *flags = header.split(";")
            if "base64" not in (f.strip().casefold() for f in flags):
                continue
            data = _base64(payload)
            media_type = media.strip().lower()
        elif {"B", "BASE64"} & {*_params(line, "ENCODING"), *kinds}:
            data = _base64(value)
            media_type = next((_media_type(k) for k in kinds if _media_type(k)), "")
        else:
            continue  # A link: never fetched.
        if data:
            return data, media_type or sniff_image_type(data)
    return None, ""


def _media_type(kind: str) -> str:
    if kind in ("JPEG", "JPG"):
        return "image/jpeg"
    if kind in ("PNG", "GIF", "WEBP", "BMP", "TIFF", "HEIC"):
        return f"image/{kind.lower()}"
    if kind.startswith("IMAGE/"):
        return kind.lower()
    return ""


def _card_birthday(
    number: int, lines: Sequence[vobject.base.ContentLine], errors: list[RowError]
) -> str:
    if not lines:
        return ""
    line = lines[0]
    value = _line_text(line).strip()
    if not value or _is_blank_date(value):
        return ""
    reading = _read_date(value)
    result = reading.resolve(reading.evidence or "dmy") if reading is not None else None
    # Apple writes a birthday without a year as 1604 and says so in this parameter.
    omitted = line.params.get("X-APPLE-OMIT-YEAR", [])
    if result and reading is not None and str(reading.year) in omitted:
        result = f"--{result[5:]}"
    if result:
        return result
    if "TEXT" not in _params(line, "VALUE"):
        errors.append(RowError(number, "birthday", _not_a_date(value)))
    return ""
