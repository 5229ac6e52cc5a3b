"""A streaming reader for LDIF as written by ``ldapsearch`` (RFC 2849 content records).

Clients who cannot give us live access sometimes can give us a dump (``ldapsearch -LLL ... > ad.ldif``).
The file is untrusted input: every problem becomes an :class:`LdifError` naming the file, the line and
what was expected, never a traceback.  Entries are yielded one at a time, so a 100,000-object dump is
read in bounded memory.  Supported: comments, folded lines, ``attr: value``, ``attr:: base64``, search
references (``ref:``) and ldapsearch's result records (``search:``/``result:``), both skipped,
``version: 1``.  ``attr:< URL`` is refused: we never fetch what a file
points to.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

_ATTRIBUTE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-;.]*$")
#: Bound on a single value (a photo or certificate is fine; a gigabyte line is not).
MAX_VALUE_BYTES = 1_000_000
MAX_VALUES_PER_ENTRY = 200_000


class LdifError(ValueError):
    """The LDIF text is malformed; the message names the file and line."""

    def __init__(self, origin: str, line: int, problem: str) -> None:
        self.origin, self.line, self.problem = origin, line, problem
        super().__init__(f"{origin}, line {line}: {problem}")


Entry = tuple[str, dict[str, list[bytes]]]


def _logical_lines(lines: Iterable[str], origin: str) -> Iterator[tuple[int, str]]:
    """Unfold continuation lines (a leading space continues the previous line); keep blank lines."""
    current: list[str] | None = None
    start = length = 0
    in_comment = False
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if line.startswith(" "):
            if in_comment:  # comments may be folded too (RFC 2849)
                continue
            if current is None:
                raise LdifError(origin, number, "continuation line (starting with a space) without a line to continue")
            current.append(line[1:])
            length += len(line) - 1
            if length > 4 * MAX_VALUE_BYTES:
                raise LdifError(origin, start, "value too long")
            continue
        if current is not None:
            yield start, "".join(current)
        in_comment = line.startswith("#")
        if in_comment:
            current = None
            continue
        current, start, length = [line], number, len(line)
    if current is not None:
        yield start, "".join(current)


def parse_ldif(lines: Iterable[str], origin: str = "<ldif>") -> Iterator[Entry]:
    """Yield ``(dn, {attribute_lower: [value bytes]})`` for each entry; raise LdifError on bad input."""
    dn: str | None = None
    attrs: dict[str, list[bytes]] = {}
    count = 0
    skipping = False
    seen_any = False
    for number, line in _logical_lines(lines, origin):
        if line == "":
            if dn is not None:
                yield dn, attrs
            dn, attrs, count, skipping = None, {}, 0, False
            continue
        if ":" not in line:
            raise LdifError(origin, number, f"expected 'attribute: value', got {line[:60]!r}")
        name, _, rest = line.partition(":")
        if not _ATTRIBUTE.match(name):
            raise LdifError(origin, number, f"invalid attribute name {name[:60]!r}")
        if rest.startswith(":"):
            encoded = rest[1:].strip()
            try:
                value = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise LdifError(origin, number, f"{name}: invalid base64 value") from None
        elif rest.startswith("<"):
            raise LdifError(origin, number, f"{name}: URL values (':<') are not supported")
        else:
            value = rest[1:].encode("utf-8") if rest.startswith(" ") else rest.encode("utf-8")
        if len(value) > MAX_VALUE_BYTES:
            raise LdifError(origin, number, f"{name}: value longer than {MAX_VALUE_BYTES} bytes")
        key = name.lower()
        if dn is None and not skipping:
            if key == "version" and not seen_any:
                seen_any = True
                continue
            if key in ("ref", "search"):  # ldapsearch's search references and result records: not entries
                skipping = True
                continue
            if key != "dn":
                raise LdifError(origin, number, f"an entry must start with 'dn:', got '{name}:'")
            try:
                dn = value.decode("utf-8")
            except UnicodeDecodeError:
                raise LdifError(origin, number, "dn is not valid UTF-8") from None
            seen_any = True
            continue
        if skipping:
            continue
        if key == "dn":
            raise LdifError(origin, number, "a second 'dn:' inside one entry (missing blank line?)")
        if key == "changetype":
            raise LdifError(origin, number, "change records are not a directory dump (use ldapsearch output)")
        count += 1
        if count > MAX_VALUES_PER_ENTRY:
            raise LdifError(origin, number, "too many values in one entry")
        attrs.setdefault(key, []).append(value)
    if dn is not None:
        yield dn, attrs


def read_ldif_file(path: Path) -> Iterator[Entry]:
    """Stream entries from a file, translating I/O and encoding problems into LdifError."""
    try:
        with path.open("r", encoding="utf-8", newline="") as handle:
            yield from parse_ldif(handle, origin=str(path))
    except UnicodeDecodeError as exc:
        raise LdifError(str(path), 0, f"not UTF-8 text (byte offset {exc.start})") from None
    except OSError as exc:
        raise LdifError(str(path), 0, f"cannot read file: {exc.strerror or exc}") from None


def dump_ldif(entries: Iterable[Entry]) -> str:
    """Write entries as LDIF (base64 where needed); used by tests and tools, and round-trips parse_ldif."""
    out: list[str] = []
    for dn, attrs in entries:
        out.append(_line("dn", dn.encode("utf-8")))
        for name, values in attrs.items():
            out.extend(_line(name, value) for value in values)
        out.append("")
    return "\n".join(out) + ("\n" if out else "")


def _line(name: str, value: bytes) -> str:
    safe = bool(value) and value[0] not in b" :<" and value[-1:] != b" " and all(
        0x20 <= b < 0x7F for b in value
    )
    if safe or not value:
        return f"{name}: {value.decode('ascii')}"
    return f"{name}:: {base64.b64encode(value).decode('ascii')}"
