"""Every accelerator gives trafilatura's own answers on every AEB and WCXB dev page (974), and changes no output.

`accelerate = "verify"` computes each accelerator's answer and trafilatura's own for every call and page (the
original XPaths, readability's own methods, trafilatura's extract_metadata, bare_extraction's text) and stops the
run with AcceleratorMismatchError on the first difference. Its run must complete, and give the `auto` run's files.
Both runs are the session's (tests/conftest.py), shared with every test that reads these sets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cleaner.config import ExtractConfig
from cleaner.extract.accel import accelerator_status
from tests.conftest import read_jsonl

PAGES = {"aeb": 181, "wcxb": 793}


def test_every_accelerator_is_active_on_the_pinned_trafilatura() -> None:
    """Otherwise verify would check nothing for the inactive ones, and auto would silently be slower."""
    status = accelerator_status(ExtractConfig(accelerate="verify"))
    assert status["in_tested_range"], status
    assert {name: state["active"] for name, state in status["accelerators"].items()} == {
        "pruning": True,
        "readability": True,
        "metadata": True,
        "cascade": True,
    }, status


@pytest.mark.parametrize("name", sorted(PAGES))
def test_verify_finds_no_difference_and_auto_gives_trafilaturas_outputs(
    name: str, request: pytest.FixtureRequest
) -> None:
    runs: Callable[[str], Path] = request.getfixturevalue(f"{name}_run")
    verified = runs("verify")  # an accelerator that differs from trafilatura anywhere raises here
    accelerated = runs("auto")
    documents = read_jsonl(verified / "documents.jsonl")
    assert len(documents) == PAGES[name]
    assert sum(bool(line["text"]) for line in documents) > PAGES[name] * 0.9  # the pages were really extracted
    for output in ("documents.jsonl", "manifest.jsonl", "articles.jsonl"):
        assert (verified / output).read_bytes() == (accelerated / output).read_bytes(), output
