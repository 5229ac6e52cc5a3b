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
    return _babel_date(value, format="long", locale=LOCALES[lang])
