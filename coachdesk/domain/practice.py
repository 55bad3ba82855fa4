"""The practice profile: who the coach is, as documents and invoices will show it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from coachdesk.domain.clients import known_time_zones
from coachdesk.domain.errors import ValidationError

_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class PracticeProfile:
    """The coach and their business."""

    coach_name: str = ""
    business_name: str = ""
    time_zone: str = ""
    currency: str = ""
    logo_attachment_id: int | None = None

    def validated(self) -> PracticeProfile:
        """The trimmed profile, or ValidationError naming each bad field."""
        profile = PracticeProfile(
            coach_name=self.coach_name.strip(),
            business_name=self.business_name.strip(),
            time_zone=self.time_zone.strip(),
            currency=self.currency.strip().upper(),
            logo_attachment_id=self.logo_attachment_id,
        )
        errors: dict[str, str] = {}
        if not profile.coach_name:
            errors["coach_name"] = "Enter your name as clients should see it."
        if profile.time_zone not in known_time_zones():
            errors["time_zone"] = "Choose your time zone, such as Europe/London."
        if not _CURRENCY.match(profile.currency):
            errors["currency"] = "Use a three-letter currency code such as EUR, GBP or USD."
        if errors:
            raise ValidationError(errors)
        return profile

    @property
    def is_complete(self) -> bool:
        """Whether first-run set-up has filled in the profile."""
        return bool(self.coach_name and self.time_zone and self.currency)
