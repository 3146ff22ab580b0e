"""Exports for auditors: datasets (a query with named columns and filters), writers (CSV,
XLSX, PDF), the manifest, and the record of every export (compliance.models.ExportRecord).

- `filters.py`: the filters every dataset takes (date range, course, site, instructor,
  learner, session) and the form that validates them;
- `datasets.py`: the datasets, each one SQL query yielding plain values (text already
  formatted and spreadsheet-safe by PostgreSQL), plus the hooks for the compliance matrix and
  certifications;
- `writers.py`: CSV (UTF-8 with BOM, spreadsheet-safe), XLSX (openpyxl write-only) and PDF
  (WeasyPrint) writers, each a generator of byte chunks;
- `manifest.py`: the manifest and the audit-log head;
- `services.py`: request an export (streamed or queued for the worker), stream it, run it in the
  worker, sweep expired files.
"""
