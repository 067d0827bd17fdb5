"""Options for near-duplicate clustering: one default that serves clean web copies and OCR-noisy copies alike.

The defaults were calibrated on the wire-dedup-dev validation sets (clean `val_web` and noisy `val_ocr`, both at
once, never one per variant); the comment on each field says what it trades off.
"""

from __future__ import annotations

from dataclasses import dataclass

from cleaner.errors import ConfigError

REPRESENTATIVE_POLICIES = ("most_complete", "earliest", "longest_text")


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Shingling, MinHash LSH, verification and clustering settings.

    Pipeline: normalise -> character shingles (with their paragraph chunk) -> drop corpus- and site-frequent shingles ->
    MinHash signatures per chunk -> LSH band keys -> candidate document pairs -> exact verification on whole
    documents -> clustering around a representative (no chaining).
    """

    # --- shingling ---
    # Characters per shingle (UTF-8 bytes: characters in ASCII text), counted after case folding and after dropping
    # spaces and punctuation. 10-grams without spaces survive OCR noise (a wrong letter spoils only the 10
    # shingles that cover it, a lost or extra space spoils none) while still being specific enough that unrelated
    # stories share almost none.
    shingle_size: int = 10
    # Fold characters that OCR confuses (rn/m, 0/o, 1/l/i, c/e, u/n, h/b, f/t, q/g, vv/w, cl/d) before shingling:
    # a misread letter then spoils no shingle. Numbers for the templated-story guard are read before folding.
    fold_confusables: bool = True
    # Keep a shingle only when its 32-bit hash falls in the lowest `1 / shingle_sample` of the hash range. The same
    # shingle is kept or dropped in every document (consistent sampling), so set sizes, overlaps and containment
    # are unbiased estimates of the full-set ones, while memory and signature time shrink by this factor.
    shingle_sample: int = 4
    # A shingle found in more than max(df_floor, df_fraction * documents) documents is site chrome or stock
    # phrasing ("Sign up for our newsletter", "All rights reserved"), not evidence of copying; it is dropped
    # before signatures and verification. Copies of one story share shingles only as often as the story is
    # copied, which stays far below the cut.
    df_fraction: float = 0.005
    df_floor: int = 50
    # If the cut leaves a document fewer than this share of its shingles, the document is nothing but frequent
    # text (a story copied by most of a small corpus, or a page of pure chrome): keep its full set instead.
    df_keep_min_share: float = 0.2
    # The same cut within each site: a shingle in more than max(site_df_floor, site_df_fraction * pages) of one
    # site's documents is that site's boilerplate (a menu, an author box, a form that template removal left, partly
    # edited from page to page), so it is dropped from that site's documents and never links two of them; a
    # shingle frequent on one site says nothing about another. A story on more than half of a site's pages is rare
    # (its updates are fewer than the site's other stories), and a document the cut leaves with less than
    # df_keep_min_share of its shingles keeps them all, as above. The site is cleaner.models.site_key.
    site_df_fraction: float = 0.5
    site_df_floor: int = 5

    # --- chunks: LSH works on paragraph-based chunks of the canonical text ---
    # A trimmed copy shares only part of the full story, so its whole-document Jaccard can be 0.1-0.2; finding such
    # pairs with whole-document LSH needs bands so loose that unrelated documents collide at a rate growing with
    # the square of the corpus. Copies share whole paragraphs instead, whose Jaccard stays high under OCR noise and
    # edits: LSH on paragraph chunks finds every pair that shares one, and unrelated paragraphs almost never
    # collide. A paragraph shorter than chunk_min_chars joins the next; a longer one than chunk_max_chars is split.
    chunk_min_chars: int = 40
    chunk_max_chars: int = 600
    # Chunks with fewer (sampled, content) shingles than this are not indexed (a document whose chunks are all
    # that small is indexed by its largest one).
    chunk_min_shingles: int = 8

    # --- MinHash LSH over chunks (candidates only: nothing is merged without verification) ---
    # 128 permutations per chunk as 32 bands of 4 rows propose a chunk pair with Jaccard 0.5 with p ~ 0.87 and
    # one with 0.6 with p ~ 0.99 (a copied paragraph under OCR noise sits at 0.6-0.9); two unrelated
    # paragraphs sharing a phrase (Jaccard ~0.02) collide with p ~ 5e-6.
    num_perm: int = 128
    band_rows: int = 4
    # Seed of the permutations (datasketch `MinHash(seed=...)` semantics: same seed, same permutations).
    seed: int = 1
    # A band bucket holding more chunks than this is linked as a star to its `max_bucket` highest-priority
    # chunks instead of as all pairs, which keeps candidate generation linear when thousands of pages share a
    # paragraph (boilerplate that survived the cut, a template) while still offering every member its likely
    # representative.
    max_bucket: int = 64

    # --- verification (exact, on the sampled shingle sets) ---
    # Accept a pair when the smaller document's shingles are at least this much contained in the larger's
    # (a trimmed copy is contained in the full story). On the validation sets 99.7% (clean) and 99.3% (OCR) of
    # true copies reach 0.6 against their cluster's representative, while most false matches admitted at 0.5 sit
    # below 0.6 (rewritten versions of one event, shared background paragraphs). ARI stays >= 0.97 on both sets
    # from 0.5 to 0.7 and pairwise precision >= 0.99 from 0.55 to 0.7: 0.6 is the middle, not an edge.
    containment_threshold: float = 0.6
    # Shared (sampled) shingles needed at least, so that two tiny texts do not match on a phrase.
    min_shared: int = 8
    # Templated stories (weekly crop reports, auction results, earnings tables) share their wording and differ in
    # the values: numbers and dates that follow the same words. A pair is rejected as a different event when at
    # least `min_conflicts` shared slots carry different values and they are at least `max_conflict_share` of the
    # shared slots (one OCR-garbled digit must not split true copies).
    min_conflicts: int = 1
    max_conflict_share: float = 0.3
    # Characters of preceding (letter) context that identify a value slot.
    slot_context: int = 8

    # --- clustering ---
    # Who represents a cluster, i.e. is kept: "most_complete" (most distinct content shingles), "earliest"
    # (earliest published date) or "longest_text". Ties: earliest date, then more content, then smallest id.
    # Members join a cluster only when verified against its representative, so clusters never chain.
    representative: str = "most_complete"
    # Documents processed per vectorised batch while adding (memory vs per-call overhead).
    batch_size: int = 4096

    def __post_init__(self) -> None:
        checks = [
            (self.shingle_size >= 3, "shingle_size must be at least 3"),
            (self.shingle_sample >= 1, "shingle_sample must be 1 (keep all) or more"),
            (0.0 < self.df_fraction <= 1.0, "df_fraction must be in (0, 1]"),
            (self.df_floor >= 2, "df_floor must be at least 2"),
            (0.0 <= self.df_keep_min_share <= 1.0, "df_keep_min_share must be in [0, 1]"),
            (0.0 < self.site_df_fraction <= 1.0, "site_df_fraction must be in (0, 1]"),
            (self.site_df_floor >= 2, "site_df_floor must be at least 2"),
            (self.band_rows >= 1, "band_rows must be at least 1"),
            (self.num_perm >= self.band_rows, "num_perm must be at least band_rows"),
            (self.num_perm % self.band_rows == 0, "num_perm must be a multiple of band_rows"),
            (self.max_bucket >= 2, "max_bucket must be at least 2"),
            (0.0 < self.containment_threshold <= 1.0, "containment_threshold must be in (0, 1]"),
            (self.min_shared >= 1, "min_shared must be at least 1"),
            (self.min_conflicts >= 1, "min_conflicts must be at least 1"),
            (0.0 <= self.max_conflict_share <= 1.0, "max_conflict_share must be in [0, 1]"),
            (self.slot_context >= 1, "slot_context must be at least 1"),
            (
                self.representative in REPRESENTATIVE_POLICIES,
                f"representative must be one of {REPRESENTATIVE_POLICIES}",
            ),
            (self.batch_size >= 1, "batch_size must be at least 1"),
            (1 <= self.chunk_min_chars <= self.chunk_max_chars, "need 1 <= chunk_min_chars <= chunk_max_chars"),
            (self.chunk_min_shingles >= 1, "chunk_min_shingles must be at least 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"[dedup] {message}")

    @property
    def bands(self) -> int:
        return self.num_perm // self.band_rows
