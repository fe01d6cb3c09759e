"""The chair's summary draft: exact sentences, agreement in number, replaceable template, three outputs."""

from __future__ import annotations

import io

import docx
import pytest

from transcripts import Transcript, draft
from transcripts.markdown import escape, to_html
from transcripts.summary import CountingRules

from .conftest import XSS
from .meeting import START, attendee, intervention
from .pages import Page


def _md(t: Transcript, **kw) -> str:
    return draft.render_markdown(t.meeting, [t], **kw)


def test_session_sentences(transcript):
    md = _md(transcript)
    for sentence in [
        "The session was held in Room 3 on 5 November 2012, 10:32-11:04 (Asia/Baku).",
        "It was attended by 4 governments and 12 other participants, who are listed in an Annex.",
        # This export lists no registrations: only who attended is known.
        "Of the 17 participants who attended, 12 took part in the room, 3 remotely and 2 through remote hubs.",
        "2 remote hubs took part, in Dhaka (BD) and Nairobi (KE), gathering 37 people (2 registered through their "
        "hubs).",
        "The session addressed Enhanced cooperation and Internet governance.",
        "The session began with three presentations. The presenters were:",
        "Contributions to the debate were made by 4 governments and by 5 participants from other stakeholder "
        "communities.",
        "Statements were made on behalf of the Secretary-General of the ITU and the G77 and China.",
        "Participants submitted 7 questions, of which 4 were published and 1 was answered.",
        "Three were dismissed (2 as duplicate, 1 as off topic).",
        "2 requests for the floor were never served (1 withdrawn, 1 still waiting at the close).",
    ]:
        assert sentence in md
    assert "- Anriette Esterhuysen, Association for Progressive Communications (ZA);\n" \
           "- Alexander Ntoko, ITU (CH);\n- Markus Kummer, Internet Society (CH).\n" in md
    assert "1. Anriette Esterhuysen, Association for Progressive Communications (ZA), Civil society\n" in md
    assert "7. Ravi Kumar, Permanent Mission of India (IN), Governments, on behalf of the G77 and China\n" in md
    assert "9. Grace Wanjiru, Ministry of ICT (KE), Governments (right of reply)\n" in md
    assert "| Governments | - | 4 | countries | 4 | 5 | 13 min 00 s | 4 min 12 s |" in md
    assert "| KE | - | 2 |" in md  # Grace Wanjiru and the Nairobi hub's record
    assert "| Remote hubs | 1 | 2 min 00 s | 10 min 00 s |" in md


def test_registered_and_attended_are_told_apart(session_dict):
    session_dict["registrations"] = [
        {"participant_id": pid, "name": f"P{pid}", "country": "BR", "group": "civil", "mode": "remote",
         "hub_id": None, "listed": True} for pid in range(1, 23)]  # 17 came (ids 1-17), 5 did not
    session_dict["hubs"] = [{"id": 1, "name": "Nairobi hub", "city": "Nairobi", "country": "KE",
                             "expected_headcount": 12, "registered": 1}]
    for a in session_dict["attendance"]:
        if a["participant_id"] in (16, 17):
            a.update({"hub_city": None, "hub_country": None, "hub_headcount": None, "hub_id": 1})
    md = _md(Transcript.from_dict(session_dict))
    assert "Of the 22 registered participants, 17 attended: 12 in the room, 3 remotely and 2 through remote hubs." \
        in md
    assert "1 remote hub took part, in Nairobi (KE), gathering 12 people (2 registered through the hub)." in md
    assert "| BR | 22 | 3 |" in md


def test_a_session_never_started_is_reported_not_held_with_no_attendance(session_dict):
    session_dict["session"]["started_ms"] = session_dict["session"]["ended_ms"] = None
    md = _md(Transcript.from_dict(session_dict))
    assert "The session was not held. It had been scheduled in Room 3 on 5 November 2012, 10:30-12:00 (Asia/Baku)." \
        in md
    assert "was held" not in md and "attended" not in md and "registered participants" not in md
    assert "remote hub took part" not in md and "remote hubs took part" not in md


def test_a_meeting_names_its_sessions_not_held(meeting):
    data = meeting.to_dict()
    data["sessions"][1]["session"]["started_ms"] = data["sessions"][1]["session"]["ended_ms"] = None
    record = type(meeting).from_dict(data)
    md = draft.render_markdown(record.meeting, list(record.sessions))
    assert "1 session of the 2 on the agenda was not held: Main Session: Taking Stock." in md
    assert "It was attended by 4 governments and 12 other participants" in md  # the first session's only


def test_questions_put_hide_anonymous_authors_and_dismissed_questions(transcript):
    md = _md(transcript)
    assert '- "How should enhanced cooperation relate to the IGF?" (Lea Kaspar, Global Partners Digital), answered' \
        in md
    assert '- "Who maps existing mechanisms \\& gaps?" (a participant from Academic community)' in md
    assert "Marilia Maciel" not in md  # asked anonymously, and not a speaker or presenter
    assert "What about lunch?" not in md  # dismissed after publication


def test_meeting_sentences(meeting):
    md = draft.render_markdown(meeting.meeting, list(meeting.sessions))
    assert md.startswith("# Internet Governance Forum 2012\n")
    assert "The meeting was held at Baku Expo Center, Azerbaijan on 5-6 November 2012." in md
    assert "It was attended by 5 governments and 12 other participants, who are listed in an Annex." in md
    assert "Contributions to the debate were made by 5 governments and by 5 participants from other " \
           "stakeholder communities." in md
    assert "1. Enhanced Cooperation: From Deadlock to Dialogue: Room 3, 5 November 2012, 10:32-11:04\n" \
           "2. Main Session: Taking Stock: Main Hall, 6 November 2012, 10:30-10:50\n" in md
    assert "### Main Session: Taking Stock\n\n1. Jean Martin, Ministère de l'Économie (FR), Governments\n" in md


def test_singular_forms(session_dict):
    session_dict["attendance"] = [attendee(1, START), attendee(9, START)]
    session_dict["interventions"] = [intervention(1, 1, 1, 2, requested=0, called=1), intervention(2, 9, 2, 3)]
    session_dict["segments"] = []
    session_dict["questions"] = session_dict["questions"][:1]
    session_dict["unserved_requests"] = session_dict["unserved_requests"][:1]
    for att in session_dict["attendance"]:
        att["presenter"] = att["participant_id"] == 9
    md = _md(Transcript.from_dict(session_dict))
    assert "It was attended by 1 government and 1 other participant, who are listed in an Annex." in md
    assert "Contributions to the debate were made by 1 government and by 1 participant from other stakeholder " \
           "communities." in md
    assert "There was one presentation, by Anriette Esterhuysen, Association for Progressive Communications." in md
    assert "Participants submitted 1 question, of which 1 was published and 1 was answered." in md
    assert "1 request for the floor was never served (1 withdrawn, 0 still waiting at the close)." in md


def test_only_one_kind_of_participant(session_dict):
    session_dict["attendance"] = [attendee(9, START)]
    session_dict["interventions"] = [intervention(1, 9, 1, 2)]
    session_dict["segments"] = session_dict["questions"] = session_dict["unserved_requests"] = []
    md = _md(Transcript.from_dict(session_dict))
    assert "It was attended by 1 participant, who is listed in an Annex." in md
    assert "Contributions to the debate were made by 1 participant." in md
    assert "No questions were submitted." in md and "Every request for the floor was served." in md


def test_counting_rules_change_the_sentences(transcript):
    md = _md(transcript, rules=CountingRules(igo_as="organisations", on_behalf="exclude"))
    assert "It was attended by 4 governments, 2 intergovernmental organisations and 9 other participants" in md
    assert "Contributions to the debate were made by 3 governments, by 1 intergovernmental organisation and by " \
           "4 participants from other stakeholder communities." in md


def test_a_custom_template_replaces_the_default(transcript, tmp_path):
    template = tmp_path / "mine.md.j2"
    template.write_text("# {{ session.title }}\n\n{{ counted(figures.attendance.governments, 'State') }} came; "
                        "{{ figures.questions.received | spell }} questions. {{ speakers[0].name }}.\n")
    assert _md(transcript, template=template) == \
        "# Enhanced Cooperation: From Deadlock to Dialogue\n\n4 States came; seven questions. Anriette Esterhuysen.\n"


def test_templates_are_sandboxed(transcript, tmp_path):
    import jinja2

    template = tmp_path / "evil.md.j2"
    template.write_text("{{ figures.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(jinja2.exceptions.SecurityError):
        _md(transcript, template=template)


def test_hostile_text_is_escaped_in_every_output(hostile):
    md = _md(hostile)
    assert "Why \\<script\\>alert(1)\\</script\\>?" in md
    page = Page(draft.render_html(hostile.meeting, [hostile]))
    page.assert_inert()
    assert f'"Why {XSS}?"' in page.text and f"Ana {XSS}" in page.text
    document = docx.Document(io.BytesIO(draft.render_docx(hostile.meeting, [hostile])))
    assert any(f'"Why {XSS}?"' in p.text for p in document.paragraphs)


def test_html_and_docx_follow_the_markdown(transcript):
    page = Page(draft.render_html(transcript.meeting, [transcript]))
    assert page.tags.count("h1") == 1 and page.tags.count("table") == 3 and page.tags.count("ol") == 1
    assert "It was attended by 4 governments and 12 other participants" in page.text
    document = docx.Document(io.BytesIO(draft.render_docx(transcript.meeting, [transcript])))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings == ["Enhanced Cooperation: From Deadlock to Dialogue", "Agenda", "Presentations", "Debate",
                        "Questions", "Figures"]
    assert len(document.tables) == 3 and document.tables[0].cell(1, 0).text == "Governments"
    assert document.tables[0].cell(0, 0).paragraphs[0].runs[0].bold


@pytest.mark.parametrize("text", ["*bold* _x_ [link](http://x) <b>", "# not a heading", "| a | b |", "\\ & !"])
def test_escaped_text_reads_back_literally(text):
    assert to_html(escape(text)) == "<p>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(
        ">", "&gt;") + "</p>"


def test_markdown_inline_and_blocks():
    assert to_html("**Bold** and *it*\n\n- a\n- b\n\n1. x\n\n| h |\n|---|\n| c |") == (
        "<p><strong>Bold</strong> and <em>it</em></p>\n<ul><li>a</li><li>b</li></ul>\n<ol><li>x</li></ol>\n"
        "<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>c</td></tr></tbody></table>")
