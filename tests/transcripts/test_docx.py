"""Word transcript: reopened with python-docx and its text checked."""

from __future__ import annotations

import io

import docx
import pytest

from transcripts.formats import docx as docx_writer
from transcripts.formats.common import DISCLAIMER


def _open(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def test_headings_speakers_and_bold_labels(transcript):
    document = _open(docx_writer.render(transcript))
    paragraphs = document.paragraphs
    headings = [(p.style.name, p.text) for p in paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings == [("Title", "Enhanced Cooperation: From Deadlock to Dialogue"), ("Heading 1", "Speakers"),
                        ("Heading 1", "Transcript")]
    texts = [p.text for p in paragraphs]
    assert texts[1:3] == ["Internet Governance Forum 2012, Baku Expo Center, Azerbaijan",
                          "Room 3, 5 November 2012, 10:32-11:04 (Asia/Baku)"]
    assert texts[3] == DISCLAIMER and paragraphs[3].runs[0].italic
    assert "Ravi Kumar (Permanent Mission of India, IN, Governments)" in texts
    turn = next(p for p in paragraphs if "Brazil, you have the floor" in p.text)
    assert turn.text == "[00:06:13] >> CHAIR: Thank you. Brazil, you have the floor."
    assert [r.bold for r in turn.runs] == [None, True, None] and turn.runs[1].text == ">> CHAIR:"
    assert document.core_properties.title == "Enhanced Cooperation: From Deadlock to Dialogue - " \
                                             "Internet Governance Forum 2012"
    assert sum(p.text.startswith("[") for p in paragraphs) == 11


def test_without_stamps_and_with_hostile_text(hostile):
    document = _open(docx_writer.render(hostile, stamps=False, lang="en"))
    texts = [p.text for p in document.paragraphs]
    assert ">> ANA <SCRIPT>ALERT(1)</SCRIPT>: Brazil says <script>alert(1)</script> & more" in texts
    assert not any(t.startswith("[00:") for t in texts)


def test_control_characters_are_dropped(session_dict):
    from transcripts import Transcript

    session_dict["segments"][1]["text"] = "Bell\x07 and form\x0c feed"
    document = _open(docx_writer.render(Transcript.from_dict(session_dict)))
    assert "[00:00:00] >> Testing, one, two. Bell and form feed We have a full list of speakers & little time." \
        in [p.text for p in document.paragraphs]


def test_same_content_gives_same_bytes(transcript):
    assert docx_writer.render(transcript) == docx_writer.render(transcript)


def test_core_properties_name_the_secretariat_and_the_export_time(session_dict):
    import datetime as dt

    from transcripts import Transcript

    session_dict["meeting"]["secretariat"] = "IGF Secretariat"
    session_dict["exported_ms"] = 1_352_200_000_000
    props = _open(docx_writer.render(Transcript.from_dict(session_dict))).core_properties
    assert props.author == "IGF Secretariat" and props.last_modified_by == "IGF Secretariat"
    made = {props.created.replace(tzinfo=None), props.modified.replace(tzinfo=None)}
    assert made == {dt.datetime(2012, 11, 6, 11, 6, 40)}
    assert "python-docx" not in (props.comments + props.author + props.last_modified_by)


def test_without_a_secretariat_the_meeting_is_the_author(transcript):
    props = _open(docx_writer.render(transcript)).core_properties
    assert props.author == "Internet Governance Forum 2012"
    assert props.created is not None and props.created.year == 2012  # the session's end, not a template date


def test_the_python_docx_adapter_writes_what_the_public_api_writes():
    from transcripts.formats import wordml

    document = docx.Document()
    public, fast = document.add_paragraph(), document.add_paragraph()
    for text, bold in ((" leading and trailing ", True), ("tab\there", None), ("plain", None)):
        run = public.add_run(text)
        if bold is not None:
            run.bold = bold
        wordml.add_run(fast, text, bold=bold)
    assert fast._p.xml.replace("<w:p ", "").split(">", 1)[1] == public._p.xml.replace("<w:p ", "").split(">", 1)[1]
    wordml.set_style(fast, document.styles["List Number"].style_id)
    assert fast.style.name == "List Number"


def test_the_adapter_fails_loudly_without_the_internals_it_uses(monkeypatch):
    import importlib

    from docx.oxml.text.run import CT_R

    from transcripts.formats import wordml

    monkeypatch.delattr(CT_R, "add_t")
    with pytest.raises(ImportError, match=r"python-docx 1\.1-1\.2"):
        importlib.reload(wordml)
    monkeypatch.undo()
    importlib.reload(wordml)
