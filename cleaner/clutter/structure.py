"""Structural evidence from the original HTML tree for lines of extracted text.

Extracted lines are matched back to the page by their whitespace-free text: small block elements (p, li, h*, ...)
and link texts are indexed once per page, reading at most a few hundred characters per element (no quadratic
text_content() on nested layout tables). Ancestors are read only for the few lines that are looked up.

What counts as evidence (calibrated on kinds of clutter, not on pages):
- the line is the whole text of a link, or starts with one (a teaser headline, a teaser with its blurb), and the
  link goes to another article of the same site (related-content widgets link inward; sources and shops a writer
  cites link outward) or to a fragment of this page (a table of contents); and whether that link is all its <p>
  holds (a headline set as a paragraph of its own, how sites drop a single teaser into the story);
- the line sat in a promo container: class/id/aria tokens such as related, recommended, newsletter, promo,
  outbrain, subscribe, share. Containers are only read between the line's element and the article body root (the
  deepest element holding most of the matched lines), so the body's own wrapper classes never count, and a
  container holding more than a few thousand characters is never a promo box. A candidate root whose matched lines
  are mostly whole links is a menu or a link list, never the body (error pages: trafilatura falls back to the nav);
- the line repeats the page's headline at the top of the body (the headline lives in the title field).
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

# Table cells are not indexed: trafilatura renders a table row as one "| a | b |" line, never a cell's text alone.
BLOCK_TAGS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "figcaption", "blockquote")
MAX_INDEXED_CHARS = 600  # promo lines are short; longer blocks are never looked up
MIN_LINK_CHARS = 8  # shorter link texts ("Home", "Share") would collide with headings
PROMO_CONTAINER_MAX_CHARS = 4000  # a related box is small; the article body is not
MAX_ANCESTORS = 12
BODY_SHARE = 0.6  # the body root holds at least this share of the words of the page's non-link lines
LINK_LIST_SHARE = 0.5  # ...and at most this share of its matched lines may be whole-line links
# A container holding at least this share of those words is (part of) the article, whatever its class names say:
# some CMSs put `teaser`, `cta` or `widget` on the element that wraps the story itself.
BODY_CONTAINER_SHARE = 0.5
# A parent's weight in finding the body's core counts each of its lines up to this many words: a story is several
# paragraphs side by side, an author bio or a blurb is one long block (a 40-word results table in eight lines must
# outweigh an 80-word bio).
CORE_WORDS_PER_LINE = 30
# A label before a teaser link ("TRENDING |", "More from Site:") is a few words; any longer and it is a sentence.
MAX_LABEL_CHARS = 30
# Without a page URL, the page's own host is the one most of its links go to (menus link inward), if at least this
# many do.
MIN_HOST_VOTES = 3

# Class/id/aria tokens (after splitting on punctuation and camelCase) naming promo, recirculation, newsletter, ad and
# social containers, from common CMS and widget conventions (WordPress related-posts plugins, Outbrain/Taboola,
# "inline-related", "recirc", "newsletter-signup", "social-share"). Layout words that also wrap real content
# (sidebar, widget, nav, aside, figure, rail, breadcrumb) are deliberately absent: on the benchmarks' dev halves
# they wrapped more content than clutter (Elementor's "elementor-widget" wraps whole articles; WordPress wraps
# tables in <figure>).
PROMO_TOKENS = frozenset(
    {
        "related",
        "recommended",
        "recommendation",
        "recommendations",
        "recirc",
        "recirculation",
        "promo",
        "promos",
        "promotion",
        "newsletter",
        "newsletters",
        "signup",
        "subscribe",
        "subscription",
        "teaser",
        "teasers",
        "readmore",
        "alsoread",
        "morestories",
        "outbrain",
        "taboola",
        "trending",
        "mostread",
        "mostpopular",
        "mostviewed",
        "sharing",
        "sharebar",
        "advert",
        "advertisement",
        "adslot",
        "adunit",
        "dfp",
        "sponsored",
        "upsell",
        "nativo",
        "zergnet",
        "revcontent",
        "cta",
    }
)
# Compound class names ("relatedArticleList", "newsletterSignup" once lower-cased) start with one of these.
PROMO_PREFIXES = (
    "related",
    "recommend",
    "recirc",
    "newsletter",
    "promo",
    "teaser",
    "outbrain",
    "taboola",
    "mostread",
    "mostpopular",
    "readmore",
    "alsoread",
    "morestories",
    "subscribe",
    "signup",
    "advert",
    "sponsored",
)
# Weaker evidence: layout and UI containers that hold clutter more often than not, but also, on some sites, the
# article's own first or last lines. Used only for short lines in the lead or the tail.
WEAK_TAGS = frozenset({"aside", "nav", "footer", "form", "button", "label"})
WEAK_TOKENS = frozenset(
    {
        "sidebar",
        "widget",
        "nav",
        "navigation",
        "menu",
        "rail",
        "breadcrumb",
        "breadcrumbs",
        "footer",
        "social",
        "share",
        "follow",
        "toolbar",
        "byline",
        "author",
        "bio",
        "disclaimer",
        "disclosure",
        "tags",
        "tag",
        "meta",
        "comments",
        "comment",
        "banner",
        "popup",
        "modal",
        "cookie",
        "signin",
        "login",
        "subscribe",
    }
)
_TOKEN_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")
_WHITESPACE = re.compile(r"\s+")
_LIST_MARKER = re.compile(r"^(?:[-•*]\s+)+")  # trafilatura prefixes list items with "- "
_ARTICLE_PATH = re.compile(r"/[^/]*[-_][^/]*[-_][^/]*|/\d{4,}|\.html?$|/\d{2,}/")
_NOT_WORD = re.compile(r"\W+")


def line_key(text: str) -> str:
    """Whitespace-free form: extracted text and the DOM differ in spacing and list markers, never in characters."""
    if text[:1] in _MARKER_STARTS:
        text = _LIST_MARKER.sub("", text)
    return "".join(text.split())


_MARKER_STARTS = frozenset("-•*")
_LIST_TAGS = frozenset({"li", "dd"})
UNKNOWN_MARK = "000000u"  # block_mark of a line not found in the page
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_INDEXED_TAGS = ("a", *BLOCK_TAGS)
_NOT_TEXT_TAGS = ("script", "style", "noscript", "template")


def _loose(text: str) -> str:
    return _NOT_WORD.sub(" ", text).strip().casefold()


@dataclass(frozen=True, slots=True)
class LineEvidence:
    """What the page's markup says about one extracted line."""

    matched: bool = False  # the line was found in the tree at all
    link_only: bool = False  # the whole line is one link's text
    link_share: float = 0.0  # share of the line's characters inside links
    href: str | None = None  # the whole-line link's target, else the block's first link
    other_article: bool = False  # ... goes to another article-like page
    same_site: bool = False  # ... on the same site (relative link or same registered host)
    containers: tuple[str, ...] = ()  # promo container signals between the line and the body root
    weak_container: str | None = None  # a layout/UI container (sidebar, nav, footer, author box) holds the line
    in_list: bool = False  # the line is a list item (<li>, <dd>)
    outside_body: bool = False  # the line's element is not inside the located body root
    sole_paragraph_link: bool = False  # the whole-line link is all a <p> holds (a paragraph of its own)
    labelled_link: bool = False  # the line is a short label ("TRENDING |") and then one link, nothing else
    in_core: bool = False  # the line's block is a child of the body's densest paragraph cluster
    heading: bool = False  # the line's block is a heading (h1-h6)

    @property
    def teaser_link(self) -> bool:
        """The (leading) link goes to another article of this site: what related-content widgets do."""
        return self.same_site and self.other_article


NO_EVIDENCE = LineEvidence()


class PageStructure:
    """Index of one page's short blocks and link texts, answering `evidence(line)`."""

    __slots__ = (
        "_anchors",
        "_blocks",
        "_body_chain",
        "_body_core",
        "_body_root",
        "_body_words",
        "_host",
        "_inside_body",
        "_located",
        "_page_path",
        "_paths",
        "_signals",
        "_titles",
        "_words_below",
    )

    def __init__(
        self,
        anchors: dict[str, HtmlElement],
        blocks: dict[str, HtmlElement],
        url: str | None,
        titles: Sequence[str] = (),
    ) -> None:
        self._anchors = anchors
        self._blocks = blocks
        self._page_path = _path(url)
        self._host: str | None = _host(url) or None  # None: not known yet (see _page_host)
        self._titles = tuple(" ".join(title.split()).casefold() for title in titles if title and title.strip())
        self._body_root: HtmlElement | None = None
        self._body_core: HtmlElement | None = None
        self._body_chain: frozenset[HtmlElement] = frozenset()  # the root and its ancestors
        self._words_below: dict[HtmlElement, int] = {}  # words of the page's non-link lines under each element
        self._body_words = 0
        self._signals: dict[HtmlElement, tuple[str | None, str | None]] = {}  # lines share their ancestors
        self._paths: dict[HtmlElement, str] = {}  # tag path per element, built from its parent's (block_mark)
        self._inside_body: dict[HtmlElement, bool] = {}  # per element: it or an ancestor is in the body chain
        self._located: tuple[tuple[str, ...], tuple[int, ...]] | None = None  # the lines the body was located for

    @classmethod
    def from_tree(cls, tree: HtmlElement, url: str | None = None, title: str | None = None) -> PageStructure:
        """One pass over links and small blocks (their text is serialised in C: even nested menus and layout
        tables cost less than a Python walk); the first element seen for a key wins. The loop runs for every
        link and block of the page, so it calls lxml directly (no helper calls, no per-element prefilter: both
        cost more than they saved)."""
        anchors: dict[str, HtmlElement] = {}
        blocks: dict[str, HtmlElement] = {}
        headings: list[str] = []
        tostring = etree.tostring
        for element in tree.iter(_INDEXED_TAGS):
            tag = element.tag
            if tag == "a" and element.get("href") is None:
                continue
            text = tostring(element, method="text", encoding=str, with_tail=False)
            key = "".join(text.split())
            if not key or len(key) >= MAX_INDEXED_CHARS:
                continue
            if tag == "a":
                if len(key) >= MIN_LINK_CHARS:
                    anchors.setdefault(key, element)
                continue
            blocks.setdefault(key, element)
            if tag == "h1" and len(headings) < 3:
                headings.append(text)
        return cls(anchors, blocks, url, _title_candidates(tree, title, headings))

    def is_headline(self, line: str) -> bool:
        """The line is the page's headline: equal to the title, an <h1>, og:title, or the <title> before its
        " | Site name" suffix."""
        text = _WHITESPACE.sub(" ", line).strip().casefold()
        loose = _loose(text)
        if not loose:
            return False
        for title in self._titles:
            if _loose(title) == loose:
                return True
            if len(text) >= 10 and title.startswith(text) and title[len(text) :].lstrip()[:1] in _TITLE_SEPARATORS:
                return True
        return False

    def locate_body(self, lines: Sequence[str]) -> None:
        """Find the article body: its densest paragraph cluster and the root holding most of its words."""
        self.locate_body_keys([line_key(line) for line in lines], [len(line.split()) for line in lines])

    def locate_body_keys(self, keys: Sequence[str], words: Sequence[int] | None = None) -> None:
        """`locate_body` for lines already turned into `line_key`s (callers that also ask for evidence), with
        each line's word count (estimated from its length when not given).

        The core is the element whose own child blocks hold the most words of non-link lines, each line counting
        CORE_WORDS_PER_LINE words at most: a story's paragraphs are siblings, while a menu's descriptions sit
        inside links and an author bio or a blurb is one block, so the core stays on the story even where
        boilerplate outweighs it. The root is the nearest ancestor-or-self of the core holding BODY_SHARE of
        those words (a story split over sibling containers).
        """
        sizes = words if words is not None else [len(key) // 5 for key in keys]
        located = (tuple(keys), tuple(sizes))
        if located == self._located:
            return  # the same lines again (the recall check located them before clutter detection)
        self._located = located
        self._body_root, self._body_core, self._body_chain = None, None, frozenset()
        self._words_below, self._body_words, self._inside_body = {}, 0, {}
        own: Counter[HtmlElement] = Counter()  # capped words of non-link lines per parent of their blocks
        per_parent: Counter[HtmlElement] = Counter()  # lines share parents: walk each parent's ancestors once
        links_per_parent: Counter[HtmlElement] = Counter()
        matched = total = 0
        for key, size in zip(keys, sizes, strict=True):
            element = self._blocks.get(key)
            if element is None:
                continue
            matched += 1
            parent = element.getparent()
            if parent is None:
                continue
            per_parent[parent] += 1
            if key in self._anchors or _inside_link(element):
                links_per_parent[parent] += 1
            else:
                own[parent] += min(size, CORE_WORDS_PER_LINE)
                total += min(size, CORE_WORDS_PER_LINE)
        if not total:
            return
        below: Counter[HtmlElement] = Counter()
        counts: Counter[HtmlElement] = Counter()
        links: Counter[HtmlElement] = Counter()
        for parent, lines_below in per_parent.items():
            for node in (parent, *parent.iterancestors()):
                below[node] += own[parent]
                counts[node] += lines_below
                links[node] += links_per_parent[parent]
        # even too few lines to place a body root say which container holds the prose (see _holds_body)
        self._words_below = dict(below)
        self._body_words = total
        if matched < 3:
            return
        core = max(own, key=own.__getitem__)  # the first of equals in line order
        root = next(node for node in (core, *core.iterancestors()) if below[node] >= BODY_SHARE * total)
        # A body whose lines are mostly whole links is a menu or a link list (what trafilatura falls back to on an
        # error page with no article): no body then, so navigation lines keep their <nav>/<footer> evidence.
        if links[root] > LINK_LIST_SHARE * counts[root]:
            return
        self._body_root = root
        self._body_core = core
        self._body_chain = frozenset([root, *root.iterancestors()])

    def body_root_chars(self) -> int:
        """Visible characters under the located body root (`visible_chars`), 0 when none is located: what the
        page's article region holds, to measure an extraction against."""
        return 0 if self._body_root is None else visible_chars(self._body_root)

    def evidence(self, line: str, short: bool = True) -> LineEvidence:
        """Evidence for one line; containers are only read for `short` lines, the only ones they can remove."""
        return self.evidence_for_key(line_key(line), short)

    def evidence_for_key(self, key: str, short: bool = True) -> LineEvidence:
        """`evidence` for a line already turned into its `line_key`."""
        anchor = self._anchors.get(key)
        if anchor is not None:
            block = self._blocks.get(key)
            sole = _sole_link_of_paragraph(anchor, block)
            element = block if sole else anchor
            return self._evidence(anchor, element, len(key), len(key), link_only=True, short=short, sole=sole)
        block = self._blocks.get(key)
        if block is None:
            return NO_EVIDENCE
        linked, first, count = _links_in(block)
        if _inside_link(block):  # a card: heading and blurb inside one link
            linked = len(key)
        labelled = count == 1 and _labelled(key, first)
        return self._evidence(first, block, linked, len(key), link_only=False, short=short, labelled=labelled)

    def block_mark(self, key: str) -> str:
        """What the site-template step needs of one output line (see `cleaner.clutter.templates.LINE_BLOCKS`): a
        hash of its block's tag path, then "k" for a block of the body's core (its densest paragraph cluster),
        "b" for another block inside the body root, "c" for page chrome (outside the body root, or mostly link
        text), "u" for a line not found in the page."""
        element = self._blocks.get(key)
        anchor = self._anchors.get(key)
        if element is None:
            element = anchor
        if element is None:
            return UNKNOWN_MARK
        linked = len(key) if anchor is not None or _inside_link(element) else _links_in(element)[0]
        outside = self._body_root is not None and not self._in_body_chain(element)
        if outside or linked >= 0.5 * len(key):
            flag = "c"
        elif self._body_core is not None and element.getparent() is self._body_core:
            flag = "k"
        else:
            flag = "b"
        return f"{zlib.crc32(self._tag_path(element).encode()) & 0xFFFFFF:06x}{flag}"

    def _in_body_chain(self, element: HtmlElement) -> bool:
        """The element or one of its ancestors is the body root or above it; remembered per element, since a
        page's lines share their ancestors (a loop, not recursion: a hostile page nests thousands deep)."""
        known, climbed = self._inside_body, []
        node: HtmlElement | None = element
        answer = False
        while node is not None:
            seen = known.get(node)
            if seen is not None:
                answer = seen
                break
            climbed.append(node)
            if node in self._body_chain:
                answer = True
                break
            node = node.getparent()
        for visited in climbed:
            known[visited] = answer
        return answer

    def _tag_path(self, element: HtmlElement) -> str:
        """The element's tag path from <html> ("html/body/div/p"): tag names only, since class names and positions
        vary between a site's pages more than its layout does. Built on the nearest ancestor's remembered path."""
        paths, climbed = self._paths, []
        node: HtmlElement | None = element
        path = ""
        while node is not None:
            known = paths.get(node)
            if known is not None:
                path = known
                break
            climbed.append(node)
            node = node.getparent()
        for visited in reversed(climbed):
            tag = visited.tag if isinstance(visited.tag, str) else "?"
            path = f"{path}/{tag}" if path else tag
            paths[visited] = path
        return path

    def _evidence(
        self,
        anchor: HtmlElement | None,
        element: HtmlElement,
        linked: int,
        key_chars: int,
        link_only: bool,
        short: bool,
        sole: bool = False,
        labelled: bool = False,
    ) -> LineEvidence:
        containers, weak, in_list, outside = self._walk(element, short)
        href = (anchor.get("href") or "") if anchor is not None else ""
        return LineEvidence(
            matched=True,
            link_only=link_only,
            link_share=min(1.0, linked / key_chars) if key_chars else 0.0,
            href=href or None,
            other_article=self._is_other_article(href),
            same_site=self._same_site(href),
            containers=containers,
            weak_container=weak,
            in_list=in_list,
            outside_body=outside,
            sole_paragraph_link=sole,
            labelled_link=labelled,
            in_core=self._body_core is not None and element.getparent() is self._body_core,
            heading=element.tag in _HEADING_TAGS,
        )

    def _walk(self, element: HtmlElement, short: bool) -> tuple[tuple[str, ...], str | None, bool, bool]:
        """One walk up from the element: promo containers and the first weak container below the body root (for
        short lines), whether it is a list item, whether it lies outside the body root. The body's own wrappers
        (the core's ancestors) and any container holding most of the page's prose are never containers."""
        found: list[str] = []
        weak: str | None = None
        in_list = False
        chain = self._body_chain
        for level, node in enumerate(_up(element)):
            if node in chain:
                return tuple(found), weak, in_list, node is not self._body_root
            if level <= 3 and node.tag in _LIST_TAGS:
                in_list = True
            if not short or level >= MAX_ANCESTORS:
                continue
            if self._holds_body(node):
                short = False  # the article itself, whatever its classes say: stop reading containers
                continue
            signals = self._signals.get(node)
            if signals is None:
                signals = self._signals[node] = _container_signals(node)
            promo, layout = signals
            if promo is not None and not found and len(_text(node)) >= PROMO_CONTAINER_MAX_CHARS:
                short = False  # too big to be a promo box: this is (part of) the article; stop reading containers
                continue
            if promo is not None:
                found.append(promo)
            if weak is None and layout is not None:
                weak = layout
        return tuple(found), weak, in_list, False

    def _holds_body(self, node: HtmlElement) -> bool:
        """The node is the body's densest paragraph cluster or holds most of the page's prose: the article itself,
        whatever its class names say."""
        if not self._body_words:
            return False
        return node is self._body_core or self._words_below.get(node, 0) >= BODY_CONTAINER_SHARE * self._body_words

    def _is_other_article(self, href: str) -> bool:
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            return False
        path = _path(href)
        if not path or path == self._page_path:
            return False
        return bool(_ARTICLE_PATH.search(path))

    def _same_site(self, href: str) -> bool:
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            return False
        host = _host(href)
        if not host:
            return True  # relative link
        page_host = self._page_host()
        return bool(page_host) and _registered(host) == _registered(page_host)

    def _page_host(self) -> str:
        """The page's host: its URL's, else (worked out once, when a link needs it) the one its links favour."""
        if self._host is None:
            self._host = _host_most_linked(self._anchors.values())
        return self._host


def _up(element: HtmlElement) -> Iterator[HtmlElement]:
    yield element
    yield from element.iterancestors()


def _inside_link(element: HtmlElement) -> bool:
    """The block sits inside a link (a card whose heading and blurb are one <a>), three levels up at most."""
    node = element.getparent()  # unrolled: this runs for most lines, an ancestor iterator costs more
    for _ in range(3):
        if node is None:
            return False
        if node.tag == "a":
            return True
        node = node.getparent()
    return False


def _labelled(key: str, link: HtmlElement | None) -> bool:
    """The block is a short label and then its one link, which ends it ("TRENDING | <a>Headline</a>")."""
    if link is None:
        return False
    link_key = "".join(_text(link).split())
    label = key[: len(key) - len(link_key)]
    return len(link_key) >= MIN_LINK_CHARS and key.endswith(link_key) and 0 < len(label) <= MAX_LABEL_CHARS


def _host_most_linked(anchors: Iterable[HtmlElement]) -> str:
    """The host most of the page's absolute links go to, when the page's own URL is not known."""
    votes = Counter(_registered(host) for host in (_host(anchor.get("href") or "") for anchor in anchors) if host)
    if not votes:
        return ""
    host, count = votes.most_common(1)[0]
    return host if count >= MIN_HOST_VOTES else ""


_TITLE_SEPARATORS = frozenset("|-–—:·•»")
# <head>'s own children only: a "//meta" query walks the whole page.
_TITLE_XPATH = etree.XPath(
    "/html/head/meta[@property='og:title']/@content|/html/head/meta[@name='twitter:title']/@content"
    "|/html/head/title/text()"
)


def visible_chars(element: HtmlElement) -> int:
    """Characters of the element's text other than whitespace, without script, style, noscript and template text.
    Characters, not words: counting them is a few scans in C, while splitting a page's text into words costs more
    than serialising it."""
    chars = _non_space(_text(element))
    for hidden in element.iter(_NOT_TEXT_TAGS):
        chars -= _non_space(_text(hidden))
    return max(chars, 0)


def non_space_chars(lines: Iterable[str]) -> int:
    """`visible_chars`' measure of extracted lines."""
    return sum(_non_space(line) for line in lines)


def _non_space(text: str) -> int:
    return len(text) - sum(text.count(space) for space in _SPACE_CHARS)


_SPACE_CHARS = (" ", "\n", "\t", "\r", "\xa0")


def _text(element: HtmlElement) -> str:
    """The element's text without its tail: lxml's text serialiser, faster than text_content()'s XPath call."""
    return etree.tostring(element, method="text", encoding=str, with_tail=False)


def _title_candidates(tree: HtmlElement, title: str | None, headings: list[str]) -> list[str]:
    candidates = [title] if title else []
    candidates.extend(str(value) for value in _TITLE_XPATH(tree)[:4])
    candidates.extend(headings)
    return [candidate for candidate in candidates if candidate]


def _links_in(block: HtmlElement) -> tuple[int, HtmlElement | None, int]:
    """(characters inside the block's links, its first link with text, how many links with text it holds)."""
    linked = count = 0
    first: HtmlElement | None = None
    for anchor in block.iter("a"):
        text = "".join(_text(anchor).split())
        if text:
            linked += len(text)
            count += 1
            first = first if first is not None else anchor
    return linked, first, count


def _sole_link_of_paragraph(anchor: HtmlElement, block: HtmlElement | None) -> bool:
    """The <p> with the link's text is the link's own paragraph: the same text (the block was indexed under the
    same key) and the link inside it, so nothing but the link is in it."""
    if block is None or block.tag != "p":
        return False
    return any(node is block for node in islice(anchor.iterancestors(), 4))  # <p><strong><em><a>: a few levels


def _path(url: str | None) -> str:
    if not url:
        return ""
    try:
        return urlsplit(url).path.rstrip("/")
    except ValueError:
        return ""


def _host(url: str | None) -> str:
    if not url:
        return ""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _registered(host: str) -> str:
    """Last two labels, three under a short second level (bbc.co.uk, abc.net.au): enough to compare sites."""
    labels = host.lower().removeprefix("www.").split(".")
    if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


_SIGNAL_ATTRIBUTES = ("class", "id", "aria-label", "data-component", "data-module", "role")


def _container_signals(node: HtmlElement) -> tuple[str | None, str | None]:
    """(promo signal, layout signal) named by the node's tag, role or class/id/aria tokens."""
    tag = node.tag if isinstance(node.tag, str) else ""
    get = node.get  # spelled out: a generator over the names costs more than the six lookups
    return _signals(
        tag, (get("class"), get("id"), get("aria-label"), get("data-component"), get("data-module"), get("role"))
    )


@lru_cache(maxsize=4096)
def _signals(tag: str, values: tuple[str | None, ...]) -> tuple[str | None, str | None]:
    """Cached by tag and attribute values: a site repeats the same class strings on many nodes and pages."""
    layout = f"<{tag}>" if tag in WEAK_TAGS else None
    promo = None
    for attribute, value in zip(_SIGNAL_ATTRIBUTES, values, strict=True):
        if not value:
            continue
        for raw in _TOKEN_SPLIT.split(value):
            token = raw.lower()
            if not token:
                continue
            if promo is None and attribute != "role" and (token in PROMO_TOKENS or token.startswith(PROMO_PREFIXES)):
                promo = f'{attribute}="{token}"'
            if layout is None and token in WEAK_TOKENS:
                layout = f'{attribute}="{token}"'
    return promo, layout
