"""Imported last by the fork server of local workers (:data:`retrogait.batch.forkserver.WORKER_PRELOAD`),
and nowhere else: importing it freezes the garbage collector's view of this process.

``gc.freeze()`` moves every object that exists now (the ~10^5 objects of Dask, numpy, pyarrow and
the analysis modules just imported) into a permanent generation that collections never traverse. As
Python's documentation recommends before forking: the workers forked from the server then neither scan
those objects at each full collection nor dirty their copy-on-write pages by doing so, and the fork
server's own exit does not collect them one by one (~0.3 s of a run's wall time otherwise).
"""

from __future__ import annotations

import gc

gc.freeze()
