"""Recorded sources: the LDIF reader (property-based) and the plugin's JSON evidence, with bad input."""

from __future__ import annotations

import base64
import datetime as dt
import json
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.models import Status
from auditor_plugins.account_hygiene.checks import AccountHygieneParameters, evaluate
from auditor_plugins.account_hygiene.ldif import LdifError, dump_ldif, parse_ldif
from auditor_plugins.account_hygiene.sources import LdifSource, RecordedEvidenceError, RecordedJsonSource
from tests.plugins.account_hygiene.helpers import computer, evidence, user

# --------------------------------------------------------------------------------------------------
# LDIF parser: properties
# --------------------------------------------------------------------------------------------------

attribute_names = st.from_regex(r"[a-z][a-z0-9\-]{0,15}", fullmatch=True).filter(lambda n: n not in ("dn",))
values = st.binary(max_size=60)
entries = st.lists(
    st.tuples(
        st.text(min_size=1, max_size=40).filter(lambda t: "\r" not in t and "\n" not in t),
        st.dictionaries(attribute_names, st.lists(values, min_size=1, max_size=4), max_size=6),
    ),
    max_size=6,
)


@given(entries)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_dump_then_parse_round_trips(items) -> None:  # type: ignore[no-untyped-def]
    text = dump_ldif(items)
    parsed = list(parse_ldif(text.splitlines(keepends=True)))
    assert parsed == [(dn, attrs) for dn, attrs in items]


@given(st.lists(st.text(max_size=80), max_size=30))
@settings(max_examples=300)
def test_arbitrary_text_is_parsed_or_refused_with_a_line_number(lines) -> None:  # type: ignore[no-untyped-def]
    try:
        for dn, attrs in parse_ldif([line + "\n" for line in lines], origin="fuzz.ldif"):
            assert isinstance(dn, str) and all(isinstance(v, bytes) for vs in attrs.values() for v in vs)
    except LdifError as exc:
        assert str(exc).startswith("fuzz.ldif, line ")


@given(st.binary(max_size=300))
@settings(max_examples=100, deadline=None)
def test_arbitrary_bytes_as_a_file(tmp_path_factory, blob) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("ldif") / "dump.ldif"
    path.write_bytes(blob)
    try:
        LdifSource(path).read()
    except RecordedEvidenceError as exc:
        assert str(path) in str(exc)


def test_folding_comments_base64_references_and_result_records() -> None:
    text = (
        "version: 1\n"
        "\n"
        "# a comment that is long enough to be\n"
        " folded by ldapsearch\n"
        "dn: CN=Jos\xe9,DC=corp,DC=exa\n"
        " mple\n"
        "description:: " + base64.b64encode("Comptabilit\xe9".encode()).decode() + "\n"
        "member: a\n"
        "member: b\n"
        "\n"
        "# search reference\n"
        "ref: ldap://corp.example/CN=Configuration,DC=corp,DC=example\n"
        "\n"
        "# search result\n"
        "search: 2\n"
        "result: 0 Success\n"
    )
    assert list(parse_ldif(text.splitlines(keepends=True))) == [
        ("CN=Jos\xe9,DC=corp,DC=example", {"description": ["Comptabilit\xe9".encode()], "member": [b"a", b"b"]}),
    ]


@pytest.mark.parametrize(("text", "message"), [
    ("dn: x\nobjectClass:: ###\n", "line 2: objectClass: invalid base64 value"),
    ("dn: x\njpegPhoto:< file:///etc/passwd\n", "line 2: jpegPhoto: URL values (':<') are not supported"),
    ("cn: x\n", "line 1: an entry must start with 'dn:', got 'cn:'"),
    (" folded\n", "line 1: continuation line"),
    ("dn: x\nno colon here\n", "line 2: expected 'attribute: value'"),
    ("dn: x\ndn: y\n", "line 2: a second 'dn:' inside one entry"),
    ("dn: x\nchangetype: add\n", "line 2: change records are not a directory dump"),
])
def test_bad_ldif_names_the_line(text: str, message: str) -> None:
    with pytest.raises(LdifError) as caught:
        list(parse_ldif(text.splitlines(keepends=True), origin="ad.ldif"))
    assert str(caught.value).startswith("ad.ldif, ") and message in str(caught.value)


# --------------------------------------------------------------------------------------------------
# LDIF source: a small realistic dump, membership resolved by walking `member`
# --------------------------------------------------------------------------------------------------

DOMAIN_SID = (1, 5, 21, 11, 22, 33)


def _sid(*subs: int, authority: int = 5) -> str:
    raw = bytes([1, len(subs)]) + authority.to_bytes(6, "big") + b"".join(struct.pack("<I", s) for s in subs)
    return base64.b64encode(raw).decode()


def _dsid(rid: int) -> str:
    return _sid(21, 11, 22, 33, rid)


def _ft(moment: dt.datetime) -> int:
    return int((moment - dt.datetime(1601, 1, 1, tzinfo=dt.UTC)).total_seconds() * 10_000_000)


NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def _user(cn: str, rid: int, *, uac: int = 512, logon_days: int | None = 2, pwd_days: int = 30,
          primary: int = 513, extra: str = "") -> str:
    lines = [f"dn: CN={cn},CN=Users,DC=corp,DC=example", "objectClass: top", "objectClass: person",
             "objectClass: organizationalPerson", "objectClass: user", f"sAMAccountName: {cn}",
             f"objectSid:: {_dsid(rid)}", f"userAccountControl: {uac}",
             f"pwdLastSet: {_ft(NOW - dt.timedelta(days=pwd_days))}", "whenCreated: 20230101120000.0Z",
             f"primaryGroupID: {primary}"]
    if logon_days is not None:
        lines.append(f"lastLogonTimestamp: {_ft(NOW - dt.timedelta(days=logon_days))}")
    return "\n".join(lines) + ("\n" + extra if extra else "") + "\n\n"


DUMP = (
    "dn: DC=corp,DC=example\nobjectClass: top\nobjectClass: domain\nobjectClass: domainDNS\n"
    f"objectSid:: {_sid(21, 11, 22, 33)}\nminPwdLength: 7\npwdHistoryLength: 24\nmaxPwdAge: -36288000000000\n"
    "minPwdAge: -864000000000\npwdProperties: 1\nlockoutThreshold: 0\nlockoutDuration: -18000000000\n"
    "lockOutObservationWindow: -18000000000\n\n"
    + _user("Administrator", 500, uac=66048, logon_days=1, pwd_days=900)
    + _user("Guest", 501, uac=66082, logon_days=None)
    + _user("krbtgt", 502, uac=514, logon_days=None, pwd_days=900, extra="servicePrincipalName: kadmin/changepw")
    + _user("adm.primary", 1201, primary=512)
    + _user("adm.nested", 1202, extra="servicePrincipalName: HTTP/tools.corp.example")
    + _user("stale.user", 1203, logon_days=200)
    + "dn: CN=Admins du domaine,CN=Users,DC=corp,DC=example\nobjectClass: group\ncn: Admins du domaine\n"
      f"objectSid:: {_dsid(512)}\nmember: CN=Administrator,CN=Users,DC=corp,DC=example\n"
      "member: CN=Tier0,OU=Groups,DC=corp,DC=example\n\n"
    + "dn: CN=Tier0,OU=Groups,DC=corp,DC=example\nobjectClass: group\ncn: Tier0\n"
      f"objectSid:: {_dsid(1300)}\nmember: CN=adm.nested,CN=Users,DC=corp,DC=example\n"
      "member: CN=Admins du domaine,CN=Users,DC=corp,DC=example\n\n"  # a membership cycle, on purpose
    + "dn: CN=Administrateurs,CN=Builtin,DC=corp,DC=example\nobjectClass: group\ncn: Administrateurs\n"
      f"objectSid:: {_sid(32, 544)}\nmember: CN=Admins du domaine,CN=Users,DC=corp,DC=example\n\n"
    + "dn: CN=WKS-01,CN=Computers,DC=corp,DC=example\nobjectClass: top\nobjectClass: user\nobjectClass: computer\n"
      "sAMAccountName: WKS-01$\noperatingSystem: Windows 11 Professionnel\noperatingSystemVersion: 10.0 (26100)\n"
      f"userAccountControl: 4096\nwhenCreated: 20240101120000.0Z\nprimaryGroupID: 515\n"
      f"lastLogonTimestamp: {_ft(NOW - dt.timedelta(days=3))}\nservicePrincipalName: HOST/WKS-01\n\n"
)


def test_ldif_source_builds_evidence_with_localised_group_names(tmp_path: Path) -> None:
    path = tmp_path / "corp.ldif"
    path.write_text(DUMP, encoding="utf-8")
    ev = LdifSource(path, collected_at=NOW).read()
    assert ev.domain.sid == "S-1-5-21-11-22-33" and ev.domain.dns_name == "corp.example"
    assert ev.domain.policy.max_password_age_days == 42.0 and ev.domain.policy.lockout_threshold == 0
    domain_admins = ev.group("domain_admins")
    assert domain_admins is not None and domain_admins.name == "Admins du domaine"
    assert domain_admins.nested_group_rids == (1300,)  # the cycle back to itself is not a nested group
    assert ev.group("administrators").nested_members == (  # type: ignore[union-attr]
        "CN=Administrator,CN=Users,DC=corp,DC=example", "CN=Admins du domaine,CN=Users,DC=corp,DC=example",
        "CN=Tier0,OU=Groups,DC=corp,DC=example", "CN=adm.nested,CN=Users,DC=corp,DC=example")
    assert ev.unreadable == {"fine_grained_policies": "the dump does not include the Password Settings Container"}
    results = {r.check_id.split(".", 1)[1]: r for r in evaluate(ev, AccountHygieneParameters(), NOW)}
    # Domain Admins = Administrator + adm.nested (via Tier0) + adm.primary (primaryGroupID) = 3: allowed.
    assert results["privileged_group_sprawl"].status is Status.passed
    assert results["privileged_group_sprawl"].measured == 0  # groups over their limit
    assert results["privileged_group_sprawl"].reason.en.startswith("3 privileged accounts")  # type: ignore[union-attr]
    assert [a.name for a in results["kerberoastable_privileged"].affected] == ["adm.nested"]
    assert [a.name for a in results["stale_users"].affected] == ["stale.user"]  # Guest is disabled (66082)
    assert [a.name for a in results["privileged_old_passwords"].affected] == ["Administrator"]
    assert results["krbtgt_password_age"].measured == 900
    assert results["fine_grained_policies"].status is Status.not_assessed
    assert ev.computers[0].role == "workstation"


def test_ldif_skips_managed_service_accounts(tmp_path: Path) -> None:
    gmsa = ("dn: CN=gmsa-sql,CN=Managed Service Accounts,DC=corp,DC=example\nobjectClass: top\nobjectClass: user\n"
            "objectClass: computer\nobjectClass: msDS-GroupManagedServiceAccount\nsAMAccountName: gmsa-sql$\n"
            "userAccountControl: 4096\nwhenCreated: 20240101120000.0Z\n\n")
    path = tmp_path / "gmsa.ldif"
    path.write_text(DUMP + gmsa, encoding="utf-8")
    assert [c.name for c in LdifSource(path, collected_at=NOW).read().computers] == ["WKS-01"]


def test_ldif_without_last_logon_makes_staleness_not_assessed(tmp_path: Path) -> None:
    path = tmp_path / "partial.ldif"
    path.write_text("\n".join(line for line in DUMP.splitlines() if not line.startswith("lastLogonTimestamp")) + "\n",
                    encoding="utf-8")
    ev = LdifSource(path, collected_at=NOW).read()
    assert "lastLogonTimestamp" in ev.unreadable
    results = {r.check_id.split(".", 1)[1]: r for r in evaluate(ev, AccountHygieneParameters(), NOW)}
    for name in ("stale_users", "stale_computers", "builtin_admin_in_use"):
        assert results[name].status is Status.not_assessed
        assert "lastLogonTimestamp" in results[name].reason.en
    assert results["asrep_roastable"].status is Status.passed  # what could be read is still assessed


def test_ldif_source_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nodomain.ldif"
    path.write_text(_user("someone", 1100), encoding="utf-8")
    with pytest.raises(RecordedEvidenceError, match=r"nodomain.ldif: no domain object"):
        LdifSource(path).read()
    bad = tmp_path / "bad.ldif"
    bad.write_text(DUMP.replace("userAccountControl: 4096", "userAccountControl: lots"), encoding="utf-8")
    with pytest.raises(RecordedEvidenceError, match=r"bad\.ldif: userAccountControl: expected an integer"):
        LdifSource(bad).read()
    latin = tmp_path / "latin1.ldif"
    latin.write_bytes("dn: CN=Jos\xe9\n".encode("latin-1"))
    with pytest.raises(RecordedEvidenceError, match=r"latin1\.ldif, line 0: not UTF-8 text"):
        LdifSource(latin).read()
    with pytest.raises(RecordedEvidenceError, match="cannot read file"):
        LdifSource(tmp_path / "missing.ldif").read()


# --------------------------------------------------------------------------------------------------
# Recorded JSON
# --------------------------------------------------------------------------------------------------

def test_json_round_trip(tmp_path: Path) -> None:
    ev = evidence([user("alice")], computers=[computer("WKS-1", laps="windows")])
    path = tmp_path / "ad.json"
    path.write_text(ev.model_dump_json(indent=2), encoding="utf-8")
    assert RecordedJsonSource(path).read() == ev


def test_json_errors_name_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "ad.json"
    path.write_text('{"domain": {"dns_name": "x", "base_dn": "DC=x"},\n "users": [{"dn": 3}]', encoding="utf-8")
    with pytest.raises(RecordedEvidenceError, match=r"ad.json, line 2: malformed JSON"):
        RecordedJsonSource(path).read()
    path.write_text(json.dumps({"domain": {"dns_name": "x", "base_dn": "DC=x"}, "users": [{"dn": "CN=a"}]}))
    with pytest.raises(RecordedEvidenceError, match=r"ad.json: field users.0.sam_account_name: Field required"):
        RecordedJsonSource(path).read()


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                         max_size=4), max_leaves=20)


@given(st.dictionaries(st.sampled_from(["domain", "users", "computers", "groups", "unreadable", "extra"]),
                       json_values, max_size=5))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_arbitrary_json_is_loaded_or_refused_cleanly(tmp_path: Path, document) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    try:
        RecordedJsonSource(path).read()
    except RecordedEvidenceError as exc:
        assert str(exc).startswith(str(path))
