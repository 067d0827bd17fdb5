"""`cleaner check`: every rule code, the output formats, exit codes, --fix, the baseline and the config."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from cleaner.check import RULES, main, register
from cleaner.check.encoding import find_mojibake

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "check"
CLEAN = [json.loads(line) for line in (FIXTURES / "clean.jsonl").read_text(encoding="utf-8").splitlines()]
INCOMING = [json.loads(line) for line in (FIXTURES / "incoming.jsonl").read_text(encoding="utf-8").splitlines()]
LATER = [json.loads(line) for line in (FIXTURES / "later.jsonl").read_text(encoding="utf-8").splitlines()]
BODY = CLEAN[2]["text"]  # a clean article used as filler where a rule needs long, ordinary text


@pytest.fixture()
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the working directory (pre-commit runs hooks at the repository root)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    """main(args) -> (exit code, stdout lines with similarities masked, stderr)."""
    code = main(["-q", *args]) if "--format" not in args else main(args)
    out, err = capsys.readouterr()
    return code, masked(out.splitlines()), err


SIMILARITY = re.compile(r"similarity (\d\.\d\d) \(containment\)")


def masked(lines: list[str]) -> list[str]:
    """Lines with each verified similarity replaced by S, after checking it marks a clear copy (0.85-1.00).

    The value itself belongs to cleaner.dedup's shingling; what the check promises is the finding and its place.
    """
    for line in lines:
        for value in SIMILARITY.findall(line):
            assert 0.85 <= float(value) <= 1.0, line
    return [SIMILARITY.sub("similarity S (containment)", line) for line in lines]


def codes_at(lines: list[str]) -> list[tuple[str, str]]:
    """("path:line", CODE) of `path:line: CODE message` lines."""
    out = []
    for line in lines:
        where, rest = line.split(": ", 1)
        out.append((where, rest.split(" ", 1)[0]))
    return out


# --- every code, on a minimal input, and nothing on clean data --------------------------------------------------


def test_clean_dataset_passes(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(work / "data" / "clean.jsonl", CLEAN)
    code, lines, _ = run(["data/clean.jsonl"], capsys)
    assert (code, lines) == (0, [])


RECORD_CASES = [
    ("CLN101", {"id": "x", "text": BODY + "\nREAD MORE: Council approves new bus lanes"}),
    ("CLN201", {"id": "x", "text": "  \n "}),
    ("CLN202", {"id": "x", "text": "Bus services cut."}),
    ("CLN301", {"id": "x", "text": BODY + " The operatorâ€™s chief executive apologised."}),
    ("CLN301", {"id": "x", "text": BODY + " Les usagers de la rÃ©gion sont mÃ©contents."}),
    ("CLN302", {"id": "x", "text": BODY + " The caf\ufffd was closed."}),
    ("CLN303", {"id": "x", "text": BODY + " A stray\x85control and a\x07bell."}),
    ("CLN402", {"id": "x", "body": BODY}),
    ("CLN402", {"id": "x", "text": ["not", "a", "string"]}),
]


@pytest.mark.parametrize(("code", "record"), RECORD_CASES)
def test_single_record_rules(work: Path, capsys: pytest.CaptureFixture[str], code: str, record: dict[str, Any]) -> None:
    write_jsonl(work / "d.jsonl", [CLEAN[0], record])
    exit_code, lines, _ = run(["d.jsonl"], capsys)
    assert exit_code == 1
    assert codes_at(lines) == [("d.jsonl:2", code)]


def test_clutter_line_names_rule_paragraph_and_text(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(work / "d.jsonl", [INCOMING[1]])
    _, lines, _ = run(["d.jsonl"], capsys)
    assert lines == [
        "d.jsonl:1: CLN101 paragraph 2: clutter line (text.read_also): 'Also Read: Ten libraries that changed the way "
        "we read'",
        "d.jsonl:1: CLN101 paragraph 5: clutter line (text.newsletter): 'Sign up for our weekly newsletter to get the "
        "best local stories in your inbox'",
    ]


def test_file_level_rules(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "bad.jsonl").write_bytes(
        json.dumps(CLEAN[0]).encode() + b"\n{not json\n[1, 2]\n" + b'{"id": "z", "text": "caf\xe9"}\n'
    )
    (work / "latin1.txt").write_bytes(BODY.encode() + b"\nCaf\xe9 society\n")
    (work / "broken.jsonl.gz").write_bytes(gzip.compress(b"{}\n")[:-6])
    code, lines, _ = run(["bad.jsonl", "latin1.txt", "broken.jsonl.gz"], capsys)
    assert code == 1
    assert codes_at(lines) == [
        ("bad.jsonl:2", "CLN401"),
        ("bad.jsonl:3", "CLN401"),
        ("bad.jsonl:4", "CLN304"),
        ("broken.jsonl.gz:1", "CLN404"),
        ("latin1.txt:5", "CLN304"),
    ]


def test_text_file_findings_point_at_their_own_line(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "story.txt").write_text(
        "Headline\n" + BODY + "\nFollow us on Twitter for more updates\nIt costs Â£5 a ticket.\n", encoding="utf-8"
    )
    _, lines, _ = run(["story.txt"], capsys)
    assert codes_at(lines) == [("story.txt:6", "CLN101"), ("story.txt:7", "CLN301")]


def test_gzip_jsonl_is_read(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = "".join(json.dumps(r) + "\n" for r in [CLEAN[0], {"id": "e", "text": ""}]).encode()
    (work / "d.jsonl.gz").write_bytes(gzip.compress(data))
    _, lines, _ = run(["d.jsonl.gz"], capsys)
    assert codes_at(lines) == [("d.jsonl.gz:2", "CLN201")]


def test_folders_are_searched_for_dataset_files(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(work / "data" / "a" / "one.jsonl", [{"id": "e", "text": ""}])
    (work / "data" / "notes.md").write_text("not a dataset file", encoding="utf-8")
    _, lines, _ = run(["data"], capsys)
    assert codes_at(lines) == [("data/a/one.jsonl:1", "CLN201")]


@pytest.mark.parametrize(
    "text",
    [
        "naïve façade déjà vu, crème brûlée",
        "São Paulo, Málaga, Zürich, Kraków, İstanbul, Ærøskøbing",
        "„Die Straße“ – sagte er. PERÚ” y ESPAÑA”",  # accented capitals before curly quotes are real text
        "Привет, мир. مرحبا بالعالم. नमस्ते दुनिया. 你好，世界。",
        "Temperatures reached 40°C; the price was £5 or €6 ± 10%.",
        "Größe°C and Þór°",
    ],
)
def test_mojibake_detector_leaves_real_text_alone(text: str) -> None:
    assert find_mojibake(text) is None


@pytest.mark.parametrize(
    ("broken", "meant"),
    [
        ("CafÃ©", "é"),
        ("itâ€™s", "’"),
        ("ÐŸÑ€Ð¸Ð²ÐµÑ‚", "и"),  # Cyrillic read as cp1252: Ð¸ is и
        ("Ù…Ø±Ø­Ø¨Ø§", "ر"),
        ("ä¸\xadæ–‡", "中"),
        ("emoji ðŸ˜€", "😀"),
        ("Ã¢â‚¬â„¢", "â"),  # double-encoded: the first layer shows
    ],
)
def test_mojibake_detector_finds_utf8_read_as_cp1252(broken: str, meant: str) -> None:
    found = find_mojibake(broken)
    assert found is not None and found.repaired == meant


def _read_as_cp1252(data: bytes) -> str:
    """What a browser-style windows-1252 decode makes of bytes (undefined bytes become C1 controls)."""
    out = []
    for byte in data:
        try:
            out.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(byte))
    return "".join(out)


@given(
    st.text(alphabet=st.characters(codec="utf-8", max_codepoint=0x2FFF), max_size=40),
    st.characters(min_codepoint=0xA0, max_codepoint=0xFF) | st.characters(min_codepoint=0x2000, max_codepoint=0x2BFF),
)
def test_any_text_with_latin1_or_punctuation_read_as_cp1252_is_found(text: str, marker: str) -> None:
    broken = _read_as_cp1252((text + marker).encode("utf-8"))
    assert find_mojibake(broken) is not None


# --- duplicates ---------------------------------------------------------------------------------------------------


def test_exact_and_near_duplicates_and_repeated_ids(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rewrapped = {"id": "c", "text": "  " + CLEAN[1]["text"].upper().replace("\n", "\n\n") + " "}
    write_jsonl(work / "d.jsonl", [*CLEAN, rewrapped, {"id": "a1", "text": INCOMING[0]["text"]}, INCOMING[2]])
    _, lines, _ = run(["d.jsonl"], capsys)
    assert lines == [
        "d.jsonl:5: CLN501 exact duplicate of d.jsonl:2 (id 'a2')",
        "d.jsonl:6: CLN403 id 'a1' is also used by the record at d.jsonl:1",
        "d.jsonl:7: CLN502 near-duplicate of d.jsonl:2 (id 'a2'), similarity S (containment)",
    ]


def test_unrelated_articles_on_one_template_are_not_duplicates(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # same wording, different values: the pipeline's templated-story guard keeps them apart, and so does the check
    template = (
        "Weekly grain report: wheat deliveries at the port of Kellby reached {0} tonnes in the week to Friday, "
        "against {1} tonnes a week earlier, the harbour board said. Barley deliveries were {2} tonnes and maize "
        "{3} tonnes. Storage at the terminal stood at {4} per cent of capacity."
    )
    records = [
        {"id": "w1", "text": template.format(41200, 38950, 12800, 6100, 71)},
        {"id": "w2", "text": template.format(43650, 41200, 11950, 7420, 76)},
    ]
    write_jsonl(work / "d.jsonl", records)
    code, lines, _ = run(["d.jsonl"], capsys)
    assert (code, lines) == (0, [])


def test_near_duplicate_across_files(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(work / "data" / "clean.jsonl", CLEAN)
    write_jsonl(work / "data" / "later.jsonl", LATER)
    _, lines, _ = run(["data"], capsys)
    assert lines == [
        "data/later.jsonl:1: CLN502 near-duplicate of data/clean.jsonl:1 (id 'a1'), similarity S (containment)"
    ]


def test_html_pages_are_checked_as_extracted_text(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo = ROOT / "fixtures" / "demo"
    shutil.copy(demo / "gulf-ledger" / "iran-missile-programme-red-line.html", work / "one.html")
    shutil.copy(demo / "northern-sentinel" / "iran-missile-program-red-line-adviser.html", work / "two.html")
    shutil.copy(demo / "broken" / "image-saved-as-page.html", work / "three.html")
    _, lines, _ = run(["one.html", "two.html", "three.html"], capsys)
    assert [where for where, _ in codes_at(lines)] == ["three.html:1", "two.html:1"]
    assert lines[0].startswith("three.html:1: CLN404 not html: binary file signature")
    # the same wire story on two sites: exact or near, depending on what extraction keeps of each page
    assert re.fullmatch(r"two\.html:1: CLN50(1 exact duplicate|2 near-duplicate) of one\.html:1.*", lines[1])


# --- formats and exit codes ---------------------------------------------------------------------------------------


def test_json_format(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(work / "d.jsonl", [*CLEAN, INCOMING[2]])
    code, lines, _ = run(["--format", "json", "d.jsonl"], capsys)
    document = json.loads("\n".join(lines))
    assert code == 1 == document["summary"]["exit_code"]
    (finding,) = document["findings"]
    assert finding["code"] == "CLN502" and finding["name"] == "near-duplicate"
    assert (finding["path"], finding["line"], finding["record_id"]) == ("d.jsonl", 5, "n3")
    assert finding["other"] == {"path": "d.jsonl", "line": 2, "id": "a2"}
    assert 0.9 < finding["similarity"] <= 1.0


def test_github_format_escapes_annotations(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(work / "a,b.jsonl", [{"id": "x", "text": BODY + "\nRelated: 50% off, today only"}])
    code, lines, _ = run(["--format", "github", "a,b.jsonl"], capsys)
    assert code == 1
    assert lines == [
        "::error file=a%2Cb.jsonl,line=1,title=CLN101 clutter-line::paragraph 5: clutter line (text.read_also): "
        "'Related: 50%25 off, today only'"
    ]


def test_usage_errors_exit_2(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(work / "d.jsonl", CLEAN)
    assert main(["missing.jsonl"]) == 2
    assert main(["--format", "xml", "d.jsonl"]) == 2
    assert main(["--select", "CLN999", "d.jsonl"]) == 2
    assert main([]) == 2
    assert main(["--fix", "--update-baseline", "d.jsonl"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_select_ignore_and_names(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(work / "d.jsonl", [{"id": "s", "text": "Short."}, {"id": "e", "text": ""}])
    assert codes_at(run(["--select", "CLN2", "--ignore", "empty-text", "d.jsonl"], capsys)[1]) == [
        ("d.jsonl:1", "CLN202")
    ]
    assert run(["--min-chars", "3", "--ignore", "CLN201", "d.jsonl"], capsys)[:2] == (0, [])


def test_inline_allow_field(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    allowed = {**INCOMING[2], "cleaner_allow": ["near-duplicate"]}
    short = {"id": "s", "text": "Short note.", "cleaner_allow": "CLN202, CLN999"}  # a typo allows nothing more
    write_jsonl(work / "d.jsonl", [*CLEAN, allowed, short])
    code, (out, err) = main(["d.jsonl"]), capsys.readouterr()
    assert (code, out) == (0, "")
    assert "2 allowed inline" in err


# --- --fix --------------------------------------------------------------------------------------------------------


def test_fix_removes_clutter_and_empty_records_only(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = [*CLEAN, {"id": "e", "text": ""}, INCOMING[1], INCOMING[2]]
    path = write_jsonl(work / "d.jsonl", original)
    untouched = path.read_bytes().split(b"\n")[:4]
    code, lines, _ = run(["--fix", "d.jsonl"], capsys)
    assert code == 1
    assert lines == [
        "d.jsonl:5: CLN201 fixed: removed the record: its text is empty",
        "d.jsonl:6: CLN101 fixed: removed 2 clutter lines",
        # what is left is reported at its new line; the near-duplicate is never deleted by the fixer
        "d.jsonl:6: CLN502 near-duplicate of d.jsonl:2 (id 'a2'), similarity S (containment)",
    ]
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["a1", "a2", "a3", "a4", "n2", "n3"]
    assert "Also Read" not in records[4]["text"] and "newsletter" not in records[4]["text"]
    assert records[4]["text"].splitlines() == [
        line for i, line in enumerate(INCOMING[1]["text"].splitlines()) if i not in (1, 4)
    ]
    assert records[4]["title"] == INCOMING[1]["title"]
    assert path.read_bytes().split(b"\n")[:4] == untouched  # lines without findings: byte for byte
    assert run(["--fix", "--ignore", "CLN502", "d.jsonl"], capsys)[:2] == (0, [])  # nothing left to fix


def test_fix_keeps_the_line_style_of_the_file(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = {"id": "é", "text": BODY + "\nSee also: more bus news"}
    path = work / "d.jsonl.gz"
    path.write_bytes(gzip.compress((json.dumps(record, separators=(",", ":")) + "\n").encode()))
    assert run(["--fix", "d.jsonl.gz"], capsys)[0] == 1
    assert gzip.decompress(path.read_bytes()) == (
        json.dumps({"id": "é", "text": BODY}, separators=(",", ":")).encode() + b"\n"
    )


def test_fix_text_file(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = work / "story.txt"
    path.write_bytes(
        b"\xef\xbb\xbfHeadline\r\n" + BODY.replace("\n", "\r\n").encode() + b"\r\nAdvertisement\r\nEnd.\r\n"
    )
    assert run(["--fix", "story.txt"], capsys)[1] == ["story.txt:6: CLN101 fixed: removed clutter line"]
    assert path.read_bytes() == b"\xef\xbb\xbfHeadline\r\n" + BODY.replace("\n", "\r\n").encode() + b"\r\nEnd.\r\n"


# --- the baseline -------------------------------------------------------------------------------------------------


def test_baseline_accepts_known_duplicates_and_catches_new_ones(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(work / "data" / "clean.jsonl", CLEAN)
    write_jsonl(work / "data" / "incoming.jsonl", [INCOMING[0], INCOMING[2]])
    assert run(["data/incoming.jsonl"], capsys)[0] == 0  # no baseline yet: other files are unknown
    assert run(["--update-baseline", "data"], capsys)[:2] == (0, [])
    baseline = json.loads((work / ".cleaner-baseline.json").read_text(encoding="utf-8"))
    assert baseline["accepted"] == [{"code": "CLN502", "other": "a2", "path": "data/incoming.jsonl", "record": "n3"}]
    assert sorted(baseline["records"]) == ["data/clean.jsonl", "data/incoming.jsonl"]

    # pre-commit passes only the changed file: the accepted duplicate stays quiet...
    code, (out, err) = main(["data/incoming.jsonl"]), capsys.readouterr()
    assert (code, out) == (0, "") and "1 accepted in the baseline" in err
    # ...and a new copy of a record in a file that is not passed is found through the stored signatures
    write_jsonl(work / "data" / "incoming.jsonl", [INCOMING[0], INCOMING[2], *LATER])
    code, lines, _ = run(["data/incoming.jsonl"], capsys)
    assert code == 1
    assert lines == [
        "data/incoming.jsonl:3: CLN502 near-duplicate of data/clean.jsonl:1 (id 'a1'), similarity S (containment)"
    ]
    # --no-baseline reports everything the passed file holds, without the other files
    assert codes_at(run(["--no-baseline", "data/incoming.jsonl"], capsys)[1]) == []


def test_baseline_names_the_current_line_of_a_moved_record(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(work / "clean.jsonl", CLEAN)
    assert main(["-q", "--update-baseline", "clean.jsonl"]) == 0
    write_jsonl(work / "clean.jsonl", [CLEAN[3], CLEAN[2], CLEAN[1], CLEAN[0]])  # reordered, not re-baselined
    write_jsonl(work / "new.jsonl", LATER)
    _, lines, _ = run(["new.jsonl"], capsys)
    assert lines == ["new.jsonl:1: CLN502 near-duplicate of clean.jsonl:4 (id 'a1'), similarity S (containment)"]


def test_baseline_falls_back_to_stored_signatures(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(work / "clean.jsonl", CLEAN)
    assert main(["-q", "--update-baseline", "clean.jsonl"]) == 0
    write_jsonl(work / "clean.jsonl", [CLEAN[1]])  # a1 is gone from the file, but the file is still there
    write_jsonl(work / "new.jsonl", LATER)
    code, lines, _ = run(["--threshold", "0.5", "new.jsonl"], capsys)
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("new.jsonl:1: CLN502 near-duplicate of clean.jsonl:1 (id 'a1'), similarity 0.")
    assert lines[0].endswith("(estimated from stored signatures: its text is no longer readable)")


def test_baseline_exact_duplicate_and_repeated_id_across_files(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(work / "clean.jsonl", CLEAN)
    assert main(["-q", "--update-baseline", "clean.jsonl"]) == 0
    write_jsonl(work / "new.jsonl", [{**CLEAN[3], "id": "n9"}, {**INCOMING[0], "id": "a3"}])
    _, lines, _ = run(["new.jsonl"], capsys)
    assert lines == [
        "new.jsonl:1: CLN501 exact duplicate of clean.jsonl:4 (id 'a4')",
        "new.jsonl:2: CLN403 id 'a3' is also used by the record at clean.jsonl:3",
    ]


def test_baseline_update_is_deterministic_and_merges(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(work / "a.jsonl", CLEAN)
    write_jsonl(work / "b.jsonl", [INCOMING[2]])
    assert main(["-q", "--update-baseline", "b.jsonl", "a.jsonl"]) == 0
    first = (work / ".cleaner-baseline.json").read_bytes()
    assert main(["-q", "--update-baseline", "a.jsonl", "b.jsonl"]) == 0
    assert (work / ".cleaner-baseline.json").read_bytes() == first
    assert main(["-q", "--update-baseline", "b.jsonl"]) == 0  # a subset: a.jsonl's records are kept
    assert (work / ".cleaner-baseline.json").read_bytes() == first
    (work / "b.jsonl").unlink()
    assert main(["-q", "--update-baseline", "a.jsonl"]) == 0  # a deleted file leaves the baseline
    data = json.loads((work / ".cleaner-baseline.json").read_text(encoding="utf-8"))
    assert list(data["records"]) == ["a.jsonl"] and data["accepted"] == []


def test_baseline_built_with_other_settings_is_an_error(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(work / "a.jsonl", CLEAN)
    assert main(["-q", "--update-baseline", "a.jsonl"]) == 0
    (work / "pyproject.toml").write_text("[tool.cleaner.check]\nnum_perm = 32\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["a.jsonl"]) == 2
    assert "built with other settings (num_perm 64 -> 32)" in capsys.readouterr().err
    assert main(["-q", "--update-baseline", "a.jsonl"]) == 0  # rebuilt, with a warning
    assert "rebuilding it from the given files only" in capsys.readouterr().err
    assert json.loads((work / ".cleaner-baseline.json").read_text(encoding="utf-8"))["signature"]["num_perm"] == 32
    assert main(["a.jsonl"]) == 0


# --- config and CLI wiring ----------------------------------------------------------------------------------------


def test_pyproject_check_table(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "pyproject.toml").write_text(
        "[tool.cleaner.check]\nmin_chars = 20\ntext_key = 'body'\nignore = 'CLN5'\nbaseline = 'ci/baseline.json'\n"
        "[tool.cleaner.clutter]\ndisabled_rules = ['text.newsletter']\n",
        encoding="utf-8",
    )
    records = [{"id": r["id"], "body": r["text"]} for r in [*CLEAN, *INCOMING]] + [{"id": "s", "body": "Tiny text."}]
    write_jsonl(work / "d.jsonl", records)
    _, lines, _ = run(["d.jsonl"], capsys)
    assert codes_at(lines) == [("d.jsonl:6", "CLN101"), ("d.jsonl:8", "CLN202")]  # no newsletter rule, no CLN502
    assert main(["-q", "--update-baseline", "d.jsonl"]) == 0
    assert (work / "ci" / "baseline.json").is_file()
    (work / "pyproject.toml").write_text("[tool.cleaner.check]\nmin_chars = 'ten'\n", encoding="utf-8")
    assert main(["d.jsonl"]) == 2


def test_register_adds_a_documented_check_command() -> None:
    app = typer.Typer()

    @app.command()
    def other() -> None:
        """Another command, so that `check` is a subcommand as in the cleaner app."""

    register(app)
    group = typer.main.get_command(app)
    command = group.commands["check"]  # type: ignore[attr-defined]
    assert command.help and all(getattr(p, "help", None) for p in command.params)
    result = CliRunner().invoke(app, ["check", "--help"])
    assert result.exit_code == 0 and "--update-baseline" in result.output


def test_rule_codes_are_unique_and_stable() -> None:
    assert [rule.code for rule in RULES] == [
        "CLN101", "CLN201", "CLN202", "CLN301", "CLN302", "CLN303", "CLN304",
        "CLN401", "CLN402", "CLN403", "CLN404", "CLN501", "CLN502",
    ]  # fmt: skip
    assert len({rule.name for rule in RULES}) == len(RULES)
