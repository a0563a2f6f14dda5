"""Write the per-stride table of a recording as CSV (one row per stride, SI units, angles in rad).

    python3 examples/strides_to_csv.py [RECORDING] [OUT.csv]
"""

import csv
import sys
from pathlib import Path

import retrogait

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "mixed_session.rgt"

source = sys.argv[1] if len(sys.argv) > 1 else SAMPLE
out = Path(sys.argv[2] if len(sys.argv) > 2 else "strides.csv")
strides = retrogait.analyze(retrogait.load_recording(source)).strides
strides.to_csv(out)  # or strides.to_dataframe().to_csv(out) with pandas

with open(out, newline="") as fh:
    rows = list(csv.DictReader(fh))
print(f"{out}: {len(rows)} strides, {len(rows[0])} columns ({', '.join(list(rows[0])[:6])}, ...)")
