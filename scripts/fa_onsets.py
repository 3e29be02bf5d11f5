"""Where in the readings of the no-word hours does a model fire? Time since the reading's start.

    python scripts/fa_onsets.py MODEL.weights.h5 [THRESHOLD] [--everyday]

Remakes where each reading went in each clip of ``cache/heldout/fa`` (seed 7) and
``cache/heldout-seed8/fa`` (seed 8) by running the corpus generator's ``run_fa`` again with its
seeds, writing nothing (each remade mix is checked against the WAV on disk: it must agree to the
16-bit step), then scores the clips as ``triggerword evaluate`` does and places each detection after
the latest reading that started before it. Prints the share of false alarms and the share of speech
time in each span since a reading's start, the rate for the first, second and third reading of
a clip, the rate per hour of near-miss speech (readings holding a word of ``corpus.NEAR_MISSES``)
and of everyday speech (the other readings), and the texts whose readings fire most. Needs the two
hours made by ``triggerword corpus --target heldout`` (and ``--seed 8 --dev 0 --out
cache/heldout-seed8``) on this machine; takes about 6 minutes on 2 cores. Then the rate per hour of
each held-out voice's speech.

``--everyday``: the same for the hour of everyday talk instead (``cache/everyday``, made by
``triggerword corpus --target everyday`` with its defaults), about 3 minutes.
"""
import os
import sys
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from td_utils import chime_steps, read_wav  # noqa: E402
from triggerword import corpus as C  # noqa: E402
from triggerword import params  # noqa: E402
from triggerword.evaluate import _near_miss_pattern, load_readings, read_clips  # noqa: E402
from triggerword.model import load_model_f  # noqa: E402

SR = params.SAMPLE_RATE
HOURS = ((7, Path("cache/heldout"), 40), (8, Path("cache/heldout-seed8"), 0))
EVERYDAY = ((7, Path("cache/everyday"), None),)


def readings(seed, out, dev):
    """[(file name, [(start s, length s, bank file stem) of each reading])] of one hour, remade from its seeds
    (``dev`` None: the everyday hour)."""
    args = types.SimpleNamespace(voices=None, engines=None, fa_readings=12 if dev is not None else C.EVERYDAY_READINGS,
                                 dev=dev or 0, fa_minutes=60.0)
    plan = C.plan_heldout if dev is not None else C.plan_everyday
    jobs = [j for j in plan(seed, args)[1] if j.kind == "fa"]
    added, made = [], {}
    real_add, real_write = C._add, C.write_wav
    C._add = lambda mix, x, pos: (added.append((pos, len(x))), real_add(mix, x, pos))[1]
    C.write_wav = lambda path, mix: made.__setitem__("mix", mix)
    try:
        result = []
        for job in jobs:
            added.clear()
            row = C.run_fa(job, out)[0]
            n = len(row["text"].split(" | "))       # the scene's own voices come first, the readings last
            name = job.options["name"]
            rate, data = read_wav(str(out / name))
            if np.max(np.abs(made["mix"] - data[:, 0] / 32768.0)) > 2 / 32768:
                sys.exit(f"fa_onsets: {out / name}: the remade clip differs from the file; was the hour "
                         "made with another version of the generator?")
            stems = row["text"].split(" | ")
            result.append((name.split("/")[-1], [(p / SR, min(k / SR, 10 - p / SR), stem)
                                                 for (p, k), stem in zip(added[-n:], stems)]))
        return result
    finally:
        C._add, C.write_wav = real_add, real_write


def main():
    argv = [a for a in sys.argv[1:] if a != "--everyday"]
    hours = EVERYDAY if "--everyday" in sys.argv[1:] else HOURS
    model = load_model_f(argv[0])
    threshold = float(argv[1]) if len(argv) > 1 else 0.5
    step_s = params.CLIP_MS / 1000 / params.TY
    since, which, speech, per_reading = [], [], [], {}
    near = _near_miss_pattern()
    kind_s, kind_fa, by_text = {"near-miss": 0.0, "everyday": 0.0}, {"near-miss": 0, "everyday": 0}, {}
    voice_s, voice_fa = {}, {}
    for seed, out, dev in hours:
        clips = readings(seed, out, dev)
        meta = load_readings(str(out))
        texts = {Path(k).stem: v["text"] for k, v in meta.items()}
        voice = {Path(k).stem: v["voice"] for k, v in meta.items()}
        kind = {stem: "near-miss" if near.search(text) else "everyday" for stem, text in texts.items()}
        _, feats = read_clips(str(out / "fa"), [name for name, _ in clips])
        probs = model.predict(np.stack(feats), batch_size=16, verbose=0)[:, :, 0]
        for (name, said), p in zip(clips, probs):
            for k, (start, length, stem) in enumerate(said):
                speech += list(np.arange(0, length, 0.05))
                per_reading[k] = per_reading.get(k, 0.0) + length
                kind_s[kind[stem]] += length
                voice_s[voice[stem]] = voice_s.get(voice[stem], 0.0) + length
            for step in chime_steps(p, threshold):
                t = step * step_s
                started = [k for k, (start, _, _) in enumerate(said) if start <= t]
                if started:
                    since.append(t - said[started[-1]][0])
                    which.append(started[-1])
                    stem = said[started[-1]][2]
                    kind_fa[kind[stem]] += 1
                    voice_fa[voice[stem]] = voice_fa.get(voice[stem], 0) + 1
                    by_text[texts[stem]] = by_text.get(texts[stem], 0) + 1
    since, speech = np.array(since), np.array(speech)
    print(f"{len(since)} false alarms at {threshold} over {'the everyday hour' if hours is EVERYDAY else 'both hours'}, "
          "each after a reading's start")
    print("| time since the reading's start | share of the false alarms | share of the speech time |")
    print("|---|---|---|")
    edges = [0, 0.5, 1, 1.5, 2, 3, 4, 10]
    for a, b in zip(edges, edges[1:]):
        print(f"| {a}-{b} s | {np.mean((since >= a) & (since < b)):.2f} | {np.mean((speech >= a) & (speech < b)):.2f} |")
    print("| reading of the clip | false alarms | per hour of that reading's audio |")
    print("|---|---|---|")
    for k in range(3):
        count = sum(1 for i in which if i == k)
        print(f"| {k + 1} | {count} | {count / (per_reading.get(k, 0) / 3600):.0f} |")
    print("| speech | hours of it | false alarms | per hour of it |")
    print("|---|---|---|---|")
    for kind in kind_s:
        if kind_s[kind]:
            print(f"| {kind} | {kind_s[kind] / 3600:.2f} | {kind_fa[kind]} | {kind_fa[kind] / (kind_s[kind] / 3600):.0f} |")
    print("| voice | hours of its speech | false alarms | per hour of it |")
    print("|---|---|---|---|")
    for v in sorted(voice_s):
        print(f"| {v} | {voice_s[v] / 3600:.2f} | {voice_fa.get(v, 0)} | {voice_fa.get(v, 0) / (voice_s[v] / 3600):.0f} |")
    print("| text of the reading (the most false alarms first) | false alarms |")
    print("|---|---|")
    for text, count in sorted(by_text.items(), key=lambda kv: (-kv[1], kv[0]))[:10]:
        print(f"| {text} | {count} |")


if __name__ == "__main__":
    main()
