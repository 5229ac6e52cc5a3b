"""The MFA check catalogue and its pure evaluation functions (no network, no files, no clock).

Checks are provider-agnostic: Microsoft 365 and Google Workspace users are judged together, each
affected account named by its UPN / primary email with the provider in the detail.  What a source could
not tell (admin roles unreadable, enforcement absent from a CSV export) makes a check `not_assessed` with
the reason, never `fail`.  Break-glass accounts listed in the profile are left out of every figure and
reported by their own informational check.
"""

from __future__ import annotations

from collections.abc import Iterable
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
from auditor_plugins.mfa.evidence import (
    ConditionalAccessPolicy,
    Enforcement,
    GoogleUser,
    M365User,
    MfaEvidence,
    Microsoft365Evidence,
)
from auditor_plugins.mfa.settings import MfaParameters

PLUGIN = "mfa"
AREA = "mfa"

CIS_63 = FrameworkRef(framework="CIS Controls v8", control="6.3")
CIS_64 = FrameworkRef(framework="CIS Controls v8", control="6.4")
CIS_65 = FrameworkRef(framework="CIS Controls v8", control="6.5")
NIST_SMS = FrameworkRef(framework="NIST SP 800-63B", control="5.1.3.3")
ANSSI_MFA = FrameworkRef(framework="ANSSI", control="Authentification multifacteur (2021)")


def _t(en: str, fr: str) -> LocalizedText:
    return LocalizedText(en=en, fr=fr)


CHECKS: tuple[Check, ...] = (
    Check(
        id="mfa.member_registration", plugin=PLUGIN, area=AREA, severity=Severity.high,
        exploitability=Exploitability.exposed,
        title=_t("Staff accounts without multi-factor authentication",
                 "Comptes du personnel sans authentification multifacteur"),
        rationale=_t(
            "An account protected by a password alone is taken over with one phished or reused password; stolen "
            "mailbox access is the usual start of invoice fraud and ransomware in small firms.",
            "Un compte protégé par un simple mot de passe tombe dès que ce mot de passe est volé par hameçonnage "
            "ou réutilisé ailleurs ; l'accès à une messagerie volée est le point de départ habituel des fraudes "
            "au virement et des rançongiciels dans les petites entreprises."),
        remediation=_t(
            "Have every listed user register the Microsoft Authenticator app (or a security key) at "
            "aka.ms/mysecurityinfo, or turn on 2-Step Verification in their Google account; plan a short "
            "registration session with each team.",
            "Demander à chaque utilisateur listé d'enregistrer l'application Microsoft Authenticator (ou une clé "
            "de sécurité) sur aka.ms/mysecurityinfo, ou d'activer la validation en deux étapes de son compte "
            "Google ; prévoir une courte séance d'accompagnement par équipe."),
        remediation_group="mfa.registration", effort_hours=2.0, effort_per_asset_hours=0.25,
        references=(CIS_63, CIS_64, ANSSI_MFA),
    ),
    Check(
        id="mfa.admin_registration", plugin=PLUGIN, area=AREA, severity=Severity.critical,
        exploitability=Exploitability.exposed,
        title=_t("Administrators without multi-factor authentication",
                 "Administrateurs sans authentification multifacteur"),
        rationale=_t(
            "An administrator account without MFA hands an attacker the whole tenant with a single password: "
            "every mailbox, every file, the power to disable protections and erase backups.",
            "Un compte administrateur sans authentification multifacteur livre tout l'environnement avec un seul "
            "mot de passe : toutes les boîtes aux lettres, tous les fichiers, et le pouvoir de désactiver les "
            "protections ou d'effacer les sauvegardes."),
        remediation=_t(
            "Register a phishing-resistant method (security key or Authenticator) for each listed administrator "
            "today, and remove administrator roles that are no longer needed.",
            "Enregistrer dès aujourd'hui une méthode résistante à l'hameçonnage (clé de sécurité ou application "
            "Authenticator) pour chaque administrateur listé, et retirer les droits d'administration devenus "
            "inutiles."),
        remediation_group="mfa.admins", effort_hours=1.0, effort_per_asset_hours=0.25,
        references=(CIS_65, ANSSI_MFA),
    ),
    Check(
        id="mfa.enforcement", plugin=PLUGIN, area=AREA, severity=Severity.high,
        exploitability=Exploitability.exposed,
        title=_t("Multi-factor authentication not enforced for all users",
                 "Authentification multifacteur non imposée à tous les utilisateurs"),
        rationale=_t(
            "Registration alone does not stop an attacker: unless MFA is required at sign-in, a stolen password "
            "still opens the account, and users who never registered are never asked to.",
            "L'inscription ne suffit pas : tant que la double authentification n'est pas exigée à la connexion, "
            "un mot de passe volé ouvre toujours le compte, et les utilisateurs non inscrits ne sont jamais "
            "invités à le faire."),
        remediation=_t(
            "Microsoft 365: turn on security defaults, or (with Entra ID P1) create an enabled Conditional Access "
            "policy requiring MFA for all users and all cloud apps, excluding only the break-glass accounts. "
            "Google Workspace: enforce 2-Step Verification for every organisational unit.",
            "Microsoft 365 : activer les paramètres de sécurité par défaut ou, avec Entra ID P1, créer une "
            "stratégie d'accès conditionnel active exigeant la MFA pour tous les utilisateurs et toutes les "
            "applications, en n'excluant que les comptes d'urgence. Google Workspace : imposer la validation en "
            "deux étapes à toutes les unités organisationnelles."),
        remediation_group="mfa.enforcement", effort_hours=4.0, depends_on=("mfa.admins",),
        references=(CIS_63, CIS_64, ANSSI_MFA),
    ),
    Check(
        id="mfa.phone_only_methods", plugin=PLUGIN, area=AREA, severity=Severity.medium,
        exploitability=Exploitability.exposed,
        title=_t("Users whose only second factor is SMS or a phone call",
                 "Utilisateurs dont le seul second facteur est un SMS ou un appel"),
        rationale=_t(
            "Codes sent by SMS or voice call are intercepted by SIM swapping and relayed by phishing kits; they are "
            "better than nothing but are the weakest form of MFA.",
            "Les codes reçus par SMS ou par appel peuvent être détournés (échange de carte SIM) ou relayés par des "
            "sites d'hameçonnage : c'est mieux que rien, mais c'est la forme la plus faible de double "
            "authentification."),
        remediation=_t(
            "Move the listed users to the Microsoft Authenticator app or a security key, then restrict SMS and "
            "voice in the authentication methods policy.",
            "Faire passer les utilisateurs listés à l'application Microsoft Authenticator ou à une clé de "
            "sécurité, puis restreindre le SMS et l'appel vocal dans la stratégie des méthodes d'authentification."),
        remediation_group="mfa.strong_methods", effort_hours=1.0, effort_per_asset_hours=0.25,
        depends_on=("mfa.registration",), references=(NIST_SMS, ANSSI_MFA),
    ),
    Check(
        id="mfa.guest_coverage", plugin=PLUGIN, area=AREA, severity=Severity.medium,
        exploitability=Exploitability.exposed,
        title=_t("Guest accounts without multi-factor authentication",
                 "Comptes invités sans authentification multifacteur"),
        rationale=_t(
            "Guests (accountants, partners, suppliers) reach shared files and Teams; a guest signing in with a "
            "password alone is a way into the firm's data that nobody watches.",
            "Les invités (experts-comptables, partenaires, fournisseurs) accèdent aux fichiers partagés et à "
            "Teams ; un invité qui se connecte avec un simple mot de passe est une porte d'entrée vers les "
            "données que personne ne surveille."),
        remediation=_t(
            "Require MFA for guests with a Conditional Access policy (or trust their home tenant's MFA in the "
            "cross-tenant access settings), and remove guests who no longer need access.",
            "Exiger la MFA pour les invités par une stratégie d'accès conditionnel (ou accepter la MFA de leur "
            "propre organisation dans les paramètres d'accès inter-locataires), et supprimer les invités qui "
            "n'ont plus besoin d'accès."),
        remediation_group="mfa.guests", effort_hours=2.0, effort_per_asset_hours=0.1,
        depends_on=("mfa.enforcement",), references=(CIS_63,),
    ),
    Check(
        id="mfa.break_glass", plugin=PLUGIN, area=AREA, severity=Severity.low,
        exploitability=Exploitability.hygiene,
        title=_t("Emergency access (break-glass) accounts", "Comptes d'accès d'urgence (« bris de glace »)"),
        rationale=_t(
            "Emergency accounts are deliberately excluded from MFA enforcement so the firm cannot be locked out; "
            "they are reported here, apart from the other findings, so that their state is reviewed at every "
            "audit.",
            "Les comptes d'urgence sont volontairement exclus de l'obligation de MFA pour que l'entreprise ne "
            "puisse jamais perdre l'accès à son environnement ; ils sont présentés ici, à part, pour que leur "
            "état soit revu à chaque audit."),
        remediation=_t(
            "Keep one or two cloud-only emergency accounts with long random passwords (or a FIDO2 key) stored "
            "offline, list them in the profile, and alert on every sign-in.",
            "Conserver un ou deux comptes d'urgence, uniquement dans le cloud, avec un mot de passe long et "
            "aléatoire (ou une clé FIDO2) conservé hors ligne, les déclarer dans le profil et être alerté à "
            "chaque connexion."),
        remediation_group="mfa.break_glass", effort_hours=0.0,
        references=(CIS_65,),
    ),
)

CHECK_IDS = tuple(check.id for check in CHECKS)


# --- helpers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ctx:
    evidence: MfaEvidence
    params: MfaParameters
    break_glass: frozenset[str]

    @property
    def m365(self) -> Microsoft365Evidence | None:
        return self.evidence.microsoft365

    def is_bg_m365(self, user: M365User) -> bool:
        return user.upn.lower() in self.break_glass or (bool(user.id) and user.id.lower() in self.break_glass)

    def is_bg_google(self, user: GoogleUser) -> bool:
        return user.primary_email.lower() in self.break_glass or (bool(user.id) and user.id.lower() in self.break_glass)

    def m365_enabled(self) -> list[M365User]:
        """Users counted: enabled (or of unknown state), not break-glass."""
        if self.m365 is None:
            return []
        return [u for u in self.m365.users if u.enabled is not False and not self.is_bg_m365(u)]

    def google_active(self) -> list[GoogleUser]:
        gw = self.evidence.google_workspace
        return [u for u in gw.users if u.active and not self.is_bg_google(u)] if gw else []


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 100.0


def _fmt(value: float) -> str:
    return f"{value:g}"


def _fmt_fr(value: float) -> str:
    """French decimal comma ("71,1")."""
    return f"{value:g}".replace(".", ",")


#: Units of `measured` and `threshold` (the report prints "Mesuré : 71,1 % · Attendu : 95 %").
PERCENT = _t("%", "%")
ACCOUNTS = _t("accounts", "comptes")


def _account(name: str, detail: str, detail_fr: str = "") -> AffectedAsset:
    return AffectedAsset(name=name, kind="account", detail=detail, detail_fr=detail_fr)


def _sorted(assets: Iterable[AffectedAsset]) -> tuple[AffectedAsset, ...]:
    return tuple(sorted(assets, key=lambda a: (a.name.lower(), a.detail)))


def _methods_text(user: M365User, lang: str = "en") -> str:
    """Registered methods (Graph identifiers such as `microsoftAuthenticatorPush`, language-neutral)."""
    if user.methods:
        return ", ".join(user.methods)
    return "aucune" if lang == "fr" else "none"


def _path_text(m365: Microsoft365Evidence) -> tuple[str, str]:
    """How the Microsoft 365 data was collected, in both languages (the report must say it)."""
    en = {
        "registration_report": "Microsoft 365 data read from the Graph user registration details report",
        "per_user_methods": "Microsoft 365 data read user by user from Graph authentication methods, because the "
                            "tenant has no Entra ID P1/P2 (the registration report answered 403)",
        "csv_export": "Microsoft 365 data read from the Entra admin center CSV export of user registration "
                      "details, which does not say whether accounts are disabled",
        "recorded_json": "Microsoft 365 data read from recorded evidence",
    }[m365.collection_path]
    fr = {
        "registration_report": "Données Microsoft 365 lues dans le rapport Graph des inscriptions des utilisateurs",
        "per_user_methods": "Données Microsoft 365 lues utilisateur par utilisateur (méthodes d'authentification "
                            "Graph), car le locataire n'a pas de licence Entra ID P1/P2 (le rapport des "
                            "inscriptions a répondu 403)",
        "csv_export": "Données Microsoft 365 lues dans l'export CSV du centre d'administration Entra, qui "
                      "n'indique pas si les comptes sont désactivés",
        "recorded_json": "Données Microsoft 365 lues dans des preuves enregistrées",
    }[m365.collection_path]
    return en, fr


def _not_assessed(check_id: str, en: str, fr: str) -> CheckResult:
    return CheckResult(check_id=check_id, status=Status.not_assessed, reason=_t(en, fr))


# --- checks -------------------------------------------------------------------------------------------


def _member_registration(ctx: _Ctx) -> CheckResult:
    cid = "mfa.member_registration"
    missing: list[AffectedAsset] = []
    total = registered = 0
    notes_en: list[str] = []
    notes_fr: list[str] = []
    if ctx.m365 is not None:
        members = [u for u in ctx.m365_enabled() if u.user_type == "member"]
        total += len(members)
        for user in members:
            if user.mfa_registered:
                registered += 1
            else:
                missing.append(_account(user.upn, f"Microsoft 365 member; methods: {_methods_text(user)}",
                                        f"Membre Microsoft 365 ; méthodes : {_methods_text(user, 'fr')}"))
        disabled = sum(1 for u in ctx.m365.users if u.enabled is False and u.user_type == "member")
        en, fr = _path_text(ctx.m365)
        notes_en.append(f"{en}; {len(members)} enabled members counted, {disabled} disabled not counted")
        notes_fr.append(f"{fr} ; {len(members)} membres actifs comptés, {disabled} comptes désactivés non comptés")
    gw = ctx.evidence.google_workspace
    if gw is not None:
        active = ctx.google_active()
        total += len(active)
        for g in active:
            if g.enrolled_2sv:
                registered += 1
            else:
                missing.append(_account(g.primary_email, "Google Workspace user; 2-Step Verification not enrolled",
                                        "Utilisateur Google Workspace ; validation en deux étapes non activée"))
        notes_en.append(f"Google Workspace: {len(active)} active users counted")
        notes_fr.append(f"Google Workspace : {len(active)} utilisateurs actifs comptés")
    if ctx.break_glass:
        notes_en.append(f"break-glass accounts listed in the profile ({len(ctx.break_glass)}) are not counted")
        notes_fr.append(f"les comptes d'urgence déclarés dans le profil ({len(ctx.break_glass)}) ne sont pas comptés")
    if total == 0:
        return _not_assessed(cid, "No enabled member account was found, so registration coverage cannot be measured. "
                             + "; ".join(notes_en) + ".",
                             "Aucun compte membre actif n'a été trouvé : la couverture ne peut pas être mesurée. "
                             + " ; ".join(notes_fr) + ".")
    coverage = _pct(registered, total)
    target = ctx.params.registration_target_percent
    reason = _t(
        f"{registered} of {total} enabled member accounts are registered for MFA ({_fmt(coverage)} %), target "
        f"{_fmt(target)} %. " + "; ".join(notes_en) + ".",
        f"{registered} comptes membres actifs sur {total} sont inscrits à la MFA ({_fmt_fr(coverage)} %), objectif "
        f"{_fmt_fr(target)} %. " + " ; ".join(notes_fr) + ".",
    )
    if 100.0 * registered >= target * total:  # exact comparison: 94.96 % must not pass a 95 % target
        return CheckResult(check_id=cid, status=Status.passed, measured=coverage, threshold=target, unit=PERCENT,
                           reason=reason)
    if registered == 0:
        return CheckResult(check_id=cid, status=Status.failed, measured=coverage, threshold=target, unit=PERCENT,
                           affected=_sorted(missing), reason=reason)
    share = round(min(1.0, (registered / total) / (target / 100.0)), 4)
    return CheckResult(check_id=cid, status=Status.partial, score_share=share, measured=coverage, threshold=target,
                       unit=PERCENT, affected=_sorted(missing), reason=reason)


def _admin_registration(ctx: _Ctx) -> CheckResult:
    cid = "mfa.admin_registration"
    missing: list[AffectedAsset] = []
    admins = 0
    unknown_en: list[str] = []
    unknown_fr: list[str] = []
    if ctx.m365 is not None:
        users = ctx.m365_enabled()
        if not ctx.m365.admin_roles_read or all(u.is_admin is None for u in users):
            unknown_en.append("Microsoft 365 administrator roles could not be read (the application needs "
                              "RoleManagement.Read.Directory, or the CSV export has no Admin column)")
            unknown_fr.append("les rôles d'administrateur Microsoft 365 n'ont pas pu être lus (l'application a "
                              "besoin de RoleManagement.Read.Directory, ou l'export CSV n'a pas de colonne Admin)")
        else:
            for user in users:
                if user.is_admin:
                    admins += 1
                    if not user.mfa_registered:
                        missing.append(_account(user.upn, f"Microsoft 365 administrator; methods: "
                                                          f"{_methods_text(user)}",
                                                f"Administrateur Microsoft 365 ; méthodes : "
                                                f"{_methods_text(user, 'fr')}"))
    for g in ctx.google_active():
        if g.admin:
            admins += 1
            if not g.enrolled_2sv:
                kind = "super administrator" if g.is_admin else "delegated administrator"
                kind_fr = "Super-administrateur" if g.is_admin else "Administrateur délégué"
                missing.append(_account(g.primary_email, f"Google Workspace {kind}; 2-Step Verification not enrolled",
                                        f"{kind_fr} Google Workspace ; validation en deux étapes non activée"))
    covered = admins - len(missing)
    measured = _pct(covered, admins)
    if missing:
        return CheckResult(
            check_id=cid, status=Status.failed, measured=measured, threshold=100.0, unit=PERCENT,
            affected=_sorted(missing),
            reason=_t(f"{len(missing)} of {admins} administrator accounts have no MFA method registered"
                      + (f"; also: {'; '.join(unknown_en)}" if unknown_en else "") + ".",
                      f"Comptes administrateurs sans aucune méthode MFA inscrite : {len(missing)} sur {admins}"
                      + (f" ; par ailleurs : {' ; '.join(unknown_fr)}" if unknown_fr else "") + "."))
    if unknown_en:
        return _not_assessed(cid, "Administrators could not be identified: " + "; ".join(unknown_en) + ".",
                             "Les administrateurs n'ont pas pu être identifiés : " + " ; ".join(unknown_fr) + ".")
    return CheckResult(check_id=cid, status=Status.passed, measured=measured, threshold=100.0, unit=PERCENT,
                       reason=_t(f"All {admins} administrator accounts are registered for MFA (break-glass accounts "
                                 f"are reported separately).",
                                 f"Les {admins} comptes administrateurs sont tous inscrits à la MFA (les comptes "
                                 f"d'urgence sont présentés à part)."))


_POLICY_STATES_FR = {"enabledForReportingButNotEnforced": "en mode rapport uniquement", "disabled": "désactivée"}


def _policy_problems(policy: ConditionalAccessPolicy, ctx: _Ctx) -> list[str]:
    """Why a policy does not enforce MFA for everyone (empty list: it does)."""
    return [en for en, _fr in _policy_problems_en_fr(policy, ctx)]


def _policy_problems_en_fr(policy: ConditionalAccessPolicy, ctx: _Ctx) -> list[tuple[str, str]]:
    """Why a policy does not enforce MFA for everyone, each reason in English and French (empty list: it does)."""
    problems: list[tuple[str, str]] = []
    if policy.state != "enabled":
        problems.append(("report-only", _POLICY_STATES_FR[policy.state])
                        if policy.state == "enabledForReportingButNotEnforced"
                        else (policy.state, _POLICY_STATES_FR.get(policy.state, f"état {policy.state}")))
    if "All" not in policy.include_users:
        problems.append(("does not target all users", "ne vise pas tous les utilisateurs"))
    if "All" not in policy.include_applications:
        problems.append(("does not target all cloud apps", "ne vise pas toutes les applications cloud"))
    if not policy.requires_mfa:
        problems.append(("does not require MFA", "n'exige pas la MFA"))
    stray = [
        upn or uid for uid, upn in zip(policy.exclude_users,
                                       policy.exclude_users_upn or ("",) * len(policy.exclude_users), strict=False)
        if uid.lower() not in ctx.break_glass and (upn or "").lower() not in ctx.break_glass
    ]
    if stray:
        names = ", ".join(sorted(stray))
        problems.append((f"excludes accounts that are not listed break-glass accounts: {names}",
                         f"exclut des comptes qui ne sont pas des comptes d'urgence déclarés : {names}"))
    if policy.exclude_groups:
        problems.append((f"excludes {len(policy.exclude_groups)} group(s)",
                         f"exclut {len(policy.exclude_groups)} groupe(s)"))
    if policy.exclude_roles:
        problems.append((f"excludes {len(policy.exclude_roles)} role(s)",
                         f"exclut {len(policy.exclude_roles)} rôle(s)"))
    if policy.excludes_guests:
        problems.append(("excludes guests or external users", "exclut les invités ou utilisateurs externes"))
    return problems


def enforcing_policies(enforcement: Enforcement, ctx: _Ctx) -> list[ConditionalAccessPolicy]:
    return [p for p in enforcement.policies if not _policy_problems(p, ctx)]


def _enforcement(ctx: _Ctx) -> CheckResult:
    cid = "mfa.enforcement"
    failures: list[AffectedAsset] = []
    fail_en: list[str] = []
    fail_fr: list[str] = []
    ok_en: list[str] = []
    ok_fr: list[str] = []
    unknown_en: list[str] = []
    unknown_fr: list[str] = []
    m365 = ctx.m365
    if m365 is not None:
        enf = m365.enforcement
        tenant = f"Microsoft 365 tenant {m365.tenant_id}".strip()
        if enf is None:
            unknown_en.append("the Microsoft 365 source (CSV export) holds no enforcement data")
            unknown_fr.append("la source Microsoft 365 (export CSV) ne contient aucune donnée sur l'obligation de MFA")
        elif enf.security_defaults_enabled:
            ok_en.append("Microsoft 365 security defaults are on")
            ok_fr.append("les paramètres de sécurité par défaut de Microsoft 365 sont activés")
        else:
            good = enforcing_policies(enf, ctx) if enf.conditional_access_read else []
            if good:
                names = ", ".join(sorted(p.display_name or p.id for p in good))
                ok_en.append(f"Conditional Access policy enforcing MFA for all users: {names}")
                ok_fr.append(f"stratégie d'accès conditionnel imposant la MFA à tous : {names}")
            elif not enf.conditional_access_read or enf.security_defaults_enabled is None:
                why = "; ".join(e for e in (enf.security_defaults_error, enf.conditional_access_error) if e)
                unknown_en.append(f"Microsoft 365 enforcement could not be read ({why or 'no policy data'})")
                unknown_fr.append(f"l'obligation de MFA Microsoft 365 n'a pas pu être lue ({why or 'aucune donnée'})")
            else:
                near = [(p, _policy_problems_en_fr(p, ctx)) for p in enf.policies if p.requires_mfa]
                for policy, problems in near:
                    failures.append(AffectedAsset(name=policy.display_name or policy.id, kind="policy",
                                                  detail="; ".join(en for en, _fr in problems),
                                                  detail_fr=" ; ".join(fr for _en, fr in problems)))
                lic = (" (the tenant has no Entra ID P1/P2, so Conditional Access is unavailable)"
                       if enf.conditional_access_unlicensed else "")
                lic_fr = (" (le locataire n'a pas de licence Entra ID P1/P2 : l'accès conditionnel n'est pas "
                          "disponible)" if enf.conditional_access_unlicensed else "")
                if not near:
                    failures.append(AffectedAsset(name=tenant, kind="policy",
                                                  detail="security defaults off; no Conditional Access policy "
                                                         "requires MFA",
                                                  detail_fr="paramètres de sécurité par défaut désactivés ; aucune "
                                                            "stratégie d'accès conditionnel n'exige la MFA"))
                fail_en.append(f"Microsoft 365: security defaults are off and no enabled Conditional Access policy "
                               f"requires MFA for all users and all apps{lic}")
                fail_fr.append(f"Microsoft 365 : les paramètres de sécurité par défaut sont désactivés et aucune "
                               f"stratégie d'accès conditionnel active n'impose la MFA à tous les utilisateurs et "
                               f"à toutes les applications{lic_fr}")
    gw = ctx.evidence.google_workspace
    if gw is not None:
        active = ctx.google_active()
        not_enforced = [g for g in active if not g.enforced_2sv]
        for g in not_enforced:
            failures.append(_account(g.primary_email, "Google Workspace; 2-Step Verification not enforced",
                                     "Google Workspace ; validation en deux étapes non imposée"))
        if not_enforced:
            fail_en.append(f"Google Workspace: 2-Step Verification is not enforced for {len(not_enforced)} of "
                           f"{len(active)} active users")
            fail_fr.append(f"Google Workspace : la validation en deux étapes n'est pas imposée à {len(not_enforced)} "
                           f"utilisateurs actifs sur {len(active)}")
        else:
            ok_en.append(f"Google Workspace: 2-Step Verification enforced for all {len(active)} active users")
            ok_fr.append(f"Google Workspace : validation en deux étapes imposée aux {len(active)} utilisateurs actifs")
    if failures or fail_en:
        en = "; ".join(fail_en + unknown_en + ok_en)
        fr = " ; ".join(fail_fr + unknown_fr + ok_fr)
        # A state, not a quantity: the reason says it in both languages, measured/threshold stay empty.
        return CheckResult(check_id=cid, status=Status.failed, affected=_sorted(failures),
                           reason=_t(en + ".", fr + "."))
    if unknown_en:
        return _not_assessed(cid, "MFA enforcement could not be assessed: " + "; ".join(unknown_en) + ".",
                             "L'obligation de MFA n'a pas pu être évaluée : " + " ; ".join(unknown_fr) + ".")
    return CheckResult(check_id=cid, status=Status.passed,
                       reason=_t("; ".join(ok_en) + ".", " ; ".join(ok_fr) + "."))


def _phone_only(ctx: _Ctx) -> CheckResult:
    cid = "mfa.phone_only_methods"
    if ctx.m365 is None:
        return _not_assessed(cid, "Google's Directory API does not say which second-step methods users rely on.",
                             "L'API Annuaire de Google n'indique pas quelles méthodes de validation sont utilisées.")
    users = ctx.m365_enabled()
    if not any(u.methods for u in users):
        return _not_assessed(cid, "The Microsoft 365 source lists no registered methods (the CSV export has no "
                                  "'Methods registered' column, or no user has any method).",
                             "La source Microsoft 365 ne liste aucune méthode inscrite (l'export CSV n'a pas de "
                             "colonne « Methods registered », ou aucun utilisateur n'a de méthode).")
    weak = [u for u in users if u.phone_only]
    limit = ctx.params.max_phone_only_users
    affected = _sorted(_account(u.upn, f"methods: {_methods_text(u)}", f"méthodes : {_methods_text(u, 'fr')}")
                       for u in weak)
    reason = _t(f"{len(weak)} enabled accounts rely on SMS or voice calls only (allowed: {limit}).",
                f"{len(weak)} comptes actifs ne disposent que du SMS ou de l'appel vocal (toléré : {limit}).")
    status = Status.passed if len(weak) <= limit else Status.failed
    return CheckResult(check_id=cid, status=status, measured=len(weak), threshold=limit, unit=ACCOUNTS,
                       affected=affected if status is Status.failed else (), reason=reason)


def _guest_covered(user: M365User, enforcement: Enforcement | None, ctx: _Ctx) -> bool:
    if user.mfa_registered:
        return True
    if enforcement is None:
        return False
    for p in enforcement.policies:
        if (p.state == "enabled" and p.requires_mfa and "All" in p.include_applications and not p.excludes_guests
                and ("All" in p.include_users or p.includes_guests)
                and user.id not in p.exclude_users):
            return True
    return False


def _guests(ctx: _Ctx) -> CheckResult:
    cid = "mfa.guest_coverage"
    guests = [u for u in ctx.m365_enabled() if u.user_type == "guest"]
    if not ctx.params.guests_require_mfa:
        # Nothing is expected: the count of guests seen, no threshold (the reason says MFA is not required).
        return CheckResult(check_id=cid, status=Status.passed, measured=len(guests), unit=ACCOUNTS,
                           reason=_t(f"The baseline does not require MFA for guests; {len(guests)} enabled guest "
                                     f"accounts were seen.",
                                     f"Le référentiel n'exige pas la MFA pour les invités ; {len(guests)} comptes "
                                     f"invités actifs ont été vus."))
    if ctx.m365 is None or not guests:
        # No guest: a coverage percentage would mean nothing, so the count of guests (0), no threshold.
        return CheckResult(check_id=cid, status=Status.passed, measured=0, unit=ACCOUNTS,
                           reason=_t("No enabled guest account.", "Aucun compte invité actif."))
    enforcement = ctx.m365.enforcement
    uncovered = [u for u in guests if not _guest_covered(u, enforcement, ctx)]
    coverage = _pct(len(guests) - len(uncovered), len(guests))
    target = ctx.params.guest_target_percent
    reason = _t(f"{len(guests) - len(uncovered)} of {len(guests)} enabled guests are registered for MFA or covered by "
                f"a Conditional Access policy requiring it ({_fmt(coverage)} %, target {_fmt(target)} %).",
                f"{len(guests) - len(uncovered)} invités actifs sur {len(guests)} sont inscrits à la MFA ou couverts "
                f"par une stratégie d'accès conditionnel qui l'exige ({_fmt_fr(coverage)} %, objectif "
                f"{_fmt_fr(target)} %).")
    covered = len(guests) - len(uncovered)
    if 100.0 * covered >= target * len(guests):
        return CheckResult(check_id=cid, status=Status.passed, measured=coverage, threshold=target, unit=PERCENT,
                           reason=reason)
    affected = _sorted(_account(u.upn, "Microsoft 365 guest; no MFA", "Invité Microsoft 365 ; sans MFA")
                       for u in uncovered)
    share = round(min(1.0, (covered / len(guests)) / (target / 100.0)), 4) if target else 1.0
    if share == 0:
        return CheckResult(check_id=cid, status=Status.failed, measured=coverage, threshold=target, unit=PERCENT,
                           affected=affected, reason=reason)
    return CheckResult(check_id=cid, status=Status.partial, score_share=share, measured=coverage, threshold=target,
                       unit=PERCENT, affected=affected, reason=reason)


def _clip(text: str, limit: int = 1200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _break_glass(ctx: _Ctx) -> CheckResult:
    cid = "mfa.break_glass"
    if not ctx.break_glass:
        return CheckResult(check_id=cid, status=Status.passed, measured=0, unit=ACCOUNTS,
                           reason=_t("No break-glass account is listed in the profile (plugins.mfa."
                                     "break_glass_accounts); every account is judged like the others.",
                                     "Aucun compte d'urgence n'est déclaré dans le profil (plugins.mfa."
                                     "break_glass_accounts) ; tous les comptes sont évalués de la même façon."))
    lines: list[tuple[str, str]] = []
    found: set[str] = set()
    if ctx.m365 is not None:
        policies = ctx.m365.enforcement.policies if ctx.m365.enforcement else ()
        for u in ctx.m365.users:
            if ctx.is_bg_m365(u):
                found.update({u.upn.lower(), u.id.lower()})
                excluded = any(u.id in p.exclude_users for p in policies)
                state = {True: "enabled", False: "disabled", None: "state unknown"}[u.enabled]
                state_fr = {True: "actif", False: "désactivé", None: "état inconnu"}[u.enabled]
                admin = {True: "administrator", False: "not administrator", None: "admin role unknown"}[u.is_admin]
                admin_fr = {True: "administrateur", False: "non administrateur",
                            None: "rôle d'administrateur inconnu"}[u.is_admin]
                mfa = "MFA registered" if u.mfa_registered else "no MFA method"
                mfa_fr = "inscrit à la MFA" if u.mfa_registered else "aucune méthode MFA"
                lines.append((f"{u.upn} (Microsoft 365: {state}, {admin}, {mfa}"
                              f"{', excluded from CA' if excluded else ''})",
                              f"{u.upn} (Microsoft 365 : {state_fr}, {admin_fr}, {mfa_fr}"
                              f"{', exclu de l’accès conditionnel' if excluded else ''})"))
    gw = ctx.evidence.google_workspace
    for g in gw.users if gw else ():
        if ctx.is_bg_google(g):
            found.update({g.primary_email.lower(), g.id.lower()})
            lines.append((f"{g.primary_email} (Google: {'active' if g.active else 'suspended'}, "
                          f"2SV {'on' if g.enrolled_2sv else 'off'})",
                          f"{g.primary_email} (Google : {'actif' if g.active else 'suspendu'}, validation en deux "
                          f"étapes {'activée' if g.enrolled_2sv else 'désactivée'})"))
    absent = sorted(item for item in ctx.break_glass if item not in found)
    lines.sort()
    # Measured is the number of break-glass accounts found; which ones, and their state, go in the reason.
    return CheckResult(check_id=cid, status=Status.passed, measured=len(lines), unit=ACCOUNTS,
                       reason=_t(f"{len(lines)} break-glass account(s) found and excluded from the other checks"
                                 + (f": {_clip('; '.join(en for en, _fr in lines))}" if lines else "")
                                 + (f"; listed but not found in the directory: {_clip(', '.join(absent), 400)}"
                                    if absent else "")
                                 + ".",
                                 f"{len(lines)} compte(s) d'urgence trouvé(s) et exclu(s) des autres contrôles"
                                 + (f" : {_clip(' ; '.join(fr for _en, fr in lines))}" if lines else "")
                                 + (f" ; déclarés mais absents de l'annuaire : {_clip(', '.join(absent), 400)}"
                                    if absent else "")
                                 + "."))


def evaluate(evidence: MfaEvidence, params: MfaParameters, break_glass: Iterable[str] = ()) -> list[CheckResult]:
    """Every check's result for this evidence; pure and deterministic."""
    ctx = _Ctx(evidence, params, frozenset(item.strip().lower() for item in break_glass if item.strip()))
    if evidence.microsoft365 is None and evidence.google_workspace is None:
        return [_not_assessed(cid, "No identity provider was collected.", "Aucun fournisseur d'identité n'a été lu.")
                for cid in CHECK_IDS]
    return [_member_registration(ctx), _admin_registration(ctx), _enforcement(ctx), _phone_only(ctx), _guests(ctx),
            _break_glass(ctx)]
