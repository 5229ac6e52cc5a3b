"""The open-ports check catalogue and its pure evaluation.

Each risky service family (RDP, SMB, Telnet, FTP, SNMP, VNC, WinRM, databases, plain-HTTP admin
interfaces) has two checks: `<family>_external` (seen from the internet: `exposed`, weighs the most) and
`<family>_internal` (seen on the LAN: `lateral`).  Where the same work fixes both (turning Telnet off,
moving an admin page to HTTPS) they share a remediation group and become one roadmap item; where the fixes
differ (removing an RDP port forward vs restricting RDP inside the LAN) they do not.  Two more checks
report open services that match no family and no allow-list entry.

How an open port is recognised (`classify`): by nmap's service name when version detection identified it,
and by the standard port number when nmap could only guess (`method="table"`, "unknown", "tcpwrapped").
So RDP moved to port 3390 is still RDP, and a web server on 3389 is not.

Allow-list (profile): entries silence the unexpected-service checks in their scope, and the internal
risky-service checks (SMB on the file server is expected).  An external risky service is only silenced by
an entry that names `scope = "external"` (or "any") explicitly; the usual tool for those is an accepted
risk, which is justified and expires.

Results: a scope that was not scanned, or in which no host answered, gives `not_assessed` (never pass);
so does a family whose standard ports were not part of the scan when nothing was found.  Failed results
list every affected service as `ip:port/proto`, the service label in the detail.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from auditor.models import (
    AffectedAsset,
    Check,
    CheckResult,
    Exploitability,
    FrameworkRef,
    LocalizedText,
    Severity,
    Status,
)
from auditor_plugins.open_ports.evidence import (
    Host,
    OpenPortsEvidence,
    Scope,
    ScopeScan,
    ServiceSeen,
    ip_sort_key,
)
from auditor_plugins.open_ports.settings import AllowEntry, OpenPortsParameters

PLUGIN = "open_ports"
AREA = "open_ports"


def _cis(*controls: str) -> tuple[FrameworkRef, ...]:
    return tuple(FrameworkRef(framework="CIS Controls v8", control=c) for c in controls)


# --------------------------------------------------------------------------------------------------
# Recognising services
# --------------------------------------------------------------------------------------------------

_UNIDENTIFIED = {"", "unknown", "tcpwrapped"}
#: nmap device types of appliances whose web page is an administration interface.
ADMIN_DEVICE_TYPES = {
    "firewall", "router", "broadband router", "switch", "wap", "printer", "print server", "storage-misc",
    "security-misc", "load balancer", "remote management", "power-device", "webcam", "pbx", "voip adapter",
    "voip phone", "bridge", "hub", "specialized", "media device", "proxy server", "terminal server",
}
ADMIN_WORDS = re.compile(
    r"admin|management|manager|webmin|miniserv|cockpit|\bdsm\b|synology|qnap|idrac|\bilo\b|ipmi|"
    r"router|firewall|fortigate|fortinet|sonicwall|pfsense|opnsense|stormshield|mikrotik|routeros|unifi|"
    r"ubiquiti|zyxel|netgear|draytek|printer|jetdirect|embedded web server|laserjet|ricoh|kyocera|brother|"
    r"xerox|switch|web ?config|setup",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Family:
    """A family of risky services and how to recognise it."""

    key: str
    tcp_ports: frozenset[int] = frozenset()
    udp_ports: frozenset[int] = frozenset()
    names: frozenset[str] = frozenset()


FAMILIES: dict[str, Family] = {
    f.key: f
    for f in (
        Family("rdp", frozenset({3389}), names=frozenset({"ms-wbt-server", "rdp"})),
        Family("smb", frozenset({139, 445}), names=frozenset({"microsoft-ds", "netbios-ssn", "smb"})),
        Family("telnet", frozenset({23}), names=frozenset({"telnet"})),
        Family("ftp", frozenset({21}), names=frozenset({"ftp"})),
        Family("snmp", udp_ports=frozenset({161}), names=frozenset({"snmp"})),
        Family("vnc", frozenset({5800, 5900, 5901, 5902}), names=frozenset({"vnc", "vnc-http", "vnc-1", "vnc-2"})),
        Family("winrm", frozenset({5985, 5986}), names=frozenset({"wsman", "wsmans", "winrm"})),
        Family(
            "database",
            frozenset({1433, 3306, 5432, 6379, 9200, 9300, 27017}),
            names=frozenset({"ms-sql-s", "mysql", "postgresql", "mongodb", "mongod", "redis", "elasticsearch"}),
        ),
        Family("http_admin"),
    )
}

DATABASE_ENGINES = {
    "ms-sql-s": "MSSQL", "mysql": "MySQL", "postgresql": "PostgreSQL", "mongodb": "MongoDB",
    "mongod": "MongoDB", "redis": "Redis", "elasticsearch": "Elasticsearch",
}
DATABASE_PORTS = {1433: "MSSQL", 3306: "MySQL", 5432: "PostgreSQL", 6379: "Redis", 9200: "Elasticsearch",
                  9300: "Elasticsearch", 27017: "MongoDB"}


def _is_plain_http(seen: ServiceSeen) -> bool:
    service = seen.service
    name = service.name.lower()
    if service.tunnel == "ssl" or name in ("https", "https-alt", "ssl") or not name.startswith("http"):
        return False
    return name not in ("http-rpc-epmap",)


def _unidentified(seen: ServiceSeen) -> bool:
    service = seen.port.service
    return service is None or service.name.lower() in _UNIDENTIFIED or service.method == "table"


def service_names(seen: ServiceSeen) -> set[str]:
    """Names an allow-list may use for a service: nmap's name, `ssl/<name>`, and `https` for TLS-wrapped HTTP."""
    name = seen.service.name.lower()
    names = {name}
    if seen.service.tunnel:
        names.add(f"{seen.service.tunnel.lower()}/{name}")
        if name == "http":
            names.add("https")
    return names


def _host_device_types(host: Host) -> set[str]:
    return {p.service.devicetype.lower() for p in host.ports if p.service and p.service.devicetype}


def classify(seen: ServiceSeen, parameters: OpenPortsParameters) -> str | None:
    """The risky family of one open port, or None (then only the allow-list decides)."""
    service = seen.service
    name = service.name.lower()
    number, protocol = seen.port.port, seen.port.protocol
    guessed = _unidentified(seen)
    text = " ".join((service.product, service.extrainfo, service.devicetype)).lower()

    # Elasticsearch and WinRM speak HTTP: recognise them before the generic HTTP rule.
    if "elasticsearch" in text or name == "elasticsearch":
        return "database"
    if protocol == "tcp" and number in (5985, 5986) and (guessed or name.startswith("http") or
                                                          "microsoft httpapi" in text):
        return "winrm"
    for family in FAMILIES.values():
        if name in family.names:
            if family.key == "ftp" and service.tunnel == "ssl":
                return None  # implicit FTPS: encrypted
            return family.key
    if guessed:
        for family in FAMILIES.values():
            ports = family.tcp_ports if protocol == "tcp" else family.udp_ports if protocol == "udp" else set()
            if number in ports:
                return family.key
    if _is_plain_http(seen) and (
        number in parameters.admin_http_ports
        or bool(_host_device_types(seen.host) & ADMIN_DEVICE_TYPES)
        or bool(ADMIN_WORDS.search(text))
    ):
        return "http_admin"
    return None


def describe(seen: ServiceSeen, lang: str = "en") -> str:
    """The affected asset's detail: `ms-wbt-server Microsoft Terminal Services — srv-app01.durand.local`.

    Service banners are language-neutral; only the "unknown service" placeholder is translated (`lang="fr"`).
    """
    if not seen.port.service:
        label = "service inconnu" if lang == "fr" else "unknown service"
    else:
        label = seen.service.label()
        if lang == "fr" and not seen.service.name:  # nmap's "unknown" placeholder, not a service name
            label = "inconnu" + label.removeprefix("unknown")
    if classify_database_engine(seen) and not seen.service.product:
        label = f"{label} ({classify_database_engine(seen)})"
    return f"{label} — {seen.host.name}" if seen.host.name else label


def classify_database_engine(seen: ServiceSeen) -> str:
    name = seen.service.name.lower()
    if name in DATABASE_ENGINES:
        return DATABASE_ENGINES[name]
    if "elasticsearch" in seen.service.product.lower():
        return "Elasticsearch"
    return DATABASE_PORTS.get(seen.port.port, "") if _unidentified(seen) else ""


# --------------------------------------------------------------------------------------------------
# Allow-list
# --------------------------------------------------------------------------------------------------


def _host_matches(pattern: str, host: Host) -> bool:
    pattern = pattern.strip().lower()
    try:
        network = ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        names = {h.name.lower().rstrip(".") for h in host.hostnames}
        return pattern in names or pattern in {n.split(".", 1)[0] for n in names}
    for ip in host.ips:
        try:
            if ipaddress.ip_address(ip) in network:
                return True
        except ValueError:
            continue
    return False


def allowed(entries: Iterable[AllowEntry], seen: ServiceSeen) -> AllowEntry | None:
    """The first allow-list entry covering this open port in its scope, if any."""
    for entry in entries:
        if entry.scope not in ("any", seen.scope):
            continue
        if entry.protocol not in ("any", seen.port.protocol):
            continue
        if entry.ports and seen.port.port not in entry.ports:
            continue
        if entry.services and not service_names(seen) & {s.lower() for s in entry.services}:
            continue
        if entry.hosts and not any(_host_matches(pattern, seen.host) for pattern in entry.hosts):
            continue
        return entry
    return None


# --------------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One check's declaration plus how to evaluate it."""

    check: Check
    scope: Scope
    family: str | None  # None: the unexpected-services check


def _check(
    name: str, severity: Severity, exploitability: Exploitability, title: tuple[str, str],
    rationale: tuple[str, str], remediation: tuple[str, str], *, effort: float, per_asset: float,
    group: str | None = None, refs: tuple[str, ...] = (),
) -> Check:
    return Check(
        id=f"{PLUGIN}.{name}",
        plugin=PLUGIN,
        area=AREA,
        severity=severity,
        exploitability=exploitability,
        title=LocalizedText(en=title[0], fr=title[1]),
        rationale=LocalizedText(en=rationale[0], fr=rationale[1]),
        remediation=LocalizedText(en=remediation[0], fr=remediation[1]),
        remediation_group=group,
        effort_hours=effort,
        effort_per_asset_hours=per_asset,
        references=_cis(*refs),
    )


X, L, H = Exploitability.exposed, Exploitability.lateral, Exploitability.hygiene
CRIT, HIGH, MED, LOW = Severity.critical, Severity.high, Severity.medium, Severity.low

SPECS: tuple[Spec, ...] = (
    # ---------------------------------------------------------------- RDP
    Spec(_check(
        "rdp_external", CRIT, X,
        ("Remote Desktop (RDP) reachable from the internet", "Bureau à distance (RDP) accessible depuis Internet"),
        ("RDP exposed to the internet is the most common way ransomware gangs get in: they guess or buy passwords "
         "and exploit unpatched servers.",
         "Un RDP ouvert sur Internet est la porte d'entrée la plus utilisée par les groupes de rançongiciels : "
         "ils devinent ou achètent des mots de passe et exploitent les serveurs non corrigés."),
        ("Remove the port forwarding on the firewall and give remote staff a VPN or a Remote Desktop Gateway "
         "with multi-factor authentication.",
         "Supprimer la redirection de port sur le pare-feu et fournir aux personnes en télétravail un VPN ou "
         "une passerelle Bureau à distance avec authentification multifacteur."),
        effort=4, per_asset=0.5, refs=("4.4", "12.7", "6.4")), "external", "rdp"),
    Spec(_check(
        "rdp_internal", MED, L,
        ("Remote Desktop (RDP) open to the whole local network",
         "Bureau à distance (RDP) ouvert à tout le réseau local"),
        ("An intruder on one computer uses RDP to hop to the others with stolen credentials.",
         "Un intrus installé sur un poste utilise le RDP pour rebondir vers les autres machines avec des "
         "identifiants volés."),
        ("Allow RDP only from the administrators' machines (Windows firewall rule by GPO) and turn it off where "
         "it is not needed; list the machines that keep it in the allow-list.",
         "N'autoriser le RDP que depuis les postes d'administration (règle du pare-feu Windows par GPO) et le "
         "désactiver là où il ne sert pas ; déclarer les machines qui le gardent dans la liste autorisée."),
        effort=2, per_asset=0.25, refs=("4.4", "4.5", "13.4")), "internal", "rdp"),
    # ---------------------------------------------------------------- SMB
    Spec(_check(
        "smb_external", CRIT, X,
        ("File sharing (SMB) reachable from the internet", "Partage de fichiers (SMB) accessible depuis Internet"),
        ("SMB on the internet exposes files and Windows authentication to the world and was the way WannaCry "
         "spread.",
         "Le SMB ouvert sur Internet expose les fichiers et l'authentification Windows au monde entier ; "
         "c'est ainsi que WannaCry s'est propagé."),
        ("Block TCP 139 and 445 at the firewall; give remote access to files through a VPN or a cloud service.",
         "Bloquer les ports TCP 139 et 445 sur le pare-feu ; donner accès aux fichiers à distance par un VPN ou "
         "un service en ligne."),
        effort=1, per_asset=0.25, refs=("4.4", "12.2")), "external", "smb"),
    Spec(_check(
        "smb_internal", MED, L,
        ("File sharing (SMB) open on machines that do not serve files",
         "Partage de fichiers (SMB) ouvert sur des machines qui ne partagent rien"),
        ("SMB open on workstations and devices lets ransomware and intruders spread from machine to machine.",
         "Un SMB ouvert sur les postes et les équipements permet aux rançongiciels et aux intrus de se propager "
         "d'une machine à l'autre."),
        ("Block inbound SMB on workstations with a Windows firewall GPO, disable SMBv1, and keep SMB only on "
         "file servers and domain controllers (declared in the allow-list).",
         "Bloquer le SMB entrant sur les postes par une GPO du pare-feu Windows, désactiver SMBv1 et ne garder "
         "le SMB que sur les serveurs de fichiers et les contrôleurs de domaine (déclarés dans la liste "
         "autorisée)."),
        effort=3, per_asset=0.25, refs=("4.5", "4.8", "13.4")), "internal", "smb"),
    # ---------------------------------------------------------------- Telnet
    Spec(_check(
        "telnet_external", CRIT, X,
        ("Telnet reachable from the internet", "Telnet accessible depuis Internet"),
        ("Telnet sends passwords in clear text and its devices are the first targets of internet-wide botnets.",
         "Telnet transmet les mots de passe en clair et les équipements qui l'exposent sont les premières cibles "
         "des réseaux de machines piratées."),
        ("Turn Telnet off on the device (use SSH or the HTTPS console) and close the port on the firewall.",
         "Désactiver Telnet sur l'équipement (utiliser SSH ou la console HTTPS) et fermer le port sur le "
         "pare-feu."),
        effort=1, per_asset=0.5, group="open_ports.disable_telnet", refs=("4.6", "4.8", "3.10")), "external", "telnet"),
    Spec(_check(
        "telnet_internal", HIGH, L,
        ("Telnet enabled on the local network", "Telnet activé sur le réseau local"),
        ("Anyone on the network can read Telnet passwords in transit and take over the device.",
         "Toute personne sur le réseau peut lire les mots de passe Telnet au passage et prendre la main sur "
         "l'équipement."),
        ("Turn Telnet off on the device and manage it over SSH or HTTPS instead.",
         "Désactiver Telnet sur l'équipement et l'administrer plutôt en SSH ou en HTTPS."),
        effort=1, per_asset=0.5, group="open_ports.disable_telnet", refs=("4.6", "4.8", "3.10")), "internal", "telnet"),
    # ---------------------------------------------------------------- FTP
    Spec(_check(
        "ftp_external", HIGH, X,
        ("Unencrypted FTP reachable from the internet", "FTP non chiffré accessible depuis Internet"),
        ("FTP sends logins and files in clear text, and internet-facing FTP servers are constantly brute-forced.",
         "Le FTP transmet identifiants et fichiers en clair, et les serveurs FTP exposés sur Internet subissent "
         "des tentatives de connexion en continu."),
        ("Replace FTP with SFTP or a file-sharing service and turn the FTP server off.",
         "Remplacer le FTP par du SFTP ou un service de partage de fichiers, puis arrêter le serveur FTP."),
        effort=2, per_asset=1, group="open_ports.disable_ftp", refs=("3.10", "4.8")), "external", "ftp"),
    Spec(_check(
        "ftp_internal", MED, L,
        ("Unencrypted FTP on the local network", "FTP non chiffré sur le réseau local"),
        ("FTP credentials travel in clear text; they are often the same as the Windows or NAS passwords.",
         "Les identifiants FTP circulent en clair ; ce sont souvent les mêmes que ceux de Windows ou du NAS."),
        ("Turn FTP off, or replace it with SFTP/FTPS.", "Désactiver le FTP ou le remplacer par du SFTP/FTPS."),
        effort=2, per_asset=1, group="open_ports.disable_ftp", refs=("3.10", "4.8")), "internal", "ftp"),
    # ---------------------------------------------------------------- SNMP
    Spec(_check(
        "snmp_external", HIGH, X,
        ("SNMP reachable from the internet", "SNMP accessible depuis Internet"),
        ("SNMP with default communities reveals the network's configuration and can be used for amplification "
         "attacks.",
         "Le SNMP avec des communautés par défaut révèle la configuration du réseau et sert aux attaques par "
         "amplification."),
        ("Block UDP 161 at the firewall; use SNMPv3 with authentication where monitoring needs it.",
         "Bloquer le port UDP 161 sur le pare-feu ; utiliser SNMPv3 avec authentification là où la supervision "
         "en a besoin."),
        effort=1, per_asset=0.5, group="open_ports.secure_snmp", refs=("4.6", "12.3")), "external", "snmp"),
    Spec(_check(
        "snmp_internal", MED, L,
        ("SNMP open on the local network", "SNMP ouvert sur le réseau local"),
        ("SNMPv1/v2c communities such as 'public' let anyone on the LAN read, sometimes change, device settings.",
         "Les communautés SNMPv1/v2c comme « public » permettent à n'importe qui sur le réseau de lire, parfois "
         "de modifier, la configuration des équipements."),
        ("Disable SNMP where nothing monitors it; elsewhere move to SNMPv3 or at least a secret read-only "
         "community restricted to the monitoring server.",
         "Désactiver le SNMP là où rien ne le supervise ; ailleurs passer en SNMPv3 ou au minimum une "
         "communauté secrète en lecture seule, limitée au serveur de supervision."),
        effort=1, per_asset=0.5, group="open_ports.secure_snmp", refs=("4.6", "12.3")), "internal", "snmp"),
    # ---------------------------------------------------------------- VNC
    Spec(_check(
        "vnc_external", CRIT, X,
        ("VNC remote control reachable from the internet", "Prise en main à distance VNC accessible depuis Internet"),
        ("VNC often has a weak or no password and gives full control of the screen.",
         "Le VNC a souvent un mot de passe faible, voire aucun, et donne le contrôle complet de l'écran."),
        ("Uninstall VNC and use the MSP's managed remote-support tool; close the port on the firewall.",
         "Désinstaller VNC et utiliser l'outil de télémaintenance géré par l'infogérant ; fermer le port sur le "
         "pare-feu."),
        effort=1, per_asset=0.5, group="open_ports.remove_vnc", refs=("4.8", "12.7")), "external", "vnc"),
    Spec(_check(
        "vnc_internal", HIGH, L,
        ("VNC remote control open on the local network", "Prise en main à distance VNC ouverte sur le réseau local"),
        ("A VNC server left on a workstation lets anyone on the network watch and control it, often without a "
         "real password.",
         "Un serveur VNC oublié sur un poste permet à n'importe qui sur le réseau de voir et de piloter l'écran, "
         "souvent sans vrai mot de passe."),
        ("Uninstall VNC and use the MSP's managed remote-support tool.",
         "Désinstaller VNC et utiliser l'outil de télémaintenance géré par l'infogérant."),
        effort=1, per_asset=0.5, group="open_ports.remove_vnc", refs=("4.8", "2.3")), "internal", "vnc"),
    # ---------------------------------------------------------------- WinRM
    Spec(_check(
        "winrm_external", CRIT, X,
        ("Windows remote management (WinRM) reachable from the internet",
         "Administration à distance Windows (WinRM) accessible depuis Internet"),
        ("WinRM gives remote command execution to anyone holding a password.",
         "WinRM permet d'exécuter des commandes à distance à quiconque détient un mot de passe."),
        ("Block TCP 5985/5986 at the firewall; administer through the VPN.",
         "Bloquer les ports TCP 5985/5986 sur le pare-feu ; administrer au travers du VPN."),
        effort=1, per_asset=0.25, refs=("4.4", "12.2")), "external", "winrm"),
    Spec(_check(
        "winrm_internal", MED, L,
        ("Windows remote management (WinRM) open to the whole local network",
         "Administration à distance Windows (WinRM) ouverte à tout le réseau local"),
        ("Attackers with stolen administrator credentials use WinRM to run commands on every machine.",
         "Les attaquants munis d'identifiants d'administrateur volés utilisent WinRM pour lancer des commandes "
         "sur toutes les machines."),
        ("Allow WinRM only from the administration hosts (firewall GPO) and disable it on workstations.",
         "N'autoriser WinRM que depuis les postes d'administration (GPO de pare-feu) et le désactiver sur les "
         "postes de travail."),
        effort=2, per_asset=0.1, refs=("4.5", "13.4")), "internal", "winrm"),
    # ---------------------------------------------------------------- databases
    Spec(_check(
        "database_external", CRIT, X,
        ("Database server reachable from the internet", "Serveur de base de données accessible depuis Internet"),
        ("Databases on the internet (SQL Server, MySQL, PostgreSQL, MongoDB, Redis, Elasticsearch) are found "
         "within hours and emptied or held to ransom.",
         "Les bases de données exposées sur Internet (SQL Server, MySQL, PostgreSQL, MongoDB, Redis, "
         "Elasticsearch) sont repérées en quelques heures puis vidées ou rançonnées."),
        ("Close the database port on the firewall; applications reach it over the LAN or a VPN.",
         "Fermer le port de la base de données sur le pare-feu ; les applications y accèdent par le réseau "
         "local ou un VPN."),
        effort=1, per_asset=0.5, refs=("4.4", "12.2", "3.3")), "external", "database"),
    Spec(_check(
        "database_internal", MED, L,
        ("Database server open to the whole local network", "Serveur de base de données ouvert à tout le réseau local"),
        ("Any compromised workstation can attack a database that accepts connections from everywhere; Redis, "
         "MongoDB and Elasticsearch often need no password at all.",
         "N'importe quel poste compromis peut attaquer une base de données qui accepte les connexions de "
         "partout ; Redis, MongoDB et Elasticsearch n'ont souvent même pas de mot de passe."),
        ("Bind the database to the application server's address or restrict it with the host firewall; declare "
         "the databases the business needs in the allow-list.",
         "Restreindre la base de données au serveur d'application (adresse d'écoute ou pare-feu local) ; "
         "déclarer dans la liste autorisée les bases nécessaires à l'activité."),
        effort=2, per_asset=0.5, refs=("4.4", "13.4", "3.3")), "internal", "database"),
    # ---------------------------------------------------------------- plain-HTTP admin
    Spec(_check(
        "http_admin_external", HIGH, X,
        ("Administration page over unencrypted HTTP reachable from the internet",
         "Page d'administration en HTTP non chiffré accessible depuis Internet"),
        ("An administration page on the internet invites password guessing and exploits, and plain HTTP leaks "
         "the administrator's password.",
         "Une page d'administration sur Internet attire les tentatives de mots de passe et les attaques, et le "
         "HTTP non chiffré laisse fuiter le mot de passe administrateur."),
        ("Disable remote administration from the internet and HTTP on the device; administer over HTTPS from "
         "the LAN or the VPN.",
         "Désactiver l'administration depuis Internet et le HTTP sur l'équipement ; administrer en HTTPS depuis "
         "le réseau local ou le VPN."),
        effort=1, per_asset=0.5, group="open_ports.https_admin", refs=("4.6", "3.10", "12.3")), "external",
        "http_admin"),
    Spec(_check(
        "http_admin_internal", MED, L,
        ("Administration page over unencrypted HTTP", "Page d'administration en HTTP non chiffré"),
        ("Administrator passwords typed into a plain-HTTP page (firewall, NAS, printer) can be captured by "
         "anyone on the network.",
         "Les mots de passe saisis sur une page d'administration en HTTP (pare-feu, NAS, imprimante) peuvent "
         "être interceptés par n'importe qui sur le réseau."),
        ("Switch the device's administration to HTTPS only and turn the HTTP page off (or redirect it).",
         "Passer l'administration de l'équipement en HTTPS uniquement et désactiver (ou rediriger) la page "
         "HTTP."),
        effort=1, per_asset=0.5, group="open_ports.https_admin", refs=("4.6", "3.10")), "internal", "http_admin"),
    # ---------------------------------------------------------------- unexpected services
    Spec(_check(
        "unexpected_external", HIGH, X,
        ("Internet-facing service not in the allow-list", "Service exposé sur Internet hors liste autorisée"),
        ("Every service reachable from the internet is attack surface; one nobody declared is usually forgotten "
         "and unpatched.",
         "Chaque service accessible depuis Internet est une surface d'attaque ; un service que personne n'a "
         "déclaré est en général oublié et non mis à jour."),
        ("Close the port on the firewall, or, if the business needs the service, declare it in the allow-list "
         "with its reason.",
         "Fermer le port sur le pare-feu ou, si l'activité en a besoin, déclarer le service dans la liste "
         "autorisée avec sa justification."),
        effort=1, per_asset=0.5, refs=("4.4", "12.2", "1.1")), "external", None),
    Spec(_check(
        "unexpected_internal", LOW, H,
        ("Local service not in the allow-list", "Service local hors liste autorisée"),
        ("Undeclared services (remote-access tools, test servers, forgotten software) widen the attack surface "
         "and escape patching.",
         "Les services non déclarés (outils de prise en main, serveurs de test, logiciels oubliés) élargissent "
         "la surface d'attaque et échappent aux mises à jour."),
        ("Uninstall or disable each unneeded service; declare the ones the business needs in the allow-list.",
         "Désinstaller ou désactiver chaque service inutile ; déclarer ceux dont l'activité a besoin dans la "
         "liste autorisée."),
        effort=2, per_asset=0.25, refs=("4.8", "2.3")), "internal", None),
)

CHECKS: tuple[Check, ...] = tuple(spec.check for spec in SPECS)

_FAMILY_NAMES = {
    "rdp": ("RDP", "RDP"), "smb": ("SMB", "SMB"), "telnet": ("Telnet", "Telnet"), "ftp": ("FTP", "FTP"),
    "snmp": ("SNMP", "SNMP"), "vnc": ("VNC", "VNC"), "winrm": ("WinRM", "WinRM"),
    "database": ("database", "base de données"), "http_admin": ("HTTP administration", "administration HTTP"),
}
_SCOPE_NAMES = {"internal": ("internal", "interne"), "external": ("external", "externe")}
#: Unit of `measured` (exposed services found) and `threshold` (services allowed: 0).
SERVICES_UNIT = LocalizedText(en="services", fr="services")


# --------------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------------


def _not_assessed(check: Check, en: str, fr: str) -> CheckResult:
    return CheckResult(check_id=check.id, status=Status.not_assessed, reason=LocalizedText(en=en, fr=fr))


def _affected(findings: Iterable[ServiceSeen]) -> tuple[AffectedAsset, ...]:
    ordered = sorted(findings, key=lambda s: (ip_sort_key(s.host.ip), s.port.protocol, s.port.port))
    return tuple(
        AffectedAsset(
            name=s.endpoint, kind="service", detail=describe(s),
            # French only when the English detail holds prose (the "unknown" placeholders).
            detail_fr=describe(s, "fr") if describe(s, "fr") != describe(s) else "",
        )
        for s in ordered
    )


def _scope_problem(check: Check, scope: Scope, scan: ScopeScan | None) -> CheckResult | None:
    en_scope, fr_scope = _SCOPE_NAMES[scope]
    if scan is None:
        return _not_assessed(
            check,
            f"No {en_scope} scan was collected (set {scope}_targets, or {scope}_xml in recorded mode).",
            f"Aucun scan {fr_scope} n'a été collecté (renseigner {scope}_targets, ou {scope}_xml en mode "
            "enregistré).",
        )
    if not scan.hosts_up():
        return _not_assessed(
            check,
            f"No host answered the {en_scope} scan; nothing could be assessed.",
            f"Aucune machine n'a répondu au scan {fr_scope} ; rien n'a pu être évalué.",
        )
    return None


def _family_scanned(scan: ScopeScan, family: Family) -> bool:
    return any(scan.covers("tcp", p) for p in family.tcp_ports) or any(
        scan.covers("udp", p) for p in family.udp_ports
    )


def evaluate(
    evidence: OpenPortsEvidence,
    parameters: OpenPortsParameters,
    allow: tuple[AllowEntry, ...] = (),
    specs: Iterable[Spec] = SPECS,
) -> list[CheckResult]:
    """Every check's result for the evidence: pure, deterministic, sorted by check id."""
    seen_by_scope: dict[Scope, list[tuple[ServiceSeen, str | None, AllowEntry | None]]] = {}
    for scope in ("internal", "external"):
        seen_by_scope[scope] = [
            (seen, classify(seen, parameters), allowed(allow, seen)) for seen in evidence.services(scope)
        ]

    results: list[CheckResult] = []
    for spec in specs:
        scan = evidence.scope(spec.scope)
        problem = _scope_problem(spec.check, spec.scope, scan)
        if problem is not None:
            results.append(problem)
            continue
        assert scan is not None
        entries = seen_by_scope[spec.scope]
        if spec.family is None:
            results.append(_evaluate_unexpected(spec, entries, parameters))
        else:
            results.append(_evaluate_family(spec, scan, entries))
    return sorted(results, key=lambda r: r.check_id)


def _evaluate_family(
    spec: Spec, scan: ScopeScan, entries: list[tuple[ServiceSeen, str | None, AllowEntry | None]]
) -> CheckResult:
    family = FAMILIES[spec.family or ""]
    findings = [seen for seen, key, entry in entries if key == family.key and entry is None]
    silenced = sum(1 for _seen, key, entry in entries if key == family.key and entry is not None)
    if findings:
        return CheckResult(
            check_id=spec.check.id, status=Status.failed, measured=len(findings), threshold=0, unit=SERVICES_UNIT,
            affected=_affected(findings),
            confidence="service detection" if all(s.service.probed for s in findings) else "port number",
        )
    if (family.tcp_ports or family.udp_ports) and not silenced and not _family_scanned(scan, family):
        en, fr = _FAMILY_NAMES[family.key]
        ports = ", ".join([*(f"{p}/tcp" for p in sorted(family.tcp_ports)),
                           *(f"{p}/udp" for p in sorted(family.udp_ports))])
        return _not_assessed(
            spec.check,
            f"None of the {en} ports ({ports}) was part of the {_SCOPE_NAMES[spec.scope][0]} scan.",
            f"Aucun des ports {fr} ({ports}) ne faisait partie du scan {_SCOPE_NAMES[spec.scope][1]}.",
        )
    return CheckResult(check_id=spec.check.id, status=Status.passed, measured=0, threshold=0,
                       unit=SERVICES_UNIT)


def _evaluate_unexpected(
    spec: Spec, entries: list[tuple[ServiceSeen, str | None, AllowEntry | None]], parameters: OpenPortsParameters
) -> CheckResult:
    default_allowed = {name.lower() for name in parameters.default_allowed_internal}
    findings = [
        seen for seen, key, entry in entries
        if key is None and entry is None
        and not (spec.scope == "internal" and service_names(seen) & default_allowed)
    ]
    if findings:
        return CheckResult(
            check_id=spec.check.id, status=Status.failed, measured=len(findings), threshold=0, unit=SERVICES_UNIT,
            affected=_affected(findings),
        )
    return CheckResult(check_id=spec.check.id, status=Status.passed, measured=0, threshold=0,
                       unit=SERVICES_UNIT)


def register_all(register: Callable[[Check], None]) -> None:
    for check in CHECKS:
        register(check)
