"""trafilatura's regex pruning XPaths, answered by a Python walk with the same result.

trafilatura prunes boilerplate with XPaths that call EXSLT `re:test`. lxml runs every such call as a Python callback
from inside libxml2, several per element, so these few expressions take a fifth to a quarter of a bare
`trafilatura.extract` (about 4.7 ms of 22 on an AEB page, 7.6 of 30 on a WCXB page). Here each of them is a walk
over the same elements that applies the same conditions with the same regular expressions, and returns the same
elements in the same (document) order; an element's answer is cached by the attribute values it depends on.

An evaluator stands in for one XPath only while `faster_pruning()` is active, and only if that XPath's source text
is the one it was written from (the first 16 hex digits of a SHA-256 of `XPath.path`): a trafilatura release that
changes an expression keeps its own XPath. `tests/test_pruning.py` compares every evaluator with its XPath on every
fixture page and on pages built to reach each condition; `bench/pruning.py` does the same on the benchmark pages.

The same context also swaps two methods of trafilatura's readability fork (`readability_lxml.Document`, which
trafilatura runs on most pages to compare with its own extraction) for stand-ins with the same results:
`remove_unlikely_candidates` visits only the elements that have a class or id and keeps its verdicts across pages,
and `class_weight` caches the weight of each attribute value. Each is installed on the class only if the method's
dedented source has the SHA-256 prefix it was written from, and reads the patterns from trafilatura's own `REGEXES`;
the tests and the bench compare readability's summaries with and without them.

Under `accelerate = "verify"` (`cleaner.extract.accel.checks.checking()` active in the thread), each stand-in
computes its own answer and trafilatura's, hands trafilatura its own and notes any difference.
"""

from __future__ import annotations

import functools
import inspect
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from lxml import etree

from cleaner.extract.accel import checks
from cleaner.extract.accel.digests import source_digest

Walk = Callable[[etree._Element], list[etree._Element]]
Method = Callable[..., Any]
T = TypeVar("T")

# Python `re` is what lxml's re:test runs: re.search on the string value of the first node, "" when there is none
# (re:test with a plain word, 'cookie' or 'hidden', is a substring test)
_COMMENTS_ID = re.compile(r"^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)")
_COMMENTS_LIST_ID = re.compile(r"^(?:[Cc]omment(?!ary)|comol)")
_COMMENTS_CLASS = re.compile(r"^[Cc]omment(?!ary)|(?:article|post)-comments")
_SCROLL = re.compile(r"mvp-post-add-(?:box|wrap)|infinite-?scroll")
_POST_ADD = re.compile(r"mvp-post-add-(?:box|wrap)")
_DISCARD_ID = re.compile(
    r"^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author|^(?:jp-|dpsp-content)"
    r"|bmdh|footer|Footer|share|Share|nav|Nav|menu|related|message-container|premium|^ad-"
)
_DISCARD_CLASS = re.compile(
    r"^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author"
    r"|^(?:nav|post-nav|ZendeskForm)|subnav|avigation|navbar|navbox|menu|bar| ad |-ad-|(?:^| )ad-|dfp[Aa]d|outbrain"
    r"|taboola|criteo|paid-?content|widget|footer|Footer|byline|Byline|share-|sociable|embedded|embed|tag-list"
    r"|consent|modal-content|permission|elated|next-|-stories|most-popular|more-on|meta|rating|attachment|timestamp"
    r"|user-info|user-profile|-icon|article-infos|message-container|slide|viewport|overlay|options|expand"
    r"|obfuscated|blurred|mol-factbox|yin|zlylin|nfoline"
)
_HIDDEN_ID = re.compile(r"reader-comments|akismet")
_HIDDEN_CLASS = re.compile(
    r"^hide-|comments-title|nocomments|-reply-|message|akismet|suggest-links|-hide-|hide-print| hidden| hide|noprint"
    r"|notloaded"
)

# BODY_XPATH: where trafilatura looks for the article body, most specific first
_BODY_ID = re.compile(r"(?:entry|article|art)-content|article__content|article(?:-|__)?body|articleBody|body-text")
_BODY_CLASS = re.compile(
    r"post[-_]text|post-body|post-?entry|post[-_]?content|postContent|post_inner_wrapper|article-?text|articleText"
    r"|(?:entry|page|text|article|art)-content|article__content|article(?:-|__)?body|articleBody|ArticleContent"
    r"|body-text|article__container"
)
_STORY_ID = re.compile(r"^primary|story-body")
_FULLTEXT = re.compile(r"fulltext", re.IGNORECASE)  # re:test(@class, 'fulltext', 'i')
_STORY_CLASS = re.compile(
    r"^article |post-bodycopy|story-?content|(?:theme|blog|section|single)-content|single-post|main-column"
    r"|wpb_text_column|story-body|field-body"
)
_MAIN_CONTENT_ID = re.compile(r"content-main|content-body|contentBody")
_MAIN_CONTENT_CLASS = re.compile(r"content[-_]main|content(?:-|__)body")

# trafilatura.settings.BASIC_CLEAN_XPATH (baseline and html2txt): whole sections, and cookie/consent banners
_BASIC_CLEAN_TAGS = frozenset({"aside", "fencedframe", "footer", "script", "style", "svg", "template"})
_CONSENT = re.compile(
    r"cookie[-_]?(?:banner|bar|consent|law|notice|policy|description)|notice[-_]{0,2}cookie"
    r"|consent[-_]?(?:banner|manager|sdk)|borlabs|cookiebot|cmplz|onetrust|moove[-_]?gdpr",
    re.IGNORECASE,  # re:test(..., 'i')
)

_SCROLL_TAGS = ("div", "section", "aside")
_BODY_TAGS = ("article", "div", "main", "section")
_COMMENT_TAGS = ("div", "list", "section", "details")
_COMMENT_LIST_TAGS = ("ol", "ul")
_SECTION_TAGS = ("div", "item", "list", "p", "section", "span")
# entries per cache (each cleared when full): a site repeats its class names; a full cache of class strings holds
# about 2 MB, and all the caches here (readability's included) held 17 MB after the 793 WCXB pages
_CACHE_LIMIT = 20_000


def _first(element: etree._Element, first_name: str, second_name: str) -> str:
    """The string value of XPath `@a|@b`: the attribute that comes first in the source, "" when neither is set."""
    for name in element.attrib:  # in source order
        if name in (first_name, second_name):
            return element.get(name, "")
    return ""


class _Answers(dict[str, T]):
    """`test` memoised by its argument (attribute values repeat across the elements of a page and across pages).

    Read as `answers[value]`: a hit is a plain dict lookup in C, with no Python call per element.
    """

    def __init__(self, test: Callable[[str], T]) -> None:
        super().__init__()
        self.test = test

    def __missing__(self, value: str) -> T:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        answer = self[value] = self.test(value)
        return answer


def _searcher(pattern: re.Pattern[str]) -> _Answers[bool]:
    return _Answers(lambda value: pattern.search(value) is not None)


_comment_id = _searcher(_COMMENTS_ID)
_comment_list_id = _searcher(_COMMENTS_LIST_ID)
_comment_class = _searcher(_COMMENTS_CLASS)
_scroll = _searcher(_SCROLL)
_post_add = _searcher(_POST_ADD)
_discard_id = _searcher(_DISCARD_ID)
_discard_class = _searcher(_DISCARD_CLASS)
_hidden_id = _searcher(_HIDDEN_ID)
_hidden_class = _searcher(_HIDDEN_CLASS)
_body_id = _searcher(_BODY_ID)
_body_class = _searcher(_BODY_CLASS)
_story_id = _searcher(_STORY_ID)
_story_class = _Answers(lambda value: _FULLTEXT.search(value) is not None or _STORY_CLASS.search(value) is not None)
_main_content_id = _searcher(_MAIN_CONTENT_ID)
_main_content_class = _searcher(_MAIN_CONTENT_CLASS)
_consent = _searcher(_CONSENT)


def infinite_scroll(root: etree._Element) -> list[etree._Element]:
    """RAW_TREE_PRUNE_XPATH[0]: appended-article containers, unless they hold the page's h1 (mvp-post-add always)."""
    found = []
    for element in root.iterdescendants(_SCROLL_TAGS):
        ident, css = element.get("id", ""), element.get("class", "")
        if (_scroll[ident] or _scroll[css]) and (
            _post_add[ident] or _post_add[css] or next(element.iterdescendants("h1"), None) is None
        ):
            found.append(element)
    return found


def share_buttons(root: etree._Element) -> list[etree._Element]:
    """RAW_TREE_PRUNE_XPATH[1]: Elementor share buttons."""
    return [
        element
        for element in root.iterdescendants(_SCROLL_TAGS)
        if "elementor-share-buttons" in element.get("class", "")
    ]


def _is_comments(element: etree._Element) -> bool:
    return _comment_id[element.get("id", "")] or _comment_class[element.get("class", "")]


def comment_sections(root: etree._Element) -> list[etree._Element]:
    """REMOVE_COMMENTS_XPATH[0]: comment containers by id or class."""
    return [element for element in root.iterdescendants(_COMMENT_TAGS) if _is_comments(element)]


def comment_sections_and_lists(root: etree._Element) -> list[etree._Element]:
    """REMOVE_COMMENTS_AND_LISTS_XPATH[0]: the same, plus ol/ul comment lists (without the disqus ids)."""
    found = []
    for element in root.iterdescendants(_COMMENT_TAGS + _COMMENT_LIST_TAGS):
        if element.tag in _COMMENT_LIST_TAGS:
            if _comment_list_id[element.get("id", "")] or _comment_class[element.get("class", "")]:
                found.append(element)
        elif _is_comments(element):
            found.append(element)
    return found


def boilerplate_sections(root: etree._Element) -> list[etree._Element]:
    """OVERALL_DISCARD_XPATH[0]: navigation, sharing, ads, footers, bylines... by id, class, role or marker."""
    found = []
    for element in root.iterdescendants(_SECTION_TAGS):
        get = element.get
        ident, css = get("id"), get("class")
        if (
            (ident is not None and _discard_id[ident])
            or (css is not None and _discard_class[css])
            or _is_marked_boilerplate(element)
            or (_either_has("cookie", ident, css) and "cookie" in _first(element, "id", "class"))
        ):
            found.append(element)
    return found


# `@a|@b` is one of the two values: test both (cheap) before finding which comes first in the source (a walk over
# the attributes, on every element that has either)
def _either_has(needle: str, first: str | None, second: str | None) -> bool:
    return (first is not None and needle in first) or (second is not None and needle in second)


def _either_starts(prefix: str, first: str | None, second: str | None) -> bool:
    return (first is not None and first.startswith(prefix)) or (second is not None and second.startswith(prefix))


def _is_marked_boilerplate(element: etree._Element) -> bool:
    get = element.get
    return (
        get("data-lp-replacement-content") is not None
        or "nav" in get("role", "").replace("N", "n")
        or "MostPopularStories" in get("data-component", "")
    )


def _has_teaser(value: str | None) -> bool:
    return value is not None and "teaser" in value.replace("T", "t")


def teasers(root: etree._Element) -> list[etree._Element]:
    """TEASER_DISCARD_XPATH[0]: teaser sections, by id or class (T or t)."""
    return [
        element
        for element in root.iterdescendants(_SECTION_TAGS)
        if _has_teaser(element.get("id")) or _has_teaser(element.get("class"))
    ]


def captions(root: etree._Element) -> list[etree._Element]:
    """DISCARD_IMAGE_ELEMENTS[0]: caption sections, by id or class."""
    return [
        element
        for element in root.iterdescendants(_SECTION_TAGS)
        if "caption" in element.get("id", "") or "caption" in element.get("class", "")
    ]


def hidden_elements(root: etree._Element) -> list[etree._Element]:
    """OVERALL_DISCARD_XPATH[1]: hidden elements, comment titles and reply forms, on every element."""
    found = []
    for element in root.iterdescendants(etree.Element):
        get = element.get
        ident, css, style = get("id"), get("class"), get("style")
        if ident is None and css is None and style is None:
            if get("aria-hidden") == "true":
                found.append(element)
            continue
        if _is_hidden(element, ident, css, style):
            found.append(element)
    return found


def _is_hidden(element: etree._Element, ident: str | None, css: str | None, style: str | None) -> bool:
    if css is not None and (css == "comments-title" or _hidden_class[css]):
        return True
    if ident is not None and _hidden_id[ident]:
        return True
    if style is not None and ("display:none" in style or "display: none" in style):
        return True
    if element.get("aria-hidden") == "true":
        return True
    if _either_starts("reply-", ident, css) and _first(element, "id", "class").startswith("reply-"):
        return True
    return _either_has("hidden", ident, style) and "hidden" in _first(element, "id", "style")


def article_bodies(root: etree._Element) -> list[etree._Element]:
    """BODY_XPATH[0]: article-body containers; `[1]` on the child step keeps the first one among each element's
    children (trafilatura takes the first in document order)."""
    found, parents = [], set()
    for element in root.iterdescendants(_BODY_TAGS):
        if _is_article_body(element):
            parent = element.getparent()
            if parent not in parents:
                parents.add(parent)
                found.append(element)
    return found


def _is_article_body(element: etree._Element) -> bool:
    ident, css = element.get("id"), element.get("class")
    return (
        css in ("post", "entry")
        or ident == "articleContent"
        or (ident is not None and _body_id[ident])
        or (css is not None and _body_class[css])
        or element.get("itemprop") == "articleBody"
    )


def story_container(root: etree._Element) -> list[etree._Element]:
    """BODY_XPATH[2]: the first story container in the page, `(...)[1]`."""
    for element in root.iterdescendants(_BODY_TAGS):
        ident, css = element.get("id"), element.get("class")
        if (
            ident in ("article", "story")
            or css in ("postarea", "art-postcontent", "text", "cell", "story")
            or (ident is not None and _story_id[ident])
            or (css is not None and _story_class[css])
            or element.get("role") == "article"
        ):
            return [element]
    return []


def main_content(root: etree._Element) -> list[etree._Element]:
    """BODY_XPATH[3]: the first main-content container in the page, `(...)[1]`."""
    for element in root.iterdescendants(_BODY_TAGS):
        ident, css = element.get("id"), element.get("class")
        if (ident is not None and _is_main_content_id(ident)) or (css is not None and _is_main_content_class(css)):
            return [element]
    return []


def _is_main_content_id(ident: str) -> bool:
    return ident == "content" or _main_content_id[ident] or "main-content" in ident.replace("C", "c").replace("M", "m")


def _is_main_content_class(css: str) -> bool:
    return (
        css == "content"
        or _main_content_class[css]
        or "main-content" in css.replace("C", "c").replace("M", "m")
        or "page-content" in css.replace("C", "c").replace("P", "p")
    )


def basic_clean(root: etree._Element) -> list[etree._Element]:
    """settings.BASIC_CLEAN_XPATH: asides, footers, scripts, styles..., footer divs, consent banners (a union: each
    element once, in document order)."""
    found = []
    for element in root.iterdescendants(etree.Element):
        tag = element.tag
        if tag in _BASIC_CLEAN_TAGS:
            found.append(element)
            continue
        css, ident = element.get("class"), element.get("id")
        if css is None and ident is None:
            continue
        if (
            (tag == "div" and "footer" in _first(element, "class", "id"))
            or (css is not None and _consent[css])
            or (ident is not None and _consent[ident])
        ):
            found.append(element)
    return found


# (trafilatura.xpaths list name, index) -> (SHA-256 prefix of the XPath source the walk reproduces, the walk)
_EVALUATORS: dict[tuple[str, int], tuple[str, Walk]] = {
    ("RAW_TREE_PRUNE_XPATH", 0): ("01e7c660fd6406f2", infinite_scroll),
    ("RAW_TREE_PRUNE_XPATH", 1): ("3c7afe92279543d5", share_buttons),
    ("REMOVE_COMMENTS_XPATH", 0): ("5d97216ca15d0558", comment_sections),
    ("REMOVE_COMMENTS_AND_LISTS_XPATH", 0): ("9cc18d34e6e2d258", comment_sections_and_lists),
    ("OVERALL_DISCARD_XPATH", 0): ("a837e58a1b1ea116", boilerplate_sections),
    ("OVERALL_DISCARD_XPATH", 1): ("c1d5b70b8cd03783", hidden_elements),
    ("TEASER_DISCARD_XPATH", 0): ("ebb02f066626551d", teasers),
    ("DISCARD_IMAGE_ELEMENTS", 0): ("cb1ab981e44913f7", captions),
    ("BODY_XPATH", 0): ("caaa561ceca17064", article_bodies),
    ("BODY_XPATH", 2): ("6c9b5e1fdc092943", story_container),
    ("BODY_XPATH", 3): ("10a7ceacc0ff8cdf", main_content),
}


class FastXPath:
    """Called like the XPath it replaces; falls back to it for anything but an element (an ElementTree)."""

    __slots__ = ("path", "walk", "xpath")

    def __init__(self, xpath: etree.XPath, walk: Walk) -> None:
        self.xpath, self.walk, self.path = xpath, walk, xpath.path

    def __call__(self, tree: Any, **variables: Any) -> Any:
        if variables or not isinstance(tree, etree._Element):
            return self.xpath(tree, **variables)
        known = getattr(_known_empty, "trees", None)
        if known and known.get(self.walk) is tree:
            del known[self.walk]  # answered once: the tree may change after this call
            ours: list[etree._Element] | None = []
        else:
            ours = None
        if checks.is_checking():
            return self._checked(tree, ours)
        return ours if ours is not None else self.walk(tree)

    def _checked(self, tree: etree._Element, ours: list[etree._Element] | None) -> Any:
        """accelerate = "verify": trafilatura gets the XPath's answer; a different walk answer is noted."""
        theirs = self.xpath(tree)
        if ours is None:
            ours = self.walk(tree)
        if [id(element) for element in ours] != [id(element) for element in theirs]:
            found = [element.tag for element in ours]
            expected = [element.tag for element in theirs]
            checks.note("pruning", f"{self.walk.__name__} found {checks.shorten(found)}, the XPath {expected}")
        return theirs


# XPaths trafilatura keeps as a module attribute rather than in a list: (module, attribute) -> (digest, walk)
_MODULE_EVALUATORS: dict[tuple[str, str], tuple[str, Walk]] = {
    ("trafilatura.baseline", "BASIC_CLEAN_XPATH"): ("db6c25acd08aef99", basic_clean),
}


STAND_IN_COUNT = len(_EVALUATORS) + len(_MODULE_EVALUATORS)


def replacements() -> Iterator[tuple[Any, Any, etree.XPath, FastXPath]]:
    """(where, key, its XPath, our stand-in) for every XPath whose source is the one we reproduce."""
    import importlib

    from trafilatura import xpaths

    for (name, index), (digest, walk) in _EVALUATORS.items():
        expressions = getattr(xpaths, name, None)
        if isinstance(expressions, list) and index < len(expressions):
            original = expressions[index]
            if isinstance(original, etree.XPath) and source_digest(original) == digest:
                yield expressions, index, original, FastXPath(original, walk)
    for (module_name, attribute), (digest, walk) in _MODULE_EVALUATORS.items():
        module = importlib.import_module(module_name)
        original = getattr(module, attribute, None)
        if isinstance(original, etree.XPath) and source_digest(original) == digest:
            yield module, attribute, original, FastXPath(original, walk)


def _put(where: Any, key: Any, value: Any) -> None:
    """Set an xpaths list's entry, or a module's or class's attribute."""
    if isinstance(where, list):
        where[key] = value
    else:
        setattr(where, key, value)


# trafilatura.readability_lxml.Document's methods


# the elements `findall(".//*")` gives that have either attribute (only those can be dropped), in document order,
# without a Python proxy for the others (lxml.html makes each proxy with a Python class lookup); `descendant::*`
# rather than `.//*`, which also walks every text node
_CLASS_OR_ID = etree.XPath("descendant::*[@class or @id]")


@functools.cache  # one stand-in (and its caches, kept across pages) per set of trafilatura's pattern objects
def _unlikely_remover(
    unlikely: re.Pattern[str], ok_maybe: re.Pattern[str], frame_tags: frozenset[str], original: Method
) -> Method:
    def is_unlikely(attrs: str) -> bool:
        low = attrs.lower()
        return len(attrs) >= 2 and unlikely.search(low) is not None and ok_maybe.search(low) is None

    verdicts = _Answers(is_unlikely)

    def unlikely_elements(doc: etree._Element) -> list[etree._Element]:
        found = []
        for element in _CLASS_OR_ID(doc):
            css, ident = element.get("class"), element.get("id")
            attrs = (f"{css} {ident}" if ident else css) if css else ident
            if attrs and verdicts[attrs] and element.tag not in frame_tags:
                found.append(element)
        return found

    def remove_unlikely_candidates(self: Any) -> None:
        """Document.remove_unlikely_candidates: drop each element whose "class id" (the non-empty ones, joined by a
        space) reads unlikely and not maybe-ok, in document order over a snapshot taken first, as the original."""
        doc = self.doc
        if not isinstance(doc, etree._Element):  # an ElementTree's `.//*` would take in its root element too
            original(self)
        elif checks.is_checking():
            _check_removal(doc, unlikely_elements(doc), lambda: original(self))
        else:
            for element in unlikely_elements(doc):
                element.drop_tree()

    return remove_unlikely_candidates


def _check_removal(doc: etree._Element, ours: list[etree._Element], remove: Callable[[], None]) -> None:
    """accelerate = "verify": readability's own removal runs; the elements it detached (drop_tree leaves an element
    without a parent) must be the ones the stand-in would have dropped."""
    before = list(doc.iterdescendants())
    remove()
    theirs = [element for element in before if element.getparent() is None]
    if [id(element) for element in theirs] != [id(element) for element in ours]:
        found, expected = [element.tag for element in ours], [element.tag for element in theirs]
        checks.note("readability", f"remove_unlikely_candidates drops {checks.shorten(found)}, readability {expected}")


@functools.cache
def _class_weigher(negative: re.Pattern[str], positive: re.Pattern[str], original: Method) -> Method:
    weights = _Answers(lambda value: 25 * ((positive.search(value) is not None) - (negative.search(value) is not None)))

    def weight(elem: Any) -> int:
        css, ident = elem.get("class"), elem.get("id")
        return (weights[css] if css else 0) + (weights[ident] if ident else 0)

    def class_weight(self: Any, elem: Any) -> int:
        """Document.class_weight: -25 per non-empty class or id value that reads negative, +25 per positive one."""
        if not checks.is_checking():
            return weight(elem)
        theirs: int = original(self, elem)
        if weight(elem) != theirs:
            checks.note("readability", f"class_weight {weight(elem)}, readability's own {theirs}, on {elem.tag}")
        return theirs

    return class_weight


def _readability_remover(module: Any, original: Method) -> Method:
    regexes = module.REGEXES
    return _unlikely_remover(
        regexes["unlikelyCandidatesRe"], regexes["okMaybeItsACandidateRe"], frozenset(module.FRAME_TAGS), original
    )


def _readability_weigher(module: Any, original: Method) -> Method:
    return _class_weigher(module.REGEXES["negativeRe"], module.REGEXES["positiveRe"], original)


# trafilatura.readability_lxml.Document method -> (SHA-256 prefix of its dedented source, maker of the stand-in from
# the module, whose REGEXES it reads as they are then, and the original method)
_READABILITY_METHODS: dict[str, tuple[str, Callable[[Any, Method], Method]]] = {
    "remove_unlikely_candidates": ("3dee541540f0affb", _readability_remover),
    "class_weight": ("2509679abb45c892", _readability_weigher),
}


METHOD_COUNT = len(_READABILITY_METHODS)


@functools.cache  # inspect.getsource reads the module file: once per function, not per page
def method_digest(function: Method) -> str:
    try:
        return source_digest(function)
    except (OSError, TypeError):  # no source to compare: keep the original
        return ""


def method_replacements() -> Iterator[tuple[type, str, Method, Method]]:
    """(class, method name, the method, our stand-in) for every readability method whose source we reproduce."""
    from trafilatura import readability_lxml

    document = readability_lxml.Document
    for name, (digest, make) in _READABILITY_METHODS.items():
        original = document.__dict__.get(name)
        if inspect.isfunction(original) and method_digest(original) == digest:
            yield document, name, original, make(readability_lxml, original)


_known_empty = threading.local()  # .trees: {walk: the tree it was just found to match nothing in}
# trafilatura's only in-place changes to the tree it is given: the raw-tree prunes at the start of its cascade
_RAW_PRUNES = (infinite_scroll, share_buttons)
_RAW_PRUNES_COMMENTS_OFF = (*_RAW_PRUNES, comment_sections_and_lists)

_lock = threading.Lock()
_active = 0
# (where, key, original, stand-in): an xpaths list and index, a module or the readability class and a name
_installed: list[tuple[Any, Any, Any, Any]] = []


_installed_kinds: list[tuple[bool, bool]] = []  # (xpaths, readability) of the installed set, while active


@contextmanager
def faster_pruning(xpaths: bool = True, readability: bool = True) -> Iterator[None]:
    """While active (in any thread), trafilatura's pruning XPaths are answered by the walks above (`xpaths`), and
    readability's methods in `_READABILITY_METHODS` are the stand-ins above (`readability`).

    trafilatura's modules share its xpaths lists, so a stand-in is swapped into each list (or into the one module
    that reads a lone XPath, or onto the readability class) and the original swapped back when the last user
    leaves. Anyone else calling trafilatura meanwhile gets the same answers. Users at the same time must ask for the
    same kinds (a process decides them once, `cleaner.extract.accel.guard`).
    """
    global _active
    with _lock:
        if _active == 0:
            # every stand-in is built before any is swapped in: a failure here leaves trafilatura as it was
            _installed[:] = [
                *(replacements() if xpaths else ()),
                *(method_replacements() if readability else ()),
            ]
            _installed_kinds[:] = [(xpaths, readability)]
            for where, key, _original, fast in _installed:
                _put(where, key, fast)
        elif _installed_kinds != [(xpaths, readability)]:
            raise RuntimeError("faster_pruning: another user holds a different set of stand-ins")
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                for where, key, original, _fast in _installed:
                    _put(where, key, original)
                _installed.clear()
                _installed_kinds.clear()


@contextmanager
def raw_tree_kept(tree: etree._Element, comments: bool) -> Iterator[bool]:
    """Inside faster_pruning(): whether trafilatura, given `tree` itself, would leave it as it is.

    trafilatura changes the tree it is given only with its raw-tree prunes (the infinite-scroll and share-button
    XPaths, and the comment sections and lists when comments are off); everything else works on copies. When
    those walks find nothing here, their empty answers are kept for trafilatura's own first calls on this tree in
    this thread, so the check costs nothing; otherwise the caller gives trafilatura a copy.
    """
    walks = _RAW_PRUNES if comments else _RAW_PRUNES_COMMENTS_OFF
    installed = {fast.walk for _where, _key, _original, fast in _installed if isinstance(fast, FastXPath)}
    if not all(walk in installed for walk in walks) or any(walk(tree) for walk in walks):
        yield False
        return
    _known_empty.trees = dict.fromkeys(walks, tree)
    try:
        yield True
    finally:
        _known_empty.trees = None
