"""The one numba decorator every kernel uses: compiled on first use, cached on disk (``__pycache__``
beside the module, or ``$NUMBA_CACHE_DIR``), no Python exceptions in the compiled code (division by
zero gives inf or NaN as numpy does), strict IEEE arithmetic (no fast-math reordering).

``RETROGAIT_KERNEL_CACHE=0`` turns numba's disk cache off (read and write). Building the module
compiled ahead of time (:mod:`.ahead`) needs that: numba checks a cached kernel only against its own
file's stamp, not the other modules' code compiled into it (a kernel calling ``events.lever_fit``
would come back from the cache with an older ``lever_fit``).
"""

from __future__ import annotations

import os

import numba

CACHE = os.environ.get("RETROGAIT_KERNEL_CACHE", "1").strip() != "0"

jit = numba.njit(cache=CACHE, nogil=True, fastmath=False, error_model="numpy")
