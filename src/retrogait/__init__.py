"""retrogait: a shoe-mounted IMU gait lab, built first for people who walk backwards.

Frame conventions (used everywhere inside the package, SI units):

* **Sensor frame**: the IMU's own axes as printed on the device.
* **Foot frame**: x toward the toes, y to the left, z up (right-handed), with the foot flat on level
  ground. ``mount`` rotations map sensor-frame vectors into the foot frame: ``v_foot = mount @ v_sensor``.
* **World (navigation) frame**: z up (against gravity), x/y horizontal; the heading of x is arbitrary
  (the foot's heading at the start of the analysis). On a treadmill the world frame is the *belt* frame.
* Accelerometers measure specific force ``f = a - g`` with ``g = (0, 0, -9.80665)`` m/s^2 in the world
  frame, so a sensor at rest reads +9.81 m/s^2 along its up axis.
* Angular rate in rad/s, right-handed about the sensor axes. Time in seconds, lengths in metres.

Python API for researchers::

    import retrogait
    rec = retrogait.load_recording("walk.rgt")      # .rgt, or CSV / .mat with preset=...
    res = retrogait.analyze(rec)                    # AnalysisResult
    res.strides.stride_length, res.strides.direction  # per-stride numpy arrays
    res.summary                                     # session summary (dict, JSON-ready)
"""

from __future__ import annotations

from retrogait._version import __version__

__all__ = ["__version__", "analyze", "load_recording"]


def __getattr__(name: str):
    """Import the heavy parts lazily, so ``import retrogait`` (and the CLI's --help) stays fast."""
    if name == "analyze":
        from retrogait.analysis import analyze

        return analyze
    if name == "load_recording":
        from retrogait.io.loading import load_recording

        return load_recording
    raise AttributeError(f"module 'retrogait' has no attribute {name!r}")
