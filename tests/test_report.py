"""report.html: counts, the largest events with their sources, a diff, clutter by rule and site; static and XSS-safe."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from pathlib import Path

import lxml.html
import pytest

from cleaner import stages
from cleaner.config import Config
from cleaner.index import write_run_with_index
from cleaner.models import Article, Outcome, Removal, RunReport
from cleaner.outputs import files
from cleaner.outputs.files import RunOutputs, load_outputs
from cleaner.report import link, render_report, side_by_side, write_report
from tests.conftest import read_jsonl
from tests.test_index import CUT, _story, _words

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'


@pytest.fixture()
def demo_report(tmp_path: Path, demo_run: Path) -> tuple[Path, lxml.html.HtmlElement]:
    out = tmp_path / "out"
    shutil.copytree(demo_run, out)  # the session's run folder stays as other tests expect it
    page = write_report(out)
    return out, lxml.html.fromstring(page.read_text(encoding="utf-8"))


def text_of(node: lxml.html.HtmlElement) -> str:
    return " ".join(node.text_content().split())


def test_summary_counts_match_the_manifest(demo_report: tuple[Path, lxml.html.HtmlElement]) -> None:
    out, page = demo_report
    statuses = Counter(e["status"] for e in read_jsonl(out / "manifest.jsonl"))
    cards = {
        text_of(c.find("span")): int(c.find("b").text) for c in page.xpath('//*[@id="summary"]//div[@class="card"]')
    }
    assert cards["documents"] == sum(statuses.values())
    assert (cards["kept"], cards["duplicates"], cards["rejected"]) == (
        statuses["kept"],
        statuses["duplicate"],
        statuses["rejected"],
    )
    assert cards["events"] == len(read_jsonl(out / "clusters.jsonl"))
    assert cards["clutter spans removed"] == sum(len(d["removed"]) for d in read_jsonl(out / "documents.jsonl"))


def test_the_seed_event_is_shown_with_every_source(demo_report: tuple[Path, lxml.html.HtmlElement]) -> None:
    out, page = demo_report
    seed = max(read_jsonl(out / "clusters.jsonl"), key=lambda c: c["size"])
    docs = {d["id"]: d for d in read_jsonl(out / "documents.jsonl")}
    first = page.xpath('//*[@id="events"]//article[@class="event"]')[0]  # largest first
    assert first.get("data-event") == seed["cluster"] and first.get("data-size") == str(seed["size"]) == "7"
    rows = first.xpath(".//tr")[1:]
    assert len(rows) == 7
    shown = text_of(first)
    for member in seed["members"]:
        assert member["id"] in shown and docs[member["id"]]["site"] in shown and docs[member["id"]]["title"] in shown
    assert [text_of(r.xpath('.//span[contains(@class, "tag")]')[0]) for r in rows].count("kept") == 1


def test_a_duplicate_is_diffed_against_its_kept_copy(demo_report: tuple[Path, lxml.html.HtmlElement]) -> None:
    out, page = demo_report
    seed = max(read_jsonl(out / "clusters.jsonl"), key=lambda c: c["size"])
    diff = page.xpath('//*[@id="diff"]//div[@class="sbs"]')[0]
    least = min((m for m in seed["members"] if m["id"] != seed["kept"]), key=lambda m: m["similarity"])
    assert (diff.get("data-kept"), diff.get("data-duplicate")) == (seed["kept"], least["id"])
    left, right = diff.xpath('.//div[@class="text"]')
    docs = {d["id"]: d for d in read_jsonl(out / "documents.jsonl")}
    assert left.text_content() == docs[seed["kept"]]["text"] and right.text_content() == docs[least["id"]]["text"]
    assert left.xpath(".//del") and right.xpath(".//ins")  # a trimmed, edited copy differs somewhere


def test_clutter_is_grouped_by_rule_and_by_site(demo_report: tuple[Path, lxml.html.HtmlElement]) -> None:
    out, page = demo_report
    removals = [(d["site"], r["rule"]) for d in read_jsonl(out / "documents.jsonl") for r in d["removed"]]
    by_rule = {
        text_of(r.xpath(".//code")[0]): int(r.xpath('./td[@class="num"]')[0].text)
        for r in page.xpath('//*[@id="clutter-by-rule"]//tr')[1:]
    }
    assert by_rule == dict(Counter(rule for _, rule in removals))
    by_site = {
        text_of(r.xpath("./td")[0]): int(r.xpath('./td[@class="num"]')[0].text)
        for r in page.xpath('//*[@id="clutter-by-site"]//tr')[1:]
    }
    assert by_site == dict(Counter(site for site, _ in removals))


def test_rejected_inputs_are_listed_with_reasons(demo_report: tuple[Path, lxml.html.HtmlElement]) -> None:
    out, page = demo_report
    rejected = [e for e in read_jsonl(out / "manifest.jsonl") if e["status"] == "rejected"]
    rows = [[text_of(td) for td in r.xpath("./td")] for r in page.xpath('//*[@id="rejected"]//tr')[1:]]
    assert sorted(rows) == sorted([e["source"], e["reason"]] for e in rejected)


def test_the_page_is_self_contained(demo_report: tuple[Path, lxml.html.HtmlElement]) -> None:
    out, page = demo_report
    raw = (out / "report.html").read_text(encoding="utf-8")
    assert not page.xpath("//script | //link | //img | //iframe | //object | //embed | //base | //form")
    assert "@import" not in raw and "url(" not in raw
    csp = page.xpath('//meta[@http-equiv="Content-Security-Policy"]')[0].get("content")
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert render_report(load_outputs(out)) == raw  # deterministic: no clock, no randomness


def _hostile_run(out: Path, fmt: str = "jsonl") -> tuple[RunReport, RunOutputs]:
    article = Article(
        id="evil",
        source=f"feed/{HOSTILE}.html",
        url="javascript:alert(1)",
        text=f"Paragraph one {HOSTILE} with enough words to be an article.\n</div></main><script>alert(2)</script>",
        title=HOSTILE,
        site=HOSTILE,
        removed=[Removal(f"Also Read: {HOSTILE}", "text.read_also", HOSTILE)],
    )
    twin = Article(
        id="evil-twin",
        source="feed/twin.html",
        url="https://ok.example/<b>",
        text=article.text + "\nOne more line of text.",
        title="twin",
        site="ok",
    )
    outcomes = [Outcome(a.id, a.source, article=a) for a in (article, twin)]
    outcomes.append(Outcome("bad", f"feed/{HOSTILE}", reason=f"not html: {HOSTILE}"))
    clusters = stages.cluster_articles([article, twin], Config())
    return files.write_run_records(out, outcomes, clusters, fmt)


def test_text_from_documents_cannot_inject_markup(tmp_path: Path) -> None:
    _hostile_run(tmp_path)
    raw = write_report(tmp_path).read_text(encoding="utf-8")
    page = lxml.html.fromstring(raw)
    assert not page.xpath("//script | //img | //iframe")
    assert not [a for el in page.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")]
    assert all(a.get("href", "").startswith(("http://", "https://")) for a in page.xpath("//a"))
    assert HOSTILE in page.text_content()  # shown as text, not dropped
    assert raw.count("<script") == 0 and "javascript:" not in [a.get("href") for a in page.xpath("//a")]


def test_links_only_for_web_urls() -> None:
    assert link("javascript:alert(1)", "x") == "x"
    assert (
        link("https://a.example/?q=<x>", "t")
        == '<a href="https://a.example/?q=&lt;x&gt;" rel="noreferrer noopener">t</a>'
    )


def test_side_by_side_marks_only_the_differing_words() -> None:
    left, right = side_by_side("The cat sat <here>.\nEnd", "The dog sat <here>.\nEnd")
    assert left == "The <del>cat </del>sat &lt;here&gt;.\nEnd" and right == "The <ins>dog </ins>sat &lt;here&gt;.\nEnd"


def test_an_indexed_run_shows_earlier_events_with_all_sources(tmp_path: Path) -> None:
    rng = random.Random(4)
    story = _story(rng, _words(rng, 500), 8)
    config = Config(dedup=CUT)
    days = {
        "day1": [Article("d1-a", "d1/a", None, "\n".join(story[:6]), site="Alpha", title="first")],
        "day2": [Article("d2-b", "d2/b", None, "\n".join(story[:5]), site="Beta", title="second")],
    }
    for day, articles in days.items():
        outcomes = [Outcome(a.id, a.source, article=a) for a in articles]
        write_run_with_index(tmp_path / day, outcomes, tmp_path / "index", config)
    page = lxml.html.fromstring(write_report(tmp_path / "day2").read_text(encoding="utf-8"))
    (event,) = page.xpath('//*[@id="events"]//article[@class="event"]')
    assert event.get("data-event") == "d1-a" and event.get("data-size") == "2"
    shown = text_of(event)
    assert "Alpha" in shown and "Beta" in shown and "earlier run" in shown
    assert (
        page.xpath('//*[@id="diff"]//div[@class="sbs"]')[0].get("data-duplicate") == "d2-b"
    )  # kept copy's text came with the update
    assert "d1-a" in text_of(page.xpath('//*[@id="updates"]')[0])


def test_a_runs_report_is_the_one_its_files_give(tmp_path: Path, demo_run: Path) -> None:
    """`run` makes report.html from the records it has just written; read back from the files, the same page."""
    out = tmp_path / "out"
    shutil.copytree(demo_run, out)
    made_by_run = (out / "report.html").read_bytes()
    assert b"Duplicate vs kept copy" in made_by_run
    assert write_report(out).read_bytes() == made_by_run


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "parquet"])
def test_records_in_memory_give_the_report_their_files_give(tmp_path: Path, fmt: str) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    report, written = _hostile_run(tmp_path, fmt)  # a rejected document, a duplicate, markup in every field
    assert (report.documents, report.rejected, report.duplicates) == (3, 1, 1)
    from_memory = write_report(tmp_path, outputs=written).read_bytes()
    assert write_report(tmp_path).read_bytes() == from_memory


def test_a_run_in_another_format_leaves_no_earlier_outputs(tmp_path: Path) -> None:
    """`explain` and the report read whichever format they find first: an earlier run's files must not stay."""
    pytest.importorskip("pyarrow")
    _hostile_run(tmp_path, "jsonl")
    (tmp_path / "updates.jsonl").write_text("{}\n", encoding="utf-8")  # as an earlier --index run leaves
    _, written = _hostile_run(tmp_path, "parquet")
    assert not list(tmp_path.glob("*.jsonl"))
    assert load_outputs(tmp_path).manifest == written.manifest
    assert write_report(tmp_path).read_bytes() == write_report(tmp_path, outputs=written).read_bytes()
