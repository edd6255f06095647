"""Console sign-in over HTTP: argon2 passwords, the session cookie, CSRF on every form,
lock-out, sign-out, role and region scopes, and bearer tokens still working for the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from matching.domain import Job
from matching.store import Store
from matching.store.tables import AccountPasswordRow, AuditRow, ReferralRow
from serving.app import create_app
from serving.cli import app as cli
from serving.runtime import Resources
from tests.console.conftest import PASSWORD, Console

pytestmark = pytest.mark.slow


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:2000]
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD):
    form = client.get("/console/login")
    return client.post(
        "/console/login",
        data={"name": name, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )


def test_sign_in_form_is_chinese_with_labelled_fields(client: TestClient) -> None:
    page = client.get("/console/login")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert re.search(r'<label for="field-name">账号</label>', page.text)
    assert re.search(r'<label for="field-password">密码</label>', page.text)
    # Unsigned-in visitors of any page are sent to the form, coming back afterwards.
    redirect = client.get("/console/candidates/c1", follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == "/console/login?next=/console/candidates/c1"


def test_session_cookie_is_httponly_samesite_and_secure_behind_tls(
    client: TestClient, console_home: Console
) -> None:
    answer = sign_in(client, "王老师")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/candidates"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("jm_console="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP in this test
    assert client.get("/console/candidates").status_code == 200
    tls = TestClient(client.app, base_url="https://testserver")
    form = tls.get("/console/login")
    assert "Secure" in form.headers["set-cookie"]
    answer = tls.post(
        "/console/login",
        data={"name": "王老师", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    secure = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("jm_console="))
    assert "Secure" in secure


def test_passwords_are_stored_as_argon2id_hashes(client: TestClient, console_home: Console) -> None:
    store = Store.open(console_home.settings)
    with store.session() as session:
        hashes = list(session.scalars(select(AccountPasswordRow.password_hash)))
    store.close()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(PASSWORD in h for h in hashes)


def test_wrong_passwords_lock_the_account_and_are_audited(
    client: TestClient, console_home: Console
) -> None:
    for _ in range(4):
        wrong = sign_in(client, "王老师", "not-the-password")
        assert wrong.status_code == 401 and "账号或密码不正确" in wrong.text
    fifth = sign_in(client, "王老师", "not-the-password")
    assert fifth.status_code == 429 and "账号已暂时锁定" in fifth.text
    # While locked, even the right password is refused.
    locked = sign_in(client, "王老师")
    assert locked.status_code == 429 and "jm_console=" not in locked.headers.get("set-cookie", "")
    # An unknown name answers exactly like a wrong password.
    unknown = sign_in(client, "没有这个人", "whatever-password")
    assert unknown.status_code == 401 and "账号或密码不正确" in unknown.text
    store = Store.open(console_home.settings)
    with store.session() as session:
        actions = list(session.scalars(select(AuditRow.action).order_by(AuditRow.id)))
    store.close()
    assert actions.count("sign_in_failed") == 6 and "sign_in_refused" in actions
    # An admin's password reset lifts the lock.
    runner = CliRunner()
    env = {"JOBMATCH_HOME": str(console_home.settings.home)}
    if console_home.settings.database_url:
        env["JOBMATCH_DATABASE_URL"] = console_home.settings.database_url
    reset = runner.invoke(
        cli,
        ["users", "set-password", "王老师", "--password-stdin"],
        input="a-new-password-1\n",
        env=env,
    )
    assert reset.exit_code == 0, reset.output
    assert sign_in(client, "王老师", "a-new-password-1").status_code == 303


def test_every_form_needs_the_session_csrf_token(client: TestClient, console_home: Console) -> None:
    assert sign_in(client, "王老师").status_code == 303
    page = client.get("/console/candidates/c1/jobs")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    for token in (None, "forged"):
        data = {"job_id": "j3", "idempotency_key": key}
        if token:
            data["csrf_token"] = token
        refused = client.post("/console/candidates/c1/referrals", data=data)
        assert refused.status_code == 403 and "表单已过期或来源不明" in refused.text
    store = Store.open(console_home.settings)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ReferralRow)) == 3  # nothing new
    store.close()
    # The sign-in form itself is protected by a double-submit token.
    client.cookies.clear()
    forged = client.post(
        "/console/login", data={"name": "王老师", "password": PASSWORD, "csrf_token": "x"}
    )
    assert forged.status_code == 403


def test_referral_from_the_console_is_the_api_referral(
    client: TestClient, console_home: Console
) -> None:
    assert sign_in(client, "王老师").status_code == 303
    page = client.get("/console/candidates/c1/jobs")
    assert "客服专员" in page.text and "依靠岗位提供的读屏软件方可胜任" in page.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    data = {"job_id": "j3", "idempotency_key": key, "csrf_token": csrf_of(page.text)}
    done = client.post("/console/candidates/c1/referrals", data=data, follow_redirects=False)
    assert done.status_code == 303
    again = client.post("/console/candidates/c1/referrals", data=data, follow_redirects=False)
    assert again.status_code == 303  # the same form posted twice: one referral
    # The API sees the referral with the rank and reasons shown.
    api = client.get(
        "/v1/audit?action=refer",
        headers={"Authorization": f"Bearer {console_home.tokens['管理员']}"},
    )
    assert len(api.json()) == 1
    subject = api.json()[0]["subject"]
    referral_id = subject.split()[0].removeprefix("referrals:")
    read = client.get(
        f"/v1/referrals/{referral_id}",
        headers={"Authorization": f"Bearer {console_home.tokens['王老师']}"},
    )
    assert read.json()["rank"] == 1 and read.json()["reasons_shown"]


def test_roles_and_regions_are_the_apis(client: TestClient) -> None:
    assert sign_in(client, "长沙市图书馆").status_code == 303
    assert client.get("/console/candidates").status_code == 403
    assert client.get("/console/jobs/j2").status_code == 403  # another employer's job
    assert client.get("/console/jobs/j3").status_code == 200
    # The job list is the API's list_jobs: this employer's own jobs only.
    listed = client.get("/console/jobs")
    assert listed.status_code == 200 and "/console/jobs/j3" in listed.text
    assert "/console/jobs/j2" not in listed.text
    client.cookies.clear()
    assert sign_in(client, "芙蓉区李老师").status_code == 303
    outside = client.get("/console/candidates/c1")
    assert outside.status_code == 403 and "无权" in outside.text
    assert client.get("/console/accounts").status_code == 403


def test_sign_out_and_revocation_end_the_session(client: TestClient) -> None:
    assert sign_in(client, "王老师").status_code == 303
    page = client.get("/console/candidates")
    cookie = client.cookies.get("jm_console")
    out = client.post(
        "/console/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert out.status_code == 303
    client.cookies.set("jm_console", cookie or "", path="/console")
    assert client.get("/console/candidates", follow_redirects=False).status_code == 303
    # An admin revokes the counselor while they are signed in.
    client.cookies.clear()
    assert sign_in(client, "王老师").status_code == 303
    counselor_cookie = client.cookies.get("jm_console")
    client.cookies.clear()
    assert sign_in(client, "管理员").status_code == 303
    accounts = client.get("/console/accounts")
    account_id = re.search(r'/console/accounts/(\d+)/revoke"', accounts.text).group(1)  # type: ignore[union-attr]
    client.post(
        f"/console/accounts/{account_id}/revoke", data={"csrf_token": csrf_of(accounts.text)}
    )
    client.cookies.clear()
    client.cookies.set("jm_console", counselor_cookie or "", path="/console")
    assert client.get("/console/candidates", follow_redirects=False).status_code == 303


def test_bearer_tokens_work_for_the_api_and_cookies_do_not(
    client: TestClient, console_home: Console
) -> None:
    assert sign_in(client, "王老师").status_code == 303
    assert client.get("/v1/accounts/me").status_code == 401  # the cookie is no API credential
    me = client.get(
        "/v1/accounts/me", headers={"Authorization": f"Bearer {console_home.tokens['王老师']}"}
    )
    assert me.status_code == 200 and me.json()["name"] == "王老师"


def test_cli_creates_an_account_that_signs_in(
    client: TestClient, console_home: Console, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = {"JOBMATCH_HOME": str(console_home.settings.home)}
    if console_home.settings.database_url:
        env["JOBMATCH_DATABASE_URL"] = console_home.settings.database_url
    made = runner.invoke(
        cli,
        [
            "users",
            "create",
            "--role",
            "counselor",
            "--region",
            "4301",
            "--name",
            "赵老师",
            "--password-stdin",
        ],
        input="zhao-password-9\n",
        env=env,
    )
    assert made.exit_code == 0, made.output
    assert "console sign-in as '赵老师'" in made.output
    short = runner.invoke(
        cli, ["users", "set-password", "赵老师", "--password-stdin"], input="short\n", env=env
    )
    assert short.exit_code == 2 and "密码至少需要 10 个字符" in short.output
    clash = runner.invoke(
        cli,
        ["users", "create", "--role", "manager", "--name", "赵老师", "--password-stdin"],
        input="another-password\n",
        env=env,
    )
    assert clash.exit_code == 2
    assert sign_in(client, "赵老师", "zhao-password-9").status_code == 303


def test_demo_prints_one_account_per_role_that_signs_in(
    client: TestClient, console_home: Console, capsys: pytest.CaptureFixture[str]
) -> None:
    from serving.cli.demo import _demo_accounts

    _demo_accounts(console_home.settings)
    printed = capsys.readouterr().out
    assert "http://127.0.0.1:8000/console/" in printed
    accounts = re.findall(r"^\s+(\w+)\s+账号 (\S+)\s+密码 (\S+)", printed, re.MULTILINE)
    assert [role for role, _, _ in accounts] == ["counselor", "employer", "manager", "admin"]
    homes = {
        "counselor": "/console/candidates",
        "employer": "/console/jobs",
        "manager": "/console/reports",  # the quarterly report
        "admin": "/console/accounts",
    }
    for role, name, password in accounts:
        client.cookies.clear()
        answer = sign_in(client, name, password)
        assert answer.status_code == 303 and answer.headers["location"] == homes[role]


@pytest.fixture
def client_with_many_jobs(console_home: Console, resources: Resources) -> Iterator[TestClient]:
    """The console world plus twelve open jobs c3 (no disability, no needs) can do, so that
    some of c3's feasible jobs fall outside the model's top 10."""
    jobs = [
        {
            "id": f"jx{n:02d}",
            "employer_id": "e2",
            "title": f"仓储理货员{n}",
            "skills": ["理货"],
            "region_code": "430102",
            "work_mode": "quota",
            "openings": 2,
            "posted_at": "2025-05-01",
        }
        for n in range(12)
    ]
    store = Store.open(console_home.settings)
    with store.session() as session:
        store.upsert(session, "jobs", [Job.model_validate(j) for j in jobs])
    store.close()
    app = create_app(console_home.settings, resources=lambda _settings, _store: resources)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_job_outside_the_top_10_needs_a_reason(client_with_many_jobs: TestClient) -> None:
    client = client_with_many_jobs
    assert sign_in(client, "王老师").status_code == 303
    page = client.get("/console/candidates/c3/jobs")
    places = re.findall(r"<h2>第 (\d+) 名：", page.text)
    assert len(places) > 10
    # Only the jobs after the 10th ask for a reason.
    cards = page.text.split('<li class="card"')[1:]
    assert all("override_reason" not in card for card in cards[:10])
    assert all("override_reason" in card for card in cards[10:])
    eleventh = cards[10]
    job_id = re.search(r'name="job_id" value="([^"]+)"', eleventh).group(1)  # type: ignore[union-attr]
    key = re.search(r'name="idempotency_key" value="([^"]+)"', eleventh).group(1)  # type: ignore[union-attr]
    form = {"job_id": job_id, "idempotency_key": key, "csrf_token": csrf_of(page.text)}
    refused = client.post("/console/candidates/c3/referrals", data=form)
    assert refused.status_code == 422
    assert "此岗位不在模型推荐的前 10 名内，请写明推荐理由" in refused.text
    assert 'aria-invalid="true"' in refused.text and "error-summary" in refused.text
    done = client.post(
        "/console/candidates/c3/referrals",
        data=form | {"override_reason": "本人希望在芙蓉区就近工作"},
        follow_redirects=False,
    )
    assert done.status_code == 303


def test_why_not_names_the_failed_requirement_in_chinese(client: TestClient) -> None:
    assert sign_in(client, "王老师").status_code == 303
    # c1 needs a screen reader; j2 (网店客服) offers remote work and captioning only.
    page = client.get("/console/candidates/c1/why-not?job_id=j2")
    assert page.status_code == 200
    assert "本人需要的合理便利岗位未提供：读屏软件" in page.text
    # j3 meets every requirement, thanks to its screen reader.
    fine = client.get("/console/candidates/c1/why-not?job_id=j3")
    assert "满足求职者 c1 的全部硬性条件" in fine.text
    assert "视力：依靠岗位提供的读屏软件方可胜任" in fine.text
    unknown = client.get("/console/candidates/c1/why-not?job_id=nope")
    assert "找不到该记录" in unknown.text
