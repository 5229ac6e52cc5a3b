"""The account-hygiene check catalogue and its pure evaluation functions.

Every check is declared up front (``CATALOGUE``), in French and English, with what an attacker does
with the weakness, how to fix it and what it costs.  Evaluation reads only the evidence and the baseline
thresholds: no network, no clock (ages are computed against the time the directory was read).  What could
not be read makes a check ``not_assessed`` with the reason; failing checks list every account or computer.

Design notes (all from how AD really behaves):

* "Stale" allows for ``lastLogonTimestamp``'s replication lag: it is only rewritten when older than
  ~9-14 days, so an account is stale when the stamp is older than the threshold *plus* that lag.
* Privileged groups are identified by well-known SID and their membership is transitive (nested groups)
  plus ``primaryGroupID`` membership, which ``member`` never shows.
* ``adminCount=1`` is never cleared when someone leaves an admin group: an enabled user carrying it
  outside every protected group keeps the hardened ACL of an admin and usually a forgotten old privilege.
* Small estates are audited exactly like large ones: no check is skipped because a domain is small.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from pydantic import Field

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
from auditor.plugin_api import PluginParameters
from auditor_plugins.account_hygiene.evidence import (
    LAPS_LEGACY_ATTRIBUTE,
    LAPS_WINDOWS_ATTRIBUTE,
    PRIVILEGED_GROUPS,
    RID_ADMINISTRATOR,
    RID_GUEST,
    RID_KRBTGT,
    AdComputer,
    AdEvidence,
    AdUser,
    DomainPolicy,
)

PLUGIN = "account_hygiene"
AREA = "account_hygiene"

GROUP_LABELS: dict[str, str] = {
    "domain_admins": "Domain Admins", "enterprise_admins": "Enterprise Admins", "schema_admins": "Schema Admins",
    "administrators": "Administrators", "account_operators": "Account Operators",
    "server_operators": "Server Operators", "print_operators": "Print Operators",
    "backup_operators": "Backup Operators",
}


class AccountHygieneParameters(PluginParameters):
    """Baseline thresholds (``[parameters.account_hygiene]``); defaults suit a typical SMB."""

    stale_user_days: int = Field(default=90, ge=1, le=3650)
    stale_computer_days: int = Field(default=90, ge=1, le=3650)
    #: lastLogonTimestamp is only rewritten when it is older than ~9-14 days: added to the thresholds above.
    last_logon_lag_days: int = Field(default=14, ge=0, le=60)
    #: Enabled accounts that never logged on are flagged once they are older than this.
    never_logged_on_days: int = Field(default=30, ge=1, le=3650)
    privileged_password_max_age_days: int = Field(default=365, ge=1, le=3650)
    krbtgt_password_max_age_days: int = Field(default=180, ge=1, le=3650)
    #: The built-in Administrator counts as "in use" when it logged on within this many days.
    builtin_admin_recent_days: int = Field(default=35, ge=1, le=3650)
    min_password_length: int = Field(default=12, ge=1, le=128)
    min_password_history: int = Field(default=12, ge=0, le=24)
    #: Longest acceptable maximum password age; 0 accepts passwords that never expire (NIST 800-63B style).
    max_password_age_days: int = Field(default=365, ge=0, le=3650)
    #: Lockout threshold must be between 1 and this (0 = never lock out, which allows password spraying).
    max_lockout_threshold: int = Field(default=10, ge=1, le=999)
    min_lockout_duration_minutes: int = Field(default=15, ge=0, le=99999)
    #: Most enabled members (after nesting and primary group) each privileged group may have.
    privileged_group_max_members: dict[str, int] = Field(default_factory=lambda: {
        "domain_admins": 3, "enterprise_admins": 1, "schema_admins": 1, "administrators": 4,
        "account_operators": 0, "server_operators": 0, "print_operators": 0, "backup_operators": 0,
    })


def _t(en: str, fr: str) -> LocalizedText:
    return LocalizedText(en=en, fr=fr)


def _refs(*items: tuple[str, str]) -> tuple[FrameworkRef, ...]:
    return tuple(FrameworkRef(framework=f, control=c) for f, c in items)


def _check(name: str, severity: Severity, exploitability: Exploitability, title: LocalizedText,
           rationale: LocalizedText, remediation: LocalizedText, *, group: str, effort: float,
           per_asset: float = 0.0, depends_on: tuple[str, ...] = (),
           references: tuple[FrameworkRef, ...] = ()) -> Check:
    return Check(id=f"{PLUGIN}.{name}", plugin=PLUGIN, area=AREA, severity=severity, exploitability=exploitability,
                 title=title, rationale=rationale, remediation=remediation, remediation_group=group,
                 effort_hours=effort, effort_per_asset_hours=per_asset, depends_on=depends_on,
                 references=references)


S, E = Severity, Exploitability
CATALOGUE: tuple[Check, ...] = (
    _check(
        "stale_users", S.medium, E.lateral,
        _t("Enabled user accounts that are no longer used",
           "Comptes utilisateurs actifs qui ne servent plus"),
        _t("Accounts of people who left (or never started) keep working: a leaked or guessed password opens "
           "the network and nobody notices the logons.",
           "Les comptes des personnes parties (ou jamais arrivées) restent utilisables : un mot de passe "
           "divulgué ou deviné ouvre le réseau sans que personne ne remarque les connexions."),
        _t("Confirm each account with the manager, disable it, then delete it after a quarantine period; "
           "add account removal to the staff departure procedure.",
           "Faire confirmer chaque compte par le responsable, le désactiver puis le supprimer après une "
           "période de quarantaine ; ajouter la suppression des comptes à la procédure de départ."),
        group="account_hygiene.dormant_accounts", effort=1.0, per_asset=0.1,
        references=_refs(("CIS Controls v8", "5.3"), ("ANSSI AD", "vuln_user_accounts_dormant")),
    ),
    _check(
        "stale_computers", S.low, E.hygiene,
        _t("Computer accounts of machines no longer on the network",
           "Comptes d'ordinateurs de machines qui ne sont plus sur le réseau"),
        _t("Forgotten computer objects blur the inventory (patch, antivirus and backup coverage are measured "
           "against it) and their accounts can be reused by an attacker.",
           "Les ordinateurs oubliés dans l'annuaire faussent l'inventaire (sur lequel on mesure mises à jour, "
           "antivirus et sauvegardes) et leurs comptes peuvent être réutilisés par un attaquant."),
        _t("Check that each machine is really gone, disable its computer account, then delete it.",
           "Vérifier que chaque machine a bien disparu, désactiver son compte d'ordinateur, puis le supprimer."),
        group="account_hygiene.stale_computers", effort=0.5, per_asset=0.1,
        references=_refs(("CIS Controls v8", "1.1"), ("ANSSI AD", "vuln_computer_accounts_dormant")),
    ),
    _check(
        "password_never_expires", S.medium, E.hygiene,
        _t("User accounts whose password never expires", "Comptes dont le mot de passe n'expire jamais"),
        _t("A password that never changes stays valid forever once it leaks; service accounts set this way "
           "usually keep the same password for years.",
           "Un mot de passe qui ne change jamais reste valable pour toujours une fois divulgué ; les comptes "
           "de service ainsi configurés gardent souvent le même mot de passe pendant des années."),
        _t("Remove the flag from personal accounts; move service accounts to group managed service accounts "
           "(gMSA) or give them long random passwords rotated at least yearly.",
           "Retirer l'option des comptes nominatifs ; passer les comptes de service en comptes de service "
           "gérés (gMSA) ou leur donner de longs mots de passe aléatoires changés au moins une fois par an."),
        group="account_hygiene.password_expiry", effort=1.0, per_asset=0.25,
        references=_refs(("CIS Controls v8", "5.2"), ("ANSSI AD", "vuln_dont_expire")),
    ),
    _check(
        "password_not_required", S.high, E.lateral,
        _t("Accounts allowed to have an empty password", "Comptes autorisés à avoir un mot de passe vide"),
        _t("With PASSWD_NOTREQD the account may be given an empty password, which anyone on the network can "
           "then use.",
           "Avec l'option PASSWD_NOTREQD, le compte peut recevoir un mot de passe vide, utilisable ensuite "
           "par n'importe qui sur le réseau."),
        _t("Clear the 'password not required' flag on each account and set a strong password.",
           "Retirer l'option « mot de passe non requis » sur chaque compte et lui définir un mot de passe robuste."),
        group="account_hygiene.account_flags", effort=0.5, per_asset=0.1,
        references=_refs(("CIS Controls v8", "5.2"), ("ANSSI AD", "vuln_password_not_required")),
    ),
    _check(
        "reversible_encryption", S.high, E.lateral,
        _t("Passwords stored with reversible encryption", "Mots de passe stockés de façon réversible"),
        _t("Reversible encryption keeps the password itself in the directory: anyone who copies the domain "
           "database reads it in clear text.",
           "Le chiffrement réversible conserve le mot de passe lui-même dans l'annuaire : quiconque copie la "
           "base du domaine le lit en clair."),
        _t("Disable reversible encryption on the accounts and in the password policies, then have the "
           "passwords changed.",
           "Désactiver le chiffrement réversible sur les comptes et dans les stratégies de mot de passe, puis "
           "faire changer les mots de passe."),
        group="account_hygiene.account_flags", effort=0.5, per_asset=0.1,
        references=_refs(("CIS Controls v8", "3.11"), ("ANSSI AD", "vuln_reversible_password")),
    ),
    _check(
        "asrep_roastable", S.high, E.lateral,
        _t("Accounts without Kerberos pre-authentication (AS-REP roasting)",
           "Comptes sans pré-authentification Kerberos (AS-REP roasting)"),
        _t("Anyone on the network can request data encrypted with these accounts' passwords and crack it "
           "offline, without any account of their own.",
           "N'importe qui sur le réseau peut obtenir des données chiffrées avec le mot de passe de ces comptes "
           "et les casser hors ligne, sans même posséder de compte."),
        _t("Re-enable Kerberos pre-authentication on each account; if an old application needs it off, give "
           "the account a long random password.",
           "Réactiver la pré-authentification Kerberos sur chaque compte ; si une ancienne application l'exige, "
           "donner au compte un long mot de passe aléatoire."),
        group="account_hygiene.account_flags", effort=0.5, per_asset=0.1,
        references=_refs(("CIS Controls v8", "5.2"), ("ANSSI AD", "vuln_kerberos_properties_preauth")),
    ),
    _check(
        "kerberoastable_users", S.high, E.lateral,
        _t("User accounts with a service principal name (Kerberoasting)",
           "Comptes utilisateurs portant un nom de service (Kerberoasting)"),
        _t("Any domain user can obtain a ticket encrypted with these accounts' passwords and crack it offline; "
           "service account passwords are often old and weak.",
           "Tout utilisateur du domaine peut obtenir un ticket chiffré avec le mot de passe de ces comptes et "
           "le casser hors ligne ; les mots de passe des comptes de service sont souvent anciens et faibles."),
        _t("Move services to group managed service accounts (gMSA), or give each service account a random "
           "password of 25+ characters and remove SPNs that are no longer used.",
           "Passer les services sur des comptes de service gérés (gMSA), ou donner à chaque compte de service "
           "un mot de passe aléatoire de plus de 25 caractères, et retirer les SPN inutiles."),
        group="account_hygiene.service_accounts", effort=2.0, per_asset=1.0,
        references=_refs(("CIS Controls v8", "5.2"), ("ANSSI AD", "vuln_spn_priv")),
    ),
    _check(
        "kerberoastable_privileged", S.critical, E.lateral,
        _t("Privileged accounts with a service principal name", "Comptes à privilèges portant un nom de service"),
        _t("Cracking the ticket of a privileged account with an SPN gives domain administration to any "
           "ordinary user: it is one of the first things attackers try.",
           "Casser le ticket d'un compte à privilèges portant un SPN donne l'administration du domaine à "
           "n'importe quel utilisateur : c'est l'une des premières choses que tentent les attaquants."),
        _t("Remove the SPN from the privileged account (run the service under a dedicated, unprivileged gMSA) "
           "and change its password.",
           "Retirer le SPN du compte à privilèges (faire tourner le service sous un gMSA dédié sans privilèges) "
           "et changer son mot de passe."),
        group="account_hygiene.privileged_spn", effort=2.0, per_asset=1.0,
        references=_refs(("CIS Controls v8", "5.4"), ("ANSSI AD", "vuln_spn_priv")),
    ),
    _check(
        "privileged_group_sprawl", S.high, E.lateral,
        _t("Too many members in privileged groups", "Trop de membres dans les groupes à privilèges"),
        _t("Every member of Domain Admins or an operators group can take over the whole domain; each extra "
           "member is one more password or workstation an attacker can steal to get there.",
           "Chaque membre des Admins du domaine ou d'un groupe d'opérateurs peut prendre le contrôle de tout le "
           "domaine ; chaque membre en trop est un mot de passe ou un poste de plus à voler pour y parvenir."),
        _t("Review the members with the client, keep named admin accounts for the few people who administer "
           "the domain, and empty the operators groups.",
           "Revoir les membres avec le client, ne garder des comptes d'administration nominatifs que pour les "
           "quelques personnes qui administrent le domaine, et vider les groupes d'opérateurs."),
        group="account_hygiene.privileged_groups", effort=2.0, per_asset=0.25,
        references=_refs(("CIS Controls v8", "5.4"), ("ANSSI AD", "vuln_privileged_members")),
    ),
    _check(
        "privileged_old_passwords", S.high, E.lateral,
        _t("Privileged accounts with old passwords", "Comptes à privilèges avec un ancien mot de passe"),
        _t("An administrator password unchanged for years has had every chance to leak (old scripts, former "
           "providers, reused elsewhere).",
           "Un mot de passe administrateur inchangé depuis des années a eu toutes les occasions de fuiter "
           "(anciens scripts, anciens prestataires, réutilisation ailleurs)."),
        _t("Change the passwords of the listed accounts (long passphrases stored in the password manager) "
           "and remove accounts nobody uses.",
           "Changer les mots de passe des comptes listés (longues phrases de passe rangées dans le coffre-fort "
           "de mots de passe) et supprimer les comptes qui ne servent plus."),
        group="account_hygiene.privileged_accounts", effort=1.0, per_asset=0.25,
        depends_on=("account_hygiene.privileged_groups",),
        references=_refs(("CIS Controls v8", "5.2"), ("ANSSI AD", "vuln_password_change_priv")),
    ),
    _check(
        "privileged_not_protected", S.medium, E.lateral,
        _t("Privileged accounts that can be delegated", "Comptes à privilèges délégables"),
        _t("Admin accounts neither marked 'sensitive and cannot be delegated' nor in Protected Users can have "
           "their credentials reused by any server trusted for delegation.",
           "Les comptes d'administration ni marqués « sensible et ne peut pas être délégué », ni membres de "
           "Protected Users, peuvent voir leurs identifiants réutilisés par tout serveur autorisé à déléguer."),
        _t("Mark each admin account 'sensitive and cannot be delegated' and add it to Protected Users (after "
           "checking that nothing relies on NTLM or delegation for it).",
           "Cocher « le compte est sensible et ne peut pas être délégué » sur chaque compte d'administration et "
           "l'ajouter au groupe Protected Users (après avoir vérifié que rien n'en dépend en NTLM ou délégation)."),
        group="account_hygiene.privileged_accounts", effort=1.0, per_asset=0.25,
        depends_on=("account_hygiene.privileged_groups",),
        references=_refs(("CIS Controls v8", "5.4"), ("ANSSI AD", "vuln_delegation_sensitive")),
    ),
    _check(
        "orphaned_admincount", S.low, E.hygiene,
        _t("Former administrators still marked adminCount=1",
           "Anciens administrateurs toujours marqués adminCount=1"),
        _t("adminCount=1 stays after an account leaves the admin groups: it keeps hardened permissions that "
           "hide it from normal management, and often reveals privileges removed half-way.",
           "adminCount=1 reste après la sortie d'un compte des groupes d'administration : il garde des "
           "permissions figées qui le soustraient à la gestion normale et trahit souvent un retrait de droits "
           "inachevé."),
        _t("Confirm the account no longer needs privileges, clear adminCount and re-enable permission "
           "inheritance on it.",
           "Confirmer que le compte n'a plus besoin de privilèges, effacer adminCount et réactiver l'héritage "
           "des permissions sur le compte."),
        group="account_hygiene.privileged_groups", effort=0.5, per_asset=0.25,
        references=_refs(("CIS Controls v8", "5.4"), ("ANSSI AD", "vuln_protected_users_orphan")),
    ),
    _check(
        "krbtgt_password_age", S.high, E.lateral,
        _t("Old krbtgt password", "Mot de passe krbtgt ancien"),
        _t("The krbtgt key signs every Kerberos ticket: if it ever leaked, an attacker can forge tickets "
           "('golden tickets') until it is changed twice.",
           "La clé krbtgt signe tous les tickets Kerberos : si elle a fui un jour, un attaquant peut forger "
           "des tickets (« golden tickets ») tant qu'elle n'a pas été changée deux fois."),
        _t("Reset the krbtgt password twice, waiting for replication (and at least the ticket lifetime) "
           "between the two resets, with Microsoft's reset script.",
           "Réinitialiser deux fois le mot de passe krbtgt, en attendant la réplication (et au moins la durée "
           "de vie des tickets) entre les deux, avec le script de Microsoft."),
        group="account_hygiene.krbtgt", effort=2.0,
        references=_refs(("CIS Controls v8", "5.2"), ("ANSSI AD", "vuln_krbtgt")),
    ),
    _check(
        "builtin_admin_in_use", S.medium, E.lateral,
        _t("Built-in Administrator account enabled and in use",
           "Compte Administrateur intégré actif et utilisé"),
        _t("The built-in Administrator is shared, cannot be locked out and is the first name attackers try; "
           "using it day to day leaves no trace of who did what.",
           "L'Administrateur intégré est partagé, ne peut pas être verrouillé et c'est le premier nom essayé par "
           "les attaquants ; l'utiliser au quotidien empêche de savoir qui a fait quoi."),
        _t("Give each administrator a named admin account, store the built-in Administrator's password in the "
           "vault for emergencies and stop using it.",
           "Donner à chaque administrateur un compte d'administration nominatif, ranger le mot de passe de "
           "l'Administrateur intégré dans le coffre pour les urgences et cesser de l'utiliser."),
        group="account_hygiene.builtin_accounts", effort=2.0,
        depends_on=("account_hygiene.privileged_groups",),
        references=_refs(("CIS Controls v8", "5.4"), ("ANSSI AD", "vuln_admin_account_usage")),
    ),
    _check(
        "guest_enabled", S.high, E.lateral,
        _t("Guest account enabled", "Compte Invité activé"),
        _t("The Guest account lets anyone on the network connect without a password of their own.",
           "Le compte Invité permet à n'importe qui sur le réseau de se connecter sans mot de passe personnel."),
        _t("Disable the Guest account.", "Désactiver le compte Invité."),
        group="account_hygiene.builtin_accounts", effort=0.25,
        references=_refs(("CIS Controls v8", "4.7"), ("ANSSI AD", "vuln_guest_enabled")),
    ),
    _check(
        "password_policy", S.high, E.lateral,
        _t("Weak domain password policy", "Stratégie de mots de passe du domaine trop faible"),
        _t("Short passwords and a short history are guessed or cracked quickly; they are the baseline every "
           "account inherits.",
           "Des mots de passe courts et un historique court se devinent ou se cassent vite ; c'est la règle dont "
           "hérite chaque compte."),
        _t("In the Default Domain Policy, require at least 12 characters (14 for strict baselines), keep a "
           "history of 12+ passwords and set a maximum age in line with the baseline.",
           "Dans la Default Domain Policy, exiger au moins 12 caractères (14 en référentiel strict), un "
           "historique d'au moins 12 mots de passe et une durée de validité conforme au référentiel."),
        group="account_hygiene.password_policy", effort=2.0,
        references=_refs(("CIS Controls v8", "5.2"), ("ANSSI", "R30")),
    ),
    _check(
        "lockout_policy", S.high, E.lateral,
        _t("Missing or weak account lockout", "Verrouillage des comptes absent ou trop permissif"),
        _t("Without lockout, an attacker can try passwords against every account indefinitely (password "
           "spraying), including through exposed services such as webmail or remote desktop.",
           "Sans verrouillage, un attaquant peut essayer des mots de passe sur tous les comptes sans limite "
           "(« password spraying »), y compris à travers les services exposés comme la messagerie web ou le "
           "bureau à distance."),
        _t("Set an account lockout threshold of 5 to 10 attempts with a lockout duration of at least "
           "15 minutes in the Default Domain Policy.",
           "Définir un seuil de verrouillage de 5 à 10 tentatives et une durée de verrouillage d'au moins "
           "15 minutes dans la Default Domain Policy."),
        group="account_hygiene.password_policy", effort=1.0,
        references=_refs(("CIS Controls v8", "4.10"), ("ANSSI", "R31")),
    ),
    _check(
        "fine_grained_policies", S.medium, E.lateral,
        _t("Fine-grained password policies weaker than the baseline",
           "Stratégies de mots de passe affinées plus faibles que le référentiel"),
        _t("A fine-grained policy overrides the domain policy for the accounts it targets: a weak one quietly "
           "exempts them (often service or admin accounts) from the rules.",
           "Une stratégie affinée remplace celle du domaine pour les comptes qu'elle vise : une stratégie faible "
           "les exempte discrètement des règles (souvent des comptes de service ou d'administration)."),
        _t("Bring each listed policy up to the baseline (length, lockout) or delete it.",
           "Mettre chaque stratégie listée au niveau du référentiel (longueur, verrouillage) ou la supprimer."),
        group="account_hygiene.password_policy", effort=1.0, per_asset=0.5,
        references=_refs(("CIS Controls v8", "5.2"),),
    ),
    _check(
        "laps_coverage", S.high, E.lateral,
        _t("Local administrator passwords not managed by LAPS",
           "Mots de passe administrateur local non gérés par LAPS"),
        _t("Without LAPS, local administrator passwords are usually identical everywhere: one compromised "
           "computer gives the attacker every other one.",
           "Sans LAPS, le mot de passe administrateur local est généralement le même partout : un seul poste "
           "compromis donne à l'attaquant tous les autres."),
        _t("Deploy Windows LAPS by group policy to every workstation and member server and check that each "
           "computer publishes its password expiry.",
           "Déployer Windows LAPS par stratégie de groupe sur tous les postes et serveurs membres, puis vérifier "
           "que chaque ordinateur publie la date d'expiration de son mot de passe."),
        group="account_hygiene.laps", effort=4.0, per_asset=0.1,
        references=_refs(("CIS Controls v8", "5.2"), ("ANSSI AD", "vuln_laps")),
    ),
    _check(
        "unconstrained_delegation", S.high, E.lateral,
        _t("Computers trusted for unconstrained delegation",
           "Ordinateurs autorisés à la délégation non contrainte"),
        _t("A server with unconstrained delegation keeps the Kerberos tickets of everyone who connects to it, "
           "administrators included: compromising it gives their identities.",
           "Un serveur en délégation non contrainte conserve les tickets Kerberos de tous ceux qui s'y "
           "connectent, administrateurs compris : le compromettre donne leurs identités."),
        _t("Replace unconstrained delegation with constrained or resource-based delegation limited to the "
           "services that need it, or remove it.",
           "Remplacer la délégation non contrainte par une délégation contrainte ou basée sur les ressources, "
           "limitée aux services qui en ont besoin, ou la supprimer."),
        group="account_hygiene.delegation", effort=2.0, per_asset=1.0,
        references=_refs(("CIS Controls v8", "5.4"), ("ANSSI AD", "vuln_unconstrained_delegation")),
    ),
)
CHECKS = {check.id: check for check in CATALOGUE}


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------

def _id(name: str) -> str:
    return f"{PLUGIN}.{name}"


def _not_assessed(name: str, en: str, fr: str) -> CheckResult:
    return CheckResult(check_id=_id(name), status=Status.not_assessed, reason=_t(en, fr))


#: French explanations of what could not be read (the evidence carries the precise English reason).
_UNREADABLE_FR = {
    "privileged_groups": "les groupes à privilèges (Admins du domaine, RID 512) n'ont pas été trouvés",
    "domain_policy": "les attributs de stratégie de mot de passe du domaine n'ont pas pu être lus",
    "fine_grained_policies": "les stratégies de mot de passe affinées ne sont pas lisibles avec le compte utilisé "
                             "(par défaut, seuls les Admins du domaine y ont accès) ou ne figurent pas dans l'export",
}


def _unreadable(name: str, evidence: AdEvidence, *keys: str) -> CheckResult | None:
    for key in keys:
        if key in evidence.unreadable:
            why = evidence.unreadable[key]
            fr = _UNREADABLE_FR.get(key, f"l'attribut {key} manque sur les comptes lus (droits insuffisants du "
                                         "compte utilisé, ou attribut absent de l'export)")
            return _not_assessed(name, f"Could not read {key}: {why}", f"Lecture impossible ({key}) : {fr}.")
    return None


def _days(now: dt.datetime, moment: dt.datetime | None) -> int | None:
    return None if moment is None else (now - moment).days


def _date(moment: dt.datetime | None) -> str:
    return moment.date().isoformat() if moment else "never"


def _num(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def _account(user: AdUser, detail: str = "", detail_fr: str = "") -> AffectedAsset:
    return AffectedAsset(name=user.sam_account_name, kind="account", detail=detail, detail_fr=detail_fr)


#: Units of measured/threshold, as the report prints them ("Mesuré : 3 550 jours · Attendu : 180 jours").
DAYS = _t("days", "jours")
ACCOUNTS = _t("accounts", "comptes")
COMPUTERS = _t("computers", "ordinateurs")
POLICIES = _t("policies", "stratégies")
GROUPS = _t("groups", "groupes")
PERCENT = _t("%", "%")
ACCOUNTS_OR_POLICIES = _t("accounts or policies", "comptes ou stratégies")

#: French wording of ``AdComputer.role`` (shown when the operating system is unknown).
_ROLE_FR = {"domain_controller": "contrôleur de domaine", "server": "serveur", "workstation": "poste de travail",
            "unknown": "système inconnu"}


def _os_fr(computer: AdComputer) -> str:
    return computer.os_text or _ROLE_FR.get(computer.role, computer.role)


def _logon_detail(last_logon: dt.datetime | None, created: dt.datetime | None, now: dt.datetime) -> tuple[str, str]:
    """When an account last logged on (or, never having logged on, when it was created), in English and French."""
    if last_logon is None:
        if created is None:
            return "never logged on", "jamais connecté"
        return f"never logged on; created {_date(created)}", f"jamais connecté ; créé le {_date(created)}"
    age = _days(now, last_logon)
    return (f"last logon {_date(last_logon)} ({age} days ago)",
            f"dernière connexion le {_date(last_logon)} (il y a {age} jours)")


def _password_set_detail(moment: dt.datetime | None, now: dt.datetime) -> tuple[str, str]:
    age = _days(now, moment)
    return (f"password set {_date(moment)} ({age} days ago)",
            f"mot de passe défini le {_date(moment)} (il y a {age} jours)")


def _result(name: str, affected: Iterable[AffectedAsset], *, measured: object = None, threshold: object = None,
            unit: LocalizedText | None = None, pass_en: str = "", pass_fr: str = "") -> CheckResult:
    items = tuple(sorted(affected, key=lambda a: (a.name.lower(), a.detail)))
    if items:
        return CheckResult(check_id=_id(name), status=Status.failed, affected=items,  # type: ignore[arg-type]
                           measured=len(items) if measured is None else measured, threshold=threshold, unit=unit)
    return CheckResult(check_id=_id(name), status=Status.passed, measured=0 if measured is None else measured,  # type: ignore[arg-type]
                       threshold=threshold, unit=unit, reason=_t(pass_en, pass_fr) if pass_en else None)


class _Membership:
    """Effective privileged membership: nested ``member`` chains plus ``primaryGroupID``."""

    def __init__(self, evidence: AdEvidence) -> None:
        self.by_group: dict[str, list[AdUser]] = {}
        for group in evidence.groups:
            dns = {dn.lower() for dn in group.nested_members}
            rids = set(group.nested_group_rids)
            if evidence.domain.sid and group.sid.startswith(evidence.domain.sid + "-"):
                rids.add(group.rid)
            self.by_group[group.key] = [
                u for u in evidence.users
                if u.enabled and (u.dn.lower() in dns or u.primary_group_rid in rids)
            ]
        self.privileged: dict[str, list[str]] = {}
        for key in PRIVILEGED_GROUPS:
            for user in self.by_group.get(key, []):
                self.privileged.setdefault(user.dn.lower(), []).append(GROUP_LABELS[key])
        self.protected_dns = {u.dn.lower() for key, users in self.by_group.items() for u in users
                              if key != "protected_users"} | set(self.privileged)
        self.protected_users = {u.dn.lower() for u in self.by_group.get("protected_users", [])}

    def is_privileged(self, user: AdUser) -> bool:
        return user.dn.lower() in self.privileged

    def groups_of(self, user: AdUser) -> str:
        return ", ".join(sorted(set(self.privileged.get(user.dn.lower(), []))))


def _policy_problems(policy: DomainPolicy, p: AccountHygieneParameters, *, password: bool,
                     lockout: bool) -> list[str] | None:
    """Human-readable failures of a policy against the baseline; None if the needed values are unreadable."""
    problems: list[str] = []
    if password:
        if policy.min_password_length is None:
            return None
        if policy.min_password_length < p.min_password_length:
            problems.append(f"minPwdLength {policy.min_password_length} < {p.min_password_length}")
        if policy.password_history is not None and policy.password_history < p.min_password_history:
            problems.append(f"pwdHistoryLength {policy.password_history} < {p.min_password_history}")
        if p.max_password_age_days and policy.max_password_age_days is not None:
            if policy.max_password_age_days == 0:
                problems.append("maxPwdAge 0 (∞)")
            elif policy.max_password_age_days > p.max_password_age_days:
                problems.append(f"maxPwdAge {policy.max_password_age_days:g} > {p.max_password_age_days}")
        if policy.reversible_encryption:
            problems.append("DOMAIN_PASSWORD_STORE_CLEARTEXT")
    if lockout:
        if policy.lockout_threshold is None:
            return None
        if policy.lockout_threshold == 0:
            problems.append("lockoutThreshold 0")
        elif policy.lockout_threshold > p.max_lockout_threshold:
            problems.append(f"lockoutThreshold {policy.lockout_threshold} > {p.max_lockout_threshold}")
        if (policy.lockout_threshold and policy.lockout_duration_minutes is not None
                and 0 < policy.lockout_duration_minutes < p.min_lockout_duration_minutes):
            problems.append(f"lockoutDuration {policy.lockout_duration_minutes:g} min < "
                            f"{p.min_lockout_duration_minutes} min")
    return problems


# ------------------------------------------------------------------------------------------------
# Evaluation
# ------------------------------------------------------------------------------------------------

def evaluate(evidence: AdEvidence, params: AccountHygieneParameters, now: dt.datetime) -> list[CheckResult]:
    """Every check of the catalogue, in catalogue order.  ``now`` is when the directory was read."""
    now = evidence.collected_at or now
    membership = _Membership(evidence) if "privileged_groups" not in evidence.unreadable else None
    users = [u for u in evidence.users if u.enabled]
    evaluators: list[Callable[[], CheckResult]] = [
        lambda: _stale_users(evidence, users, params, now),
        lambda: _stale_computers(evidence, params, now),
        lambda: _flag_check("password_never_expires", evidence, users, lambda u: u.password_never_expires,
                            lambda u: "DONT_EXPIRE_PASSWORD"),
        lambda: _flag_check("password_not_required", evidence, users, lambda u: u.password_not_required,
                            lambda u: "PASSWD_NOTREQD"),
        lambda: _reversible(evidence, users),
        lambda: _flag_check("asrep_roastable", evidence, users, lambda u: u.no_preauth,
                            lambda u: "DONT_REQ_PREAUTH"),
        lambda: _kerberoastable(evidence, users, membership, privileged=False),
        lambda: _kerberoastable(evidence, users, membership, privileged=True),
        lambda: _sprawl(evidence, membership, params),
        lambda: _privileged_old(evidence, users, membership, params, now),
        lambda: _privileged_not_protected(evidence, users, membership),
        lambda: _orphaned_admincount(evidence, users, membership),
        lambda: _krbtgt(evidence, params, now),
        lambda: _builtin_admin(evidence, params, now),
        lambda: _guest(evidence),
        lambda: _policy("password_policy", evidence, params, password=True),
        lambda: _policy("lockout_policy", evidence, params, lockout=True),
        lambda: _fgpp(evidence, params),
        lambda: _laps(evidence, params, now),
        lambda: _unconstrained(evidence),
    ]
    return [evaluate_one() for evaluate_one in evaluators]


def _stale_users(evidence: AdEvidence, users: list[AdUser], p: AccountHygieneParameters,
                 now: dt.datetime) -> CheckResult:
    blocked = _unreadable("stale_users", evidence, "userAccountControl", "lastLogonTimestamp", "whenCreated")
    if blocked:
        return blocked
    limit = p.stale_user_days + p.last_logon_lag_days
    affected = []
    for user in users:
        if user.rid == RID_KRBTGT:
            continue
        if user.last_logon is None:
            age = _days(now, user.created)
            if age is not None and age > p.never_logged_on_days:
                affected.append(_account(user, *_logon_detail(None, user.created, now)))
        elif (age := _days(now, user.last_logon)) is not None and age > limit:
            affected.append(_account(user, *_logon_detail(user.last_logon, user.created, now)))
    # Measured: stale accounts; the inactivity limit (threshold + replication lag) shows in each detail's age.
    return _result("stale_users", affected, threshold=0, unit=ACCOUNTS)


def _stale_computers(evidence: AdEvidence, p: AccountHygieneParameters, now: dt.datetime) -> CheckResult:
    blocked = _unreadable("stale_computers", evidence, "userAccountControl", "lastLogonTimestamp", "whenCreated")
    if blocked:
        return blocked
    affected = []
    for computer in evidence.computers:
        if not computer.is_stale(now, p.stale_computer_days, p.last_logon_lag_days, p.never_logged_on_days):
            continue
        detail, detail_fr = _logon_detail(computer.last_logon, computer.created, now)
        if computer.os_text:
            detail += f"; {computer.os_text}"
            detail_fr += f" ; {computer.os_text}"
        affected.append(AffectedAsset(name=computer.name, kind="host", detail=detail, detail_fr=detail_fr))
    return _result("stale_computers", affected, threshold=0, unit=COMPUTERS)


def _flag_check(name: str, evidence: AdEvidence, users: list[AdUser], predicate: Callable[[AdUser], bool],
                detail: Callable[[AdUser], str]) -> CheckResult:
    blocked = _unreadable(name, evidence, "userAccountControl")
    if blocked:
        return blocked
    return _result(name, (_account(u, detail(u)) for u in users if predicate(u) and u.rid != RID_KRBTGT),
                   threshold=0, unit=ACCOUNTS)


def _reversible(evidence: AdEvidence, users: list[AdUser]) -> CheckResult:
    blocked = _unreadable("reversible_encryption", evidence, "userAccountControl")
    if blocked:
        return blocked
    affected = [_account(u, "ENCRYPTED_TEXT_PWD_ALLOWED") for u in users if u.reversible_encryption]
    if evidence.domain.policy.reversible_encryption:
        affected.append(AffectedAsset(name="Default Domain Policy", kind="policy",
                                      detail="DOMAIN_PASSWORD_STORE_CLEARTEXT"))
    affected.extend(AffectedAsset(name=pso.name, kind="policy", detail="msDS-PasswordReversibleEncryptionEnabled")
                    for pso in evidence.password_settings if pso.policy.reversible_encryption)
    return _result("reversible_encryption", affected, threshold=0, unit=ACCOUNTS_OR_POLICIES)


def _kerberoastable(evidence: AdEvidence, users: list[AdUser], membership: _Membership | None, *,
                    privileged: bool) -> CheckResult:
    name = "kerberoastable_privileged" if privileged else "kerberoastable_users"
    blocked = _unreadable(name, evidence, "userAccountControl", "servicePrincipalName")
    if blocked:
        return blocked
    if membership is None:
        return _unreadable(name, evidence, "privileged_groups")  # type: ignore[return-value]
    affected = []
    for user in users:
        if not user.service_principal_names or user.rid == RID_KRBTGT:
            continue
        if membership.is_privileged(user) != privileged:
            continue
        spns = ", ".join(user.service_principal_names[:3])
        if len(user.service_principal_names) > 3:
            spns += f" (+{len(user.service_principal_names) - 3})"
        if privileged:
            affected.append(_account(user, f"{spns}; member of {membership.groups_of(user)}",
                                     f"{spns} ; membre de {membership.groups_of(user)}"))
        else:
            affected.append(_account(user, spns))
    return _result(name, affected, threshold=0, unit=ACCOUNTS)


def _sprawl(evidence: AdEvidence, membership: _Membership | None, p: AccountHygieneParameters) -> CheckResult:
    if membership is None:
        return _unreadable("privileged_group_sprawl", evidence, "privileged_groups")  # type: ignore[return-value]
    blocked = _unreadable("privileged_group_sprawl", evidence, "userAccountControl")
    if blocked:
        return blocked
    over: dict[str, list[str]] = {}
    groups_over = 0
    for key in PRIVILEGED_GROUPS:
        members = membership.by_group.get(key, [])
        limit = p.privileged_group_max_members.get(key)
        if limit is not None and len(members) > limit:
            groups_over += 1
            for user in members:
                over.setdefault(user.sam_account_name, []).append(f"{GROUP_LABELS[key]} ({len(members)} > {limit})")
    affected = [AffectedAsset(name=name, kind="account", detail="; ".join(groups)) for name, groups in over.items()]
    # Measured: privileged groups over their limit (each detail says "group (members > limit)").
    total = len(membership.privileged)
    return _result("privileged_group_sprawl", affected, measured=groups_over, threshold=0, unit=GROUPS,
                   pass_en=f"{total} privileged accounts, every privileged group within its limit.",
                   pass_fr=f"{total} compte(s) à privilèges, chaque groupe à privilèges dans sa limite.")


def _privileged_old(evidence: AdEvidence, users: list[AdUser], membership: _Membership | None,
                    p: AccountHygieneParameters, now: dt.datetime) -> CheckResult:
    if membership is None:
        return _unreadable("privileged_old_passwords", evidence, "privileged_groups")  # type: ignore[return-value]
    blocked = _unreadable("privileged_old_passwords", evidence, "pwdLastSet", "userAccountControl")
    if blocked:
        return blocked
    affected = []
    oldest = 0
    for user in users:
        if not membership.is_privileged(user) or user.pwd_last_set is None:
            continue
        age = _days(now, user.pwd_last_set)
        if age is not None:
            oldest = max(oldest, age)
        if age is not None and age > p.privileged_password_max_age_days:
            en, fr = _password_set_detail(user.pwd_last_set, now)
            groups = membership.groups_of(user)
            affected.append(_account(user, f"{en}; {groups}", f"{fr} ; {groups}"))
    # Measured: the oldest privileged password, in days, against the longest age allowed.
    return _result("privileged_old_passwords", affected, measured=oldest,
                   threshold=p.privileged_password_max_age_days, unit=DAYS)


def _privileged_not_protected(evidence: AdEvidence, users: list[AdUser], membership: _Membership | None) -> CheckResult:
    if membership is None:
        return _unreadable("privileged_not_protected", evidence, "privileged_groups")  # type: ignore[return-value]
    blocked = _unreadable("privileged_not_protected", evidence, "userAccountControl")
    if blocked:
        return blocked
    affected = [
        _account(u, membership.groups_of(u)) for u in users
        if membership.is_privileged(u) and not u.sensitive and u.dn.lower() not in membership.protected_users
    ]
    return _result("privileged_not_protected", affected, threshold=0, unit=ACCOUNTS)


def _orphaned_admincount(evidence: AdEvidence, users: list[AdUser], membership: _Membership | None) -> CheckResult:
    if membership is None:
        return _unreadable("orphaned_admincount", evidence, "privileged_groups")  # type: ignore[return-value]
    affected = [
        _account(u, "adminCount 1") for u in users
        if u.admin_count and u.rid not in (RID_ADMINISTRATOR, RID_KRBTGT)
        and u.dn.lower() not in membership.protected_dns
    ]
    return _result("orphaned_admincount", affected, threshold=0, unit=ACCOUNTS)


def _find_rid(evidence: AdEvidence, rid: int) -> AdUser | None:
    return next((u for u in evidence.users if u.rid == rid), None)


def _krbtgt(evidence: AdEvidence, p: AccountHygieneParameters, now: dt.datetime) -> CheckResult:
    krbtgt = _find_rid(evidence, RID_KRBTGT)
    if krbtgt is None or krbtgt.pwd_last_set is None:
        return _not_assessed("krbtgt_password_age", "The krbtgt account or its pwdLastSet could not be read.",
                             "Le compte krbtgt ou son attribut pwdLastSet n'a pas pu être lu.")
    age = _days(now, krbtgt.pwd_last_set) or 0
    affected = []
    if age > p.krbtgt_password_max_age_days:
        affected.append(_account(krbtgt, *_password_set_detail(krbtgt.pwd_last_set, now)))
    return _result("krbtgt_password_age", affected, measured=age, threshold=p.krbtgt_password_max_age_days,
                   unit=DAYS)


def _builtin_admin(evidence: AdEvidence, p: AccountHygieneParameters, now: dt.datetime) -> CheckResult:
    admin = _find_rid(evidence, RID_ADMINISTRATOR)
    if admin is None or admin.uac is None:
        return _not_assessed("builtin_admin_in_use", "The built-in Administrator (RID 500) could not be read.",
                             "L'Administrateur intégré (RID 500) n'a pas pu être lu.")
    if "lastLogonTimestamp" in evidence.unreadable:
        return _unreadable("builtin_admin_in_use", evidence, "lastLogonTimestamp")  # type: ignore[return-value]
    age = _days(now, admin.last_logon)
    affected = []
    if admin.enabled and age is not None and age <= p.builtin_admin_recent_days:
        affected.append(_account(admin, *_logon_detail(admin.last_logon, admin.created, now)))
    # Measured: days since its last logon (None: never logged on); "in use" means within the threshold.
    result = _result("builtin_admin_in_use", affected, measured=age, threshold=p.builtin_admin_recent_days, unit=DAYS)
    return result if age is not None else result.model_copy(update={"measured": None})


def _guest(evidence: AdEvidence) -> CheckResult:
    guest = _find_rid(evidence, RID_GUEST)
    if guest is None or guest.uac is None:
        return _not_assessed("guest_enabled", "The Guest account (RID 501) could not be read.",
                             "Le compte Invité (RID 501) n'a pas pu être lu.")
    affected = ([_account(guest, f"enabled (userAccountControl {guest.uac})",
                          f"activé (userAccountControl {guest.uac})")] if guest.enabled else [])
    # An on/off state: no measured value or threshold (the verdict and the detail say it).
    return CheckResult(check_id=_id("guest_enabled"), status=Status.failed if affected else Status.passed,
                       affected=tuple(affected))


def _policy(name: str, evidence: AdEvidence, p: AccountHygieneParameters, *, password: bool = False,
            lockout: bool = False) -> CheckResult:
    policy = evidence.domain.policy
    problems = _policy_problems(policy, p, password=password, lockout=lockout)
    if problems is None or "domain_policy" in evidence.unreadable:
        return _not_assessed(name, "The domain password and lockout attributes could not be read.",
                             "Les attributs de stratégie de mot de passe et de verrouillage du domaine n'ont pas "
                             "pu être lus.")
    affected = ([AffectedAsset(name="Default Domain Policy", kind="policy", detail="; ".join(problems))]
                if problems else [])
    if password:
        measured = (f"minPwdLength {policy.min_password_length}, pwdHistoryLength {policy.password_history}, "
                    f"maxPwdAge {_num(policy.max_password_age_days)}")
        threshold = f"minPwdLength >= {p.min_password_length}, pwdHistoryLength >= {p.min_password_history}"
        if p.max_password_age_days:
            threshold += f", maxPwdAge 1..{p.max_password_age_days}"
    else:
        measured = (f"lockoutThreshold {policy.lockout_threshold}, "
                    f"lockoutDuration {_num(policy.lockout_duration_minutes)} min")
        threshold = (f"lockoutThreshold 1..{p.max_lockout_threshold}, "
                     f"lockoutDuration >= {p.min_lockout_duration_minutes} min")
    return _result(name, affected, measured=measured, threshold=threshold)


def _fgpp(evidence: AdEvidence, p: AccountHygieneParameters) -> CheckResult:
    blocked = _unreadable("fine_grained_policies", evidence, "fine_grained_policies")
    if blocked:
        return blocked
    affected = []
    for pso in evidence.password_settings:
        problems = _policy_problems(pso.policy, p, password=True, lockout=True)
        if problems is None:
            problems = ["msDS-PasswordSettings: ?"]
        if problems:
            targets = ", ".join(dn.split(",", 1)[0].split("=", 1)[-1] for dn in pso.applies_to)
            detail = f"{'; '.join(problems)}; msDS-PSOAppliesTo: {targets or 'nobody'}"
            detail_fr = "" if targets else f"{'; '.join(problems)} ; msDS-PSOAppliesTo : personne"
            affected.append(AffectedAsset(name=pso.name, kind="policy", detail=detail, detail_fr=detail_fr))
    # Measured: policies weaker than the baseline (the pass reason gives how many were read).
    return _result("fine_grained_policies", affected, threshold=0, unit=POLICIES,
                   pass_en=f"{len(evidence.password_settings)} fine-grained policies, none weaker than the baseline.",
                   pass_fr=f"{len(evidence.password_settings)} stratégie(s) affinée(s), aucune plus faible que le "
                           "référentiel.")


def laps_eligible(computer: AdComputer, now: dt.datetime, p: AccountHygieneParameters) -> bool:
    """Enabled Windows workstations and member servers that are not stale.

    Domain controllers have no local accounts; stale objects are reported by stale_computers; Linux, macOS
    and Samba machines cannot run LAPS (a computer whose OS is unknown counts, as Windows is the norm).
    """
    os_text = (computer.operating_system or "").lower()
    return (computer.enabled and not computer.is_domain_controller
            and (not os_text or "windows" in os_text)
            and not computer.is_stale(now, p.stale_computer_days, p.last_logon_lag_days, p.never_logged_on_days))


def _laps(evidence: AdEvidence, p: AccountHygieneParameters, now: dt.datetime) -> CheckResult:
    blocked = _unreadable("laps_coverage", evidence, "userAccountControl")
    if blocked:
        return blocked
    eligible = [c for c in evidence.computers if laps_eligible(c, now, p)]
    if not eligible:
        return _not_assessed("laps_coverage", "No enabled workstation or member server in the directory.",
                             "Aucun poste ni serveur membre actif dans l'annuaire.")
    missing = [c for c in eligible if not c.has_laps]
    no_schema = evidence.laps_legacy_schema is False and evidence.laps_windows_schema is False
    covered = len(eligible) - len(missing)
    share = covered / len(eligible)
    if no_schema:
        detail, detail_fr = "LAPS schema absent", "schéma LAPS absent de l'annuaire"
    else:
        detail = f"{LAPS_LEGACY_ATTRIBUTE}, {LAPS_WINDOWS_ATTRIBUTE} absent"
        detail_fr = f"LAPS non actif ({LAPS_LEGACY_ATTRIBUTE}, {LAPS_WINDOWS_ATTRIBUTE} absents)"
    affected = tuple(sorted((AffectedAsset(name=c.name, kind="host", detail=f"{detail}; {c.os_text or c.role}",
                                           detail_fr=f"{detail_fr} ; {_os_fr(c)}")
                             for c in missing), key=lambda a: a.name.lower()))
    # Measured: share of eligible computers covered, in percent (the missing ones are listed).
    measured = round(100 * share)
    if not missing:
        return CheckResult(check_id=_id("laps_coverage"), status=Status.passed, measured=measured, threshold=100,
                           unit=PERCENT)
    if covered == 0:
        return CheckResult(check_id=_id("laps_coverage"), status=Status.failed, affected=affected, measured=measured,
                           threshold=100, unit=PERCENT)
    return CheckResult(check_id=_id("laps_coverage"), status=Status.partial, score_share=round(share, 4),
                       affected=affected, measured=measured, threshold=100, unit=PERCENT)


def _unconstrained(evidence: AdEvidence) -> CheckResult:
    blocked = _unreadable("unconstrained_delegation", evidence, "userAccountControl")
    if blocked:
        return blocked
    affected = [AffectedAsset(name=c.name, kind="host", detail=f"TRUSTED_FOR_DELEGATION; {c.os_text or c.role}",
                              detail_fr="" if c.os_text else f"TRUSTED_FOR_DELEGATION ; {_os_fr(c)}")
                for c in evidence.computers
                if c.enabled and c.unconstrained_delegation and not c.is_domain_controller]
    return _result("unconstrained_delegation", affected, threshold=0, unit=COMPUTERS)
