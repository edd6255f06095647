"""The demo world's static tables (demo/data/*.toml): complete, consistent, and a bad file
refused with a message naming the file and the problem."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

from demo.tables import DemoDataError, DemoTables
from matching.skills import SKILL_FORMS
from matching.vocabulary import Dimension, DisabilityCategory, Education, EmployerType


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the shipped data files to spoil."""
    copy = tmp_path / "data"
    with resources.as_file(resources.files("demo") / "data") as shipped:
        shutil.copytree(shipped, copy)
    return copy


def test_the_shipped_tables_are_complete_and_their_shares_add_up() -> None:
    tables = DemoTables.load()
    people = tables.people
    assert len(tables.profiles) == 61
    assert sum(people.category_shares.values()) == pytest.approx(1)
    for category in DisabilityCategory:
        assert sum(people.grade_shares[category]) == pytest.approx(1)
    for column in ("share", "share_limited", "share_graduates"):
        assert sum(getattr(people.education[e], column) for e in Education) == pytest.approx(1)
    assert sum(tables.employers.type_shares.values()) == pytest.approx(1)
    assert sum(p.people_share for p in tables.prefectures) == pytest.approx(1)
    assert tables.trainings.count_weights[-1] == 1
    for profile in tables.profiles:
        assert len(profile.demands) == len(Dimension)
        # Skills are written in canonical form, so that postings can vary the surface form.
        assert set(profile.core + profile.extra) <= set(SKILL_FORMS), profile.title
        assert profile.family in tables.trainings.by_family
    for kind in EmployerType:
        assert any(kind in p.employers for p in tables.profiles), kind


def test_profiles_name_certificates_by_key_and_read_demands_by_dimension() -> None:
    tables = DemoTables.load()
    medical = next(p for p in tables.profiles if p.title == "盲人医疗按摩师")
    assert [(c.name, c.required) for c in medical.certificates] == [
        (tables.certificates.medical_massage, 1.0)
    ]
    online = next(p for p in tables.profiles if p.title == "在线客服专员")
    assert online.demands == (2, 0, 0, 1, 1, 2, 2)  # in Dimension order
    forest = next(p for p in tables.profiles if p.title == "护林员")
    assert forest.pw_only and forest.public_welfare


def test_the_merged_accommodation_rates_override_the_base_per_employer_type() -> None:
    tables = DemoTables.load()
    base = tables.accommodation_rates(EmployerType.PRIVATE)
    auxiliary = tables.accommodation_rates(EmployerType.AUXILIARY)
    assert base == tables.employers.accommodation_rates
    assert auxiliary["job_coach"] == 0.8 and base["job_coach"] == 0.05
    assert auxiliary.keys() == base.keys()


@pytest.mark.parametrize(
    ("name", "spoil", "message"),
    [
        ("people.toml", lambda text: text + "\n[[[", "不是有效的 TOML"),
        ("places.toml", lambda text: text.replace('code = "430100"', 'code = "4301"'), "code"),
        ("people.toml", lambda text: text.replace("mental = 0.074\n", ""), "缺少 mental"),
        (
            "profiles.toml",
            lambda text: text.replace("cognition = 2,", "cognitio = 2,", 1),
            "未知维度 cognitio",
        ),
        (
            "profiles.toml",
            lambda text: text.replace('[["health_massage"', '[["massage_cert"', 1),
            "未知证书 massage_cert",
        ),
        (
            "employers.toml",
            lambda text: text.replace("private = 0.45", "private = 1.45"),
            "private",
        ),
        ("employers.toml", lambda text: text + "\nunknown_table = 1\n", "unknown_table"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_the_problem(
    data: Path, name: str, spoil: Callable[[str], str], message: str
) -> None:
    path = data / name
    path.write_text(spoil(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(DemoDataError, match=message) as refused:
        DemoTables.load(data)
    assert str(path) in str(refused.value)


def test_a_missing_file_is_refused(data: Path) -> None:
    (data / "places.toml").unlink()
    with pytest.raises(DemoDataError, match="places.toml 不存在"):
        DemoTables.load(data)
