"""Same inputs, same output bytes: whatever --jobs, the hash seed, and the order the inputs are given in.

The corpus is the demo corpus plus the committed hostile corpus (rejections, WARC and JSONL records, charsets), so
the order of rejected documents and of records inside files is covered too. Each run is a real `cleaner run`
process, so PYTHONHASHSEED really differs between them.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

from cleaner.readers import iter_input_files

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
    return {path.name: path.read_bytes() for path in sorted(out.iterdir()) if not path.name.startswith(".")}


def test_three_runs_with_different_jobs_seeds_and_orders_are_byte_identical(tmp_path: Path) -> None:
    first = _run(INPUTS, tmp_path / "a", jobs=1, hash_seed="0")
    second = _run(_shuffled_files(1), tmp_path / "b", jobs=2, hash_seed="1")
    third = _run([*reversed(_shuffled_files(2))], tmp_path / "c", jobs=3, hash_seed="random")
    assert {"articles.jsonl", "clusters.jsonl", "manifest.jsonl"} <= set(first)
    assert first["manifest.jsonl"].count(b"\n") > 40  # the demo and hostile documents really were read
    for name, data in first.items():
        assert second[name] == data, f"{name} differs between --jobs 1 and --jobs 2 with shuffled inputs"
        assert third[name] == data, f"{name} differs between --jobs 1 and --jobs 3 with shuffled inputs"
    assert set(first) == set(second) == set(third)
