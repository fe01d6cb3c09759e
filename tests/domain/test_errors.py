"""Refusals that name values: the core keeps the English template and its values apart, so the edge can say them in
any language; the English message is the template filled."""

from __future__ import annotations

import pytest

from server.domain.errors import Country, InvalidInput, NotFound, RateLimited, Term


def test_a_refusal_keeps_its_template_and_values_and_fills_the_english() -> None:
    exc = InvalidInput("Unknown part \"{part}\": one of {parts}.", field="part",
                       params={"part": "{interval}", "parts": ["panel", "debate"]})
    assert exc.template == "Unknown part \"{part}\": one of {parts}."
    assert exc.params == {"part": "{interval}", "parts": ["panel", "debate"]}
    # A value is never read as a placeholder; a list is joined.
    assert exc.message == str(exc) == "Unknown part \"{interval}\": one of panel, debate."
    assert exc.as_dict() == {"code": "invalid_format", "field": "part", "message": exc.message}


@pytest.mark.parametrize("exc, message", [
    (NotFound(), "No such object."),                                        # the class's own sentence
    (InvalidInput("payload must be an object {…}"), "payload must be an object {…}"),  # braces without values
    (RateLimited("wait {seconds} s", retry_after=3, params={"seconds": 3}), "wait 3 s"),
    (InvalidInput("{name} in {country}", params={"name": "Hub", "country": Country("KE")}), "Hub in KE"),
    (InvalidInput("its status is {status}", params={"status": Term("on screen")}), "its status is on screen"),
])  # fmt: skip
def test_the_english_message_of_each_kind_of_refusal(exc: InvalidInput, message: str) -> None:
    assert exc.message == message
