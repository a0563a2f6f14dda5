"""User-facing errors.

Every mistake a user can make (a missing file, a corrupt recording, a wrong option, a port that is not
there) raises a :class:`RetrogaitError` subclass with a one-line message naming the file, line or byte
and what was expected. The CLI (:func:`retrogait.cli.main`) prints that line as
``retrogait: error: <message>`` on stderr and exits with the class's exit code; it never shows a
traceback for these.

Exit codes (documented in the README):

==== =====================================================
0    success
1    an unexpected internal error (a bug: please report it)
2    bad command line (unknown option, bad value)
3    bad input file (missing, unreadable, wrong format, corrupt)
4    nothing to analyze (no strides, all standing)
5    device / serial port problem
130  interrupted (Ctrl-C)
==== =====================================================
"""

from __future__ import annotations


class RetrogaitError(Exception):
    """Base class: a problem the user can fix, shown as one line, never a traceback."""

    exit_code = 1


class UsageProblem(RetrogaitError):
    """A bad option value or combination that click itself cannot check."""

    exit_code = 2


class InputFileError(RetrogaitError):
    """A file is missing, unreadable, of the wrong format or corrupt."""

    exit_code = 3


class NoGaitError(RetrogaitError):
    """The recording holds nothing to analyze (no strides, only standing)."""

    exit_code = 4


class DeviceError(RetrogaitError):
    """A serial port or device problem (not found, busy, unplugged, silent)."""

    exit_code = 5


class RateUnknownError(NoGaitError, ValueError):
    """A stream's sample rate cannot be told (fewer than two distinct times and no nominal rate).

    Also a ``ValueError``, which :attr:`retrogait.io.recording.Stream.rate` raised before.
    """
