"""A small hand-written world in the interchange format, independent of the demo generator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from matching.identity import id_check_character


def id_number(region: str = "430104", birth: str = "19900307", seq: str = "123") -> str:
    """A valid 18-character ID number (seq's last digit odd = male)."""
    first = region + birth + seq
    return first + id_check_character(first)


EMPLOYERS: list[dict[str, Any]] = [
    {
        "id": "e1",
        "name": "长沙市图书馆",
        "type": "institution",
        "region_code": "430104",
        "staff_count": 120,
        "establishment_size": 110,
        "disabled_staff": 1,
        "disabled_staff_severe": 0,
        "avg_annual_wage": 98000,
    },
    {
        "id": "e2",
        "name": "湖南某电商有限公司",
        "type": "private",
        "region_code": "430103",
        "staff_count": 400,
        "disabled_staff": 8,
        "disabled_staff_severe": 3,
    },
]

JOBS: list[dict[str, Any]] = [
    {
        "id": "j1",
        "employer_id": "e1",
        "title": "图书管理员",
        "occupation": "图书资料专业人员",
        "skills": ["图书整理", "电子表格"],
        "education_min": "senior_high",
        "region_code": "430104",
        "work_mode": "public_welfare",
        "public_welfare": True,
        "salary_min": 2500,
        "salary_max": 3200,
        "demands": {"vision": 2, "mobility": 1},
        "accommodations": ["screen_reader", "wheelchair_access"],
        "posted_at": "2025-03-01",
    },
    {
        "id": "j2",
        "employer_id": "e2",
        "title": "网店客服",
        "skills": ["客户服务", "打字"],
        "region_code": "430103",
        "work_mode": "home_based",
        "remote_ok": True,
        "salary_min": 3000,
        "salary_max": 4500.5,
        "openings": 5,
        "demands": {"hearing": 1, "cognition": 2},
        "accommodations": ["remote", "captioning"],
        "posted_at": "2025-04-10",
        "closes_at": "2026-12-31",
    },
]

CANDIDATES: list[dict[str, Any]] = [
    {
        "id": "c1",
        "name": "张三",
        "id_number": id_number(),
        "cert_number": id_number() + "12",
        "sex": "M",
        "birth_year": 1990,
        "disability_category": "visual",
        "disability_grade": 2,
        "education": "vocational_secondary",
        "region_code": "430104",
        "household": "urban",
        "skills": ["推拿", "电子表格"],
        "certificates": ["盲人保健按摩证"],
        "trainings": [{"name": "读屏软件使用", "year": 2023}],
        "work_modes": ["quota", "massage"],
        "expected_salary": 3000,
        "needs": ["screen_reader"],
        "priority_groups": ["hard_to_employ"],
        "summary": "熟悉读屏软件",
        "registered_at": "2024-06-01",
        "phone": "13800000000",
    },
    {
        "id": "c2",
        "name": "李四",
        "sex": "F",
        "birth_year": 2001,
        "disability_category": "hearing",
        "disability_grade": 3,
        "education": "bachelor",
        "graduation_year": 2025,
        "school": "长沙学院",
        "region_code": "430103",
        "capacities": {"hearing": 0},
        "skills": ["客户服务"],
        "needs": ["captioning"],
        "priority_groups": ["graduate"],
        "registered_at": "2025-05-20",
    },
    {"id": "c3", "region_code": "430102", "registered_at": "2025-01-02"},
]

REFERRALS: list[dict[str, Any]] = [
    {
        "id": "r1",
        "candidate_id": "c1",
        "job_id": "j1",
        "referred_at": "2025-03-10",
        "outcome": "hired",
        "outcome_at": "2025-03-20",
    },
    {
        "id": "r2",
        "candidate_id": "c2",
        "job_id": "j2",
        "referred_at": "2025-06-01",
        "outcome": "pending",
    },
]

WORLD = {"employers": EMPLOYERS, "jobs": JOBS, "candidates": CANDIDATES, "referrals": REFERRALS}


def write_world(directory: Path, world: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    """Write a world's files (default: the small world above) and return the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    for kind, records in (world or WORLD).items():
        with (directory / f"{kind}.jsonl").open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return directory
