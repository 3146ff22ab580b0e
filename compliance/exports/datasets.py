"""What can be exported: each dataset is one SQL query yielding rows of plain values with
named columns, filtered by `ExportFilters`.

PostgreSQL formats the values: instants as ISO 8601 text in UTC (`...Z`) and in the session's
zone with its offset, next to the zone's IANA name; and it makes every free-text cell
spreadsheet-safe (`safe()`), so the writers' inner loop does no per-cell work in Python.
Numbers (ids, minutes) stay numbers: a number cannot be read as a formula, so it is never
prefixed, negative or not; text that merely looks like a negative number ("-5" typed in a note)
is text and is prefixed like any text starting with "-".

The compliance matrix and certifications come from compliance/matrix.py's row selectors:
`python_dataset()` turns a function returning rows into a dataset (rows neutralised in Python by
`neutralise`), `register()` adds it to `DATASETS` (`COMPLIANCE_MATRIX`, `CERTIFICATIONS`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from attendance.models import ATTENDED, RegistrationStatus
from compliance.exports.filters import ExportFilters
from scheduling.models import AssignmentRole, BlockStatus

# A cell starting with one of these is read as a formula (or mangled) by spreadsheets.
DANGEROUS_LEADS = ("=", "+", "-", "@", "\t", "\r")
# The same characters, as PostgreSQL's list (COPY writes the CSV: compliance/exports/copy.py).
_SQL_LEADS = "(" + ", ".join(f"chr({ord(lead)})" for lead in DANGEROUS_LEADS) + ")"
# Status literals come from the Python enums (one definition of "was there").
_ATTENDED = ", ".join(f"'{status.value}'" for status in ATTENDED)


def safe(expression: str) -> str:
    """SQL: the text `expression`, prefixed with ' if it starts with a dangerous character."""
    return (
        f"(CASE WHEN left({expression}, 1) IN {_SQL_LEADS} "
        f"THEN '''' || {expression} ELSE {expression} END)"
    )


def neutralise(value: Any) -> Any:
    """The same rule as `safe()`, for rows built in Python (the hooks' datasets)."""
    if isinstance(value, str) and value.startswith(DANGEROUS_LEADS):
        return "'" + value
    return value


def utc(expression: str) -> str:
    """SQL: an instant as ISO 8601 text in UTC, e.g. 2030-03-04T08:00:00Z."""
    return f"to_char({expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"


def local(expression: str, zone: str) -> str:
    """SQL: an instant as ISO 8601 wall-clock time in `zone` with its offset, e.g.
    2030-03-04T09:00:00+01:00 (the zone's name is a column of its own)."""
    offset = f"(({expression} AT TIME ZONE {zone}) - ({expression} AT TIME ZONE 'UTC'))"
    return (
        f"(to_char({expression} AT TIME ZONE {zone}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN {offset} < interval '0' THEN '-' ELSE '+' END"
        f" || to_char(CASE WHEN {offset} < interval '0' THEN -{offset} ELSE {offset} END,"
        f" 'HH24:MI'))"
    )


def person(alias: str) -> str:
    """SQL: a user's full name, or their username."""
    return (
        f"coalesce(nullif(trim({alias}.first_name || ' ' || {alias}.last_name), ''),"
        f" {alias}.username)"
    )


@dataclass(frozen=True)
class Query:
    sql: str
    params: tuple[Any, ...]


@dataclass(frozen=True)
class Dataset:
    """`build(filters)` gives the query (the rows, in order); `columns` name its values.
    `formats` are the files it can be written as. A Python dataset (the hooks) gives `rows`
    instead of `build`."""

    name: str
    title: str
    description: str
    columns: Sequence[str]
    formats: Sequence[str]
    build: Callable[[ExportFilters], Query] | None = None
    rows: Callable[[ExportFilters], Iterable[Sequence[Any]]] | None = None
    # Filters the form offers (the others are not meaningful for this dataset).
    filters: Sequence[str] = field(
        default=("date_from", "date_to", "course", "site", "instructor", "learner")
    )
    # Filters that must be given (the sign-in sheet: one session).
    required: Sequence[str] = ()


# Instructors of each session, lead first, in one row per session.
_INSTRUCTORS = f"""
    SELECT ia.session_id,
           string_agg({person("iu")}, '; '
                      ORDER BY ia.role = '{AssignmentRole.LEAD.value}' DESC, ia.id) AS names
      FROM scheduling_instructorassignment ia
      JOIN instructors_instructor i ON i.id = ia.instructor_id
      JOIN auth_user iu ON iu.id = i.user_id
     GROUP BY ia.session_id
"""


def _where(filters: ExportFilters, *, instant: str, site: str) -> tuple[list[str], list[Any]]:
    """Conditions shared by the datasets: `instant` is the column the date range applies to,
    `site` the expression of the site a row belongs to."""
    where: list[str] = []
    params: list[Any] = []
    if filters.date_from is not None:
        where.append(f"{instant} >= (%s::date)::timestamp AT TIME ZONE 'UTC'")
        params.append(filters.date_from)
    if filters.date_to is not None:
        where.append(f"{instant} < ((%s::date) + 1)::timestamp AT TIME ZONE 'UTC'")
        params.append(filters.date_to)
    if filters.course is not None:
        where.append("s.course_id = %s")
        params.append(filters.course)
    if filters.site is not None:
        where.append(f"{site} = %s")
        params.append(filters.site)
    if filters.instructor is not None:
        where.append(
            "EXISTS (SELECT 1 FROM scheduling_instructorassignment fa"
            " WHERE fa.session_id = s.id AND fa.instructor_id = %s)"
        )
        params.append(filters.instructor)
    if filters.learner is not None:
        where.append("r.learner_id = %s")
        params.append(filters.learner)
    if filters.session is not None:
        where.append("s.id = %s")
        params.append(filters.session)
    return where, params


ATTENDANCE_COLUMNS = (
    "record_id",
    "session_id",
    "course_code",
    "course_title",
    "delivery_mode",
    "instructors",
    "site",
    "room",
    "virtual_room",
    "host_account",
    "learner_username",
    "learner_name",
    "learner_email",
    "block_id",
    "block_start_utc",
    "block_end_utc",
    "block_start_local",
    "block_end_local",
    "time_zone",
    "status",
    "minutes_attended",
    "source",
    "notes",
    "late_edit",
    "late_edit_reason",
    "recorded_at_utc",
)


def attendance_query(filters: ExportFilters) -> Query:
    where, params = _where(filters, instant="b.starts_at", site="room.site_id")
    sql = f"""
    WITH teaching AS ({_INSTRUCTORS})
    SELECT ar.id, s.id, {safe("c.code")}, {safe("c.title")}, s.delivery_mode,
           {safe("coalesce(t.names, '')")},
           {safe("coalesce(site.name, '')")}, {safe("coalesce(room.name, '')")},
           {safe("s.join_url")}, {safe("coalesce(ha.name, '')")},
           {safe("u.username")}, {safe(person("u"))}, {safe("u.email")},
           b.id, {utc("b.starts_at")}, {utc("b.ends_at")},
           {local("b.starts_at", "s.time_zone")}, {local("b.ends_at", "s.time_zone")},
           s.time_zone, ar.status, ar.minutes_attended, ar.source, {safe("ar.notes")},
           CASE WHEN ar.late_edit THEN 'yes' ELSE 'no' END, {safe("ar.late_edit_reason")},
           {utc("ar.recorded_at")}
      FROM attendance_attendancerecord ar
      JOIN attendance_registration r ON r.id = ar.registration_id
      JOIN scheduling_sessionblock b ON b.id = ar.block_id
      JOIN scheduling_session s ON s.id = b.session_id
      JOIN scheduling_course c ON c.id = s.course_id
      JOIN auth_user u ON u.id = r.learner_id
      LEFT JOIN teaching t ON t.session_id = s.id
      LEFT JOIN venues_room room ON room.id = b.room_id
      LEFT JOIN venues_site site ON site.id = room.site_id
      LEFT JOIN venues_hostaccount ha ON ha.id = s.host_account_id
     {"WHERE " + " AND ".join(where) if where else ""}
     ORDER BY b.starts_at, b.id, ar.id
    """
    return Query(sql, tuple(params))


TRANSCRIPT_COLUMNS = (
    "learner_username",
    "learner_name",
    "learner_email",
    "registration_id",
    "session_id",
    "course_code",
    "course_title",
    "delivery_mode",
    "instructors",
    "site",
    "session_start_utc",
    "session_end_utc",
    "session_start_local",
    "session_end_local",
    "time_zone",
    "enrolment_status",
    "blocks",
    "blocks_attended",
    "minutes_attended",
    "completion",
    "completion_recorded_at_utc",
)


def transcript_query(filters: ExportFilters) -> Query:
    # A session's site: the site of its first block's room (VILT sessions have none).
    site_of = (
        "(SELECT sr.site_id FROM scheduling_sessionblock sb"
        " JOIN venues_room sr ON sr.id = sb.room_id"
        " WHERE sb.session_id = s.id ORDER BY sb.starts_at, sb.id LIMIT 1)"
    )
    where, params = _where(filters, instant="s.starts_at", site=site_of)
    sql = f"""
    WITH teaching AS ({_INSTRUCTORS})
    SELECT {safe("u.username")}, {safe(person("u"))}, {safe("u.email")},
           r.id, s.id, {safe("c.code")}, {safe("c.title")}, s.delivery_mode,
           {safe("coalesce(t.names, '')")},
           {safe(f"coalesce((SELECT name FROM venues_site WHERE id = {site_of}), '')")},
           {utc("s.starts_at")}, {utc("s.ends_at")},
           {local("s.starts_at", "s.time_zone")}, {local("s.ends_at", "s.time_zone")},
           s.time_zone, r.status,
           (SELECT count(*) FROM scheduling_sessionblock cb
             WHERE cb.session_id = s.id AND cb.status = '{BlockStatus.ACTIVE.value}'),
           (SELECT count(*) FROM attendance_attendancerecord ar
             WHERE ar.registration_id = r.id
               AND ar.status IN ({_ATTENDED})),
           (SELECT sum(ar.minutes_attended) FROM attendance_attendancerecord ar
             WHERE ar.registration_id = r.id),
           coalesce(cp.status, ''),
           CASE WHEN cp.id IS NULL THEN '' ELSE {utc("cp.recorded_at")} END
      FROM attendance_registration r
      JOIN auth_user u ON u.id = r.learner_id
      JOIN scheduling_session s ON s.id = r.session_id
      JOIN scheduling_course c ON c.id = s.course_id
      LEFT JOIN teaching t ON t.session_id = s.id
      LEFT JOIN attendance_completion cp ON cp.registration_id = r.id
     {"WHERE " + " AND ".join(where) if where else ""}
     ORDER BY u.last_name, u.first_name, u.username, u.id, s.starts_at NULLS LAST, r.id
    """
    return Query(sql, tuple(params))


SIGN_IN_COLUMNS = ("learner_name", "learner_email", "learner_username")


def sign_in_query(filters: ExportFilters) -> Query:
    """The confirmed learners of one session (the sheet's rows); the PDF writer adds the
    session's blocks and the signature columns."""
    sql = f"""
    SELECT {person("u")}, u.email, u.username
      FROM attendance_registration r
      JOIN auth_user u ON u.id = r.learner_id
     WHERE r.session_id = %s AND r.status = '{RegistrationStatus.CONFIRMED.value}'
     ORDER BY u.last_name, u.first_name, u.username, u.id
    """
    return Query(sql, (filters.session,))


ATTENDANCE = Dataset(
    name="attendance",
    title="Attendance records",
    description="One row per block and learner: session, course, instructors, site and room "
    "or virtual room, block times in UTC and in the session's zone, status, minutes, late "
    "edits.",
    columns=ATTENDANCE_COLUMNS,
    formats=("csv", "xlsx"),
    build=attendance_query,
)
TRANSCRIPT = Dataset(
    name="transcript",
    title="Training transcripts",
    description="One row per learner and registration: enrolment, blocks attended, minutes "
    "and completion.",
    columns=TRANSCRIPT_COLUMNS,
    formats=("csv", "xlsx"),
    build=transcript_query,
)
SIGN_IN_SHEET = Dataset(
    name="sign_in_sheet",
    title="Session sign-in sheet",
    description="A printable sheet for one session: its confirmed learners with a signature "
    "column per block, block times in the session's zone.",
    columns=SIGN_IN_COLUMNS,
    formats=("pdf",),
    build=sign_in_query,
    filters=("session",),
    required=("session",),
)

DATASETS: dict[str, Dataset] = {d.name: d for d in (ATTENDANCE, TRANSCRIPT, SIGN_IN_SHEET)}


def register(dataset: Dataset) -> None:
    """Add a dataset (the hooks below)."""
    DATASETS[dataset.name] = dataset


def python_dataset(
    *,
    name: str,
    title: str,
    description: str,
    columns: Sequence[str],
    rows: Callable[[ExportFilters], Iterable[Sequence[Any]]],
) -> Dataset:
    """A dataset whose rows come from Python (e.g. compliance/matrix.py): written as CSV and
    XLSX, each text cell passed through `neutralise`."""
    return Dataset(
        name=name,
        title=title,
        description=description,
        columns=columns,
        formats=("csv", "xlsx"),
        rows=rows,
    )


# The compliance matrix and certifications (compliance/matrix.py): Python datasets over its
# stable row selectors. Instants become ISO 8601 text in UTC; each row names the session's zone.
COMPLIANCE_MATRIX = "compliance_matrix"
CERTIFICATIONS = "certifications"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def _utc_midnight(day: dt.date | None, *, after: bool = False) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=1 if after else 0), dt.time(), dt.UTC)


def _matrix_rows(filters: ExportFilters) -> Iterator[list[Any]]:
    from compliance.matrix import matrix_rows

    for row in matrix_rows(learner_id=filters.learner):
        yield [_plain(value) for value in row.as_dict().values()]


def _certificate_rows(filters: ExportFilters) -> Iterator[list[Any]]:
    from compliance.matrix import certificate_rows

    for row in certificate_rows(
        learner_id=filters.learner,
        issued_from=_utc_midnight(filters.date_from),
        issued_to=_utc_midnight(filters.date_to, after=True),
    ):
        yield [_plain(value) for value in row.as_dict().values()]


def _register_compliance_datasets() -> None:
    from compliance.matrix import CertificateRow, MatrixRow

    register(
        dataclasses.replace(
            python_dataset(
                name=COMPLIANCE_MATRIX,
                title="Compliance matrix",
                description="Per learner, requirement and certification: compliant, expiring "
                "soon, overdue or never done, with the evidence (certificate, session).",
                columns=[f.name for f in dataclasses.fields(MatrixRow)],
                rows=_matrix_rows,
            ),
            filters=("learner",),
        )
    )
    register(
        dataclasses.replace(
            python_dataset(
                name=CERTIFICATIONS,
                title="Certifications",
                description="Every issued certificate (current, superseded, revoked), with its "
                "learner, dates (UTC), status and the session whose completion earned it.",
                columns=[f.name for f in dataclasses.fields(CertificateRow)],
                rows=_certificate_rows,
            ),
            filters=("date_from", "date_to", "learner"),
        )
    )


def dataset_get(name: str) -> Dataset | None:
    return DATASETS.get(name)


_register_compliance_datasets()
