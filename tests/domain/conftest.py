"""Hypothesis profiles for the domain tests.

``pytest --hypothesis-profile=mutation`` (used by scripts/mutation.sh) keeps every property but runs
few, fixed examples and skips shrinking: a mutant only has to be caught, not explained, and each of
thousands of mutants reruns the tests that reach it. Under that profile the long random sessions run
after the focused tests, so a mutant that a focused test catches stops the run early (mutmut runs
pytest with ``-x``).
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings

MUTATION = "mutation"

settings.register_profile(
    MUTATION,
    max_examples=5,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
)

#: The state-machine tests: the slowest of the domain tests by far.
_SESSIONS = ("test_floor_machine.py::", "::TestBoardMachine::")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under the mutation profile, run the state machines last."""
    if config.getoption("hypothesis_profile", None) == MUTATION:
        items.sort(key=lambda item: any(s in item.nodeid for s in _SESSIONS))
