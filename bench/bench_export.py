"""Export benchmark: a synthetic meeting of 320 caption-hours rendered to every format.

The default meeting is 4 days x 10 rooms x 8 hours of captions in 2-hour sessions, with about three segments of
about fifteen words every ten seconds, 20 floor interventions an hour, attendance and questions. Each format runs in
a process of its own, which prints the wall time over all sessions (or for the whole meeting, for summaries and the
pack) and the CPU time it took (on a shared machine, wall time includes waiting for the CPU), the output size,
and the process's peak resident memory (``ru_maxrss``, the meeting included). Outputs are
counted as they are made and not kept, as a download streams them; the pack is written to a non-seekable sink.

    python bench/bench_export.py                # the full 320 caption-hours
    python bench/bench_export.py --scale 0.05   # 5 % of the hours, for a quick run
    python bench/bench_export.py --only docx    # one format
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transcripts import MeetingRecord, Transcript, draft, pack
from transcripts.formats import WRITERS, writer
from transcripts.model import MeetingInfo
from transcripts.reading import Fields

WORDS = ("the internet governance forum enhanced cooperation multistakeholder public policy issues pertaining "
         "governments civil society private sector technical community capacity development access digital divide "
         "we believe that should must ensure human rights security privacy infrastructure and of to in for a").split()
GROUPS = ["government", "igo", "private", "civil", "technical", "academic"]
DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def session_dict(rng: random.Random, day: int, room: int, slot: int, hours: float) -> dict[str, Any]:
    """One synthetic session export (no ``meeting`` block: it belongs to the meeting record)."""
    start = 1_352_095_200_000 + day * DAY_MS + slot * 2 * HOUR_MS
    length = int(hours * HOUR_MS)
    n_segments = int(length / 10_000 * 3)
    n_interventions = max(1, int(length / HOUR_MS * 20))
    people = [(pid, rng.choice(GROUPS), rng.choice(["onsite", "onsite", "remote", "hub"]))
              for pid in range(room * 1000, room * 1000 + 150)]
    interventions = []
    for i in range(n_interventions):
        pid, group, mode = people[rng.randrange(len(people))]
        s = start + i * length // n_interventions
        interventions.append({"id": i + 1, "participant_id": pid, "name": f"Speaker {pid}", "organisation": "Org",
                              "group": group, "country": f"C{pid % 120:03d}"[:2], "mode": mode, "kind": "normal",
                              "on_behalf_of": None, "language": "en", "requested_ms": s - 120_000,
                              "called_ms": s, "start_ms": s, "end_ms": s + length // n_interventions,
                              "question_id": None, "read_by": None})
    segments = []
    for seq in range(n_segments):
        at = start + seq * 10_000 // 3
        iv = interventions[min(seq * n_interventions // n_segments, n_interventions - 1)]
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 20)))
        if seq % 40 == 0:
            text = ">> MODERATOR: " + text  # the chair's interjections, typed with the CART convention
        segments.append({"seq": seq, "lang": "en", "text": text, "first_ms": at, "final_ms": at + 3_000,
                         "speaker": None, "intervention_id": None if seq % 40 == 0 else iv["id"],
                         "captioner": "cart", "revision": 0})
    attendance = [{"participant_id": pid, "name": f"Participant {pid}", "organisation": "Org",
                   "country": f"C{pid % 120:03d}"[:2], "group": group, "mode": mode, "hub_city": "City",
                   "hub_country": "KE", "hub_headcount": 10 if mode == "hub" else None, "listed": True,
                   "presenter": pid % 50 == 0, "join_ms": start, "leave_ms": None} for pid, group, mode in people]
    questions: list[dict[str, Any]]
    questions = [{"id": q, "text": "What about " + " ".join(rng.choice(WORDS) for _ in range(12)) + "?",
                  "author": {"participant_id": people[q][0], "name": f"Participant {people[q][0]}",
                             "organisation": "Org", "country": "KE", "group": people[q][1], "mode": "remote"},
                  "show_name": q % 3 != 0, "theme": None, "language": "en", "status": "answered" if q % 2 else
                  "dismissed", "dismiss_reason": None if q % 2 else "duplicate", "votes": q,
                  "submitted_ms": start + q * 60_000, "history": [], "intervention_id": None}
                 for q in range(1, 1 + max(1, int(hours * 10)))]
    return {"format": "floorcast-transcript", "version": 1,
            "session": {"id": f"d{day + 1}-r{room + 1:02d}-s{slot + 1}", "title": f"Session {slot + 1}",
                        "room": f"Room {room + 1}", "scheduled_start_ms": start, "scheduled_end_ms": start + length,
                        "started_ms": start, "ended_ms": start + length, "themes": ["Access"]},
            "segments": segments, "interventions": interventions, "unserved_requests": [], "questions": questions,
            "attendance": attendance}


def build_meeting(scale: float, days: int, rooms: int, hours_per_day: float, seed: int) -> MeetingRecord:
    """The synthetic meeting, sessions of two hours (the last one of a day may be shorter)."""
    rng = random.Random(seed)
    info = {"slug": "bench", "title": "Benchmark Forum", "venue": "Nowhere", "timezone": "Asia/Baku",
            "groups": [{"slug": g, "label": g.title()} for g in GROUPS]}
    hours = hours_per_day * scale
    meeting = MeetingInfo.from_fields(Fields(info, "meeting"))
    sessions = []
    for day in range(days):
        for room in range(rooms):
            left, slot = hours, 0
            while left > 1e-9 and slot < 12:  # bounded: at most 24 hours of two-hour slots a day
                # Each session's dict is read and dropped at once, as a server reads one session at a time.
                sessions.append(Transcript.from_dict(session_dict(rng, day, room, slot, min(2.0, left)), meeting))
                left -= 2.0
                slot += 1
    return MeetingRecord(meeting, tuple(sessions))


class Sink:
    """A non-seekable output that only counts the bytes written to it (as a socket would take them)."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def packed(record: MeetingRecord) -> int:
    """The meeting's pack written as a stream; its size."""
    sink = Sink()
    pack.write(record, sink)  # type: ignore[arg-type]  # a write-only stream is all zipfile needs
    return sink.size


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def jobs(record: MeetingRecord) -> list[tuple[str, Callable[[], int]]]:
    """One job per format: transcript formats over every session, summaries and the pack over the meeting."""
    def per_session(name: str) -> Callable[[], int]:
        render = writer(name).render
        return lambda: sum(len(render(t)) for t in record.sessions)

    sessions = list(record.sessions)
    return [(name, per_session(name)) for name, *_ in WRITERS] + [
        ("summary-md", lambda: len(draft.render_markdown(record.meeting, sessions))),
        ("summary-html", lambda: len(draft.render_html(record.meeting, sessions))),
        ("summary-docx", lambda: len(draft.render_docx(record.meeting, sessions))),
        ("pack", lambda: packed(record)),
    ]


def main(argv: list[str] | None = None) -> int:
    """Generate, export, print a table (each format in a process of its own, for its own peak memory)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the caption hours (default 1 = 320 h)")
    p.add_argument("--days", type=int, default=4)
    p.add_argument("--rooms", type=int, default=10)
    p.add_argument("--hours", type=float, default=8.0, help="caption hours per room and day")
    p.add_argument("--seed", type=int, default=2012)
    p.add_argument("--only", nargs="*", help="formats to run (default: all)")
    p.add_argument("--here", action="store_true", help="run the formats in this process (one peak memory for all)")
    args = p.parse_args(argv)
    if not 0 < args.scale <= 1 or args.days < 1 or args.rooms < 1 or not 0 < args.hours <= 24:
        p.error("--scale must be in (0, 1], --days and --rooms at least 1, --hours in (0, 24]")
    names = [name for name, *_ in WRITERS] + ["summary-md", "summary-html", "summary-docx", "pack"]
    chosen = [n for n in names if not args.only or n in args.only]
    if not args.here:
        print(f"{'format':<14}{'seconds':>9}{'CPU s':>8}{'output MB':>11}{'peak RSS MB':>13}", flush=True)
        common = ["--scale", str(args.scale), "--days", str(args.days), "--rooms", str(args.rooms), "--hours",
                  str(args.hours), "--seed", str(args.seed), "--here"]
        for n, name in enumerate(chosen):
            out = subprocess.run([sys.executable, __file__, *common, "--only", name], capture_output=True, text=True,
                                 check=True).stdout.splitlines()
            print("\n".join(out[1:] if n else out), flush=True)
        return 0

    began = time.perf_counter()
    record = build_meeting(args.scale, args.days, args.rooms, args.hours, args.seed)
    n_segments = sum(len(t.segments) for t in record.sessions)
    caption_hours = sum(t.end_ms - t.reference_ms for t in record.sessions) / 3_600_000
    print(f"meeting: {len(record.sessions)} sessions, {caption_hours:.0f} caption-hours, {n_segments:,} segments, "
          f"{sum(len(s.text.split()) for t in record.sessions for s in t.segments):,} words; generated and "
          f"validated in {time.perf_counter() - began:.1f} s, {peak_rss_mb():.0f} MB peak RSS so far")
    for name, work in jobs(record):
        if name not in chosen:
            continue
        gc.collect()
        began, cpu = time.perf_counter(), time.process_time()
        produced = work()
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        print(f"{name:<14}{seconds:>9.1f}{cpu:>8.1f}{produced / 1e6:>11.1f}{peak_rss_mb():>13.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
