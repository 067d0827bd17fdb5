"""Property: for any mix of good and bad inputs, every input document has exactly one manifest line.

Hypothesis draws a corpus from good pages, the committed hostile files, JSONL files of good and broken lines, and
inputs named twice; the run must finish, account for each document once, give specific reasons, and place every
extracted document in exactly one cluster. Derandomized, so the suite stays deterministic.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner import Config, RunConfig, run
from tests.conftest import load_make_hostile, read_jsonl

mh = load_make_hostile()
KNOWN_REASONS = mh.REASON_CATEGORIES


def _hostile_files() -> list[tuple[str, dict[str, Any]]]:
    """Committed single-document hostile files, with their expectations (documents lost by known bugs left out)."""
    table = json.loads(mh.EXPECTED_FILE.read_text(encoding="utf-8"))
    return sorted((source, expect) for source, expect in table.items() if "#" not in source and "bug" not in expect)


HOSTILE = _hostile_files()

JSONL_LINES = {
    "good": lambda seed: json.dumps({"url": f"https://news.example/{seed}", "html": mh.article_page(f"prop-{seed}")}),
    "broken": lambda seed: json.dumps({"html": mh.article_page(f"prop-{seed}")})[: 40 + seed % 50],
    "missing": lambda seed: json.dumps({"url": f"https://news.example/{seed}"}),
    "not-object": lambda seed: json.dumps([seed, "x"]),
    "blank": lambda seed: "   ",
}

documents = st.one_of(
    st.tuples(st.just("good"), st.integers(0, 10_000)),
    st.tuples(st.just("hostile"), st.sampled_from(range(len(HOSTILE)))),
    st.tuples(
        st.just("jsonl"), st.lists(st.tuples(st.sampled_from(sorted(JSONL_LINES)), st.integers(0, 999)), max_size=5)
    ),
)


def _materialize(folder: Path, index: int, item: tuple[str, Any]) -> tuple[Path, int, dict[str, Any] | None]:
    """Write one drawn input; return its path, how many documents it holds, and its expectation if known."""
    kind, value = item
    if kind == "good":
        path = folder / f"{index:02d}-good.html"
        path.write_text(mh.article_page(f"prop-good-{value}"), encoding="utf-8")
        return path, 1, {"statuses": ["extracted"]}
    if kind == "hostile":
        source, expect = HOSTILE[value]
        path = folder / f"{index:02d}-{Path(source).name}"
        shutil.copyfile(mh.COMMITTED_DIR / source, path)
        return path, 1, expect
    path = folder / f"{index:02d}-records.jsonl"
    lines = [JSONL_LINES[name](seed) for name, seed in value]
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return path, sum(1 for line in lines if line.strip()), None


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=st.lists(documents, min_size=1, max_size=7),
    repeat_first=st.booleans(),
    as_folder=st.booleans(),
    jobs=st.sampled_from([1, 2]),
)
def test_every_input_document_has_exactly_one_manifest_line(
    items: list[tuple[str, Any]], repeat_first: bool, as_folder: bool, jobs: int
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "in"
        folder.mkdir()
        written = [_materialize(folder, index, item) for index, item in enumerate(items)]
        paths = [folder] if as_folder else [path for path, _, _ in written]
        if repeat_first:
            paths.append(written[0][0])  # the same file named twice is two inputs: one is a "duplicate input"
        expected = sum(count for _, count, _ in written) + (written[0][1] if repeat_first else 0)
        out = Path(scratch) / "out"
        report = run(paths, out, Config(run=RunConfig(jobs=jobs, timeout_seconds=30)))

        manifest = read_jsonl(out / "manifest.jsonl")
        assert len(manifest) == expected == report.documents
        assert len({entry["id"] for entry in manifest}) == len(manifest)
        for entry in manifest:
            assert entry["status"] in ("kept", "duplicate", "rejected")
            if entry["status"] == "rejected":
                assert entry["reason"].split(":", 1)[0] in KNOWN_REASONS, entry["reason"]
        by_source = Counter(entry["source"] for entry in manifest)
        for path, count, expect in written:
            if count == 1 and expect is not None and by_source[str(path)] == 1:
                (entry,) = [e for e in manifest if e["source"] == str(path)]
                status = "rejected" if entry["status"] == "rejected" else "extracted"
                assert status in expect["statuses"], (path.name, entry)

        clusters = read_jsonl(out / "clusters.jsonl")
        members = Counter(member["id"] for cluster in clusters for member in cluster["members"])
        extracted = {entry["id"] for entry in manifest if entry["status"] != "rejected"}
        assert set(members) == extracted and all(n == 1 for n in members.values())
        articles = read_jsonl(out / "articles.jsonl")
        assert sorted(article["id"] for article in articles) == sorted(cluster["kept"] for cluster in clusters)
