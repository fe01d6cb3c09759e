"""A small HTML inspector built on the standard library's parser."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """Collects the tags, attributes, ids and text of an HTML document."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.ids: list[str] = []
        self.text_parts: list[str] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            self.attrs.append((tag, name, value))
            if name == "id":
                self.ids.append(value or "")

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        """All text content, whitespace folded."""
        return " ".join(" ".join(self.text_parts).split())

    def assert_inert(self) -> None:
        """No script, no embedded objects, no event handlers, no links leaving the page."""
        assert not {"script", "img", "iframe", "object", "embed", "link", "base", "form"} & set(self.tags)
        assert not [a for a in self.attrs if a[1].startswith("on") or a[1] in ("src", "srcset", "action")]
        assert all((value or "").startswith("#") for tag, name, value in self.attrs if name == "href")
