"""Inline clutter: detect spans (lines) with a rule id, then remove them in a separate, recorded step.

Three kinds of evidence: text rules (rules.py), structure from the page's HTML (structure.py) and lines a site repeats
across its pages (templates.py, a corpus pass after extraction). Detection never edits text; `apply_spans` does, and
every removed line becomes a `Removal(text, rule, reason)` so it can be audited and overridden.

The decision is settled: text-only detection on the text a run writes finds nothing more (`detect_lines` repeats it on
the lines it keeps; `settle_text` after steps that change a text later), so `cleaner check` on a run's own output,
which sees only that text, agrees with the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from cleaner.clutter.config import RULE_FAMILIES, ClutterConfig
from cleaner.clutter.rules import (
    RULES,
    RuleSet,
    TextRule,
    compile_user_patterns,
    is_masthead,
    match_line,
    rule_set,
)
from cleaner.clutter.structure import NO_EVIDENCE, LineEvidence, PageStructure, line_key
from cleaner.clutter.templates import LINE_BLOCKS, TEMPLATE_RULE
from cleaner.clutter.templates import strip_site_templates as strip_template_lines
from cleaner.clutter.textnorm import fold
from cleaner.errors import ConfigError
from cleaner.models import Article, Removal

__all__ = [
    "HEADLINE_RULE",
    "LINE_BLOCKS",
    "RULE_IDS",
    "ClutterConfig",
    "PageStructure",
    "Span",
    "apply_spans",
    "check_config",
    "detect_lines",
    "find_clutter_lines",
    "settle_text",
    "strip_site_templates",
    "word_units",
]


# The headline line is not clutter but moves to the title field: it still counts as the article's text.
HEADLINE_RULE = "structure.headline"
# Structural rules (HTML evidence) and the corpus rule; with the text rules, every id `disabled_rules` accepts.
STRUCTURE_RULE_IDS = (
    HEADLINE_RULE,
    "structure.link_only",
    "structure.tail_outside_body",
    "structure.edge_container",
    "structure.promo_container",
    "structure.link_list",
)
RULE_IDS: tuple[str, ...] = (*dict.fromkeys(rule.id for rule in RULES), *STRUCTURE_RULE_IDS, TEMPLATE_RULE)


@dataclass(frozen=True, slots=True)
class Span:
    """One line of extracted text found to be clutter: its index, the rule that fired and the evidence."""

    line: int
    rule: str
    reason: str


def detect_lines(
    lines: Sequence[str],
    config: ClutterConfig,
    structure: PageStructure | None = None,
    keys: Sequence[str] | None = None,
) -> list[Span]:
    """Spans for the clutter lines among `lines` (the paragraphs of one article), in line order.

    Without `structure` only text rules run (plain text); with it, the page's markup adds evidence. Either way the
    result is settled: text-only detection on the lines it keeps finds nothing (see `_settle`). `keys`, when the
    caller has them, are the lines' `line_key`s.
    """
    if not config.enabled or not lines:
        return []
    rules = _active_rules(config)
    sizes = [word_units(line) for line in lines]
    tried_at_edge: set[int] = set()
    spans = _detect_once(lines, sizes, config, structure, rules, tried_at_edge, keys)
    return spans if rules is None else _settle(lines, sizes, rules, spans, tried_at_edge)


def _detect_once(
    lines: Sequence[str],
    sizes: list[int],
    config: ClutterConfig,
    structure: PageStructure | None,
    rules: RuleSet | None,
    tried_at_edge: set[int],
    keys: Sequence[str] | None = None,
) -> list[Span]:
    """One pass over the lines as the page gave them; adds to `tried_at_edge` the lines text rules were tried on in
    the lead or the tail (or that are too long for any rule)."""
    evidence = [NO_EVIDENCE] * len(lines)
    use_structure = structure is not None and "structure" in config.families
    if structure is not None and use_structure:
        keys = keys if keys is not None else [line_key(line) for line in lines]
        structure.locate_body_keys(keys, sizes)
        # long lines are never removed on structural evidence and count as prose: skip their lookups
        evidence = [
            structure.evidence_for_key(key) if size <= CONTAINER_MAX_WORDS else NO_EVIDENCE
            for key, size in zip(keys, sizes, strict=True)
        ]
    page = _Page(lines, sizes, evidence)
    text_spans: dict[int, Span] = {}
    if rules is not None:
        for index, line in enumerate(lines):
            if sizes[index] > rules.max_words:  # fold only lines some rule could match
                tried_at_edge.add(index)
                continue
            edge = page.at_edge(index)
            if edge:
                tried_at_edge.add(index)
            rule = match_line(line, fold(line), sizes[index], rules, edge)
            if rule is not None:
                text_spans[index] = Span(index, rule.id, rule.reason)
    if structure is None or not use_structure:
        return list(text_spans.values())
    page.text_clutter = frozenset(text_spans)  # structural evidence looks past these to the story's own lines
    spans: list[Span] = []
    for index in range(len(lines)):
        span = text_spans.get(index) or _structural_span(index, page, structure, config.disabled_rules)
        if span is not None:
            spans.append(span)
    return spans


def _settle(
    lines: Sequence[str], sizes: list[int], rules: RuleSet, spans: list[Span], tried_at_edge: set[int]
) -> list[Span]:
    """`spans` plus what text-only detection finds on the kept lines, repeated until it finds nothing more.

    Why: a removal changes the context of the lines around it. The line under a removed disclaimer becomes the
    lead, a date under a removed teaser becomes the tail, and the page's markup (which made a link-only line "not
    a real paragraph") is gone from the written text. Text-only detection on that text, which is what `cleaner
    check` runs, would flag lines a single pass kept (9 on the WCXB dev articles). A kept line's text can only
    match anew when it moves into the lead or the tail (EDGE rules; with edge=False a rule set matches a subset of
    what it matches with edge=True), so only those lines are tried again: the loop costs one prose scan per pass.
    """
    removed = {span.line for span in spans}
    settled = list(spans)
    while True:
        kept = [index for index in range(len(lines)) if index not in removed]
        page = _Page([lines[i] for i in kept], [sizes[i] for i in kept], [NO_EVIDENCE] * len(kept))
        found: list[Span] = []
        for position, index in enumerate(kept):
            if index in tried_at_edge or not page.at_edge(position):
                continue
            tried_at_edge.add(index)
            rule = match_line(lines[index], fold(lines[index]), sizes[index], rules, True)
            if rule is not None:
                found.append(Span(index, rule.id, rule.reason))
        if not found:
            return sorted(settled, key=lambda span: span.line)
        settled.extend(found)
        removed.update(span.line for span in found)


def apply_spans(lines: Sequence[str], spans: Sequence[Span], config: ClutterConfig) -> tuple[str, list[Removal]]:
    """The article text without the spans' lines ("\\n"-joined), and one Removal per span, in line order.

    With `config.mark_only` the text keeps every line and the removals only mark them.
    """
    removals = [Removal(lines[span.line], span.rule, span.reason) for span in spans]
    if config.mark_only:
        return "\n".join(lines), removals
    drop = {span.line for span in spans}
    return "\n".join(line for index, line in enumerate(lines) if index not in drop), removals


def find_clutter_lines(text: str, config: ClutterConfig | None = None) -> list[Removal]:
    """Text-only detection on plain text (no HTML): the residual-clutter check for datasets. It finds nothing in
    the texts a run writes, whose last clutter decision was this same one (`detect_lines`, `settle_text`)."""
    config = config or ClutterConfig()
    lines = [line.strip() for line in text.split("\n")]
    kept = [line for line in lines if line]
    return [Removal(kept[span.line], span.rule, span.reason) for span in detect_lines(kept, config)]


def settle_text(text: str, removed: Sequence[Removal], config: ClutterConfig) -> tuple[str, list[Removal]]:
    """`text` after a step outside `detect_lines` changed it (site template lines dropped, mojibake repaired), with
    the lines text-only detection now finds removed too (with `mark_only`, only recorded) and `removed` extended.

    With `mark_only` the text still holds the lines `removed` names; they are left out of the detection, as they
    would be from the text of a run that removes them.
    """
    lines = text.split("\n")
    marked = {removal.text for removal in removed} if config.mark_only else set()
    present = [i for i, line in enumerate(lines) if line.strip() and line.strip() not in marked]
    spans = detect_lines([lines[i].strip() for i in present], config)
    if not spans:
        return text, list(removed)
    found = [Removal(lines[present[span.line]].strip(), span.rule, span.reason) for span in spans]
    if not config.mark_only:
        drop = {present[span.line] for span in spans}
        text = "\n".join(line for index, line in enumerate(lines) if index not in drop)
    return text, [*removed, *found]


def strip_site_templates(articles: Sequence[Article], config: ClutterConfig, min_chars: int = 0) -> list[Article]:
    """New articles with each site's template lines removed (or only marked) and recorded as Removals (see
    `templates`; a page that would keep less than `min_chars` keeps its lines), each changed text then settled
    (`settle_text`): dropping a site's signature moves its tail up."""
    stripped = strip_template_lines(articles, config, min_chars)
    return [
        new if new.text == old.text and len(new.removed) == len(old.removed) else _settled(new, config)
        for old, new in zip(articles, stripped, strict=True)
    ]


def _settled(article: Article, config: ClutterConfig) -> Article:
    text, removed = settle_text(article.text, article.removed, config)
    return article if len(removed) == len(article.removed) else replace(article, text=text, removed=removed)


@lru_cache(maxsize=64)
def _active_rules(config: ClutterConfig) -> RuleSet | None:
    """The rule set a config runs (cached: configs are frozen, and this runs once per article)."""
    check_config(config)
    rules: list[TextRule] = []
    if "text" in config.families:
        rules.extend(rule for rule in RULES if rule.id not in config.disabled_rules)
    if config.extra_patterns:
        user = compile_user_patterns(tuple(config.extra_patterns))
        rules.extend(rule for rule in user if rule.id not in config.disabled_rules)
    return rule_set(tuple(rules)) if rules else None


def check_config(config: ClutterConfig) -> None:
    """Raise ConfigError for unknown families or rule ids, or an invalid user regex (call it before a run)."""
    _check_names(config.families, config.disabled_rules, len(config.extra_patterns))
    if config.extra_patterns:
        compile_user_patterns(tuple(config.extra_patterns))
    if config.template_min_pages < 2 or not 0.0 < config.template_min_share <= 1.0:
        raise ConfigError(
            "clutter.template_min_pages must be >= 2 and clutter.template_min_share in (0, 1], got "
            f"{config.template_min_pages} and {config.template_min_share}"
        )


@lru_cache(maxsize=64)
def _check_names(families: frozenset[str], disabled: frozenset[str], user_rules: int) -> None:
    """A misspelt family or rule id would silently do nothing: refuse it and list the valid names."""
    unknown_families = families - set(RULE_FAMILIES)
    if unknown_families:
        raise ConfigError(f"clutter.families: unknown {sorted(unknown_families)}; known: {', '.join(RULE_FAMILIES)}")
    known = {*RULE_IDS, *(f"user.{n}" for n in range(1, user_rules + 1))}
    unknown_rules = disabled - known
    if unknown_rules:
        raise ConfigError(f"clutter.disabled_rules: unknown {sorted(unknown_rules)}; known: {', '.join(sorted(known))}")


# Calibration (on the dev halves of the benchmarks, by kind of line, never by page):
REAL_PARAGRAPH_WORDS = 20  # a line this long and not mostly link text is article prose...
SENTENCE_WORDS = 10  # ...and so is a shorter one that ends like a sentence (tabloids write one-sentence paragraphs)
_SENTENCE_END = frozenset('.!?"”’»)…')
TEASER_MAX_WORDS = 30  # a teaser headline is short
TEASER_MIN_WORDS = 3
CONTAINER_MAX_WORDS = 40
TAIL_MAX_WORDS = 12
MIN_CARD_RUN = 3  # teaser cards come as a list: a lone linked list item after the story may be its own
WEAK_MAX_WORDS = 8
# A headline alone in its own paragraph mid-body: headline-length, and only one or two per article (sites drop a
# teaser or two into the text; a page with more such lines is a listicle whose item names link to reviews).
LONE_TEASER_MIN_WORDS = 5
LONE_TEASER_MAX_WORDS = 20
LONE_TEASERS_PER_PAGE = 2
_HEADLINE_END_STRIP = "\"”’»)]'"
_NOT_HEADLINE_END = frozenset(".!;:,…")


def _prose(line: str, size: int) -> bool:
    return size >= REAL_PARAGRAPH_WORDS or (size >= SENTENCE_WORDS and line.rstrip()[-1:] in _SENTENCE_END)


def word_units(line: str) -> int:
    """Words, with unspaced scripts (CJK, Thai) counted as one word per ten characters."""
    return max(len(line.split()), len(line) // 10)


class _Page:
    """Per-article context: which lines are real paragraphs, where the body starts and ends."""

    __slots__ = (
        "_lone_links",
        "core_first",
        "core_last",
        "evidence",
        "first",
        "last",
        "lines",
        "real",
        "sizes",
        "text_clutter",
    )

    def __init__(self, lines: Sequence[str], sizes: list[int], evidence: list[LineEvidence]) -> None:
        self.lines = lines
        self.sizes = sizes
        self.evidence = evidence
        # prose outside the located body (a menu's descriptions, an author box) is not where the story starts or
        # ends: the lead and the tail are where the page's markup puts them, not only where long lines are
        self.real = [
            _prose(line, size) and not ev.link_only and ev.link_share < 0.5 and not ev.outside_body
            for line, size, ev in zip(lines, sizes, evidence, strict=True)
        ]
        real_indices = [index for index, real in enumerate(self.real) if real]
        self.first = real_indices[0] if real_indices else len(lines)
        self.last = real_indices[-1] if real_indices else -1
        # the story's own blocks by DOM position: children of the body's densest paragraph cluster
        core = [index for index, ev in enumerate(evidence) if ev.in_core and not ev.link_only]
        self.core_first = core[0] if core else len(lines)
        self.core_last = core[-1] if core else -1
        self._lone_links: int | None = None
        self.text_clutter: frozenset[int] = frozenset()  # lines a text rule removes

    def at_edge(self, index: int) -> bool:
        """In the lead or the tail: up to the first real paragraph or from the last one on (a long author blurb is
        itself the first or the last paragraph)."""
        return index <= self.first or index >= self.last

    def in_tail(self, index: int) -> bool:
        """After the last real paragraph (a text without one has no tail)."""
        return index > self.last >= 0

    def teaser_like(self, index: int) -> bool:
        if not 0 <= index < len(self.lines):
            return False
        ev = self.evidence[index]
        return ev.teaser_link and ev.link_only

    def card_like(self, index: int) -> bool:
        """A list item outside the body whose leading link goes to another article of this site: a teaser card
        (headline and blurb), whatever its length."""
        if not 0 <= index < len(self.lines):
            return False
        ev = self.evidence[index]
        return ev.in_list and ev.outside_body and ev.teaser_link

    def card_run(self, index: int) -> int:
        """How many consecutive card-like lines the line's run holds (0 when the line is not card-like)."""
        if not self.card_like(index):
            return 0
        first, last = index, index
        while self.card_like(first - 1):
            first -= 1
        while self.card_like(last + 1):
            last += 1
        return last - first + 1

    def in_run(self, index: int) -> bool:
        return self.teaser_like(index - 1) or self.teaser_like(index + 1)

    def followed_by_prose(self, index: int) -> bool:
        return index + 1 < len(self.lines) and self.real[index + 1]

    def in_middle(self, index: int) -> bool:
        """Between the article's first and last real paragraphs."""
        return not self.at_edge(index)

    def lone_links(self) -> int:
        """How many mid-body lines are a link to another article of the site alone in a paragraph (counted once)."""
        if self._lone_links is None:
            self._lone_links = sum(
                1
                for index, ev in enumerate(self.evidence)
                if ev.sole_paragraph_link and ev.teaser_link and self.in_middle(index)
            )
        return self._lone_links

    def between_paragraphs(self, index: int) -> bool:
        """The nearest lines before and after that are not text-rule clutter (an ad marker between a teaser and
        the story) are both real paragraphs: not a heading, a list or another link next to it."""
        return self._real_neighbour(index, -1) and self._real_neighbour(index, 1)

    def _real_neighbour(self, index: int, step: int) -> bool:
        index = self._neighbour(index, step)
        return 0 <= index < len(self.lines) and self.real[index]

    def _neighbour(self, index: int, step: int) -> int:
        index += step
        while 0 <= index < len(self.lines) and index in self.text_clutter:
            index += step
        return index

    def among_story_blocks(self, index: int) -> bool:
        """The line's block sits among the story's own blocks in the page: a child of the body's densest paragraph
        cluster, with the cluster's text lines right before and after it (short paragraphs count: a results table
        set as one line per paragraph has no long ones)."""
        if not (self.evidence[index].in_core and min(self.first, self.core_first) < index):
            return False
        if index >= max(self.last, self.core_last):
            return False
        return self._story_block(self._neighbour(index, -1)) and self._story_block(self._neighbour(index, 1))

    def _story_block(self, index: int) -> bool:
        """A paragraph of the story: a real one, or a short one of the core that is not a heading or a link."""
        if not 0 <= index < len(self.lines):
            return False
        ev = self.evidence[index]
        return self.real[index] or (ev.in_core and not ev.heading and not ev.link_only and ev.link_share < 0.5)


def _placed_like_teaser(index: int, page: _Page, line: str, ev: LineEvidence) -> bool:
    """Where a whole-line link to another article of the site is a teaser rather than a linked heading or a list
    of the article's own references: shouted in capitals, inside a promo container, or outside a list in a run of
    such lines (not introducing a paragraph) or after the last paragraph."""
    if line.isupper() or ev.containers:
        return True
    if ev.in_list:
        return False
    return (page.in_run(index) and not page.followed_by_prose(index)) or page.in_tail(index)


def _lone_teaser(index: int, page: _Page, line: str, size: int, ev: LineEvidence) -> bool:
    """A paragraph that is nothing but a headline linking to another article of the site, set between two of the
    story's paragraphs (long ones, or the short blocks of the body's core around it in the page, as in a results
    table set one line per paragraph): an inline "related" teaser. Guards for real content that is a link: a list
    item or a link next to a heading, another link or a list (references, resources, a table of contents, "More
    posts:"), a link the previous line announces, a link to a section (#fragment), a line ending like a sentence or
    a clause, and a page with many such lines (a listicle's linked item names)."""
    if not (ev.sole_paragraph_link and not ev.in_list and not ev.outside_body):
        return False
    if not LONE_TEASER_MIN_WORDS <= size <= LONE_TEASER_MAX_WORDS or not _headline_like(index, page, line, ev):
        return False
    placed = (page.in_middle(index) and page.between_paragraphs(index)) or page.among_story_blocks(index)
    return placed and page.lone_links() <= LONE_TEASERS_PER_PAGE


def _headline_like(index: int, page: _Page, line: str, ev: LineEvidence) -> bool:
    """Ends like a headline (not a sentence or a clause), is not a link to a section of this page, and the line
    before does not announce it ("...the full ruling is here:")."""
    if "#" in (ev.href or "") or line.rstrip().rstrip(_HEADLINE_END_STRIP)[-1:] in _NOT_HEADLINE_END:
        return False
    return index == 0 or not page.lines[index - 1].rstrip().endswith(":")


def _labelled_teaser(index: int, page: _Page, line: str, size: int, ev: LineEvidence) -> bool:
    """A short label and then one link to another article of the site, the whole paragraph ("TRENDING | <a>",
    "MUST READ | <a>", in any wording): an inline teaser wherever it sits in the story or after it; a list item
    of such lines is a list of the article's own references and stays."""
    if not (ev.labelled_link and ev.teaser_link and not ev.in_list and not ev.outside_body):
        return False
    if not TEASER_MIN_WORDS <= size <= TEASER_MAX_WORDS or not _headline_like(index, page, line, ev):
        return False
    return page.in_middle(index) or page.in_tail(index) or page.among_story_blocks(index)


def _headline_row(line: str, structure: PageStructure) -> bool:
    """Old hand-made pages lay out the headline and its date in one table row, which trafilatura renders as
    "| Headline | January 22nd, 2019 |": a headline cell, every other cell a masthead (date, byline)."""
    if not (line.startswith("|") and line.endswith("|")):
        return False
    cells = [cell.strip() for cell in line.strip("|").split("|") if cell.strip()]
    headline = [structure.is_headline(cell) for cell in cells]
    return any(headline) and all(is_title or is_masthead(cell) for cell, is_title in zip(cells, headline, strict=True))


def _structural_span(index: int, page: _Page, structure: PageStructure, disabled: frozenset[str]) -> Span | None:
    line, size, ev = page.lines[index], page.sizes[index], page.evidence[index]
    if index < 3 and HEADLINE_RULE not in disabled:
        if structure.is_headline(line):
            return Span(index, HEADLINE_RULE, "repeats the article's headline (kept in the title field)")
        if _headline_row(line, structure):
            return Span(index, HEADLINE_RULE, "a layout-table row of the headline and its date or byline")
    if not ev.matched:
        return None
    if page.last < 0 and ev.link_only and size <= TEASER_MAX_WORDS and "structure.link_list" not in disabled:
        # not one sentence-like paragraph in the whole text: a section index, a soft 404's "popular stories", a
        # menu trafilatura fell back to; its whole-line links are navigation, and when nothing else is left the
        # document is rejected as empty
        return Span(index, "structure.link_list", f"link in a text without a paragraph: the line links to {ev.href}")
    if (
        ev.link_only
        and ev.teaser_link
        and TEASER_MIN_WORDS <= size <= TEASER_MAX_WORDS
        and "structure.link_only" not in disabled
    ):
        if _placed_like_teaser(index, page, line, ev):
            return Span(index, "structure.link_only", f"teaser headline: the whole line links to {ev.href}")
        if _lone_teaser(index, page, line, size, ev):
            return Span(
                index, "structure.link_only", f"teaser headline alone in a paragraph mid-body: links to {ev.href}"
            )
    if ev.labelled_link and "structure.link_only" not in disabled and _labelled_teaser(index, page, line, size, ev):
        return Span(index, "structure.link_only", f"labelled teaser: a short label, then a link to {ev.href}")
    if ev.outside_body and page.in_tail(index) and "structure.tail_outside_body" not in disabled:
        if size <= TAIL_MAX_WORDS:
            return Span(
                index, "structure.tail_outside_body", "short line after the article's last paragraph, outside its body"
            )
        if size <= CONTAINER_MAX_WORDS and page.card_run(index) >= MIN_CARD_RUN:
            return Span(
                index,
                "structure.tail_outside_body",
                f"teaser card after the article, outside its body: a list of headlines with blurbs; links to {ev.href}",
            )
    if (
        ev.weak_container
        and page.at_edge(index)
        and size <= WEAK_MAX_WORDS
        and "structure.edge_container" not in disabled
    ):
        return Span(index, "structure.edge_container", f"short line in the lead or tail inside {ev.weak_container}")
    if ev.containers and size <= CONTAINER_MAX_WORDS and "structure.promo_container" not in disabled:
        return Span(index, "structure.promo_container", f"sat in a promo container ({ev.containers[0]})")
    return None
