"""The documented JSON schema of recordings (``firmware_notes/recording-format.md``), checked on read.

A block can carry a valid checksum and still hold nonsense (a crafted file, a buggy third-party writer):
a 2x2 ``mount``, a ``nominal_rate`` of ``"fast"``, ``NaN``, a ``device`` that is a string, JSON nested
ten thousand levels deep. Nothing downstream should see such values. The functions here turn parsed
JSON into values of the documented types, field by field: a field that does not fit is replaced by
its "unknown" value (``None``, ``"unknown"``, ``{}``) or dropped, and a one-line note says which field
and what was expected; everything that fits is kept. Used by the native reader
(:mod:`retrogait.io.fileformat`) and the retrogait-CSV reader (:mod:`retrogait.io.csvio`).

Summary of the rules (see the format document for the meaning of each field):

* header / header update: ``subject`` and ``start_time`` strings (numbers are written as text);
  ``tags`` an object of JSON scalars (finite numbers, strings, booleans, null); ``streams`` a list of
  objects (at most :data:`MAX_STREAMS`);
* per stream: ``foot`` one of left / right / unknown; ``device`` an object; ``nominal_rate`` a finite
  number > 0 or null; ``mount`` a 3x3 proper rotation (orthonormal within 1e-3, det +1) or null;
  ``channels`` a list of strings (otherwise the channels are taken from the stream's first samples
  block);
* event: an object with a string ``kind`` and a finite number ``t``; ``stream`` absent / null or a
  stream index; a ``gap`` has a finite ``t_end`` >= ``t``;
* any JSON: at most :data:`MAX_DEPTH` levels of nesting; ``NaN`` / ``Infinity`` (and numbers too large
  for a float) become null.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any

import numpy as np

from retrogait.io.recording import FEET

MAX_DEPTH = 32
"""Deepest nesting of JSON objects / arrays accepted in a header, update or event."""
MAX_STREAMS = 0xFFFE
"""Most streams a header may list: a block's stream index is a u16 and 0xFFFF means "none"."""
ROTATION_TOLERANCE = 1e-3
"""Largest |m m^T - I| entry of a mounting accepted as a rotation (the analysis uses the same)."""
CHANNELS = ("t", "t_host", "acc", "gyr", "mag")


class JSONProblem(ValueError):
    """JSON text that cannot be used at all (not UTF-8, not JSON, nested too deeply); one line."""


def loads(raw: bytes | str, notes: list[str] | None = None, where: str = "") -> Any:
    """Parse JSON: NaN / Infinity / out-of-range numbers become None, nesting is bounded.

    Raises :class:`JSONProblem` (one line) for bytes that are not UTF-8, text that is not JSON, or
    nesting deeper than :data:`MAX_DEPTH`. With ``notes``, one note (prefixed ``where``) says how many
    NaN / Infinity values were taken as null.
    """
    replaced = [0]

    def constant(_: str) -> None:
        replaced[0] += 1

    def number(text: str) -> float | None:
        value = float(text)
        if math.isfinite(value):
            return value
        replaced[0] += 1
        return None

    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray, memoryview)) else raw
    except UnicodeDecodeError as exc:
        raise JSONProblem(f"not UTF-8 text (byte {exc.start} of the JSON)") from None
    depth = _max_depth(text)
    if depth > MAX_DEPTH:
        raise JSONProblem(f"JSON nested {depth} levels deep (at most {MAX_DEPTH} allowed)")
    try:
        obj = json.loads(text, parse_constant=constant, parse_float=number)
    except json.JSONDecodeError as exc:
        raise JSONProblem(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
    except (RecursionError, ValueError) as exc:  # pragma: no cover - depth is checked above
        raise JSONProblem(f"not usable JSON ({type(exc).__name__})") from None
    if replaced[0] and notes is not None:
        notes.append(f"{where}: {replaced[0]} NaN or infinite number(s) taken as null")
    return obj


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _max_depth(text: str) -> int:
    """Deepest bracket nesting of JSON text (brackets inside strings ignored), vectorised."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0
    bare = _STRING.sub("", text).encode("utf-8", "replace")
    b = np.frombuffer(bare, np.uint8)
    step = ((b == ord("[")) | (b == ord("{"))).astype(np.int32) - ((b == ord("]")) | (b == ord("}")))
    return int(np.cumsum(step).max(initial=0))


def is_scalar(value: Any) -> bool:
    """A JSON scalar as the format allows in tags: string, finite number, boolean or null."""
    if value is None or isinstance(value, (str, bool, int)):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def rate_or_none(value: Any) -> float | None:
    """``value`` as a sample rate (finite number > 0), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) and value > 0 else None


def mount_or_none(value: Any) -> np.ndarray | None:
    """``value`` as a 3x3 proper rotation matrix (float64), else None."""
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        return None
    rows = []
    for row in value:
        if not isinstance(row, (list, tuple)) or len(row) != 3:
            return None
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in row):
            return None
        rows.append([float(x) for x in row])
    m = np.asarray(rows, np.float64)
    if not np.all(np.isfinite(m)):
        return None
    if np.abs(m @ m.T - np.eye(3)).max() > ROTATION_TOLERANCE or np.linalg.det(m) < 0:
        return None
    return m


def clean_tags(tags: Any, where: str, notes: list[str]) -> dict[str, Any]:
    """Tags as an object of JSON scalars; anything else is dropped with a note."""
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        notes.append(f"{where}: 'tags' is not a JSON object ({_short(tags)}); ignored")
        return {}
    out = {}
    for key, value in tags.items():
        if is_scalar(value):
            out[key] = value
        else:
            notes.append(f"{where}: tag {key!r} is not a JSON scalar ({_short(value)}); ignored")
    return out


def _text(value: Any, name: str, where: str, notes: list[str]) -> str | None:
    """A string field: strings kept, numbers written as text, anything else None with a note."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        notes.append(f"{where}: {name!r} is a number ({_short(value)}); taken as the text {str(value)!r}")
        return str(value)
    notes.append(f"{where}: {name!r} is not a string ({_short(value)}); ignored")
    return None


def _iso_time(value: str, where: str, notes: list[str]) -> str:
    """``value`` when it is "" or an ISO 8601 time, else "" (unknown) with a note."""
    if not value:
        return value
    try:
        datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        notes.append(f"{where}: start_time {_short(value)} is not an ISO 8601 time; taken as unknown")
        return ""
    return value


def clean_stream(sh: Any, index: int, where: str, notes: list[str], *, update: bool = False) -> dict[str, Any]:
    """One stream description with the documented types. ``update``: only the keys present are kept
    (a header update replaces just those); otherwise every field is filled in."""
    at = f"{where}: stream {index}"
    if not isinstance(sh, dict):
        notes.append(f"{at}: description is not a JSON object ({_short(sh)}); "
                     + ("ignored" if update else "taken as an unknown foot with t, acc, gyr"))
        return {} if update else {"foot": "unknown", "device": {}, "nominal_rate": None, "mount": None,
                                   "channels": None}
    out: dict[str, Any] = {k: v for k, v in sh.items()
                           if k not in ("foot", "device", "nominal_rate", "mount", "channels",
                                        "n_samples", "measured_rate")}
    if "foot" in sh or not update:
        foot = sh.get("foot", "unknown")
        if foot not in FEET or not isinstance(foot, str):
            notes.append(f"{at}: foot {_short(foot)} is not one of {', '.join(FEET)}; "
                         + ("ignored" if update else "taken as unknown"))
            foot = None if update else "unknown"
        if foot is not None:
            out["foot"] = foot
    if "device" in sh or not update:
        dev = sh.get("device")
        if dev is not None and not isinstance(dev, dict):
            notes.append(f"{at}: 'device' is not a JSON object ({_short(dev)}); ignored")
            dev = None
        if dev is not None or not update:
            out["device"] = dict(dev or {})
    if "nominal_rate" in sh or not update:
        raw = sh.get("nominal_rate")
        rate = rate_or_none(raw)
        if raw is not None and rate is None:
            notes.append(f"{at}: nominal_rate {_short(raw)} is not a number of Hz > 0; "
                         + ("ignored" if update else "taken as unknown"))
        if raw is None or rate is not None or not update:
            out["nominal_rate"] = rate
    if "mount" in sh or not update:
        raw = sh.get("mount")
        mount = mount_or_none(raw)
        if raw is not None and mount is None:
            notes.append(f"{at}: mount {_short(raw)} is not a 3x3 rotation matrix; "
                         + ("ignored" if update else "taken as unknown"))
        if raw is None or mount is not None or not update:
            out["mount"] = None if mount is None else mount.tolist()
    if not update:
        ch = sh.get("channels")
        if not (isinstance(ch, list) and all(isinstance(c, str) for c in ch)):
            notes.append(f"{at}: channels {_short(ch)} is not a list of names; taken from the data")
            ch = None
        out["channels"] = ch
    for key in ("n_samples", "measured_rate"):
        if key in sh:
            value = sh[key]
            if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
                out[key] = value
            else:
                notes.append(f"{at}: {key} {_short(value)} is not a number; ignored")
    return out


def clean_header(header: Any, where: str, notes: list[str]) -> dict[str, Any]:
    """The header with documented types (see the module docstring). ``header`` must be a dict with a
    ``streams`` list of at most :data:`MAX_STREAMS` entries (the caller checks; ValueError otherwise)."""
    if not isinstance(header, dict) or not isinstance(header.get("streams"), list):
        raise ValueError("header JSON lacks the 'streams' list")  # noqa: TRY004 (a content error)
    if len(header["streams"]) > MAX_STREAMS:
        raise ValueError(f"header lists {len(header['streams'])} streams (a file can address at most "
                         f"{MAX_STREAMS})")
    out = dict(header)
    for key in ("subject", "start_time"):
        if key in header and header[key] is not None:
            value = _text(header[key], key, where, notes)
            out[key] = "" if value is None else value
            if key == "start_time":
                out[key] = _iso_time(out[key], where, notes)
        else:
            out[key] = ""
    out["tags"] = clean_tags(header.get("tags"), where, notes)
    out["streams"] = [clean_stream(sh, i, where, notes) for i, sh in enumerate(header["streams"])]
    return out


def clean_update(upd: dict[str, Any], n_streams: int, where: str, notes: list[str]) -> dict[str, Any]:
    """A header-update object with documented types: only what fits is kept."""
    out: dict[str, Any] = {}
    if "tags" in upd:
        out["tags"] = clean_tags(upd["tags"], where, notes)
    if "subject" in upd and upd["subject"] is not None:
        value = _text(upd["subject"], "subject", where, notes)
        if value is not None:
            out["subject"] = value
    if "streams" in upd and upd["streams"] is not None:
        streams = upd["streams"]
        if not isinstance(streams, list):
            notes.append(f"{where}: 'streams' is not a list ({_short(streams)}); ignored")
        else:
            if len(streams) > n_streams:
                notes.append(f"{where}: {len(streams)} stream updates for {n_streams} streams; the extra ones "
                             "ignored")
            out["streams"] = [clean_stream(su, i, where, notes, update=True)
                              for i, su in enumerate(streams[:n_streams])]
    out["closed"] = upd.get("closed") is True
    return out


def event_problem(event: Any, n_streams: int) -> str | None:
    """Why ``event`` does not fit the documented event schema (None when it does)."""
    if not isinstance(event, dict):
        return "event is not a JSON object"
    kind, t = event.get("kind"), event.get("t")
    if not isinstance(kind, str) or not kind:
        return f"event 'kind' {_short(kind)} is not a name"
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
        return f"{kind} event: 't' {_short(t)} is not a number of seconds"
    stream = event.get("stream")
    if stream is not None and (isinstance(stream, bool) or not isinstance(stream, int)
                               or not 0 <= stream < max(n_streams, 1)):
        return f"{kind} event: 'stream' {_short(stream)} is not a stream index (0..{max(n_streams - 1, 0)})"
    if kind == "gap":
        t_end = event.get("t_end")
        if isinstance(t_end, bool) or not isinstance(t_end, (int, float)) or not math.isfinite(t_end) or t_end < t:
            return f"gap event: 't_end' {_short(t_end)} is not a number of seconds >= t"
    return None


def clean_events(events: Any, n_streams: int, where: str, notes: list[str]) -> list[dict[str, Any]]:
    """The events that fit the schema; one note per event left out."""
    if events is None:
        return []
    if not isinstance(events, list):
        notes.append(f"{where}: events are not a JSON list ({_short(events)}); ignored")
        return []
    out = []
    for k, ev in enumerate(events):
        why = event_problem(ev, n_streams)
        if why is None:
            out.append(ev)
        else:
            notes.append(f"{where}: event {k}: {why}; ignored")
    return out
