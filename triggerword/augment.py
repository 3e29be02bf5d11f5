"""Audio augmentation in numpy and scipy: tempo, pitch, rooms, microphones, level, trimming.

Every public transform is a pure function ``f(samples, rng, ...) -> samples`` on float32 mono at
``SAMPLE_RATE``: it reads nothing but its arguments, draws its randomness from ``rng`` only and
returns a new array. The corpus generator applies them once to write files; the trainer can apply
them again on the fly.

Times: ``*_ms`` arguments are milliseconds, ``*_s`` seconds; ``factor`` arguments are ratios
(tempo factor 1.25 makes a clip 25 % longer).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy import signal

from .params import SAMPLE_RATE

SR = SAMPLE_RATE


def _as_float(samples) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"expected mono samples (1-D), got shape {x.shape}")
    return x


# --------------------------------------------------------------------------- level

def rms_db(samples: np.ndarray) -> float:
    """Loudness as dBFS of the RMS (-inf for silence)."""
    x = np.asarray(samples, dtype=np.float64)
    power = float(np.mean(x * x)) if len(x) else 0.0
    return 10 * np.log10(power) if power > 0 else float("-inf")


def set_level(samples: np.ndarray, rms_dbfs: float, peak_dbfs: float = -1.0) -> np.ndarray:
    """Scale to ``rms_dbfs`` RMS, but never let the peak pass ``peak_dbfs`` (no clipping)."""
    x = _as_float(samples)
    current = rms_db(x)
    if not np.isfinite(current):
        return x.copy()
    gain = 10 ** ((rms_dbfs - current) / 20)
    peak = float(np.max(np.abs(x))) * gain
    limit = 10 ** (peak_dbfs / 20)
    if peak > limit:
        gain *= limit / peak
    return (x * gain).astype(np.float32)


def random_level(samples: np.ndarray, rng: np.random.Generator, low_db: float = -32.0,
                 high_db: float = -16.0) -> np.ndarray:
    """Set the RMS level to a random value in [low_db, high_db] dBFS, peak at most -1 dBFS."""
    return set_level(samples, float(rng.uniform(low_db, high_db)))


# --------------------------------------------------------------------------- trimming

def speech_bounds(samples: np.ndarray, threshold_db: float = -40.0, frame_ms: float = 10.0,
                  hop_ms: float = 2.5, above_floor_db: float | None = None) -> tuple[int, int] | None:
    """First and last sample of the frames within ``threshold_db`` of the loudest frame, or None.

    With ``above_floor_db``, the threshold is raised to that many dB above the noise floor (the
    10th percentile of frame power) where that is higher: engines with a noise floor (flite's
    diphones sit at -35 dB) would otherwise keep all of it.
    """
    x = np.asarray(samples, dtype=np.float64)
    frame = max(1, int(SR * frame_ms / 1000))
    hop = max(1, int(SR * hop_ms / 1000))
    if len(x) < frame:
        return (0, len(x)) if len(x) and np.any(x) else None
    power = np.convolve(x * x, np.ones(frame) / frame, mode="valid")[::hop]
    top = float(power.max()) if len(power) else 0.0
    if top <= 0:
        return None
    level = top * 10 ** (threshold_db / 10)
    if above_floor_db is not None:
        floor = float(np.percentile(power, 10)) * 10 ** (above_floor_db / 10)
        level = min(max(level, floor), top * 0.1)
    loud = np.flatnonzero(power >= level)
    return int(loud[0] * hop), int(loud[-1] * hop + frame)


def trim(samples: np.ndarray, margin_ms: float = 25.0, threshold_db: float = -40.0) -> np.ndarray:
    """Cut to the sound (see ``speech_bounds``, 10 dB above any noise floor) plus ``margin_ms``.

    The margin is capped at 50 ms; fades of 5 ms at both ends avoid clicks. Silent input comes back
    empty.
    """
    x = _as_float(samples)
    bounds = speech_bounds(x, threshold_db, above_floor_db=10.0)
    if bounds is None:
        return x[:0].copy()
    margin = int(SR * min(max(margin_ms, 0.0), 50.0) / 1000)
    start, end = max(0, bounds[0] - margin), min(len(x), bounds[1] + margin)
    return fade(x[start:end].copy(), 5.0)


def cut_onset(samples: np.ndarray, share: float) -> np.ndarray:
    """The end of a word: cut to its sound (``trim``), drop the first ``share`` of that, fade in 5 ms."""
    x = trim(samples)
    return fade(x[int(share * len(x)):], 5.0)


def fade(samples: np.ndarray, ms: float = 5.0) -> np.ndarray:
    """Raised-cosine fade-in and fade-out of ``ms`` milliseconds."""
    x = _as_float(samples).copy()
    n = min(len(x) // 2, int(SR * ms / 1000))
    if n > 0:
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n))).astype(np.float32)
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x


# --------------------------------------------------------------------------- tempo and pitch

def stretch(samples: np.ndarray, factor: float, frame_ms: float = 30.0) -> np.ndarray:
    """Change the duration by ``factor`` (> 1 is slower) without changing pitch (WSOLA)."""
    x = _as_float(samples).astype(np.float64)
    if abs(factor - 1.0) < 1e-3 or len(x) == 0:
        return x.astype(np.float32)
    n = int(SR * frame_ms / 1000) // 2 * 2
    hop_out = n // 2
    hop_in = hop_out / factor
    tol = n // 4
    window = np.hanning(n)
    padded = np.concatenate([np.zeros(n + tol), x, np.zeros(2 * n + tol)])
    out_len = int(round(len(x) * factor))
    frames = out_len // hop_out + 2
    out = np.zeros(frames * hop_out + n)
    norm = np.zeros_like(out)
    prev = n + tol  # where the previous frame was taken from, in padded coordinates
    for k in range(frames):
        nominal = int(round(n + tol + k * hop_in))
        if k == 0:
            pos = nominal
        else:
            # choose the offset whose frame best continues the previously copied one
            target = padded[prev + hop_out: prev + hop_out + n]
            lo = max(0, nominal - tol)
            region = padded[lo: nominal + tol + n]
            if len(region) < n or not np.any(target):
                pos = nominal
            else:
                corr = signal.fftconvolve(region, target[::-1], mode="valid")
                pos = lo + int(np.argmax(corr))
        chunk = padded[pos: pos + n]
        if len(chunk) < n:
            chunk = np.pad(chunk, (0, n - len(chunk)))
        out[k * hop_out: k * hop_out + n] += chunk * window
        norm[k * hop_out: k * hop_out + n] += window
        prev = pos
    # frame k starts at output k * hop_out and input k * hop_in, so the output lines up from 0
    out = out / np.maximum(norm, 1e-3)
    return out[:out_len].astype(np.float32)


def resample_ratio(samples: np.ndarray, ratio: float) -> np.ndarray:
    """Resample by ``ratio`` (output length / input length): pitch and tempo change together."""
    x = _as_float(samples)
    if abs(ratio - 1.0) < 1e-4:
        return x.copy()
    frac = Fraction(ratio).limit_denominator(200)
    return signal.resample_poly(x, frac.numerator, frac.denominator).astype(np.float32)


def shift_pitch(samples: np.ndarray, semitones: float) -> np.ndarray:
    """Shift pitch by ``semitones`` keeping the duration (WSOLA stretch, then resample)."""
    if abs(semitones) < 1e-3:
        return _as_float(samples).copy()
    ratio = 2 ** (semitones / 12)
    return resample_ratio(stretch(samples, ratio), 1 / ratio)


def glide(samples: np.ndarray, semitones: float):
    """Bend the pitch across the clip, as intonation does: the start ``semitones`` above the end
    (negative: a rising voice), the pace moving with it, the length kept.

    The clip is read at a rate falling linearly from ``1 + a`` to ``1 - a`` times its own, with
    ``(1 + a) / (1 - a)`` the bend's frequency ratio: the point at fraction ``v`` of the output comes
    from fraction ``F(v) = v + a v (1 - v)`` of the input. Returns ``(samples, where)``: ``where(f)`` is
    the fraction of the output at which the point at fraction ``f`` of the input lands (``F``'s
    inverse), so marks inside the clip (where a sentence's "activate" ends) move with the sound.
    """
    x = _as_float(samples)
    if abs(semitones) < 1e-3 or len(x) < 2:
        return x.copy(), (lambda f: f)
    k = 2.0 ** (semitones / 12.0)
    a = (k - 1.0) / (k + 1.0)
    n = len(x)
    v = (np.arange(n) + 0.5) / n
    out = np.interp(n * (v + a * v * (1.0 - v)) - 0.5, np.arange(n), x)

    def where(f: float) -> float:
        return float((1.0 + a - np.sqrt((1.0 + a) ** 2 - 4.0 * a * f)) / (2.0 * a))
    return out.astype(np.float32), where


def random_tempo(samples: np.ndarray, rng: np.random.Generator, low: float = 0.85,
                 high: float = 1.3) -> np.ndarray:
    """Stretch the duration by a random factor in [low, high]."""
    return stretch(samples, float(rng.uniform(low, high)))


def random_pitch(samples: np.ndarray, rng: np.random.Generator, semitones: float = 2.5) -> np.ndarray:
    """Shift the pitch by a random amount in +-``semitones``."""
    return shift_pitch(samples, float(rng.uniform(-semitones, semitones)))


def random_speed(samples: np.ndarray, rng: np.random.Generator, low: float = 0.92,
                 high: float = 1.08) -> np.ndarray:
    """Speed perturbation: resample so pitch and duration move together (a different vocal tract)."""
    return resample_ratio(samples, float(rng.uniform(low, high)))


# --------------------------------------------------------------------------- rooms

def room_impulse(rng: np.random.Generator, rt60_s: float | None = None,
                 drr_db: float | None = None) -> tuple[np.ndarray, float]:
    """A synthetic room impulse response and its RT60 (s).

    Direct sound, a handful of early reflections (3-30 ms), then a diffuse tail of noise decaying by
    60 dB in ``rt60_s`` at low frequencies and faster at high ones (air and soft furnishing).
    ``drr_db`` is the direct-to-reverberant energy ratio: small rooms and close mics are high.
    """
    rt60 = float(rt60_s if rt60_s is not None else rng.uniform(0.15, 0.9))
    drr = float(drr_db if drr_db is not None else rng.uniform(-2.0, 12.0))
    length = int(SR * min(1.5, rt60 * 1.1 + 0.05))
    t = np.arange(length) / SR
    tail = np.zeros(length)
    # three bands with their own decay: lows ring longest
    for lo, hi, scale in ((60, 800, 1.0), (800, 4000, 0.8), (4000, 16000, 0.55)):
        noise = rng.standard_normal(length)
        sos = signal.butter(2, [lo, min(hi, SR / 2 - 100)], btype="band", fs=SR, output="sos")
        band = signal.sosfilt(sos, noise)
        tail += band * np.exp(-6.91 * t / (rt60 * scale))
    onset = int(SR * rng.uniform(0.002, 0.012))
    tail[:onset] = 0
    tail[onset:] *= 1 - np.exp(-(t[onset:] - t[onset]) / 0.004)  # the diffuse field builds up
    for _ in range(int(rng.integers(3, 8))):
        delay = int(SR * rng.uniform(0.003, 0.03))
        tail[delay] += rng.choice([-1, 1]) * rng.uniform(0.2, 0.6)
    tail /= np.sqrt(np.sum(tail ** 2)) + 1e-12
    ir = tail * 10 ** (-drr / 20)
    ir[0] += 1.0
    return ir.astype(np.float32), rt60


def reverb(samples: np.ndarray, rng: np.random.Generator, rt60_s: float | None = None,
           drr_db: float | None = None, keep_tail: bool = True) -> np.ndarray:
    """Play ``samples`` in a random synthetic room; the tail is kept unless ``keep_tail`` is False."""
    x = _as_float(samples)
    ir, _ = room_impulse(rng, rt60_s, drr_db)
    wet = signal.fftconvolve(x, ir)[: len(x) + (len(ir) if keep_tail else 0)]
    peak_in, peak_out = float(np.max(np.abs(x))) if len(x) else 0.0, float(np.max(np.abs(wet)))
    if peak_out > 0 and peak_in > 0:
        wet *= peak_in / peak_out
    return wet.astype(np.float32)


# --------------------------------------------------------------------------- microphones

def _peaking(f0: float, gain_db: float, q: float) -> np.ndarray:
    """RBJ peaking equaliser as one second-order section."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * f0 / SR
    alpha = np.sin(w0) / (2 * q)
    b = np.array([1 + alpha * a, -2 * np.cos(w0), 1 - alpha * a])
    den = np.array([1 + alpha / a, -2 * np.cos(w0), 1 - alpha / a])
    return np.concatenate([b / den[0], den / den[0]])[None, :]


def mic_colour(samples: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Colour like a random cheap microphone or speaker chain.

    High-pass 50-300 Hz, low-pass 3.4-16 kHz (sometimes phone-like), two or three peaking bands of
    up to +-8 dB x ``strength``, and now and then a little soft saturation.
    """
    x = _as_float(samples).astype(np.float64)
    if len(x) == 0:
        return x.astype(np.float32)
    peak = float(np.max(np.abs(x)))
    sections = [signal.butter(2, float(rng.uniform(50, 300)), btype="high", fs=SR, output="sos")]
    cutoff = float(rng.choice([rng.uniform(3400, 5000), rng.uniform(6000, 16000)], p=[0.2, 0.8]))
    sections.append(signal.butter(int(rng.integers(2, 5)), cutoff, btype="low", fs=SR, output="sos"))
    for _ in range(int(rng.integers(2, 4))):
        f0 = float(np.exp(rng.uniform(np.log(150), np.log(6000))))
        sections.append(_peaking(f0, float(rng.uniform(-8, 8)) * strength, float(rng.uniform(0.5, 3.0))))
    y = signal.sosfilt(np.concatenate(sections), x)
    if rng.random() < 0.25:
        drive = float(rng.uniform(1.5, 4.0))
        level = float(np.max(np.abs(y))) or 1.0
        y = np.tanh(drive * y / level) / np.tanh(drive) * level
    out_peak = float(np.max(np.abs(y)))
    if out_peak > 0:
        y *= peak / out_peak
    return y.astype(np.float32)


def band_limit(samples: np.ndarray, rng: np.random.Generator, top_hz: tuple[float, float] = (3400.0, 8000.0),
               bottom_hz: tuple[float, float] = (50.0, 300.0)) -> np.ndarray:
    """Pass the whole signal through a channel of narrow band, as a telephone line, a wideband codec
    (G.722 keeps 50-7,000 Hz) or a cheap laptop microphone does: a steep low-pass (order 6-8) at a
    frequency drawn from ``top_hz`` and a gentle high-pass (order 2) at one drawn from ``bottom_hz``.

    Unlike ``mic_colour``, which colours one take, this is for the finished mix: nothing above the
    cut-off survives, not the background, not the hiss, so the top bins stay empty for the whole
    clip, as they are in band-limited speech. The peak level is kept.
    """
    x = _as_float(samples).astype(np.float64)
    if len(x) == 0:
        return x.astype(np.float32)
    peak = float(np.max(np.abs(x)))
    top = min(float(rng.uniform(*top_hz)), SR / 2 - 100)
    sos = np.concatenate([signal.butter(2, float(rng.uniform(*bottom_hz)), btype="high", fs=SR, output="sos"),
                          signal.butter(int(rng.integers(6, 9)), top, btype="low", fs=SR, output="sos")])
    y = signal.sosfilt(sos, x)
    out_peak = float(np.max(np.abs(y)))
    if out_peak > 0:
        y *= peak / out_peak
    return y.astype(np.float32)


def add_hiss(samples: np.ndarray, rng: np.random.Generator, snr_db: float | None = None) -> np.ndarray:
    """Add microphone self-noise (slightly pink) at ``snr_db`` below the signal."""
    x = _as_float(samples)
    snr = float(snr_db if snr_db is not None else rng.uniform(35, 60))
    noise = rng.standard_normal(len(x))
    noise = signal.lfilter([1, -0.6], [1], noise)
    level = rms_db(x)
    if not np.isfinite(level):
        return x.copy()
    noise *= 10 ** ((level - snr) / 20) / (np.sqrt(np.mean(noise ** 2)) + 1e-12)
    return (x + noise).astype(np.float32)


# --------------------------------------------------------------------------- calls

def tonal_call(rng: np.random.Generator, duration_s: float | None = None) -> np.ndarray:
    """One synthetic cry with no words in it, peak 1: a harmonic tone whose pitch glides (up to an octave
    either way from 250-1,400 Hz) with vibrato, a rough throat (20-60 Hz amplitude flutter, half the
    time) and a soft attack and release, like an animal call, a scream, a whistle or a siren."""
    n = int(SR * float(duration_s if duration_s is not None else rng.uniform(0.15, 1.2)))
    t = np.arange(n) / SR
    f_start = float(rng.uniform(250, 1400))
    f_end = f_start * 2 ** float(rng.uniform(-1, 1))
    curve = float(rng.uniform(0.5, 2.0))  # how the glide bends
    vibrato = 1 + float(rng.uniform(0, 0.05)) * np.sin(2 * np.pi * float(rng.uniform(4, 12)) * t)
    f0 = (f_start + (f_end - f_start) * (t / max(t[-1], 1e-9)) ** curve) * vibrato if n else t
    phase = 2 * np.pi * np.cumsum(f0) / SR
    rolloff = float(rng.uniform(0.5, 2.0))
    top = int(min(30, (SR / 2 - 200) // max(float(np.max(f0, initial=1.0)), 1.0)))
    x = sum(np.sin(k * phase) / k ** rolloff for k in range(1, max(top, 1) + 1))
    if rng.random() < 0.5:
        x = x * (1 - float(rng.uniform(0.2, 0.7)) * (0.5 + 0.5 * np.sin(2 * np.pi * float(rng.uniform(20, 60)) * t)))
    attack, release = int(SR * float(rng.uniform(0.01, 0.08))), int(SR * float(rng.uniform(0.03, 0.2)))
    envelope = np.ones(n)
    envelope[:attack] = np.linspace(0, 1, min(attack, n))[:min(attack, n)]
    if release:
        envelope[-min(release, n):] *= np.linspace(1, 0, min(release, n))
    x = np.asarray(x * envelope, np.float64)
    peak = float(np.max(np.abs(x), initial=0.0))
    return (x / peak if peak > 0 else x).astype(np.float32)


def add_calls(samples: np.ndarray, rng: np.random.Generator, level_db: tuple[float, float] = (-10.0, 3.0),
              count: tuple[int, int] = (1, 4)) -> np.ndarray:
    """Lay ``count`` bursts of ``tonal_call`` cries over the clip (a burst: 1-5 cries of one kind 50-250
    ms apart), each at ``level_db`` RMS against the clip's RMS; the clip's peak level is kept.
    Negatives without words: real recordings hold such sounds (animals, children shrieking, alarms)."""
    x = _as_float(samples).astype(np.float64)
    level = rms_db(x)
    if not len(x) or not np.isfinite(level):
        return x.astype(np.float32)
    peak = float(np.max(np.abs(x)))
    out = x.copy()
    for _ in range(int(rng.integers(count[0], count[1] + 1))):
        seed = int(rng.integers(2 ** 32))
        duration = float(rng.uniform(0.15, 1.0))
        gain = 10 ** ((level + float(rng.uniform(*level_db))) / 20)
        at = int(rng.integers(0, len(x)))
        cry = tonal_call(np.random.default_rng(seed), duration)  # made once: a call repeats the same cry
        cry = cry * gain / (np.sqrt(np.mean(cry.astype(np.float64) ** 2)) + 1e-12)
        for _ in range(int(rng.integers(1, 6))):
            end = min(len(x), at + len(cry))
            if at >= len(x):
                break
            out[at:end] += cry[:end - at]
            at = end + int(SR * float(rng.uniform(0.05, 0.25)))
    out_peak = float(np.max(np.abs(out)))
    if out_peak > 0 and peak > 0:
        out *= peak / out_peak
    return out.astype(np.float32)


# --------------------------------------------------------------------------- all together

def augment_word(samples: np.ndarray, rng: np.random.Generator, tempo: tuple[float, float] = (0.9, 1.2),
                 pitch_semitones: float = 2.0, p_reverb: float = 0.6, p_colour: float = 0.8,
                 level_db: tuple[float, float] = (-30.0, -16.0), margin_ms: float = 25.0) -> tuple[np.ndarray, dict]:
    """One random variant of a spoken word: tempo, pitch, room, microphone, level; trimmed.

    Returns the samples and what was done (tempo factor, semitones, RT60 in s or 0 for dry).
    """
    x = _as_float(samples)
    factor = float(rng.uniform(*tempo))
    semis = float(rng.uniform(-pitch_semitones, pitch_semitones))
    x = trim(x, margin_ms=50)
    x = stretch(x, factor)
    x = shift_pitch(x, semis)
    rt60 = 0.0
    if rng.random() < p_reverb:
        rt60 = float(rng.uniform(0.15, 0.8))
        x = reverb(x, rng, rt60_s=rt60, drr_db=float(rng.uniform(3, 14)))
    if rng.random() < p_colour:
        x = mic_colour(x, rng)
    x = trim(x, margin_ms=margin_ms)
    x = random_level(x, rng, *level_db)
    return x, {"tempo": round(factor, 3), "semitones": round(semis, 2), "rt60": round(rt60, 2)}
