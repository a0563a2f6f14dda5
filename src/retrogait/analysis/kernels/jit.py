"""The one numba decorator every kernel uses: compiled on first use, cached on disk (``__pycache__``
beside the module, or ``$NUMBA_CACHE_DIR``), no Python exceptions in the compiled code (division by
zero gives inf or NaN as numpy does), strict IEEE arithmetic (no fast-math reordering)."""

from __future__ import annotations

import numba

jit = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy")
