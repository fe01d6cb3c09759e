"""Remote participation hubs: a group following the meeting together, registered once by the admin."""

from __future__ import annotations

from typing import Any

from ..errors import N_, InvalidInput
from ..numbers import is_whole_number, whole_number
from .models import Hub, Meeting, form_text

#: The largest expected headcount a hub may give.
MAX_HEADCOUNT = 100_000


def people_at(hub: Hub, registered: int) -> int:
    """How many people a hub gathered: its expected headcount, or the people who registered through its link
    when they are more (a hub of 12 with one registration gathered 12; one that expected 5 and registered 8,
    8)."""
    return max(hub.expected_headcount, registered)


def hub_registration(meeting: Meeting, data: dict[str, Any], valid_countries: set[str]) -> Hub:
    """Check a hub's form (admin page, API or meeting file) and return the (not yet stored) hub."""
    name = form_text(data, "name", 120, missing=N_("Please give the hub's name."),
                     too_long=N_("The hub's name holds at most {max_length} characters."))
    city = form_text(data, "city", 120, missing=N_("Please give the city of your hub."),
                     too_long=N_("The name of the hub city holds at most {max_length} characters."))
    country = form_text(data, "country", 2, missing=N_("Choose the hub's country from the list (ISO 3166 code)."),
                        too_long=N_("Choose the hub's country from the list (ISO 3166 code).")).upper()
    if country not in valid_countries:
        raise InvalidInput("Choose the hub's country from the list (ISO 3166 code).", code="invalid_country",
                           field="country")
    host = form_text(data, "host_organisation", 200,
                     too_long=N_("The name of the host organisation holds at most {max_length} characters."))
    group = form_text(data, "group", 40, missing=N_("Choose the stakeholder group of the host organisation."),
                      too_long=N_("Choose the stakeholder group of the host organisation."))
    meeting.group(group)
    raw = data.get("expected_headcount", "")
    try:
        headcount = whole_number(str(raw).strip() if is_whole_number(raw) or isinstance(raw, str) else "",
                                 "expected_headcount")
    except InvalidInput:
        raise InvalidInput("Give the number of people expected at the hub.", code="invalid_headcount",
                           field="expected_headcount") from None
    if not 1 <= headcount <= MAX_HEADCOUNT:
        raise InvalidInput("The expected headcount must be between 1 and {max_headcount}.",
                           code="invalid_headcount", field="expected_headcount",
                           params={"max_headcount": MAX_HEADCOUNT})
    return Hub(0, name, city, country, host, group, headcount)
