"""How strongly models fire on the one real "activate" at hand, beside synthetic voices saying the same.

Allison's "activated" and "de-activated" (Debian's asterisk-core-sounds-en-g722 and -wav; left out of
`triggerword realspeech`, which skips every prompt named "activ") are placed in 10 s of her other
prompts, the word after 0, 3 or 6 s of them, in G.722 (7 kHz) and 8-kHz WAV: 12 clips. The same words,
and "activate" alone, are said by six held-out neural voices in silence. For each model: its peak
output from the word's start to 0.6 s after its end, per clip and averaged. A model that has learned
that real voices never say the word falls on Allison's clips and not on the synthetic ones.

    python scripts/real_activated.py training/run82/final.weights.h5 training/run86a/keras/model.weights.h5
"""
import os
import sys
import tempfile
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


@lru_cache(maxsize=None)
def prompt(name, ext):
    """One of her prompts at 44,100 Hz, decoded once for all the clips that use it."""
    return realspeech.to_rate(*realspeech.decode(os.path.join(ALLISON, f"{name}.{ext}")))


def allison_clip(word_file, ext, lead_s):
    """10 s: her prompts for about ``lead_s``, the word, then more of them; (samples, word start s, end s)."""
    fill = [prompt(n, ext) for n in FILL]
    y, at = np.zeros(params.CLIP_SAMPLES), 0
    for p in fill:
        if at + len(p) > lead_s * params.SAMPLE_RATE:
            break
        y[at:at + len(p)] = p
        at += len(p) + GAP
    w = prompt(word_file, ext)
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


def main(models):
    with tempfile.TemporaryDirectory() as folder:
        made = clips(folder)
        feats = [clip_features(path) for _, _, path, _, _ in made]
    groups = list(dict.fromkeys(g for g, *_ in made))
    print("| model | " + " | ".join(groups) + " |")
    print("|---" * (len(groups) + 1) + "|")
    for m in models:
        probs = [np.asarray(p).reshape(-1) for p in predict_keras(load_model_f(m), feats)]
        peaks = {}
        for (group, _, _, s, e), p in zip(made, probs):
            t = np.arange(len(p)) * 10.0 / len(p)
            peaks.setdefault(group, []).append(float(p[(t >= s) & (t <= e + 0.6)].max()))
        print(f"| {m} | " + " | ".join(f"{np.mean(peaks[g]):.3f} ({sum(v >= 0.5 for v in peaks[g])}/{len(peaks[g])})"
                                     for g in groups) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
