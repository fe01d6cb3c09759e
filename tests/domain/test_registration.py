"""The registration form's rules, field by field: what is kept, how it is normalised, and each refusal
with the code, field and message the join form shows."""

from __future__ import annotations

from typing import Any

import pytest

from server.domain.errors import InvalidInput
from server.domain.meetings.file import parse_meeting
from server.domain.meetings.models import Mode, Participant, registration
from server.loading import demo_meeting_text

COUNTRIES = {"CH", "KE", "BR"}
FORM: dict[str, Any] = {"name": "Ana Souza", "organisation": "NIC.br", "country": "BR", "group": "technical",
                        "mode": "remote"}  # fmt: skip
HUB: dict[str, Any] = {**FORM, "mode": "hub", "hub": " 7 "}
HUBS = {7, 9}


@pytest.fixture(scope="module")
def meeting():
    return parse_meeting(demo_meeting_text())


def register(meeting, at_hub: bool = False, hub_link: int | None = None, hubs: set[int] | None = None,
             **changes: Any) -> Participant:
    base = HUB if at_hub else FORM
    data = {k: v for k, v in {**base, **changes}.items() if v is not None}
    return registration(meeting, data, COUNTRIES, hub_link, HUBS if hubs is None else hubs)


def test_a_remote_participant_is_kept_as_given(meeting):
    assert register(meeting) == Participant(0, "Ana Souza", "NIC.br", "BR", "technical", Mode.REMOTE, False)


def test_a_person_at_a_hub_names_one_of_the_meetings_hubs(meeting):
    p = register(meeting, at_hub=True, organisation=None, country="ch ")
    assert p == Participant(0, "Ana Souza", "", "CH", "technical", Mode.HUB, False, hub_id=7)


def test_the_hubs_link_attaches_the_person_to_the_hub_whatever_the_form_says(meeting):
    p = register(meeting, hub_link=9, mode="onsite")
    assert (p.mode, p.hub_id, p.is_hub) == (Mode.HUB, 9, False)


def test_hub_fields_of_the_old_form_create_nothing(meeting):
    """The per-person hub description (city, country, headcount) is no longer read: hubs are registered once."""
    p = register(meeting, hubs=set(), mode="hub", hub_city="Nairobi", hub_country="KE", hub_headcount="23")
    assert (p.mode, p.hub_id) == (Mode.HUB, None)
    assert not hasattr(p, "hub_headcount")


def test_the_hub_choice_is_ignored_for_other_modes(meeting):
    p = register(meeting, at_hub=True, mode="onsite")
    assert (p.mode, p.hub_id) == (Mode.ONSITE, None)


@pytest.mark.parametrize(
    "value, listed",
    [(True, True), ("1", True), ("on", True), ("true", True), ("yes", True),
     (None, False), (False, False), ("", False), ("0", False), ("off", False), ("no", False)],
)  # fmt: skip
def test_listed_only_when_ticked(meeting, value, listed):
    assert register(meeting, listed=value).listed is listed


@pytest.mark.parametrize(
    "field, value, kept",
    [("name", "  Ana \t\n Souza ", "Ana Souza"), ("organisation", " NIC   .br ", "NIC .br"),
     ("name", "x" * 120, "x" * 120), ("organisation", "o" * 200, "o" * 200), ("country", "Ch", "CH")],
)  # fmt: skip
def test_text_is_trimmed_and_spaces_collapsed(meeting, field, value, kept):
    assert getattr(register(meeting, **{field: value}), field) == kept


@pytest.mark.parametrize(
    "changes, code, field, message",
    [
        ({"name": None}, "name_required", "name", "Please give your name."),
        ({"name": " \t "}, "name_required", "name", "Please give your name."),
        ({"name": 7}, "invalid_format", "name", "name must be text"),
        ({"name": "x" * 121}, "name_too_long", "name", "The name holds at most 120 characters."),
        ({"organisation": "o" * 201}, "organisation_too_long", "organisation",
         "The name of the organisation holds at most 200 characters."),
        ({"organisation": ["ISOC"]}, "invalid_format", "organisation", "organisation must be text"),
        ({"country": None}, "country_required", "country", "Choose a country from the list (ISO 3166 code)."),
        ({"country": "CHE"}, "country_too_long", "country", "Choose a country from the list (ISO 3166 code)."),
        ({"country": "FR"}, "invalid_country", "country", "Choose a country from the list (ISO 3166 code)."),
        ({"group": None}, "group_required", "group", "Choose your stakeholder group."),
        ({"group": "g" * 41}, "group_too_long", "group", "Choose your stakeholder group."),
        ({"group": "press"}, "invalid_format", "group", 'Unknown stakeholder group "press".'),
        ({"mode": None}, "mode_required", "mode", "Mode must be onsite, remote or hub."),
        ({"mode": "online"}, "invalid_mode", "mode", "Mode must be onsite, remote or hub."),
        ({"mode": "m" * 11}, "mode_too_long", "mode", "This field holds at most 10 characters."),
        ({"at_hub": True, "hub": None}, "invalid_hub", "hub", "Choose your hub from the list."),
        ({"at_hub": True, "hub": ""}, "invalid_hub", "hub", "Choose your hub from the list."),
        ({"at_hub": True, "hub": "8"}, "invalid_hub", "hub", "Choose your hub from the list."),
        ({"at_hub": True, "hub": "seven"}, "invalid_hub", "hub", "Choose your hub from the list."),
        ({"at_hub": True, "hub": True}, "invalid_hub", "hub", "Choose your hub from the list."),
    ],
)
def test_refusals_name_the_field(meeting, changes, code, field, message):
    with pytest.raises(InvalidInput) as info:
        register(meeting, **changes)
    assert (info.value.code, info.value.field, info.value.message) == (code, field, message)
