"""The report's own wording, in English and French.

Check texts come from the plugins' catalogues and shared labels (areas, statuses, severities, phases) from
`auditor.i18n`; this table holds the sentences and headings specific to the PDF deliverables.  Keep both
languages in step: a test renders every key in both and fails on a missing one.
"""

from __future__ import annotations

import re

from auditor.models import Language

TEXT: dict[str, tuple[str, str]] = {
    "report_title": ("Security posture audit", "Audit de sécurité du système d'information"),
    "annex_title": ("Annex: security improvement plan", "Annexe : plan d'amélioration de la sécurité"),
    "prepared_for": ("Prepared for", "Préparé pour"),
    "prepared_by": ("Prepared by", "Préparé par"),
    "audit_type": ("Audit type", "Type d'audit"),
    "audit_date": ("Evidence collected on", "Données collectées le"),
    "report_date": ("Report issued on", "Rapport émis le"),
    "audit_id": ("Audit reference", "Référence de l'audit"),
    "confidential": ("CONFIDENTIAL", "CONFIDENTIEL"),
    "confidential_note": (
        "Confidential: prepared for {client} only. This document describes weaknesses of the client's "
        "information system; do not distribute it beyond the people who need it.",
        "Confidentiel : document établi à l'usage exclusif de {client}. Il décrit des faiblesses du "
        "système d'information du client ; ne le diffusez qu'aux personnes qui en ont besoin.",
    ),
    "page_of": ("Page {page} of {total}", "Page {page} sur {total}"),
    "contents": ("Contents", "Sommaire"),
    # Executive summary
    "summary": ("Executive summary", "Synthèse pour la direction"),
    "overall_score": ("Overall score", "Score global"),
    "grade": ("Grade", "Note"),
    "coverage": ("Coverage", "Couverture"),
    "coverage_explained": (
        "{assessed} of {total} checks could be assessed ({coverage}). Checks that could not be assessed "
        "are left out of the score, never counted as passed.",
        "{assessed} contrôles sur {total} ont pu être évalués ({coverage}). Les contrôles non évalués "
        "sont exclus du score ; ils ne sont jamais comptés comme conformes.",
    ),
    "score_explained": (
        "The score measures, out of 100, how well the information system meets the {baseline} baseline. "
        "Grades run from A (best) to F.",
        "Le score mesure, sur 100, le niveau de conformité du système d'information au référentiel "
        "{baseline}. Les notes vont de A (meilleure) à F.",
    ),
    "grade_capped": (
        "The grade is capped at {grade} (the average alone would give {before}) because at least one "
        "critical weakness remains open.",
        "La note est plafonnée à {grade} (la moyenne seule donnerait {before}) car au moins une "
        "faiblesse critique reste ouverte.",
    ),
    "managed_score": (
        "Score of the scope covered by the maintenance contract: {score} (grade {grade}).",
        "Score du périmètre couvert par le contrat de maintenance : {score} (note {grade}).",
    ),
    "no_score": ("not scored", "non noté"),
    "area_scores": ("Score by area", "Score par domaine"),
    "not_assessed_short": ("not assessed", "non évalué"),
    "key_figures": ("Key figures", "Chiffres clés"),
    "findings_count": ("Weaknesses to fix", "Faiblesses à corriger"),
    "critical_count": ("of which critical", "dont critiques"),
    "assets_count": ("Machines in the inventory", "Machines inventoriées"),
    "top_risks": ("The five most important risks", "Les cinq risques les plus importants"),
    "top_risks_intro": (
        "In plain words, what an attacker could use today, and what it would take to fix it.",
        "En clair : ce qu'un attaquant pourrait exploiter aujourd'hui, et ce qu'il faut faire pour y remédier.",
    ),
    "no_risks": ("No open weakness was found among the checks assessed.",
                 "Aucune faiblesse ouverte n'a été relevée parmi les contrôles évalués."),
    "risk_assets": ("{count} affected", "{count} concerné(s)"),
    "risk_fix": ("What to do", "Que faire"),
    "risk_planned": ("Planned in {phase}, {month}.", "Prévu en {phase}, {month}."),
    "risk_outside": ("Not covered by the contract.", "Non couvert par le contrat."),
    "roadmap_glance": ("The roadmap at a glance", "Le plan d'action en un coup d'œil"),
    "roadmap_glance_text": (
        "{items} improvement items, {hours} of work in total, {price} excluding tax at {rate} per hour, "
        "planned within {monthly} per month from {start}.",
        "{items} actions d'amélioration, {hours} de travail au total, soit {price} HT à {rate} de l'heure, "
        "planifiées dans la limite de {monthly} par mois à partir du {start}.",
    ),
    "phase": ("Phase", "Phase"),
    "items": ("Items", "Actions"),
    "effort": ("Effort", "Charge"),
    "price": ("Price (excl. tax)", "Prix HT"),
    "total": ("Total", "Total"),
    "by_end_of": ("Done by", "Achevée fin"),
    "first_month": ("To start with: phase 1", "Pour commencer : la phase 1"),
    "more_items": ("… and {count} more items, see the roadmap.", "… et {count} autre(s) action(s), voir le plan."),
    # Areas
    "findings_by_area": ("Findings by area", "Constats par domaine"),
    "area_score_line": ("Area score: {score} · {passed} passed, {failed} failed, {partial} partial, "
                        "{accepted} accepted, {na} not assessed",
                        "Score du domaine : {score} · {passed} conforme(s), {failed} non conforme(s), "
                        "{partial} partiel(s), {accepted} accepté(s), {na} non évalué(s)"),
    "what_was_checked": ("What was checked", "Ce qui a été contrôlé"),
    "check": ("Check", "Contrôle"),
    "severity": ("Severity", "Gravité"),
    "status": ("Status", "Statut"),
    "affected": ("Affected", "Concernés"),
    "measured": ("Measured", "Mesuré"),
    "threshold": ("Expected", "Attendu"),
    "why_it_matters": ("Why it matters", "Pourquoi c'est important"),
    "remediation": ("Remediation", "Remédiation"),
    "affected_assets": ("Affected assets", "Éléments concernés"),
    "and_more": ("… and {count} more, see appendix {ref}.", "… et {count} autre(s), voir l'annexe {ref}."),
    "references": ("References", "Références"),
    "reason": ("Reason", "Motif"),
    "accepted_assets": ("Risk accepted by {who} for {assets}, valid until {until}: {why}",
                        "Risque accepté par {who} pour {assets}, valable jusqu'au {until} : {why}"),
    "accepted_by": ("Risk accepted by {who}, valid until {until}: {why}",
                    "Risque accepté par {who}, valable jusqu'au {until} : {why}"),
    "acceptance_expired": ("A risk acceptance for this check has expired; the finding counts again.",
                           "Une acceptation de risque pour ce contrôle a expiré ; le constat compte de nouveau."),
    "not_assessed_list": ("Not assessed", "Non évalués"),
    "no_checks_area": ("No check of this area was run.", "Aucun contrôle de ce domaine n'a été exécuté."),
    "exploitability": ("Exposure", "Exposition"),
    "confidence": ("Confidence", "Fiabilité"),
    # Roadmap
    "roadmap": ("Improvement roadmap", "Plan d'amélioration"),
    "roadmap_intro": (
        "Each item fixes one or more weaknesses. Items are ordered by risk removed per hour of work; critical "
        "items always come first. An item is accepted when its acceptance checks pass at the next audit.",
        "Chaque action corrige une ou plusieurs faiblesses. Les actions sont classées selon le risque "
        "supprimé par heure de travail ; les actions critiques passent toujours en premier. Une action est "
        "réceptionnée lorsque ses contrôles d'acceptation sont conformes lors de l'audit suivant.",
    ),
    "item": ("Item", "Action"),
    "target": ("Target", "Échéance"),
    "depends_on": ("Depends on", "Dépend de"),
    "acceptance": ("Done when these checks pass", "Terminé quand ces contrôles sont conformes"),
    "score_gain": ("Score gain", "Gain de score"),
    "assets_in_scope": ("Assets", "Éléments"),
    "month_view": ("Month by month", "Mois par mois"),
    "month": ("Month", "Mois"),
    "month_range": ("{first} to {last}", "De {first} à {last}"),
    "hours_planned": ("Hours planned", "Heures prévues"),
    "capacity": ("Contract hours", "Heures du contrat"),
    "cumulative_price": ("Cumulative price", "Prix cumulé"),
    "no_roadmap": ("Nothing to plan: no open weakness.", "Rien à planifier : aucune faiblesse ouverte."),
    "roadmap_warnings": ("Planning warnings", "Alertes de planification"),
    "outside_contract_note": (
        "These items are priced but not planned: the contract does not cover them or the client declined them.",
        "Ces actions sont chiffrées mais non planifiées : le contrat ne les couvre pas ou le client les a refusées.",
    ),
    "none": ("none", "aucune"),
    # Methodology
    "methodology": ("Methodology and scope", "Méthodologie et périmètre"),
    "authorisation": ("Authorisation", "Autorisation"),
    "auth_reference": ("Reference", "Référence"),
    "auth_signed_by": ("Signed by", "Signée par"),
    "auth_date": ("Date", "Date"),
    "no_authorisation": (
        "No authorisation record: no active scan was authorised; only recorded or read-only sources were used.",
        "Aucune autorisation enregistrée : aucun scan actif n'était autorisé ; seules des sources "
        "enregistrées ou en lecture seule ont été utilisées.",
    ),
    "scope": ("Authorised network scope", "Périmètre réseau autorisé"),
    "plugin_runs": ("What was collected, and how", "Ce qui a été collecté, et comment"),
    "plugin": ("Module", "Module"),
    "run_phase": ("Step", "Étape"),
    "collect": ("collection", "collecte"),
    "evaluate": ("evaluation", "évaluation"),
    "source": ("Source", "Source"),
    "duration": ("Duration", "Durée"),
    "live": ("live", "en direct"),
    "recorded": ("recorded", "enregistrée"),
    "all_recorded": ("Every plugin read recorded evidence (exports and earlier collections): this audit ran no "
                     "active scan and connected to no client system.",
                     "Tous les modules ont lu des preuves enregistrées (exports et collectes antérieures) : cet audit "
                     "n'a effectué aucun scan actif et ne s'est connecté à aucun système du client."),
    "servers": ("servers", "serveurs"),
    "identity": ("identity:", "identité :"),
    "files": ("files", "fichiers"),
    "options": ("options", "options"),
    "scoring_method": ("How the score is computed", "Calcul du score"),
    "scoring_text": (
        "Each check is worth points according to its severity (critical 10, high 6, medium 3, low 1 in the "
        "standard baseline), multiplied by how directly an attacker can use it (exposed ×2, internal ×1.5, "
        "hygiene ×1) and by the baseline's weight. A passed check earns all its points, a failed one none, a "
        "partial one its share (for example the share of users covered). An area's score is the points "
        "earned divided by the points at stake, out of 100; the overall score is the weighted mean of the "
        "areas. Checks that could not be assessed are left out and lower the coverage instead. Accepted "
        "risks earn no points but are not counted as failures until they expire. A failed critical check "
        "caps the grade at {cap}.",
        "Chaque contrôle vaut des points selon sa gravité (critique 10, élevée 6, moyenne 3, faible 1 dans "
        "le référentiel standard), multipliés selon la facilité d'exploitation (exposé ×2, interne ×1,5, "
        "hygiène ×1) et par la pondération du référentiel. Un contrôle conforme rapporte tous ses points, "
        "un contrôle non conforme aucun, un contrôle partiel sa part (par exemple la part des utilisateurs "
        "couverts). Le score d'un domaine est le rapport des points obtenus aux points en jeu, sur 100 ; le "
        "score global est la moyenne pondérée des domaines. Les contrôles non évalués sont exclus et "
        "réduisent la couverture. Les risques acceptés ne rapportent aucun point mais ne comptent pas comme "
        "des échecs tant qu'ils n'ont pas expiré. Un contrôle critique non conforme plafonne la note à {cap}.",
    ),
    "provenance": ("Provenance", "Traçabilité"),
    "tool_version": ("Tool version", "Version de l'outil"),
    "ran_on": ("Collected on host", "Collecte effectuée depuis"),
    "ran_as": ("Collected as", "Collecte effectuée en tant que"),
    "collected_at": ("Collection finished", "Fin de la collecte"),
    "evaluated_at": ("Evaluated", "Évaluation"),
    "baseline": ("Baseline", "Référentiel"),
    "bundle_digest": ("Evidence bundle digest (SHA-256 of the bundle's canonical manifest, which lists every "
                      "file's own SHA-256)",
                      "Empreinte du lot de preuves (SHA-256 du manifeste canonique du lot, qui liste l'empreinte "
                      "SHA-256 de chaque fichier)"),
    "profile_digest": ("Profile digest (SHA-256)", "Empreinte du profil (SHA-256)"),
    "not_assessed_summary": (
        "{count} check(s) could not be assessed; the reasons are listed in each area's section.",
        "{count} contrôle(s) n'ont pas pu être évalués ; les motifs figurent dans la section de chaque domaine.",
    ),
    # Appendix
    "appendix": ("Appendix", "Annexes"),
    "appendix_assets": ("Complete lists of affected assets", "Listes complètes des éléments concernés"),
    "appendix_inventory": ("Inventory of machines", "Inventaire des machines"),
    "name": ("Name", "Nom"),
    "kind": ("Kind", "Type"),
    "detail": ("Detail", "Détail"),
    "ips": ("IP addresses", "Adresses IP"),
    "role": ("Role", "Rôle"),
    "os": ("Operating system", "Système d'exploitation"),
    "sources": ("Seen by", "Vu par"),
    "no_inventory": ("No machine was inventoried.", "Aucune machine n'a été inventoriée."),
    # Annex
    "annex_parties": ("Parties", "Parties"),
    "annex_service_provider": ("Service provider", "Prestataire"),
    "annex_client": ("Client", "Client"),
    "annex_basis": (
        "This plan results from the audit {audit_id} (evidence collected on {date}, overall score {score}, "
        "grade {grade}). It is an annex to the maintenance contract.",
        "Ce plan résulte de l'audit {audit_id} (données collectées le {date}, score global {score}, "
        "note {grade}). Il constitue une annexe au contrat de maintenance.",
    ),
    "annex_scope": ("Scope", "Périmètre"),
    "annex_scope_text": (
        "The work covers the items below, on the assets listed for each item. Authorised network scope: {scope}.",
        "Les travaux portent sur les actions ci-dessous, sur les éléments indiqués pour chacune. Périmètre "
        "réseau autorisé : {scope}.",
    ),
    "annex_terms": ("Pricing and planning", "Prix et planification"),
    "annex_terms_text": (
        "Prices are excluding tax at the hourly rate of {rate}. Work is planned within {monthly} per month "
        "starting {start}. Effort is an estimate; target dates are the last day of the target month.",
        "Les prix s'entendent hors taxes au taux horaire de {rate}. Les travaux sont planifiés dans la "
        "limite de {monthly} par mois à compter du {start}. Les charges sont estimées ; les échéances "
        "correspondent au dernier jour du mois cible.",
    ),
    "annex_acceptance": ("Acceptance", "Réception"),
    "annex_acceptance_text": (
        "An item is accepted when all of its acceptance checks pass at the next audit carried out with the "
        "same tool and baseline. Acceptance is established from the evidence, not by declaration.",
        "Une action est réceptionnée lorsque tous ses contrôles d'acceptation sont conformes lors de l'audit "
        "suivant, réalisé avec le même outil et le même référentiel. La réception s'établit sur preuves, "
        "et non sur déclaration.",
    ),
    "annex_plan": ("Planned items", "Actions planifiées"),
    "signatures": ("Signatures", "Signatures"),
    "sign_for": ("For {party}", "Pour {party}"),
    "sign_name": ("Name and title:", "Nom et fonction :"),
    "sign_date": ("Date:", "Date :"),
    "sign_signature": ("Signature:", "Signature :"),
    "the_msp": ("the service provider", "le prestataire"),
}


def t(key: str, lang: Language, **values: object) -> str:
    """The wording for `key` in `lang`, with `{placeholders}` filled (values are inserted as given)."""
    en, fr = TEXT[key]
    template = fr if lang == "fr" else en
    return template.format(**values) if values else template


_WARNING_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?P<item>\S+): critical work exceeds the first month's contract hours \(planned for month "
                r"(?P<month>\d+)\); the contract's monthly hours are too few$"),
     "{item} : les travaux critiques dépassent les heures du premier mois du contrat (prévus au mois {month}) ; "
     "les heures mensuelles du contrat sont insuffisantes"),
)


ROLE_LABELS: dict[str, tuple[str, str]] = {
    "domain_controller": ("domain controller", "contrôleur de domaine"),
    "server": ("server", "serveur"),
    "workstation": ("workstation", "poste de travail"),
    "network": ("network device", "équipement réseau"),
    "unknown": ("unknown", "inconnu"),
}


def role_label(role: str, lang: Language) -> str:
    english, french = ROLE_LABELS.get(role, (role, role))
    return french if lang == "fr" else english


def translate_warning(text: str, lang: Language) -> str:
    """The roadmap's planning warnings are produced in English by the core; known ones are translated for
    the French report, unknown ones are shown as they are."""
    if lang != "fr":
        return text
    for pattern, template in _WARNING_PATTERNS:
        match = pattern.match(text)
        if match:
            return template.format(**match.groupdict())
    return text
