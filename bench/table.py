"""A plain-text table printer: first column left-aligned, the others right-aligned."""

from __future__ import annotations

from typing import Any, Sequence


def render(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
           notes: Sequence[str] = ()) -> str:
    cells = [[str(c) for c in columns]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]

    def line(row: list[str]) -> str:
        return "  ".join(text.ljust(width) if i == 0 else text.rjust(width)
                         for i, (text, width) in enumerate(zip(row, widths))).rstrip()

    rule = "  ".join("-" * width for width in widths)
    out = [title, "", line(cells[0]), rule] + [line(row) for row in cells[1:]]
    out += [f"  {note}" for note in notes]
    return "\n".join(out) + "\n"


def show(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
         notes: Sequence[str] = ()) -> None:
    print(render(title, columns, rows, notes), flush=True)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)
