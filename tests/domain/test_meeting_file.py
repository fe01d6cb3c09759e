"""Meeting files: the demo parses, and every problem names its line and field."""

from __future__ import annotations

import pytest

from server.domain.meetings.file import MeetingFileError, parse_meeting
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
