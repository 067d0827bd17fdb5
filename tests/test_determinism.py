"""Same inputs, same output bytes: whatever --jobs and the hash seed; and whatever the order the inputs are given
in, except the manifest, which lists the documents in that order (its lines are the same).

The corpus is the demo corpus plus the committed hostile corpus (rejections, WARC and JSONL records, charsets), so
the order of rejected documents and of records inside files is covered too. Each run is a real `cleaner run`
process, so PYTHONHASHSEED really differs between them.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from cleaner.io.readers import iter_input_files

ROOT = Path(__file__).resolve().parent.parent
CLEANER = Path(sys.executable).parent / "cleaner"
INPUTS = ["fixtures/demo", "fixtures/hostile/corpus"]


def _shuffled_files(seed: int) -> list[str]:
    files = [str(path) for path in iter_input_files(INPUTS)]
    random.Random(seed).shuffle(files)
    return files


def _run(inputs: list[str], out: Path, jobs: int, hash_seed: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    command = [str(CLEANER), "run", *inputs, "-o", str(out), "-j", str(jobs), "-q"]
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert finished.returncode == 0, finished.stderr.decode(errors="replace")
    # run.json records the run itself (its --jobs, its timings): the one file that is meant to differ
    assert (out / "run.json").exists()
    return {
        path.name: path.read_bytes()
        for path in sorted(out.iterdir())
        if not path.name.startswith(".") and path.name != "run.json"
    }


def test_three_runs_with_different_jobs_seeds_and_orders_are_byte_identical(tmp_path: Path) -> None:
    first = _run(INPUTS, tmp_path / "a", jobs=1, hash_seed="0")
    second = _run(INPUTS, tmp_path / "b", jobs=2, hash_seed="1")
    reordered = [*reversed(_shuffled_files(2))]
    third = _run(reordered, tmp_path / "c", jobs=3, hash_seed="random")
    assert {"articles.jsonl", "clusters.jsonl", "manifest.jsonl"} <= set(first)
    assert first["manifest.jsonl"].count(b"\n") > 40  # the demo and hostile documents really were read
    assert set(first) == set(second) == set(third)
    for name, data in first.items():
        assert second[name] == data, f"{name} differs between --jobs 1 and --jobs 2"
        if name != "manifest.jsonl":
            assert third[name] == data, f"{name} differs between --jobs 1 and --jobs 3 with shuffled inputs"
    manifest = third["manifest.jsonl"].splitlines()
    assert sorted(manifest) == sorted(first["manifest.jsonl"].splitlines())
    assert _input_order(manifest, reordered) == sorted(_input_order(manifest, reordered))


def _input_order(manifest: list[bytes], files: list[str]) -> list[tuple[int, int]]:
    """(position of its file among `files`, record number in the file) of each manifest line."""
    where = {name: i for i, name in enumerate(files)}
    order = []
    for line in manifest:
        source = json.loads(line)["source"]
        path, _, record = source.rpartition("#")
        if path in where and record.isdigit():
            order.append((where[path], int(record)))
        else:
            order.append((where[source], 0))
    return order
