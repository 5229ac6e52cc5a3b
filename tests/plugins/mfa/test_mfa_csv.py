"""The Entra admin center "User registration details" CSV export parser: formats, errors, properties."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor_plugins.mfa.csvexport import parse_registration_csv, read_registration_csv
from auditor_plugins.mfa.errors import RegistrationCsvError

HEADER = ("User principal name,User display name,User type,Admin,SSPR registered,SSPR enabled,SSPR capable,"
          "MFA registered,MFA capable,Passwordless capable,Methods registered,Default MFA method")

EXPORT = "\n".join([
    HEADER,
    'marie.durand@cabinet-durand.fr,Marie Durand,Member,True,True,True,True,True,True,False,'
    '"Microsoft Authenticator, Mobile phone",Microsoft Authenticator push',
    "jean.martin@cabinet-durand.fr,Jean Martin,Member,False,False,True,False,False,False,False,,",
    "x.partner@other.example,Partner,Guest,False,False,False,False,True,True,False,Mobile phone,mobilePhone",
    "", "",
])


def test_admin_center_export() -> None:
    users = parse_registration_csv(EXPORT.encode(), name="export.csv")
    assert [u.upn for u in users] == ["marie.durand@cabinet-durand.fr", "jean.martin@cabinet-durand.fr",
                                      "x.partner@other.example"]
    marie, jean, partner = users
    assert marie.is_admin is True and marie.mfa_registered is True and marie.enabled is None
    assert marie.methods == ("microsoftAuthenticatorPush", "mobilePhone")
    assert marie.default_method == "microsoftAuthenticatorPush"
    assert jean.mfa_registered is False and jean.methods == () and jean.default_method is None
    assert partner.user_type == "guest" and partner.phone_only and partner.default_method == "mobilePhone"


DOCUMENTED = "\n".join([
    # The columns and values Microsoft documents for the admin center's User registration details list.
    "User principal name,Name,MFA Capable,Passwordless Capable,SSPR Registered,SSPR Enabled,SSPR Capable,"
    "Methods registered,Last Updated Time",
    'luc.richard@cabinet-durand.fr,Luc Richard,Capable,Not Capable,Registered,Enabled,Capable,'
    '"Microsoft Authenticator app, Mobile phone",2026-11-19T22:14:05Z',
    "julie.moreau@cabinet-durand.fr,Julie Moreau,Not Capable,Not Capable,Not Registered,Enabled,Not Capable,,"
    "2026-11-19T22:14:05Z",
    'pierre.petit@cabinet-durand.fr,Pierre Petit,Capable,Capable,Registered,Enabled,Capable,'
    '"FIDO2 security key, Microsoft Passwordless phone sign-in, Certificate-based authentication, Office phone",'
    "2026-11-19T22:14:05Z",
])


def test_documented_admin_center_columns() -> None:
    luc, julie, pierre = parse_registration_csv(DOCUMENTED.encode(), name="documented.csv")
    assert (luc.display_name, luc.mfa_registered, luc.mfa_capable) == ("Luc Richard", True, True)
    assert luc.methods == ("microsoftAuthenticatorPush", "mobilePhone") and not luc.phone_only
    assert julie.mfa_registered is False and julie.methods == ()
    assert pierre.methods == ("fido2", "microsoftAuthenticatorPasswordless", "certificateBasedAuthentication",
                              "officePhone")
    assert all(u.is_admin is None and u.enabled is None and u.user_type == "member" for u in (luc, julie, pierre))


def test_french_excel_semicolon_bom_and_cp1252() -> None:
    text = ("Nom d'utilisateur principal;Nom d'affichage;Type d'utilisateur;Administrateur;"
            "Inscrit à l'authentification multifacteur;Méthodes inscrites\r\n"
            "celine.bertrand@cabinet-durand.fr;Céline Bertrand;Membre;Faux;Vrai;Téléphone mobile\r\n"
            "emilie.lambert@cabinet-durand.fr;Émilie Lambert;Invité;non;oui;\"Microsoft Authenticator; Email\"\r\n")
    for data in (b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("cp1252")):
        users = parse_registration_csv(data, name="fr.csv")
        assert [u.display_name for u in users] == ["Céline Bertrand", "Émilie Lambert"]
        assert users[0].methods == ("mobilePhone",) and users[0].mfa_registered is True
        assert users[1].user_type == "guest" and users[1].methods == ("microsoftAuthenticatorPush", "email")


def test_graph_property_names_are_accepted() -> None:
    data = "id,userPrincipalName,isAdmin,isMfaRegistered,methodsRegistered,accountEnabled\n" \
           "u1,a@x.test,false,true,fido2,false\n"
    (only,) = parse_registration_csv(data)
    assert only.id == "u1" and only.enabled is False and only.methods == ("fido2",)


def test_missing_column_names_file_and_line(tmp_path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("User principal name,Display name\na@x.test,A\n", encoding="utf-8")
    with pytest.raises(RegistrationCsvError) as info:
        read_registration_csv(path)
    assert str(info.value).startswith(f"{path}: line 1: missing column 'MFA registered' or 'MFA capable'")


def test_bad_boolean_names_line_and_column() -> None:
    data = HEADER + "\nok@x.test,Ok,Member,False,,,,True,,,,\nbad@x.test,Bad,Member,False,,,,maybe,,,,\n"
    with pytest.raises(RegistrationCsvError, match=r"^e.csv: line 3, column 'MFA registered': expected true or "
                                                   r"false .*got 'maybe'"):
        parse_registration_csv(data, name="e.csv")


def test_other_errors_are_clear(tmp_path) -> None:
    with pytest.raises(RegistrationCsvError, match="line 2, column 'User type': expected Member or Guest"):
        parse_registration_csv("User principal name,MFA registered,User type\na@x,true,Robot\n", name="f")
    with pytest.raises(RegistrationCsvError, match=r"line 3.*appears twice"):
        parse_registration_csv("User principal name,MFA registered\na@x,true\nA@X,false\n", name="f")
    with pytest.raises(RegistrationCsvError, match="line 2: only 1 column"):
        parse_registration_csv("User principal name,MFA registered\na@x\n", name="f")
    with pytest.raises(RegistrationCsvError, match="line 1: empty file"):
        parse_registration_csv(b"", name="f")
    with pytest.raises(RegistrationCsvError, match="cannot read the file"):
        read_registration_csv(tmp_path / "absent.csv")


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=30)
_row = st.fixed_dictionaries({
    "upn": st.from_regex(r"[a-z][a-z0-9.]{0,20}@[a-z]{1,10}\.(fr|com)", fullmatch=True),
    "name": _text,
    "guest": st.booleans(),
    "admin": st.sampled_from([True, False, None]),
    "registered": st.booleans(),
    "methods": st.lists(st.sampled_from(["mobilePhone", "fido2", "email", "microsoftAuthenticatorPush",
                                         "softwareOneTimePasscode", "officePhone"]), unique=True, max_size=4),
})


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_row, max_size=15, unique_by=lambda r: r["upn"]), delimiter=st.sampled_from([",", ";", "\t"]),
       bom=st.booleans(), crlf=st.booleans())
def test_round_trip(rows: list[dict], delimiter: str, bom: bool, crlf: bool) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(["User principal name", "User display name", "User type", "Admin", "MFA registered",
                     "Methods registered"])
    for r in rows:
        writer.writerow([r["upn"], r["name"], "Guest" if r["guest"] else "Member",
                         "" if r["admin"] is None else str(r["admin"]), str(r["registered"]), ", ".join(r["methods"])])
    data = ("\ufeff" if bom else "") + buffer.getvalue()
    users = parse_registration_csv(data.encode("utf-8"), name="rt.csv")
    assert [u.upn for u in users] == [r["upn"] for r in rows]
    for u, r in zip(users, rows, strict=True):
        assert u.user_type == ("guest" if r["guest"] else "member")
        assert u.is_admin is r["admin"] and u.mfa_registered is r["registered"]
        assert u.methods == tuple(r["methods"])
        assert u.display_name == r["name"].strip()


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
def test_arbitrary_input_gives_users_or_a_clear_error(data: bytes) -> None:
    try:
        users = parse_registration_csv(b"User principal name;MFA registered\n" + data, name="fuzz.csv")
    except RegistrationCsvError as exc:
        assert str(exc).startswith("fuzz.csv: ")
    else:
        assert all(u.upn and len(u.upn) <= 512 for u in users)
