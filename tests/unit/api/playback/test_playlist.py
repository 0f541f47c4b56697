"""HLS playlists of segments, and where wall-clock moments fall on the player's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.playback.service import PlaylistEntry, hls_playlist, playable_as_hls, player_ms

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def entry(seq: int, start_s: float, seconds: float, player_s: float,
          content_type: str = "video/mp2t") -> PlaylistEntry:
    return PlaylistEntry(seq=seq, started_at=T0 + timedelta(seconds=start_s),
                         duration_ms=round(seconds * 1000), player_start_ms=round(player_s * 1000),
                         content_type=content_type, size=1)


# Two segments with a 60 s gap (recorder restarted) between them.
ENTRIES = [entry(7, 0, 60.04, 0), entry(8, 120, 59.5, 60.04)]


def test_playlist_is_vod_with_discontinuities_and_times() -> None:
    text = hls_playlist(ENTRIES, complete=True)
    lines = text.splitlines()
    assert lines[:5] == ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:61",
                         "#EXT-X-MEDIA-SEQUENCE:7", "#EXT-X-PLAYLIST-TYPE:VOD"]
    assert lines.count("#EXT-X-DISCONTINUITY") == 1
    assert "#EXT-X-PROGRAM-DATE-TIME:2026-11-02T02:02:00.000Z" in lines
    assert "#EXTINF:60.040," in lines and "segments/8.ts" in lines
    assert lines[-1] == "#EXT-X-ENDLIST"
    assert "#EXT-X-ENDLIST" not in hls_playlist(ENTRIES, complete=False)


def test_wall_clock_to_player_clock() -> None:
    assert player_ms(ENTRIES, T0) == 0
    assert player_ms(ENTRIES, T0 + timedelta(seconds=30)) == 30_000
    assert player_ms(ENTRIES, T0 + timedelta(seconds=90)) == 60_040  # in the gap: what follows
    assert player_ms(ENTRIES, T0 + timedelta(seconds=125)) == 65_040
    assert player_ms(ENTRIES, T0 - timedelta(seconds=5)) == 0
    assert player_ms(ENTRIES, T0 + timedelta(hours=1)) == 60_040 + 59_500


def test_only_mpeg_ts_is_played_as_hls() -> None:
    assert playable_as_hls(ENTRIES)
    assert not playable_as_hls([entry(0, 0, 10, 0, "audio/wav")])
    assert not playable_as_hls([])
