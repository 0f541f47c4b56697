"""Test speech made by espeak-ng (English; Mandarin with the cmn-latn-pinyin voice) and muxed
into H.264/AAC MPEG-TS segments, as a window recorder would upload them."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np

RATE = 16000


def _run(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True)


def speak(path: Path, text: str, *, voice: str = "en-us", speed: int = 150) -> Path:
    """espeak-ng speech resampled to 16 kHz mono WAV."""
    raw = path.with_suffix(".raw.wav")
    _run("espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text)
    _run("sox", "-D", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(path))
    raw.unlink()
    return path


def silence(path: Path, seconds: float) -> Path:
    _run("sox", "-D", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(path), "trim", "0",
         f"{seconds:.3f}")
    return path


def concat(path: Path, *parts: Path) -> Path:
    _run("sox", "-D", *(str(p) for p in parts), str(path))
    return path


def pad_to(path: Path, source: Path, seconds: float) -> Path:
    """`source` followed by silence up to `seconds`."""
    pad = max(0.0, seconds - duration(source))
    _run("sox", "-D", str(source), str(path), "pad", "0", f"{pad:.3f}")
    return path


def duration(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return float(wav.getnframes() / wav.getframerate())


def samples(path: Path) -> np.ndarray:  # type: ignore[type-arg]
    with wave.open(str(path)) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)


def quietest_cut(path: Path, *, lo: float, hi: float, window_s: float = 0.03) -> float:
    """The time in [lo, hi] of the quietest window: a cut there splits between words."""
    data = samples(path).astype(np.float64)
    size = int(window_s * RATE)
    best, best_at = float("inf"), lo
    for start in range(int(lo * RATE), int(hi * RATE) - size, size // 2):
        energy = float(np.mean(data[start:start + size] ** 2))
        if energy < best:
            best, best_at = energy, (start + size / 2) / RATE
    return best_at


def split(path: Path, at: float) -> tuple[Path, Path]:
    first, second = path.with_suffix(".a.wav"), path.with_suffix(".b.wav")
    _run("sox", "-D", str(path), str(first), "trim", "0", f"{at:.3f}")
    _run("sox", "-D", str(path), str(second), "trim", f"{at:.3f}")
    return first, second


def to_ts(wav: Path, path: Path) -> Path:
    """A camera-like MPEG-TS segment: small H.264 video plus the speech as AAC."""
    seconds = duration(wav)
    _run("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         f"color=c=gray:size=160x120:rate=10:duration={seconds:.3f}", "-i", str(wav),
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-c:a", "aac", "-b:a", "64k",
         "-ar", "48000", "-shortest", "-f", "mpegts", str(path))
    return path
