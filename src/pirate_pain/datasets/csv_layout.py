"""What is wrong with a file that is not the comma-separated UTF-8 text we read.

Each check ends in one sentence naming the file and the way to save it right: a
compressed or UTF-16 file, another encoding, Excel's ``sep=`` line, another
separator, and rows with more fields than the header (an unquoted decimal comma),
which pandas would otherwise cut silently.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ..errors import UserInputError

SAVE_AS = "save it as comma-separated UTF-8 text (Excel: 'CSV UTF-8')"
_MAGIC = {
    b"\x1f\x8b": "gzip-compressed: decompress it (gunzip) and point the catalog at the .csv",
    b"PK\x03\x04": f"a ZIP archive or an Excel workbook: unpack it or {SAVE_AS}",
    b"BZh": "bzip2-compressed: decompress it (bunzip2) and point the catalog at the .csv",
    b"\xfd7zXZ": "xz-compressed: decompress it (unxz) and point the catalog at the .csv",
}
_UTF16 = (b"\xff\xfe", b"\xfe\xff")
_OTHER_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}
_NUMBER = re.compile(r"-?\d+$")


def check_text_layout(path: Path) -> str:
    """Refuse compressed, UTF-16 or non-UTF-8 files, Excel's ``sep=`` first line and
    a header separated by something other than commas; returns the text (the one
    read of the file: the caller parses it)."""
    raw = path.read_bytes()
    for magic, what in _MAGIC.items():
        if raw.startswith(magic):
            raise UserInputError(f"File {path} is {what}.")
    if raw.startswith(_UTF16) or b"\x00" in raw[:4096]:
        raise UserInputError(f"File {path} is encoded as UTF-16: {SAVE_AS}.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserInputError(
            f"File {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
            f"position {exc.start}, perhaps Latin-1 or Windows-1252): {SAVE_AS}."
        ) from None
    first = text.split("\n", 1)[0].strip()
    if first.lower().startswith("sep="):
        raise UserInputError(
            f"File {path} starts with Excel's '{first}' line: delete that first line "
            "so that the header row comes first."
        )
    if "," not in first:
        for separator, name in _OTHER_SEPARATORS.items():
            if separator in first:
                raise UserInputError(
                    f"File {path} is separated by {name}, not commas: {SAVE_AS}, or "
                    "replace the separators with commas."
                )
    return text


def check_field_counts(path: Path, text: str) -> None:
    """Every row has at most the header's fields (one empty field more is a
    delimiter at the end of the row)."""
    lines = text.splitlines()
    if '"' not in text:  # no quoting: a field per comma, fast
        width = lines[0].count(",") + 1 if lines else 0
        wide = [
            n
            for n, line in enumerate(lines[1:], start=2)
            if line.count(",") + 1 > width
            and not (line.count(",") == width and line.endswith(","))
        ]
        rows = [(wide[0], lines[wide[0] - 1].split(","))] if wide else []
    else:
        parsed = list(csv.reader(lines))
        width = len(parsed[0]) if parsed else 0
        rows = [
            (n, row)
            for n, row in enumerate(parsed[1:], start=2)
            if len(row) > width and not (len(row) == width + 1 and row[-1] == "")
        ][:1]
    for number, row in rows:
        comma = any(_NUMBER.match(a) and b.isdigit() for a, b in zip(row, row[1:]))
        hint = (
            ": it looks like a decimal comma; write decimals with a point (0.5) "
            "or quote the values"
            if comma
            else ": quote values that contain commas"
        )
        raise UserInputError(
            f"File {path} row {number} has {len(row)} fields but the header has "
            f"{width}{hint}."
        )
