"""Where account-hygiene evidence comes from: live LDAP, the plugin's own JSON, or an ldapsearch LDIF dump.

All three implement :class:`DirectorySource` (``read() -> AdEvidence``) and fail with a subclass of
:class:`DirectorySourceError`, so ``auditor_collect`` only picks a class and reports errors.

The live source is strictly read-only (bind + searches).  It uses LDAPS with certificate validation by
default (StartTLS on request), a simple bind with a UPN or DN (ldap3's NTLM needs MD4, which OpenSSL 3
lacks), paged searches of 1,000 entries requesting only the attributes the checks need, and converts each
entry as it arrives (ldap3's paged-search generator), so memory grows with the evidence, not with the
LDAP traffic.  Privileged groups are found by well-known SID and their members resolved transitively
with LDAP_MATCHING_RULE_IN_CHAIN; the password is never put in a message, a log or the evidence.
"""

from __future__ import annotations

import abc
import datetime as dt
import json
import logging
import ssl
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from auditor.errors import SourceError
from auditor.models import bound_text, utcnow
from auditor_plugins.account_hygiene.convert import (
    COMPUTER_ATTRIBUTES,
    DOMAIN_ATTRIBUTES,
    GROUP_ATTRIBUTES,
    PSO_ATTRIBUTES,
    USER_ATTRIBUTES,
    DecodeError,
    EvidenceBuilder,
    dns_name_of,
    lower_keys,
    policy_from,
    pso_from,
    rid_of,
    sid,
    text,
    well_known_sids,
)
from auditor_plugins.account_hygiene.evidence import (
    LAPS_LEGACY_ATTRIBUTE,
    LAPS_WINDOWS_ATTRIBUTE,
    AdEvidence,
    AdGroup,
    DomainInfo,
    PasswordSettings,
)
from auditor_plugins.account_hygiene.ldif import LdifError, read_ldif_file

log = logging.getLogger(__name__)

AD_CAPABILITY_OID = "1.2.840.113556.1.4.800"
#: Computers, without (group) managed service accounts: they derive from computer but are not machines.
COMPUTER_FILTER = ("(&(objectClass=computer)(!(objectClass=msDS-GroupManagedServiceAccount))"
                   "(!(objectClass=msDS-ManagedServiceAccount)))")
MANAGED_SERVICE_CLASSES = {"msds-groupmanagedserviceaccount", "msds-managedserviceaccount"}
PAGED_RESULTS_OID = "1.2.840.113556.1.4.319"
IN_CHAIN_RULE = "1.2.840.113556.1.4.1941"


class DirectorySourceError(SourceError):
    """Root of every failure to read the directory (live or recorded)."""


class DirectoryConnectError(DirectorySourceError):
    """The server could not be reached (refused, unreachable, timed out)."""


class DirectoryTlsError(DirectorySourceError):
    """The TLS handshake failed: untrusted certificate, name mismatch, StartTLS refused."""


class DirectoryBindError(DirectorySourceError):
    """The server refused the credentials."""


class NotActiveDirectoryError(DirectorySourceError):
    """The server answers LDAP but is not Active Directory (or the base DN is not a domain)."""


class DirectoryPagingError(DirectorySourceError):
    """The server does not page results, so the directory cannot be read completely."""


class DirectorySearchError(DirectorySourceError):
    """A search failed for another reason (permissions, timeout, malformed data)."""


class RecordedEvidenceError(DirectorySourceError):
    """A recorded JSON or LDIF file is unreadable or malformed (the message names file and place)."""


class DirectorySource(abc.ABC):
    """Reads the directory once and returns the evidence."""

    @abc.abstractmethod
    def read(self) -> AdEvidence:
        """Read everything the checks need; raise a DirectorySourceError subclass on failure."""

    @abc.abstractmethod
    def describe(self) -> str:
        """One line for the report's provenance section."""


# ------------------------------------------------------------------------------------------------
# Live LDAP
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LdapOptions:
    """Connection settings of the live source (already validated and resolved by the plugin)."""

    server: str
    bind_user: str
    password: str = field(repr=False)
    transport: str = "ldaps"  # or "starttls"
    port: int | None = None
    ca_file: str | None = None
    validate_certificate: bool = True
    base_dn: str | None = None
    page_size: int = 1000
    timeout_seconds: float = 30.0
    #: How long one page (or one in-chain group search) may take on a large or busy DC.
    search_timeout_seconds: float = 120.0

    @property
    def effective_port(self) -> int:
        return self.port or (636 if self.transport == "ldaps" else 389)


class LiveLdapSource(DirectorySource):
    """Active Directory over LDAP with ldap3 (read-only)."""

    def __init__(self, options: LdapOptions, *, cancelled: threading.Event | None = None,
                 progress: Callable[[str], None] | None = None) -> None:
        self.options = options
        self.cancelled = cancelled or threading.Event()
        self.progress = progress or (lambda _text: None)

    def describe(self) -> str:
        return f"{self.options.transport}://{self.options.server}:{self.options.effective_port}"

    # -- connection --------------------------------------------------------------------------------
    def _connect(self):  # type: ignore[no-untyped-def]
        import ldap3
        from ldap3.core import exceptions as lx

        o = self.options
        if o.validate_certificate and o.ca_file and not Path(o.ca_file).is_file():
            raise DirectoryTlsError(f"CA file {o.ca_file} not found (setting ca_file)")
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED if o.validate_certificate else ssl.CERT_NONE,
            ca_certs_file=o.ca_file if o.validate_certificate else None,
        )
        server = ldap3.Server(o.server, port=o.effective_port, use_ssl=o.transport == "ldaps", tls=tls,
                              get_info=ldap3.NONE, connect_timeout=o.timeout_seconds)
        where = self.describe()
        connection = ldap3.Connection(server, user=o.bind_user, password=o.password, read_only=True,
                                      raise_exceptions=True, receive_timeout=max(1, int(o.search_timeout_seconds)),
                                      auto_referrals=False, return_empty_attributes=False, check_names=False)
        _lean_entries(connection)
        try:
            connection.open()
            if o.transport == "starttls":
                connection.start_tls()
            connection.bind()
        except lx.LDAPInvalidCredentialsResult as exc:
            raise DirectoryBindError(
                f"{where}: the server refused the credentials of '{o.bind_user}' "
                f"({self._ad_reason(exc)}); check the account name (UPN or DN) and its password reference"
            ) from None
        except lx.LDAPStartTLSError as exc:
            raise DirectoryTlsError(f"{where}: StartTLS failed: {self._tls_reason(exc)}") from None
        except lx.LDAPSocketOpenError as exc:
            message = str(exc)
            if "ssl" in message.lower() or "certificate" in message.lower():
                raise DirectoryTlsError(f"{where}: TLS handshake failed: {self._tls_reason(exc)}") from None
            raise DirectoryConnectError(f"{where}: cannot connect ({bound_text(message, 200)})") from None
        except lx.LDAPSocketReceiveError as exc:
            raise DirectoryConnectError(f"{where}: no answer from the server ({bound_text(str(exc), 200)})") from None
        except lx.LDAPStrongerAuthRequiredResult:
            raise DirectoryTlsError(f"{where}: the server requires TLS for this bind") from None
        except lx.LDAPException as exc:
            raise DirectoryBindError(f"{where}: bind failed: {type(exc).__name__}") from None
        return connection

    @staticmethod
    def _ad_reason(exc: Exception) -> str:
        message = str(getattr(exc, "message", "") or "")
        codes = {"52e": "wrong password", "525": "no such user", "530": "logon not permitted at this time",
                 "531": "logon not permitted from this workstation", "532": "password expired",
                 "533": "account disabled", "701": "account expired", "773": "password must be changed",
                 "775": "account locked out"}
        for code, meaning in codes.items():
            if f"data {code}" in message:
                return meaning
        return "invalid credentials"

    @staticmethod
    def _tls_reason(exc: Exception) -> str:
        message = str(exc)
        lowered = message.lower()
        if "doesn't match" in lowered or "hostname" in lowered:
            return ("the certificate does not name this server; connect with the name the certificate carries "
                    "(usually the DC's FQDN)")
        if "certificate verify failed" in lowered or "unable to get local issuer" in lowered \
                or "self signed" in lowered or "self-signed" in lowered:
            return "the certificate is not trusted; give the issuing CA with ca_file"
        if "wrong version number" in lowered or "eof" in lowered or "unexpected" in lowered:
            return "the server did not speak TLS on this port (LDAPS is 636; use transport = 'starttls' on 389)"
        return bound_text(message.split("certificate {", 1)[0], 200)

    # -- searches ----------------------------------------------------------------------------------
    def _search(self, connection, base: str, search_filter: str, attributes: tuple[str, ...],  # type: ignore[no-untyped-def]
                scope: str = "SUBTREE", what: str = "objects") -> Iterator[tuple[str, dict[str, list[bytes]]]]:
        """Paged search yielding (dn, lower-cased raw attributes); never the whole result list at once."""
        from ldap3.core import exceptions as lx

        count = 0
        try:
            if scope == "BASE":
                connection.search(base, search_filter, search_scope="BASE", attributes=list(attributes))
                results = connection.response or []
            else:
                results = connection.extend.standard.paged_search(
                    base, search_filter, search_scope=scope, attributes=list(attributes),
                    paged_size=self.options.page_size, generator=True)
            for item in results:
                if item.get("type") != "searchResEntry":
                    continue
                count += 1
                if count % self.options.page_size == 0:
                    if self.cancelled.is_set():
                        raise DirectorySearchError(f"{self.describe()}: collection cancelled (timeout)")
                    self.progress(f"{count} {what} read")
                yield item["dn"], lower_keys(item["raw_attributes"])
        except lx.LDAPSizeLimitExceededResult:
            raise DirectoryPagingError(
                f"{self.describe()}: the server returned 'size limit exceeded' while paging {what}: it does not "
                "honour the paged-results control, so the directory cannot be read completely") from None
        except lx.LDAPNoSuchObjectResult:
            return
        except lx.LDAPInsufficientAccessRightsResult:
            raise DirectorySearchError(f"{self.describe()}: this account may not read {what} under {base}") from None
        except (lx.LDAPSocketReceiveError, lx.LDAPSessionTerminatedByServerError, lx.LDAPSocketSendError):
            raise DirectoryConnectError(f"{self.describe()}: connection lost while reading {what}") from None
        except lx.LDAPException as exc:
            raise DirectorySearchError(f"{self.describe()}: search for {what} failed: "
                                       f"{bound_text(str(exc), 200)}") from None
        except DecodeError as exc:
            raise DirectorySearchError(f"{self.describe()}: unexpected value while reading {what}: {exc}") from None

    def read(self) -> AdEvidence:
        connection = self._connect()
        try:
            return self._read(connection)
        finally:
            try:
                connection.unbind()
            except Exception:
                log.debug("unbind failed", exc_info=True)

    def _read(self, connection) -> AdEvidence:  # type: ignore[no-untyped-def]
        started = utcnow()
        root = dict(next(self._search(connection, "", "(objectClass=*)", (
            "defaultNamingContext", "schemaNamingContext", "supportedCapabilities", "supportedControl",
            "dnsHostName", "domainFunctionality"), scope="BASE", what="the RootDSE"), ("", {}))[1])
        capabilities = {v.decode(errors="replace") for v in root.get("supportedcapabilities", [])}
        if AD_CAPABILITY_OID not in capabilities:
            raise NotActiveDirectoryError(
                f"{self.describe()}: the server is not Active Directory (its RootDSE does not announce the AD "
                f"capability {AD_CAPABILITY_OID}); account hygiene checks need an AD domain controller")
        controls = {v.decode(errors="replace") for v in root.get("supportedcontrol", [])}
        if controls and PAGED_RESULTS_OID not in controls:
            raise DirectoryPagingError(f"{self.describe()}: the server does not support paged results")
        base = self.options.base_dn or text(root, "defaultNamingContext")
        if not base:
            raise NotActiveDirectoryError(f"{self.describe()}: no base DN given and the RootDSE has no "
                                          "defaultNamingContext")
        schema_nc = text(root, "schemaNamingContext")

        domain_entry = next(self._search(connection, base, "(objectClass=domainDNS)", DOMAIN_ATTRIBUTES,
                                         scope="BASE", what="the domain object"), None)
        if domain_entry is None:
            raise NotActiveDirectoryError(
                f"{self.describe()}: '{bound_text(base, 200)}' is not the head of an AD domain (no domainDNS "
                "object there); leave base_dn empty to use the server's default naming context")
        domain_attrs = domain_entry[1]
        domain_sid = sid(domain_attrs)
        domain = DomainInfo(dns_name=dns_name_of(base), base_dn=base, sid=domain_sid,
                            netbios_name=None, functional_level=_int(domain_attrs, "msds-behavior-version"),
                            policy=policy_from(domain_attrs))

        laps_legacy = laps_windows = None
        if schema_nc:
            names = set()
            for _dn, attrs in self._search(
                    connection, schema_nc,
                    f"(|(lDAPDisplayName={LAPS_LEGACY_ATTRIBUTE})(lDAPDisplayName={LAPS_WINDOWS_ATTRIBUTE}))",
                    ("lDAPDisplayName",), scope="LEVEL", what="LAPS schema attributes"):
                names.add((text(attrs, "lDAPDisplayName") or "").lower())
            laps_legacy = LAPS_LEGACY_ATTRIBUTE.lower() in names
            laps_windows = LAPS_WINDOWS_ATTRIBUTE.lower() in names

        builder = EvidenceBuilder()
        computer_attributes = COMPUTER_ATTRIBUTES + tuple(
            name for name, present in ((LAPS_LEGACY_ATTRIBUTE, laps_legacy), (LAPS_WINDOWS_ATTRIBUTE, laps_windows))
            if present)
        # Users are read on a second connection while this one reads computers, groups and policies: the
        # client decodes one stream while the DC produces the other (a quarter less wall time on 12,000
        # objects).  Both loops check for cancellation; an error on either side is raised here.
        abort = threading.Event()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ldap-users") as pool:
            users = pool.submit(self._read_users, base, builder, abort)
            try:
                self.progress("reading computers")
                for dn, attrs in self._search(connection, base, COMPUTER_FILTER, computer_attributes,
                                              what="computers"):
                    builder.add_computer(dn, attrs)
                self.progress("resolving privileged groups")
                groups = self._groups(connection, base, domain_sid)
                password_settings = self._password_settings(connection, base, builder)
            except BaseException:
                abort.set()
                raise
            users.result()

        return builder.finish(domain=domain, groups=groups, password_settings=password_settings,
                              laps_legacy_schema=laps_legacy, laps_windows_schema=laps_windows,
                              collected_at=started, source=self.options.server)

    def _read_users(self, base: str, builder: EvidenceBuilder, abort: threading.Event) -> None:
        """All user objects (computers excluded), on a connection of their own."""
        connection = self._connect()
        try:
            self.progress("reading users")
            for dn, attrs in self._search(connection, base, "(&(objectClass=user)(!(objectClass=computer)))",
                                          USER_ATTRIBUTES, what="users"):
                if abort.is_set():
                    return
                builder.add_user(dn, attrs)
        finally:
            try:
                connection.unbind()
            except Exception:
                log.debug("unbind failed", exc_info=True)

    def _groups(self, connection, base: str, domain_sid: str | None) -> list[AdGroup]:  # type: ignore[no-untyped-def]
        """Privileged groups by well-known SID; transitive members via the in-chain matching rule.

        The in-chain rule is applied to *groups only* (``objectClass=group`` narrows the candidates the
        server must expand, which matters on large directories and on Samba): the nested groups of G are
        found, and G's transitive members are the ``member`` values of G and of those nested groups.
        """
        from ldap3.utils.conv import escape_filter_chars

        keys = well_known_sids(domain_sid)
        found: list[tuple[str, str, str, dict[str, list[bytes]]]] = []
        search_filter = "(&(objectClass=group)(|" + "".join(f"(objectSid={s})" for s in keys) + "))"
        for dn, attrs in self._search(connection, base, search_filter, GROUP_ATTRIBUTES, what="privileged groups"):
            group_sid = sid(attrs)
            if group_sid in keys:
                found.append((keys[group_sid], dn, group_sid, attrs))
        groups: list[AdGroup] = []
        for key, dn, group_sid, attrs in found:
            direct = [v.decode("utf-8", errors="replace") for v in attrs.get("member", [])]
            nested: dict[str, str] = {member.lower(): member for member in direct}
            nested_rids: set[int] = set()
            chain = f"(&(objectClass=group)(memberOf:{IN_CHAIN_RULE}:={escape_filter_chars(dn)}))"
            for group_dn, group_attrs in self._search(connection, base, chain, ("objectSid", "member"),
                                                      what=f"groups nested in {key}"):
                nested.setdefault(group_dn.lower(), group_dn)
                for value in group_attrs.get("member", []):
                    member = value.decode("utf-8", errors="replace")
                    nested.setdefault(member.lower(), member)
                member_sid = sid(group_attrs)
                if member_sid and domain_sid and member_sid.startswith(domain_sid + "-") and member_sid != group_sid:
                    rid = rid_of(member_sid)
                    if rid is not None:
                        nested_rids.add(rid)
            groups.append(AdGroup(
                key=key, dn=dn, name=text(attrs, "cn") or key, sid=group_sid,  # type: ignore[arg-type]
                direct_members=tuple(sorted(direct)), nested_members=tuple(sorted(nested.values())),
                nested_group_rids=tuple(sorted(nested_rids)),
            ))
        return groups

    def _password_settings(self, connection, base: str, builder: EvidenceBuilder) -> list[PasswordSettings]:  # type: ignore[no-untyped-def]
        container = f"CN=Password Settings Container,CN=System,{base}"
        head = next(self._search(connection, container, "(objectClass=*)", ("objectClass",), scope="BASE",
                                 what="the Password Settings Container"), None)
        if head is None or "objectclass" not in head[1]:
            builder.unreadable["fine_grained_policies"] = (
                "the Password Settings Container is not readable by this account (by default only Domain "
                "Admins can read fine-grained password policies)")
            return []
        result = []
        for dn, attrs in self._search(connection, container, "(objectClass=msDS-PasswordSettings)", PSO_ATTRIBUTES,
                                      scope="LEVEL", what="fine-grained password policies"):
            if "msds-minimumpasswordlength" not in attrs and "msds-lockoutthreshold" not in attrs:
                builder.unreadable["fine_grained_policies"] = (
                    f"the settings of {bound_text(dn.split(',', 1)[0], 100)} are not readable by this account "
                    "(by default only Domain Admins can read fine-grained password policies)")
                continue
            result.append(pso_from(dn, attrs))
        return result


def _lean_entries(connection) -> None:  # type: ignore[no-untyped-def]
    """Decode search entries into (dn, raw attribute bytes) only, on this connection.

    ldap3 turns every entry into a case-insensitive dict of raw values *and* a second dict of decoded
    strings; we only ever use the raw bytes, and the duplicate work doubled the client's CPU time on a
    12,000-object directory.  The override is per connection (no global patching) and falls back to
    ldap3's own decoder for every other message type, or entirely if this ldap3 lacks the hook.
    """
    strategy = connection.strategy
    original = getattr(strategy, "decode_response_fast", None)
    if original is None:  # pragma: no cover - other ldap3 versions: keep the library's behaviour
        return

    def decode(ldap_message):  # type: ignore[no-untyped-def]
        if ldap_message.get("protocolOp") != 4:  # not a searchResEntry
            return original(ldap_message)
        payload = ldap_message["payload"]
        attributes: dict[str, list[bytes]] = {}
        for attribute in payload[1][3]:
            name = bytes(attribute[3][0][3]).decode("utf-8", errors="replace").lower()
            attributes[name] = [bytes(value[3]) for value in attribute[3][1][3]]
        return {"type": "searchResEntry", "dn": bytes(payload[0][3]).decode("utf-8", errors="replace"),
                "raw_dn": bytes(payload[0][3]), "raw_attributes": attributes, "attributes": {}}

    strategy.decode_response_fast = decode


def _int(attrs: dict[str, list[bytes]], key: str) -> int | None:
    values = attrs.get(key)
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------------
# Recorded sources
# ------------------------------------------------------------------------------------------------


class RecordedJsonSource(DirectorySource):
    """The plugin's own evidence format (what a bundle stores), e.g. the demo client's ad.json."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return f"recorded evidence {self.path.name}"

    def read(self) -> AdEvidence:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RecordedEvidenceError(f"{self.path}: file not found") from None
        except OSError as exc:
            raise RecordedEvidenceError(f"{self.path}: cannot read file: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise RecordedEvidenceError(f"{self.path}: not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise RecordedEvidenceError(f"{self.path}, line {exc.lineno}: malformed JSON: {exc.msg}") from None
        try:
            return AdEvidence.model_validate(data)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "(top level)"
            more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
            raise RecordedEvidenceError(f"{self.path}: field {where}: {first['msg']}{more}") from None


class LdifSource(DirectorySource):
    """An ``ldapsearch`` dump of the domain (users, computers, groups, domain head, optionally PSOs).

    Nested group membership is resolved by walking ``member`` over the groups in the dump; the dump
    carries no RootDSE, so the domain is the entry with objectClass domainDNS.  ``collected_at`` is the
    file's modification time unless given.
    """

    def __init__(self, path: Path, collected_at: dt.datetime | None = None) -> None:
        self.path = path
        self.collected_at = collected_at

    def describe(self) -> str:
        return f"LDIF dump {self.path.name}"

    def read(self) -> AdEvidence:
        builder = EvidenceBuilder()
        domain_entry: tuple[str, dict[str, list[bytes]]] | None = None
        groups: dict[str, tuple[str | None, str | None, list[str]]] = {}  # dn lower -> (dn? sid, cn, members)
        group_dns: dict[str, str] = {}
        psos: list[PasswordSettings] = []
        schema_names: set[str] = set()
        pso_container = False
        try:
            for dn, attrs in read_ldif_file(self.path):
                if dn.lower().startswith("cn=password settings container,"):
                    pso_container = True
                classes = {v.decode("utf-8", errors="replace").lower() for v in attrs.get("objectclass", [])}
                if "domaindns" in classes:
                    domain_entry = (dn, attrs)
                elif "computer" in classes:
                    if not classes & MANAGED_SERVICE_CLASSES:
                        builder.add_computer(dn, attrs)
                elif "user" in classes:
                    builder.add_user(dn, attrs)
                elif "group" in classes:
                    groups[dn.lower()] = (sid(attrs), text(attrs, "cn"),
                                          [v.decode("utf-8", errors="replace") for v in attrs.get("member", [])])
                    group_dns[dn.lower()] = dn
                elif "msds-passwordsettings" in classes:
                    psos.append(pso_from(dn, attrs))
                elif "attributeschema" in classes:
                    schema_names.add((text(attrs, "lDAPDisplayName") or "").lower())
        except LdifError as exc:
            raise RecordedEvidenceError(str(exc)) from None
        except (DecodeError, ValidationError) as exc:
            raise RecordedEvidenceError(f"{self.path}: {_first_problem(exc)}") from None
        if domain_entry is None:
            raise RecordedEvidenceError(
                f"{self.path}: no domain object (objectClass: domainDNS) in the dump; include the domain head "
                "(e.g. ldapsearch -b 'DC=corp,DC=example' with scope sub)")
        base, domain_attrs = domain_entry
        domain_sid = sid(domain_attrs)
        domain = DomainInfo(dns_name=dns_name_of(base), base_dn=base, sid=domain_sid,
                            functional_level=_int(domain_attrs, "msds-behavior-version"),
                            policy=policy_from(domain_attrs))
        keys = well_known_sids(domain_sid)
        resolved: list[AdGroup] = []
        for dn_lower, (group_sid, name, members) in groups.items():
            if group_sid not in keys:
                continue
            nested, rids = _walk(dn_lower, groups, domain_sid)
            resolved.append(AdGroup(key=keys[group_sid], dn=group_dns[dn_lower], name=name or keys[group_sid],  # type: ignore[arg-type]
                                    sid=group_sid, direct_members=tuple(sorted(members)),
                                    nested_members=tuple(sorted(nested)), nested_group_rids=tuple(sorted(rids))))
        if not pso_container and not psos:
            builder.unreadable.setdefault("fine_grained_policies", "the dump does not include the Password "
                                                                   "Settings Container")
        mtime = dt.datetime.fromtimestamp(self.path.stat().st_mtime, dt.UTC).replace(microsecond=0)
        return builder.finish(
            domain=domain, groups=resolved, password_settings=psos,
            laps_legacy_schema=(LAPS_LEGACY_ATTRIBUTE.lower() in schema_names) if schema_names else None,
            laps_windows_schema=(LAPS_WINDOWS_ATTRIBUTE.lower() in schema_names) if schema_names else None,
            collected_at=self.collected_at or mtime, source=self.path.name)


def _walk(start: str, groups: dict[str, tuple[str | None, str | None, list[str]]],
          domain_sid: str | None) -> tuple[list[str], list[int]]:
    """Transitive members of a group in a dump (cycle-safe)."""
    seen: dict[str, str] = {}
    rids: set[int] = set()
    stack = [start]
    visited = {start}
    while stack:
        current = stack.pop()
        for member in groups.get(current, (None, None, []))[2]:
            key = member.lower()
            seen.setdefault(key, member)
            if key in groups and key not in visited:
                visited.add(key)
                stack.append(key)
                member_sid = groups[key][0]
                if member_sid and domain_sid and member_sid.startswith(domain_sid + "-"):
                    rid = rid_of(member_sid)
                    if rid is not None:
                        rids.add(rid)
    return list(seen.values()), sorted(rids)


def _first_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)
