"""The console in a real browser: Debian's Chromium driven by Playwright against uvicorn on
127.0.0.1, axe-core (from npm) injected into every page, the flows of issue 15 end to end,
and the counselor's flow by keyboard alone.

Needs ``apt-get install chromium`` and ``npm ci`` in tests/console (``.ci/run`` does both).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.conftest import PASSWORD
from tests.world import CANDIDATES

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Identifiers an employer must never see before a person accepts a referral.
IDENTIFIERS = [
    value
    for person in CANDIDATES
    for value in (person.get("name"), person.get("id_number"), person.get("phone"))
    if value
] + ["视力残疾", "听力残疾"]

if not CHROMIUM.exists() or not AXE.exists() or shutil.which("node") is None:
    pytest.skip(
        "browser tests need /usr/bin/chromium (apt-get install chromium) and axe-core "
        "(npm ci in tests/console)",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    # The browser flows are about the pages; storage runs on both back ends in the other tests.
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server, locale="zh-CN")
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    yield opened
    context.close()


def check_accessibility(page: Page) -> None:
    """axe-core on the page as it is now: no serious or critical WCAG 2.1 A/AA violation."""
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}))
              .violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => ({id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.slice(0, 3).map(n => n.html)}))"""
    )
    assert not violations, f"{page.url}: {violations}"
    assert page.evaluate("document.documentElement.lang") == "zh-CN"


def check_narrow(page: Page) -> None:
    """At 320 CSS px (the width of 1280 px at 400 % zoom) nothing scrolls sideways but tables
    in their own scrolling region."""
    page.set_viewport_size({"width": 320, "height": 640})
    overflow = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert overflow <= 321, f"{page.url} is {overflow}px wide at 320px"


def sign_in(page: Page, name: str) -> None:
    page.goto("/console/login")
    check_accessibility(page)
    page.get_by_label("账号").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def visit_all(page: Page, paths: list[str], *, narrow: bool = True) -> None:
    for path in paths:
        answer = page.goto(path)
        assert answer is not None and answer.status == 200, path
        check_accessibility(page)
        if narrow:
            check_narrow(page)


# -- every page, as each role ----------------------------------------------------------------


def test_every_counselor_page_is_accessible(page: Page) -> None:
    sign_in(page, "王老师")
    visit_all(
        page,
        [
            "/console/candidates",
            "/console/candidates?name=张三",
            "/console/candidates?group=graduate",
            "/console/candidates?group=open_case",
            "/console/candidates/c1",
            "/console/candidates/c1/jobs",
            "/console/candidates/c1/why-not?job_id=j2",
            "/console/candidates/c1/why-not?job_id=j3",
            "/console/jobs",
            "/console/jobs/j3",
        ],
    )
    # Pages with errors: the region filter names the field, summarised at the top.
    page.goto("/console/candidates?region=4x")
    expect(page.locator(".error-summary")).to_contain_text("地区代码")
    check_accessibility(page)
    # The 一人一策 case page, opened from the person's page, and its form errors.
    page.goto("/console/candidates/c1")
    page.get_by_label("个案目标（每行一项）").fill("半年内就业")
    page.get_by_role("button", name="建立个案").click()
    expect(page.get_by_role("status").first).to_contain_text("个案已建立")
    check_accessibility(page)
    check_narrow(page)
    page.get_by_label("服务日期").fill("2020-01-01")
    page.get_by_role("button", name="保存服务记录").click()
    expect(page.locator(".error-summary")).to_contain_text("服务日期")
    assert page.get_by_label("服务日期").get_attribute("aria-invalid") == "true"
    check_accessibility(page)
    page.get_by_label("结案原因").select_option("employed")
    page.get_by_role("button", name="结案").click()
    expect(page.locator("#close-reason-error")).to_contain_text("不就业、不脱钩")
    check_accessibility(page)
    # A refused outcome (a stale form) is shown next to its field on the person's page.
    page.goto("/console/candidates/c2")
    card = page.locator(".card", has_text="推荐 r3")
    card.get_by_label(re.compile("记录结果")).select_option(label="已面试")
    page.evaluate(
        """() => { const s = document.querySelector('#field-outcome-r3');
                   s.add(new Option('x', 'hired')); s.value = 'hired'; }"""
    )
    card.get_by_role("button", name="保存").click()
    expect(page.locator("#outcome-r3-error")).to_contain_text("不能改为“已录用”")
    check_accessibility(page)


def test_every_employer_page_is_accessible(page: Page) -> None:
    sign_in(page, "长沙市图书馆")
    visit_all(
        page,
        [
            "/console/jobs",
            "/console/jobs/new",
            "/console/jobs/j3",
            "/console/quota?hire=2",
            "/console/occupations/suggest?title=图书管理员",
        ],
    )
    visit_all(page, ["/console/jobs/j3/edit"], narrow=False)
    page.goto("/console/jobs/new")
    page.get_by_role("button", name="保存岗位").click()  # nothing filled in
    expect(page.locator(".error-summary")).to_be_visible()
    assert page.get_by_label("岗位名称（必填）").get_attribute("aria-invalid") == "true"
    check_accessibility(page)


def test_every_admin_and_manager_page_is_accessible(page: Page) -> None:
    sign_in(page, "管理员")
    visit_all(page, ["/console/accounts", "/console/audit", "/console/audit?action=sign_in"])
    visit_all(page, ["/console/reports", "/console/compliance"])
    # Create an account in the form: an error first (short password), then for real.
    page.goto("/console/accounts")
    page.get_by_label("账号名（登录用）").fill("新统计员")
    page.get_by_label("角色").select_option("manager")
    page.get_by_label("初始密码").fill("short")
    page.get_by_role("button", name="创建账号").click()
    expect(page.locator(".error-summary")).to_contain_text("密码至少需要 10 个字符")
    check_accessibility(page)
    page.get_by_label("初始密码").fill("new-manager-pass")
    page.get_by_role("button", name="创建账号").click()
    expect(page.locator(".notice")).to_contain_text("只显示这一次")
    page.get_by_role("button", name="退出登录").click()
    sign_in(page, "统计员")
    visit_all(
        page,
        [
            "/console/reports",
            "/console/reports?year=2025&quarter=2&region=43",
            "/console/compliance",
            "/console/compliance?below_ratio=true",
            "/console/statistics",
            "/console/training",
            "/console/training?region=4301&year=2025",
        ],
    )
    page.goto("/console/training?region=430")
    expect(page.locator(".error-summary")).to_contain_text("地区代码")
    check_accessibility(page)
    # A failed sign-in page is accessible too.
    page.get_by_role("button", name="退出登录").click()
    page.get_by_label("账号").fill("统计员")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".error-summary")).to_contain_text("账号或密码不正确")
    check_accessibility(page)


# -- the flows of "Done when" ----------------------------------------------------------------


def test_counselor_finds_a_person_refers_and_records_the_hire(page: Page) -> None:
    sign_in(page, "王老师")
    page.get_by_label("姓名").fill("张三")
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name="张三").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("求职者 张三")
    # c1 is hard-to-employ: the counselor opens their 一人一策 case.
    page.get_by_label("个案类型").select_option(label="就业困难残疾人")
    page.get_by_role("button", name="建立个案").click()
    expect(page.locator("#case-employment")).to_contain_text("未登记")
    case_url = page.url.split("?")[0]
    page.get_by_role("link", name=re.compile("返回求职者")).click()
    page.get_by_role("link", name="查看推荐岗位").click()
    first = page.locator("li.card").first
    expect(first.get_by_role("heading", level=2)).to_contain_text("第 1 名：客服专员")
    expect(first.locator(".reasons").first).to_contain_text("工作地点")
    expect(first).to_contain_text("依靠岗位提供的读屏软件方可胜任")
    check_accessibility(page)
    first.get_by_role("button", name=re.compile("推荐到此岗位")).click()
    expect(page.get_by_role("status").first).to_contain_text("已推荐")
    card = page.locator(".card", has_text="客服专员")
    expect(card).to_contain_text("待反馈")
    check_accessibility(page)
    outcome = card.get_by_label(re.compile("记录结果"))
    outcome.select_option(label="已面试")
    card.get_by_role("button", name="保存").click()
    card = page.locator(".card", has_text="客服专员")
    expect(card).to_contain_text("已面试")
    # Only the steps the lifecycle allows after an interview are offered.
    options = card.get_by_label(re.compile("记录结果")).locator("option").all_inner_texts()
    assert options == ["已录用", "未录用", "本人放弃", "未到场"]
    card.get_by_label(re.compile("记录结果")).select_option(label="已录用")
    card.get_by_role("button", name="保存").click()
    expect(page.locator(".card", has_text="客服专员")).to_contain_text("已录用")
    # The hire is the person's employment now, on their page and in their case.
    expect(page.locator("#employment + dl")).to_contain_text("已就业")
    page.goto(case_url)
    expect(page.locator("#case-employment")).to_contain_text("已就业")
    check_accessibility(page)


def test_employer_posts_a_job_sees_anonymous_candidates_and_reports_a_decision(
    page: Page,
) -> None:
    sign_in(page, "长沙市图书馆")
    page.get_by_role("link", name="发布岗位").click()
    page.get_by_label("岗位名称（必填）").press_sequentially("图书管理员", delay=30)
    suggestion = page.locator("#occupation-suggestions button").first
    expect(suggestion).to_be_visible()
    check_accessibility(page)
    code = suggestion.get_attribute("data-occupation")
    suggestion.click()
    expect(page.get_by_label("职业（2022 职业分类编码或名称）")).to_have_value(code or "")
    expect(page.locator("#occupation-chosen")).to_contain_text(code or "")
    page.get_by_label("技能要求").fill("图书整理、电子表格")
    page.get_by_label("就业形式（必填）").select_option("quota")
    page.get_by_label("读屏软件").check()
    page.get_by_label("字幕/文字转写").check()
    page.get_by_role("button", name="保存岗位").click()
    expect(page.get_by_role("status").first).to_contain_text("岗位已发布")
    expect(page.get_by_role("heading", level=1)).to_have_text("图书管理员")
    cards = page.locator("li.card")
    expect(cards.first).to_contain_text("求职者（匿名）")
    check_accessibility(page)
    text = page.locator("main").inner_text()
    for identifier in IDENTIFIERS:
        assert identifier not in text
    # Editing: the employer changes the openings (region and public-welfare status are the
    # counselor's to change, so the form does not offer them).
    page.get_by_role("link", name="修改岗位").click()
    expect(page.get_by_label("工作地区代码（必填）")).to_have_count(0)
    page.get_by_label("招聘人数").fill("2")
    page.get_by_role("button", name="保存岗位").click()
    expect(page.get_by_role("status").first).to_contain_text("岗位已保存")
    expect(page.locator("main")).to_contain_text("招聘人数2")
    # The decision on the referral of c2 to j3.
    page.goto("/console/jobs/j3")
    referral = page.locator(".card", has_text="推荐 r3")
    assert "李四" not in page.locator("main").inner_text()
    referral.get_by_label(re.compile("报告录用决定")).select_option(label="已面试")
    referral.get_by_role("button", name="保存").click()
    expect(page.locator(".card", has_text="推荐 r3")).to_contain_text("已面试")


def test_counselor_flow_by_keyboard_alone(page: Page) -> None:
    """Sign in, find a person, open their jobs, refer and record an outcome with the keyboard:
    every step is reached by Tab and done with Enter, typing or arrow keys."""

    def tab_to(describe: Callable[[dict[str, str]], bool], limit: int = 60) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                """() => { const e = document.activeElement;
                   const label = e.labels && e.labels[0] ? e.labels[0].innerText : '';
                   return {tag: e.tagName, text: (e.innerText || '').trim(), label: label,
                           name: e.getAttribute('name') || ''}; }"""
            )
            if describe(focused):
                # The focused control is visible and shows a focus indicator.
                style = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
                assert style != "none", focused
                return
        raise AssertionError("not reachable by Tab")

    page.goto("/console/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.innerText") == "跳到主要内容"
    tab_to(lambda f: f["label"] == "账号")
    page.keyboard.type("王老师")
    tab_to(lambda f: f["label"] == "密码")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("/console/candidates"))
    tab_to(lambda f: f["label"].startswith("姓名"))
    page.keyboard.type("张三")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("name="))
    tab_to(lambda f: f["tag"] == "A" and f["text"] == "张三")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("/console/candidates/c1$"))
    tab_to(lambda f: f["text"] == "查看推荐岗位")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("/jobs$"))
    tab_to(lambda f: f["tag"] == "BUTTON" and f["text"].startswith("推荐到此岗位"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("done=referred"))
    tab_to(lambda f: f["tag"] == "SELECT" and "记录结果" in f["label"])
    page.keyboard.press("Home")  # first offered outcome: 已面试
    tab_to(lambda f: f["tag"] == "BUTTON" and f["text"] == "保存")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("done=outcome"))
    expect(page.locator(".card", has_text="客服专员")).to_contain_text("已面试")
    # The skip link, the first stop of every page, moves focus to the main content.
    page.goto("/console/candidates/c1")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_manager_opens_the_quarterly_report_and_downloads_the_xlsx(
    page: Page, tmp_path: Path
) -> None:
    sign_in(page, "统计员")
    expect(page.get_by_role("heading", level=1)).to_have_text("季度实名制统计报告")
    page.get_by_label("年份").fill("2025")
    page.get_by_label("季度").select_option("2")
    page.get_by_role("button", name="查看报告").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("2025 年第 2 季度")
    chart = page.locator("img.chart").first
    expect(chart).to_have_attribute("alt", re.compile("柱状图"))
    svg = page.request.get(chart.get_attribute("src") or "")
    assert svg.status == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )
    check_accessibility(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel 文件（XLSX）").click()
    saved = tmp_path / "report.xlsx"
    download.value.save_as(saved)
    import openpyxl

    workbook = openpyxl.load_workbook(saved)
    assert "全部" in workbook.sheetnames
    rows = list(workbook["全部"].iter_rows(values_only=True))
    assert len(rows) > 1


def test_employer_sees_what_hiring_more_would_change(page: Page) -> None:
    sign_in(page, "长沙市图书馆")
    page.get_by_role("link", name="按比例就业").click()
    expect(page.locator("main")).to_contain_text("应安排残疾人数")
    page.get_by_label("拟新增录用人数").fill("1")
    page.get_by_role("button", name="计算").click()
    # e1: 120 staff at 1.5 % need 1.8; one employee now, one more makes 2: compliant.
    expect(page.locator("main [role=status]").last).to_contain_text("再录用 1 人")
    expect(page.locator("main [role=status]").last).to_contain_text("已达标")
    check_accessibility(page)
