"""How strongly models fire on the real words nearest "activate" at hand, beside synthetic voices saying the same.

Allison's "activated" and "de-activated" (Debian's asterisk-core-sounds-en-g722 and -wav; left out of
`triggerword realspeech`, which skips every prompt named "activ") are placed in 10 s of her other
prompts, the word after 0, 3 or 6 s of them, in G.722 (7 kHz) and 8-kHz WAV: 12 clips. The same words,
and "activate" alone, are said by six held-out neural voices in silence. For each model: its peak
output from the word's start to 0.6 s after its end, per clip and averaged. A model that has learned
that real voices never say the word falls on Allison's clips and not on the synthetic ones.

A second real voice, where Debian's warzone2100-data is installed (`apt-get install warzone2100-data`;
skipped with a line saying so where it is not): the game's announcer saying "Command Console
Activated" and "Mission Timer Activated" (11,025-Hz Ogg files in `base.wz`; `audio/audio.cfg` gives
each line's text), each in 10 s of her other lines without "activ" in their text, after 0, 3 or 6 s:
6 clips. The word ends each line and its start is not marked, so the window is the line's last second
to 0.6 s after it.

    python scripts/real_activated.py training/run82/final.weights.h5 training/run86a/keras/model.weights.h5
    python scripts/real_activated.py --threshold 0.6 models/model.weights.h5   # count clips at 0.6, not 0.5
"""
import io
import os
import re
import sys
import tempfile
import zipfile
from functools import lru_cache

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from triggerword import params, realspeech, tts, voices  # noqa: E402
from triggerword.evaluate import clip_features, predict_keras  # noqa: E402
from triggerword.model import load_model_f  # noqa: E402

ALLISON = os.path.join(realspeech.SOUNDS, "en_US_f_Allison")
FILL = ("vm-goodbye", "vm-press", "vm-password", "vm-login", "vm-options")
GAP = int(0.3 * params.SAMPLE_RATE)
WARZONE = "/usr/share/games/warzone2100/base.wz"
WARZONE_WORDS = ("pcv413.ogg", "pcv462.ogg")   # "Command Console Activated", "Mission Timer Activated"


@lru_cache(maxsize=None)
def prompt(name, ext):
    """One of her prompts at 44,100 Hz, decoded once for all the clips that use it."""
    return realspeech.to_rate(*realspeech.decode(os.path.join(ALLISON, f"{name}.{ext}")))


def allison_clip(word_file, ext, lead_s):
    """10 s: her prompts for about ``lead_s``, the word, then more of them; (samples, word start s, end s)."""
    return placed([prompt(n, ext) for n in FILL], prompt(word_file, ext), lead_s)


def warzone_clips():
    """Her two "... Activated" lines, each in 10 s of her first 12 lines without "activ": [(label, y, s, e)]."""
    with zipfile.ZipFile(WARZONE) as z:
        texts = dict(re.findall(r'"(pcv\d+\.ogg)"[^\n]*?/\*(.*?)\*/', z.read("audio/audio.cfg").decode("latin-1")))
        names = {n.rsplit("/", 1)[-1]: n for n in z.namelist() if n.startswith("audio/memressp/")}

        def line(f):   # 44,100-Hz samples of one of her lines
            x, rate = sf.read(io.BytesIO(z.read(names[f])), dtype="float64", always_2d=True)
            return realspeech.to_rate(x.mean(axis=1), rate)

        fill = [line(f) for f in [f for f in sorted(texts) if f in names and "activ" not in texts[f].lower()][:12]]
        words = {f: line(f) for f in WARZONE_WORDS}
    out = []
    for f, w in words.items():
        for lead in (0, 3, 6):
            y, _, end = placed(fill, w, lead)
            out.append((f"{texts[f].strip()}, after {lead} s", y, end - 1.0, end))
    return out


def placed(fill, w, lead_s):
    """``w`` in 10 s of the ``fill`` takes: some for about ``lead_s``, then ``w``, then others from the end."""
    y, at = np.zeros(params.CLIP_SAMPLES), 0
    for p in fill:
        if at + len(p) > lead_s * params.SAMPLE_RATE:
            break
        y[at:at + len(p)] = p
        at += len(p) + GAP
    start, end = at, at + len(w)
    y[start:end] = w
    at = end + GAP
    for p in fill[::-1]:
        if at + len(p) > len(y):
            break
        y[at:at + len(p)] = p
        at += len(p) + GAP
    return y, start / params.SAMPLE_RATE, end / params.SAMPLE_RATE


def synthetic_clip(text, row):
    x = tts.synthesize(text, row, {})
    if x is None:
        return None
    y, start = np.zeros(params.CLIP_SAMPLES), 3 * params.SAMPLE_RATE
    y[start:start + len(x)] = x[:len(y) - start]
    return y, 3.0, 3.0 + len(x) / params.SAMPLE_RATE


def clips(folder):
    out = []   # (group, label, path, start s, end s)
    for word in ("activated", "de-activated"):
        for ext, band in (("g722", "G.722"), ("wav", "8 kHz")):
            for lead in (0, 3, 6):
                out.append((f"Allison {word}", f"{band}, after {lead} s", *allison_clip(word, ext, lead)))
    if os.path.exists(WARZONE):
        out += [("Warzone announcer activated", label, *got) for label, *got in warzone_clips()]
    else:
        print(f"{WARZONE} not found (apt-get install warzone2100-data): no Warzone column")
    rows = [v for v in voices.voices("heldout") if v.engine in ("kokoro", "piper")][:6]
    for text in ("activated", "deactivated", "activate"):
        for row in rows:
            got = synthetic_clip(text, row)
            if got is not None:
                out.append((f"neural {text}", row.id, *got))
    paths = []
    for i, (group, label, y, s, e) in enumerate(out):
        path = os.path.join(folder, f"{i:03d}.wav")
        sf.write(path, np.round(y / np.max(np.abs(y)) * 0.9 * 32767).astype(np.int16), params.SAMPLE_RATE)
        paths.append((group, label, path, s, e))
    return paths


def main(argv):
    at = params.DEFAULT_THRESHOLD
    if argv[:1] == ["--threshold"]:
        at, argv = float(argv[1]), argv[2:]
    models = argv
    with tempfile.TemporaryDirectory() as folder:
        made = clips(folder)
        feats = [clip_features(path) for _, _, path, _, _ in made]
    groups = list(dict.fromkeys(g for g, *_ in made))
    print(f"mean peak (clips reaching {at:g})")
    print("| model | " + " | ".join(groups) + " |")
    print("|---" * (len(groups) + 1) + "|")
    for m in models:
        probs = [np.asarray(p).reshape(-1) for p in predict_keras(load_model_f(m), feats)]
        peaks = {}
        for (group, _, _, s, e), p in zip(made, probs):
            t = np.arange(len(p)) * 10.0 / len(p)
            peaks.setdefault(group, []).append(float(p[(t >= s) & (t <= e + 0.6)].max()))
        print(f"| {m} | " + " | ".join(f"{np.mean(peaks[g]):.3f} ({sum(v >= at for v in peaks[g])}/{len(peaks[g])})"
                                     for g in groups) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
