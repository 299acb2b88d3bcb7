"""A spreadsheet cell's value as the sheet shows it, from its number format.

Covers what budgets, lists and logs use: thousands separators, a fixed number of decimals,
percentages, scientific notation, leading zeros, literal text and currency symbols around
the number (``#,##0 "euros"``, ``[$€-407] #,##0.00``), a section for negative numbers
(``#,##0;(#,##0)``) and for zero, and thousands scaling (``#,##0,``). Dates are shown as ISO
dates (``2025-03-31``, with ``14:30`` when they have a time), whatever their format says,
so they read the same in every locale. Anything else falls back to Excel's General format.
"""

from __future__ import annotations

import datetime as dt
import re

_TOKEN = re.compile(
    r'"(?P<quoted>[^"]*)"?|\\(?P<escaped>.)|_(?P<space>.)|\*(?P<fill>.)|\[(?P<bracket>[^\]]*)\]'
    r"|(?P<general>general)|(?P<placeholder>[0#?.,%]|E[+-])|(?P<other>.)",
    re.IGNORECASE | re.DOTALL,
)
#: Characters Excel shows as themselves in a number format without quotes.
_LITERAL = set("$-+/():!^&'~{}<>= €£¥")


def general(value: float) -> str:
    """A number as Excel's General format shows it: whole numbers without decimals, others
    with at most 10 significant digits.

    Example:
        >>> general(3.0), general(0.1 + 0.2), general(1234567.891)
        ('3', '0.3', '1234567.891')
    """
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}"


def _sections(number_format: str) -> list[str]:
    sections: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in number_format:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            sections.append("".join(current))
            current = []
        else:
            current.append(ch)
    sections.append("".join(current))
    return sections


def _number(value: float, pattern: str) -> str:
    """``value`` by the placeholder run ``pattern`` (``#,##0.00``, ``0.0%``, ``0.00E+00``)."""
    percent = "%" * pattern.count("%")
    value *= 100 ** len(percent)
    stripped = pattern.replace("%", "")
    scale = len(stripped) - len(stripped.rstrip(","))  # "#,##0," shows thousands
    value /= 1000**scale
    stripped = stripped.rstrip(",")
    mantissa, exponent, _ = (*re.split(r"(E[+-])", stripped, maxsplit=1, flags=re.I), "", "")[:3]
    integer, _, decimals = mantissa.partition(".")
    places = sum(ch in "0#?" for ch in decimals)
    if exponent:
        return f"{value:.{places}E}{percent}"
    text = f"{value:,.{places}f}" if "," in integer else f"{value:.{places}f}"
    width = integer.count("0")
    if width > 1 and "," not in integer:
        sign = "-" if text.startswith("-") else ""
        text = sign + text.lstrip("-").zfill(width + (places + 1 if places else 0))
    return text + percent


def _render(value: float, section: str) -> str:
    """``value`` by one section of a number format: its literals around its number."""
    before: list[str] = []
    after: list[str] = []
    pattern: list[str] = []
    number: str | None = None
    for match in _TOKEN.finditer(section):
        kind = match.lastgroup
        text = match.group(kind or 0)
        if kind == "general":
            number = general(value)
            continue
        if kind == "placeholder":
            pattern.append(text)
            continue
        if kind == "quoted" or kind == "escaped":
            literal = text
        elif kind == "space":
            literal = " "
        elif kind == "bracket":  # [$€-407] is a currency; [Red], [>100], [$-409] show nothing
            literal = text[1:].split("-")[0] if text.startswith("$") else ""
        elif kind == "other" and text in _LITERAL:
            literal = text
        else:
            literal = ""
        (after if pattern or number is not None else before).append(literal)
    if pattern:
        number = _number(value, "".join(pattern))
    elif number is None and any(before):  # a section of text alone, such as "nil" for zero
        return "".join(before).strip()
    return (
        "".join(before) + (number if number is not None else general(value)) + "".join(after)
    ).strip()


def format_value(value: object, number_format: str | None = "General") -> str:
    """The text a cell shows: ``value`` (as openpyxl reads it) by its ``number_format``.

    Example:
        >>> format_value(48500, '#,##0 "euros"'), format_value(0.125, "0.0%")
        ('48,500 euros', '12.5%')
        >>> format_value(-1234.5, "#,##0.00;(#,##0.00)"), format_value(1234.5, "[$€-407] #,##0.00")
        ('(1,234.50)', '€ 1,234.50')
        >>> format_value(dt.datetime(2025, 3, 31)), format_value(True)
        ('2025-03-31', 'TRUE')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if not isinstance(value, int | float):
        return " ".join(str(value).split())
    fmt = (number_format or "General").strip()
    if fmt == "@":
        return general(value)
    sections = _sections(fmt)
    if value < 0 and len(sections) > 1 and sections[1]:
        return _render(-value, sections[1])
    if value == 0 and len(sections) > 2 and sections[2]:
        return _render(value, sections[2])
    try:
        return _render(value, sections[0])
    except (ValueError, OverflowError):  # a format this reading does not cover
        return general(value)
