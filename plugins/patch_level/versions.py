"""Comparing software versions as banners and exports write them ("8.4p1", "1.0.1g", "15.2.2562.17").

Version strings from banners are untrusted and irregular, so comparison is defined on a tolerant parse:
the text is split into runs of digits and runs of letters (separators dropped), digits compare as
numbers, letters as text, and a version that is a prefix of another is older ("8.4" < "8.4p1" < "8.5",
"1.0.1" < "1.0.1g" < "1.0.2").  That total order is all the lifecycle ranges (`from` <= v < `below`) need.
"""

from __future__ import annotations

import re
from functools import total_ordering

_TOKEN = re.compile(r"\d+|[A-Za-z]+")
_MAX_TOKENS = 12


@total_ordering
class Version:
    """A parsed version; build with `Version.parse`, which returns None when there is no digit at all."""

    __slots__ = ("key", "text")

    def __init__(self, text: str, key: tuple[tuple[int, int, str], ...]) -> None:
        self.text = text
        self.key = key

    @classmethod
    def parse(cls, text: str | None) -> Version | None:
        if not text:
            return None
        cleaned = text.strip()[:64]
        tokens = _TOKEN.findall(cleaned)[:_MAX_TOKENS]
        if not tokens or not tokens[0].isdigit():
            return None
        key = tuple((1, int(t[:9]), "") if t.isdigit() else (0, 0, t.lower()) for t in tokens)
        return cls(cleaned, key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.key == other.key

    def __lt__(self, other: Version) -> bool:
        return self.key < other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"Version({self.text!r})"

    @property
    def numbers(self) -> tuple[int, ...]:
        """The leading numeric parts: (8, 4) for "8.4p1", (15, 2, 2562, 17) for an Exchange build."""
        out: list[int] = []
        for kind, number, _ in self.key:
            if kind != 1:
                break
            out.append(number)
        return tuple(out)


def in_range(version: Version, low: str | None, below: str | None) -> bool:
    """Whether `low` <= version < `below` (either bound may be None = unbounded)."""
    low_v = Version.parse(low) if low and low != "0" else None
    below_v = Version.parse(below) if below else None
    if low_v is not None and version < low_v:
        return False
    return not (below_v is not None and not version < below_v)


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 like the old cmp(); unparsable versions sort first.  For tests and sorting tools."""
    va, vb = Version.parse(a), Version.parse(b)
    ka = va.key if va else ()
    kb = vb.key if vb else ()
    return (ka > kb) - (ka < kb)
