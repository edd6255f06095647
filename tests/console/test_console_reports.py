"""The console's quarterly report page over HTTP: every section, the casework ones included,
is shown with its figures (the page renders the API's own report)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.console.test_console_signin import sign_in

pytestmark = pytest.mark.slow


def test_the_report_page_shows_every_section_with_figures(client: TestClient) -> None:
    assert sign_in(client, "统计员").status_code == 303
    page = client.get("/console/reports?year=2025&quarter=2&region=43")
    assert page.status_code == 200
    for shown in (
        "登记求职人员",
        "其中 2025 年在劳动年龄内",
        "期末已就业（劳动年龄内）",
        "2025 届高校残疾人毕业生",
        "毕业当年就业率",
        "评估覆盖率",
        "培训目标比例（省 1‰ 市 2‰ 县 6.5‰）",
        "年度目标进度",
    ):
        assert shown in page.text, shown
    assert "尚未记录" not in page.text
