"""Writers: rows in, byte chunks out. Each takes the column names and an iterator of row
batches (lists of tuples) and yields bytes; none holds more than a batch in memory (XLSX
spools its zip to a temporary file, PDF renders one sheet).

CSV: UTF-8 with a byte-order mark (so spreadsheets read it as UTF-8), fields
quoted where needed (RFC 4180 with LF line ends, as COPY writes them). Cells are already
spreadsheet-safe (datasets.safe / neutralise)."""

from __future__ import annotations

import csv
import io
import queue
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

BOM = "\ufeff"
CHUNK = 1 << 20


def csv_chunks(
    columns: Sequence[str], batches: Iterable[Sequence[Sequence[Any]]]
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    buffer.write(BOM)
    writer.writerow(columns)
    for batch in batches:
        writer.writerows(batch)
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


class _Counter(Protocol):
    rows: int


class _QueueSink:
    """The file COPY writes to: gathers its rows into CHUNK-sized blocks for the queue, and
    stops the COPY (by raising) once the reader has gone."""

    def __init__(self, out: queue.Queue[Any], stop: threading.Event) -> None:
        self.out, self.stop = out, stop
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        if self.stop.is_set():
            raise OSError("the export's reader has gone")
        self.parts.append(data)
        self.size += len(data)
        if self.size >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.parts:
            self.out.put(b"".join(self.parts))
            self.parts, self.size = [], 0


_DONE = object()


def csv_copy_chunks(
    columns: Sequence[str], query: Any, connection: Any, *, counter: _Counter
) -> Iterator[bytes]:
    """CSV written by PostgreSQL (`COPY (query) TO STDOUT WITH CSV`), with our BOM and header
    line. COPY runs in a helper thread on this connection (the caller's transaction, so the
    same snapshot) and hands 1 MB blocks through a bounded queue: memory stays a few MB, and
    PostgreSQL formats rows while this thread hashes and sends the previous block. The caller
    must not use the connection until the generator is finished or closed. COPY's CSV is
    RFC 4180 with LF line ends; NULL is an empty field; cells were made safe by the query."""
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(columns)
    yield (BOM + header.getvalue()).encode()
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        statement = f"COPY ({cursor.mogrify(query.sql, query.params).decode()}) TO STDOUT WITH CSV"
    blocks: queue.Queue[Any] = queue.Queue(maxsize=8)
    stop = threading.Event()
    outcome: dict[str, Any] = {}

    def run() -> None:
        sink = _QueueSink(blocks, stop)
        try:
            with raw.cursor() as cursor:
                cursor.copy_expert(statement, sink)
                outcome["rows"] = cursor.rowcount
            sink.flush()
        except BaseException as error:  # handed to the reading thread
            outcome["error"] = error
        finally:
            blocks.put(_DONE)

    worker = threading.Thread(target=run, name="export-copy", daemon=True)
    worker.start()
    finished = False
    try:
        while (block := blocks.get()) is not _DONE:
            yield block
        finished = True
    finally:
        if not finished:  # the reader went away: stop COPY, let the thread end
            stop.set()
            raw.cancel()
            while blocks.get() is not _DONE:
                pass
        worker.join()
    if "error" in outcome:
        raise outcome["error"]
    counter.rows = int(outcome["rows"])


def xlsx_chunks(
    columns: Sequence[str], batches: Iterable[Sequence[Sequence[Any]]], *, title: str
) -> Iterator[bytes]:
    """openpyxl's write-only workbook: rows go to its temporary sheet file as they come; the
    zip is written to a spooled temporary file at the end and streamed from there."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(columns))
    for batch in batches:
        for row in batch:
            sheet.append(row)
    with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK) as spool:
        workbook.save(spool)
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk


def pdf_bytes(html: str, *, base_url: str | None = None) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]

    result: bytes = HTML(string=html, base_url=base_url).write_pdf()
    return result
