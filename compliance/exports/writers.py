"""Writers: rows in, byte chunks out. Each takes the column names and an iterator of row
batches (lists of tuples) and yields bytes; none holds more than a batch in memory (XLSX
spools its zip to a temporary file, PDF renders one sheet).

CSV: UTF-8 with a byte-order mark (so spreadsheets read it as UTF-8), CRLF line ends, fields
quoted where needed. Cells are already spreadsheet-safe (datasets.safe / neutralise)."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

BOM = "\ufeff"
CHUNK = 1 << 20


def csv_chunks(columns: Sequence[str], batches: Iterable[Sequence[Sequence[Any]]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(columns)
    for batch in batches:
        writer.writerows(batch)
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_chunks(
    columns: Sequence[str], batches: Iterable[Sequence[Sequence[Any]]], *, title: str
) -> Iterator[bytes]:
    """openpyxl's write-only workbook: rows go to its temporary sheet file as they come; the
    zip is written to a spooled temporary file at the end and streamed from there."""
    from openpyxl import Workbook

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
    from weasyprint import HTML

    result: bytes = HTML(string=html, base_url=base_url).write_pdf()
    return result
