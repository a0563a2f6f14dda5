"""Text for figures: user-given strings drawn exactly as written."""

from __future__ import annotations


def mpl_literal(text: object) -> str:
    """``text`` for any matplotlib title, label or legend entry, shown exactly as written.

    matplotlib reads text with two ``$`` as mathtext and raises on malformed math (a subject ``P$1^$``,
    a file ``walk$2$.rgt``). Escaping every ``$`` as ``\\$`` turns mathtext off for the string and
    matplotlib draws each as a plain ``$``; backslashes are left alone (outside mathtext they are drawn
    as they are). Use it for every user-given string (subject, file name, tag) that reaches a figure.
    """
    return str(text).replace("$", r"\$")
