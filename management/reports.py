"""Exports of the management views: the tracker as filtered (Excel, CSV) and the monthly management report
(PDF with charts, and the same figures as a workbook). Every cell and paragraph of user text goes through the one
cleaning function of ``core.reports``."""

from __future__ import annotations

from datetime import date

from openpyxl import Workbook
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer
from sqlalchemy.orm import Session

from core.actor import Actor
from core.audit import record_event
from core.errors import Forbidden
from core.i18n import format_date, format_datetime, format_month, format_number, t, tn
from core.levels import Level, level_label
from core.reports.pdf import PAGE_SIZES, PageFurniture, bar_chart, build_pdf, cell, grid_table, para, usable_width
from core.reports.spreadsheet import csv_bytes, workbook_bytes, write_sheet
from management import indicators as ind
from management.indicators import Figure, change, direction
from management.services.indicators import agency_scope
from management.services.monthly import MonthlyReport, Progress, monthly_report
from management.services.tracker import TrackedAction, TrackerFilters, record_export, tracked_actions

TRACKER_COLUMNS = ("id", "source", "source_record", "item", "item_name", "action", "owner", "agency", "team",
                   "due_on", "due_state", "priority", "status", "progress", "completed", "updated", "updated_by")


def due_state(action: TrackedAction) -> str:
    if action.overdue:
        return t("tracker.due.overdue")
    if action.due_soon:
        return t("tracker.due.soon")
    return ""


def tracker_rows(actions: list[TrackedAction]) -> list[list[object]]:
    return [[a.id, t(f"tracker.source.{a.source_kind}"), a.source_label, a.item, a.item_label, a.text, a.owner,
             a.agency, a.team, a.due_on, due_state(a), t(f"improvement_action.priority.{a.priority}"),
             t(f"improvement_action.status.{a.status}"), a.progress_notes,
             f"{format_datetime(a.completed_at)} · {a.completed_by}" if a.completed_at else "",
             format_datetime(a.updated_at) if a.updated_at else "", a.updated_by] for a in actions]


def tracker_headers() -> list[str]:
    return [t(f"tracker.col.{c}") for c in TRACKER_COLUMNS]


def export_tracker(session: Session, *, actor: Actor, filters: TrackerFilters, fmt: str,
                   today: date | None = None) -> bytes:
    """Exactly what the tracker shows with these filters, in its order; audited like every export."""
    found = tracked_actions(session, actor=actor, filters=filters, today=today).actions
    rows = tracker_rows(found)
    record_export(session, count=len(found), fmt=fmt)
    if fmt == "csv":
        return csv_bytes(tracker_headers(), rows)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = t("tracker.sheet")[:31]
    write_sheet(sheet, tracker_headers(), rows, [7, 16, 28, 8, 30, 50, 26, 18, 18, 13, 12, 10, 12, 40, 26, 18, 18],
                date_columns=[10])
    return workbook_bytes(workbook)


# The monthly management report ------------------------------------------------------------------------------

PDF_ROWS = 40  # actions listed per group in the PDF; the workbook lists more, the tracker every one
PDF_ALERTS = 60
CHART_BARS = 12  # a chart names at most this many teams or supervisors: the lowest; the table lists them all
REPORT_INDICATORS = (ind.ASSESSMENT_ON_TIME, ind.PLAN_REVIEW_ON_TIME, ind.OBJECTIVES_ACHIEVED,
                     ind.SUPERVISORS_TRAINED, ind.SUPERVISION_HELD, ind.ACTIONS_ON_TIME, ind.REVIEW_SCORE,
                     *ind.CASELOAD_KEYS)


def indicator_title(key: str) -> str:
    family, _, level = key.partition(".")
    title = t(f"indicator.{family}.title")
    return f"{title} · {t(f'risk_level.{level}')}" if level else title


def figure_text(figure: Figure | None) -> str:
    if figure is None or figure.value is None:
        return "—"
    return f"{format_number(figure.value)}{' %' if figure.key in ind.PERCENT_KEYS else ''}"


def fraction(figure: Figure | None) -> str:
    """What the figure is computed over, in words that fit it: "3 of 4", "mean over 8 reviews", "7 cases, 4
    caseworkers"."""
    if figure is None or not figure.denominator:
        return "—"
    if figure.key == ind.REVIEW_SCORE:
        return t("dashboard.reviews_counted", count=int(figure.denominator))
    if figure.key.startswith(f"{ind.CASELOAD}."):
        return t("dashboard.caseload_fraction", cases=format_number(figure.numerator),
                 caseworkers=format_number(figure.denominator))
    return t("dashboard.fraction", numerator=format_number(round(figure.numerator, 1)),
             denominator=format_number(figure.denominator))


def delta_text(key: str, current: Figure | None, previous: Figure | None) -> str:
    delta = change(current, previous)
    if delta is None:
        return "—"
    sign = "+" if delta > 0 else ""
    unit = f" {t('dashboard.points')}" if key in ind.PERCENT_KEYS else ""
    word = direction(key, delta)
    return f"{sign}{format_number(delta)}{unit}" + (f" ({t(f'report_monthly.direction.{word}')})" if word else "")


def level_change_text(change_value: int | None) -> str:
    if change_value is None:
        return "—"
    if change_value == 0:
        return t("progress.same")
    return tn("progress.up" if change_value > 0 else "progress.down", abs(change_value))


def _level(level: Level | None) -> str:
    return level_label(level) if level is not None else t("progress.not_scored")


def report_title(report: MonthlyReport) -> str:
    return t("report_monthly.title", scope=report.scope.label, month=format_month(report.month))


def monthly_report_filename(report: MonthlyReport, fmt: str) -> str:
    label = "".join(c if c.isalnum() else "-" for c in report.scope.label.lower()).strip("-")[:40] or "scope"
    return f"monthly-report-{report.month:%Y-%m}-{label}.{fmt}"


def monthly_pdf(report: MonthlyReport, page_size: tuple[float, float] = PAGE_SIZES["a4"]) -> bytes:
    width = usable_width(page_size)
    title = report_title(report)
    furniture = PageFurniture(header=title, footer=t("report_monthly.confidential"))

    def story() -> list:
        out: list = [para(title, "title"),
                     para(t("report_monthly.as_of", date=format_date(report.as_of)), "subtitle")]
        # 1. QAF status
        out.append(para(t("report_monthly.section.qaf"), "h1"))
        if report.qaf_latest is None:
            out.append(para(t("report_monthly.no_assessment")))
        elif report.qaf is None:
            out.append(para(t("report_monthly.one_assessment", name=report.qaf_latest.name,
                              date=format_date(report.qaf_latest.assessed_on))))
        else:
            comparison = report.qaf
            up = sum(1 for c in comparison.components if (c.change or 0) > 0)
            down = sum(1 for c in comparison.components if (c.change or 0) < 0)
            out.append(para(t("report_monthly.qaf_summary", later=comparison.later.name,
                              later_date=format_date(comparison.later.assessed_on), earlier=comparison.earlier.name,
                              earlier_date=format_date(comparison.earlier.assessed_on), up=up, down=down,
                              completed=len(comparison.completed_between), open=len(comparison.still_open))))
            out.append(grid_table(
                [[cell(t("progress.col.code")), cell(t("progress.col.component")),
                  cell(format_date(comparison.earlier.assessed_on)), cell(format_date(comparison.later.assessed_on)),
                  cell(t("progress.col.change"))],
                 *[[cell(c.code), cell(c.title, wrap_over=30), cell(_level(c.before)),
                    cell(_level(c.after) + (f" ({t('progress.copied')})" if c.unconfirmed else ""), wrap_over=30),
                    cell(level_change_text(c.change))] for c in comparison.components]],
                [16 * mm, width - 166 * mm, 45 * mm, 60 * mm, 45 * mm]))
        # 2. Improvement actions (the heading kept with its chart)
        totals = report.action_totals
        out.append(KeepTogether([
            para(t("report_monthly.section.actions"), "h1"),
            para(t("report_monthly.actions_summary", done=totals["done"], late=totals["late"], due=totals["due"])),
            bar_chart([t("report_monthly.actions.done"), t("report_monthly.actions.late"),
                       t("report_monthly.actions.due_by")], [totals["done"], totals["late"], totals["due"]],
                      width=min(width, 120 * mm), height=45 * mm)]))
        for heading, found in (("late", report.actions_late), ("done", report.actions_done),
                               ("due", report.actions_due)):
            out.append(grid_table(
                [[cell(t(f"tracker.col.{c}")) for c in ("due_on", "action", "owner", "source", "status")],
                 *([[cell(format_date(a.due_on)), cell(a.text, wrap_over=0), cell(a.owner or "—", wrap_over=24),
                     cell(f"{t(f'tracker.source.{a.source_kind}')} · {a.source_label}", wrap_over=24),
                     cell(t(f"improvement_action.status.{a.status}"))] for a in found[:PDF_ROWS]]
                   or [[cell("—"), "", "", "", ""]])],
                [24 * mm, width - 164 * mm, 45 * mm, 70 * mm, 25 * mm],
                heading=t(f"report_monthly.actions.{heading}_heading", count=totals[heading])))
            if totals[heading] > PDF_ROWS:
                out.append(para(t("report_monthly.more", count=totals[heading] - PDF_ROWS), "small"))
        # 3. Indicators, month on month
        percent = [k for k in REPORT_INDICATORS if k in ind.PERCENT_KEYS]
        this_month = [report.indicators.get(k, (None, None))[0] for k in percent]
        out.append(KeepTogether([
            para(t("report_monthly.section.indicators"), "h1"),
            bar_chart([t(f"report_monthly.short.{k}") for k in percent],
                      [f.value if f is not None else None for f in this_month], width=width, height=60 * mm,
                      maximum=100, unit=" %")]))
        out.append(grid_table(
            [[cell(t("report_monthly.col.indicator")), cell(format_month(report.month)),
              cell(t("report_monthly.col.over")), cell(t("report_monthly.col.previous")),
              cell(t("report_monthly.col.change"))],
             *[[cell(indicator_title(k), wrap_over=30), cell(figure_text(report.indicators.get(k, (None, None))[0])),
                cell(fraction(report.indicators.get(k, (None, None))[0]), wrap_over=30),
                cell(figure_text(report.indicators.get(k, (None, None))[1])),
                cell(delta_text(k, *report.indicators.get(k, (None, None))), wrap_over=30)]
               for k in REPORT_INDICATORS]],
            [width - 170 * mm, 30 * mm, 55 * mm, 30 * mm, 55 * mm]))
        # 4. Case file reviews
        teams = report.reviews_by_team
        charted = sorted((r for r in teams if r.mean_score is not None), key=lambda r: r.mean_score)[:CHART_BARS]
        out.append(KeepTogether([para(t("report_monthly.section.reviews"), "h1"), *(
            [para(t("report_monthly.lowest", count=len(charted)), "small")] if len(teams) > CHART_BARS else []), *(
            [bar_chart([r.team for r in charted], [r.mean_score for r in charted],
                       width=min(width, 40 * mm * max(len(charted), 2)), height=50 * mm, maximum=100, unit=" %")]
            if charted else [])]))
        out.append(grid_table(
            [[cell(t("progress.col.team")), cell(t("progress.col.reviews")), cell(t("progress.col.score")),
              cell(t("indicator.assessment_on_time.title"), wrap_over=0),
              cell(t("indicator.plan_review_on_time.title"), wrap_over=0)],
             *([[cell(r.team), cell(str(r.reviews)), cell(figure_score(r.mean_score)),
                 cell(rate_text(r.assessment_on_time)), cell(rate_text(r.plan_review_on_time))] for r in teams]
               or [[cell("—"), "", "", "", ""]])],
            [width - 200 * mm, 25 * mm, 35 * mm, 70 * mm, 70 * mm]))
        out.append(grid_table(
            [[cell(t("review.report.col.item")), cell(t("review.report.col.text")), cell(t("review.report.col.no"))],
             *([[cell(i.item_id), cell(i.text, wrap_over=0),
                 cell(t("review.report.no_count", no=i.no, answered=i.answered))] for i in report.weakest_items]
               or [[cell("—"), "", ""]])],
            [18 * mm, width - 68 * mm, 50 * mm], heading=t("report_monthly.weakest")))
        # 5. Supervision and ratios
        due = sorted((s for s in report.supervision if s.due), key=lambda s: s.held / s.due)[:CHART_BARS]
        out.append(KeepTogether([para(t("report_monthly.section.supervision"), "h1"), *(
            [para(t("report_monthly.lowest", count=len(due)), "small")] if len(report.supervision) > CHART_BARS
            else []), *(
            [bar_chart([s.supervisor for s in due], [round(100 * s.held / s.due) for s in due],
                       width=min(width, 40 * mm * max(len(due), 2)), height=50 * mm, maximum=100, unit=" %")]
            if due else [])]))
        out.append(grid_table(
            [[cell(t("progress.col.supervisor")), cell(t("progress.col.held")), cell(t("progress.col.due")),
              cell(t("progress.col.rate"))],
             *([[cell(s.supervisor), cell(str(s.held)), cell(str(s.due)), cell(rate_text((s.held, s.due)))]
                for s in report.supervision] or [[cell("—"), "", "", ""]])],
            [width - 120 * mm, 30 * mm, 30 * mm, 60 * mm]))
        out.append(grid_table(
            [[cell(t("progress.col.team")), cell(t("progress.col.subject")), cell(t("progress.col.rule")),
              cell(t("progress.col.status")), cell(t("progress.col.figure"))],
             *([[cell(r.team), cell(r.subject), cell(r.rule, wrap_over=0), cell(t(f"light.{r.light}")),
                 cell(r.figure, wrap_over=0)] for r in report.ratio_alerts[:PDF_ALERTS]]
               or [[cell(t("report_monthly.no_alerts"), wrap_over=0), "", "", "", ""]])],
            [35 * mm, 40 * mm, width - 175 * mm, 25 * mm, 75 * mm], heading=t("report_monthly.ratio_alerts")))
        if len(report.ratio_alerts) > PDF_ALERTS:
            out.append(para(t("report_monthly.more_alerts", count=len(report.ratio_alerts) - PDF_ALERTS), "small"))
        out.append(Spacer(1, 3 * mm))
        out.append(para(t("report_monthly.how"), "small"))
        return out

    return build_pdf(story, title=title, author=report.scope.label, furniture=furniture,
                     page_label=lambda page, total: t("report.page_of", page=page, total=total), page_size=page_size)


def figure_score(value: float | None) -> str:
    return f"{format_number(value)} %" if value is not None else "—"


def rate_text(pair: tuple[int, int]) -> str:
    met, decided = pair
    return f"{format_number(round(100 * met / decided))} % ({met}/{decided})" if decided else "—"


def monthly_xlsx(report: MonthlyReport) -> bytes:
    """The same figures, one sheet per section."""
    workbook = Workbook()
    qaf = workbook.active
    qaf.title = t("report_monthly.sheet.qaf")[:31]
    comparison = report.qaf
    write_sheet(qaf, [t("progress.col.code"), t("progress.col.component"), t("report_monthly.col.then"),
                      t("report_monthly.col.now"), t("progress.col.change"), t("report_monthly.col.unconfirmed")],
                [[c.code, c.title, _level(c.before), _level(c.after), c.change, t("common.yes") if c.unconfirmed
                  else ""] for c in (comparison.components if comparison else [])], [8, 44, 24, 24, 10, 14])
    actions = workbook.create_sheet(t("report_monthly.sheet.actions")[:31])
    headers = [t("report_monthly.col.group"), *tracker_headers()]
    rows = [[t(f"report_monthly.actions.{group}"), *row] for group, found in (
        ("late", report.actions_late), ("done", report.actions_done), ("due", report.actions_due))
        for row in tracker_rows(found)]
    write_sheet(actions, headers, rows, [12, 7, 16, 28, 8, 30, 50, 26, 18, 18, 13, 12, 10, 12, 40, 26, 18, 18],
                date_columns=[11])
    figures = workbook.create_sheet(t("report_monthly.sheet.indicators")[:31])
    write_sheet(figures, [t("report_monthly.col.indicator"), t("report_monthly.col.month"),
                          t("dashboard.numerator"), t("dashboard.denominator"), t("dashboard.value"),
                          t("report_monthly.col.previous"), t("report_monthly.col.change")],
                [[indicator_title(k), report.month, cur.numerator if cur else None, cur.denominator if cur else None,
                  cur.value if cur else None, prev.value if prev else None, change(cur, prev)]
                 for k in REPORT_INDICATORS for cur, prev in [report.indicators.get(k, (None, None))]],
                [50, 12, 12, 12, 12, 12, 12], date_columns=[2])
    reviews = workbook.create_sheet(t("report_monthly.sheet.reviews")[:31])
    write_sheet(reviews, [t("progress.col.team"), t("progress.col.reviews"), t("progress.col.score"),
                          t("report_monthly.col.assessment_met"), t("report_monthly.col.assessment_decided"),
                          t("report_monthly.col.plan_review_met"), t("report_monthly.col.plan_review_decided")],
                [[r.team, r.reviews, r.mean_score, *r.assessment_on_time, *r.plan_review_on_time]
                 for r in report.reviews_by_team], [24, 10, 12, 14, 14, 14, 14])
    weakest = workbook.create_sheet(t("report_monthly.sheet.weakest")[:31])
    write_sheet(weakest, [t("review.report.col.item"), t("review.report.col.text"), t("review.report.col.no"),
                          t("review.report.col.answered")],
                [[i.item_id, i.text, i.no, i.answered] for i in report.weakest_items], [10, 80, 10, 12])
    supervision = workbook.create_sheet(t("report_monthly.sheet.supervision")[:31])
    write_sheet(supervision, [t("progress.col.supervisor"), t("progress.col.held"), t("progress.col.due")],
                [[s.supervisor, s.held, s.due] for s in report.supervision], [30, 10, 10])
    ratios = workbook.create_sheet(t("report_monthly.sheet.ratios")[:31])
    write_sheet(ratios, [t("progress.col.team"), t("progress.col.subject"), t("progress.col.rule"),
                         t("progress.col.status"), t("progress.col.figure")],
                [[r.team, r.subject, r.rule, t(f"light.{r.light}"), r.figure] for r in report.ratio_alerts],
                [20, 24, 50, 12, 60])
    return workbook_bytes(workbook)


def export_monthly_report(session: Session, *, actor: Actor, month: date, fmt: str, team_id: int | None = None,
                          today: date | None = None, progress_to: Progress | None = None) -> bytes:
    """Build the monthly report as PDF or workbook for someone who may see its scope; audited like every
    export."""
    return export_monthly_files(session, actor=actor, month=month, formats=(fmt,), team_id=team_id, today=today,
                                progress_to=progress_to)[fmt]


def export_monthly_files(session: Session, *, actor: Actor, month: date, formats: tuple[str, ...] = ("pdf", "xlsx"),
                         team_id: int | None = None, today: date | None = None,
                         progress_to: Progress | None = None) -> dict[str, bytes]:
    """The report's figures gathered once, then drawn as each format asked for (the PDF and the workbook hold the
    same figures); each file is an audited export."""
    report = monthly_report(session, actor=actor, month=month, team_id=team_id, today=today,
                            progress_to=progress_to)
    files = {}
    for fmt in formats:
        if progress_to is not None:
            progress_to(0.92 if fmt == "pdf" else 0.96, f"draw_{fmt}")
        files[fmt] = _drawn(session, report, fmt)
    if progress_to is not None:
        progress_to(1.0, "done")
    return files


def export_built_monthly_report(session: Session, *, actor: Actor, report: MonthlyReport, fmt: str) -> bytes:
    """A report whose figures the page gathered earlier (with its progress shown), drawn when its download is
    clicked: only for someone who may still see its scope now, and audited like every export."""
    scope = agency_scope(session, actor=actor, team_id=report.scope.team_id)
    if scope.agency_ids != report.scope.agency_ids:
        raise Forbidden(t("common.error.forbidden"))
    return _drawn(session, report, fmt)


def _drawn(session: Session, report: MonthlyReport, fmt: str) -> bytes:
    content = monthly_pdf(report) if fmt == "pdf" else monthly_xlsx(report)
    record_event(session, action="export", entity_type="MonthlyReport", entity_id=f"{report.month:%Y-%m}",
                 summary=monthly_report_filename(report, fmt),
                 details={"format": fmt, "team_id": report.scope.team_id, "agencies": list(report.scope.agency_ids)})
    return content
