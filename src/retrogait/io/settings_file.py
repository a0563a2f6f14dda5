"""Analysis settings as a TOML file: read one (``--settings FILE.toml``), write the defaults with
their units and reasons (``retrogait analyze --print-settings``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from retrogait.analysis.settings import GROUPS, AnalysisSettings, field_docs
from retrogait.errors import InputFileError


def read_settings(path: str | Path) -> AnalysisSettings:
    """The settings in a TOML file (tables per group, e.g. ``[stance]`` ``gyr_threshold = 0.8``).

    Values not given keep their defaults. Raises InputFileError (one line, naming the file and the
    key or line) for a missing, unreadable or invalid file, an unknown key or a value out of range.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{p}: no such settings file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{p}: cannot read the settings file ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(f"{p}: not a valid TOML file ({exc})") from None
    try:
        return AnalysisSettings.from_dict(data, str(p))
    except Exception as exc:  # UsageProblem from validation: the file is the user's input
        raise InputFileError(str(exc) if str(exc).startswith(str(p)) else f"{p}: {exc}") from None


def settings_toml(settings: AnalysisSettings | None = None) -> str:
    """The settings as TOML, every value commented with its unit and the reason for its default."""
    s = settings or AnalysisSettings()
    docs = {name: (unit, why) for name, _default, unit, why in field_docs()}
    values = s.to_dict()
    lines = ["# retrogait analysis settings (SI units, angles in rad). Keep only what you change;",
             "# the rest keeps its default. Use: retrogait analyze FILE --settings this.toml"]
    for g in GROUPS:
        lines += ["", f"[{g}]"]
        for k, v in values[g].items():
            unit, why = docs[f"{g}.{k}"]
            lines.append(f"{k} = {v!r}  # {unit}: {why}")
    return "\n".join(lines) + "\n"


def settings_markdown() -> str:
    """``docs/settings.md``: every setting with its default, unit and reason, grouped by stage."""
    from retrogait.analysis import settings as mod

    lines = ["# Analysis settings", "",
             "Every threshold of the analysis, grouped by the stage that uses it. Defaults are the validated "
             "method; change one with `retrogait analyze FILE --settings my.toml` (a TOML file holding only "
             "what you change; `retrogait analyze --print-settings` prints them all) or, in Python, "
             "`retrogait.analyze(rec, settings=AnalysisSettings.from_dict({...}))`. The settings used are in "
             "`--json`, the `--strides` sidecar and every batch row (`analysis_settings`). SI units; angles in "
             "radians. This page is generated from `retrogait.analysis.settings` (a test keeps it current).", ""]
    docs = field_docs()
    for g in GROUPS:
        cls = type(getattr(mod.AnalysisSettings(), g))
        lines += [f"## [{g}]", "", (cls.__doc__ or "").strip(), "",
                  "| setting | default | unit | why |", "|---|---|---|---|"]
        for name, default, unit, why in docs:
            if name.startswith(g + "."):
                value = f"{default:.6g}" if isinstance(default, float) else str(default)
                cell = why.replace("|", "\\|")  # | |f| - g | inside a table cell
                lines.append(f"| `{name.split('.', 1)[1]}` | {value} | {unit} | {cell} |")
        lines.append("")
    return "\n".join(lines)
