"""Parts of a session in the export, the figures and the draft: presentations counted apart from contributions to
the debate, closing remarks apart from both, interposed questions as their own kind, and version 1 still read."""

from __future__ import annotations

from typing import Any

from transcripts import Transcript, draft
from transcripts.formats import html as html_writer
from transcripts.summary import figures

from .meeting import MIN, START, dialogue_session, intervention, version_1
from .pages import Page


def agenda_session() -> dict[str, Any]:
    """``ec-dialogue`` as the chair ran it with parts: Esterhuysen and Ntoko present, Esterhuysen then speaks in the
    debate too, Lea Kaspar puts an interposed question to Ana Souza (who pauses for 30 s), Marilyn Cade closes."""
    data = dialogue_session()
    ivs = {i["id"]: i for i in data["interventions"]}
    for iid in (1, 2):
        ivs[iid].update(kind="presentation", part="presentations", on_behalf_of=None)
    for iid in range(3, 10):
        ivs[iid]["part"] = "debate"
    ivs[10]["part"] = "closing"
    ivs[3]["paused_ms"] = 30_000
    question = intervention(12, 11, 13, 13.5, requested=12.5, called=13, kind="interposed_question")
    question.update(part="debate", addressed_to=3)
    again = intervention(11, 9, 11, 12, requested=10, called=11)
    again["part"] = "debate"
    data["interventions"] = [*data["interventions"], again, question]
    data["parts"] = [{"part": "presentations", "start_ms": START}, {"part": "debate", "start_ms": START + 11 * MIN},
                     {"part": "closing", "start_ms": START + 29 * MIN}]
    return data


def test_parts_round_trip():
    data = agenda_session()
    t = Transcript.from_dict(data)
    assert [(p.part, p.start_ms) for p in t.parts] == [(p["part"], p["start_ms"]) for p in data["parts"]]
    assert Transcript.from_dict(t.to_dict()) == t
    assert t.to_dict()["version"] == 2
    assert t.interventions_by_id[12].addressed_to == 3


def test_presentations_debate_and_closing_are_counted_apart():
    t = Transcript.from_dict(agenda_session())
    f = figures(t.meeting, [t])
    presentations, debate, closing = (f["parts"][k] for k in ("presentations", "debate", "closing"))
    assert (presentations["interventions"], presentations["governments"], presentations["others"]) == (2, 0, 2)
    # Esterhuysen presented and spoke in the debate: once in each.
    assert (debate["interventions"], debate["governments"], debate["others"]) == (9, 4, 4)
    assert {r["group"]: r["count"] for r in debate["by_group"] if r["count"]} == {"government": 4, "civil": 4}
    assert debate["by_kind"]["interposed_question"] == 1 and debate["by_kind"]["presentation"] == 0
    assert (closing["interventions"], closing["others"]) == (1, 1)
    assert f["contributions"] == debate
    assert [p["name"] for p in f["presenters"]] == ["Anriette Esterhuysen", "Alexander Ntoko", "Markus Kummer"]
    # Ana Souza's pause for the question is not her floor time.
    ana = next(r for r in f["floor"]["by_group"] if r["group"] == "government")
    before = figures(t.meeting, [Transcript.from_dict(dialogue_session())])["floor"]
    assert ana["floor_ms"] == next(r for r in before["by_group"] if r["group"] == "government")["floor_ms"] - 30_000


def test_summary_sentences_tell_the_parts_apart():
    t = Transcript.from_dict(agenda_session())
    md = draft.render_markdown(t.meeting, [t])
    for sentence in [
        "The session began with two presentations. The presenters were:",
        "Contributions to the debate were made by 4 governments and by 4 participants from other stakeholder "
        "communities.",
        "1 interposed question was put to speakers, who answered before the debate went on.",
        "## Closing\n\nClosing remarks were made by Marilyn Cade.",
        "1. Anriette Esterhuysen, Association for Progressive Communications (ZA), Civil society (presentation)\n",
        "Lea Kaspar, Global Partners Digital (GB), Civil society (interposed question)\n",
    ]:
        assert sentence in md, sentence


def test_html_transcript_names_presentations_and_interposed_questions():
    page = Page(html_writer.render(Transcript.from_dict(agenda_session())))
    assert "Anriette Esterhuysen (Association for Progressive Communications, ZA, Civil society): presentation" \
        in page.text
    assert "Lea Kaspar (Global Partners Digital, GB, Civil society): interposed question" in page.text


def test_version_1_exports_are_still_read_as_before():
    old = version_1(dialogue_session())
    assert "parts" not in old and "part" not in old["interventions"][0]
    t = Transcript.from_dict(old)
    assert t.parts == () and all(i.part is None and i.paused_ms == 0 for i in t.interventions)
    now = Transcript.from_dict(dialogue_session())
    assert figures(t.meeting, [t]) == figures(now.meeting, [now])
    assert t.to_dict()["version"] == 2  # written back in the current version
