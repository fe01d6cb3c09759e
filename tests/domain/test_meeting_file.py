"""Meeting files: the demo parses, and every problem names its line and field."""

from __future__ import annotations

import pytest

from server.domain.meetings.file import FileProblem, MeetingFileError, parse_meeting
from server.domain.meetings.models import AgendaSession, Hub, Meeting, StakeholderGroup
from server.loading import demo_meeting_text

MINIMAL = """\
slug = "cstd-2012"
title = "CSTD consultation on enhanced cooperation"
venue = "ILO, Geneva"
timezone = "Europe/Zurich"
start_date = 2012-05-18
end_date = 2012-05-18

[[sessions]]
id = "day"
title = "Open consultation"
room = "Room II"
start = 2012-05-18T10:00:00
end = 2012-05-18T18:00:00
auto_start = true
"""


def test_demo_meeting():
    m = parse_meeting(demo_meeting_text())
    assert m.title == "Enhanced Cooperation in Internet Governance: From Deadlock to Dialogue"
    assert m.venue == "Baku Expo Exhibition and Convention Center"
    assert (m.start_date, m.timezone) == ("2012-11-05", "Asia/Baku")
    # 10:30 and 17:30 in Baku (UTC+4) are 06:30 and 13:30 UTC.
    assert m.sessions[0].start_ms == 1352097000000 and m.sessions[-1].end_ms == 1352122200000
    assert [t for s in m.sessions for t in s.themes] == [
        "Mapping enhanced cooperation", "Priorities", "Principles", "Case studies or scenarios", "Next steps"]


def test_default_groups_are_the_igf_six():
    m = parse_meeting(MINIMAL)
    assert [g.label for g in m.groups] == ["Governments", "Intergovernmental organisations", "Private sector",
                                           "Civil society", "Technical community", "Academic community"]
    assert m.languages == ("en",) and m.sessions[0].auto_start is True
    assert [g.slug for g in m.groups] == ["government", "igo", "private", "civil", "technical", "academic"]
    assert m.description == "" and m.sessions[0].description == "" and m.sessions[0].themes == ()
    assert m.secretariat == ""  # optional


def test_the_secretariat_is_read():
    assert parse_meeting(demo_meeting_text()).secretariat == "IGF Secretariat"
    with pytest.raises(MeetingFileError) as info:
        parse_meeting(MINIMAL.replace('slug = "cstd-2012"', 'slug = "cstd-2012"\nsecretariat = 7'))
    assert [p.field for p in info.value.problems] == ["secretariat"]


@pytest.mark.parametrize("edit, line, field, words", [
    (('timezone = "Europe/Zurich"', 'timezone = "Europe/Geneva"'), 4, "timezone", "unknown time zone"),
    (("end = 2012-05-18T18:00:00", "end = 2012-05-18T09:00:00"), 13, "sessions[1].end", "after start"),
    (('room = "Room II"', 'room = ""'), 11, "sessions[1].room", "required"),
    (("start_date = 2012-05-18", 'start_date = "May 18"'), 5, "start_date", "date"),
    (("auto_start = true", 'auto_start = "yes"'), 14, "sessions[1].auto_start", "true or false"),
    (('slug = "cstd-2012"', 'slug = "CSTD 2012"'), 1, "slug", "lowercase"),
    (("auto_start = true", "auto_start = true\nspeakers = 3"), 15, "sessions[1].speakers", "not a session field"),
])
def test_problems_name_line_and_field(edit, line, field, words):
    with pytest.raises(MeetingFileError) as info:
        parse_meeting(MINIMAL.replace(*edit))
    [problem] = info.value.problems
    assert (problem.line, problem.field) == (line, field)
    assert words in problem.message


def test_toml_syntax_error_names_the_line():
    with pytest.raises(MeetingFileError) as info:
        parse_meeting(MINIMAL.replace('title = "CSTD', 'title = CSTD'))
    assert info.value.problems[0].line == 2


def test_every_problem_is_reported_at_once():
    text = MINIMAL.replace('venue = "ILO, Geneva"', "").replace('room = "Room II"', 'room = 5')
    with pytest.raises(MeetingFileError) as info:
        parse_meeting(text)
    assert {p.field for p in info.value.problems} == {"venue", "sessions[1].room"}


def test_duplicate_session_ids_and_groups():
    text = (MINIMAL + MINIMAL[MINIMAL.index("[[sessions]]"):]
            + '\n[[groups]]\nslug = "gov"\nlabel = "G"\n[[groups]]\nslug = "gov"\nlabel = "H"\n')
    with pytest.raises(MeetingFileError) as info:
        parse_meeting(text)
    fields = {p.field: p for p in info.value.problems}
    assert "used twice" in fields["sessions[2].id"].message and fields["sessions[2].id"].line == 16
    assert "used twice" in fields["groups[2].slug"].message


FULL = """\
slug = "wsis-20"
title = "  WSIS+20 review  "
venue = "Palais des Nations"
timezone = "Europe/Zurich"
start_date = 2025-07-07
end_date = 2025-07-08
languages = ["en", "fr", "zh-Hans"]
description = " Open consultation "

[[groups]]
slug = "gov"
label = " Governments "

[[groups]]
slug = "cs"
label = "Civil society"

[[sessions]]
id = "opening"
title = "Opening"
room = "Room XX"
start = 2025-07-07T10:00:00
end = 2025-07-07T11:30:00
themes = [" Access ", "Rights"]
description = " Welcome "

[[sessions]]
id = "remote-1"
title = "Remote hub round"
room = "Online"
start = 2025-07-08T09:00:00Z
end = 2025-07-08T12:00:00+02:00
auto_start = true
"""


def test_a_full_file_is_read_field_by_field():
    m = parse_meeting(FULL)
    assert m == Meeting(
        slug="wsis-20", title="WSIS+20 review", venue="Palais des Nations", timezone="Europe/Zurich",
        start_date="2025-07-07", end_date="2025-07-08",
        groups=(StakeholderGroup("gov", "Governments"), StakeholderGroup("cs", "Civil society")),
        languages=("en", "fr", "zh-Hans"),
        sessions=(
            # Local times are in the meeting's zone: 10:00 in Geneva in July (UTC+2) is 08:00 UTC;
            # times with an offset keep it: 09:00Z, and 12:00+02:00 is 10:00 UTC.
            AgendaSession("opening", "Opening", "Room XX", 1751875200000, 1751880600000, ("Access", "Rights"),
                          False, "Welcome"),
            AgendaSession("remote-1", "Remote hub round", "Online", 1751965200000, 1751968800000, (), True, ""),
        ),
        description="Open consultation",
    )  # fmt: skip


def edited(*edits: tuple[str, str]) -> str:
    text = FULL
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


@pytest.mark.parametrize(
    "edits, problems",
    [
        ([('slug = "wsis-20"', 'slug = "-wsis"')], [(1, "slug", "use lowercase letters, digits and '-' (at most 63)")]),
        ([('slug = "wsis-20"', f'slug = "{"w" * 64}"')],
         [(1, "slug", "use lowercase letters, digits and '-' (at most 63)")]),
        ([('slug = "wsis-20"', 'slug = 20')], [(1, "slug", "must be text")]),
        ([('slug = "wsis-20"', 'slug = " "')], [(1, "slug", "is required")]),
        ([('title = "  WSIS+20 review  "', "")], [(0, "title", "is required")]),
        ([('title = "  WSIS+20 review  "', "title = 1")], [(2, "title", "must be text")]),
        ([('venue = "Palais des Nations"', "venue = []")], [(3, "venue", "must be text")]),
        ([('timezone = "Europe/Zurich"', "timezone = 2")], [(4, "timezone", "must be text")]),
        ([('slug = "gov"', "slug = 1")], [(11, "groups[1].slug", "must be text")]),
        ([('id = "opening"', "id = 2")], [(19, "sessions[1].id", "must be text")]),
        ([('description = " Open consultation "', 'sessions = "all"'), (FULL[FULL.index("[[sessions]]"):], "")],
         [(8, "sessions", "the agenda needs at least one [[sessions]] table")]),
        ([('timezone = "Europe/Zurich"', 'timezone = "Mars/Olympus"')],
         [(4, "timezone", "unknown time zone 'Mars/Olympus' (use an IANA name such as 'Europe/Zurich')")]),
        ([("start_date = 2025-07-07", "start_date = 2025-07-07T10:00:00")],
         [(5, "start_date", "must be a date such as 2012-11-05")]),
        ([("end_date = 2025-07-08", "end_date = 2025-07-06")], [(6, "end_date", "is before start_date")]),
        ([("end_date = 2025-07-08", "")], [(0, "end_date", "must be a date such as 2012-11-05")]),
        ([('languages = ["en", "fr", "zh-Hans"]', "languages = []")],
         [(7, "languages", 'must be a non-empty list of language codes such as ["en", "fr"]')]),
        ([('languages = ["en", "fr", "zh-Hans"]', 'languages = ["en", "French"]')],
         [(7, "languages", 'must be a non-empty list of language codes such as ["en", "fr"]')]),
        ([('languages = ["en", "fr", "zh-Hans"]', 'languages = "en"')],
         [(7, "languages", 'must be a non-empty list of language codes such as ["en", "fr"]')]),
        ([('languages = ["en", "fr", "zh-Hans"]', 'languages = ["en", "fr", "en"]')],
         [(7, "languages", "lists a language twice")]),
        ([('slug = "gov"', 'slug = "Gov"')], [(11, "groups[1].slug", "use lowercase letters, digits and '-'")]),
        ([('slug = "cs"', 'slug = "gov"')], [(15, "groups[2].slug", "'gov' is used twice")]),
        ([('label = "Civil society"', "")], [(14, "groups[2].label", "is required")]),
        ([('id = "opening"', 'id = "Opening"')], [(19, "sessions[1].id", "use lowercase letters, digits and '-'")]),
        ([('id = "remote-1"', 'id = "opening"')], [(28, "sessions[2].id", "'opening' is used twice")]),
        ([('title = "Opening"', "title = 1")], [(20, "sessions[1].title", "must be text")]),
        ([("start = 2025-07-07T10:00:00", 'start = "10:00"')],
         [(22, "sessions[1].start", "must be a date and time such as 2012-11-05T10:30:00")]),
        ([("start = 2025-07-07T10:00:00", "start = 2025-07-07T11:30:00")],
         [(23, "sessions[1].end", "must be after start")]),
        ([('themes = [" Access ", "Rights"]', 'themes = ["Access", " "]')],
         [(24, "sessions[1].themes", "must be a list of theme names")]),
        ([('themes = [" Access ", "Rights"]', 'themes = "Access"')],
         [(24, "sessions[1].themes", "must be a list of theme names")]),
        ([("auto_start = true", "auto_start = 1")], [(33, "sessions[2].auto_start", "must be true or false")]),
        ([("auto_start = true", "auto_start = true\nchair = 'X'")],
         [(34, "sessions[2].chair", "is not a session field")]),
        ([('description = " Open consultation "', 'description = ""\nhost = "UN"\nchair = "X"')],
         [(10, "chair", "is not a meeting-file field"), (9, "host", "is not a meeting-file field")]),
        ([('description = " Open consultation "', "groups = []"),
          (FULL[FULL.index("[[groups]]"):FULL.index("[[sessions]]")], "")],
         [(8, "groups", "must be one or more [[groups]] tables")]),
    ],
)  # fmt: skip
def test_each_problem_has_its_line_field_and_message(edits, problems):
    with pytest.raises(MeetingFileError) as info:
        parse_meeting(edited(*edits))
    assert [(p.line, p.field, p.message) for p in info.value.problems] == problems
    assert info.value.code == "invalid_meeting_file" and info.value.field is None
    assert info.value.message == "; ".join(
        f"{'file' if line == 0 else f'line {line}'}: {field}: {message}" for line, field, message in problems
    )


def test_a_file_without_sessions_is_refused():
    text = edited()[: edited().index("[[sessions]]")]
    with pytest.raises(MeetingFileError) as info:
        parse_meeting(text)
    assert [(p.line, p.field, p.message) for p in info.value.problems] == [
        (0, "sessions", "the agenda needs at least one [[sessions]] table")]


def test_problems_read_as_where_field_and_message():
    assert str(FileProblem(3, "slug", "is required")) == "line 3: slug: is required"
    assert str(FileProblem(0, "title", "is required")) == "file: title: is required"
    error = MeetingFileError([FileProblem(3, "slug", "x"), FileProblem(0, "title", "y")])
    assert str(error) == error.message == "line 3: slug: x; file: title: y"


@pytest.mark.parametrize(
    "text, line",
    [('slug = "x"\ntitle = CSTD\n', 2), ('slug = "x"\ntitle = "unterminated', 0)],
)
def test_toml_errors_keep_the_parser_message(text, line):
    import tomllib

    with pytest.raises(tomllib.TOMLDecodeError) as parser:
        tomllib.loads(text)
    with pytest.raises(MeetingFileError) as info:
        parse_meeting(text)
    assert [(p.line, p.field, p.message) for p in info.value.problems] == [(line, "toml", str(parser.value))]


HUBS = """
[[hubs]]
name = "Nairobi hub"
city = "Nairobi"
country = "KE"
host_organisation = "KICTANet"
group = "civil"
expected_headcount = 12

[[hubs]]
name = "Dhaka hub"
city = "Dhaka"
country = "bd"
group = "academic"
expected_headcount = 30
"""


def test_hubs_are_registered_by_the_meeting_file():
    m = parse_meeting(MINIMAL + HUBS)
    assert m.hubs == (Hub(0, "Nairobi hub", "Nairobi", "KE", "KICTANet", "civil", 12),
                      Hub(0, "Dhaka hub", "Dhaka", "BD", "", "academic", 30))
    assert parse_meeting(MINIMAL).hubs == ()


def test_hub_problems_name_their_line_and_field():
    text = MINIMAL + HUBS.replace("expected_headcount = 12", "expected_headcount = 0").replace(
        'group = "academic"', 'group = "press"\nwebsite = "x"')
    with pytest.raises(MeetingFileError) as info:
        parse_meeting(text)
    lines = text.splitlines()
    found = {p.field: (p.line, p.message) for p in info.value.problems}
    assert found["hubs[1].expected_headcount"] == (lines.index("expected_headcount = 0") + 1,
                                                   "The expected headcount must be between 1 and 100000.")
    assert found["hubs[2].group"][0] == lines.index('group = "press"') + 1
    assert found["hubs[2].website"] == (lines.index('website = "x"') + 1, "is not a hub field")
    with pytest.raises(MeetingFileError) as twice:
        parse_meeting(MINIMAL + HUBS + HUBS.split("[[hubs]]")[1].join(["[[hubs]]", ""]))
    assert [p.message for p in twice.value.problems] == ["'Nairobi hub' in KE is listed twice"]
