"""Clutter detection: text rules in many languages, guards for real sentences, options, structure, site templates."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from cleaner.clutter import (
    RULE_IDS as RULE_IDS_ALL,
)
from cleaner.clutter import (
    PageStructure,
    apply_spans,
    check_config,
    detect_lines,
    find_clutter_lines,
    strip_site_templates,
)
from cleaner.clutter.config import ClutterConfig
from cleaner.clutter.rules import RULE_IDS, RULES
from cleaner.errors import ConfigError
from cleaner.models import Article

DEFAULT = ClutterConfig()

LEAD_INS = [
    ("en", "Also Read: Malala becomes second Pakistani to be honored at Oxford"),
    ("fr", "Lire aussi : Le gouvernement présente son budget"),
    ("de", "Lesen Sie auch: Bundestag beschließt neues Gesetz"),
    ("es", "Lee también: El Gobierno aprueba la reforma"),
    ("pt", "Leia também: Governo anuncia novo pacote"),
    ("it", "Leggi anche: Il governo approva la manovra"),
    ("nl", "Lees ook: Kabinet presenteert nieuwe plannen"),
    ("hi", "यह भी पढ़ें: सरकार ने नई योजना की घोषणा की"),
    ("ur", "یہ بھی پڑھیں: حکومت نے نیا منصوبہ پیش کر دیا"),
    ("ar", "اقرأ أيضاً: الحكومة تعلن عن خطة جديدة"),
    ("ar", "اقرأ أيضا: الحكومة تعلن عن خطة جديدة"),
    ("ru", "Читайте также: Правительство представило новый план"),
    ("tr", "Ayrıca okuyun: Hükümet yeni planı açıkladı"),
    ("en", "ALSO READ | India reduces Russian crude imports"),
    ("en", "» Read more: The ultimate guide to saving"),
    ("en", "SEE MORE: Stocks fall as rates rise"),
    ("en", "Related: What a second carrier would mean"),
    ("en", "RELATED"),
    ("en", "Most read in world news"),
    ("en", "More from The Guardian:"),
]


@pytest.mark.parametrize(("language", "line"), LEAD_INS, ids=[f"{lang}-{n}" for n, (lang, _) in enumerate(LEAD_INS)])
def test_read_also_lead_ins_in_many_languages(language: str, line: str) -> None:
    found = find_clutter_lines(f"A real first paragraph of the story, long enough to be prose.\n{line}")
    assert [(r.text, r.rule) for r in found] == [(line, "text.read_also")]


PROMPTS = [
    ("READ MORE Trump says talks will resume next week", "text.read_also_caps"),
    ("Sign up for our free morning newsletter", "text.newsletter"),
    ("Get the day's top stories in your inbox — sign up for the Daily Brief.", "text.newsletter"),
    ("Follow us on Twitter", "text.follow_us"),
    ("Follow @HarborCityPost on X for the latest world news.", "text.follow_us"),
    ("Story continues below advertisement", "text.ad_marker"),
    ("ADVERTISEMENT", "text.ad_marker"),
    ("DON'T MISS", "text.read_also"),
    ("Share this article", "text.share_prompt"),
    ("(Reporting by Jane Doe; Editing by John Roe)", "text.credit_line"),
    ("If you buy something through our links, we may earn a commission.", "text.affiliate"),
    ("Tags: politics, budget, council", "text.tags_line"),
    ("4 min read", "text.reading_time"),
    ("© 2026 City Gazette. All rights reserved.", "text.copyright"),
    ("Plague warning: CDC names eight diseases [VIDEO]", "text.teaser_tag"),
    ("Here's The Unsubscribe", "text.newsletter"),
    ("Was this article helpful?", "text.engagement"),
    (
        "Harbor Notes is a production of the Harbor Press. If you liked this article, please consider sharing it.",
        "text.engagement",
    ),
    ("By entering your email, you agree to receive our emails and our marketing messages.", "text.form_consent"),
    ("and agree to our Terms & Conditions and Privacy Policy.", "text.form_consent"),
    (
        "This site is protected by reCAPTCHA and the Google Privacy Policy and Terms of Service apply.",
        "text.form_consent",
    ),
    (
        "A note from the kitchen: our menus follow expert guidance. Get $10 off your first order with code: FRESH10.",
        "text.offer",
    ),
    (
        "This story was produced by the Example Report, a nonprofit newsroom. Sign up for our weekly newsletter.",
        "text.newsletter",
    ),
    ("We may be compensated when you click on a link to one of our advertising partners.", "text.affiliate"),
    ("Last Updated: December 15th 2025", "text.byline_date"),
]


# One line per text rule that the rule (and no other) removes after a paragraph: the disable test below.
TEXT_RULE_SAMPLES = {
    **{rule: line for line, rule in PROMPTS},
    **{"text.read_also": LEAD_INS[0][1]},
    "text.paywall": "Subscribe to continue reading",
    "text.ui_label": "Load more",
    "text.byline": "Reviewed by Dr. Anna Smith",
    "text.follow_author": "Jane Doe covers city hall for the Gazette. Follow her on Twitter @janedoe",
    "text.author_bio": "Jane Doe is a senior reporter at the Gazette who covers city hall.",
    "text.timestamp": "2026-02-11T13:42:00Z",
}


@pytest.mark.parametrize(("line", "rule"), PROMPTS)
def test_prompts_are_found(line: str, rule: str) -> None:
    assert [(r.text, r.rule) for r in find_clutter_lines(line)] == [(line, rule)]


SENTENCES = [
    "Related talks with the transit authority stalled last month over how to share the costs.",
    "Related-party transactions rose 4% in the quarter, the filing shows.",
    "Read more carefully, the contract says the tenant pays for repairs.",
    "Residents who want to read more about the plan can find it at city hall.",
    "More on that later: the committee meets again in March.",
    "Also, the council will vote on the parks plan next week.",
    "Video: 4K/30p, FHD 120p for slow motion",
    "Sign up rates among seniors rose sharply last year, the survey found.",
    "The newsletter, founded in 1998, now reaches 40,000 subscribers, its editor said.",
    "Follow-up tests showed no trace of the virus, doctors said.",
    "Watch closely: the central bank's next move depends on wages.",
    "By 2030, emissions must fall by half, the report says.",
    "The vote on March 3 was close, officials said.",
    "The unsubscribe rate of the campaign rose to 2% last year.",
    "Tags on the luggage were checked twice, the airline said.",
    # near misses of the form-consent, discount, newsletter-sentence and compensation rules
    "Both sides agree to the terms of the ceasefire, the mediators said on Sunday.",
    "By Friday, residents agree to the new parking plan, the survey suggests.",
    "The shop offers 25% off its annual plan with code SPRING until the end of the month, the company said.",
    "Workers who switch jobs may receive compensation for lost pension rights, the court ruled.",
    "The newsletter's editor said 40,000 readers subscribe to it. Sign-ups doubled in a year.",
    "He finished 2nd on May 5 at the national championships in Leeds.",
]


@pytest.mark.parametrize("line", SENTENCES)
def test_real_sentences_survive(line: str) -> None:
    assert find_clutter_lines(line) == []


def test_byline_and_date_lines_only_at_the_edges() -> None:
    prose = (
        "The council approved the budget on Tuesday after a long debate that took most of the afternoon, a clerk said."
    )
    lines = ["By Jane Doe", "Updated at 1:23 p.m.", prose, "March 3, 2020", prose]
    spans = detect_lines(lines, DEFAULT)
    assert [(span.line, span.rule) for span in spans] == [(0, "text.byline_date"), (1, "text.byline_date")]


def test_reader_prompts_inside_a_note_only_at_the_edges() -> None:
    """Scanning rules that read a whole paragraph (consent text, discount codes, 'if you liked this') fire only in
    the lead or the tail: between two paragraphs of the story such a sentence may be reported content."""
    prose = (
        "The council approved the budget on Tuesday after a long debate that took most of the afternoon, a clerk said."
    )
    middle = [
        "By clicking accept, users agree to our terms of service, the complaint quotes the app as saying.",
        "The firm told customers: get 20% off your next order with code SORRY after the outage, a spokesman said.",
        "She said: if you liked this article, you will like the book, and the audience laughed at the joke.",
    ]
    for line in middle:
        assert detect_lines([prose, line, prose], DEFAULT) == [], line
        assert [span.line for span in detect_lines([prose, line], DEFAULT)] == [1], line


def test_explicit_byline_label_anywhere() -> None:
    prose = (
        "The council approved the budget on Tuesday after a long debate that took most of the afternoon, a clerk said."
    )
    spans = detect_lines([prose, "Written by Cassidy Horton", prose], DEFAULT)
    assert [(span.line, span.rule) for span in spans] == [(1, "text.byline")]


def test_every_rule_has_an_id_a_comment_and_languages() -> None:
    assert {rule.id for rule in RULES} == RULE_IDS
    for rule in RULES:
        assert rule.id.startswith("text.") and rule.why and rule.reason
        assert rule.languages or rule.id == "text.timestamp"


def test_disabled_rules_and_families() -> None:
    line = "Also Read: Something else entirely"
    assert find_clutter_lines(line, ClutterConfig(disabled_rules=frozenset({"text.read_also"}))) == []
    assert find_clutter_lines(line, ClutterConfig(families=frozenset({"structure", "template"}))) == []
    assert find_clutter_lines(line, ClutterConfig(enabled=False)) == []


def test_every_rule_id_can_be_disabled_and_typos_are_refused() -> None:
    """Each id `disabled_rules` accepts switches off exactly its rule: a sample line that rule removes is kept
    (samples for the text rules here, for the structure and template rules in their own sections below)."""
    prose = "The council approved the budget on Tuesday after a long debate that took most of the afternoon."
    assert set(TEXT_RULE_SAMPLES) == RULE_IDS  # every text rule has a sample
    for rule_id, sample in TEXT_RULE_SAMPLES.items():
        lines = [prose, sample]
        assert [(s.line, s.rule) for s in detect_lines(lines, DEFAULT)] == [(1, rule_id)], rule_id
        assert detect_lines(lines, ClutterConfig(disabled_rules=frozenset({rule_id}))) == [], rule_id
    assert set(RULE_IDS_ALL) == RULE_IDS | set(STRUCTURE_RULE_SAMPLES) | {"template.site_repeat"}
    with pytest.raises(ConfigError, match="disabled_rules"):
        find_clutter_lines("x", ClutterConfig(disabled_rules=frozenset({"text.read_alsoo"})))
    with pytest.raises(ConfigError, match="families"):
        find_clutter_lines("x", ClutterConfig(families=frozenset({"txt"})))


def test_user_patterns() -> None:
    config = ClutterConfig(extra_patterns=(r"sponsored by\b", r"brought to you by"))
    found = find_clutter_lines("Real prose stays here, a full sentence.\nSponsored by Acme Corp", config)
    assert [(r.text, r.rule) for r in found] == [("Sponsored by Acme Corp", "user.1")]
    assert find_clutter_lines("This line is sponsored by nobody.", config) == []  # anchored at the line start


def test_invalid_user_pattern_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="extra_patterns"):
        find_clutter_lines("x", ClutterConfig(extra_patterns=("([unclosed",)))
    with pytest.raises(ConfigError, match="extra_patterns"):
        check_config(ClutterConfig(extra_patterns=("([unclosed",)))
    with pytest.raises(ConfigError, match="template_min"):
        check_config(ClutterConfig(template_min_share=0.0))
    check_config(ClutterConfig())


def test_apply_spans_removes_or_marks() -> None:
    lines = ["First real paragraph of the story.", "Also Read: Another story", "Last real paragraph."]
    spans = detect_lines(lines, DEFAULT)
    text, removed = apply_spans(lines, spans, DEFAULT)
    assert text == "First real paragraph of the story.\nLast real paragraph."
    assert [(r.text, r.rule) for r in removed] == [("Also Read: Another story", "text.read_also")]
    marked, removed_marked = apply_spans(lines, spans, ClutterConfig(mark_only=True))
    assert marked == "\n".join(lines) and removed_marked == removed


# ---------------------------------------------------------------------------------------------- structure

PAGE_URL = "https://gazette.example/news/2026/02/11/council-budget"
PARAGRAPH = "The council approved the budget on Tuesday after a debate that lasted most of the afternoon, {}."


def rules_for(lines: list[str], body: str) -> dict[str, str]:
    tree = lxml_html.document_fromstring(
        "<html><head><title>Council passes budget | Gazette</title></head>"
        f"<body><article>{body}</article></body></html>"
    )
    structure = PageStructure.from_tree(tree, PAGE_URL, "Council passes budget")
    return {lines[span.line]: span.rule for span in detect_lines(lines, DEFAULT, structure)}


def test_teaser_run_after_the_story_is_removed() -> None:
    prose = [PARAGRAPH.format(n) for n in range(3)]
    teasers = [f"Story number {n} headline for readers" for n in range(3)]
    body = "".join(f"<p>{line}</p>" for line in prose) + "".join(
        f"<p><a href='/news/2026/02/0{n}/story-number-{n}'>{line}</a></p>" for n, line in enumerate(teasers)
    )
    found = rules_for(["Council passes budget", *prose, *teasers], "<h1>Council passes budget</h1>" + body)
    assert found == {"Council passes budget": "structure.headline", **dict.fromkeys(teasers, "structure.link_only")}


def test_linked_list_items_and_outside_links_stay() -> None:
    prose = [PARAGRAPH.format(n) for n in range(3)]
    cited = [f"Step {n} of the repair guide" for n in range(3)]
    external = "A report by the national audit office"
    body = (
        f"<p>{prose[0]}</p><ul>"
        + "".join(f"<li><a href='/guides/repair-guide-step-{n}'>{line}</a></li>" for n, line in enumerate(cited))
        + f"</ul><p>{prose[1]}</p><p><a href='https://audit.example/reports/2026-budget-review'>{external}</a></p>"
        + f"<p>{prose[2]}</p>"
    )
    assert rules_for([prose[0], *cited, prose[1], external, prose[2]], body) == {}


def test_promo_container_inside_the_body() -> None:
    prose = [PARAGRAPH.format(n) for n in range(3)]
    body = (
        f"<p>{prose[0]}</p><div class='inline-newsletter-box'><p>The Morning Edition, picked by our editors</p>"
        f"</div><p>{prose[1]}</p><p>{prose[2]}</p>"
    )
    box = "The Morning Edition, picked by our editors"
    assert rules_for([prose[0], box, prose[1], prose[2]], body) == {box: "structure.promo_container"}


def test_headline_row_of_a_layout_table() -> None:
    prose = [PARAGRAPH.format(n) for n in range(3)]
    row = "| Council passes budget | January 22nd, 2019 |"
    body = "<table><tr><td><h2>Council passes budget</h2></td><td>January 22nd, 2019</td></tr></table>"
    body += "".join(f"<p>{line}</p>" for line in prose)
    assert rules_for([row, *prose], body) == {row: "structure.headline"}
    other = "| Council passes budget | Ward 4 results |"  # a cell that is not a date or a byline: a real table
    assert rules_for([other, *prose], body.replace("January 22nd, 2019", "Ward 4 results")) == {}


def page_rules(lines: list[str], page: str) -> dict[str, str]:
    structure = PageStructure.from_tree(lxml_html.document_fromstring(page), PAGE_URL, "Oops")
    return {lines[span.line]: span.rule for span in detect_lines(lines, DEFAULT, structure)}


def test_the_body_is_never_a_menu() -> None:
    """When trafilatura's text is mostly a menu, the menu must not become the body root: inside the root the
    <nav> evidence is never read and the menu would pass as the article's own lines."""
    sections = [f"Section {n}" for n in range(12)]
    menu = "".join(f"<li><a href='/section/{n}'>{line}</a></li>" for n, line in enumerate(sections))
    notice = PARAGRAPH.format("but this page only shows the notice that the story has moved")
    page = (
        f"<html><head><title>Oops</title></head><body><header><nav><ul>{menu}</ul></nav></header>"
        f"<main><p>{notice}</p></main></body></html>"
    )
    assert page_rules([*sections, notice], page) == dict.fromkeys(sections, "structure.edge_container")


def test_links_in_a_text_without_a_paragraph_are_a_link_list() -> None:
    stories = [f"Popular story number {n}" for n in range(8)]
    items = "".join(f"<li><a href='/story/{n}'>{line}</a></li>" for n, line in enumerate(stories))
    page = f"<html><body><main><h2>Sorry, we could not find that story</h2><ul>{items}</ul></main></body></html>"
    heading = "Sorry, we could not find that story"
    assert page_rules([heading, *stories], page) == dict.fromkeys(stories, "structure.link_list")
    # one real paragraph and the same links are the article's own list: they stay
    prose = PARAGRAPH.format("and the list below names the stories readers asked about most")
    with_prose = page.replace("</h2>", f"</h2><p>{prose}</p>")
    assert page_rules([heading, prose, *stories], with_prose) == {}


def test_lone_teaser_paragraph_mid_body_is_removed() -> None:
    """One headline alone in a paragraph between the story's paragraphs, linking to another article of the site,
    is an inline teaser; near misses that are content stay."""
    prose = [PARAGRAPH.format(n) for n in range(4)]
    teaser = "Harbour bridge to close for three weeks of repairs"

    def found(middle: str, line: str) -> dict[str, str]:
        body = f"<p>{prose[0]}</p><p>{prose[1]}</p>{middle}<p>{prose[2]}</p><p>{prose[3]}</p>"
        return rules_for([prose[0], prose[1], line, prose[2], prose[3]], body)

    def alone(href: str, text: str = teaser) -> str:
        return f"<p><a href='{href}'>{text}</a></p>"

    inward = "/news/2026/02/10/harbour-bridge-repairs"
    assert found(alone(inward), teaser) == {teaser: "structure.link_only"}
    assert found(f"<p><strong>{alone(inward)[3:-4]}</strong></p>", teaser) == {teaser: "structure.link_only"}
    assert found(alone(f"https://www.gazette.example{inward}"), teaser) == {teaser: "structure.link_only"}
    near_misses = {
        # a sentence with a link in it
        "Residents can read the full ruling on the bridge before the vote": (
            f"<p>Residents can read <a href='{inward}'>the full ruling on the bridge</a> before the vote</p>"
        ),
        # a lone link that ends like a sentence is the writer's own sentence
        "The harbour bridge will close for three weeks of repairs.": alone(
            inward, "The harbour bridge will close for three weeks of repairs."
        ),
        # a citation: the link leaves the site
        "National audit office review of the 2026 city budget": alone(
            "https://audit.example/reports/2026-budget-review",
            "National audit office review of the 2026 city budget",
        ),
        # a link to the page itself (a permalink, a "page 1" anchor)
        "Council passes budget after a long afternoon debate": alone(
            PAGE_URL, "Council passes budget after a long afternoon debate"
        ),
        teaser + " ": f"<ul><li><a href='{inward}'>{teaser}</a></li></ul>",  # a list of the article's sources
        "Bridge": alone(inward, "Bridge"),  # too short for a headline: a linked name
        # a table of contents entry: a section of an article
        "How to apply for a resident parking permit": alone(
            "/news/2026/02/09/parking-guide#permits", "How to apply for a resident parking permit"
        ),
    }
    for line, middle in near_misses.items():
        assert found(middle, line.strip()) == {}, line
    # next to a heading or another linked line: a list of resources, not a teaser dropped into the story
    heading, resource = "Where to find the figures", "Explaining how the city budget works (PDF)"
    body = (
        f"<p>{prose[0]}</p><h3>{heading}</h3><p><a href='/guides/budget-guide'>Explaining how the city budget "
        f"works</a> (PDF)</p>{alone(inward)}<p>{prose[1]}</p><p>{prose[2]}</p>"
    )
    assert rules_for([prose[0], heading, resource, teaser, prose[1], prose[2]], body) == {}
    subhead = "What comes next"
    body = f"<p>{prose[0]}</p><p>{prose[1]}</p>{alone(inward)}<h3>{subhead}</h3><p>{prose[2]}</p>"
    assert rules_for([prose[0], prose[1], teaser, subhead, prose[2]], body) == {}
    # introduced by the previous line ("...is here:"): the link is what the paragraph announces
    intro = "The full ruling, which runs to forty pages and names every contractor, is available here:"
    body = f"<p>{prose[0]}</p><p>{intro}</p>{alone(inward)}<p>{prose[1]}</p><p>{prose[2]}</p>"
    assert rules_for([prose[0], intro, teaser, prose[1], prose[2]], body) == {}
    # and disabling the rule keeps it
    body = f"<p>{prose[0]}</p>{alone(inward)}<p>{prose[1]}</p><p>{prose[2]}</p>"
    tree = lxml_html.document_fromstring(f"<html><body><article>{body}</article></body></html>")
    off = ClutterConfig(disabled_rules=frozenset({"structure.link_only"}))
    lines = [prose[0], teaser, prose[1], prose[2]]
    assert detect_lines(lines, off, PageStructure.from_tree(tree, PAGE_URL)) == []


def test_many_lone_linked_paragraphs_are_a_listicle() -> None:
    """A list article whose item names link to the site's reviews: each name alone in a paragraph followed by
    its description. Too many for inline teasers, so they stay."""
    names = [f"The harbour kitchen number {n} on the quay" for n in range(4)]
    descriptions = [PARAGRAPH.format(f"and kitchen {n} serves fish") for n in range(4)]
    lines = [PARAGRAPH.format("opening the guide")]
    body = f"<p>{lines[0]}</p>"
    for n, (name, description) in enumerate(zip(names, descriptions, strict=True)):
        body += f"<p><a href='/reviews/harbour-kitchen-{n}-review'>{name}</a></p><p>{description}</p>"
        lines += [name, description]
    assert rules_for(lines, body) == {}


STRUCTURE_RULE_SAMPLES: dict[str, tuple[str, list[str], str]] = {
    # rule id: (page, extracted lines, the line that rule removes)
    "structure.headline": (
        "<html><head><title>Council passes budget</title></head><body><article><h1>Council passes budget</h1>"
        + "".join(f"<p>{PARAGRAPH.format(n)}</p>" for n in range(3))
        + "</article></body></html>",
        ["Council passes budget", *(PARAGRAPH.format(n) for n in range(3))],
        "Council passes budget",
    ),
    "structure.link_only": (
        "<html><body><article>"
        + "".join(f"<p>{PARAGRAPH.format(n)}</p>" for n in range(3))
        + "<p><a href='/news/2026/02/01/story-number-1'>Story number 1 headline for readers</a></p>"
        + "<p><a href='/news/2026/02/02/story-number-2'>Story number 2 headline for readers</a></p>"
        + "</article></body></html>",
        [*(PARAGRAPH.format(n) for n in range(3)), "Story number 1 headline for readers", "Story number 2 headline"],
        "Story number 1 headline for readers",
    ),
    "structure.tail_outside_body": (
        "<html><body><article>"
        + "".join(f"<p>{PARAGRAPH.format(n)}</p>" for n in range(3))
        + "</article><div><p>Photos of the week in the city</p></div></body></html>",
        [*(PARAGRAPH.format(n) for n in range(3)), "Photos of the week in the city"],
        "Photos of the week in the city",
    ),
    "structure.edge_container": (
        "<html><body><article><div class='social-links'><p>Jane Doe in Geneva</p></div>"
        + "".join(f"<p>{PARAGRAPH.format(n)}</p>" for n in range(3))
        + "</article></body></html>",
        ["Jane Doe in Geneva", *(PARAGRAPH.format(n) for n in range(3))],
        "Jane Doe in Geneva",
    ),
    "structure.promo_container": (
        f"<html><body><article><p>{PARAGRAPH.format(0)}</p><div class='inline-newsletter-box'><p>The Morning "
        "Edition, picked by our editors</p></div>"
        + "".join(f"<p>{PARAGRAPH.format(n)}</p>" for n in range(1, 3))
        + "</article></body></html>",
        [PARAGRAPH.format(0), "The Morning Edition, picked by our editors", PARAGRAPH.format(1), PARAGRAPH.format(2)],
        "The Morning Edition, picked by our editors",
    ),
    "structure.link_list": (
        "<html><body><main><h2>Sorry, we could not find that story</h2><ul>"
        + "".join(f"<li><a href='/story/{n}'>Popular story number {n}</a></li>" for n in range(4))
        + "</ul></main></body></html>",
        ["Sorry, we could not find that story", *(f"Popular story number {n}" for n in range(4))],
        "Popular story number 0",
    ),
}


@pytest.mark.parametrize("rule_id", sorted(STRUCTURE_RULE_SAMPLES))
def test_every_structure_rule_can_be_disabled(rule_id: str) -> None:
    page, lines, target = STRUCTURE_RULE_SAMPLES[rule_id]

    def removed(config: ClutterConfig) -> dict[str, str]:
        structure = PageStructure.from_tree(lxml_html.document_fromstring(page), PAGE_URL)
        return {lines[span.line]: span.rule for span in detect_lines(lines, config, structure)}

    assert removed(DEFAULT).get(target) == rule_id
    assert target not in removed(ClutterConfig(disabled_rules=frozenset({rule_id})))
    assert target not in removed(ClutterConfig(families=frozenset({"text", "template"})))


# ---------------------------------------------------------------------------------------------- templates


def article(article_id: str, site: str | None, lines: list[str], url: str | None = None) -> Article:
    return Article(id=article_id, source=article_id, url=url, text="\n".join(lines), site=site)


SIGNATURE = "Got a news tip? Email our newsroom at tips@gazette.example any time."


def story(n: int) -> list[str]:
    return [f"Story {n} opens with its own first paragraph about topic {n}.", f"Story {n} goes on, fact {n * 3}."]


def test_site_template_lines_are_removed_per_site() -> None:
    articles = [article(f"g{n}", "Gazette", [*story(n), SIGNATURE]) for n in range(4)]
    result = strip_site_templates(articles, DEFAULT)
    for original, cleaned in zip(articles, result, strict=True):
        assert SIGNATURE not in cleaned.text
        assert cleaned.text == "\n".join(original.text.split("\n")[:2])
        assert [(r.text, r.rule) for r in cleaned.removed] == [(SIGNATURE, "template.site_repeat")]
    off = ClutterConfig(disabled_rules=frozenset({"template.site_repeat"}))
    assert strip_site_templates(articles, off) == articles


def test_lines_shared_across_sites_are_never_template() -> None:
    wire = "Wire service paragraph that every outlet republished word for word today."
    articles = [article(f"s{n}", f"Outlet {n}", [*story(n), wire]) for n in range(6)]
    assert strip_site_templates(articles, DEFAULT) == articles


def test_repeated_copies_of_one_story_are_not_a_template() -> None:
    # a site that republishes the same story (updates) must keep its paragraphs
    copies = [article(f"c{n}", "Gazette", [*story(1), SIGNATURE]) for n in range(3)]
    others = [article(f"o{n}", "Gazette", [*story(10 + n), SIGNATURE]) for n in range(3)]
    result = strip_site_templates(copies + others, DEFAULT)
    for cleaned in result[:3]:
        assert cleaned.text == "\n".join(story(1))


def test_short_headings_mid_article_are_not_template() -> None:
    articles = [
        article(f"r{n}", "Reviews", [*story(n)[:1], "Pros", f"Fast and light, model {n}.", *story(n)[1:]])
        for n in range(5)
    ]
    assert all("Pros" in cleaned.text for cleaned in strip_site_templates(articles, DEFAULT))


def test_templates_use_url_host_without_site_and_respect_options() -> None:
    articles = [
        article(f"u{n}", None, [*story(n), SIGNATURE], url=f"https://www.gazette.example/a/{n}") for n in range(3)
    ]
    assert all(SIGNATURE not in a.text for a in strip_site_templates(articles, DEFAULT))
    marked = strip_site_templates(articles, ClutterConfig(mark_only=True))
    assert all(SIGNATURE in a.text and a.removed for a in marked)
    assert strip_site_templates(articles, ClutterConfig(template_min_pages=4)) == articles
    off = ClutterConfig(families=frozenset({"text", "structure"}))
    assert strip_site_templates(articles, off) == articles


def test_templates_do_not_depend_on_input_order() -> None:
    articles = [article(f"g{n}", "Gazette", [*story(n), SIGNATURE]) for n in range(5)]
    forward = {a.id: a for a in strip_site_templates(articles, DEFAULT)}
    backward = {a.id: a for a in strip_site_templates(list(reversed(articles)), DEFAULT)}
    assert forward == backward


# ---------------------------------------------------------------------------------------------- property

WORDS_TEXT = (
    "the council city budget approved tuesday after debate members said plan would fund road repairs two new "
    "libraries longer hours public pools residents officials mayor expected first spring weather across report "
    "showed rates rose fell market prices water school teachers students hospital doctors patients police court "
    "judge ruled river bridge train station farmers rain harvest company workers factory wages government minister"
)
WORDS = WORDS_TEXT.split(" ")

sentence = st.lists(st.sampled_from(WORDS), min_size=6, max_size=30).map(
    lambda words: " ".join(words).capitalize() + "."
)
paragraph = st.lists(sentence, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(st.lists(paragraph, min_size=1, max_size=12))
def test_clean_prose_passes_through_unchanged(paragraphs: list[str]) -> None:
    text = "\n".join(paragraphs)
    assert find_clutter_lines(text) == []
    spans = detect_lines(paragraphs, DEFAULT)
    assert apply_spans(paragraphs, spans, DEFAULT) == (text, [])
    # the same prose on three pages of one site (the template minimum: a story republished as updates) recurs on
    # every page, so only the same-story guard keeps it from being taken for the site's template
    copies = [article(f"p{n}", "Site", paragraphs) for n in range(3)]
    assert strip_site_templates(copies, DEFAULT) == copies


def _site_pages(seed: int) -> list[tuple[str, str]]:
    """(id, text) of one site's pages: stories that share paragraphs (updates of one story, reprints), a footer."""
    import random

    rng = random.Random(seed)
    paragraphs = [
        f"Paragraph {n} of the harbour story says the council met again over the dredging plan." for n in range(12)
    ]
    footer = "Sign in to read the rest of our coverage of the harbour and the port"
    pages = []
    for _ in range(14):
        chosen = rng.sample(paragraphs, rng.randint(2, 5))
        pages.append((f"{rng.getrandbits(64):016x}", "\n".join([*chosen, footer])))
    return pages


@pytest.mark.parametrize("seed", range(6))
def test_site_templates_do_not_depend_on_the_ids(seed: int) -> None:
    """Ids are hashes of source paths: the same corpus read from another folder must lose the same lines."""
    import random

    pages = _site_pages(seed)
    results = []
    for relabel in range(8):
        ids = [page_id for page_id, _ in pages]
        random.Random(relabel).shuffle(ids)
        articles = [
            Article(new_id, new_id, None, text, site="harbour.example")
            for new_id, (_, text) in zip(ids, pages, strict=True)
        ]
        stripped = strip_site_templates(articles, ClutterConfig())
        results.append(sorted((a.text, len(a.removed)) for a in stripped))
    assert all(result == results[0] for result in results)
