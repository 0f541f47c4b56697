"""The chain-of-custody report (证据保管链报告): a Chinese PDF with an embedded CJK font."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from archive.evidence.errors import ConfigurationError

FONT_NAME = "AidrecCJK"
# Debian/Ubuntu (fonts-wqy-zenhei), Fedora, Arch: a TrueType CJK font reportlab can embed.
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc"),
)

STAGES = {
    "consultation": "咨询接待", "application": "申请", "acceptance": "受理",
    "review": "审查/审批", "assignment": "指派", "handling": "办理", "closing": "结案",
    "archiving": "归档", "evaluation": "评估/回访",
}
GAP_CAUSES = {
    "camera_unreachable": "摄像机无法连接", "stream_stalled": "视频流中断",
    "recorder_restarted": "录制程序重启", "recorder_offline": "录制设备离线",
    "disk_full": "存储空间已满", "stopped_by_person": "人为停止",
    "schedule_closed": "非办公时间",
}
ACTIONS = {"export": "导出", "view": "查看", "play": "播放", "download": "下载"}


@dataclass(frozen=True)
class ReportSession:
    id: str
    case_number: str | None
    stage: str | None
    window: str
    staff: str
    started_at: datetime
    ended_at: datetime | None
    recording_id: str


@dataclass(frozen=True)
class ReportRecording:
    id: str
    window: str
    jurisdiction: str
    started_at: datetime
    ended_at: datetime | None
    seal_number: int
    sealed_at: datetime  # RFC 3161 time of the seal
    manifest_sha256: str
    log_index: int
    tree_size: int
    segments_exported: int
    segments_sealed: int
    exported_bytes: int


@dataclass(frozen=True)
class ReportGap:
    recording_id: str
    started_at: datetime
    ended_at: datetime
    cause: str
    detail: str
    person: str | None
    reported_by: str


@dataclass(frozen=True)
class ReportAccess:
    at: datetime
    actor: str
    action: str
    target: str
    reason: str


@dataclass(frozen=True)
class ReportFile:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class CustodyReport:
    export_id: str
    created_at: datetime
    actor: str
    actor_name: str
    actor_role: str
    reason: str
    selection: str
    case_numbers: Sequence[str]
    sessions: Sequence[ReportSession]
    recordings: Sequence[ReportRecording]
    staff: Sequence[tuple[str, str]]  # (id, name)
    gaps: Sequence[ReportGap]
    access: Sequence[ReportAccess]
    files: Sequence[ReportFile]
    documents: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (title, bag path)
    time_zone: str = "Asia/Shanghai"


def find_cjk_font(explicit: Path | None = None) -> Path:
    """The CJK TrueType font to embed.

    Raises:
        ConfigurationError: reason no_cjk_font (install Debian fonts-wqy-zenhei).
    """
    for path in ([explicit] if explicit else list(FONT_CANDIDATES)):
        if path.is_file():
            return path
    raise ConfigurationError(
        "no embeddable CJK font found; install the Debian package fonts-wqy-zenhei",
        reason="no_cjk_font")


def prepare_font(path: Path) -> Path:
    """Parse and register the font once per process (half a second for a CJK font)."""
    _register_font(path)
    return path


def render_report(report: CustodyReport, *, font_path: Path) -> bytes:
    """The unsigned PDF of a chain-of-custody report."""
    _register_font(font_path)
    zone = ZoneInfo(report.time_zone)
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
        bottomMargin=15 * mm, title=f"证据保管链报告 {report.export_id}", author="aidrec",
        subject="Chain-of-custody report", invariant=1)

    def when(moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")

    def p(text: str, style: str = "cell") -> Paragraph:
        return Paragraph(escape(text), styles[style])

    story: list[object] = [
        p("法律援助全过程记录 · 证据包保管链报告", "title"),
        p("Chain-of-custody report of a legal-aid evidence package", "subtitle"),
        p(f"时间均为 {report.time_zone} 时区（UTC{_offset(zone, report.created_at)}）。"
          "本报告以 PAdES 长期签名（含时间戳）封存；核验方法见证据包内 README.txt。", "note"),
        p("一、导出信息", "h"),
        _table([[p("导出编号"), p(report.export_id)],
                [p("导出人"), p(_actor(report))],
                [p("导出时间"), p(when(report.created_at))],
                [p("导出事由"), p(report.reason)],
                [p("导出范围"), p(report.selection)],
                [p("案件编号"), p("、".join(report.case_numbers) or "—")]],
               widths=(30 * mm, 150 * mm), header=False),
        p("二、会话（接待/会见）", "h"),
        _table(_rows([p(h) for h in ("会话", "案件编号", "阶段", "窗口", "工作人员", "开始",
                                      "结束")],
                     [[p(s.id[:12]), p(s.case_number or "—"),
                       p(STAGES.get(s.stage or "", s.stage or "—")), p(s.window), p(s.staff),
                       p(when(s.started_at)), p(when(s.ended_at))] for s in report.sessions],
                     p("无")),
               widths=(22 * mm, 34 * mm, 18 * mm, 26 * mm, 24 * mm, 28 * mm, 28 * mm)),
        p("三、工作人员", "h"),
        _table(_rows([p("编号"), p("姓名")], [[p(i), p(n)] for i, n in report.staff], p("无")),
               widths=(60 * mm, 120 * mm)),
        p("四、录像与封存", "h"),
        _table([[p(h) for h in ("录像", "窗口", "辖区", "时间范围", "封存", "导出片段")]]
               + [[p(r.id[:12]), p(r.window), p(r.jurisdiction),
                   p(f"{when(r.started_at)} 至 {when(r.ended_at)}"),
                   p(f"第 {r.seal_number} 次封存，时间戳 {when(r.sealed_at)}；清单 SHA-256 "
                     f"{r.manifest_sha256}；日志第 {r.log_index} 条 / 树大小 {r.tree_size}"),
                   p(f"{r.segments_exported} / {r.segments_sealed}，{r.exported_bytes} 字节")]
                  for r in report.recordings],
               widths=(20 * mm, 22 * mm, 24 * mm, 34 * mm, 52 * mm, 28 * mm)),
        p("五、录制中断记录", "h"),
        _table(_rows([p(h) for h in ("录像", "开始", "结束", "原因", "说明", "报告者")],
                     [[p(g.recording_id[:12]), p(when(g.started_at)), p(when(g.ended_at)),
                       p(GAP_CAUSES.get(g.cause, g.cause)),
                       p(g.detail + (f"（操作人：{g.person}）" if g.person else "")),
                       p(g.reported_by)] for g in report.gaps],
                     p("所导出录像无中断记录")),
               widths=(20 * mm, 28 * mm, 28 * mm, 26 * mm, 50 * mm, 28 * mm)),
        p("六、访问与导出记录", "h"),
        _table(_rows([p(h) for h in ("时间", "人员", "操作", "对象", "事由")],
                     [[p(when(a.at)), p(a.actor), p(ACTIONS.get(a.action, a.action)),
                       p(a.target), p(a.reason)] for a in report.access],
                     p("无")),
               widths=(28 * mm, 34 * mm, 14 * mm, 52 * mm, 52 * mm)),
    ]
    if report.documents:
        story += [p("七、派生文件（转写稿等）", "h"),
                  _table([[p("文件"), p("位置")]]
                         + [[p(t), p(path, "mono")] for t, path in report.documents],
                         widths=(60 * mm, 120 * mm))]
    story += [
        p(("八" if report.documents else "七")
          + "、文件清单（证据包 data/ 目录，本报告除外）", "h"),
        _file_table(report.files),
        Spacer(1, 4 * mm),
        p(f"共 {len(report.files)} 个文件，{sum(f.size for f in report.files)} 字节。", "note"),
    ]
    doc.build(story)
    return buffer.getvalue()


def _actor(report: CustodyReport) -> str:
    extra = "，".join(x for x in (report.actor_name, report.actor_role) if x)
    return f"{report.actor}（{extra}）" if extra else report.actor


def _offset(zone: ZoneInfo, moment: datetime) -> str:
    offset = moment.astimezone(zone).strftime("%z")
    return f"{offset[:3]}:{offset[3:]}" if offset else ""


def _register_font(path: Path) -> None:
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        try:
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
        except Exception as exc:  # reportlab raises bare TTFError/Exception subclasses
            raise ConfigurationError(f"cannot embed font {path}: {exc}",
                                     reason="no_cjk_font") from exc


def _styles() -> dict[str, ParagraphStyle]:
    base = {"fontName": FONT_NAME, "wordWrap": "CJK"}
    return {
        "title": ParagraphStyle("title", fontSize=16, leading=22, spaceAfter=2, **base),
        "subtitle": ParagraphStyle("subtitle", fontSize=9, leading=12, spaceAfter=4,
                                   textColor=colors.grey, **base),
        "h": ParagraphStyle("h", fontSize=12, leading=16, spaceBefore=8, spaceAfter=4, **base),
        "note": ParagraphStyle("note", fontSize=8, leading=11, textColor=colors.grey, **base),
        "cell": ParagraphStyle("cell", fontSize=8, leading=10.5, **base),
        "mono": ParagraphStyle("mono", fontSize=6.2, leading=8, **base),
    }


def _rows(header: list[Paragraph], rows: list[list[Paragraph]],
          empty: Paragraph) -> list[list[Paragraph]]:
    """A header and its rows, or one row saying there are none."""
    if rows:
        return [header, *rows]
    blank = Paragraph("", empty.style)
    return [header, [empty] + [blank] * (len(header) - 1)]


def _file_table(files: Sequence[ReportFile]) -> Table:
    """Plain-string cells: a package lists thousands of files, and a Paragraph per cell
    (CJK line breaking) would take seconds; paths are broken by hand instead."""
    rows: list[list[str]] = [["文件", "字节", "SHA-256"]]
    limit = 80 * mm - 5
    rows += [[_wrap_path(f.path, limit), str(f.size), f.sha256] for f in files]
    table = Table(rows, colWidths=[80 * mm, 16 * mm, 84 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT_NAME, 6, 7.5),
        ("FONT", (0, 0), (-1, 0), FONT_NAME, 8, 10),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
    ]))
    return table


def _wrap_path(path: str, limit: float) -> str:
    """Break a path after '/' (or anywhere, for a long component) to fit `limit` points."""
    lines: list[str] = []
    line = ""
    for part in path.replace("/", "/\0").split("\0"):
        if line and pdfmetrics.stringWidth(line + part, FONT_NAME, 6) > limit:
            lines.append(line)
            line = ""
        while pdfmetrics.stringWidth(part, FONT_NAME, 6) > limit:
            cut = len(part) - 1
            while cut > 1 and pdfmetrics.stringWidth(part[:cut], FONT_NAME, 6) > limit:
                cut -= 1
            lines.append(part[:cut])
            part = part[cut:]
        line += part
    return "\n".join([*lines, line])


def _table(rows: list[list[Paragraph]], *, widths: Sequence[float],
           header: bool = True) -> Table:
    table = Table(rows, colWidths=list(widths), repeatRows=1 if header else 0)
    commands: list[tuple[object, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke))
    table.setStyle(TableStyle(commands))
    return table
