"""Real-name reports (DOMAIN.md rule 10): quarterly and annual, as JSON, CSV or XLSX, and a
chart (SVG or PNG) per section for the web console. Managers and admins see any region,
counselors their own region prefix. Every figure is recomputed from the records on each
request (``matching.reports``), the same way it is recounted from an interchange export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from matching.reports import (
    REPORT_COLUMNS,
    Period,
    Report,
    build_report,
    data_from_store,
    report_rows,
)
from serving.auth import Account
from serving.charts import MEDIA_TYPES, ChartFormat, render
from serving.deps import CurrentUser, RuntimeDep
from serving.errors import ERROR_RESPONSES, ApiError
from serving.routes.compliance import RegionQuery, scoped_region
from serving.runtime import Runtime
from serving.tabular import TableFormat, download, table_bytes

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=ERROR_RESPONSES)

ReportYear = Annotated[int, Query(ge=1990, le=2100, description="Calendar year.")]
Quarter = Annotated[int, Query(ge=1, le=4, description="Quarter 1-4.")]
FormatQuery = Annotated[TableFormat, Query(description="json, csv or xlsx.")]
TABLE_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
        }
    }
}
CHART_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/svg+xml": {}, "image/png": {}}}
}


async def _report(runtime: Runtime, user: Account, period: Period, region: str | None) -> Report:
    """The report of a period for a region within the caller's scope, built off the event
    loop (it reads every record)."""
    prefix = scoped_region(user, region)

    def build() -> Report:
        data = data_from_store(runtime.store, actor=user.actor)
        return build_report(data, period, runtime.settings, region_prefix=prefix)

    return await run_in_threadpool(build)


def _formatted(report: Report, table_format: TableFormat) -> Any:
    if table_format is TableFormat.JSON:
        return report
    name = (
        f"report-{report.kind.value}-{report.year}"
        + (f"Q{report.quarter}" if report.quarter else "")
        + (f"-{report.region_prefix}" if report.region_prefix else "")
    )
    rows = list(report_rows(report))
    sheets = {"全部": rows} | {
        section.name: [r for r in rows if r["section"] == section.name]
        for section in report.sections
    }
    return download(table_bytes(table_format, REPORT_COLUMNS, sheets), table_format, name)


def _chart(report: Report, section: str, extension: str) -> Response:
    try:
        chart_format = ChartFormat(extension)
    except ValueError:
        raise ApiError(
            404,
            "not_found",
            f"图表格式 {extension} 不可用：请用 svg 或 png",
            [("format", "svg or png")],
        ) from None
    try:
        content = render(report, section, chart_format)
    except KeyError:
        names = ", ".join(s.name for s in report.sections)
        raise ApiError(404, "not_found", f"报告没有 {section} 部分（有：{names}）") from None
    return Response(content, media_type=MEDIA_TYPES[chart_format])


@router.get("/quarterly", response_model=Report, responses=TABLE_CONTENT)
async def quarterly_report(
    user: CurrentUser,
    runtime: RuntimeDep,
    year: ReportYear,
    quarter: Quarter,
    region: RegionQuery = None,
    format: FormatQuery = TableFormat.JSON,  # noqa: A002
) -> Any:
    """The quarterly real-name report of a region (counselors: within their region)."""
    report = await _report(runtime, user, Period.quarterly(year, quarter), region)
    return _formatted(report, format)


@router.get("/annual", response_model=Report, responses=TABLE_CONTENT)
async def annual_report(
    user: CurrentUser,
    runtime: RuntimeDep,
    year: ReportYear,
    region: RegionQuery = None,
    format: FormatQuery = TableFormat.JSON,  # noqa: A002
) -> Any:
    """The annual real-name report of a region (counselors: within their region)."""
    report = await _report(runtime, user, Period.annual(year), region)
    return _formatted(report, format)


@router.get("/quarterly/charts/{section}.{extension}", responses=CHART_CONTENT)
async def quarterly_chart(
    section: str,
    extension: str,
    user: CurrentUser,
    runtime: RuntimeDep,
    year: ReportYear,
    quarter: Quarter,
    region: RegionQuery = None,
) -> Response:
    """One section of the quarterly report as a chart (``employment.svg``, ``quota.png``...)."""
    report = await _report(runtime, user, Period.quarterly(year, quarter), region)
    return await run_in_threadpool(_chart, report, section, extension)


@router.get("/annual/charts/{section}.{extension}", responses=CHART_CONTENT)
async def annual_chart(
    section: str,
    extension: str,
    user: CurrentUser,
    runtime: RuntimeDep,
    year: ReportYear,
    region: RegionQuery = None,
) -> Response:
    """One section of the annual report as a chart."""
    report = await _report(runtime, user, Period.annual(year), region)
    return await run_in_threadpool(_chart, report, section, extension)
