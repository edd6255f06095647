"""Screenshots of the console's main pages for the README, taken with the browser the tests
use: ``python -m tests.console.screenshots docs`` (writes docs/console-*.png)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from matching.settings import Settings
from serving.app import create_app
from tests.console.conftest import PASSWORD, ngram_resources, prepare_console_home, serving
from tests.console.test_console_browser import CHROMIUM, CHROMIUM_ARGS

#: Instead of text to type: open the person's 一人一策 case from their page.
OPEN_CASE = "open-case"

PAGES = {
    "王老师": [
        ("counselor-caseload", "/console/candidates", None),
        ("counselor-jobs", "/console/candidates/c1/jobs", None),
        ("counselor-why-not", "/console/candidates/c1/why-not?job_id=j2", None),
        ("counselor-person", "/console/candidates/c2", None),
        # The person's page with its case form: the shot is of the case it opens.
        ("counselor-case", "/console/candidates/c1", OPEN_CASE),
    ],
    "长沙市图书馆": [
        ("employer-post-job", "/console/jobs/new", "图书管理员"),
        ("employer-job", "/console/jobs/j3", None),
    ],
    "管理员": [("admin-audit", "/console/audit", None)],
    "统计员": [
        ("manager-report", "/console/reports?year=2025&quarter=2", None),
        ("manager-training", "/console/training?region=4301&year=2025", None),
    ],
}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(home=Path(scratch) / "home")
        prepare_console_home(settings, Path(scratch) / "world")
        resources = ngram_resources()
        app = create_app(settings, resources=lambda _settings, _store: resources)
        with serving(app) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for name, pages in PAGES.items():
                context = browser.new_context(
                    base_url=url, locale="zh-CN", viewport={"width": 900, "height": 640}
                )
                page = context.new_page()
                page.goto("/console/login")
                page.get_by_label("账号").fill(name)
                page.get_by_label("密码").fill(PASSWORD)
                page.get_by_role("button", name="登录").click()
                page.wait_for_load_state()
                for shot, path, typed in pages:
                    page.goto(path)
                    if typed == OPEN_CASE:
                        page.get_by_label("个案目标（每行一项）").fill("半年内就业\n掌握电子表格")
                        page.get_by_role("button", name="建立个案").click()
                        page.wait_for_load_state()
                    elif typed:
                        page.get_by_label("岗位名称（必填）").press_sequentially(typed, delay=30)
                        page.locator("#occupation-suggestions button").first.wait_for()
                    page.screenshot(path=str(out / f"console-{shot}.png"))
                context.close()
            browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
