"""Parser for the Entra admin center's "User registration details" CSV export.

Where it comes from: Entra admin center > Protection > Authentication methods > User registration details >
Download.  The file is what a technician can hand us when no app registration is allowed: it has one row per
user with the same facts as Graph's `userRegistrationDetails` report, under display labels.

Columns are matched by name, never by position, after normalising case, accents, spaces and punctuation,
so "User principal name", "userPrincipalName" and "USER PRINCIPAL NAME" are the same column.

Microsoft's documentation of the report (Entra docs, "Authentication Methods Activity", section "User
registration details") lists these columns: User principal name, Name, MFA Capable (Capable / Not Capable),
Passwordless Capable, SSPR Registered (Registered / Not Registered), SSPR Enabled (Enabled / Not Enabled),
SSPR Capable, Methods registered (Alternate Mobile Phone, Certificate-based authentication, Email, FIDO2
security key, Hardware OATH token, Microsoft Authenticator app, Microsoft Passwordless phone sign-in, Mobile
phone, Office phone, Security questions, Software OATH token, Temporary Access Pass, Windows Hello for
Business) and Last Updated Time.  Newer portals add columns such as User type, Admin, MFA registered and
Default MFA method; they are used when present.  Recognised columns (Graph property names accepted too):

=====================  ==============================================  ==========================
field                  accepted headers                                required
=====================  ==============================================  ==========================
upn                    User principal name, userPrincipalName, UPN     yes
mfa_registered         MFA registered, isMfaRegistered                 this or MFA capable
mfa_capable            MFA capable, isMfaCapable                       this or MFA registered
display_name           Name, User display name, Display name           no
id                     Id, Object ID, User ID                          no
user_type              User type, userType (Member/Guest)              no (member)
is_admin               Admin, Is admin, isAdmin                        no (unknown)
methods                Methods registered, methodsRegistered           no
default_method         Default MFA method, defaultMfaMethod,           no
                       userPreferredMethodForSecondaryAuthentication
enabled                Account enabled, accountEnabled                 no (unknown)
=====================  ==============================================  ==========================

When the export has "MFA Capable" but no "MFA registered", capability stands for registration (a user
registered with a method the policy does not allow counts as not registered: the stricter reading).
Booleans may be True/False, Yes/No, Capable/Not Capable, Registered/Not Registered, Enabled/Not Enabled,
or their French forms (Vrai/Faux, Oui/Non).  French admin center labels for the columns are accepted as
well (see `_ALIASES`; they are best guesses, not checked against a French export).  The export does not
carry the account's enabled state, so "disabled users are not counted" cannot be applied to it; the checks
say so.  Excel re-saves such files in the French locale with `;` as delimiter, in Windows-1252, sometimes
with a UTF-8 BOM: all are accepted.  Any problem raises `RegistrationCsvError` naming the file, the line
and the column, never a traceback.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

from pydantic import ValidationError

from auditor_plugins.mfa.errors import RegistrationCsvError
from auditor_plugins.mfa.evidence import M365User

#: Refuse absurd files early: an SMB tenant has hundreds of users, the biggest thousands.
MAX_ROWS = 200_000
MAX_BYTES = 100 * 1024 * 1024


def _norm(label: str) -> str:
    """Header key: accents, case, spaces and punctuation removed ("Méthodes inscrites" -> "methodesinscrites")."""
    text = unicodedata.normalize("NFKD", label.replace("\ufeff", ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]", "", text.lower())


_ALIASES: dict[str, tuple[str, ...]] = {
    "upn": ("User principal name", "userPrincipalName", "UPN", "Nom d'utilisateur principal"),
    "mfa_registered": ("MFA registered", "isMfaRegistered", "Multifactor authentication registered",
                       "Inscrit à l'authentification multifacteur", "Inscrit MFA", "MFA inscrit"),
    "display_name": ("User display name", "userDisplayName", "Display name", "Name", "Nom d'affichage",
                     "Nom"),
    "id": ("Id", "Object ID", "ObjectId", "User ID", "userId", "ID d'objet"),
    "user_type": ("User type", "userType", "Type d'utilisateur"),
    "is_admin": ("Admin", "Is admin", "isAdmin", "Administrateur"),
    "mfa_capable": ("MFA capable", "isMfaCapable", "Multifactor authentication capable", "Compatible MFA",
                    "Capable MFA"),
    "methods": ("Methods registered", "methodsRegistered", "Registered methods", "Méthodes inscrites",
                "Méthodes enregistrées"),
    "default_method": ("Default MFA method", "defaultMfaMethod", "userPreferredMethodForSecondaryAuthentication",
                       "Méthode MFA par défaut"),
    "enabled": ("Account enabled", "accountEnabled", "Compte activé"),
}
_HEADER_TO_FIELD = {_norm(alias): field for field, aliases in _ALIASES.items() for alias in aliases}
_TRUE = {_norm(v) for v in ("true", "yes", "1", "vrai", "oui", "y", "capable", "registered", "enabled",
                             "compatible", "inscrit", "active")}
_FALSE = {_norm(v) for v in ("false", "no", "0", "faux", "non", "n", "not capable", "not registered", "not enabled",
                              "non capable", "non compatible", "non inscrit", "non active", "incapable")}

#: Admin center display labels and Graph names of authentication methods -> Graph `methodsRegistered` names.
_METHOD_NAMES: dict[str, str] = {
    _norm(label): name
    for name, labels in {
        "mobilePhone": ("mobilePhone", "Mobile phone", "Phone", "SMS", "Text message", "Voice call",
                        "Téléphone mobile", "Téléphone"),
        "alternateMobilePhone": ("alternateMobilePhone", "Alternate mobile phone", "Autre téléphone mobile"),
        "officePhone": ("officePhone", "Office phone", "Téléphone de bureau"),
        "microsoftAuthenticatorPush": ("microsoftAuthenticatorPush", "Microsoft Authenticator",
                                       "Microsoft Authenticator app", "Authenticator app",
                                       "Microsoft Authenticator push", "push"),
        "microsoftAuthenticatorPasswordless": ("microsoftAuthenticatorPasswordless",
                                               "Microsoft Authenticator passwordless",
                                               "Passwordless Microsoft Authenticator",
                                               "Microsoft Passwordless phone sign-in"),
        "certificateBasedAuthentication": ("certificateBasedAuthentication", "Certificate-based authentication",
                                           "Authentification par certificat"),
        "softwareOneTimePasscode": ("softwareOneTimePasscode", "Software OATH token", "Software one-time passcode",
                                    "OATH software token", "oath"),
        "hardwareOneTimePasscode": ("hardwareOneTimePasscode", "Hardware OATH token",
                                    "Hardware one-time passcode"),
        "fido2": ("fido2", "FIDO2 security key", "FIDO2", "Security key", "Clé de sécurité FIDO2"),
        "passKeyDeviceBound": ("passKeyDeviceBound", "Passkey", "Passkey (device-bound)", "Clé d'accès"),
        "passKeyDeviceBoundAuthenticator": ("passKeyDeviceBoundAuthenticator", "Passkey in Microsoft Authenticator"),
        "windowsHelloForBusiness": ("windowsHelloForBusiness", "Windows Hello for Business",
                                    "Windows Hello Entreprise"),
        "macOsSecureEnclaveKey": ("macOsSecureEnclaveKey", "macOS Platform Credential"),
        "email": ("email", "Email", "E-mail", "Courrier électronique", "Adresse e-mail"),
        "securityQuestion": ("securityQuestion", "Security questions", "Security question",
                             "Questions de sécurité"),
        "temporaryAccessPass": ("temporaryAccessPass", "Temporary Access Pass", "Passe d'accès temporaire"),
    }.items()
    for label in labels
}


def normalise_method(label: str) -> str:
    """Map an admin center label or Graph name to the Graph vocabulary; unknown labels are kept (bounded)."""
    return _METHOD_NAMES.get(_norm(label), label.strip()[:128])


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise RegistrationCsvError(f"{name}: not readable text (UTF-16 with invalid bytes)") from None
    # Excel's "CSV (séparateur : point-virgule)" writes Windows-1252; it maps nearly every byte.
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        raise RegistrationCsvError(f"{name}: not a text file (neither UTF-8 nor Windows-1252)") from None


def _delimiter(header_line: str) -> str:
    """Pick the delimiter of the header line: ',' (admin center), ';' (French Excel) or tab."""
    counts = {d: 0 for d in (",", ";", "\t")}
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _bool(value: str, *, name: str, line: int, column: str, required: bool) -> bool | None:
    key = _norm(value)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    if not key and not required:
        return None
    shown = value if len(value) <= 40 else value[:37] + "..."
    raise RegistrationCsvError(
        f"{name}: line {line}, column '{column}': expected true or false (or yes/no, capable/not capable, "
        f"vrai/faux), got '{shown}'"
    )


def _methods(value: str) -> tuple[str, ...]:
    parts = re.split(r"[,;|]", value)
    seen: list[str] = []
    for part in parts:
        if part.strip():
            method = normalise_method(part)
            if method not in seen:
                seen.append(method)
    return tuple(seen[:64])


def parse_registration_csv(data: bytes | str, *, name: str = "registration CSV") -> list[M365User]:
    """Parse the admin center export into users; `name` (the file name) appears in every error message."""
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise RegistrationCsvError(f"{name}: file is larger than {MAX_BYTES // (1024 * 1024)} MB")
        text = _decode(data, name)
    else:
        text = data.removeprefix("\ufeff")
    if "\x00" in text:
        raise RegistrationCsvError(f"{name}: contains NUL bytes; this is not a CSV text file")
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise RegistrationCsvError(f"{name}: line 1: empty file or empty header line; expected the column names "
                                   f"of the User registration details export")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise RegistrationCsvError(f"{name}: line 1: malformed CSV header ({exc})") from None
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, label in enumerate(header):
        field = _HEADER_TO_FIELD.get(_norm(label))
        if field and field not in columns:
            columns[field] = index
            labels[field] = label.strip().replace("\ufeff", "")[:60]
    missing = [f"'{_ALIASES['upn'][0]}'"] if "upn" not in columns else []
    if "mfa_registered" not in columns and "mfa_capable" not in columns:
        missing.append(f"'{_ALIASES['mfa_registered'][0]}' or '{_ALIASES['mfa_capable'][0]}'")
    if missing:
        raise RegistrationCsvError(
            f"{name}: line 1: missing column {' and '.join(missing)}; is this the Entra admin center export of "
            f"Authentication methods > User registration details?"
        )
    registered_field = "mfa_registered" if "mfa_registered" in columns else "mfa_capable"
    users: list[M365User] = []
    seen_upns: set[str] = set()
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise RegistrationCsvError(f"{name}: line {reader.line_num}: malformed CSV ({exc})") from None
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(users) >= MAX_ROWS:
            raise RegistrationCsvError(f"{name}: more than {MAX_ROWS} users; refusing to read further")

        def cell(field: str, row: list[str] = row) -> str:
            index = columns.get(field)
            return row[index] if index is not None and index < len(row) else ""

        if columns["upn"] >= len(row) or columns[registered_field] >= len(row):
            raise RegistrationCsvError(
                f"{name}: line {line}: only {len(row)} column(s) where the header has {len(header)}; "
                f"check the delimiter and quoting"
            )
        upn = cell("upn").strip()
        if not upn:
            raise RegistrationCsvError(f"{name}: line {line}, column '{labels['upn']}': empty user principal name")
        if upn.lower() in seen_upns:
            raise RegistrationCsvError(f"{name}: line {line}, column '{labels['upn']}': user '{upn[:80]}' "
                                       f"appears twice")
        seen_upns.add(upn.lower())
        user_type_raw = cell("user_type").strip().lower()
        if user_type_raw in ("", "member", "membre"):
            user_type = "member"
        elif user_type_raw in ("guest", "invité", "invite"):
            user_type = "guest"
        else:
            raise RegistrationCsvError(f"{name}: line {line}, column '{labels['user_type']}': expected Member or "
                                       f"Guest, got '{cell('user_type')[:40]}'")
        default = cell("default_method").strip()
        try:
            users.append(M365User(
                id=cell("id").strip(),
                upn=upn,
                display_name=cell("display_name").strip(),
                user_type=user_type,
                enabled=_bool(cell("enabled"), name=name, line=line, column=labels.get("enabled", ""),
                              required=False),
                is_admin=_bool(cell("is_admin"), name=name, line=line, column=labels.get("is_admin", ""),
                               required=False),
                mfa_registered=_bool(cell(registered_field), name=name, line=line,
                                     column=labels[registered_field], required=True),
                mfa_capable=_bool(cell("mfa_capable"), name=name, line=line, column=labels.get("mfa_capable", ""),
                                  required=False),
                methods=_methods(cell("methods")),
                default_method=normalise_method(default) if default and default.lower() != "none" else None,
            ))
        except ValidationError as exc:  # pragma: no cover - every field is converted above
            first = exc.errors(include_url=False)[0]
            raise RegistrationCsvError(f"{name}: line {line}: {'.'.join(map(str, first['loc']))}: "
                                       f"{first['msg']}") from None
    return users


def read_registration_csv(path: Path) -> list[M365User]:
    """Read and parse an export file; a missing or unreadable file is a clear error too."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RegistrationCsvError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    return parse_registration_csv(data, name=str(path))
