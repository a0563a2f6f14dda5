"""The package's shape: no import cycle anywhere in src/ (function-level imports included), and the
analysis core reads no file of its own."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _modules() -> dict[str, Path]:
    out = {}
    for p in (SRC / "retrogait").rglob("*.py"):
        name = ".".join(p.relative_to(SRC).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = p
    return out


def _imports(path: Path, mods: dict[str, Path]) -> set[str]:
    """Every retrogait module ``path`` imports, at any level of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("retrogait"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in mods else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("retrogait")}
    return {m for m in found if m in mods}


def test_no_import_cycle_in_src():
    mods = _modules()
    graph = {m: _imports(p, mods) - {m} for m, p in mods.items()}
    # depth-first search for a back edge; report the cycle it closes
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state:
                found = visit(n)
                if found:
                    return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            cycle = visit(m)
            assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_analysis_core_reads_no_file():
    """Pure stages: files are read by io/ and by the callers (device profiles: calibration.py's
    explicit lookups, which the analysis never calls)."""
    allowed = {"calibration.py"}
    for p in sorted((SRC / "retrogait" / "analysis").glob("*.py")):
        if p.name in allowed:
            continue
        for line in p.read_text().splitlines():
            reading = any(w in line for w in (".read_text(", ".read_bytes(", "np.load(", "json.load(", "tomllib.load("))
            reading |= "open(" in line and '"w"' not in line  # writing on request (StrideTable.to_csv) is fine
            # compiled.source_fingerprint hashes the package's own kernel sources (never a user's file): is
            # the module compiled at install current?
            reading &= not (p.name == "compiled.py" and line.strip().startswith("data = b\"\".join(f.name.encode()"))
            assert not reading, f"{p.name} reads a file: {line.strip()}"
