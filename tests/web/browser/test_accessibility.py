"""Accessibility of every page with a form or controls, checked in a real browser (Debian's
Chromium driven by Playwright; axe-core is not available offline, so these are our own checks):

* every input, select and textarea has a label (``<label for>``, a wrapping label,
  ``aria-label`` or ``aria-labelledby``), every link and button a non-empty name, every image
  an alt; one h1; ``<html lang>``; no duplicate ids (a label ``for`` a duplicate labels the
  wrong control); and Chromium's own accessibility tree gives every control a name;
* from the top of the page, Tab reaches every visible, enabled control of the page's forms in
  DOM order, and each focused element shows a focus ring (outline or box-shadow);
* forms work from the keyboard alone: sign in, search, subscribe (type, Enter).

Skipped without ``playwright`` or ``/usr/bin/chromium`` (see tests/chromium.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from paperboard.mail.sender import InMemorySender
from tests.browser_site import EARLIER, serve_browser_site
from tests.chromium import playwright_api
from tests.community_site import PASSWORD, Site, comment_id
from tests.digest_helpers import links, parse, parts, path_of

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

sync_api = playwright_api()
expect = sync_api.expect

# The structural checks, run in the page: a list of problems, empty when all is well.
AUDIT = r"""
() => {
  const problems = [];
  const hidden = (el) => el.closest('[aria-hidden="true"]') !== null;
  // Text as a screen reader reads it: aria-hidden parts left out, visually-hidden ones kept.
  const text = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return node.textContent;
    if (node.nodeType !== Node.ELEMENT_NODE) return '';
    if (node.getAttribute('aria-hidden') === 'true') return '';
    if (node.matches('input, select, textarea')) return '';
    if (node.tagName === 'IMG') return node.getAttribute('alt') || '';
    return [...node.childNodes].map(text).join('');
  };
  const byIds = (ids) => (ids || '').split(/\s+/).filter(Boolean)
    .map((id) => document.getElementById(id)).filter(Boolean).map(text).join(' ').trim();
  const show = (el) => el.outerHTML.slice(0, 160);

  if (!document.documentElement.lang) problems.push('<html> has no lang');
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(`${h1} h1 elements, not one`);
  const ids = new Map();
  for (const el of document.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) || 0) + 1);
  for (const [id, count] of ids) if (count > 1) problems.push(`id "${id}" used ${count} times`);
  // A reference to no element names or describes nothing.
  for (const el of document.querySelectorAll('label[for]')) {
    if (!document.getElementById(el.htmlFor)) problems.push('label for a missing id: ' + show(el));
  }
  for (const attr of ['aria-labelledby', 'aria-describedby', 'aria-controls']) {
    for (const el of document.querySelectorAll(`[${attr}]`)) {
      for (const id of el.getAttribute(attr).split(/\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) problems.push(`${attr} to a missing id: ${show(el)}`);
      }
    }
  }
  for (const img of document.querySelectorAll('img:not([alt])')) {
    problems.push('no alt: ' + show(img));
  }
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || hidden(el)) continue;  // the honeypot is aria-hidden
    const name = [...el.labels].map(text).join(' ').trim()
      || (el.getAttribute('aria-label') || '').trim()
      || byIds(el.getAttribute('aria-labelledby'));
    if (!name) problems.push('control without a label: ' + show(el));
  }
  for (const el of document.querySelectorAll('a[href], button, summary, [role="button"]')) {
    if (hidden(el)) continue;
    const name = (el.getAttribute('aria-label') || '').trim()
      || byIds(el.getAttribute('aria-labelledby'))
      || text(el).trim() || (el.getAttribute('title') || '').trim();
    if (!name) problems.push('no accessible name: ' + show(el));
  }
  return problems;
}
"""

# Marks the controls of the page's forms that Tab must reach, in DOM order: each gets
# data-kb="N"; radios of one group share a number (Tab stops once in a group).
MARK_CONTROLS = r"""
() => {
  const keys = [];
  const groups = new Map();
  const controls = document.querySelectorAll(
    'main form :is(input, select, textarea, button), form[role="search"] :is(input, button)');
  for (const el of controls) {
    if (el.type === 'hidden' || el.disabled || el.tabIndex < 0) continue;
    if (el.closest('[aria-hidden="true"]')) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;  // e.g. in a closed <details>
    let key;
    if (el.type === 'radio') {
      if (!groups.has(el.name)) {
        groups.set(el.name, String(keys.length));
        keys.push(String(keys.length));
      }
      key = groups.get(el.name);
    } else {
      key = String(keys.length);
      keys.push(key);
    }
    el.dataset.kb = key;
  }
  return keys;
}
"""

# Records each element that receives focus: its data-kb (if a form control), a description,
# whether it is on screen, and whether a focus ring shows: an outline that is not "none", or a
# box-shadow that differs from the element's unfocused one (cards and buttons have their own).
WATCH_FOCUS = r"""
() => {
  const shadows = new WeakMap();
  for (const el of document.querySelectorAll('a, button, input, select, textarea, summary')) {
    shadows.set(el, getComputedStyle(el).boxShadow);
  }
  window.__stops = [];
  document.addEventListener('focusin', (event) => {
    const el = event.target;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow !== 'none' && style.boxShadow !== shadows.get(el);
    // On the page, not parked off-screen (a skip link must come into view when focused).
    const box = el.getBoundingClientRect();
    const shown = box.width > 0 && box.height > 0 && box.right > 0 && box.bottom + scrollY > 0;
    window.__stops.push({kb: el.dataset.kb ?? null, what: el.outerHTML.slice(0, 120),
                         ring: outline || shadow, shown});
  });
  document.activeElement?.blur();
  window.scrollTo(0, 0);
}
"""


@dataclass
class Served:
    site: Site
    url: str
    reset_path: str
    manage_path: str
    edit_path: str  # cora's comment's edit page


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One site for all the checks (they barely write): a curator, cora, and bob, each with a
    comment on 2401.00001 (so the paper page has reply, edit, delete and hide controls); a
    subscriber's manage link; a password-reset link."""
    sender = InMemorySender()
    with serve_browser_site(tmp_path_factory.mktemp("a11y"), mail_sender=sender) as (site, url):
        commented = {}
        for name, role in (("cora", "curator"), ("bob", "user")):
            response = site.signed_in(name, role).comment("2401.00001", f"A comment by {name}")
            assert response.status_code == 303
            commented[name] = comment_id(response)
        visitor = site.visitor()
        subscribed = visitor.http.post(
            "/subscribe", data={"email": "sub@example.org", "frequency": "daily"}
        )
        assert subscribed.status_code == 200, subscribed.text[:300]
        site.wait_for_mail()
        text, _html = parts(parse(sender.to("sub@example.org")[-1].data))
        (confirm,) = links(text, "/subscribe/confirm?token=")
        confirmed = visitor.get(path_of(confirm)).text
        (manage,) = re.findall(r'href="([^"]*/subscription/manage\?token=[^"]+)"', confirmed)
        reset = urlsplit(site.community.accounts.reset_link("bob"))
        edit = f"/comments/{commented['cora']}/edit"
        yield Served(site, url, f"{reset.path}?{reset.query}", path_of(manage), edit)


@pytest.fixture(scope="module")
def anonymous(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture(scope="module")
def curator(browser: Browser, served: Served) -> Iterator[BrowserContext]:
    """A browser signed in as cora (a curator: the most controls on a paper page)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(served.url + "/login")
    page.get_by_label("Username").fill("cora")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="cora", exact=True)).to_be_visible()
    page.close()
    yield context
    context.close()


# (path or the name of a Served attribute, signed in)
PAGES = [
    ("/", False),
    (f"/papers/date/{EARLIER.isoformat()}", False),
    (f"/papers/month/{EARLIER.strftime('%Y-%m')}", False),
    ("/papers/trending", False),
    ("/papers/new", False),
    ("/papers/2401.00001", False),
    ("/papers/2401.00001", True),
    ("/search?q=decoding", False),
    ("/login", False),
    ("/signup", False),
    ("/forgot-password", False),
    ("reset_path", False),
    ("/subscribe", False),
    ("manage_path", False),
    ("/papers/submit", True),
    ("/account", True),
    ("/account/digest", True),
    ("edit_path", True),
    ("/u/cora", True),
    ("/for-you", True),
    ("/papers/2401.00001/save", True),
    ("/no-such-page", False),  # the designed 404 page
]


@pytest.fixture
def open_page(
    request: pytest.FixtureRequest, served: Served, anonymous: BrowserContext
) -> Iterator[Any]:
    """open_page(path, signed_in): a fresh tab on the page; closed after the test."""
    opened: list[Page] = []

    def open_(path: str, signed_in: bool) -> Page:
        context = request.getfixturevalue("curator") if signed_in else anonymous
        page = context.new_page()
        opened.append(page)
        target = getattr(served, path) if not path.startswith("/") else path
        response = page.goto(served.url + target)
        status = 404 if target == "/no-such-page" else 200
        assert response is not None and response.status == status, target
        return page

    yield open_
    for page in opened:
        page.close()


def _ids(params: tuple[str, bool]) -> str:
    path, signed_in = params
    return f"{path}{' (signed in)' if signed_in else ''}"


def _unnamed_in_accessibility_tree(page: Page) -> list[str]:
    """Controls to which Chromium's accessibility tree (what screen readers get) gives no
    name: it computes names by the full algorithm, which the audit above approximates."""
    session = page.context.new_cdp_session(page)
    try:
        nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        session.detach()
    needs_name = {
        "button",
        "link",
        "textbox",
        "searchbox",
        "combobox",
        "checkbox",
        "radio",
        "spinbutton",
        "date",
        "DisclosureTriangle",
    }
    unnamed = []
    for node in nodes:
        role = node.get("role", {}).get("value")
        if node.get("ignored") or role not in needs_name:
            continue
        if not str(node.get("name", {}).get("value", "")).strip():
            unnamed.append(f"{role} (backend node {node.get('backendDOMNodeId')})")
    return unnamed


@pytest.mark.parametrize("params", PAGES, ids=_ids)
def test_labels_names_and_structure(open_page: Any, params: tuple[str, bool]) -> None:
    page = open_page(*params)
    assert page.evaluate(AUDIT) == []
    assert _unnamed_in_accessibility_tree(page) == []


def tab_through(page: Page, limit: int = 400) -> list[dict[str, Any]]:
    """Press Tab from the top of the page until focus leaves it (or comes round again): what
    was focused, in order. Keys go in batches; the page records each stop itself."""
    page.evaluate(WATCH_FOCUS)
    left = "() => document.activeElement === document.body || !document.hasFocus()"
    for _ in range(0, limit, 10):
        for _ in range(10):
            page.keyboard.press("Tab")
        stops: list[dict[str, Any]] = page.evaluate("window.__stops")
        if page.evaluate(left) or any(s["what"] == stops[0]["what"] for s in stops[1:]):
            break
    else:
        raise AssertionError(f"focus still on the page after {limit} Tabs")
    visited: list[dict[str, Any]] = []
    for stop in stops:
        if visited and stop["what"] == visited[0]["what"]:
            break  # around again
        if not visited or stop["what"] != visited[-1]["what"]:
            visited.append(stop)  # a date input's fields are one element
    return visited


# The pages whose forms must work by keyboard: every page listed above with a form of its own.
KEYBOARD_PAGES = [
    ("/", False),
    ("/papers/2401.00001", True),
    ("/search?q=decoding", False),
    ("/login", False),
    ("/signup", False),
    ("/forgot-password", False),
    ("reset_path", False),
    ("/subscribe", False),
    ("manage_path", False),
    ("/papers/submit", True),
    ("/account", True),
    ("/account/digest", True),
    ("edit_path", True),
]


@pytest.mark.parametrize("params", KEYBOARD_PAGES, ids=_ids)
def test_tab_reaches_every_control_in_order_with_a_focus_ring(
    open_page: Any, params: tuple[str, bool]
) -> None:
    page = open_page(*params)
    expected = page.evaluate(MARK_CONTROLS)
    assert expected, "no form controls found"
    visited = tab_through(page)
    assert visited and "Skip to content" in visited[0]["what"]  # the first stop
    reached = [stop["kb"] for stop in visited if stop["kb"] is not None]
    assert list(dict.fromkeys(reached)) == expected  # all of them, in DOM order
    no_ring = [stop["what"] for stop in visited if not stop["ring"]]
    assert no_ring == []
    assert [stop["what"] for stop in visited if not stop["shown"]] == []


def test_forms_work_from_the_keyboard(served: Served, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        # Search from the header box: Tab to it (skip link, brand, three links), type, Enter.
        page.goto(served.url + "/")
        for _ in range(5):
            page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "search-q"
        page.keyboard.type("speculative decoding")
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_have_text("Results for “speculative decoding”")
        expect(page.locator("article.card").first).to_contain_text("Speculative Decoding")

        # The skip link skips the header: the next Tab lands in <main>.
        page.goto(served.url + "/papers/trending")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('main') !== null")

        # Sign in: type the username, Tab, the password, Enter.
        page.goto(served.url + "/login")
        page.get_by_label("Username").focus()
        page.keyboard.type("bob")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect(page.get_by_role("link", name="bob", exact=True)).to_be_visible()

        # Subscribe from the form at the bottom of every page: the address, Enter.
        page.goto(served.url + "/papers/new")
        page.get_by_label("Your email for the digest").focus()
        page.keyboard.type("keys@example.org")
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_have_text("Check your inbox")

        # A reply opens with the keyboard too: Enter on its <summary> shows the textarea.
        page.goto(served.url + "/papers/2401.00001")
        summary = page.locator("details.comment-reply summary").first
        summary.focus()
        page.keyboard.press("Enter")
        expect(page.locator("details.comment-reply textarea").first).to_be_visible()
    finally:
        context.close()


def test_the_checks_can_fail(open_page: Any) -> None:
    """A label taken away, focus rings removed and a control taken out of the Tab order are
    each reported: the checks above are not vacuous."""
    page = open_page("/login", False)
    expected = page.evaluate(MARK_CONTROLS)
    page.evaluate("document.querySelector('label[for=login-password]').remove()")
    problems = page.evaluate(AUDIT)
    assert len(problems) == 1 and 'id="login-password"' in problems[0]
    assert [line.split()[0] for line in _unnamed_in_accessibility_tree(page)] == ["textbox"]

    page.evaluate("document.querySelector('form[action=\\'/login\\'] button').textContent = ''")
    assert any("no accessible name: <button" in line for line in page.evaluate(AUDIT))
    page.evaluate("document.querySelector('#login-username').tabIndex = -1")
    page.evaluate(
        """() => {
          const sheet = new CSSStyleSheet();
          sheet.replaceSync('*:focus { outline: none !important; }');
          document.adoptedStyleSheets = [sheet];
        }"""
    )
    visited = tab_through(page)
    assert visited and not any(stop["ring"] for stop in visited)
    reached = [stop["kb"] for stop in visited if stop["kb"] is not None]
    assert list(dict.fromkeys(reached)) != expected
