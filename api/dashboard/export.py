"""A section's numbers as CSV or an Excel workbook, safe to open in a spreadsheet program.

Texts in the tables can come from citizens (an unanswered question) or admins (a team's name). A
text that starts with ``= + - @``, a tab or a carriage return would run as a formula in a
spreadsheet: in CSV it gets a leading apostrophe; in the workbook every text cell is written as a
string cell (never a formula) and so are such texts, apostrophe-free.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Final

from openpyxl import Workbook

from api.dashboard.sections import Cell, Filters, Table

__all__ = ["FORMULA_START", "safe_text", "table_csv", "tables_xlsx"]

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Cell) -> Cell:
    """``value`` for CSV: a formula-like text gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def table_csv(table: Table) -> str:
    """The table as CSV with the Vietnamese headers (UTF-8 with a BOM, so spreadsheets read the marks)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow(["" if v is None else safe_text(v) for v in row])
    return "\ufeff" + out.getvalue()


_SHEET_BAD: Final = str.maketrans({c: " " for c in "[]:*?/\\"})


def _sheet_title(title: str, used: set[str]) -> str:
    base = title.translate(_SHEET_BAD).strip()[:28] or "Bang"
    name, n = base, 2
    while name.lower() in used:
        name, n = f"{base[:26]} {n}", n + 1
    used.add(name.lower())
    return name


def tables_xlsx(tables: Sequence[tuple[str, Table]], filters: Filters) -> bytes:
    """A workbook: the filters on the first sheet, then one sheet per (title, table)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Bộ lọc"
    f = filters.as_dict()
    ws.append(["Từ ngày", f["from"] or "(tất cả)"])
    ws.append(["Đến ngày", f["to"] or "(tất cả)"])
    ws.append(["Kênh", f["channel"] or "(tất cả)"])
    ws.append(["Xã/phường (mã đơn vị)", f["commune"] if f["commune"] is not None else "(tất cả)"])
    used = {ws.title.lower()}
    for title, table in tables:
        sheet = wb.create_sheet(_sheet_title(title, used))
        sheet.append([c.label for c in table.columns])
        for row in table.rows:
            sheet.append([None if isinstance(v, str) else v for v in row])
            for col, v in enumerate(row, start=1):
                if isinstance(v, str):
                    cell = sheet.cell(row=sheet.max_row, column=col)
                    cell.value = v
                    cell.data_type = "s"  # a string, even when it looks like a formula
        if table.note:
            sheet.append([])
            sheet.append([table.note])
            sheet.cell(row=sheet.max_row, column=1).data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
