"""Cross-check of our x-IMU3 decoder against x-io's own library (``ximu3`` on PyPI) on the same bytes.

``ximu3`` is in the test extras only (never a runtime dependency); the test is skipped where it cannot be installed.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from retrogait.io.recording import GRAVITY
from retrogait.protocols import concat_batches
from retrogait.protocols import ximu3 as xp

ximu3 = pytest.importorskip("ximu3")


def test_same_bytes_same_samples_as_the_vendor_library(tmp_path):
    rng = np.random.default_rng(0)
    acc, gyr = rng.normal(0, 12, (300, 3)), rng.normal(0, 3, (300, 3))
    data = (xp.encode(acc, gyr, 400.0, t0_us=0x0A0ADB).data + b"garbage\r\n"
            + xp.encode(acc, gyr, 400.0, binary=False, t0_us=10**6).data)
    path = tmp_path / "stream.bin"
    path.write_bytes(data)
    got: list[tuple] = []
    conn = ximu3.Connection(ximu3.FileConnectionConfig(str(path)))
    conn.add_inertial_callback(lambda m: got.append((m.timestamp, m.gyroscope_x, m.gyroscope_y, m.gyroscope_z,
                                                     m.accelerometer_x, m.accelerometer_y, m.accelerometer_z)))
    conn.open()
    t0 = time.monotonic()
    while len(got) < 600 and time.monotonic() - t0 < 5:
        time.sleep(0.05)
    conn.close()
    theirs = np.array(got, dtype=np.float64)
    dec = xp.XIMU3Decoder()
    ours_acc, ours_gyr, ours_t = concat_batches(dec.feed(b"\n" + data) + dec.flush())
    assert len(theirs) == len(ours_t) == 600
    np.testing.assert_allclose(ours_t, theirs[:, 0] * 1e-6, atol=1e-9)
    np.testing.assert_allclose(ours_gyr, np.radians(theirs[:, 1:4]), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours_acc, theirs[:, 4:7] * GRAVITY, rtol=1e-6, atol=1e-9)
