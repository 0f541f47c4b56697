"""The chain-of-custody PDF embeds its CJK font and states what the export holds."""

from __future__ import annotations

from datetime import UTC, datetime

from archive.export.custody_pdf import (
    CustodyReport,
    ReportAccess,
    ReportFile,
    ReportGap,
    ReportRecording,
    ReportSession,
    find_cjk_font,
    render_report,
)

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def test_report_renders_chinese_with_an_embedded_font() -> None:
    report = CustodyReport(
        export_id="e1", created_at=T0, actor="user:insp", actor_name="李检查",
        actor_role="inspector", reason="投诉核查（2026）第17号",
        selection="案件 云援〔2026〕0007号",
        case_numbers=["云援〔2026〕0007号"],
        sessions=[ReportSession("s1", "云援〔2026〕0007号", "consultation", "1号窗口",
                                "王五（s-001）", T0, None, "r1")],
        recordings=[ReportRecording("r1", "1号窗口", "/yn/km/", T0, None, 1, T0, "ab" * 32,
                                    5, 9, 2, 3, 1000)],
        staff=[("s-001", "王五")],
        gaps=[ReportGap("r1", T0, T0, "stream_stalled", "网络中断", None, "device:d1")],
        access=[ReportAccess(T0, "user:insp", "export", "recording r1", "投诉核查")],
        files=[ReportFile(f"data/recordings/r1/segments/{i:06d}.ts", 10, "cd" * 32)
               for i in range(300)])
    pdf = render_report(report, font_path=find_cjk_font())
    assert pdf.startswith(b"%PDF-")
    assert b"/FontFile2" in pdf  # the TrueType font travels inside the file
    assert b"STSong" not in pdf  # no unembedded CID font that shows empty boxes
