"""Console casework over HTTP: outcome forms offering only the lifecycle's next steps for the
role, a refused step shown next to its field, employers' reports confirmed by the counselor,
the person's assessments, employment and cases, the 一人一策 case page, the caseload's filters
and the manager's training targets page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from matching.lifecycle import EMPLOYER_OUTCOMES, NEXT_OUTCOMES
from matching.vocabulary import OUTCOME_NAMES_ZH, Outcome
from tests.console.conftest import Console
from tests.console.test_console_signin import csrf_of, sign_in

pytestmark = pytest.mark.slow


def offered(html: str, referral_id: str) -> list[str]:
    """The outcome values the form of one referral offers."""
    found = re.search(
        rf'<select id="field-outcome-{referral_id}" name="outcome"[^>]*>(.*?)</select>',
        html,
        re.DOTALL,
    )
    assert found, f"no outcome form for {referral_id}"
    return re.findall(r'<option value="([a-z_]+)"', found.group(1))


def post_outcome(client: TestClient, referral_id: str, outcome: str, back: str, html: str):
    return client.post(
        f"/console/referrals/{referral_id}/outcome",
        data={"outcome": outcome, "back": back, "csrf_token": csrf_of(html)},
        follow_redirects=False,
    )


def test_outcome_forms_offer_only_the_lifecycles_next_steps_for_the_role(
    client: TestClient, console_home: Console
) -> None:
    # r3 (c2 → j3) is pending: a counselor may record any next step, the employer only its own.
    sign_in(client, "王老师")
    person = client.get("/console/candidates/c2").text
    assert offered(person, "r3") == [o.value for o in NEXT_OUTCOMES[Outcome.PENDING]]
    client.cookies.clear()
    sign_in(client, "长沙市图书馆")
    job = client.get("/console/jobs/j3").text
    employer_next = [o.value for o in NEXT_OUTCOMES[Outcome.PENDING] if o in EMPLOYER_OUTCOMES]
    assert offered(job, "r3") == employer_next == ["interviewed", "rejected"]
    # The employer reports the interview; a person's own step (declined) is refused next to
    # the field, in Chinese, and nothing changes.
    assert post_outcome(client, "r3", "interviewed", "/console/jobs/j3", job).status_code == 303
    job = client.get("/console/jobs/j3").text
    assert offered(job, "r3") == ["hired", "rejected"]
    refused = post_outcome(client, "r3", "declined", "/console/jobs/j3", job)
    assert refused.status_code == 403
    assert 'aria-invalid="true"' in refused.text
    error = re.search(r'<p class="field-error" id="outcome-r3-error">([^<]+)</p>', refused.text)
    assert error and "用人单位只能报告面试和录用决定" in error.group(1)
    assert "已录用、未录用" in error.group(1)
    assert 'href="#field-outcome-r3"' in refused.text  # summarised at the top, linked
    # The counselor sees the employer's report awaiting review, and confirms it.
    client.cookies.clear()
    sign_in(client, "王老师")
    person = client.get("/console/candidates/c2").text
    assert "用人单位报告，待您确认" in person
    confirmed = client.post(
        "/console/referrals/r3/review",
        data={"confirm": "true", "csrf_token": csrf_of(person)},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303 and "done=confirmed" in confirmed.headers["location"]
    person = client.get("/console/candidates/c2").text
    assert "用人单位报告，待您确认" not in person and "已确认" in person
    # A form left open while the referral moved on: the step is refused with what is allowed.
    hired = post_outcome(client, "r3", "hired", "/console/candidates/c2", person)
    assert hired.status_code == 303
    stale = post_outcome(client, "r3", "no_show", "/console/candidates/c2", person)
    assert stale.status_code == 409
    error = re.search(r'<p class="field-error" id="outcome-r3-error">([^<]+)</p>', stale.text)
    assert error, stale.text[:3000]
    wanted = OUTCOME_NAMES_ZH[Outcome.NO_SHOW]
    assert f"当前为“已录用”，不能改为“{wanted}”" in error.group(1)
    assert OUTCOME_NAMES_ZH[Outcome.LEFT_EARLY] in error.group(1)
    # The hire, confirmed by the counselor, is the person's employment now.
    assert "已就业" in client.get("/console/candidates/c2").text


def test_the_person_page_shows_assessments_employment_and_cases(
    client: TestClient, console_home: Console
) -> None:
    headers = {"Authorization": f"Bearer {console_home.tokens['王老师']}"}
    made = client.post(
        "/v1/candidates/c1/assessments",
        headers=headers,
        json={"assessed_on": "2025-05-02", "capacities": {"vision": 1}, "interests": ["客服"]},
    )
    assert made.status_code == 201, made.text
    sign_in(client, "王老师")
    page = client.get("/console/candidates/c1").text
    assert "2025-05-02" in page and "视力 1" in page and "客服" in page
    assert "就业状况" in page and "一人一策个案" in page
    # c1 is hard-to-employ (no graduate): the only case offered is the hard-to-employ one.
    kinds = re.search(r'<select id="field-case-kind" name="kind"[^>]*>(.*?)</select>', page, re.S)
    assert kinds and re.findall(r'value="([a-z_]+)"', kinds.group(1)) == ["hard_to_employ"]
    refused = client.post(
        "/console/candidates/c1/cases",
        data={"kind": "graduate", "goals": "", "csrf_token": csrf_of(page)},
    )
    assert refused.status_code == 422 and "此人不符合该类个案的条件" in refused.text
    opened = client.post(
        "/console/candidates/c1/cases",
        data={
            "kind": "hard_to_employ",
            "goals": "半年内就业\n掌握电子表格",
            "csrf_token": csrf_of(page),
        },
        follow_redirects=False,
    )
    assert opened.status_code == 303
    case_url = opened.headers["location"].split("?")[0]
    case = client.get(case_url).text
    assert "半年内就业；掌握电子表格" in case and "建议方案" in case and "目标职业" in case
    # A service action; one dated before the case opened is refused next to its field.
    bad = client.post(
        f"{case_url}/actions",
        data={
            "kind": "career_guidance",
            "action-on": "2020-01-01",
            "note": "",
            "csrf_token": csrf_of(case),
        },
    )
    assert bad.status_code == 422 and 'id="action-on-error"' in bad.text
    assert "服务日期" in bad.text
    good = client.post(
        f"{case_url}/actions",
        data={
            "kind": "career_guidance",
            "action-on": "",
            "note": "讨论求职意向",
            "csrf_token": csrf_of(case),
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    case = client.get(case_url).text
    assert "职业指导" in case and "讨论求职意向" in case
    # 不就业、不脱钩: not employed, so the case cannot close as employed.
    closing = client.post(
        f"{case_url}/close", data={"reason": "employed", "csrf_token": csrf_of(case)}
    )
    assert closing.status_code == 409 and "不就业、不脱钩" in closing.text
    # The caseload's open-case filter lists c1 and not c2.
    listed = client.get("/console/candidates?group=open_case").text
    assert 'href="/console/candidates/c1"' in listed
    assert 'href="/console/candidates/c2"' not in listed
    graduates = client.get("/console/candidates?group=graduate").text
    assert 'href="/console/candidates/c2"' in graduates
    assert 'href="/console/candidates/c1"' not in graduates


def test_the_training_page_compares_trainings_with_the_target(
    client: TestClient, console_home: Console
) -> None:
    sign_in(client, "统计员")
    page = client.get("/console/training?region=4301&year=2025")
    assert page.status_code == 200
    assert "2.0‰" in page.text and "应培训" in page.text and "劳动年龄残疾人" in page.text
    bad = client.get("/console/training?region=430")
    assert 'aria-invalid="true"' in bad.text and "须为 2 位（省）" in bad.text
    client.cookies.clear()
    sign_in(client, "王老师")
    assert client.get("/console/training?region=4301").status_code == 403
