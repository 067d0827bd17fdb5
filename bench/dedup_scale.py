"""Speed and memory of cleaner's dedup: signature throughput, then dedup time and peak RSS as the corpus grows.

    python bench/dedup_scale.py [--data ../shared/benchdata] [--sizes 10000 100000 [1000000]]

1. Signatures/s on the same shingle hashes (wire-dedup-dev val_web texts, our sampled content shingles):
   ours (vectorised numpy, datasketch's affine32 permutations) vs datasketch `MinHash.update` per shingle vs
   `MinHash.bulk`, all with the default number of permutations; the rows are checked equal.
2. For each size: a synthetic corpus is generated on the fly from the val_web texts (never stored): distinct
   stories are word-mutated variants of the real ones, a share of them get copies (trimmed, a paragraph dropped,
   OCR-like noise, outlet chrome). Each size runs in its own process, which reports the dedup time (add +
   clusters, generation excluded), its stages, peak RSS, bytes of state per document and pairwise quality against
   the generator's truth. The growth exponent is the slope of log(time) over log(documents).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import xxhash

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench.metrics import cluster_scores  # noqa: E402  (ARI and pairwise scores)
from cleaner.dedup import DedupConfig, Deduplicator, prepare_documents  # noqa: E402
from cleaner.dedup.minhash import minhash_bulk, minhash_update, signatures  # noqa: E402
from cleaner.models import Article  # noqa: E402

_SYLLABLES = (
    *("ba", "ko", "ri", "sen", "tal", "mu", "vor", "da", "pel", "gi", "nas", "tro", "lu", "fen", "qua", "zi"),
    *("ar", "bel", "cor", "dun", "es", "fir", "gal", "hun", "im", "jor", "kel", "lam", "mos", "nor", "ol", "pim"),
)
_TOWNS = ("Ashford", "Bramley", "Corfield", "Dunmore", "Eastleigh", "Fairhaven", "Glenrock", "Harlow", "Ivybridge")
_PAPERS = ("Gazette", "Courier", "Ledger", "Herald", "Post", "Times")
_CHROME = (
    "Skip to content",
    "Subscribe for unlimited access",
    "Get the morning briefing in your inbox every day.",
    "Share on Facebook Share on X Email",
    "Comments on this story are moderated.",
)
# Share of a text's word types replaced in each new story built on it: variants of one text then share about as
# much as unrelated news does (a few common phrases), not a family resemblance.
_MUTATE = 0.8
_PROMO = re.compile(r"^(?:Read more|Related):")
_CONFUSIONS = {"m": "rn", "o": "0", "l": "1", "e": "c", "n": "u", "h": "b", "t": "f", "a": "s", "i": "l"}


def load_texts(data: Path) -> list[str]:
    """One clean text per gold story of val_web: the least edited copy, without the outlets' chrome lines.

    val_web holds copies of its stories with their outlets' chrome; left in, they would be copies across our
    synthetic stories too, and a trimmed copy could keep nothing but chrome.
    """
    path = data / "wire-dedup-dev" / "val_web.jsonl"
    if not path.is_file():
        raise SystemExit(f"{path} not found: pass --data pointing at the benchdata folder")
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    line_docs = Counter(line for row in rows for line in set(row["text"].split("\n")))
    best: dict[str, dict] = {}
    for row in rows:
        if row["cluster"] not in best or len(row["ops"]) < len(best[row["cluster"]]["ops"]):
            best[row["cluster"]] = row

    def clean(text: str) -> str:
        keep = [ln for ln in text.split("\n") if line_docs[ln] < 20 and not _PROMO.match(ln)]
        return "\n".join(keep)

    return [clean(best[k]["text"]) for k in sorted(best)]


def _pseudo_word(key: str) -> str:
    h = xxhash.xxh64_intdigest(key.encode())  # 2-4 of 32 syllables: about a million distinct words
    return "".join(_SYLLABLES[(h >> (8 + 5 * k)) & 31] for k in range(2 + h % 3))


def variant(text: str, v: int) -> str:
    """Story `v` built on a real text: most of its word types replaced, so variants are distinct stories."""
    if v == 0:
        return text
    rng = random.Random(v)
    words = set(text.split())
    swap = {w: _pseudo_word(f"{v}:{w}") for w in sorted(words) if rng.random() < _MUTATE}
    return "\n".join(" ".join(swap.get(w, w) for w in line.split(" ")) for line in text.split("\n"))


def copy_of(text: str, rng: random.Random) -> str:
    """An outlet's republication: maybe trimmed, maybe a paragraph dropped, maybe OCR noise, its own chrome."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    if len(paragraphs) > 2 and rng.random() < 0.5:
        paragraphs = paragraphs[: rng.randint(2, len(paragraphs))]
    if len(paragraphs) > 3 and rng.random() < 0.3:
        del paragraphs[rng.randrange(1, len(paragraphs))]
    body = "\n".join(paragraphs)
    if rng.random() < 0.3:
        chars = list(body)
        for pos in rng.sample(range(len(chars)), k=len(chars) // 80):
            chars[pos] = _CONFUSIONS.get(chars[pos], chars[pos])
        body = "".join(chars)
    return with_chrome(body, rng)


def with_chrome(body: str, rng: random.Random) -> str:
    if rng.random() < 0.3:
        return body
    outlet = f"The {rng.choice(_TOWNS)} {rng.choice(_PAPERS)}"
    head = [rng.choice(_CHROME), f"{outlet} | News"]
    foot = [rng.choice(_CHROME), f"Copyright 2024 {outlet}. All rights reserved."]
    return "\n".join([*head, body, *foot])


def synthetic(texts: Sequence[str], n: int, seed: int = 7) -> Iterator[tuple[str, str, str]]:
    """(id, text, story) for n documents: every story once, about 40% of them with 1-4 copies."""
    rng = random.Random(seed)
    emitted = 0
    story = 0
    while emitted < n:
        base = variant(texts[story % len(texts)], story // len(texts))
        copies = rng.randint(1, 4) if rng.random() < 0.4 else 0
        for c in range(1 + copies):
            if emitted >= n:
                return
            text = with_chrome(base, rng) if c == 0 else copy_of(base, rng)
            yield f"d{emitted:08d}", text, f"s{story}"
            emitted += 1
        story += 1


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:  # not Linux
        return float("nan")


def child(data: Path, n: int) -> dict[str, float]:
    """One size, in this process: generate while adding, then cluster. Generation time is excluded."""
    texts = load_texts(data)
    rss_before = peak_rss_mb()
    dedup = Deduplicator()
    gold: list[str] = []
    generating = 0.0
    adding = 0.0
    stream = synthetic(texts, n)
    while True:
        t0 = time.perf_counter()
        item = next(stream, None)
        t1 = time.perf_counter()
        generating += t1 - t0
        if item is None:
            break
        doc_id, text, story = item
        dedup.add(Article(id=doc_id, source="", url=None, text=text))
        gold.append(story)
        adding += time.perf_counter() - t1
    del texts
    peak_after_add = peak_rss_mb()
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    features = dedup.features()
    rss_features = current_rss_mb()
    result = dedup.assignment(stages)
    t1 = time.perf_counter()
    labels = result.representative.tolist()
    state = (
        features.sets.hashes.nbytes
        + features.sets.offsets.nbytes
        + features.slots.slots.nbytes
        + features.slots.offsets.nbytes
        + sum(sys.getsizeof(i) for i in features.ids)
        + 8 * 4 * len(features.ids)  # list slots: ids, dates, origins, lengths
    )
    quality = cluster_scores(gold, [str(r) for r in labels])
    return {
        "n": n,
        "generate_s": generating,
        "add_s": adding,
        "clusters_s": t1 - t0,
        "dedup_s": adding + t1 - t0,
        **{f"stage_{k}": v for k, v in stages.items()},
        "peak_rss_mb": peak_rss_mb(),
        "peak_rss_add_mb": peak_after_add,
        "rss_state_mb": rss_features,
        "rss_before_mb": rss_before,
        "state_bytes_per_doc": state / n,
        "candidates": result.candidates,
        **quality,
    }


def signature_speed(texts: Sequence[str], docs: int, slow_docs: int) -> None:
    config = DedupConfig()
    sets, _, _, _ = prepare_documents(list(texts[:docs]), config)
    lists = [sets.row(i).tolist() for i in range(len(sets))]
    shingles = sum(len(x) for x in lists) / max(1, len(lists))
    print(f"signature speed: {docs} val_web docs, {shingles:.0f} sampled shingle hashes each, {config.num_perm} perms")

    t0 = time.perf_counter()
    ours = signatures(sets, config.num_perm, config.seed)
    ours_rate = docs / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    prepare_documents(list(texts[:docs]), config)
    prep_rate = docs / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    updated = [minhash_update(x, config.num_perm, config.seed) for x in lists[:slow_docs]]
    update_rate = slow_docs / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    bulk = minhash_bulk(lists, config.num_perm, config.seed)
    bulk_rate = docs / (time.perf_counter() - t0)

    same = all(np.array_equal(m.hashvalues, ours[i]) for i, m in enumerate(updated))
    same = same and all(np.array_equal(m.hashvalues, ours[i]) for i, m in enumerate(bulk))
    print(f"  ours (numpy, all docs at once)      {ours_rate:10.0f} signatures/s")
    speedup = ours_rate / update_rate
    print(f"  datasketch MinHash.update per shingle {update_rate:8.0f} signatures/s  -> ours x{speedup:.0f}")
    print(
        f"  datasketch MinHash.bulk              {bulk_rate:10.0f} signatures/s  -> ours x{ours_rate / bulk_rate:.1f}"
    )
    print(f"  identical hash values: {same}")
    print(f"  ours text -> prepared shingle sets (normalise, slots, origin, shingle): {prep_rate:.0f} docs/s")


def _exponent(t_a: float, t_b: float, n_a: float, n_b: float) -> float:
    return math.log(t_b / t_a) / math.log(n_b / n_a)


def _nlogn(n: float) -> float:
    return n * math.log(n)


def growth(rows: Sequence[dict[str, float]], key: str) -> float:
    x = np.log([r["n"] for r in rows])
    y = np.log([r[key] for r in rows])
    return float(np.polyfit(x, y, 1)[0]) if len(rows) > 1 else math.nan


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "benchdata")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="add 1000000 for 10^6")
    parser.add_argument("--signature-docs", type=int, default=3000)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.data, args.child)))
        return 0

    texts = load_texts(args.data)
    signature_speed(texts, args.signature_docs, slow_docs=min(300, args.signature_docs))
    del texts
    rows = []
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--data", str(args.data), "--child", str(n)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append(row)
        stages = "  ".join(f"{k[6:]} {v:.1f}s" for k, v in row.items() if k.startswith("stage_"))
        print(
            f"n={n:>9,}  dedup {row['dedup_s']:7.1f} s (add {row['add_s']:.1f} s, clusters {row['clusters_s']:.1f} s: "
            f"{stages})  {n / row['dedup_s']:6.0f} docs/s  peak RSS {row['peak_rss_mb']:6.0f} MB "
            f"(before dedup {row['rss_before_mb']:.0f} MB, peak while adding {row['peak_rss_add_mb']:.0f} MB, "
            f"after adding {row['rss_state_mb']:.0f} MB)  state {row['state_bytes_per_doc']:.0f} B/doc  "
            f"candidates {row['candidates']:,}  ARI {row['ari']:.3f} P {row['precision']:.3f} R {row['recall']:.3f}",
            flush=True,
        )
    if len(rows) > 1:
        steps = [
            f"{a['n']:,}->{b['n']:,}: {_exponent(a['dedup_s'], b['dedup_s'], a['n'], b['n']):.2f}"
            for a, b in itertools.pairwise(rows)
        ]
        nlogn = [
            f"{a['n']:,}->{b['n']:,}: {_exponent(_nlogn(a['n']), _nlogn(b['n']), a['n'], b['n']):.2f}"
            for a, b in itertools.pairwise(rows)
        ]
        print(f"growth exponent of dedup time: fit {growth(rows, 'dedup_s'):.2f}; steps {', '.join(steps)}")
        print(f"  (n log n would give {', '.join(nlogn)}; n^2 would give 2.00)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
