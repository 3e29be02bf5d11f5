"""How often models fire in real English voices without the word: the voice lines of two games.

`cache/real` (``triggerword realspeech``) has one English speaker. Two Debian packages hold more
English voices, recorded by people, not synthesised:

- hedgewars-data: the hedgehogs' voice packs (short acted lines: "Incoming!", "Take cover", "Missed",
  laughs and cries). Nine packs speak English: British, Classic, Default, HillBilly, Mobster, Pirate,
  Singer, Surfer, and Russian (English with a Russian accent, by the package's changelog). Robot is
  left out (a voice put through an effect), and so are Default_es, _pl, _ru, _uk and Russian_pl
  (Spanish, Polish, Russian, Ukrainian; Polish with a Russian accent).
- warzone2100-data: the announcer's lines ("Design Completed", "Power Transferred", ...) whose text
  (`audio/audio.cfg`) does not hold "activ" (the two "... Activated" lines are
  `scripts/real_activated.py`'s).

Each voice's lines are joined in file order with a seeded pause of ``realspeech.GAP_S`` between them
(the seed is the voice's name) and cut into 10-s clips, the last, shorter piece dropped, by
``realspeech.join_clips``, which joins the telephone prompts of ``triggerword realspeech``. For each model: false alarms per hour by
voice and in all at several thresholds, the exact Poisson interval of the count at the first, and
the line each false alarm there fell in (the line whose stretch, from its start to the next line's,
holds the detection). About 16 minutes of speech, so a few false alarms move the rate by 4 an hour.
A package that is not installed is skipped with a line saying so.

    apt-get install hedgewars-data warzone2100-data
    python scripts/games_real.py models/model.weights.h5 [MODEL ...] [--thresholds 0.5 0.6 0.7 0.8]
"""
import argparse
import io
import os
import re
import sys
import tempfile
import zipfile
import zlib

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from triggerword import params, realspeech  # noqa: E402
from triggerword.evaluate import clip_features, detections_s, predict_keras, rate_interval  # noqa: E402
from triggerword.model import load_model_f  # noqa: E402

HEDGEWARS = "/usr/share/games/hedgewars/Data/Sounds/voices"
HEDGEWARS_ENGLISH = ("British", "Classic", "Default", "HillBilly", "Mobster", "Pirate", "Russian", "Singer", "Surfer")
WARZONE = "/usr/share/games/warzone2100/base.wz"


def mono(data):
    """44,100-Hz mono samples of one Ogg file's bytes."""
    x, rate = sf.read(io.BytesIO(data), dtype="float64", always_2d=True)
    return realspeech.to_rate(x.mean(axis=1), rate)


def hedgewars_voices():
    """[(voice, [(line file, samples)])] of the English packs, or [] with a line where none is installed."""
    if not os.path.isdir(HEDGEWARS):
        print(f"{HEDGEWARS} not found (apt-get install hedgewars-data): no Hedgewars voices")
        return []
    out = []
    for pack in HEDGEWARS_ENGLISH:
        folder = os.path.join(HEDGEWARS, pack)
        files = sorted(f for f in os.listdir(folder) if f.endswith(".ogg")) if os.path.isdir(folder) else []
        out.append((f"hedgewars-{pack.lower()}", [(f, mono(open(os.path.join(folder, f), "rb").read())) for f in files]))
    return [(v, lines) for v, lines in out if lines]


def warzone_voice():
    """[("warzone-announcer", [(line text, samples)])]: her lines without "activ", or [] with a line."""
    if not os.path.exists(WARZONE):
        print(f"{WARZONE} not found (apt-get install warzone2100-data): no Warzone announcer")
        return []
    with zipfile.ZipFile(WARZONE) as z:
        texts = dict(re.findall(r'"(pcv\d+\.ogg)"[^\n]*?/\*(.*?)\*/', z.read("audio/audio.cfg").decode("latin-1")))
        names = {n.rsplit("/", 1)[-1]: n for n in z.namelist() if n.startswith("audio/memressp/")}
        lines = [(texts[f].strip(), mono(z.read(names[f]))) for f in sorted(texts)
                 if f in names and "activ" not in texts[f].lower()]
    return [("warzone-announcer", lines)]


def voice_clips(voice, lines):
    """The 10-s clips of one voice: [(samples, [(line, start s, end s of its stretch in the clip)])]."""
    rng = np.random.default_rng(zlib.crc32(voice.encode()))
    y, clips = realspeech.join_clips([(name, x, rng.uniform(*realspeech.GAP_S)) for name, x in lines])
    y = y / max(1.0, np.max(np.abs(y)))
    return [(y[lo:lo + params.CLIP_SAMPLES], [(name, start, share) for name, start, _, share in held])
            for lo, held in clips]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="weights of model_f (.weights.h5 or .keras)")
    parser.add_argument("--thresholds", nargs="+", type=float, default=[0.5, 0.6, 0.7, 0.8])
    args = parser.parse_args(argv)
    made = []   # (voice, clip index, [(line, start, end)])
    with tempfile.TemporaryDirectory() as folder:
        feats = []
        for voice, lines in hedgewars_voices() + warzone_voice():
            for i, (y, held) in enumerate(voice_clips(voice, lines)):
                path = os.path.join(folder, f"{voice}-{i:04d}.wav")
                sf.write(path, np.round(y * 32767).astype(np.int16), params.SAMPLE_RATE)
                feats.append(clip_features(path))
                made.append((voice, i, held))
    if not made:
        print("no game voices installed: nothing to score")
        return 1
    voices = list(dict.fromkeys(v for v, _, _ in made))
    ts = args.thresholds
    for m in args.models:
        probs = [np.asarray(p).reshape(-1) for p in predict_keras(load_model_f(m), feats)]
        fires = [[detections_s(p, t) for p in probs] for t in ts]
        print(f"\n{m}: false alarms per hour in real English voices from games")
        print("| voice | clips | hours | " + " | ".join(f"at {t:.2f}" for t in ts) + " |")
        print("|---" * (len(ts) + 3) + "|")
        for v in voices + ["all"]:
            sel = [k for k, (voice, _, _) in enumerate(made) if v in ("all", voice)]
            hours = len(sel) * params.CLIP_MS / 3.6e6
            print(f"| {v} | {len(sel)} | {hours:.2f} | "
                  + " | ".join(f"{sum(len(f[k]) for k in sel) / hours:.1f}" for f in fires) + " |")
        count, hours = sum(len(f) for f in fires[0]), len(made) * params.CLIP_MS / 3.6e6
        low, high = rate_interval(count, hours)
        print(f"\nat {ts[0]:.2f}: {count} false alarms in {hours:.2f} h, {count / hours:.1f} an hour "
              f"(95 % Poisson interval {low:.1f} to {high:.1f})")
        for (voice, i, held), times in zip(made, fires[0]):
            for t in times:
                line = next((name for name, s, e in held if s <= t < e), "?")
                print(f"- {voice} clip {i}, {t:.1f} s: in \"{line}\"")
    return 0


if __name__ == "__main__":
    sys.exit(main())
