"""Reading a participant report file: bytes → text → the participants table → rows.

Pure functions, no database. `parse_report` is the entry point; every refusal is a
`ReportError` naming the line (1-based, as a text editor counts them) and, where it applies,
the column, so nothing is imported from a file that is only partly understood.

What is recognised (header names are compared without case, accents or extra spaces):

- **Zoom**, the meeting's participants report: "Name (Original Name)", "User Email", "Join
  Time", "Leave Time", "Duration (Minutes)", "Guest" (older exports: "User Name",
  "Duration(Minutes)"; "Total Duration (Minutes)" without times when exported as unique
  users), with or without the meeting summary block (Meeting ID, Topic, ...) above it.
- **Microsoft Teams**, the attendance report: "Full Name"/"Name", "Join Time"/"First Join",
  "Leave Time"/"Last Leave", "Duration"/"In-Meeting Duration" ("1h 5m 3s", "65 min"),
  "Email"/"Participant ID (UPN)", "Role"; the newer file with "1. Summary", "2. Participants"
  and "3. In-Meeting Activities" sections (the activities, one row per join, are used when
  present; else the participants' first join to last leave, never credited beyond their
  stated duration). Zoom's rows "In Waiting Room: Yes" are kept (their lines are listed) but
  count for nothing.
- Teams' first attendance list (2020-2021): "Full Name", "User Action" ("Joined", "Joined
  before", "Left"), "Timestamp": each join up to the next leave is one stay.
- A few German, French, Spanish and Dutch header names of the same columns.
- Encodings: UTF-8 with or without a BOM, UTF-16 (LE/BE, with a BOM, or without one when the
  NUL bytes say so: Teams writes UTF-16 with tabs), and Windows-1252 (a CSV saved by Excel).
  Delimiters: comma, tab or semicolon, whichever makes the header line a participants header.
- Time zone: local times are in the zone the caller gives (the session's), unless the report
  says otherwise: an offset in the cell ("2026-03-11T08:02:11Z"), a zone in the column's
  header ("Join Time (UTC)", "Join Time (UTC+01:00)"), or a "Time zone" line above the table
  (an IANA name such as "Europe/Paris", or "UTC+01:00").
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import unicodedata
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from attendance.participant_reports.values import (
    DateOrderUnclear,
    Moment,
    ValueProblem,
    choose_date_order,
    moment_instant,
    parse_duration,
    parse_offset,
    scan_moment,
)
from tms.exceptions import RuleViolation

MAX_ROWS = 20_000


class ReportError(RuleViolation):
    """The file cannot be read as a participant report; nothing is imported."""

    code = "participant_report_invalid"

    def __init__(self, message: str, *, line: int | None = None, column: str = "") -> None:
        where = ""
        if line is not None and column:
            where = _("Line %(line)d, column “%(column)s”: ") % {"line": line, "column": column}
        elif line is not None:
            where = _("Line %(line)d: ") % {"line": line}
        full = where + message
        extra: dict[str, object] = {}
        if line is not None:
            extra["line"] = line
        if column:
            extra["column"] = column
        super().__init__(full, fields={"file": [full]}, extra=extra)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class ParticipantRow:
    """One row of the participants table: one join of one person (or, in a summary table,
    their first join to last leave)."""

    line: int
    name: str
    email: str = ""
    original_name: str = ""  # Zoom's "(Original Name)" when the participant renamed
    joined_at: dt.datetime | None = None
    left_at: dt.datetime | None = None
    duration_seconds: int | None = None
    role: str = ""
    guest: bool | None = None
    waiting_room: bool = False  # Zoom: time in the waiting room, not in the meeting


@dataclass(frozen=True)
class ParsedReport:
    file_format: str  # "zoom", "zoom-summary", "teams", "teams-activities", ... or "csv"
    rows: tuple[ParticipantRow, ...]
    time_zone: str  # the zone local times were read in


# --- Header names -------------------------------------------------------------------------


def normalise_header(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("\ufeff", ""))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.strip().strip("\"'").strip().rstrip(":").casefold()
    plain = re.sub(r"\s*\(\s*", " (", plain)
    plain = re.sub(r"\s*\)", ")", plain)
    return re.sub(r"\s+", " ", plain).replace("\u2019", "'")


WAITING, ACTION, TIMESTAMP = "waiting", "action", "timestamp"
NAME, ZOOM_NAME, EMAIL, UPN, JOIN, LEAVE, FIRST_JOIN, LAST_LEAVE, DURATION, GUEST, ROLE = (
    "name",
    "zoom_name",
    "email",
    "upn",
    "join",
    "leave",
    "first_join",
    "last_leave",
    "duration",
    "guest",
    "role",
)

_ALIASES: dict[str, tuple[str, ...]] = {
    ZOOM_NAME: (
        "name (original name)",
        "name (ursprunglicher name)",
        "nom (nom d'origine)",
        "nom (nom original)",
        "nombre (nombre original)",
        "naam (oorspronkelijke naam)",
    ),
    NAME: (
        "name",
        "full name",
        "user name",
        "display name",
        "participant",
        "participant name",
        "vollstandiger name",
        "nom complet",
        "nom",
        "nombre completo",
        "nombre",
        "volledige naam",
        "naam",
    ),
    EMAIL: (
        "user email",
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "e-mail-adresse",
        "e-mail des benutzers",
        "e-mail-adresse des benutzers",
        "adresse e-mail",
        "adresse de courriel",
        "courriel",
        "e-mail de l'utilisateur",
        "correo electronico",
        "correo electronico del usuario",
        "e-mailadres",
    ),
    UPN: ("participant id (upn)", "participant id", "upn", "teilnehmer-id (upn)"),
    JOIN: (
        "join time",
        "joined",
        "join",
        "beitrittszeit",
        "heure d'arrivee",
        "heure de participation",
        "hora de union",
        "hora de entrada",
        "tijd van deelname",
    ),
    LEAVE: (
        "leave time",
        "left",
        "leave",
        "zeit des verlassens",
        "zeitpunkt des verlassens",
        "heure de depart",
        "hora de salida",
        "tijd van vertrek",
    ),
    FIRST_JOIN: (
        "first join",
        "first join time",
        "erster beitritt",
        "premiere participation",
        "premiere arrivee",
        "primera union",
        "eerste deelname",
    ),
    LAST_LEAVE: (
        "last leave",
        "last leave time",
        "letztes verlassen",
        "dernier depart",
        "ultima salida",
        "laatste vertrek",
    ),
    DURATION: (
        "duration (minutes)",
        "duration(minutes)",
        "total duration (minutes)",
        "duration",
        "in-meeting duration",
        "attendance duration",
        "dauer (minuten)",
        "dauer",
        "dauer in der besprechung",
        "duree (minutes)",
        "duree",
        "duree de la reunion",
        "duracion (minutos)",
        "duracion",
        "duur (minuten)",
        "duur",
    ),
    GUEST: ("guest", "gast", "invite", "invitado"),
    # Teams' first attendance list (2020-2021): one row per event, "Joined" / "Left".
    ACTION: ("user action", "benutzeraktion", "action de l'utilisateur", "accion del usuario"),
    TIMESTAMP: ("timestamp", "zeitstempel", "horodatage", "marca de tiempo"),
    # Zoom: a row spent in the waiting room ("Yes") is no attendance.
    WAITING: ("in waiting room", "im warteraum", "en salle d'attente", "en la sala de espera"),
    ROLE: ("role", "rolle", "rol"),
}
ALIASES = {alias: field for field, names in _ALIASES.items() for alias in names}
_ZOOM_ONLY = {"name (original name)", "user email", "guest", "duration (minutes)", "user name"}
_TEAMS_ONLY = {
    "full name",
    "participant id (upn)",
    "role",
    "first join",
    "in-meeting duration",
    "rolle",
    "vollstandiger name",
    "nom complet",
}
# A zone written in a time column's header: "Join Time (UTC)", "Join Time (UTC+01:00)".
_HEADER_ZONE = re.compile(
    r"^(?P<name>.*?)\s*\((?P<zone>(?:utc|gmt)(?:\s?[+-]\d{1,2}(?::?\d{2})?)?)\)$"
)
_SECTION = re.compile(r"^\s*\d+\.\s+\S")
_ZONE_KEYS = {"time zone", "timezone", "zeitzone", "fuseau horaire", "zona horaria", "tijdzone"}


@dataclass(frozen=True)
class _Header:
    line: int  # 1-based line of the header row
    delimiter: str
    columns: dict[str, int]  # field → cell index
    titles: dict[str, str]  # field → the column's title as written (for messages)
    offsets: dict[str, dt.timedelta]  # field → zone given in the header
    raw: tuple[str, ...]

    @property
    def timed(self) -> bool:
        return (JOIN in self.columns and LEAVE in self.columns) or (
            FIRST_JOIN in self.columns and LAST_LEAVE in self.columns
        )

    @property
    def events(self) -> bool:
        return ACTION in self.columns and TIMESTAMP in self.columns

    @property
    def per_join(self) -> bool:
        return JOIN in self.columns and LEAVE in self.columns


def _header_offset(zone: str) -> dt.timedelta:
    result = parse_offset(zone)
    return result if result is not None else dt.timedelta(0)


def _as_header(cells: list[str], line: int, delimiter: str) -> _Header | None:
    columns: dict[str, int] = {}
    titles: dict[str, str] = {}
    offsets: dict[str, dt.timedelta] = {}
    for index, cell in enumerate(cells):
        title = normalise_header(cell)
        offset = None
        zoned = _HEADER_ZONE.match(title)
        if zoned is not None and zoned.group("name") in ALIASES:
            title, offset = zoned.group("name"), _header_offset(zoned.group("zone"))
        field = ALIASES.get(title)
        if field is None or field in columns:
            continue
        columns[field] = index
        titles[field] = cell.replace("\ufeff", "").strip()
        if offset is not None:
            offsets[field] = offset
    has_who = NAME in columns or ZOOM_NAME in columns
    header = _Header(line, delimiter, columns, titles, offsets, tuple(cells))
    if has_who and (header.timed or header.events or DURATION in columns):
        return header
    return None


# --- Bytes to text ----------------------------------------------------------------------


def decode_report(data: bytes) -> str:
    """The report's text: by its BOM, else UTF-16 when NUL bytes say so, else UTF-8, else
    Windows-1252 (what Excel writes as "CSV" on Windows)."""
    if not data.strip():
        raise ReportError(_("The file is empty."))
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    elif data[1:200:2].count(0) > 40 or (len(data) < 80 and data[1::2].count(0) > len(data) // 3):
        encodings = ["utf-16-le"]
    elif data[0:200:2].count(0) > 40 or (len(data) < 80 and data[0::2].count(0) > len(data) // 3):
        encodings = ["utf-16-be"]
    else:
        encodings = ["utf-8", "cp1252"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text.lstrip("\ufeff")
    raise ReportError(
        _("The file is not a text (CSV) file: save the report as CSV and upload that.")
    )


# --- Text to rows -------------------------------------------------------------------------


def _cells(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return []


def _find_tables(lines: list[str]) -> list[_Header]:
    headers = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        best: _Header | None = None
        for delimiter in ("\t", ",", ";"):
            if delimiter not in line:
                continue
            header = _as_header(_cells(line, delimiter), number, delimiter)
            if header is not None and (best is None or len(header.columns) > len(best.columns)):
                best = header
        if best is not None:
            headers.append(best)
    return headers


def _zone_above(lines: list[str], header: _Header) -> str:
    """A "Time zone" line above the table (a summary block), or ""."""
    for line in lines[: header.line - 1]:
        cells = [c.strip() for c in _cells(line, header.delimiter)]
        if len(cells) >= 2 and normalise_header(cells[0]) in _ZONE_KEYS and cells[1]:
            return cells[1]
    return ""


def _body(lines: list[str], header: _Header) -> Iterator[tuple[int, list[str]]]:
    """The table's rows with their 1-based line numbers, up to a blank line or a section."""
    rest = lines[header.line :]
    reader = csv.reader(rest, delimiter=header.delimiter)
    consumed = 0
    while True:
        start = header.line + consumed + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ReportError(
                _("the line cannot be read as CSV (%(error)s).") % {"error": error}, line=start
            ) from None
        consumed = reader.line_num
        filled = [c for c in cells if c.strip()]
        if not filled:
            return
        if len(filled) == 1 and _SECTION.match(filled[0]) and len(cells) <= 2:
            return
        yield start, cells


def _split_zoom_name(value: str) -> tuple[str, str]:
    match = re.fullmatch(r"(?P<name>.*?)\s*\((?P<original>[^()]*)\)\s*", value)
    if match is None or not match.group("name"):
        return value.strip(), ""
    return match.group("name").strip(), match.group("original").strip()


def _yes_no(value: str) -> bool | None:
    word = normalise_header(value)
    if word in {"yes", "ja", "oui", "si", "true", "1", "y"}:
        return True
    if word in {"no", "nein", "non", "false", "0", "n", "nee"}:
        return False
    return None


def _report_zone(
    text: str, fallback: zoneinfo.ZoneInfo
) -> tuple[zoneinfo.ZoneInfo | None, dt.timedelta | None, str]:
    """The zone a "Time zone" line names: an IANA zone, or a fixed offset."""
    value = text.strip()
    if not value:
        return fallback, None, fallback.key
    try:
        return zoneinfo.ZoneInfo(value), None, value
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        pass
    zone_text = re.sub(r"^\(?((?:UTC|GMT)[^)]*)\)?.*$", r"\1", value)
    try:
        offset = parse_offset(zone_text)
    except ValueProblem:
        offset = None
    if offset is None:
        raise ReportError(
            _(
                "The report's time zone “%(zone)s” is not known: use a name such as "
                "Europe/Paris or an offset such as UTC+01:00."
            )
            % {"zone": value}
        )
    return None, offset, zone_text.upper()


def _format_name(header: _Header, lines: list[str], tables: list[_Header]) -> str:
    titles = {normalise_header(c) for c in header.raw}
    sectioned = any(_SECTION.match(line) for line in lines[: header.line])
    if titles & _TEAMS_ONLY or sectioned:
        if sectioned:
            return "teams-activities" if header.per_join else "teams-participants"
        return "teams"
    if titles & _ZOOM_ONLY:
        above = " ".join(lines[: header.line - 1]).casefold()
        return "zoom-summary" if "meeting id" in above or "topic" in above else "zoom"
    return "csv"


def parse_report(data: bytes, *, zone: zoneinfo.ZoneInfo, block_date: dt.date) -> ParsedReport:
    """The participant rows of a Zoom or Teams report (see the module's docstring).

    `zone` is the session's: local times are read in it unless the report names its own.
    `block_date` (the block's local date) decides between month-first and day-first dates
    when both readings are valid."""
    text = decode_report(data)
    lines = text.splitlines()
    tables = _find_tables(lines)
    if not tables:
        raise ReportError(
            _(
                "No participants table was found. Upload the meeting's participant report as "
                "exported by Zoom (columns such as “Name (Original Name)”, “Join Time”, "
                "“Leave Time”, “Duration (Minutes)”) or Microsoft Teams (“Full Name” or "
                "“Name”, “Join Time”, “Leave Time”, “Duration”, “Email”)."
            )
        )
    # One row per join (Teams' activities, Zoom's rows) beats first join/last leave, which
    # beats durations alone.
    header = max(tables, key=lambda t: (t.per_join, t.timed, -t.line))
    file_format = _format_name(header, lines, tables)
    report_zone, report_offset, zone_name = _report_zone(_zone_above(lines, header), zone)

    raw_rows = list(_body(lines, header))
    if not raw_rows:
        raise ReportError(_("The participants table has no rows."), line=header.line)
    if len(raw_rows) > MAX_ROWS:
        raise ReportError(
            _("The report has more than %(max)d rows.") % {"max": MAX_ROWS}, line=header.line
        )
    if header.events and not header.timed:
        stays = _event_rows(raw_rows, header, zone=report_zone or zone, block_date=block_date)
        return ParsedReport(file_format="teams-events", rows=stays, time_zone=zone_name)
    join_field, leave_field = (JOIN, LEAVE) if header.per_join else (FIRST_JOIN, LAST_LEAVE)
    timed = header.timed
    needed = max(header.columns.values()) + 1

    def cell(cells: list[str], field: str) -> str:
        index = header.columns.get(field)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    scanned: list[tuple[int, list[str], Moment | None, Moment | None]] = []
    for line, cells in raw_rows:
        if len(cells) < needed and any(
            header.columns[f] >= len(cells) for f in (join_field, leave_field) if timed
        ):
            raise ReportError(
                _("expected %(n)d columns as in the header (line %(h)d), found %(found)d.")
                % {"n": len(header.raw), "h": header.line, "found": len(cells)},
                line=line,
            )
        moments: list[Moment | None] = []
        for field in (join_field, leave_field) if timed else ():
            value = cell(cells, field)
            if not value:
                raise ReportError(_("the time is missing."), line=line, column=header.titles[field])
            try:
                moments.append(scan_moment(value))
            except ValueProblem as problem:
                raise ReportError(str(problem), line=line, column=header.titles[field]) from None
        scanned.append((line, cells, *(moments or [None, None])))  # type: ignore[arg-type]

    all_moments = [m for _l, _c, *pair in scanned for m in pair if m is not None]
    try:
        readings = choose_date_order(all_moments, near=block_date)
    except DateOrderUnclear as problem:
        raise ReportError(str(problem)) from None
    open_order = readings.get(None, "mdy")

    def instant(moment: Moment, field: str) -> dt.datetime:
        offset = header.offsets.get(field, report_offset)
        if moment.offset is None and offset is not None:
            moment = Moment(**{**moment.__dict__, "offset": offset})
        return moment_instant(moment, open_order, report_zone or zone)

    rows = []
    for line, cells, joined, left in scanned:
        raw_name = cell(cells, ZOOM_NAME) if ZOOM_NAME in header.columns else cell(cells, NAME)
        name, original = (
            _split_zoom_name(raw_name) if ZOOM_NAME in header.columns else (raw_name, "")
        )
        email = cell(cells, EMAIL)
        upn = cell(cells, UPN)
        if not email and "@" in upn:
            email = upn
        if not name and not email:
            raise ReportError(_("the row has neither a name nor an email."), line=line)
        if email and ("@" not in email or len(email) > 254 or any(c.isspace() for c in email)):
            raise ReportError(
                _("“%(value)s” is not an email address.") % {"value": email},
                line=line,
                column=header.titles[EMAIL if cell(cells, EMAIL) else UPN],
            )
        duration = None
        if DURATION in header.columns and cell(cells, DURATION):
            try:
                duration = parse_duration(cell(cells, DURATION))
            except ValueProblem as problem:
                raise ReportError(str(problem), line=line, column=header.titles[DURATION]) from None
        elif not timed:
            raise ReportError(
                _("the duration is missing."), line=line, column=header.titles[DURATION]
            )
        joined_at = left_at = None
        if joined is not None and left is not None:
            try:
                joined_at, left_at = instant(joined, join_field), instant(left, leave_field)
            except ValueProblem as problem:
                raise ReportError(str(problem), line=line) from None
            if left_at < joined_at:
                raise ReportError(
                    _("the leave time (%(left)s) is before the join time (%(joined)s).")
                    % {"left": left.text, "joined": joined.text},
                    line=line,
                    column=header.titles[leave_field],
                )
        rows.append(
            ParticipantRow(
                line=line,
                name=name[:255],
                email=email,
                original_name=original[:255],
                joined_at=joined_at,
                left_at=left_at,
                duration_seconds=duration,
                role=cell(cells, ROLE)[:64],
                guest=_yes_no(cell(cells, GUEST)) if GUEST in header.columns else None,
                waiting_room=_yes_no(cell(cells, WAITING)) is True,
            )
        )
    return ParsedReport(file_format=file_format, rows=tuple(rows), time_zone=zone_name)


_JOINED = {"joined", "joined before", "beigetreten", "a rejoint", "se unio", "unido"}
_LEFT = {"left", "verlassen", "a quitte", "salio", "abandonado"}


def _event_rows(
    raw_rows: list[tuple[int, list[str]]],
    header: _Header,
    *,
    zone: zoneinfo.ZoneInfo,
    block_date: dt.date,
) -> tuple[ParticipantRow, ...]:
    """Teams' event list ("Full Name", "User Action", "Timestamp") as one row per stay: a
    join up to the person's next leave; a join never left lasts to the list's last event,
    a leave without a join starts at its first ("Joined before" the list began)."""
    events: list[tuple[int, str, str, Moment]] = []
    name_at, action_at, time_at = (
        header.columns[NAME if NAME in header.columns else ZOOM_NAME],
        header.columns[ACTION],
        header.columns[TIMESTAMP],
    )
    for line, cells in raw_rows:
        if len(cells) <= max(name_at, action_at, time_at):
            raise ReportError(
                _("expected %(n)d columns as in the header (line %(h)d), found %(found)d.")
                % {"n": len(header.raw), "h": header.line, "found": len(cells)},
                line=line,
            )
        action = normalise_header(cells[action_at])
        if action not in _JOINED | _LEFT:
            raise ReportError(
                _("“%(value)s” is neither Joined nor Left.") % {"value": cells[action_at]},
                line=line,
                column=header.titles[ACTION],
            )
        try:
            moment = scan_moment(cells[time_at])
        except ValueProblem as problem:
            raise ReportError(str(problem), line=line, column=header.titles[TIMESTAMP]) from None
        name = cells[name_at].strip()
        if not name:
            raise ReportError(_("the row has neither a name nor an email."), line=line)
        events.append((line, name, action, moment))
    try:
        order = choose_date_order([e[3] for e in events], near=block_date).get(None, "mdy")
        timed = [
            (line, name, action, moment_instant(m, order, zone)) for line, name, action, m in events
        ]
    except (DateOrderUnclear, ValueProblem) as problem:
        raise ReportError(str(problem)) from None
    first, last = min(t for *_x, t in timed), max(t for *_x, t in timed)
    open_since: dict[str, tuple[int, dt.datetime]] = {}
    rows: list[ParticipantRow] = []
    for line, name, action, at in sorted(timed, key=lambda e: (e[3], e[0])):
        if action in _JOINED:
            open_since.setdefault(name, (line, at))
            continue
        start_line, start = open_since.pop(name, (line, first))
        rows.append(ParticipantRow(line=start_line, name=name, joined_at=start, left_at=at))
    for name, (line, start) in open_since.items():
        rows.append(ParticipantRow(line=line, name=name, joined_at=start, left_at=last))
    return tuple(sorted(rows, key=lambda r: r.line))


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
