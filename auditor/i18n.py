"""Words the core and the reports share, in French and English, and locale-aware formatting.

Check texts live in each plugin's catalogue; this module holds the rest: area names, status labels,
and number/date/currency formatting per language (babel), so every output formats the same way.
"""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date as _babel_date
from babel.numbers import format_currency as _babel_currency
from babel.numbers import format_decimal as _babel_decimal

from auditor.models import Language, LocalizedText

LOCALES = {"en": "en_GB", "fr": "fr_FR"}

AREA_TITLES: dict[str, LocalizedText] = {
    "open_ports": LocalizedText(en="Open ports and exposed services", fr="Ports ouverts et services exposés"),
    "patch_level": LocalizedText(en="Patch level", fr="Niveau de mise à jour"),
    "account_hygiene": LocalizedText(en="Account hygiene (Active Directory)",
                                     fr="Hygiène des comptes (Active Directory)"),
    "mfa": LocalizedText(en="Multi-factor authentication", fr="Authentification multifacteur"),
    "backup": LocalizedText(en="Backup and recovery", fr="Sauvegarde et restauration"),
    "edr": LocalizedText(en="Endpoint protection (EDR)", fr="Protection des postes (EDR)"),
}

STATUS_LABELS: dict[str, LocalizedText] = {
    "pass": LocalizedText(en="Pass", fr="Conforme"),
    "fail": LocalizedText(en="Fail", fr="Non conforme"),
    "partial": LocalizedText(en="Partial", fr="Partiel"),
    "not_assessed": LocalizedText(en="Not assessed", fr="Non évalué"),
    "error": LocalizedText(en="Error", fr="Erreur"),
    "accepted": LocalizedText(en="Accepted risk", fr="Risque accepté"),
}

SEVERITY_LABELS: dict[str, LocalizedText] = {
    "critical": LocalizedText(en="Critical", fr="Critique"),
    "high": LocalizedText(en="High", fr="Élevée"),
    "medium": LocalizedText(en="Medium", fr="Moyenne"),
    "low": LocalizedText(en="Low", fr="Faible"),
}


def area_title(area: str, lang: Language) -> str:
    text = AREA_TITLES.get(area)
    return text.get(lang) if text else area.replace("_", " ").capitalize()


def format_number(value: float, lang: Language, digits: int = 1) -> str:
    return _babel_decimal(round(value, digits), format=f"#,##0.{'0' * digits}" if digits else "#,##0",
                          locale=LOCALES[lang])


def format_money(value: float, currency: str, lang: Language) -> str:
    return _babel_currency(value, currency, locale=LOCALES[lang])


def format_date(value: dt.date, lang: Language) -> str:
    text = _babel_date(value, format="long", locale=LOCALES[lang])
    if lang == "fr" and value.day == 1 and text.startswith("1 "):
        text = "1er " + text[2:]  # French writes the first of the month as an ordinal
    return text


# --- Report and export vocabulary (added for the report renderer; names above stay as they were) ---------

KIND_LABELS: dict[str, LocalizedText] = {
    "onboarding": LocalizedText(en="Onboarding audit", fr="Audit initial"),
    "re-audit": LocalizedText(en="Re-audit", fr="Audit de suivi"),
}

PHASE_LABELS: dict[int, LocalizedText] = {
    0: LocalizedText(en="Outside the contract", fr="Hors contrat"),
    # Phase 1 holds every critical item, even when the contract's hours push one past the first month
    # (the roadmap then warns), so its label promises priority, not a 30-day window.
    1: LocalizedText(en="Phase 1 (critical risks, then month 1)", fr="Phase 1 (risques critiques, puis mois 1)"),
    2: LocalizedText(en="Phase 2 (months 2–3)", fr="Phase 2 (mois 2 et 3)"),
    3: LocalizedText(en="Phase 3 (months 4–6)", fr="Phase 3 (mois 4 à 6)"),
    4: LocalizedText(en="Phase 4 (after month 6)", fr="Phase 4 (au-delà du mois 6)"),
}

RUN_STATUS_LABELS: dict[str, LocalizedText] = {
    "ok": LocalizedText(en="Completed", fr="Terminé"),
    "error": LocalizedText(en="Error", fr="Erreur"),
    "timeout": LocalizedText(en="Timed out", fr="Délai dépassé"),
    "skipped": LocalizedText(en="Skipped", fr="Ignoré"),
}

EXPLOITABILITY_LABELS: dict[str, LocalizedText] = {
    "exposed": LocalizedText(en="Exposed", fr="Exposé"),
    "lateral": LocalizedText(en="Internal (lateral movement)", fr="Interne (propagation)"),
    "hygiene": LocalizedText(en="Hygiene", fr="Hygiène"),
}


def label(table: dict, key: object, lang: Language) -> str:
    """Look a key up in one of the label tables; an unknown key is shown as itself rather than failing."""
    text = table.get(key)
    return text.get(lang) if text is not None else str(key)


def phase_label(phase: int, lang: Language) -> str:
    return label(PHASE_LABELS, phase, lang)


def format_percent(value: float, lang: Language, digits: int = 0) -> str:
    """A percentage given on the 0-100 scale, spaced the French way in French ("85 %")."""
    number = format_number(value, lang, digits)
    return f"{number}\u202f%" if lang == "fr" else f"{number}%"


def format_hours(value: float, lang: Language) -> str:
    # 1.25 h must not print as 1.2 h (the price would not match): keep quarter hours exact.
    digits = 0 if float(value).is_integer() else (1 if float(value * 10).is_integer() else 2)
    return f"{format_number(value, lang, digits)}\u00a0h"


def format_month(value: dt.date, lang: Language) -> str:
    """A month as a manager reads it: "January 2027" / "janvier 2027"."""
    return _babel_date(value, format="MMMM y", locale=LOCALES[lang])


def format_short_date(value: dt.date, lang: Language) -> str:
    return _babel_date(value, format="short" if lang == "fr" else "dd/MM/y", locale=LOCALES[lang])


def format_datetime(value: dt.datetime, lang: Language) -> str:
    """A timestamp in UTC, which is how evidence is recorded, said explicitly."""
    moment = value.astimezone(dt.UTC) if value.tzinfo else value
    return f"{format_date(moment.date(), lang)} {moment:%H:%M} UTC"
