"""Charts of report sections (PNG and SVG, matplotlib), for the web console.

Drawn with matplotlib's object API (no pyplot state), so concurrent requests do not share a
figure. Labels are Chinese when a CJK font is installed, the report's English measure names
otherwise (a chart of empty boxes helps nobody). SVG output is reproducible: no date, a fixed
hash salt.
"""

from __future__ import annotations

import io
from enum import StrEnum
from functools import cache

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure as Canvas  # noqa: E402

from matching.reports import Report, Section  # noqa: E402

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)


class ChartFormat(StrEnum):
    SVG = "svg"
    PNG = "png"


MEDIA_TYPES = {ChartFormat.SVG: "image/svg+xml", ChartFormat.PNG: "image/png"}


@cache
def cjk_font() -> str | None:
    """The first installed font that can show Chinese, if any."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


#: The head counts drawn for the casework sections (their shares and targets would share an
#: axis with counts of hundreds); the table beside the chart has every figure.
COUNTED = {
    "graduates": ("graduates", "employed"),
    "assessments": ("registered_unemployed", "assessed", "assessments"),
    "trainings": ("trained", "completed_courses", "trained_working_age_disabled", "required"),
}


def _bars(section: Section) -> tuple[list[str], list[float], str]:
    """What a section's chart shows: bar labels, heights and a title."""
    chinese = cjk_font() is not None
    figures = section.figures
    if section.name == "employment":
        chosen = [f for f in figures if f.measure == "employed" and f.group]
        labels = [f.group for f in chosen]
        title = "期末在岗（按就业形式）" if chinese else "employed at period end, by form"
    elif section.name == "quota":
        chosen = [
            f for f in figures if f.measure == "compliance_rate" and f.group.startswith("type:")
        ]
        labels = [f.group.removeprefix("type:") for f in chosen]
        title = "达标率（按单位类型）" if chinese else "quota compliance rate by employer type"
    elif section.name == "targets":
        chosen = [f for f in figures if f.measure in ("progress", "year_elapsed")]
        labels = [f.group or f.measure for f in chosen]
        title = "年度目标进度" if chinese else "progress toward annual targets"
    else:
        counted = COUNTED.get(section.name)
        chosen = [
            f
            for f in figures
            if not f.group and (f.measure in counted if counted else not f.measure.endswith("rate"))
        ]
        labels = [f.label if chinese else f.measure for f in chosen]
        title = section.title if chinese else section.name
    return labels, [f.value or 0.0 for f in chosen], title


def render(report: Report, section_name: str, chart_format: ChartFormat) -> bytes:
    """One section of a report as a bar chart (KeyError for a section the report lacks)."""
    section = report.section(section_name)
    font = cjk_font()
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with matplotlib.rc_context({"font.family": families, "svg.hashsalt": "jm"}):
        canvas = Canvas(figsize=(7, 4), dpi=100)
        axes = canvas.subplots()
        period = f"{report.year}" + (f" Q{report.quarter}" if report.quarter else "")
        region = report.region_prefix or "all"
        labels, values, title = _bars(section)
        bars = axes.bar(range(len(values)), values, color="#3b6ea5")
        axes.bar_label(bars, fmt="%g", fontsize=8)
        axes.set_xticks(range(len(values)), labels, rotation=30, ha="right", fontsize=8)
        axes.set_title(f"{title} · {period} · {region}")
        axes.spines[["top", "right"]].set_visible(False)
        canvas.tight_layout()
        out = io.BytesIO()
        metadata = {"Date": None} if chart_format is ChartFormat.SVG else None
        canvas.savefig(out, format=chart_format.value, metadata=metadata)
    return out.getvalue()
