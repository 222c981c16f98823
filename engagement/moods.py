"""The six mood reactions of the contract (docs/api.md), in display order."""

from __future__ import annotations

from typing import NamedTuple


class Mood(NamedTuple):
    key: str
    label: str


MOODS: tuple[Mood, ...] = (
    Mood("smile", "微笑"),
    Mood("sweat", "流汗"),
    Mood("sad", "难过"),
    Mood("envy", "羡慕"),
    Mood("angry", "愤怒"),
    Mood("tears", "流泪"),
)
MOOD_KEYS: tuple[str, ...] = tuple(m.key for m in MOODS)
