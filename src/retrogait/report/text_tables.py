"""Tables and lines of text for the terminal, written as rich writes them, without importing rich.

``retrogait analyze`` prints its summary as a few simple tables. rich draws them, but importing rich
costs about a tenth of a second, a fifth of the command's whole time on a short recording. For the
simple tables here (rich's ``box.SIMPLE`` / ``box.SIMPLE_HEAD``, no padding at the edges, cells that
fit) and the few styles they use (bold, italic, yellow), rich's output is easy to reproduce:
:func:`print_blocks` writes it itself, byte for byte what rich would write to the same output (a
file, a pipe or a terminal), and hands everything else to rich: a width rich would squeeze a table
into, text that rich would read as markup (``[...]``) or emoji codes (``:smile:``), characters other
than plain ASCII and a few known one-cell symbols, forced or disabled colours, a dumb terminal,
Jupyter, Windows, an encoding other than UTF-8. tests/test_analysis_cli.py checks the two against
each other on the bundled sessions and on many random tables, with and without styles.
"""

from __future__ import annotations

import builtins
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Union

#: Characters besides printable ASCII that may be written without rich: one terminal cell each
#: (tests check them against rich's cell widths).
NARROW_SYMBOLS = "±°µ·×–—"

#: The styles the tables use, as the escape codes rich writes for them on a terminal (any colour system).
SGR = {"bold": "1", "italic": "3", "yellow": "33"}

#: rich's emoji codes with no letter in their name (every other code has one).
_EMOJI_WITHOUT_LETTERS = frozenset({"100", "1234", "+1", "-1", "__1"})
_EMOJI_CODE = re.compile(r"(:(\S*?)(?:(?:\-)(emoji|text))?:)")  # rich._emoji_replace's pattern
_WORD = re.compile(r"\s*\S+\s*")  # rich._wrap's words: leading space (first word), word, trailing space
_SAFE = re.compile(f"[ -Z\\\\\\]-~{NARROW_SYMBOLS}]*")  # printable ASCII but '[', or a narrow symbol


@dataclass
class Column:
    """A table column: header, ``justify`` ("left" or "right"), rich's ``no_wrap`` and ``style``."""

    header: str
    justify: str = "left"
    no_wrap: bool = False
    style: str | None = None


@dataclass
class Table:
    """A table as rich's ``Table(title, box=SIMPLE or SIMPLE_HEAD, pad_edge=False, ...)`` draws it."""

    title: str
    columns: list[Column]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    show_header: bool = True
    simple_box: bool = False  # rich's box.SIMPLE (else box.SIMPLE_HEAD); the same without a footer
    collapse_padding: bool = False

    def add_row(self, *cells: str) -> None:
        self.rows.append(tuple(cells))

    def to_rich(self) -> Any:
        from rich import box
        from rich.table import Table as RichTable

        t = RichTable(title=self.title, show_header=self.show_header, pad_edge=False,
                      box=box.SIMPLE if self.simple_box else box.SIMPLE_HEAD, collapse_padding=self.collapse_padding)
        for c in self.columns:
            t.add_column(c.header, justify=c.justify, no_wrap=c.no_wrap, style=c.style)  # type: ignore[arg-type]
        for row in self.rows:
            t.add_row(*row)
        return t

    def plain(self, width: int, styled: bool = False) -> str | None:
        """The table as rich writes it to a console ``width`` cells wide (``styled``: a terminal, with
        bold headers and an italic title), or None when that is not certain (see the module's
        docstring)."""
        n = len(self.columns)
        if any(c.style not in (None, "bold") for c in self.columns):
            return None
        texts = [self.title] + [c.header for c in self.columns] + [c for row in self.rows for c in row]
        if not all(isinstance(t, str) for t in texts):
            return None
        if n == 0 or any(len(row) != n for row in self.rows) or not all(_plain_safe(t) for t in texts):
            return None
        if not all(t == t.strip() for t in texts):
            return None
        pads = []
        for i in range(n):
            left = 0 if i == 0 or self.collapse_padding else 1
            right = 0 if i == n - 1 else 1
            pads.append((left, right))
        cells = [[c.header for c in self.columns]] if self.show_header else []
        cells += [list(row) for row in self.rows]
        if not cells:
            return None  # rich gives a column without cells the whole width
        widths = [(max((len(row[i]) for row in cells), default=0) + sum(pads[i])) or 1 for i in range(n)]
        extra = 2 + n - 1  # the edges and the dividers (one cell each)
        if sum(widths) > width - extra:
            return None  # rich would narrow or wrap columns
        table_width = sum(widths) + extra
        title = _wrap(self.title, table_width, "center") if self.title else []  # rich: no title line for ""
        if title is None:
            return None
        lines = [_sgr(line, "italic", styled) for line in title]  # rich's "table.title" style
        lines.append(" " * table_width)
        for k, row in enumerate(cells):
            parts = []
            for i, text in enumerate(row):
                left, right = pads[i]
                inner = widths[i] - left - right
                text = text.rjust(inner) if self.columns[i].justify == "right" else text.ljust(inner)
                style = "bold" if k == 0 and self.show_header else self.columns[i].style  # "table.header"
                parts.append("".join(_sgr(t, style, styled) for t in (" " * left, text, " " * right)))
            lines.append(" " + " ".join(parts) + " ")
            if k == 0 and self.show_header:
                lines.append(" " + "─" * (table_width - 2) + " ")
        lines.append(" " * table_width)
        return "".join(line + "\n" for line in lines)


@dataclass
class Paragraph:
    """A line of text, word-wrapped to the console; ``lead`` (e.g. "warning:") drawn in ``lead_style``."""

    text: str
    lead: str = ""
    lead_style: str = ""

    def markup(self) -> str:
        """The text as rich markup, as :meth:`rich.console.Console.print` is given it."""
        return f"[{self.lead_style}]{self.lead}[/{self.lead_style}] {self.text}" if self.lead else self.text

    def plain(self, width: int, styled: bool = False) -> str | None:
        """The text as rich prints it to a console ``width`` cells wide (``styled``: a terminal, the
        lead in its style), or None when that is not certain."""
        text = f"{self.lead} {self.text}" if self.lead else self.text
        if not (_plain_safe(text) and _plain_safe(self.lead) and text == text.strip()):
            return None
        if self.lead and (self.lead_style not in SGR or not self.lead.strip() or len(self.lead) >= width):
            return None
        lines = _wrap(text, width, "default")
        if lines is None:
            return None
        if self.lead:
            lines[0] = _sgr(self.lead, self.lead_style, styled) + lines[0][len(self.lead):]
        return "".join(line + "\n" for line in lines)


Block = Union[Table, Paragraph]


def print_blocks(blocks: Sequence[Block]) -> None:
    """Print tables and paragraphs on stdout: written directly when the text is certain to come out as
    rich would write it (:func:`console_mode`), else by rich."""
    mode = console_mode()
    if mode is not None:
        parts = [b.plain(*mode) for b in blocks]
        if all(p is not None for p in parts):
            for part in parts:  # one write and flush per block, as rich's print
                try:
                    sys.stdout.write(part or "")
                    sys.stdout.flush()
                except BrokenPipeError:  # as rich: the reader went away (`| head`): exit 1, quietly
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                    raise SystemExit(1) from None
            return
    from rich.console import Console

    con = Console(highlight=False)
    for b in blocks:
        if isinstance(b, Paragraph):
            con.print(b.markup(), soft_wrap=False)
        else:
            con.print(b.to_rich())


def console_mode() -> tuple[int, bool] | None:
    """``(width, styled)`` as rich's ``Console()`` would write stdout: its width in cells and whether
    it is a terminal (rich then writes bold, italic and colours); None where rich might do anything
    else (forced or disabled colours, a dumb terminal, Jupyter, IDLE, Windows, an encoding other than
    UTF-8). The width as rich finds it: ``$COLUMNS``, else the size of the terminal of stdin, stdout
    or stderr, else 80."""
    env = os.environ
    if sys.platform == "win32" or "get_ipython" in vars(builtins):
        return None
    if any(name in env for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "TTY_INTERACTIVE")):
        return None
    out = sys.stdout
    if out is None or getattr(sys.stdin, "__module__", "").startswith("idlelib"):
        return None
    try:
        styled = bool(out.isatty())
    except (AttributeError, ValueError):
        return None
    if styled and env.get("TERM", "").lower() in ("dumb", "unknown"):
        return None
    if not (getattr(out, "encoding", "utf-8") or "utf-8").lower().startswith("utf"):
        return None
    width = None
    for fd in (0, 1, 2):
        try:
            width = os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    columns = env.get("COLUMNS")
    if columns is not None and columns.isdigit():
        width = int(columns)
    width = width or 80
    return (width, styled) if width >= 20 else None


def _sgr(text: str, style: str | None, styled: bool) -> str:
    """``text`` in ``style`` as rich writes it on a terminal (nothing for empty text)."""
    return f"\x1b[{SGR[style]}m{text}\x1b[0m" if styled and style and text else text


def _plain_safe(text: str) -> bool:
    """True when rich would draw ``text`` as it is: known one-cell characters, no markup, no emoji code."""
    if not _SAFE.fullmatch(text):
        return False
    for m in _EMOJI_CODE.finditer(text):
        name = m.group(2).lower()
        if re.search("[a-z]", name) or name in _EMOJI_WITHOUT_LETTERS:
            return False
    return True


def _wrap(text: str, width: int, justify: str) -> list[str] | None:
    """rich's ``Text.wrap`` (overflow "fold") of one line of one-cell characters, for ``justify``
    "default" (as it is) or "center"; None when a word is longer than the width (rich folds it)."""
    breaks: list[int] = []
    offset = 0
    for m in _WORD.finditer(text):
        start, word = m.start(), m.group()
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            return None
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    lines = [text[a:b] for a, b in zip([0, *breaks], [*breaks, len(text)])]
    out = []
    for line in lines:
        if len(line) > width:  # rich's rstrip_end: trailing space beyond the width is dropped
            stripped = line.rstrip()
            line = line[:max(width, len(stripped))]
        if justify == "center":
            line = line.rstrip()
            left = (width - len(line)) // 2
            line = (" " * left + line).ljust(width)
        out.append(line)
    return out
