"""Exports: request one, stream it, run it in the worker, sweep expired files.

Every export is an `ExportRecord` (who, when, dataset, format, filters; then row count,
SHA-256 and the audit-log head), so the export itself is audited (the audit log captures the
table by trigger) and its manifest can be fetched after the file is gone from memory:

- up to EXPORT_STREAM_MAX_ROWS rows (counted when requested) the file streams to the browser:
  the download claims the record once (pending → running, a conditional update), the rows come
  from a server-side cursor in batches, the SHA-256 is computed while streaming, and the last
  step of the stream writes the row count and hash on the record (ready);
- above it, the worker writes the file under EXPORT_DIR (progress on the record, read by the
  job page), keeps it EXPORT_RETENTION_HOURS, and the beat sweep deletes it after that.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils.translation import gettext as _

from compliance.exports import writers
from compliance.exports.datasets import DATASETS, Dataset, Query, neutralise
from compliance.exports.filters import ExportFilters
from compliance.exports.manifest import current_audit_head, seal_audit_log_now
from compliance.models import ExportDownload, ExportMode, ExportRecord, ExportStatus
from tms.celery import enqueue_on_commit
from tms.exceptions import DomainError, RuleViolation
from tms.permissions import Scope

logger = logging.getLogger(__name__)

BATCH_ROWS = 5_000
RUN_EXPORT_TASK = "compliance.tasks.run_export"


class ExportNotAvailable(DomainError):
    """The export was already streamed, is not finished, or its file has expired."""

    status_code = 409  # type: ignore[assignment]
    code = "export_not_available"


# --- Requesting -------------------------------------------------------------------------------


def export_request(
    *,
    user: User,
    scope: Scope,
    dataset: str,
    file_format: str,
    filters: ExportFilters,
    now: dt.datetime,
) -> ExportRecord:
    """Record an export request, streamed or for the worker by its row count.

    Rule: a user whose scope is "own" (a learner) exports only their own transcript: the
    learner filter is set to them, whatever was asked. The dataset must offer the format and
    its required filters must be given. A worker export is queued after commit."""
    chosen = DATASETS.get(dataset)
    if chosen is None:
        raise RuleViolation(_("No such export."), fields={"dataset": [_("Unknown dataset.")]})
    if file_format not in chosen.formats:
        raise RuleViolation(
            _("This export is not available as %(format)s.") % {"format": file_format},
            fields={"format": [_("Choose one of: %s.") % ", ".join(chosen.formats)]},
        )
    if scope != Scope.ALL:
        if chosen.name != "transcript":
            raise RuleViolation(
                _("You may export only your own training transcript."),
                fields={"dataset": [_("Only your own transcript.")]},
            )
        filters = dataclasses.replace(filters, learner=user.pk)
    missing = [name for name in chosen.required if getattr(filters, name) is None]
    if missing:
        raise RuleViolation(
            _("Choose a %(field)s for this export.") % {"field": missing[0]},
            fields={name: [_("This field is required.")] for name in missing},
        )
    expected = _count(chosen, filters)
    large = expected > settings.EXPORT_STREAM_MAX_ROWS and file_format != "pdf"
    with transaction.atomic():
        record = ExportRecord.objects.create(
            dataset=chosen.name,
            file_format=file_format,
            filters=filters.as_json(),
            requested_by=user,
            mode=ExportMode.WORKER if large else ExportMode.STREAM,
            expected_rows=expected,
        )
        if large:
            enqueue_on_commit(RUN_EXPORT_TASK, record.pk)
    return record


def _count(dataset: Dataset, filters: ExportFilters) -> int:
    if dataset.build is None:
        return sum(1 for _row in dataset.rows(filters)) if dataset.rows else 0
    query = dataset.build(filters)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({query.sql}) AS rows", query.params)
        (count,) = cursor.fetchone()
    return int(count)


# --- Streaming --------------------------------------------------------------------------------


def export_claim_stream(*, record_id: int, now: dt.datetime) -> ExportRecord:
    """Claim a streamed export for its one download (pending → running). A second download
    of the same record is refused: one record, one file, one hash."""
    claimed = ExportRecord.objects.filter(
        pk=record_id, mode=ExportMode.STREAM, status=ExportStatus.PENDING
    ).update(status=ExportStatus.RUNNING, started_at=now, updated_at=now)
    record = ExportRecord.objects.select_related("requested_by").get(pk=record_id)
    if not claimed:
        raise ExportNotAvailable(
            _("This export was already downloaded: start a new one (its manifest stays).")
        )
    return record


def export_stream(record: ExportRecord, *, now: dt.datetime) -> Iterator[bytes]:
    """The file's bytes, for a claimed streamed export: rows from a server-side cursor in one
    snapshot, hashed while streaming; the record gets its row count and hash at the end (or
    "failed" if the client went away)."""
    hasher = hashlib.sha256()
    counter = _RowCounter()
    size = 0
    head = None
    try:
        # Seal first, briefly; the snapshot is read-only and must not hold the chain's lock
        # while a client downloads: inside it, the head is only read.
        seal_audit_log_now()
        with _snapshot():
            head = current_audit_head(seal=False)
            for chunk in _render(record, counter):
                hasher.update(chunk)
                size += len(chunk)
                yield chunk
    except BaseException as error:  # GeneratorExit too: the download did not finish
        _fail(record.pk, f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)
        raise
    _finish(record.pk, rows=counter.rows, sha256=hasher.hexdigest(), size=size, head=head, now=now)


class _RowCounter:
    def __init__(self) -> None:
        self.rows = 0

    def count(self, batches: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        for batch in batches:
            self.rows += len(batch)
            yield batch


class _snapshot:  # noqa: N801 - a context manager used like a function
    """One transaction (REPEATABLE READ when it is the outermost), so the audit-log head and
    every row come from the same snapshot and the server-side cursor may be used."""

    def __enter__(self) -> None:
        outermost = not connection.in_atomic_block
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        with connection.cursor() as cursor:
            if outermost:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            # The whole result is read: plan for all rows, as COPY does, not the first 10 %.
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")

    def __exit__(self, *exc: Any) -> None:
        self._atomic.__exit__(*exc)


def _batches(dataset: Dataset, filters: ExportFilters) -> Iterator[Sequence[Sequence[Any]]]:
    if dataset.build is not None:
        yield from _query_batches(dataset.build(filters))
        return
    batch: list[list[Any]] = []
    for row in dataset.rows(filters) if dataset.rows else ():
        batch.append([neutralise(value) for value in row])
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _query_batches(query: Query) -> Iterator[Sequence[Sequence[Any]]]:
    """Rows of `query` from a named (server-side) cursor, BATCH_ROWS at a time. In autocommit
    (the worker) the cursor is declared WITH HOLD, so the connection stays free for progress
    updates between fetches."""
    connection.ensure_connection()
    raw = connection.connection
    hold = bool(raw.autocommit)
    if hold:
        with connection.cursor() as plan:
            plan.execute("SET cursor_tuple_fraction = 1.0")
    with raw.cursor(name=f"export_{uuid.uuid4().hex}", withhold=hold) as cursor:
        cursor.itersize = BATCH_ROWS
        cursor.execute(query.sql, query.params)
        while batch := cursor.fetchmany(BATCH_ROWS):
            yield batch


def _render(record: ExportRecord, counter: _RowCounter, *, progress: Any = None) -> Iterator[bytes]:
    dataset = DATASETS[record.dataset]
    filters = ExportFilters.from_json(record.filters)
    if record.file_format == "pdf":
        from compliance.exports.sign_in import sign_in_sheet_pdf

        rows = [row for batch in counter.count(_batches(dataset, filters)) for row in batch]
        yield sign_in_sheet_pdf(session_id=filters.session, rows=rows)  # type: ignore[arg-type]
        return
    batches: Iterable[Sequence[Any]] = counter.count(_batches(dataset, filters))
    if progress is not None:
        batches = progress(batches)
    if record.file_format == "csv" and dataset.build is not None and progress is None:
        # PostgreSQL writes the CSV itself (COPY), streamed through a bounded queue.
        yield from writers.csv_copy_chunks(
            dataset.columns, dataset.build(filters), connection, counter=counter
        )
    elif record.file_format == "csv":
        yield from writers.csv_chunks(dataset.columns, batches)
    elif record.file_format == "xlsx":
        yield from writers.xlsx_chunks(dataset.columns, batches, title=dataset.title)
    else:  # pragma: no cover - export_request checked the format
        raise RuleViolation(_("Unknown format."))


def _finish(
    record_id: int,
    *,
    rows: int,
    sha256: str,
    size: int,
    head: tuple[int, str] | None,
    now: dt.datetime,
    **extra: Any,
) -> None:
    ExportRecord.objects.filter(pk=record_id).update(
        status=ExportStatus.READY,
        row_count=rows,
        rows_written=rows,
        sha256=sha256,
        byte_count=size,
        audit_head_seq=head[0] if head else None,
        audit_head_hash=head[1] if head else "",
        generated_at=now,
        updated_at=now,
        **extra,
    )


def _fail(record_id: int, error: str) -> None:
    try:
        ExportRecord.objects.filter(pk=record_id).update(
            status=ExportStatus.FAILED, error=error[:2000]
        )
    except Exception:  # the connection may be gone with the client; the record stays running
        logger.exception("Could not mark export %s as failed", record_id)


# --- The worker -------------------------------------------------------------------------------


def export_dir() -> Path:
    return Path(settings.EXPORT_DIR)


def export_run(*, record_id: int, now: dt.datetime) -> bool:
    """Write a worker export's file under EXPORT_DIR (claimed pending → running, so a second
    run of the task does nothing), with progress on the record every batch; ready with its
    hash and expiry, or failed with the reason (no partial file is left)."""
    claimed = ExportRecord.objects.filter(
        pk=record_id, mode=ExportMode.WORKER, status=ExportStatus.PENDING
    ).update(status=ExportStatus.RUNNING, started_at=now, updated_at=now)
    if not claimed:
        return False
    record = ExportRecord.objects.get(pk=record_id)
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{record.pk}-{uuid.uuid4().hex}.{record.file_format}"
    partial = final.with_suffix(final.suffix + ".part")
    hasher = hashlib.sha256()
    counter = _RowCounter()
    size = 0

    def progress(batches: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        for batch in batches:
            yield batch
            ExportRecord.objects.filter(pk=record_id).update(rows_written=counter.rows)

    try:
        head = current_audit_head()
        with partial.open("wb") as out:
            for chunk in _render(record, counter, progress=progress):
                hasher.update(chunk)
                size += len(chunk)
                out.write(chunk)
        partial.rename(final)
    except Exception as error:
        partial.unlink(missing_ok=True)
        _fail(record_id, f"{type(error).__name__}: {error}")
        raise
    _finish(
        record_id,
        rows=counter.rows,
        sha256=hasher.hexdigest(),
        size=size,
        head=head,
        now=now,
        file_path=final.name,
        expires_at=now + dt.timedelta(hours=settings.EXPORT_RETENTION_HOURS),
    )
    return True


def export_download_record(
    *, record: ExportRecord, by: Any, kind: str, now: dt.datetime
) -> ExportDownload:
    """Keep who downloaded an export's file or manifest, and when (audited like every row)."""
    return ExportDownload.objects.create(
        record=record, kind=kind, downloaded_by=by, downloaded_at=now
    )


def export_file(record: ExportRecord) -> Path:
    """The finished worker export's file, or ExportNotAvailable."""
    if record.mode != ExportMode.WORKER or record.status != ExportStatus.READY:
        raise ExportNotAvailable(_("This export's file is not available."))
    path = export_dir() / record.file_path
    if not record.file_path or not path.is_file():
        raise ExportNotAvailable(_("This export's file is no longer kept."))
    return path


# A streamed export still "running" this long after its download began lost its client
# without the stream noticing (a killed web worker): it never gets a hash.
STALE_STREAM = dt.timedelta(hours=1)


def exports_sweep(*, now: dt.datetime) -> int:
    """Delete the files of worker exports past their expiry (the records and their manifests
    stay, marked expired), and mark streams that never finished as failed. Safe to run
    twice. Returns the number of files expired."""
    ExportRecord.objects.filter(
        mode=ExportMode.STREAM, status=ExportStatus.RUNNING, started_at__lt=now - STALE_STREAM
    ).update(status=ExportStatus.FAILED, error="The download never finished.", updated_at=now)
    expired = 0
    due = ExportRecord.objects.filter(
        mode=ExportMode.WORKER, status=ExportStatus.READY, expires_at__lte=now
    ).values_list("pk", "file_path")
    for pk, name in due:
        if name:
            (export_dir() / name).unlink(missing_ok=True)
        expired += ExportRecord.objects.filter(pk=pk, status=ExportStatus.READY).update(
            status=ExportStatus.EXPIRED, file_path="", updated_at=now
        )
    return expired
