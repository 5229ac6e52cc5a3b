"""Version comparison: the total order the lifecycle ranges rely on, on banner-style strings."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from auditor_plugins.patch_level.versions import Version, compare, in_range

versions = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\A\d{1,3}(\.\d{1,4}){0,3}([a-z]{1,2}\d?)?\Z", fullmatch=True),
    st.from_regex(r"\A\d\.\d(p\d)?( Debian [0-9+a-z.]{1,10})?\Z", fullmatch=True),
)


def test_known_orderings() -> None:
    ordered = ["0.9.8", "1.0.1", "1.0.1f", "1.0.1g", "1.0.2", "1.1.1w", "3.0.0", "3.0.13", "3.5.4"]
    assert [compare(a, b) for a, b in itertools.pairwise(ordered)] == [-1] * (len(ordered) - 1)
    assert compare("8.4", "8.4p1") == -1 and compare("8.4p1", "8.5") == -1 and compare("9.8p1", "9.10p1") == -1
    assert compare("15.2.2562.17", "15.2.1544.4") == 1
    assert compare("2.4.49", "2.4.49") == 0
    assert in_range(Version.parse("2.4.50"), "2.4.49", "2.4.51")  # type: ignore[arg-type]
    assert not in_range(Version.parse("2.4.51"), "2.4.49", "2.4.51")  # type: ignore[arg-type]
    assert in_range(Version.parse("0.1"), "0", None)  # type: ignore[arg-type]
    assert Version.parse("OpenSSH") is None and Version.parse("") is None and Version.parse(None) is None
    assert Version.parse("13.00.5026.00").numbers == (13, 0, 5026, 0)  # type: ignore[union-attr]


@given(versions)
def test_parse_never_raises_and_is_reflexive(text: str) -> None:
    parsed = Version.parse(text)
    if parsed is not None:
        assert parsed == Version.parse(text)
        assert compare(text, text) == 0


@given(versions, versions)
def test_antisymmetric(a: str, b: str) -> None:
    assert compare(a, b) == -compare(b, a)


@given(versions, versions, versions)
def test_transitive(a: str, b: str, c: str) -> None:
    if compare(a, b) <= 0 and compare(b, c) <= 0:
        assert compare(a, c) <= 0


@given(st.lists(st.integers(0, 999), min_size=1, max_size=4), st.lists(st.integers(0, 999), min_size=1, max_size=4))
def test_numeric_versions_compare_like_integer_tuples(a: list[int], b: list[int]) -> None:
    text_a, text_b = ".".join(map(str, a)), ".".join(map(str, b))
    assert compare(text_a, text_b) == (tuple(a) > tuple(b)) - (tuple(a) < tuple(b))
