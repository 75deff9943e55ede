"""The action plan as a printable PDF, an Excel workbook and a CSV file."""

from __future__ import annotations

import re
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle
from sqlalchemy.orm import Session

from core.actor import Actor
from core.audit import binds_actor, record_event
from core.i18n import format_date, t
from core.reports.pdf import FONT, PageFurniture, build_pdf, cell, grid_table, para, shape, styles, usable_width
from core.reports.spreadsheet import csv_bytes, workbook_bytes, write_sheet
from core.safe_text import for_pdf
from improvement_actions.rules import PRIORITIES, STATUSES
from qaf.levels import LEVEL_COLOURS, LEVEL_TEXT_COLOURS, Level, level_label
from qaf.services import ActionPlan, KeyActionView, action_plan


def scope_label(scope: str) -> str:
    return t(f"assessment.scope.{scope}")


# ----------------------------------------------------------------------------------------------- PDF


def _level_chart(plan: ActionPlan) -> Drawing:
    counts = plan.summary.counts
    width, height = 150 * mm, 62 * mm
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 14 * mm, width - 18 * mm, height - 22 * mm
    chart.data = [[counts[level] for level in Level]]
    chart.categoryAxis.categoryNames = [shape(level_label(level)) for level in Level]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 6.5
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(4, max(counts.values()) + 1)
    chart.valueAxis.valueStep = 2 if chart.valueAxis.valueMax > 8 else 1
    chart.bars.strokeWidth = 0
    for index, level in enumerate(Level):
        chart.bars[(0, index)].fillColor = colors.HexColor(LEVEL_COLOURS[level])
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    drawing.add(chart)
    drawing.add(String(12 * mm, height - 6 * mm, shape(t("report.chart_title")), fontName=FONT, fontSize=8))
    return drawing


def _level_cell_style(column: int, row: int, level: Level | None) -> list[tuple]:
    if level is None:
        return []
    return [("BACKGROUND", (column, row), (column, row), colors.HexColor(LEVEL_COLOURS[level]))]


def _level_para(level: Level | None) -> Paragraph:
    """A level name in the text colour that reads on that level's fill."""
    style = styles()["cell_bold"]
    if level is not None:
        style = ParagraphStyle(f"level_{level.key}", parent=style,
                               textColor=colors.HexColor(LEVEL_TEXT_COLOURS[level]))
    return para(level_label(level), "cell_bold") if level is None else Paragraph(
        for_pdf(shape(level_label(level))), style)


def _cover(plan: ActionPlan) -> list:
    a = plan.assessment
    story: list = [
        Spacer(1, 8 * mm),
        para(t("report.action_plan_title"), "title"),
        para(a.name, "subtitle"),
    ]
    details = [
        (t("assessment.field.country"), a.country),
        (t("assessment.field.scope"), scope_label(a.scope)),
        (t("assessment.field.assessed_on"), format_date(a.assessed_on)),
        (t("assessment.field.facilitator"), a.facilitator),
        (t("assessment.field.agencies"), ", ".join(a.agencies) or "—"),
        (t("assessment.field.framework"), a.framework_label),
        (t("assessment.field.status"), t(f"assessment.status.{a.status}")
         + (f" ({format_date(a.finalised_at)})" if a.finalised_at else "")),
        (t("report.progress"), t("workshop.progress", scored=plan.summary.scored_count, total=plan.summary.total)),
    ]
    if a.working_translation:
        details.insert(6, (t("translation.working"), t("translation.notice")))
    rows = [[para(label, "cell_bold"), para(value, "cell")] for label, value in details]
    story.append(grid_table([[para(t("report.details"), "cell_bold"), ""], *rows], [55 * mm, 150 * mm],
                            extra=[("SPAN", (0, 0), (1, 0))]))
    if a.participants:
        story.append(para(t("report.participants"), "h2"))
        header = [para(t("assessment.field.participant_name"), "cell_bold"),
                  para(t("assessment.field.participant_agency"), "cell_bold"),
                  para(t("assessment.field.participant_role"), "cell_bold"),
                  para(t("report.signature"), "cell_bold")]
        body = [[para(p.name, "cell"), para(p.agency, "cell"), para(p.role, "cell"), ""] for p in a.participants]
        story.append(grid_table([header, *body], [60 * mm, 60 * mm, 55 * mm, 50 * mm]))
    story.append(PageBreak())
    return story


def _levels(plan: ActionPlan) -> list:
    story: list = [para(t("report.levels_heading"), "h1")]
    header = [para(t("report.col.dimension"), "cell_bold"), para(t("report.col.component"), "cell_bold"),
              para(t("report.col.derived_level"), "cell_bold"), para(t("report.col.agreed_level"), "cell_bold"),
              para(t("report.col.reason"), "cell_bold")]
    rows: list[list[Any]] = [header]
    extra: list[tuple] = []
    for result in plan.summary.results:
        component = result.component
        dimension = plan.framework.dimension(component.dimension_number)
        rows.append([
            para(dimension.label, "cell"), para(component.label, "cell"),
            para(level_label(result.derived_level) if result.scored else "—", "cell"),
            _level_para(result.level),
            para(result.level_reason, "cell"),
        ])
        extra.extend(_level_cell_style(3, len(rows) - 1, result.level))
    story.append(grid_table(rows, [55 * mm, 62 * mm, 38 * mm, 40 * mm, usable_width() - 195 * mm], extra))
    story.append(Spacer(1, 4 * mm))
    counts = plan.summary.counts
    count_rows = [[para(t("report.col.level"), "cell_bold"), para(t("report.col.components"), "cell_bold")]]
    count_extra: list[tuple] = []
    for level in Level:
        count_rows.append([_level_para(level), para(str(counts[level]), "cell")])
        count_extra += _level_cell_style(0, len(count_rows) - 1, level)
    side_by_side = Table([[grid_table(count_rows, [55 * mm, 30 * mm], count_extra), _level_chart(plan)]],
                         colWidths=[95 * mm, 155 * mm], hAlign="LEFT")
    side_by_side.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story.append(KeepTogether([side_by_side]))
    attention = plan.summary.needing_attention()
    if attention:
        story.append(para(t("report.attention_heading"), "h2"))
        for result in attention:
            story.append(para(f"{result.component.label} — {level_label(result.level)}", "body"))
    story.append(PageBreak())
    return story


def _action_rows(actions: list[KeyActionView]) -> list[list[Any]]:
    header = [para(h, "cell_bold") for h in (
        "#", t("report.col.key_action"), t("report.col.owner"), t("report.col.due"), t("report.col.resources"),
        t("report.col.priority"), t("report.col.status"), t("report.col.progress"))]
    rows: list[list[Any]] = [header]
    for number, action in enumerate(actions, start=1):
        rows.append([
            str(number),
            para(action.text + (f" [{action.change_grid_action_id}]" if action.change_grid_action_id else ""),
                 "cell"),
            cell(action.owner),
            cell(format_date(action.due_on)),
            cell(action.resources, wrap_over=22),
            cell(t(f"improvement_action.priority.{action.priority}"), wrap_over=10),
            cell(t(f"improvement_action.status.{action.status}"), wrap_over=12),
            cell(action.progress_notes, wrap_over=12),
        ])
    return rows


def _key_actions(plan: ActionPlan) -> list:
    story: list = [para(t("report.key_actions_heading"), "h1")]
    if not plan.key_actions:
        story.append(para(t("report.no_key_actions"), "body"))
        return story
    widths = [8 * mm, 88 * mm, 38 * mm, 24 * mm, 40 * mm, 18 * mm, 22 * mm]
    widths.append(usable_width() - sum(widths))
    for dimension in plan.framework.dimensions:
        components = [c for c in dimension.components if plan.actions_for(c.code)]
        if not components:
            continue
        story.append(CondPageBreak(30 * mm))
        story.append(para(dimension.label, "h1"))
        for component in components:
            result = next(r for r in plan.summary.results if r.component.code == component.code)
            heading = f"{component.label} — {level_label(result.level)}"
            story.append(grid_table(_action_rows(plan.actions_for(component.code)), widths, heading=heading))
    return story


def _notes(plan: ActionPlan) -> list:
    """Each component's notes and evidence, as the task force recorded them (optional)."""
    noted = [r for r in plan.summary.results if r.notes]
    story: list = [PageBreak(), para(t("report.notes_heading"), "h1")]
    if not noted:
        return [*story, para(t("report.no_notes"), "body")]
    rows = [[para(t("report.col.component"), "cell_bold"), para(t("export.col.notes"), "cell_bold")]]
    rows += [[para(r.component.label, "cell"), para(r.notes, "cell")] for r in noted]
    return [*story, grid_table(rows, [70 * mm, usable_width() - 70 * mm])]


def action_plan_pdf(plan: ActionPlan, *, include_notes: bool = False) -> bytes:
    styles()
    a = plan.assessment
    furniture = PageFurniture(
        header=f"{t('report.action_plan_title')} — {a.name}",
        footer=f"{a.country} · {format_date(a.assessed_on)} · {t('report.footer_source')}"
               + (f" · {t('translation.notice')}" if a.working_translation else ""),
        watermark="" if a.is_final else t("report.draft_mark"),
    )

    def story() -> list:
        return _cover(plan) + _levels(plan) + _key_actions(plan) + (_notes(plan) if include_notes else [])

    return build_pdf(story, title=f"{t('report.action_plan_title')} — {a.name}", author=a.facilitator,
                     furniture=furniture, page_label=lambda page, total: t("report.page_of", page=page, total=total))


# ----------------------------------------------------------------------------------------------- tables


def action_plan_table(plan: ActionPlan) -> tuple[list[str], list[list[Any]]]:
    """One row per key action: the shape shared by the workbook and the CSV export."""
    headers = [t(f"export.col.{name}") for name in (
        "dimension", "component", "component_level", "change_grid_action", "key_action", "owner_person",
        "owner_agency", "due_on", "resources", "priority", "status", "progress_notes")]
    results = {r.component.code: r for r in plan.summary.results}
    rows = []
    for action in plan.key_actions:
        component = plan.framework.component(action.component_code)
        dimension = plan.framework.dimension(component.dimension_number)
        rows.append([
            dimension.label, component.label, level_label(results[component.code].level),
            action.change_grid_action_id or "", action.text, action.owner_person, action.owner_agency,
            action.due_on, action.resources, t(f"improvement_action.priority.{action.priority}"),
            t(f"improvement_action.status.{action.status}"), action.progress_notes,
        ])
    return headers, rows


def action_plan_xlsx(plan: ActionPlan) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = t("export.sheet.action_plan")[:31]
    headers, rows = action_plan_table(plan)
    write_sheet(sheet, headers, rows, [30, 34, 22, 12, 60, 22, 22, 12, 30, 10, 14, 40], date_columns=[8],
                choices={10: [t(f"improvement_action.priority.{p}") for p in PRIORITIES],
                         11: [t(f"improvement_action.status.{s}") for s in STATUSES]})
    levels = workbook.create_sheet(t("export.sheet.levels")[:31])
    level_rows = []
    for result in plan.summary.results:
        dimension = plan.framework.dimension(result.component.dimension_number)
        level_rows.append([dimension.label, result.component.label,
                           level_label(result.derived_level) if result.scored else "",
                           level_label(result.level), result.level_reason, result.notes])
    write_sheet(levels, [t("report.col.dimension"), t("report.col.component"), t("report.col.derived_level"),
                         t("report.col.agreed_level"), t("report.col.reason"), t("export.col.notes")],
                level_rows, [30, 34, 22, 22, 40, 50])
    for index, result in enumerate(plan.summary.results, start=2):
        if result.level is not None:
            cell = levels.cell(row=index, column=4)
            cell.fill = PatternFill("solid", fgColor=LEVEL_COLOURS[result.level].lstrip("#"))
            cell.font = Font(bold=True, color=LEVEL_TEXT_COLOURS[result.level].lstrip("#"))
    about = workbook.create_sheet(t("export.sheet.about")[:31])
    a = plan.assessment
    write_sheet(about, [t("report.details"), ""], [
        [t("assessment.field.name"), a.name], [t("assessment.field.country"), a.country],
        [t("assessment.field.scope"), scope_label(a.scope)], [t("assessment.field.assessed_on"), a.assessed_on],
        [t("assessment.field.facilitator"), a.facilitator], [t("assessment.field.framework"), a.framework_label],
        [t("assessment.field.status"), t(f"assessment.status.{a.status}")],
    ], [28, 70], date_columns=[2])
    return workbook_bytes(workbook)


def action_plan_csv(plan: ActionPlan) -> bytes:
    headers, rows = action_plan_table(plan)
    return csv_bytes(headers, [[v.isoformat() if hasattr(v, "isoformat") else v for v in row] for row in rows])


def report_filename(plan: ActionPlan, extension: str) -> str:
    """``action-plan_<assessment>_<date>.<ext>``: the name's words joined by single dashes."""
    words = re.findall(r"\w+", plan.assessment.name.lower())
    safe = "-".join(words)[:60].strip("-_")
    return f"action-plan_{safe or plan.assessment.id}_{plan.assessment.assessed_on.isoformat()}.{extension}"


EXPORTS = {"pdf": action_plan_pdf, "xlsx": action_plan_xlsx, "csv": action_plan_csv}


@binds_actor
def export_action_plan(session: Session, *, actor: Actor, assessment_id: int, fmt: str,
                       include_notes: bool = False) -> bytes:
    """Build an export for someone allowed to read the plan; an export is a deliberate act and is audited. The
    PDF can carry each component's notes and evidence."""
    plan = action_plan(session, assessment_id, actor=actor)
    data = action_plan_pdf(plan, include_notes=include_notes) if fmt == "pdf" else EXPORTS[fmt](plan)
    record_event(session, action="export", entity_type="Assessment", entity_id=assessment_id,
                 summary=report_filename(plan, fmt), details={"format": fmt, "key_actions": len(plan.key_actions)})
    return data
