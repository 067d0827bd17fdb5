"""cleaner.extract.accel.pruning's walks return exactly what trafilatura's pruning XPaths return, and its readability
stand-ins give readability's own results, on real and targeted pages."""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Iterator
from copy import copy
from typing import Any

import pytest
import trafilatura
from lxml import etree
from trafilatura import readability_lxml, xpaths
from trafilatura.core import trafilatura_sequence
from trafilatura.htmlprocessing import convert_tags, tree_cleaning
from trafilatura.readability_lxml import Document
from trafilatura.settings import Extractor

from cleaner.extract.accel import pruning
from cleaner.extract.accel.pruning import FastXPath, faster_pruning, method_replacements, replacements, source_digest
from cleaner.extract.core import parse_html
from cleaner.io.encoding import decode_html
from tests.test_metadata import fixture_pages, read_page

EXPECTED = set(pruning._EVALUATORS)
MODULE_EXPECTED = set(pruning._MODULE_EVALUATORS)


def parsed(html: str) -> etree._Element:
    return parse_html(html)


def converted(tree: etree._Element) -> etree._Element:
    """The tree as trafilatura's extractors see it: cleaned, tags converted (div -> list/item...)."""
    options = Extractor(comments=False)
    return convert_tags(tree_cleaning(copy(tree), options), options)


def stand_ins() -> Iterator[FastXPath]:
    for _expressions, _index, _original, fast in replacements():
        yield fast


def assert_same(fast: FastXPath, tree: etree._Element) -> list[etree._Element]:
    ours, theirs = fast.walk(tree), fast.xpath(tree)
    assert [id(e) for e in ours] == [id(e) for e in theirs], (fast.walk.__name__, fast.path)
    return ours


def test_every_evaluator_applies_to_this_trafilatura() -> None:
    """The pinned trafilatura has exactly the XPaths the walks were written from (else they silently fall back)."""
    for (name, index), (digest, _walk) in pruning._EVALUATORS.items():
        assert source_digest(getattr(xpaths, name)[index]) == digest, name
    for (module, attribute), (digest, _walk) in pruning._MODULE_EVALUATORS.items():
        assert source_digest(getattr(importlib.import_module(module), attribute)) == digest, attribute
    assert len(list(replacements())) == len(EXPECTED) + len(MODULE_EXPECTED)


@pytest.mark.parametrize("path", fixture_pages(), ids=lambda p: p.name)
def test_walks_equal_xpaths_on_fixture_pages(path: object) -> None:
    tree = parsed(decode_html(read_page(path), None))  # type: ignore[arg-type]
    for stage in (tree, converted(tree)):
        for fast in stand_ins():
            assert_same(fast, stage)


# One page per condition of every XPath, several in the order-sensitive forms (@id|@class takes the attribute that
# comes first in the source). Each must be found (the comparison alone would pass on pages that match nothing).
TARGETED = {
    "infinite_scroll": [
        '<div class="infinite-scroll"><p>x</p></div>',
        '<section id="infinitescroll"><p>x</p></section>',
        '<aside class="mvp-post-add-box"><h1>kept by nothing</h1></aside>',
        '<div id="mvp-post-add-wrap"><h1>t</h1></div><div class="infinite-scroll"><h1>has h1</h1></div>'
        '<div class="infinite-scroll"><div class="infinite-scroll">nested</div></div>',
    ],
    "share_buttons": ['<section class="x elementor-share-buttons--view"><a>share</a></section>'],
    "comment_sections": [
        '<div id="comments">c</div>',
        '<section id="disqus_thread">c</section>',
        '<details class="Comment-box">c</details>',
        '<div class="post-comments">c</div><div id="commentary">not</div><div id="comol1">c</div>',
    ],
    "comment_sections_and_lists": [
        '<ul id="comment-list"><li>c</li></ul>',
        '<ol class="comments"><li>c</li></ol><ol id="disqus_thread"><li>not a list match</li></ol>',
        '<ul class="article-comments"><li>c</li></ul><div id="dsq-comments">c</div>',
    ],
    "boilerplate_sections": [
        '<div id="related-links">r</div>',
        '<p class="byline">b</p>',
        '<span role="Navigation">n</span>',
        '<div data-lp-replacement-content="">x</div>',
        '<section data-component="MostPopularStories">x</section>',
        '<div id="cookie-bar" class="main">x</div>',
        '<div class="cookie-notice" id="main">x</div>',
        '<div id="main" class="cookie-notice">not: id comes first</div><div class="x ad y">ad</div>',
        '<p class="yinyang">x</p><span id="ad-slot">x</span><div id="x" class="content">no</div>',
    ],
    "hidden_elements": [
        '<div class="comments-title">x</div>',
        '<div id="reply-1" class="a">x</div>',
        '<div class="reply-box" id="a">x</div>',
        '<div id="a" class="reply-box">not: id comes first</div><p style="display:none">x</p>',
        '<span style="color: red; display: none">x</span>',
        '<a id="hidden-link">x</a>',
        '<a style="visibility: hidden" id="x">not: id first</a><a style="visibility: hidden">x</a>',
        '<li aria-hidden="true">x</li>',
        '<b class="noprint">x</b><i id="akismet">x</i><em class="hide-me">x</em>',
    ],
    "teasers": ['<div id="Teaser-1">x</div>', '<p class="TEASER">not: only T is folded</p><p class="tTeaser">x</p>'],
    "captions": ['<div class="image-caption">x</div>', '<span id="caption1">x</span>'],
    "basic_clean": [
        "<aside>x</aside><script>var a = 1;</script><style>p {}</style>",
        '<div class="site-footer">x</div><div id="footer" class="main">x</div>',
        '<div class="main" id="footer">not: class comes first</div><footer><svg></svg></footer>',
        '<section class="Cookie-Banner">x</section><p id="onetrust-pc">x</p><span class="cookie">not</span>',
        "<template><p>t</p></template><fencedframe></fencedframe>",
    ],
    "article_bodies": [
        '<div class="post">x</div>',
        '<section id="article-content">x</section>',
        '<div itemprop="articleBody">x</div><main class="article__body">y</main>',
        '<div><div class="entry">first child</div><div class="entry">not: its sibling came first</div></div>',
        '<div class="post-content"><div class="articleBody">nested: another parent</div></div>',
    ],
    "story_container": [
        '<div id="story">x</div>',
        '<section class="x FullText">x</section>',
        '<div class="lead">no</div><article role="article">x</article>',
        '<div class="article main">x</div>',
        '<div id="primary-col">x</div><div id="story">not: only the first</div>',
    ],
    "main_content": [
        '<div id="content">x</div>',
        '<div class="Main-Content">x</div>',
        '<section class="Page-Content">x</section>',
        '<div class="MAIN-CONTENT">not: only C and M fold</div><div id="contentBody">x</div>',
        '<div class="PAGE-CONTENT">not: only C and P fold</div><div class="content">x</div>',
    ],
}


def page(body: str) -> str:
    return f"<html><head><title>t</title></head><body><main><h2>Story</h2>{body}<p>End.</p></main></body></html>"


@pytest.mark.parametrize(
    ("walk", "body"), [(walk, body) for walk, bodies in TARGETED.items() for body in bodies], ids=repr
)
def test_walks_equal_xpaths_on_targeted_pages(walk: str, body: str) -> None:
    (fast,) = [f for f in stand_ins() if f.walk.__name__ == walk]
    tree = parsed(page(body))
    found = assert_same(fast, tree)
    assert found, f"{walk} found nothing on {body!r}: the comparison would be empty"
    assert_same(fast, converted(tree))


def test_every_walk_has_targeted_pages() -> None:
    assert {fast.walk.__name__ for fast in stand_ins()} == set(TARGETED)


def test_stand_ins_are_active_only_inside_the_context() -> None:
    lists = {name: getattr(xpaths, name) for name, _index in EXPECTED}
    with faster_pruning():
        with faster_pruning():  # nested use keeps them until the outer one leaves
            pass
        assert all(isinstance(lists[name][index], FastXPath) for name, index in EXPECTED)
        assert all(isinstance(getattr(importlib.import_module(m), a), FastXPath) for m, a in MODULE_EXPECTED)
    assert not any(isinstance(lists[name][index], FastXPath) for name, index in EXPECTED)
    assert not any(isinstance(getattr(importlib.import_module(m), a), FastXPath) for m, a in MODULE_EXPECTED)


def test_a_failure_while_installing_leaves_trafilatura_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-ins are all built before any is swapped in: a broken readability module swaps in nothing."""
    broken = {k: v for k, v in readability_lxml.REGEXES.items() if k != "okMaybeItsACandidateRe"}
    monkeypatch.setattr(readability_lxml, "REGEXES", broken)
    with pytest.raises(KeyError), faster_pruning():
        pass
    lists = {name: getattr(xpaths, name) for name, _index in EXPECTED}
    assert not any(isinstance(lists[name][index], FastXPath) for name, index in EXPECTED)
    assert not any(isinstance(getattr(importlib.import_module(m), a), FastXPath) for m, a in MODULE_EXPECTED)
    monkeypatch.undo()
    with faster_pruning():  # and the next user gets them as usual
        assert all(isinstance(lists[name][index], FastXPath) for name, index in EXPECTED)
    assert not any(isinstance(lists[name][index], FastXPath) for name, index in EXPECTED)


def test_threads_leave_trafilatura_as_they_found_it() -> None:
    barrier = threading.Barrier(4)

    def extract_twice() -> None:
        barrier.wait()
        for _ in range(2):
            with faster_pruning():
                trafilatura.extract(page('<div class="byline">b</div>' + "<p>text here. </p>" * 20))

    threads = [threading.Thread(target=extract_twice) for _ in range(4)]
    originals = {name: Document.__dict__[name] for name in pruning._READABILITY_METHODS}
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not any(isinstance(getattr(xpaths, name)[index], FastXPath) for name, index in EXPECTED)
    assert all(Document.__dict__[name] is method for name, method in originals.items())


def test_a_changed_xpath_keeps_its_own_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    changed = etree.XPath(".//*[self::div][contains(@class, 'teaser')]")
    monkeypatch.setattr(xpaths, "TEASER_DISCARD_XPATH", [changed])
    with faster_pruning():
        assert xpaths.TEASER_DISCARD_XPATH[0] is changed
        assert isinstance(xpaths.OVERALL_DISCARD_XPATH[0], FastXPath)


def test_an_element_tree_goes_to_the_xpath() -> None:
    tree = parsed(page('<div class="byline">b</div>'))
    (fast,) = [f for f in stand_ins() if f.walk.__name__ == "boilerplate_sections"]
    document = tree.getroottree()
    assert [id(e) for e in fast(document)] == [id(e) for e in fast.xpath(document)]


@pytest.mark.parametrize("path", fixture_pages()[::3], ids=lambda p: p.name)
def test_trafilatura_output_is_unchanged(path: object) -> None:
    html = read_page(path)  # type: ignore[arg-type]
    for options in ({"include_comments": False}, {"favor_precision": True}, {"favor_recall": True}):
        expected = trafilatura.extract(html, **options)
        with faster_pruning():
            assert trafilatura.extract(html, **options) == expected


def test_raw_tree_kept_answers_trafilatura_once_for_that_tree_only() -> None:
    tree = parsed(page('<div class="byline">b</div>'))
    other = parsed(page('<div class="infinite-scroll">appended</div>'))
    (scroll,) = [f for f in stand_ins() if f.walk.__name__ == "infinite_scroll"]
    with faster_pruning():
        (fast,) = [e for e in xpaths.RAW_TREE_PRUNE_XPATH if isinstance(e, FastXPath) and e.walk is scroll.walk]
        with pruning.raw_tree_kept(tree, comments=False) as kept:
            assert kept
            assert fast(other) == fast.xpath(other) != []  # another tree is evaluated as usual
            assert fast(tree) == []  # the remembered answer...
            assert pruning._known_empty.trees.get(fast.walk) is None  # ...is given once
        assert pruning._known_empty.trees is None


@pytest.mark.parametrize(
    ("body", "comments", "kept"),
    [
        ('<div class="byline">b</div>', False, True),
        ('<div class="infinite-scroll">appended</div>', True, False),
        ('<section class="elementor-share-buttons">s</section>', True, False),
        ('<div id="comments">c</div>', False, False),
        ('<div id="comments">c</div>', True, True),  # comments on: trafilatura keeps comment sections in the raw tree
    ],
)
def test_raw_tree_kept_only_when_the_raw_prunes_find_nothing(body: str, comments: bool, kept: bool) -> None:
    tree = parsed(page(body))
    with faster_pruning(), pruning.raw_tree_kept(tree, comments) as answer:
        assert answer is kept
    before = etree.tostring(tree)
    with faster_pruning(), pruning.raw_tree_kept(tree, comments) as answer:
        trafilatura_sequence(tree, Extractor(comments=comments), None)  # the cascade on the tree itself
    assert (etree.tostring(tree) == before) is kept


def test_raw_tree_kept_is_false_without_the_walks() -> None:
    tree = parsed(page('<div class="byline">b</div>'))
    with pruning.raw_tree_kept(tree, comments=False) as kept:  # faster_pruning() not active: nothing to answer with
        assert not kept


# readability (trafilatura.readability_lxml.Document): the stand-ins faster_pruning() puts on the class

READABILITY_EXPECTED = set(pruning._READABILITY_METHODS)


def readability_stand_ins() -> dict[str, Callable[..., Any]]:
    return {name: fast for _owner, name, _original, fast in method_replacements()}


def summary(tree: etree._Element) -> str:
    """readability's output for `tree` as trafilatura calls it (on a copy: it changes the tree), or its error."""
    try:
        return Document(copy(tree), min_text_length=25).summary()
    except Exception as exc:  # a failure must be the same failure
        return f"raised {type(exc).__name__}: {exc}"


def summaries_both_ways(tree: etree._Element) -> tuple[str, str]:
    theirs = summary(tree)
    with faster_pruning():
        ours = summary(tree)
    return ours, theirs


def test_every_readability_method_applies_to_this_trafilatura() -> None:
    for name, (digest, _make) in pruning._READABILITY_METHODS.items():
        assert pruning.method_digest(getattr(Document, name)) == digest, name
    assert set(readability_stand_ins()) == READABILITY_EXPECTED == {"remove_unlikely_candidates", "class_weight"}


@pytest.mark.parametrize("path", fixture_pages(), ids=lambda p: p.name)
def test_readability_summary_is_unchanged_on_fixture_pages(path: object) -> None:
    ours, theirs = summaries_both_ways(parsed(decode_html(read_page(path), None)))  # type: ignore[arg-type]
    assert ours == theirs


def unlikely_removed(tree: etree._Element, method: Callable[..., Any]) -> bytes:
    method(Document(tree))
    return etree.tostring(tree)


# each reaches a condition of remove_unlikely_candidates; every page has something the original drops
UNLIKELY = [
    '<div class="sidebar">s</div><div class="article">kept</div>',
    '<div class="" id="sidebar">empty class</div><div id="" class="popup">empty id</div>',
    '<div class="" id="">both empty</div><span class="tweet">t</span>',
    '<div class="comment" id="main">ok-maybe via the id</div><div class="extra-content">kept</div><p id="rss">x</p>',
    '<div class="Sidebar">case folded</div><div id="SHOUTBOX">x</div><div class="MAIN footer">kept</div>',
    '<div class="header"><p class="comment">nested<span class="popup">deeper</span></p>tail</div>after',
    '<!-- a comment --><div><!-- inside --><p class="pager">p</p><?pi x?>tail</div><div class="foot"><!-- c --></div>',
    '<p>lead <span class="twitter">x</span> tail kept <b class="combx">y</b>z</p>',
    '<div class="disqus agegate" id="remark">x</div><div class="ad-break">x</div><div id="pagination">x</div>',
]


def unlikely_page(body: str, body_attributes: str = "") -> str:
    return f"<html><head><title>t</title></head><body{body_attributes}><main>{body}<p>End.</p></main></body></html>"


@pytest.mark.parametrize("body", UNLIKELY)
def test_unlikely_candidates_removed_as_readability_does(body: str) -> None:
    tree = parsed(unlikely_page(body))
    before = etree.tostring(tree)
    theirs = unlikely_removed(copy(tree), Document.remove_unlikely_candidates)
    assert theirs != before, f"readability dropped nothing from {body!r}: the comparison would be empty"
    assert unlikely_removed(copy(tree), readability_stand_ins()["remove_unlikely_candidates"]) == theirs
    assert summaries_both_ways(tree)[0] == summaries_both_ways(tree)[1]


def test_frame_tags_are_never_dropped() -> None:
    tree = parsed(unlikely_page('<div class="sidebar">s</div>', ' class="sidebar-wrapper" id="comments"'))
    tree.set("class", "header")  # the html element too
    theirs = unlikely_removed(copy(tree), Document.remove_unlikely_candidates)
    assert b'<body class="sidebar-wrapper"' in theirs and b'<html class="header"' in theirs
    assert b">s</div>" not in theirs
    assert unlikely_removed(copy(tree), readability_stand_ins()["remove_unlikely_candidates"]) == theirs


def test_an_element_tree_is_left_to_the_original() -> None:
    tree = parsed(unlikely_page('<div class="sidebar">s</div>'))
    remove = readability_stand_ins()["remove_unlikely_candidates"]
    theirs, ours = copy(tree), copy(tree)
    Document(theirs.getroottree()).remove_unlikely_candidates()
    remove(Document(ours.getroottree()))
    assert etree.tostring(ours) == etree.tostring(theirs) != etree.tostring(tree)


def test_attribute_strings_shorter_than_two_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """trafilatura's needles are all longer than 2 characters: a pattern with a one-letter needle reaches the check,
    and the stand-in made for those pattern objects applies it."""
    regexes = dict(readability_lxml.REGEXES, unlikelyCandidatesRe=re.compile(r"x|sidebar"))
    monkeypatch.setattr(readability_lxml, "REGEXES", regexes)
    tree = parsed(
        unlikely_page(
            '<div class="x">one letter</div><div id="x">id</div><div class="" id="x">e</div><div class="xx">two</div>'
        )
    )
    theirs = unlikely_removed(copy(tree), Document.remove_unlikely_candidates)
    assert b"one letter" in theirs and b">id<" in theirs and b">e<" in theirs and b">two<" not in theirs
    with faster_pruning():
        ours = unlikely_removed(copy(tree), Document.remove_unlikely_candidates)
    assert ours == theirs


# class and id values that read negative, positive, both or neither
WEIGHTED = [
    '<div class="promo" id="sidebar">-50</div><div class="article" id="story">+50</div>',
    '<div class="" id="content">+25, empty class</div><div class="related" id="">-25, empty id</div>',
    '<div class="post-footer">both: 0</div><div class="Comment-Body">both, other case</div><h2 id="tools">-25</h2>',
    '<table id="Main" class="Media"><tr><td class="entry">x</td></tr></table><div class="" id="">none</div>',
]


@pytest.mark.parametrize("body", WEIGHTED)
def test_class_weight_as_readability_gives(body: str) -> None:
    tree = parsed(page(body))
    weigh, document = readability_stand_ins()["class_weight"], Document(tree)
    theirs = [Document.class_weight(document, element) for element in tree.iter()]
    assert any(theirs), f"every weight is 0 on {body!r}: the comparison would be empty"
    assert [weigh(document, element) for element in tree.iter()] == theirs
    assert summaries_both_ways(tree)[0] == summaries_both_ways(tree)[1]


@pytest.mark.parametrize("path", fixture_pages()[::5], ids=lambda p: p.name)
def test_class_weight_on_every_element_of_fixture_pages(path: object) -> None:
    tree = parsed(decode_html(read_page(path), None))  # type: ignore[arg-type]
    weigh, document = readability_stand_ins()["class_weight"], Document(tree)
    assert [weigh(document, e) for e in tree.iter()] == [Document.class_weight(document, e) for e in tree.iter()]


def test_readability_stand_ins_are_on_the_class_only_inside_the_context() -> None:
    originals = {name: Document.__dict__[name] for name in READABILITY_EXPECTED}
    stand_ins = readability_stand_ins()  # made outside: inside, the class holds them and they are not made again
    with faster_pruning():
        with faster_pruning():
            pass
        assert {name: Document.__dict__[name] for name in READABILITY_EXPECTED} == stand_ins
    assert all(Document.__dict__[name] is originals[name] for name in READABILITY_EXPECTED)


def test_a_changed_method_keeps_the_original(monkeypatch: pytest.MonkeyPatch) -> None:
    _digest, make = pruning._READABILITY_METHODS["class_weight"]
    monkeypatch.setitem(pruning._READABILITY_METHODS, "class_weight", ("0" * 16, make))
    original, remove = Document.class_weight, readability_stand_ins()["remove_unlikely_candidates"]
    with faster_pruning():
        assert Document.class_weight is original
        assert Document.remove_unlikely_candidates is remove
    assert Document.class_weight is original


def test_a_method_with_other_source_is_left_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    def class_weight(self: Document, elem: etree._Element) -> float:
        return 0

    monkeypatch.setattr(Document, "class_weight", class_weight)
    with faster_pruning():
        assert Document.class_weight is class_weight
    assert Document.class_weight is class_weight
