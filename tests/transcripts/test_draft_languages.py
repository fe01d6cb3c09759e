"""The chair's summary draft in the six UN languages: the same export drafted in each, plurals by CLDR rules,
CLDR numbers, dates and country names, Arabic right to left in HTML and Word."""

from __future__ import annotations

import io
import re
import zipfile

import docx
import pytest
from babel import Locale
from docx.oxml.ns import qn

from transcripts import Transcript, draft, pack
from transcripts import language as languages
from transcripts.language import LANGUAGES, UnknownLanguage

from .meeting import START, attendee, intervention
from .pages import Page

NBSP = "\u00a0"
#: Words of the English draft's fixed phrases; none may be left in a translated draft.
ENGLISH = re.compile(r"\b(The session|was held|attended|Contributions|were made|submitted|questions put|"
                     r"Figures|Stakeholder group|Every request|remote hubs|Agenda|Presentations)\b")
#: Countries for drafts with many governments (any ISO codes CLDR names).
COUNTRIES = ("AR", "AU", "BD", "BR", "CA", "CL", "CN", "DE", "EG", "ES", "FR", "GB", "GH", "ID", "IN", "JP", "KE",
             "MX", "NG", "PK", "ZA")


def _md(t: Transcript, lang: str) -> str:
    return draft.render_markdown(t.meeting, [t], language=lang)


def _governments(session_dict: dict, n: int) -> Transcript:
    """The session attended by ``n`` government delegates of as many countries, and nobody else."""
    records = []
    for i, country in enumerate(COUNTRIES[:n], start=1):
        record = attendee(1, START)
        record.update(participant_id=100 + i, name=f"Delegate {i}", country=country)
        records.append(record)
    session_dict["attendance"] = records
    for key in ("interventions", "questions", "unserved_requests", "segments"):
        session_dict[key] = []
    return Transcript.from_dict(session_dict)


def test_english_is_the_default_and_unchanged(transcript):
    assert _md(transcript, "en") == draft.render_markdown(transcript.meeting, [transcript])


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_every_language_drafts_the_whole_session_with_no_english_phrase_left(transcript, meeting, lang):
    md = _md(transcript, lang)
    whole = draft.render_markdown(meeting.meeting, list(meeting.sessions), language=lang)
    for text in (md, whole):
        # Names, titles and places stay as recorded; the draft's own phrases are all translated.
        left = ENGLISH.findall(text.replace("Enhanced Cooperation: From Deadlock to Dialogue", "")
                               .replace("Main Session: Taking Stock", ""))
        assert not left, (lang, left)
    assert md.count("\n## ") == 5 and "Anriette Esterhuysen" in md and "Who maps existing mechanisms \\& gaps?" in md


def test_french_draft(transcript):
    md = _md(transcript, "fr")
    for sentence in [
        "La séance s’est tenue à Room 3 le 5 novembre 2012, 10:32-11:04 (Asia/Baku).",
        "Y ont participé 4 gouvernements et 12 autres participants, dont la liste figure en annexe.",
        "2 pôles à distance ont participé, à Dhaka (Bangladesh) et Nairobi (Kenya), réunissant 37 personnes",
        "Des interventions ont été faites au cours du débat par 4 gouvernements et par 5 intervenants d’autres "
        "groupes de parties prenantes.",
        "Les participants ont soumis 7 questions, dont 4 ont été publiées et 1 a reçu une réponse.",
        f"3 ont été écartées (2 pour motif «{NBSP}doublon{NBSP}», 1 pour motif «{NBSP}hors sujet{NBSP}»).",
        "9. Grace Wanjiru, Ministry of ICT (Kenya), Gouvernements (droit de réponse)\n",
        f"- Anriette Esterhuysen, Association for Progressive Communications (Afrique du Sud){NBSP};\n",
        f"| Gouvernements | - | 4 | pays | 4 | 5 | 13{NBSP}min{NBSP}00{NBSP}s | 4{NBSP}min{NBSP}12{NBSP}s |",
        "| Kenya | - | 2 |",
    ]:
        assert sentence in md, sentence
    assert "## Débat\n" in md and "## Données chiffrées\n" in md


def test_french_singular_forms(session_dict):
    session_dict["attendance"] = [attendee(1, START), attendee(9, START)]
    session_dict["interventions"] = [intervention(1, 1, 1, 2), intervention(2, 9, 2, 3)]
    session_dict["segments"] = []
    session_dict["questions"] = session_dict["questions"][:1]
    session_dict["unserved_requests"] = session_dict["unserved_requests"][:1]
    md = _md(Transcript.from_dict(session_dict), "fr")
    assert "Y ont participé 1 gouvernement et 1 autre participant, dont la liste figure en annexe." in md
    assert "au cours du débat par 1 gouvernement et par 1 intervenant d’autres groupes de parties prenantes." in md
    assert "Les participants ont soumis 1 question" in md and "1 a été publiée et 1 a reçu une réponse." in md
    assert "1 demande de prise de parole n’a pas été satisfaite" in md


@pytest.mark.parametrize("n, governments", [
    (1, "1 правительство"), (3, "3 правительства"), (5, "5 правительств"), (21, "21 правительство")])
def test_russian_plural_forms(session_dict, n, governments):
    md = _md(_governments(session_dict, n), "ru")
    assert f"Присутствовали: {governments} (список приводится в приложении)." in md


@pytest.mark.parametrize("n, phrase", [
    (0, "0 حكومة"), (1, "حكومة واحدة"), (2, "حكومتان"), (3, "3 حكومات"), (11, "11 حكومة"), (100, "100 حكومة")])
def test_arabic_has_six_plural_forms(n, phrase):
    arabic = languages.get("ar")
    assert arabic.npgettext("attended by", "%(num)s government", "%(num)s governments", n) == phrase


def test_arabic_html_is_right_to_left_with_the_cldr_digits(transcript):
    page = draft.render_html(transcript.meeting, [transcript], language="ar")
    assert '<html lang="ar" dir="rtl">' in page
    Page(page).assert_inert()
    # CLDR's default numbering system for Arabic decides between Latin and Arabic-Indic digits.
    digits = {"latn": "0123456789", "arab": "٠١٢٣٤٥٦٧٨٩"}[Locale.parse("ar").default_numbering_system]
    four, twelve = digits[4], digits[1] + digits[2]
    assert f"حضر {four} حكومات و{twelve} مشاركًا آخر، وترد أسماؤهم في مرفق." in page
    assert "5 نوفمبر 2012".translate(str.maketrans("0123456789", digits)) in page
    assert "(جنوب أفريقيا)" in page and "<h2>المناقشة</h2>" in page
    assert "<title>موجز: Enhanced Cooperation: From Deadlock to Dialogue</title>" in page


def test_arabic_word_paragraphs_and_tables_run_right_to_left(transcript):
    document = docx.Document(io.BytesIO(draft.render_docx(transcript.meeting, [transcript], language="ar")))
    paragraphs = list(document.paragraphs) + [p for t in document.tables for row in t.rows for c in row.cells
                                              for p in c.paragraphs]
    assert paragraphs and all(p._p.pPr is not None and p._p.pPr.find(qn("w:bidi")) is not None for p in paragraphs)
    assert all(t._tbl.tblPr.find(qn("w:bidiVisual")) is not None for t in document.tables)
    heading = next(p for p in document.paragraphs if p.text == "المناقشة")
    assert all(r._r.rPr.find(qn("w:rtl")) is not None for r in heading.runs)
    names = next(p for p in document.paragraphs if p.text.startswith("Anriette Esterhuysen"))
    assert names.runs[0]._r.rPr is None or names.runs[0]._r.rPr.find(qn("w:rtl")) is None  # Latin text stays LTR
    assert document.core_properties.title == "موجز: Enhanced Cooperation: From Deadlock to Dialogue"
    english = docx.Document(io.BytesIO(draft.render_docx(transcript.meeting, [transcript])))
    assert all(p._p.pPr is None or p._p.pPr.find(qn("w:bidi")) is None for p in english.paragraphs)


def test_chinese_and_spanish_drafts(transcript, meeting):
    zh = _md(transcript, "zh")
    assert "出席者包括4个政府和12名其他与会者，名单载于附件。" in zh
    assert "本场会议于2012年11月5日 10:32-11:04\uff08Asia/Baku\uff09在Room 3举行。" in zh
    assert "在辩论中发言的有4个政府和来自其他利益攸关方群体的5名与会者。" in zh
    es = _md(transcript, "es")
    assert "Asistieron 4 gobiernos y otros 12 participantes, cuya lista figura en un anexo." in es
    assert "Se descartaron 3 (duplicada: 2, ajena al tema: 1)." in es
    whole = draft.render_markdown(meeting.meeting, list(meeting.sessions), language="es")
    assert "La reunión se celebró en Baku Expo Center, Azerbaijan (5\u20136 de noviembre de 2012)." in whole


def test_an_unknown_language_is_refused(transcript):
    with pytest.raises(UnknownLanguage, match="no summary draft in language 'de'"):
        _md(transcript, "de")


def test_the_pack_summary_follows_the_language(transcript):
    files = zipfile.ZipFile(io.BytesIO(pack.build(transcript, language="ru")))
    assert "Присутствовали: 4 правительства и 12 других участников" in files.read("summary.md").decode()
    assert '<html lang="ru">' in files.read("summary.html").decode()
    assert files.read("figures.json") == zipfile.ZipFile(io.BytesIO(pack.build(transcript))).read("figures.json")


def test_a_replacement_template_is_translated_where_the_catalogue_has_its_phrases(session_dict, tmp_path):
    session_dict["interventions"][0]["name"] = "Ana *x* <b>"
    t = Transcript.from_dict(session_dict)
    template = tmp_path / "mine.md.j2"
    template.write_text('## {{ _("Debate") }}\n\n{% trans n=figures.attendance.governments, who=speakers[0].name %}'
                        "{{ who }} spoke; {{ n }} government came.{% pluralize %}{{ who }} spoke; {{ n }} "
                        "governments came.{% endtrans %}\n", encoding="utf-8")
    assert draft.render_markdown(t.meeting, [t], template=template, language="fr") == \
        "## Débat\n\nAna \\*x\\* \\<b\\> spoke; 4 governments came."
