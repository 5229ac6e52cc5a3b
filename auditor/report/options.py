"""What a report needs besides the audit itself: the MSP's branding and the confidentiality mark.

The `Audit` model does not carry the MSP's name and logo (they live in the client profile), so the caller
passes them here; `branding_from_profile_json` reads them from the profile stored in an evidence bundle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from auditor.models import bound_text


@dataclass(frozen=True)
class Branding:
    """The MSP as the report's cover and footer show it; every field is optional."""

    msp_name: str | None = None
    msp_logo: Path | None = None
    msp_contact: str | None = None
    #: Overrides the default confidentiality mark ("Confidential - ..."), e.g. a classification label.
    confidentiality: str | None = None


def branding_from_profile_json(text: str | None, *, base_dir: Path | None = None) -> Branding:
    """Read `[msp]` from a profile as stored in a bundle (`profile.json`); tolerant, never raises.

    A relative logo path is resolved against `base_dir` (the profile's folder when known).
    """
    if not text:
        return Branding()
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return Branding()
    msp = data.get("msp") if isinstance(data, dict) else None
    if not isinstance(msp, dict):
        return Branding()
    name = msp.get("name") if isinstance(msp.get("name"), str) else None
    contact = msp.get("contact") if isinstance(msp.get("contact"), str) else None
    logo = msp.get("logo") if isinstance(msp.get("logo"), str) else None
    logo_path = None
    if logo:
        logo_path = Path(logo).expanduser()
        if not logo_path.is_absolute() and base_dir is not None:
            logo_path = base_dir / logo_path
    return Branding(
        msp_name=bound_text(name, 200) if name else None,
        msp_logo=logo_path,
        msp_contact=bound_text(contact, 200) if contact else None,
    )


def branding_from_profile(profile: object) -> Branding:
    """Branding from a loaded `auditor.profile.Profile` (its `[msp]` table; logo relative to the profile)."""
    msp = getattr(profile, "msp", None)
    if msp is None:
        return Branding()
    logo = None
    if getattr(msp, "logo", None):
        logo = Path(msp.logo).expanduser()
        directory = getattr(profile, "directory", None)
        if not logo.is_absolute() and directory is not None:
            logo = Path(directory) / logo
    return Branding(msp_name=msp.name, msp_logo=logo, msp_contact=getattr(msp, "contact", None))


def resolve_branding(audit: object, branding: Branding | None) -> Branding:
    """The branding to render: what the caller gave, completed by the MSP fields the audit carries
    (`Audit.msp_name`, `msp_contact`, `msp_logo`, copied from the profile when the audit was evaluated)."""
    given = branding or Branding()
    name = getattr(audit, "msp_name", None) or None
    contact = getattr(audit, "msp_contact", None) or None
    logo = getattr(audit, "msp_logo", None) or None
    return Branding(
        msp_name=given.msp_name or name,
        msp_logo=given.msp_logo or (Path(logo) if logo else None),
        msp_contact=given.msp_contact or contact,
        confidentiality=given.confidentiality,
    )
