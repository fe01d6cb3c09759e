"""The zip of everything for a session or a meeting."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from transcripts import Transcript, pack

SESSION_FILES = [f"transcript.{lang}.{ext}" for lang in ("en", "fr") for ext in ("txt", "vtt", "srt", "html", "docx")]
SUMMARY_FILES = ["summary.md", "summary.html", "summary.docx", "figures.json", "figures.csv", "annex.csv"]


def _zip(data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


def test_session_pack(transcript):
    archive = _zip(pack.build(transcript))
    assert archive.namelist() == ["README.txt", *SESSION_FILES, "transcript.json", *SUMMARY_FILES]
    assert Transcript.from_dict(json.loads(archive.read("transcript.json"))) == transcript
    assert archive.read("transcript.fr.txt").decode().count(">> ") == 2
    assert b"It was attended by 4 governments and 12 other participants" in archive.read("summary.md")
    assert json.loads(archive.read("figures.json"))["attendance"]["governments"] == 4


def test_meeting_pack_has_the_meeting_summary_and_a_folder_per_session(meeting):
    archive = _zip(pack.build(meeting))
    names = archive.namelist()
    assert names[:7] == ["README.txt", *SUMMARY_FILES]
    assert [n for n in names if n.startswith("sessions/main-session/")] == [
        "sessions/main-session/" + n for n in ["transcript.en.txt", "transcript.en.vtt", "transcript.en.srt",
                                               "transcript.en.html", "transcript.en.docx", "transcript.json",
                                               *SUMMARY_FILES]]
    assert len([n for n in names if n.startswith("sessions/ec-dialogue/")]) == 17
    assert b"5 governments and 12 other participants" in archive.read("summary.md")


def test_figures_csv_and_annex_csv(meeting):
    archive = _zip(pack.build(meeting))
    rows = list(csv.DictReader(io.StringIO(archive.read("figures.csv").decode())))
    lookup = {(r["section"], r["item"], r["measure"]): r["value"] for r in rows}
    assert lookup[("attendance", "", "governments")] == "5"
    assert lookup[("attendance.by_group", "government", "count")] == "5"
    assert lookup[("floor.by_side", "hub", "avg_wait_ms")] == "600000"
    assert lookup[("questions.dismissed_by_reason", "", "duplicate")] == "2"
    assert lookup[("attendance.hubs", "16", "people")] == "30"
    annex = list(csv.reader(io.StringIO(archive.read("annex.csv").decode())))
    assert annex[0] == ["name", "organisation", "country", "stakeholder_group", "mode"]
    assert annex[1] == ["Ana Souza", "Ministry of Communications", "BR", "Governments", "onsite"]
    assert annex[4] == ["Jean Martin", "Ministère de l'Économie", "FR", "Governments", "onsite"]
    assert len(annex) == 17


def test_annex_cells_cannot_run_as_formulas(session_dict):
    session_dict["attendance"][0]["name"] = "=HYPERLINK(\"http://x\")"
    archive = _zip(pack.build(Transcript.from_dict(session_dict)))
    assert "'=HYPERLINK" in archive.read("annex.csv").decode()


def test_pack_is_reproducible(meeting):
    assert pack.build(meeting) == pack.build(meeting)
    info = _zip(pack.build(meeting)).infolist()[0]
    assert info.date_time == (2012, 11, 5, 0, 0, 0)


def test_figures_cells_cannot_run_as_formulas(session_dict):
    for i in session_dict["interventions"]:
        i["on_behalf_of"] = None
    session_dict["interventions"][6]["on_behalf_of"] = '=HYPERLINK("http://x","G77")'
    archive = _zip(pack.build(Transcript.from_dict(session_dict)))
    rows = list(csv.reader(io.StringIO(archive.read("figures.csv").decode())))
    cells = [cell for row in rows for cell in row]
    assert "'=HYPERLINK(\"http://x\",\"G77\")" in cells
    assert not any(cell[:1] in ("=", "+", "-", "@") for cell in cells if not cell.lstrip("-").isdigit())


def test_one_escaping_writer_for_every_table():
    from transcripts import tables

    rows = [["=1+1", "+x", "-y", "@z", "\tt", "plain", 5, -3, None]]
    assert tables.csv_text(["a"] * 9, rows) == "a,a,a,a,a,a,a,a,a\n'=1+1,'+x,'-y,'@z,'\tt,plain,5,-3,\n"
