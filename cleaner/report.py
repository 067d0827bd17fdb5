"""OUTDIR/report.html: one static, self-contained page about a run, read back from its output files.

Summary counts, the largest events with their sources, a side-by-side diff of a duplicate against the copy its
event keeps, removed clutter grouped by rule and by site, and the rejected inputs. No script, no external fetch:
styles are inline and a Content-Security-Policy forbids everything else, so even a missed escape could not run
code. Every string that comes from a document goes through `html.escape`; links are written only for http(s) URLs.
"""

from __future__ import annotations

import difflib
import html
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cleaner.io.writers import atomic_path
from cleaner.models import Removal
from cleaner.outputs.files import RunOutputs, load_outputs
from cleaner.outputs.records import (
    ClusterLine,
    DocumentLine,
    MemberLine,
    MergedLine,
    RepresentativeLine,
    SourceLine,
    UpdateLine,
)

TOP_EVENTS = 10
DIFFS = 3
EXAMPLES = 3
MAX_REJECTED = 200
_TOKEN = re.compile(r"\S+\s*|\s+")

CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --accent: #0969da;
  --gone: #ffebe9; --gone-ink: #82071e; --added: #dafbe1; --added-ink: #116329; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; } h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); font-size: 20px; }
h3 { margin: 20px 0 6px; font-size: 16px; } .muted { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: var(--soft); }
.card b { display: block; font-size: 26px; } .card span { color: var(--muted); font-size: 13px; }
table { width: 100%; border-collapse: collapse; margin: 6px 0 14px; font-size: 14px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; } td.num, th.num { text-align: right; white-space: nowrap; }
.event { border: 1px solid var(--line); border-radius: 8px; padding: 4px 16px 8px; margin: 14px 0; }
.tag { display: inline-block; margin: 1px 0; padding: 0 7px; border-radius: 10px; font-size: 12px; white-space: nowrap;
  background: var(--soft); border: 1px solid var(--line); }
.tag.kept { background: var(--added); border-color: #aceebb; }
code, .id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
.sbs { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.sbs > div { border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.sbs h4 { margin: 0; padding: 6px 10px; background: var(--soft); border-bottom: 1px solid var(--line);
  font-size: 13px; } .text { padding: 8px 10px; white-space: pre-wrap; font-size: 13.5px; }
del { background: var(--gone); color: var(--gone-ink); text-decoration: none; }
ins { background: var(--added); color: var(--added-ink); text-decoration: none; }
.legend del, .legend ins { padding: 0 4px; } footer { margin: 40px auto 24px; font-size: 13px; }
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def esc(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute (None is empty)."""
    return html.escape("" if value is None else str(value), quote=True)


def link(url: str | None, label: str | None = None) -> str:
    """An <a> only for http(s) URLs (never javascript: or data:), else the escaped text."""
    text = esc(label if label is not None else url)
    if url and urlsplit(url).scheme.lower() in ("http", "https"):
        return f'<a href="{esc(url)}" rel="noreferrer noopener">{text}</a>'
    return text


# --------------------------------------------------------------------------------------------------------------
# What the page shows, gathered from the output files


@dataclass(slots=True)
class _Meta:
    """What the page shows of one document, from whichever record names it (documents, sources, updates)."""

    id: str
    source: str | None = None
    url: str | None = None
    site: str | None = None
    title: str | None = None
    published: str | None = None


def _meta(line: SourceLine | DocumentLine | RepresentativeLine) -> _Meta:
    source = line.source if isinstance(line, DocumentLine | RepresentativeLine) else None
    return _Meta(line.id, source, line.url, line.site, line.title, line.published)


class _Run:
    """Lookups over a run's outputs: each document's metadata, text and status, and each event's sources."""

    def __init__(self, outputs: RunOutputs) -> None:
        self.outputs = outputs
        self.status = {e.id: e for e in outputs.manifest}
        events = {c.cluster for c in outputs.clusters}
        # a stale updates file (an earlier run into the same folder) must not leak into this run's page
        self.updates = [u for u in outputs.updates if u.event in events or u.merged_into in events]
        self.meta: dict[str, _Meta] = {}
        self.text: dict[str, str] = {}
        for update in self.updates:
            if isinstance(update, UpdateLine):
                for source in update.sources:
                    self.meta.setdefault(source.id, _meta(source))
                if update.representative.text:
                    self.text[update.representative.id] = update.representative.text
        for article in outputs.articles:
            for source in article.sources:
                self.meta.setdefault(source.id, _meta(source))
        for doc in outputs.documents:  # a document of this run: its own record says it all
            self.meta[doc.id] = _meta(doc)
            if doc.text:
                self.text[doc.id] = doc.text

    def about(self, doc_id: str) -> _Meta:
        return self.meta.get(doc_id) or _Meta(doc_id)

    def label(self, doc_id: str) -> str:
        meta = self.about(doc_id)
        return meta.site or meta.source or doc_id

    def largest(self) -> list[ClusterLine]:
        return sorted(self.outputs.clusters, key=lambda c: (-c.size, c.cluster))[:TOP_EVENTS]


def _counts(run: _Run) -> list[tuple[str, int]]:
    statuses = Counter(e.status for e in run.outputs.manifest)
    removed = sum(len(d.removed) for d in run.outputs.documents)
    return [
        ("documents", len(run.outputs.manifest)),
        ("kept", statuses["kept"]),
        ("duplicates", statuses["duplicate"]),
        ("rejected", statuses["rejected"]),
        ("events", len(run.outputs.clusters)),
        ("clutter spans removed", removed),
    ]


# --------------------------------------------------------------------------------------------------------------
# Sections


def _summary(run: _Run) -> str:
    cards = "".join(f'<div class="card"><b>{n}</b><span>{esc(name)}</span></div>' for name, n in _counts(run))
    reasons = Counter((e.reason or "unknown").split(":")[0] for e in run.outputs.manifest if e.status == "rejected")
    rows = "".join(f"<tr><td>{esc(r)}</td><td class='num'>{n}</td></tr>" for r, n in sorted(reasons.items()))
    table = f"<h3>Rejections by reason</h3><table><tr><th>reason</th><th class='num'>documents</th></tr>{rows}</table>"
    return f'<section id="summary"><h2>Summary</h2><div class="cards">{cards}</div>{table if rows else ""}</section>'


def _source_row(run: _Run, member: MemberLine, kept: str) -> str:
    meta = run.about(member.id)
    entry = run.status.get(member.id)
    status: str = "kept" if member.id == kept else (entry.status if entry else "")
    status = f"{status}, earlier run" if entry is None and status else (status or "earlier run")
    tag = f'<span class="tag{" kept" if member.id == kept else ""}">{esc(status)}</span>'
    title = link(meta.url, meta.title or meta.url or member.id)
    cells = [
        esc(meta.site or ""),
        title,
        esc(meta.published or ""),
        f"{member.similarity:.3f}",
        tag,
        f'<span class="id">{esc(member.id)}</span>',
    ]
    return "<tr>" + "".join(f"<td{' class=num' if i == 3 else ''}>{c}</td>" for i, c in enumerate(cells)) + "</tr>"


def _events(run: _Run) -> str:
    parts = ['<section id="events"><h2>Largest events</h2>']
    if not run.outputs.clusters:
        parts.append('<p class="muted">No events.</p>')
    for cluster in run.largest():
        kept = cluster.kept
        head = f"<h3>{esc(run.about(kept).title or kept)}</h3>"
        origin = f" · credits {esc(cluster.origin)}" if cluster.origin else ""
        info = (
            f'<p class="muted">event <span class="id">{esc(cluster.cluster)}</span> · {cluster.size} '
            f"source{'s' if cluster.size != 1 else ''} · kept copy from {esc(run.label(kept))}{origin}</p>"
        )
        header = "<tr><th>site</th><th>title</th><th>published</th><th class='num'>similarity</th><th>status</th>"
        members = sorted(cluster.members, key=lambda m: (m.id != kept, -m.similarity, m.id))
        rows = "".join(_source_row(run, m, kept) for m in members)
        parts.append(
            f'<article class="event" data-event="{esc(cluster.cluster)}" data-size="{cluster.size}">'
            f"{head}{info}<table>{header}<th>id</th></tr>{rows}</table></article>"
        )
    parts.append("</section>")
    return "".join(parts)


def side_by_side(left: str, right: str) -> tuple[str, str]:
    """Escaped HTML of two texts, words only in the left marked <del>, words only in the right marked <ins>."""
    a, b = _TOKEN.findall(left), _TOKEN.findall(right)
    matcher = difflib.SequenceMatcher(None, [t.strip() for t in a], [t.strip() for t in b], autojunk=False)
    out_a: list[str] = []
    out_b: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = esc("".join(a[i1:i2])), esc("".join(b[j1:j2]))
        if op == "equal":
            out_a.append(old)
            out_b.append(new)
            continue
        if i2 > i1:
            out_a.append(f"<del>{old}</del>")
        if j2 > j1:
            out_b.append(f"<ins>{new}</ins>")
    return "".join(out_a), "".join(out_b)


def _diff_pairs(run: _Run) -> list[tuple[ClusterLine, str, MemberLine]]:
    """(cluster, kept id, duplicate): in the largest events, the duplicate least similar to its kept copy."""
    pairs = []
    for cluster in run.largest():
        kept = cluster.kept
        others = [m for m in cluster.members if m.id != kept and m.id in run.text]
        if kept in run.text and others:
            pairs.append((cluster, kept, min(others, key=lambda m: (m.similarity, m.id))))
    return pairs[:DIFFS]


def _diffs(run: _Run) -> str:
    parts = ['<section id="diff"><h2>Duplicate vs kept copy</h2>']
    pairs = _diff_pairs(run)
    if not pairs:
        parts.append('<p class="muted">No event with a duplicate whose text is in this run.</p>')
    else:
        parts.append(
            '<p class="legend muted">Words only in the kept copy: <del>like this</del>; only in the duplicate: '
            "<ins>like this</ins>. Shown: in each of the largest events, the duplicate least similar to the kept "
            "copy.</p>"
        )
    for cluster, kept, dup in pairs:
        left, right = side_by_side(run.text[kept], run.text[dup.id])
        title = run.about(kept).title or kept
        parts.append(
            f'<h3>{esc(title)}</h3><p class="muted">similarity {dup.similarity:.3f} · event '
            f'<span class="id">{esc(cluster.cluster)}</span></p><div class="sbs" data-kept="{esc(kept)}" '
            f'data-duplicate="{esc(dup.id)}"><div><h4>kept: {esc(run.label(kept))}</h4><div class="text">{left}</div>'
            f'</div><div><h4>duplicate: {esc(run.label(dup.id))}</h4><div class="text">{right}</div></div></div>'
        )
    parts.append("</section>")
    return "".join(parts)


def _removals(run: _Run) -> list[tuple[str, Removal]]:
    """(site, removal) for every span removed from this run's documents."""
    return [(doc.site or "(no site)", removal) for doc in run.outputs.documents for removal in doc.removed]


def _by_rule(removals: Sequence[tuple[str, Removal]]) -> str:
    counts: Counter[str] = Counter()
    sites: dict[str, set[str]] = defaultdict(set)
    texts: dict[str, Counter[str]] = defaultdict(Counter)
    reasons: dict[str, str] = {}
    for site, removal in removals:
        rule = removal.rule or "?"
        counts[rule] += 1
        sites[rule].add(site)
        texts[rule][removal.text] += 1
        reasons.setdefault(rule, removal.reason)
    rows = []
    for rule, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        examples = "<br>".join(f"{esc(_clip(t))} <span class='muted'>×{c}</span>" for t, c in _top(texts[rule]))
        rows.append(
            f"<tr><td><code>{esc(rule)}</code><br><span class='muted'>{esc(reasons[rule])}</span></td>"
            f"<td class='num'>{n}</td><td class='num'>{len(sites[rule])}</td><td>{examples}</td></tr>"
        )
    header = "<tr><th>rule</th><th class='num'>spans</th><th class='num'>sites</th><th>most frequent spans</th></tr>"
    return f"<h3>By rule</h3><table id='clutter-by-rule'>{header}{''.join(rows)}</table>"


def _by_site(removals: Sequence[tuple[str, Removal]]) -> str:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for site, removal in removals:
        table[site][removal.rule or "?"] += 1
    rows = []
    for site in sorted(table, key=lambda s: (-sum(table[s].values()), s)):
        rules = sorted(table[site].items(), key=lambda item: (-item[1], item[0]))
        chips = " ".join(f'<span class="tag"><code>{esc(rule)}</code> ×{n}</span>' for rule, n in rules)
        rows.append(f"<tr><td>{esc(site)}</td><td class='num'>{sum(table[site].values())}</td><td>{chips}</td></tr>")
    header = "<tr><th>site</th><th class='num'>spans</th><th>rules</th></tr>"
    return f"<h3>By site</h3><table id='clutter-by-site'>{header}{''.join(rows)}</table>"


def _clutter(run: _Run) -> str:
    removals = _removals(run)
    if not removals:
        return '<section id="clutter"><h2>Removed clutter</h2><p class="muted">Nothing was removed.</p></section>'
    return f'<section id="clutter"><h2>Removed clutter</h2>{_by_rule(removals)}{_by_site(removals)}</section>'


def _rejected(run: _Run) -> str:
    # by source: the table reads like a file listing, the same whatever order the inputs were given in
    rejected = sorted((e for e in run.outputs.manifest if e.status == "rejected"), key=lambda e: (e.source, e.id))
    if not rejected:
        return ""
    rows = "".join(
        f"<tr><td><code>{esc(e.source)}</code></td><td>{esc(e.reason)}</td></tr>" for e in rejected[:MAX_REJECTED]
    )
    more = f"<p class='muted'>… and {len(rejected) - MAX_REJECTED} more (see the manifest).</p>"
    return (
        f'<section id="rejected"><h2>Rejected inputs</h2><table><tr><th>source</th><th>reason</th></tr>{rows}'
        f"</table>{more if len(rejected) > MAX_REJECTED else ''}</section>"
    )


def _updates(run: _Run) -> str:
    if not run.updates:
        return ""
    rows = []
    for update in run.updates:
        if isinstance(update, MergedLine):
            change = f"merged into <span class='id'>{esc(update.merged_into)}</span>"
        else:
            change = f"{len(update.added)} new sources, {update.size} in all"
            if update.previous_kept and update.previous_kept != update.kept:
                change += f"; new kept copy from {esc(run.label(update.kept))}"
        rows.append(f"<tr><td><span class='id'>{esc(update.event)}</span></td><td>{change}</td></tr>")
    return (
        '<section id="updates"><h2>Earlier events extended by this run</h2>'
        f"<table><tr><th>event</th><th>change</th></tr>{''.join(rows)}</table></section>"
    )


def _settings(run: _Run) -> str:
    """The settings and versions the run recorded in run.json (no timings: the page stays deterministic)."""
    info = run.outputs.info
    if info is None:
        return ""
    dedup, clutter, extract = info.config["dedup"], info.config["clutter"], info.config["extract"]
    rows = [
        ("command", f"cleaner {info.command} (engine {info.engine})"),
        ("versions", ", ".join(f"{name} {value}" for name, value in info.versions.items())),
        (
            "dedup",
            f"containment >= {dedup['containment_threshold']}, at least {dedup['min_shared']} shared shingles, "
            f"{dedup['shingle_size']}-character shingles, representative: {dedup['representative']}",
        ),
        (
            "clutter",
            "off"
            if not clutter["enabled"]
            else f"families {', '.join(clutter['families'])}"
            + (f"; disabled rules {', '.join(clutter['disabled_rules'])}" if clutter["disabled_rules"] else "")
            + ("; mark only" if clutter["mark_only"] else ""),
        ),
        ("extraction", ", ".join(f"{name} {value}" for name, value in extract.items())),
        ("trafilatura accelerators", _accelerators(info.accelerators)),
    ]
    body = "".join(f"<tr><th>{esc(name)}</th><td>{esc(value)}</td></tr>" for name, value in rows)
    return (
        '<section id="settings"><h2>Settings of this run</h2><p class="muted">As recorded in run.json, which '
        f"<code>cleaner explain</code> also reads.</p><table>{body}</table></section>"
    )


def _accelerators(status: dict[str, Any]) -> str:
    """Which speed-ups below trafilatura's public API ran, as run.json recorded them (see extract/accel/guard)."""
    if not status:
        return "not recorded"
    states = status.get("accelerators") or {}
    active = [name for name, state in states.items() if state.get("active")]
    inactive = [f"{name} ({state.get('reason')})" for name, state in states.items() if not state.get("active")]
    parts = [f"mode {status.get('mode')}", f"active: {', '.join(active) or 'none'}"]
    if inactive:
        parts.append(f"off: {'; '.join(inactive)}")
    return "; ".join(parts)


def _clip(text: str, width: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _top(counter: Counter[str]) -> Iterable[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:EXAMPLES]


# --------------------------------------------------------------------------------------------------------------
# The page


def render_report(outputs: RunOutputs, title: str | None = None) -> str:
    """The whole page as one string (deterministic: no timestamps)."""
    run = _Run(outputs)
    heading = title or "cleaner run report"
    sections = [_summary(run), _events(run), _diffs(run), _clutter(run), _updates(run), _rejected(run), _settings(run)]
    body = "".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(heading)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{esc(heading)}</h1></header>"
        f'<main>{body}</main><footer class="muted">Written by cleaner from the files in this folder: '
        "manifest, documents, clusters, articles (and updates for --index runs), run.json.</footer></body></html>\n"
    )


def write_report(out_dir: str | Path, title: str | None = None, outputs: RunOutputs | None = None) -> Path:
    """Write OUTDIR/report.html (atomically) from the run's output files; returns its path.

    `outputs`: the records a run has just written there, to spare reading them back (the same page either way).
    """
    outputs = outputs if outputs is not None else load_outputs(out_dir)
    path = Path(out_dir) / "report.html"
    with atomic_path(path) as temporary:
        # a file name that is not UTF-8 arrives as lone surrogates: shown escaped rather than failing the run
        temporary.write_bytes(render_report(outputs, title).encode("utf-8", "backslashreplace"))
        os.chmod(temporary, 0o644)  # a page to open and share, not a private temporary file (mkstemp: 0600)
    return path
