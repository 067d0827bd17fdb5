"""`cleaner explain OUTDIR ID`: why a document was kept, merged or rejected, and what clutter was cut from it.

Everything is read back from a run's output folder (manifest, documents, clusters, and updates for `--index`
runs), then the dedup decision is recomputed with the same functions the run used: the documents' shingle sets
(with the run's corpus-frequency cut when the whole run is small enough to reload), containment, the shared-shingle
minimum and the templated-story guard. Shared passages are the word runs the two texts have in common.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from cleaner.dedup import content_sets
from cleaner.dedup.config import DedupConfig
from cleaner.dedup.deduplicator import Deduplicator
from cleaner.dedup.normalize import slot_conflicts
from cleaner.dedup.verify import containment, is_other_event, verify_pair
from cleaner.errors import InputError
from cleaner.models import Article
from cleaner.outputs.files import RunOutputs, load_outputs
from cleaner.outputs.records import ManifestEntry, MemberLine, UpdateLine

# Passages shorter than this many words are common phrasing, not evidence of copying.
MIN_PASSAGE_WORDS = 8
MAX_PASSAGES = 6
# Reloading the whole run (to apply its frequent-shingle cut and to find the nearest other documents) costs about
# a millisecond per document; above this many documents only the pair itself is recomputed.
MAX_RELOAD = 20_000
NEAREST = 3
_WORD = re.compile(r"\w+")


# --------------------------------------------------------------------------------------------------------------
# Reading a run's outputs


def find_entry(outputs: RunOutputs, key: str) -> ManifestEntry:
    """The manifest entry for an id, an exact source, a path to the same file as a source (absolute or relative,
    through symlinks; `path#N` for a record), or a unique source suffix (a path as the user typed it)."""
    for entry in outputs.manifest:
        if key in (entry.id, entry.source):
            return entry
    same_file = [e for e in outputs.manifest if _same_document(key, e.source)]
    if len(same_file) == 1:
        return same_file[0]
    suffix = key.replace("\\", "/").lstrip("./")
    matches = same_file or [e for e in outputs.manifest if e.source.replace("\\", "/").endswith(suffix)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(e.source for e in matches[:4])
        raise InputError(f"{key!r} matches {len(matches)} documents ({names}, ...): give the document id")
    raise InputError(f"no document {key!r} in {outputs.folder}: give an id or a source listed in the manifest")


def _same_document(key: str, source: str) -> bool:
    """Both name one file (and the same record of it): a relative source is taken from the current folder."""
    key_path, key_record = _split_record(key)
    source_path, source_record = _split_record(source)
    if key_record != source_record:
        return False
    try:
        return Path(key_path).samefile(source_path)
    except (OSError, ValueError):  # either is gone, or not a path at all
        return False


def _split_record(name: str) -> tuple[str, str | None]:
    """("path", "N") for a record source "path#N" (WARC and JSONL records), (name, None) for a file."""
    path, hash_sign, record = name.rpartition("#")
    if hash_sign and record.isdigit():
        return path, record
    return name, None


# --------------------------------------------------------------------------------------------------------------
# The explanation


@dataclass(slots=True)
class Passage:
    """Text both documents contain (as written in the explained document)."""

    text: str
    words: int


@dataclass(slots=True)
class Match:
    """How the dedup rule judged one pair: containment of the smaller shingle set, shared shingles, value slots."""

    other: str
    verified: bool
    similarity: float
    shared_shingles: int
    smaller_set: int
    slots_agreeing: int
    slots_conflicting: int
    verdict: str  # one sentence: which condition decided


@dataclass(slots=True)
class Explanation:
    id: str
    source: str
    status: str  # kept | duplicate | rejected
    summary: str
    title: str | None = None
    site: str | None = None
    url: str | None = None
    reason: str | None = None  # rejection reason
    cluster: str | None = None
    representative: str | None = None  # id of the document the cluster keeps
    representative_source: str | None = None
    compared_with: str | None = None  # the copy the dedup rule was checked against (the kept one, or the one replaced)
    compared_source: str | None = None
    recorded_similarity: float | None = None
    rule: dict[str, Any] = field(default_factory=dict)
    match: Match | None = None  # duplicate: the pair (this, representative)
    shared: list[Passage] = field(default_factory=list)
    shared_share: float | None = None  # share of this document's words inside shared passages
    members: list[dict[str, Any]] = field(default_factory=list)  # kept: the cluster's members
    nearest: list[Match] = field(default_factory=list)  # kept: closest documents outside the cluster
    notes: list[str] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    settings: str = "the run's own (run.json)"  # whose dedup settings decided the verdicts above
    # with `--config` settings that differ from the run's: the verdict those settings would give
    alternative: Explanation | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def dedup_rule(config: DedupConfig) -> dict[str, Any]:
    """The merge rule, as its parameters: what a pair must satisfy to be one event."""
    return {
        "candidates": f"MinHash LSH, {config.num_perm} permutations in {config.bands} bands of {config.band_rows} rows",
        "containment_threshold": config.containment_threshold,
        "min_shared": config.min_shared,
        "min_conflicts": config.min_conflicts,
        "max_conflict_share": config.max_conflict_share,
        "representative": config.representative,
    }


@dataclass(slots=True, frozen=True)
class _Copy:
    """A document's text as explain compares it: this run's documents, or a representative from an index."""

    id: str
    text: str | None
    source: str | None = None


def explain_document(out_dir: str | Path, key: str, config: DedupConfig | None = None) -> Explanation:
    """Explain one document of a run: `key` is its id or its source path (as in the manifest).

    The decision is recomputed with the settings the run recorded in run.json. `config`, when given and different,
    adds the verdict those settings would give (`alternative`); without run.json it is used instead.
    """
    outputs = load_outputs(out_dir)
    recorded = outputs.info.run_config().dedup if outputs.info is not None else None
    explanation = _explain(outputs, key, recorded or config or DedupConfig())
    if recorded is None:
        whose = "your --config" if config is not None else "the default settings"
        explanation.settings = whose
        explanation.notes.append(f"this folder has no run.json (an older cleaner wrote it): recomputed with {whose}")
    elif config is not None and config != recorded:
        alternative = _explain(outputs, key, config)
        alternative.settings = f"your --config ({_differences(recorded, config)})"
        explanation.alternative = alternative
    return explanation


def _differences(recorded: DedupConfig, given: DedupConfig) -> str:
    changed = [f.name for f in fields(DedupConfig) if getattr(recorded, f.name) != getattr(given, f.name)]
    return ", ".join(
        f"{name} {getattr(given, name)} instead of the run's {getattr(recorded, name)}" for name in changed
    )


def _explain(outputs: RunOutputs, key: str, config: DedupConfig) -> Explanation:
    entry = find_entry(outputs, key)
    doc = outputs.document(entry.id)
    base = Explanation(
        id=entry.id,
        source=entry.source,
        status=entry.status,
        summary="",
        title=doc.title if doc else None,
        site=doc.site if doc else None,
        url=doc.url if doc else None,
        removed=[r.to_dict() for r in doc.removed] if doc else [],
    )
    if entry.status == "rejected":
        return _rejected(base, entry)
    base.rule = dedup_rule(config)
    base.cluster = entry.cluster
    base.recorded_similarity = entry.similarity
    corpus = _Corpus.load(outputs, config)
    if outputs.updates:
        base.notes.append(
            "an --index run: the run's frequent-shingle cut counted every indexed document, this recomputation "
            "only this folder's documents, so its figures can differ slightly from the recorded similarity"
        )
    this = _Copy(entry.id, doc.text if doc else None, entry.source)
    if entry.status == "duplicate":
        return _duplicate(base, outputs, this, corpus, config)
    return _kept(base, outputs, corpus, config)


def _rejected(expl: Explanation, entry: ManifestEntry) -> Explanation:
    reason = entry.reason or "unknown"
    expl.reason = reason
    kind = reason.split(":")[0]
    expl.summary = f"rejected ({kind}): {reason}. It was not clustered and is not in articles."
    return expl


def _copy_of(outputs: RunOutputs, doc_id: str) -> _Copy | None:
    doc = outputs.document(doc_id)
    return _Copy(doc_id, doc.text, doc.source) if doc is not None and doc.text else None


def _representative(outputs: RunOutputs, event: str) -> _Copy:
    """The copy an event keeps: from this run's documents, else from the index's update line."""
    cluster = outputs.cluster(event)
    rep_id = cluster.kept if cluster else event
    if (copy := _copy_of(outputs, rep_id)) is not None:
        return copy
    update = outputs.update(event)
    if update is not None:
        return _Copy(update.kept, update.representative.text, update.representative.source)
    return _Copy(rep_id, None)


def _replaced(outputs: RunOutputs, event: str) -> _Copy:
    """The copy an earlier run kept for `event`, which this document now replaces as representative."""
    update = outputs.update(event)
    previous = update.previous_kept if update is not None else None
    if previous and (copy := _copy_of(outputs, previous)) is not None:
        return copy
    earlier = update.previous_representative if update is not None else None
    if earlier is not None:
        return _Copy(earlier.id, earlier.text, earlier.source)
    return _Copy(previous or "", None)


def _duplicate(
    expl: Explanation, outputs: RunOutputs, this: _Copy, corpus: _Corpus | None, config: DedupConfig
) -> Explanation:
    event = expl.cluster or ""
    rep = _representative(outputs, event)
    expl.representative, expl.representative_source = rep.id, rep.source
    replaced = rep.id == expl.id  # a later, more complete copy of an event an earlier run kept
    if replaced:
        rep = _replaced(outputs, event)
    expl.compared_with, expl.compared_source = rep.id, rep.source
    if not rep.text:
        expl.summary = f"duplicate of event {event} (similarity {expl.recorded_similarity}); its kept text is not here"
        expl.notes.append("the kept copy's text is in an earlier run's output folder, not in this one")
        return expl
    expl.match = pair_match(this, rep, corpus, config)
    if corpus is None:
        expl.notes.append(f"the run has more than {MAX_RELOAD} documents: the pair was recomputed without its cut")
    expl.shared, expl.shared_share = shared_passages(this.text or "", rep.text)
    kept_from = rep.source or rep.id
    if replaced:
        expl.summary = (
            f"duplicate of event {event}, which an earlier run kept from {kept_from}: it matches that copy because "
            f"{expl.match.verdict}. Being more complete, it now represents the event, which keeps its first id"
        )
    else:
        expl.summary = (
            f"duplicate of event {event}: merged into the copy kept from {kept_from} because {expl.match.verdict}"
        )
    return expl


def _kept(expl: Explanation, outputs: RunOutputs, corpus: _Corpus | None, config: DedupConfig) -> Explanation:
    cluster = outputs.cluster(expl.cluster or "")
    members = cluster.members if cluster else [MemberLine(expl.id, 1.0)]
    expl.representative = expl.id
    for member in members:
        other = outputs.document(member.id)
        size = corpus.size(member.id) if corpus is not None else None
        expl.members.append(
            {
                "id": member.id,
                "source": other.source if other else None,
                "site": other.site if other else None,
                "similarity": member.similarity,
            }
            | ({"content_shingles": size} if size is not None else {})
        )
    if corpus is not None:
        expl.nearest = [_placed(match, outputs) for match in corpus.nearest(expl.id, {m.id for m in members}, config)]
    else:
        expl.notes.append(f"the run has more than {MAX_RELOAD} documents: nearest documents were not searched")
    others = len(members) - 1
    if others:
        why = _why_representative(expl.id, expl.members, config)
        expl.summary = f"kept: represents event {expl.cluster} with {others} other copies; {why}"
    elif any(match.verified for match in expl.nearest):
        expl.summary = "kept: the documents that match it belong to other events (see nearest): events do not chain"
    else:
        expl.summary = "kept: no other document was verified as a copy of it"
    return expl


def _placed(match: Match, outputs: RunOutputs) -> Match:
    """A nearest document the rule accepts was still not merged: say where it went and why that holds."""
    entry = outputs.entry(match.other)
    if not match.verified or entry is None:
        return match
    if entry.status == "duplicate":
        why = (
            f"; it is a copy in event {entry.cluster} (kept {entry.duplicate_of}) instead: a document joins only a "
            "kept copy it matches, so events do not chain"
        )
    else:
        why = "; but MinHash LSH did not propose the pair as candidates, so it was never verified in the run"
    return dataclasses.replace(match, verdict=match.verdict + why)


def _why_representative(doc_id: str, members: list[dict[str, Any]], config: DedupConfig) -> str:
    sizes = {m["id"]: m.get("content_shingles") for m in members}
    policy = config.representative
    if policy == "most_complete" and sizes.get(doc_id) is not None:
        return (
            f"policy most_complete: it has {sizes[doc_id]} content shingles, the most among its copies "
            "(ties: earliest date, then smallest id)"
        )
    if policy == "earliest":
        return "policy earliest: it has the earliest publication date among its copies"
    return f"policy {policy}"


# --------------------------------------------------------------------------------------------------------------
# Recomputing the dedup decision


class _Corpus:
    """Documents as the dedup stage saw them: shingle sets (after the run's corpus cut when `cut`) and slots."""

    def __init__(self, copies: list[_Copy], config: DedupConfig, cut: bool) -> None:
        self.ids = [c.id for c in copies]
        self.cut = cut
        self.row = {doc_id: i for i, doc_id in enumerate(self.ids)}
        articles = [Article(c.id, c.id, None, c.text or "") for c in copies]
        deduplicator = Deduplicator(config)  # the run's own preparation of each text
        deduplicator.add_many(articles)
        features = deduplicator.features()
        self.sets = content_sets(features.sets, config) if cut else features.sets
        self.slots = features.slots

    @classmethod
    def load(cls, outputs: RunOutputs, config: DedupConfig) -> _Corpus | None:
        """The whole run (this run's texts plus representatives from an index), unless it is too large."""
        copies = [_Copy(d.id, d.text, d.source) for d in outputs.documents if d.text]
        seen = {c.id for c in copies}
        for update in outputs.updates:
            if not isinstance(update, UpdateLine):
                continue
            for rep in (update.representative, update.previous_representative):
                if rep is not None and rep.text and rep.id not in seen:
                    copies.append(_Copy(rep.id, rep.text, rep.source))
                    seen.add(rep.id)
        return cls(copies, config, cut=True) if len(copies) <= MAX_RELOAD else None

    def size(self, doc_id: str) -> int | None:
        i = self.row.get(doc_id)
        return int(self.sets.offsets[i + 1] - self.sets.offsets[i]) if i is not None else None

    def judge(self, i: int, j: int, config: DedupConfig) -> Match:
        a, b = self.sets.row(i), self.sets.row(j)
        score, shared = containment(a, b)
        agreeing, conflicting = slot_conflicts(self.slots.row(i), self.slots.row(j))
        verified = verify_pair(i, j, self.sets, self.slots, config) is not None
        return Match(
            self.ids[j],
            verified,
            round(score, 4),
            shared,
            min(len(a), len(b)),
            agreeing,
            conflicting,
            _verdict(score, shared, agreeing, conflicting, config),
        )

    def nearest(self, doc_id: str, exclude: set[str], config: DedupConfig) -> list[Match]:
        """The documents outside the cluster sharing the most shingles with `doc_id`, judged by the rule."""
        i = self.row.get(doc_id)
        if i is None or self.sets.offsets[i + 1] == self.sets.offsets[i]:
            return []
        target = self.sets.row(i)
        sizes = np.diff(self.sets.offsets)
        owner = np.repeat(np.arange(len(self.ids)), sizes)
        shared = np.bincount(owner[np.isin(self.sets.hashes, target)], minlength=len(self.ids))
        score = shared / np.maximum(np.minimum(sizes, len(target)), 1)
        order = sorted(range(len(self.ids)), key=lambda j: (-score[j], self.ids[j]))
        picks = [j for j in order if self.ids[j] not in exclude and shared[j] > 0][:NEAREST]
        return [self.judge(i, j, config) for j in picks]


def pair_match(doc: _Copy, other: _Copy, corpus: _Corpus | None, config: DedupConfig) -> Match:
    """The rule's verdict on (doc, other): within the run's corpus when loaded, else on the two texts alone."""
    if corpus is not None and doc.id in corpus.row and other.id in corpus.row:
        return corpus.judge(corpus.row[doc.id], corpus.row[other.id], config)
    return _Corpus([doc, other], config, cut=False).judge(0, 1, config)


def _verdict(score: float, shared: int, agreeing: int, conflicting: int, config: DedupConfig) -> str:
    """The condition that decided the pair, in words."""
    threshold = config.containment_threshold
    if score < threshold:
        return (
            f"only {score:.0%} of the smaller text's shingles are in the other (rule: containment >= {threshold:.0%})"
        )
    if shared < config.min_shared:
        return f"they share only {shared} shingles (rule: at least {config.min_shared})"
    slots = f"{conflicting} of {agreeing + conflicting} value slots (numbers, dates after the same words)"
    if is_other_event(agreeing, conflicting, config):
        return f"{score:.0%} containment, but {slots} differ: a templated story about another event (slot guard)"
    return (
        f"{score:.0%} of the smaller text's shingles are in the other (rule: containment >= {threshold:.0%}, "
        f"{shared} shared >= {config.min_shared}) and {slots} conflict (slot guard passed)"
    )


def shared_passages(text: str, other: str) -> tuple[list[Passage], float]:
    """Runs of at least MIN_PASSAGE_WORDS words both texts contain (case-folded), longest first, and their share."""
    words = [(m.group().casefold(), m.start(), m.end()) for m in _WORD.finditer(text)]
    other_words = [m.group().casefold() for m in _WORD.finditer(other)]
    matcher = difflib.SequenceMatcher(None, [w for w, _, _ in words], other_words, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size >= MIN_PASSAGE_WORDS]
    covered = sum(b.size for b in blocks)
    passages = [Passage(text[words[b.a][1] : words[b.a + b.size - 1][2]], b.size) for b in blocks]
    passages.sort(key=lambda p: -p.words)
    return passages[:MAX_PASSAGES], round(covered / len(words), 4) if words else 0.0


# --------------------------------------------------------------------------------------------------------------
# Text rendering (the CLI's default output)


def _clip(text: str, width: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _match_line(match: Match) -> str:
    status = "same event" if match.verified else "not merged"
    return (
        f"{match.other}: {status}: containment {match.similarity:.2f}, {match.shared_shingles} shared of "
        f"{match.smaller_set}, value slots {match.slots_agreeing} agree / {match.slots_conflicting} conflict"
    )


def render_text(expl: Explanation) -> str:
    """The explanation as plain text, one fact a line."""
    lines = [expl.source, f"  id {expl.id}" + "".join(f" | {v}" for v in (expl.site, expl.title) if v)]
    lines += [f"  status: {expl.status}", f"  why: {expl.summary}"]
    if expl.match is not None:
        lines.append(f"  compared with: {expl.compared_source or expl.compared_with}")
        lines.append(f"  pair: {_match_line(expl.match)}")
        lines.append(f"  recorded similarity (in the run): {expl.recorded_similarity}")
    if expl.shared:
        share = f"{expl.shared_share:.0%}" if expl.shared_share is not None else "?"
        lines.append(f"  shared passages ({share} of this document's words, longest first):")
        lines += [f"    [{p.words} words] {_clip(p.text)}" for p in expl.shared]
    if expl.members:
        lines.append("  members of the event:")
        lines += [f"    {m['id']} {m.get('source') or ''} similarity {m['similarity']}" for m in expl.members]
    if expl.nearest:
        lines.append("  nearest documents outside the event:")
        for match in expl.nearest:
            lines += [f"    {_match_line(match)}", f"      because {match.verdict}"]
    lines.append(f"  settings: {expl.settings}")
    if expl.alternative is not None:
        alt = expl.alternative
        lines.append(f"  with {alt.settings}: {alt.summary}")
        if alt.match is not None:
            lines.append(f"    pair: {_match_line(alt.match)}")
        lines += [f"    nearest: {_match_line(match)}" for match in alt.nearest]
    lines += [f"  note: {note}" for note in expl.notes]
    if expl.removed:
        lines.append(f"  clutter removed ({len(expl.removed)}):")
        lines += [f'    {r["rule"]}: "{_clip(r["text"], 100)}" ({r.get("reason", "")})' for r in expl.removed]
    elif expl.status != "rejected":
        lines.append("  clutter removed: none")
    return "\n".join(lines)
