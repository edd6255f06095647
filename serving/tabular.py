"""Tables as downloads: the same rows as JSON, CSV (UTF-8 with a BOM, so that spreadsheet
programs used in service centres read the Chinese right) or XLSX (openpyxl)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from fastapi.responses import Response
from openpyxl import Workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TableFormat(StrEnum):
    """How a table is downloaded."""

    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, StrEnum):
        return value.value
    return value


def csv_bytes(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """A CSV file with a header row; booleans as 是/否, missing values empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: Mapping[str, tuple[Sequence[str], Iterable[Mapping[str, Any]]]]) -> bytes:
    """A workbook with one sheet per entry (name → (columns, rows)), header row first."""
    book = Workbook()
    book.remove(book.active)
    for name, (columns, rows) in sheets.items():
        sheet = book.create_sheet(title=name[:31])  # Excel's limit on sheet names
        sheet.append(list(columns))
        for row in rows:
            sheet.append([_cell(row.get(c)) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_bytes(
    table_format: TableFormat,
    columns: Sequence[str],
    sheets: Mapping[str, Sequence[Mapping[str, Any]]],
) -> bytes:
    """A table as a file: CSV of the first sheet's rows, or a workbook of every sheet (all
    with the same ``columns``)."""
    if table_format is TableFormat.CSV:
        return csv_bytes(columns, next(iter(sheets.values())))
    return xlsx_bytes({name: (columns, rows) for name, rows in sheets.items()})


def download(content: bytes, table_format: TableFormat, filename: str) -> Response:
    """A CSV or XLSX body offered as a file named ``filename`` (without its extension)."""
    media = "text/csv; charset=utf-8" if table_format is TableFormat.CSV else XLSX_TYPE
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}.{table_format.value}"'},
    )
