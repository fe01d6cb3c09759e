"""HTML transcript: a complete, inert page with anchors per intervention and per segment."""

from __future__ import annotations

from transcripts.formats import html as html_writer

from .conftest import XSS
from .pages import Page


def test_complete_page_with_title_block_and_speakers(transcript):
    source = html_writer.render(transcript)
    assert source.startswith("<!doctype html>\n<html lang=\"en\">") and source.rstrip().endswith("</html>")
    page = Page(source)
    page.assert_inert()
    assert page.tags.count("h1") == 1 and "style" in page.tags
    assert "Enhanced Cooperation: From Deadlock to Dialogue Internet Governance Forum 2012, Baku Expo Center" \
        in page.text
    assert "Room 3, 5 November 2012, 10:32-11:04 (Asia/Baku)" in page.text
    assert "should not be treated as an authoritative record" in page.text
    assert "Ravi Kumar (Permanent Mission of India, IN, Governments): on behalf of the G77 and China" in page.text
    assert "Grace Wanjiru (Ministry of ICT, KE, Governments): right of reply" in page.text
    assert ">> ANRIETTE ESTERHUYSEN: Thank you, Chair." in page.text
    assert "00:06:13 >> CHAIR: Thank you. Brazil, you have the floor." in page.text


def test_every_intervention_and_segment_has_one_anchor(transcript):
    page = Page(html_writer.render(transcript))
    assert len(page.ids) == len(set(page.ids))
    assert sorted(i for i in page.ids if i.startswith("intervention-")) == sorted(
        f"intervention-{n}" for n in range(1, 11))
    assert sorted(i for i in page.ids if i.startswith("seg-")) == sorted(f"seg-{n}" for n in range(13))
    targets = {value[1:] for tag, name, value in page.attrs if name == "href"}
    assert targets <= set(page.ids)
    assert "intervention-7" in targets and "intervention-8" not in targets  # only captioned turns are linked


def test_uncaptioned_intervention_anchors_on_its_list_entry(transcript):
    source = html_writer.render(transcript)
    assert '<li id="intervention-10">Marilyn Cade' in source  # spoke, but no caption is attributed to her
    assert '<li id="intervention-5">Bruno Lima' in source
    assert '<li id="intervention-1">' not in source  # captioned: the anchor is on her turn instead
    assert '<div class="turn" id="intervention-1">' in source


def test_user_text_never_becomes_markup(hostile):
    source = html_writer.render(hostile)
    page = Page(source)
    page.assert_inert()
    assert "script" not in page.tags
    assert f"Brazil says {XSS} & more" in page.text
    assert f"Ana {XSS}" in page.text and f"Dialogue {XSS}" in page.text
    assert '"><img src=x onerror=alert(1)>' in page.text
    assert "<script>" not in source


def test_french_page(transcript):
    page = Page(html_writer.render(transcript, lang="fr", stamps=False))
    assert page.tags[0] == "html" and ">> PRÉSIDENT: Bonjour et bienvenue." in page.text
    assert "00:00:10" not in page.text
