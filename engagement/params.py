"""Whole numbers from query strings and forms, read one way everywhere.

``str.isdigit()`` accepts characters such as ``²`` or ``①`` that ``int()``
refuses, so a check with it lets a crafted parameter through to a 500.
"""

from __future__ import annotations


def whole_number(raw: str | None, maximum_digits: int = 18) -> int | None:
    """The value of an ASCII decimal string, or None for anything else."""
    if not raw or len(raw) > maximum_digits or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw)


def in_range(raw: str | None, low: int, high: int) -> int | None:
    """The whole number ``raw`` when it lies in ``[low, high]``, else None."""
    value = whole_number(raw)
    return value if value is not None and low <= value <= high else None
