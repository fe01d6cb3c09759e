"""A remote hub's form: what is kept, each refusal with its code and field, and how many people a hub counts for."""

from __future__ import annotations

from typing import Any

import pytest

from server.domain.errors import InvalidInput
from server.domain.meetings.file import parse_meeting
from server.domain.meetings.hubs import hub_registration, people_at
from server.domain.meetings.models import Hub, Mode, Participant
from server.loading import demo_meeting_text

FORM: dict[str, Any] = {"name": "Nairobi hub", "city": " Nairobi ", "country": "ke", "host_organisation": "KICTANet",
                        "group": "civil", "expected_headcount": " 12 "}  # fmt: skip


@pytest.fixture(scope="module")
def meeting():
    return parse_meeting(demo_meeting_text())


def test_a_hub_is_kept_as_given(meeting):
    assert hub_registration(meeting, FORM, {"KE"}) == Hub(0, "Nairobi hub", "Nairobi", "KE", "KICTANet", "civil", 12)


def test_a_hubs_own_identity_speaks_for_the_hub_and_is_never_listed():
    hub = Hub(4, "Nairobi hub", "Nairobi", "KE", "KICTANet", "civil", 12)
    assert hub.identity() == Participant(0, "Nairobi hub", "KICTANet", "KE", "civil", Mode.HUB, listed=False,
                                         hub_id=4, is_hub=True)


@pytest.mark.parametrize(
    "changes, code, field",
    [({"name": " "}, "name_required", "name"), ({"city": None}, "city_required", "city"),
     ({"country": "FR"}, "invalid_country", "country"), ({"country": "KEN"}, "country_too_long", "country"),
     ({"group": "press"}, "invalid_format", "group"), ({"expected_headcount": "twelve"}, "invalid_headcount",
                                                       "expected_headcount"),
     ({"expected_headcount": 0}, "invalid_headcount", "expected_headcount"),
     ({"expected_headcount": 100_001}, "invalid_headcount", "expected_headcount"),
     ({"expected_headcount": True}, "invalid_headcount", "expected_headcount")],
)  # fmt: skip
def test_refusals_name_the_field(meeting, changes, code, field):
    data = {k: v for k, v in {**FORM, **changes}.items() if v is not None}
    with pytest.raises(InvalidInput) as info:
        hub_registration(meeting, data, {"KE"})
    assert (info.value.code, info.value.field) == (code, field)


@pytest.mark.parametrize("expected, registered, people", [(12, 1, 12), (12, 0, 12), (5, 8, 8), (1, 1, 1)])
def test_a_hub_counts_its_headcount_or_its_registrations_when_more(expected, registered, people):
    assert people_at(Hub(1, "H", "C", "KE", "", "civil", expected), registered) == people
