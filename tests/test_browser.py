"""The HTML report in a real headless Chromium: sections and charts render, nothing from user content runs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from report_fixtures import BRAND, IMG, REPORT_SECTIONS, SCRIPT, WEEK, fill_store, make_insight

from reports.assemble import assemble_report
from reports.render import write_report
from store.db import Store

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SECTIONS = REPORT_SECTIONS


@pytest.fixture(scope="module")
def browser():
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"the browser test needs {' and '.join(missing)}: install them with "
            f"`apt-get install -y chromium chromium-driver`"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,2400",
        "--allow-file-access-from-files",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    yield driver
    driver.quit()


@pytest.fixture
def report_page(tmp_path: Path, browser):
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    fill_store(store)
    files = write_report(assemble_report(store, BRAND, WEEK, make_insight()), tmp_path / "out")
    browser.get(files.html.resolve().as_uri())
    return browser


def test_browser__sections_and_charts_render(report_page, tmp_path: Path):
    from selenium.webdriver.common.by import By

    for section in SECTIONS:
        el = report_page.find_element(By.ID, section)
        assert el.size["height"] > 0 and el.size["width"] > 0, section
    charts = report_page.find_elements(By.CSS_SELECTOR, "#headlines svg.chart")
    assert len(charts) == 3
    for chart in charts:
        assert chart.size["width"] > 100 and chart.size["height"] > 50
        assert chart.find_elements(By.CSS_SELECTOR, "polyline, rect")
    assert report_page.find_elements(By.CSS_SELECTOR, "#topics svg.sparkline")
    shot = tmp_path / "report.png"
    report_page.set_window_size(1280, 2400)
    assert report_page.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    keep = os.environ.get("UGCMINER_SCREENSHOT_DIR")  # CI keeps the screenshot as a build artifact
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "report-screenshot.png")


def test_browser__user_content_never_runs(report_page):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    assert report_page.execute_script("return typeof window.__xss") == "undefined"
    with pytest.raises(NoAlertPresentException):
        report_page.switch_to.alert.text  # noqa: B018
    body = report_page.find_element(By.TAG_NAME, "body").text
    assert SCRIPT in body and IMG in body  # shown as text
    assert not report_page.find_elements(By.CSS_SELECTOR, "main script, img[src='x']")
    hrefs = [a.get_attribute("href") or "" for a in report_page.find_elements(By.TAG_NAME, "a")]
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs)


def test_browser__no_console_errors(report_page):
    logs = report_page.get_log("browser")
    errors = [entry for entry in logs if entry["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def test_browser__prints_to_pdf(report_page, tmp_path: Path):
    import base64

    from selenium.webdriver.common.print_page_options import PrintOptions

    options = PrintOptions()
    options.background = False
    pdf = base64.b64decode(report_page.print_page(options))
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    (tmp_path / "report.pdf").write_bytes(pdf)
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert 2 <= pages <= 12  # A4 pages, no blank runaway
