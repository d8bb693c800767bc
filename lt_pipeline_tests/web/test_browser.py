"""The dashboard in a real browser (Debian's Chromium driven by Playwright) against the app served on a
loopback port over a real SQLite ledger: create a live strategy from an FT wallet (after a refused bad
form), launch, pause, resume, then read the strategy list, a card and an order, with a screenshot of
each screen (in the test's tmp folder, or LT_SCREENSHOT_DIR when set, e.g. docs/screenshots)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from lt_pipeline.execution.strategies import get_strategy, list_strategies, strategy_versions
from lt_pipeline_tests.web.world import NOW, ORDER_WITH_JOURNAL

CHROMIUM = os.environ.get("LT_CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1400, "height": 900}


def _browser_or_skip() -> str:
    """Chromium's path; without Chromium or Playwright the test skips, but fails under CI."""
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "the Python package playwright is not installed (pip install -e .)"
    if problem is None and not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        problem = f"no Chromium at {CHROMIUM} (apt-get install -y chromium chromium-driver, or set LT_CHROMIUM)"
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}; under CI the browser test must run, not skip", pytrace=False)
        pytest.skip(problem)
    return CHROMIUM


@pytest.fixture
def page(served):
    from playwright.sync_api import sync_playwright

    executable = _browser_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
            context.set_default_timeout(20_000)
            yield context.new_page()
        finally:
            browser.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("LT_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_create_launch_pause_resume_and_read_an_order(served, page, shots):
    from playwright.sync_api import expect

    base = served.url
    strategies_before = len(list_strategies(served.engine))

    # The create screen: the FT wallets with their activity; a bad capital is refused with the CLI's words.
    page.goto(f"{base}/")
    page.get_by_role("link", name="+ New live strategy").click()
    expect(page.get_by_role("heading", name="Create a live trading strategy")).to_be_visible()
    expect(page.locator("table.wallets")).to_contain_text("FT_HIGH_CONVICTION")
    page.locator("#w-FT_A").check()
    page.select_option("#user_id", "demo")
    page.fill("#starting_capital", "-5")
    page.get_by_role("button", name="Launch strategy").click()
    expect(page.get_by_role("alert")).to_contain_text("starting_capital: expected a positive amount, got -5")
    assert len(list_strategies(served.engine)) == strategies_before, "a refused form created nothing"
    expect(page.locator("#w-FT_A")).to_be_checked()  # the form comes back as it was posted

    page.fill("#starting_capital", "750")
    page.fill("#slippage_tolerance_pct", "0.5")
    page.select_option("#order_type", "FAK")
    page.fill("#max_position_size_usd", "80")
    page.screenshot(path=str(shots / "create.png"), full_page=True)
    page.get_by_role("button", name="Create, launch later").click()

    # The new strategy's card: not launched; launch, pause with a reason, resume.
    expect(page.locator("#status")).to_have_text("not launched")
    strategy_id = "LT_FT_A"
    assert page.url.startswith(f"{base}/strategies/{strategy_id}")
    created = get_strategy(served.engine, strategy_id)
    assert (created.user_id, str(created.settings.starting_capital), created.settings.order_type) == ("demo", "750", "FAK")
    assert created.launched_at is None

    page.get_by_role("button", name="Launch").click()
    expect(page.locator("#status")).to_have_text("live")
    expect(page.get_by_role("status")).to_contain_text("Launched")
    assert get_strategy(served.engine, strategy_id).launched_at == NOW

    page.get_by_label("why you pause").fill("checking the book by hand")
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#status")).to_have_text("paused")
    expect(page.locator("table.windows")).to_contain_text("checking the book by hand")
    assert get_strategy(served.engine, strategy_id).pause_reason == "checking the book by hand"

    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#status")).to_have_text("live")
    assert not get_strategy(served.engine, strategy_id).is_paused
    sources = [v.source for v in strategy_versions(served.engine, strategy_id)]
    assert sources == ["create", "edit", "edit", "edit"], "create, then launch, pause and resume as one version each"

    # The list: every strategy with its status and headline figures.
    page.get_by_role("navigation").get_by_role("link", name="Strategies").click()
    rows = page.locator("table.strategies tbody tr")
    expect(rows).to_have_count(strategies_before + 1)
    expect(page.locator("table.strategies")).to_contain_text("LT_FT_A")
    page.screenshot(path=str(shots / "list.png"), full_page=True)

    # A launched strategy with history: its card, its pictures, its orders, and links into Dagster.
    page.get_by_role("link", name="LT_A", exact=True).click()
    expect(page.locator("#status")).to_have_text("live")
    expect(page.locator(".figures")).to_contain_text("Win rate")
    expect(page.locator("table.windows")).to_contain_text("2026-03-10 12:00:00 UTC")
    runs = page.get_by_role("link", name="execution runs ↗").first
    assert runs.get_attribute("href") == "http://127.0.0.1:3999/locations/lt_pipeline/jobs/execution_job/runs"
    for image in page.locator(".pictures img").all():
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "every picture loads"
    page.screenshot(path=str(shots / "card.png"), full_page=True)

    # One order: signal, execution, quality, outcome, FT twin and its journal.
    page.locator(f'a[href="/orders/{ORDER_WITH_JOURNAL}"]').click()
    expect(page.locator("#order-status")).to_have_text("CANCELLED")
    for heading in ("Signal", "Execution", "Quality", "Outcome", "FT twin", "Journal"):
        expect(page.get_by_role("heading", name=re.compile(f"^{heading}"))).to_be_visible()
    expect(page.locator("table.journal tbody tr")).to_have_count(6)
    expect(page.locator("table.journal")).to_contain_text("time-to-live of 300 s passed")
    page.screenshot(path=str(shots / "order.png"), full_page=True)

    for name in ("create", "list", "card", "order"):
        assert (shots / f"{name}.png").stat().st_size > 10_000, f"{name}.png holds a picture of the screen"
