"""Fuzz the extractor and the dataset checker for a set number of minutes (outside CI).

    python bench/fuzz.py [--minutes 10] [--target extract|check|both] [--seed 0] [--data ../shared/benchdata]
                         [--timeout 20] [--memory-mb 4096] [--out bench/results/fuzz] [--big]

Hypothesis drives the inputs: real pages (the demo corpus, the committed hostile corpus, and the benchmark pages
under --data when present) mutated by truncation, byte flips, splices, hostile snippets (entities, deep nesting,
unclosed comments and scripts, charset declarations, BOMs, NUL runs, huge attributes), re-encoding and gzip; plus
random JSONL/TXT/HTML datasets for the checker.

What counts as a finding, saved with its input under --out/findings/:
- extract: anything but an Article or an ExtractionError; an Article whose record cannot be written as UTF-8 JSON
  or whose text is empty or holds NUL; a call over --timeout seconds; a crash of the process (segfault, OOM kill).
- check: anything but a CheckResult or a CleanerError from `check_paths`; a timeout; a crash.
A supervisor process restarts the fuzzing child after a crash or a hang (a hang inside C code ignores the alarm), so
one bad input never ends the session. --big also runs the hostile corpus's full-size kinds once (50 MB page, 1 GB
gzip bomb, 10^5-deep nesting) through `cleaner run`, outside the test suite's time budget.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import gzip
import hashlib
import importlib.util
import json
import multiprocessing
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cleaner.config import Config  # noqa: E402
from cleaner.errors import CleanerError, ExtractionError  # noqa: E402
from cleaner.models import RawDocument  # noqa: E402

MAX_SEED_BYTES = 400_000  # seeds are cut to this: the fuzzer explores structure, the big kinds are tested apart
ROUND_EXAMPLES = 60  # examples per hypothesis round; the deadline is checked between rounds


def load_make_hostile() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_hostile", ROOT / "fixtures" / "hostile" / "make_hostile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_hostile"] = module
    spec.loader.exec_module(module)
    return module


# --- seeds and mutations ---


def load_seeds(data: Path, limit: int = 300) -> list[bytes]:
    """Seed pages: demo, committed hostile corpus, and up to `limit` benchmark pages when --data exists."""
    files = sorted((ROOT / "fixtures" / "demo").rglob("*.htm*"))
    files += sorted(path for path in (ROOT / "fixtures" / "hostile" / "corpus").rglob("*") if path.is_file())
    files += sorted(data.glob("*/html/*.html.gz"))[:limit] if data.is_dir() else []
    seeds = []
    for path in files:
        raw = path.read_bytes()
        with contextlib.suppress(OSError, EOFError, zlib.error):  # the hostile corpus holds broken gzip on purpose
            raw = gzip.decompress(raw) if path.name.endswith(".gz") else raw
        seeds.append(raw[:MAX_SEED_BYTES])
    return seeds or [b"<html><body><p>seed</p></body></html>"]


SNIPPETS = [
    b"&#0;", b"&#1;", b"&#xD800;", b"&#65535;", b"&#x110000;", b"&amp;&lt;&bogus;&#;", b"<!--", b"-->",
    b"<script>", b"</script>", b"<style>", b"<![CDATA[", b"]]>", b"<?xml version='1.0'?>", b"<?php echo 1; ?>",
    b"<!DOCTYPE html [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]>", b"&b;",
    b'<!DOCTYPE html SYSTEM "http://127.0.0.1:9/x.dtd">', b'<!ENTITY x SYSTEM "file:///etc/passwd">&x;',
    b"<meta charset='utf-16'>", b"<meta charset='shift_jis'>", b"<meta charset='x-unknown'>",
    b'<meta http-equiv="Content-Type" content="text/html; charset=iso-2022-jp">',
    codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF32_BE, b"\x00" * 64, b"\xff\xfe\xfd", b"\xc3\x28",
    b"<plaintext>", b"<xmp>", b"<template>", b"<svg><foreignObject><p>", b"<math><mi>", b"<table><tr><td><p>",
    b"<frameset><frame src='x'>", b"<noscript>", b"<textarea>", b"<title>", b"</html>", b"<html>", b"<body>",
    b"<p>Also Read: x</p>", b"<a href='/story/1'>A link-only teaser headline here</a>", b"\r", b"\x1b[31m",
]  # fmt: skip
CODECS = ["utf-16", "utf-16-le", "utf-32", "shift_jis", "gb18030", "cp1252", "iso-8859-5", "koi8-r", "big5"]


@dataclass(frozen=True, slots=True)
class Mutation:
    op: str
    position: float  # 0..1, relative to the current length
    amount: int
    choice: int


def apply(data: bytes, mutation: Mutation, seeds: list[bytes]) -> bytes:
    at = int(mutation.position * len(data))
    if mutation.op == "truncate":
        return data[:at]
    if mutation.op == "flip":
        flipped = bytearray(data)
        for offset in range(min(mutation.amount, 64)):
            if at + offset < len(flipped):
                flipped[at + offset] ^= 1 << (mutation.choice % 8)
        return bytes(flipped)
    if mutation.op == "insert":
        return data[:at] + SNIPPETS[mutation.choice % len(SNIPPETS)] * max(1, mutation.amount % 8) + data[at:]
    if mutation.op == "nest":
        depth = 10 + mutation.amount * 20
        return data[:at] + b"<div>" * depth + b"x" + b"</div>" * (depth if mutation.choice % 2 else 0) + data[at:]
    if mutation.op == "attribute":
        return data[:at] + b'<img alt="' + b"A" * (mutation.amount * 10_000) + b'">' + data[at:]
    if mutation.op == "splice":
        other = seeds[mutation.choice % len(seeds)]
        return data[:at] + other[int(mutation.position * len(other)) :]
    if mutation.op == "repeat":
        return data[:at] + data[at : at + 200] * min(mutation.amount, 500) + data[at:]
    if mutation.op == "encode":
        return data.decode("utf-8", "replace").encode(CODECS[mutation.choice % len(CODECS)], "replace")
    return gzip.compress(data, mtime=0)  # "gzip"


OPS = ["truncate", "flip", "insert", "nest", "attribute", "splice", "repeat", "encode", "gzip"]
mutations = st.builds(Mutation, st.sampled_from(OPS), st.floats(0, 1), st.integers(0, 100), st.integers(0, 10_000))


def html_inputs(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    mutated = st.builds(
        lambda index, ops: _mutate(seeds[index], ops, seeds),
        st.integers(0, len(seeds) - 1),
        st.lists(mutations, max_size=6),
    )
    return st.one_of(mutated, st.binary(max_size=2000), _random_tree())


def _mutate(data: bytes, ops: list[Mutation], seeds: list[bytes]) -> bytes:
    for mutation in ops:
        data = apply(data, mutation, seeds)[: 4 * MAX_SEED_BYTES]
    return data


def _random_tree() -> st.SearchStrategy[bytes]:
    tags = st.sampled_from(["p", "div", "a", "b", "li", "ul", "table", "td", "article", "span", "h1", "br", "nav"])
    text = st.text(max_size=40)

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.builds(lambda tag, kids: f"<{tag}>{''.join(kids)}</{tag}>", tags, st.lists(children, max_size=4))

    tree = st.recursive(text, extend, max_leaves=40)
    return st.builds(lambda body: f"<html><body>{body}</body></html>".encode("utf-8", "surrogatepass"), tree)


def dataset_inputs() -> st.SearchStrategy[tuple[str, bytes]]:
    """(file name, bytes) of a JSONL, TXT or HTML dataset file for the checker."""
    record = st.dictionaries(
        st.sampled_from(["text", "id", "url", "title", "allow", "x"]),
        st.one_of(st.text(max_size=300), st.integers(), st.none(), st.lists(st.text(max_size=10), max_size=3)),
    )
    line = st.one_of(record.map(lambda r: json.dumps(r, ensure_ascii=False)), st.text(max_size=80))
    jsonl = st.lists(line, max_size=12).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass"))
    return st.one_of(
        st.tuples(st.just("data.jsonl"), jsonl),
        st.tuples(st.just("data.jsonl.gz"), jsonl.map(lambda data: gzip.compress(data, mtime=0))),
        st.tuples(st.just("notes.txt"), st.binary(max_size=3000)),
        st.tuples(st.just("page.html"), st.binary(max_size=3000)),
    )


# --- targets ---


class CallTimeout(Exception):
    pass


@dataclass(slots=True)
class Stats:
    inputs: Counter[str]
    outcomes: Counter[str]
    slowest: dict[str, float]


def run_extract(data: bytes, config: Config) -> str:
    from cleaner.extract.core import extract_article

    doc = RawDocument(id="fuzz", source="fuzz.html", content=data)
    try:
        article = extract_article(doc, config.extract, config.clutter)
    except ExtractionError as exc:
        return f"rejected: {exc.reason}"
    record = json.dumps(article.to_dict(), ensure_ascii=False)
    record.encode("utf-8")  # what writers do: lone surrogates would end a run here
    if not article.text or "\x00" in article.text:
        raise AssertionError(f"bad article text: {article.text[:80]!r}")
    return "extracted"


def run_check(name: str, data: bytes, workdir: Path) -> str:
    from cleaner.check import CheckOptions, check_paths

    folder = Path(tempfile.mkdtemp(dir=workdir))
    (folder / name).write_bytes(data)
    try:
        result = check_paths([folder], options=CheckOptions(use_baseline=False))
    except CleanerError as exc:
        return f"error: {type(exc).__name__}"
    finally:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    return "findings" if result.findings else "clean"


class Recorder:
    """Saves each finding's input once per signature (target, exception type, innermost frame)."""

    def __init__(self, out: Path) -> None:
        self.folder = out / "findings"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log = out / "findings.jsonl"
        self.seen: Counter[str] = Counter()

    def record(self, target: str, kind: str, message: str, data: bytes, where: str = "", name: str = "") -> None:
        signature = f"{target}|{kind}|{where}"
        self.seen[signature] += 1
        if self.seen[signature] > 3:
            return
        digest = hashlib.sha1(data).hexdigest()[:12]
        path = self.folder / f"{target}-{kind.replace(' ', '_')}-{digest}-{name or 'input'}"
        path.write_bytes(data)
        entry = {"target": target, "kind": kind, "where": where, "message": message[:1500], "input": str(path)}
        with open(self.log, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")


def _raise_timeout(signum: int, frame: object) -> None:
    raise CallTimeout


def guarded(
    target: str, name: str, data: bytes, call: Callable[[], str], stats: Stats, recorder: Recorder, options: Any
) -> None:
    """Run one input: classify the outcome, record unexpected ones; the input is on disk while it runs."""
    current = Path(options.out) / "current.bin"
    current.write_bytes(f"{target} {name}".encode() + b"\n" + data)
    stats.inputs[target] += 1
    started = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, options.timeout)
    try:
        outcome = call()
    except CallTimeout:
        outcome = "TIMEOUT"
        recorder.record(target, "timeout", f"over {options.timeout} s", data, name=name)
    except MemoryError:
        outcome = "MEMORY"
        recorder.record(target, "memory", f"over {options.memory_mb} MB", data, name=name)
    except Exception as exc:  # the point of fuzzing: anything else is a finding
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        outcome = f"FINDING {type(exc).__name__}"
        recorder.record(target, type(exc).__name__, f"{exc}\n{traceback.format_exc()[-1400:]}", data, where, name)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    elapsed = time.perf_counter() - started
    stats.slowest[target] = max(stats.slowest.get(target, 0.0), elapsed)
    stats.outcomes[f"{target}: {outcome}"] += 1
    if sum(stats.inputs.values()) % 20 == 0:  # often enough that a crashing child's counts are mostly kept
        _write_stats(Path(options.out) / f"stats-{os.getpid()}.json", stats)


def fuzz_rounds(options: argparse.Namespace, first_seed: int, stop_at: float) -> Iterator[int]:
    """The child's main loop: hypothesis rounds until the wall-clock deadline."""
    resource.setrlimit(resource.RLIMIT_AS, (options.memory_mb << 20, options.memory_mb << 20))
    signal.signal(signal.SIGALRM, _raise_timeout)
    out = Path(options.out)
    recorder, config, seeds = Recorder(out), Config(), load_seeds(Path(options.data))
    stats = Stats(Counter(), Counter(), {})
    workdir = Path(tempfile.mkdtemp(prefix="fuzz-check-"))
    os.chdir(workdir)  # the checker looks for a baseline and pyproject from the cwd: keep it away from the repo
    round_number = 0
    while time.time() < stop_at:
        round_seed = first_seed * 100_000 + round_number
        if options.target in ("extract", "both"):
            _extract_round(seeds, config, stats, recorder, options, round_seed)
        if options.target in ("check", "both"):
            _check_round(workdir, stats, recorder, options, round_seed)
        round_number += 1
        _write_stats(out / f"stats-{os.getpid()}.json", stats)
        yield round_number


_SETTINGS = settings(max_examples=ROUND_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _extract_round(
    seeds: list[bytes], config: Config, stats: Stats, recorder: Recorder, options: argparse.Namespace, round_seed: int
) -> None:
    @seed(round_seed)
    @_SETTINGS
    @given(html_inputs(seeds))
    def round_(data: bytes) -> None:
        guarded("extract", "page.html", data, lambda: run_extract(data, config), stats, recorder, options)

    round_()


def _check_round(workdir: Path, stats: Stats, recorder: Recorder, options: argparse.Namespace, round_seed: int) -> None:
    @seed(round_seed)
    @_SETTINGS
    @given(dataset_inputs())
    def round_(item: tuple[str, bytes]) -> None:
        name, data = item
        guarded("check", name, data, lambda: run_check(name, data, workdir), stats, recorder, options)

    round_()


def _write_stats(path: Path, stats: Stats) -> None:
    data = {"inputs": dict(stats.inputs), "outcomes": dict(stats.outcomes), "slowest": stats.slowest}
    path.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")


def _child(options: argparse.Namespace, first_seed: int, stop_at: float) -> None:
    for _ in fuzz_rounds(options, first_seed, stop_at):
        pass


# --- the supervisor ---


def supervise(options: argparse.Namespace) -> dict[str, Any]:
    """Run fuzzing children until the time is up; a crash or hang is recorded and a new child starts."""
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    stop_at = time.time() + options.minutes * 60
    context = multiprocessing.get_context("fork")
    recorder, restarts, child_seed = Recorder(out), Counter(), options.seed
    while time.time() < stop_at:
        child = context.Process(target=_child, args=(options, child_seed, stop_at), daemon=True)
        child.start()
        reason = _watch(child, out / "current.bin", options.timeout * 3 + 10)
        if reason == "fuzzer error":
            raise SystemExit(f"the fuzzing child failed by itself (exit code {child.exitcode}): see its traceback")
        if reason and (out / "current.bin").exists():
            restarts[reason] += 1
            label, _, data = (out / "current.bin").read_bytes().partition(b"\n")
            target, _, name = label.decode().partition(" ")
            recorder.record(target, reason, f"child {reason} (exit code {child.exitcode})", data, name=name)
        child_seed += 1
    return _summary(out, restarts)


def _watch(child: multiprocessing.process.BaseProcess, current: Path, stale_after: float) -> str | None:
    while child.is_alive():
        child.join(timeout=1)
        if child.is_alive() and current.exists() and time.time() - current.stat().st_mtime > stale_after:
            child.kill()  # stuck inside C code: the alarm could not interrupt it
            child.join()
            return "hang"
    if child.exitcode == 0:
        return None
    # killed by a signal (segfault, OOM killer): the input on disk did it; a Python error in the loop itself is ours
    return "crash" if (child.exitcode or 0) < 0 else "fuzzer error"


def _summary(out: Path, restarts: Counter[str]) -> dict[str, Any]:
    inputs: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    slowest: dict[str, float] = {}
    for path in out.glob("stats-*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        inputs.update(data["inputs"])
        outcomes.update(data["outcomes"])
        for target, seconds in data["slowest"].items():
            slowest[target] = round(max(slowest.get(target, 0.0), seconds), 3)
        path.unlink()
    findings = out / "findings.jsonl"
    found = (
        [json.loads(line) for line in findings.read_text(encoding="utf-8").splitlines()] if findings.exists() else []
    )
    kinds = Counter(f"{f['target']}: {f['kind']} {f['where']}".strip() for f in found)
    return {
        "inputs": dict(inputs),
        "outcomes": dict(sorted(outcomes.items())),
        "slowest_seconds": slowest,
        "child_restarts": dict(restarts),
        "findings": dict(kinds),
        "findings_file": str(findings),
    }


# --- the full-size hostile kinds, once ---


def run_big_kinds(out: Path) -> dict[str, Any]:
    """The 50 MB page, the 1 GB gzip bomb and the 10^5-deep nesting at full size, through `cleaner run`."""
    from cleaner.api import run
    from cleaner.io.writers import read_records

    make_hostile = load_make_hostile()
    corpus = out / "big-corpus"
    big = ["huge-page", "big-page", "gzip-bomb", "gzip-bomb-nested", "deep-nesting", "huge-attribute"]
    started = time.perf_counter()
    cases = make_hostile.build_corpus(corpus, make_hostile.Sizes(), kinds=big)
    built = time.perf_counter() - started
    started = time.perf_counter()
    run([corpus], out / "big-run", Config())
    seconds = time.perf_counter() - started
    manifest = read_records(out / "big-run" / "manifest.jsonl")
    outcomes = {Path(e["source"]).name: e["reason"] or e["status"] for e in manifest}
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    ok = len(manifest) == len(cases)
    return {"documents": len(manifest), "all_accounted": ok, "build_s": round(built, 1), "run_s": round(seconds, 1),
            "worker_peak_rss_mb": peak_mb, "outcomes": outcomes}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to fuzz")
    parser.add_argument("--target", choices=["extract", "check", "both"], default="both")
    parser.add_argument("--seed", type=int, default=0, help="first hypothesis seed (runs are reproducible)")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "benchdata"), help="benchmark data (seeds)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds allowed per input")
    parser.add_argument("--memory-mb", type=int, default=4096, help="address-space limit of the fuzzing child")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "fuzz"), help="findings and summary")
    parser.add_argument("--big", action="store_true", help="also run the full-size hostile kinds once")
    options = parser.parse_args(argv)
    options.out = str(Path(options.out).resolve())
    summary = supervise(options)
    if options.big:
        summary["big_kinds"] = run_big_kinds(Path(options.out))
    (Path(options.out) / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(json.dumps(summary, indent=1))
    return 1 if summary["findings"] else 0


if __name__ == "__main__":
    sys.exit(main())
