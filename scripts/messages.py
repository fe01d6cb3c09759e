"""Extract the messages with Babel and bring every catalogue up to date: the interface's (babel.cfg,
server/locales/) and the summary draft's (transcripts/babel.cfg, transcripts/locales/, the transcript library's own).

    .venv/bin/python scripts/messages.py           # update the .po files (new messages arrive untranslated)
    .venv/bin/python scripts/messages.py --check   # exit 1 if a catalogue lacks a message or has a fuzzy/empty one

The server and the transcript library compile their .po files when they load them; no .mo file is kept in the
repository.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import re
import sys
from pathlib import Path
from typing import Any, NamedTuple

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ("en", "ar", "zh", "fr", "ru", "es")


class Domain(NamedTuple):
    """One set of catalogues: where its sources are said to be (a Babel mapping file), where its .po files are,
    and the names its messages are marked with."""

    name: str
    config: Path
    locale_dir: Path
    keywords: dict[str, Any]


#: The interface: gettext's names, the browser's ``t``/``tn``, and the core's refusals, whose messages reach people.
SERVER = Domain("Floorcast", ROOT / "babel.cfg", ROOT / "server" / "locales", {
    **DEFAULT_KEYWORDS,
    "t": None,
    "tn": (1, 2),
    **{name: None for name in ("DomainError", "InvalidInput", "NotFound", "NotAllowed", "InvalidTransition",
                               "NotLive", "RateLimited", "Forbidden")},
})
#: The chair's summary draft of the transcript library: gettext's names and ``Language.phrase`` (plain-text phrases).
TRANSCRIPTS = Domain("Floorcast transcripts", ROOT / "transcripts" / "babel.cfg", ROOT / "transcripts" / "locales",
                     {**DEFAULT_KEYWORDS, "phrase": None})
DOMAINS = (SERVER, TRANSCRIPTS)
LOCALE_DIR = SERVER.locale_dir
KEYWORDS = SERVER.keywords


def extract(quiet: bool = False, domain: Domain = SERVER) -> Catalog:
    """Every message of the sources, with where it is used (``quiet``: without Babel's notes on f-strings, which
    it cannot extract and which stay in English)."""
    with contextlib.redirect_stderr(io.StringIO()) if quiet else contextlib.nullcontext():
        return _extract(domain)


def _extract(domain: Domain) -> Catalog:
    with domain.config.open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, str(domain.config))
    template = Catalog(project=domain.name, msgid_bugs_address="", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=domain.keywords, strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def read(locale: str, domain: Domain = SERVER) -> Catalog:
    """The catalogue of a locale as stored (an empty one if there is none yet)."""
    path = domain.locale_dir / f"{locale}.po"
    if not path.exists():
        return Catalog(locale=locale, project=domain.name, charset="utf-8")
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def problems(template: Catalog, catalog: Catalog) -> list[str]:
    """What a catalogue lacks: messages not in it, fuzzy ones, empty translations (plural forms included)."""
    out = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, message.context)
        key = message.id[0] if isinstance(message.id, tuple | list) else message.id
        if found is None:
            out.append(f"{catalog.locale}: missing {key!r}")
        elif found.fuzzy:
            out.append(f"{catalog.locale}: fuzzy {key!r}")
        elif not found.string or (isinstance(found.string, tuple | list) and not all(found.string)):
            out.append(f"{catalog.locale}: untranslated {key!r}")
    return out


def update(domain: Domain = SERVER) -> None:
    """Merge the extracted messages into every catalogue of a domain (obsolete ones are dropped)."""
    template = extract(domain=domain)
    domain.locale_dir.mkdir(parents=True, exist_ok=True)
    for locale in LOCALES:
        catalog = read(locale, domain)
        # update() may adopt the template's own Message objects: each catalogue gets its own copy.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        if locale == "en":  # the source language: each message is its own translation
            for message in catalog:
                if message.id and not (message.string and all(message.string)):
                    message.string = message.id if not isinstance(message.id, tuple | list) else tuple(
                        message.id[0] if i == 0 else message.id[1] for i in range(catalog.num_plurals))
        out = io.BytesIO()
        # No line numbers: a catalogue changes when a message does, not when code moves around it.
        write_po(out, catalog, width=120, ignore_obsolete=True, include_previous=False, include_lineno=False)
        path = domain.locale_dir / f"{locale}.po"
        if not path.exists() or _undated(path.read_bytes()) != _undated(out.getvalue()):
            path.write_bytes(out.getvalue())


def _undated(po: bytes) -> bytes:
    """A catalogue without its creation date, which changes at every extraction."""
    return re.sub(rb'"POT-Creation-Date: [^"]*"', b"", po)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report what the catalogues lack")
    if parser.parse_args().check:
        found = []
        for domain in DOMAINS:
            template = extract(domain=domain)
            found += [f"{domain.locale_dir.relative_to(ROOT)}: {p}" for locale in LOCALES
                      for p in problems(template, read(locale, domain))]
        print("\n".join(found) or "every catalogue is complete")
        return 1 if found else 0
    for domain in DOMAINS:
        update(domain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
