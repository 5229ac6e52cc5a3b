"""Locale formatting the report and exports rely on (babel, fr_FR and en_GB)."""

from __future__ import annotations

import datetime as dt

from auditor.i18n import (
    KIND_LABELS,
    PHASE_LABELS,
    RUN_STATUS_LABELS,
    format_datetime,
    format_hours,
    format_money,
    format_month,
    format_percent,
    label,
    phase_label,
)


def test_numbers_money_and_dates_per_language() -> None:
    assert format_money(3363, "EUR", "fr") == "3\u202f363,00\u00a0€"
    assert format_money(3363, "EUR", "en") == "€3,363.00"
    assert format_percent(97.8, "fr") == "98\u202f%"
    assert format_percent(97.8, "en", 1) == "97.8%"
    assert format_hours(12.5, "fr") == "12,5\u00a0h"
    assert format_hours(16, "en") == "16\u00a0h"
    assert format_month(dt.date(2027, 1, 31), "fr") == "janvier 2027"
    assert format_month(dt.date(2027, 1, 31), "en") == "January 2027"
    moment = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    assert format_datetime(moment, "fr") == "20 novembre 2026 09:30 UTC"


def test_labels_cover_both_languages_and_unknown_keys_show_as_themselves() -> None:
    for table in (KIND_LABELS, PHASE_LABELS, RUN_STATUS_LABELS):
        for text in table.values():
            assert text.en != text.fr  # every label is actually translated
    assert phase_label(1, "fr") == "Phase 1 (risques critiques, puis mois 1)"
    assert label(KIND_LABELS, "re-audit", "fr") == "Audit de suivi"
    assert label(KIND_LABELS, "something-new", "en") == "something-new"
