"""Measure `triggerword enroll` on a voice the shipped model hardly hears: does fine-tuning on eight
takes of one speaker's "activate" make the model hear that speaker in sentences, and at what cost?

    triggerword corpus --target heldout --voices flite:rms --whole --dev 40 --fa-minutes 10 \\
        --fa-readings 12 --out cache/enroll-rms          # the speaker's own sentences and talk, 3 minutes
    triggerword corpus --target heldout                  # cache/heldout: near-miss hour, held-out engine
    python scripts/measure_enroll.py                     # about 10 minutes on 2 cores

The "user" is a held-out voice (``--voice``, default flite's ``rms``, which the shipped model finds in
none of its sentences read whole): no training voice comes from its engine. Their takes are
``--takes`` readings of "activate", each at its own pace (flite's duration stretch 0.9-1.4: people say
the word more slowly than TTS does) and pitch (mean f0 drawn around the voice's own), all played in
one room, through one microphone, over the same faint hiss, as one person recording at one desk would
make them; they are written to ``<--out>/takes/`` as 16-bit WAV and given to ``triggerword enroll``
as files, with its defaults. With ``--sentences K`` the speaker also reads the first K of enroll's
``PROMPTS`` whole at the same desk (every other one holds the word; none is a text of the sets
below), written to ``<--out>/takes/sentence-NN.wav`` with the text beside each in a ``.txt`` file, as
``triggerword enroll --record-sentences`` saves them, and given to enroll's ``--sentences``. The model
before and after is then scored, at 0.5, on:

- the speaker's sentences with the word, read whole (``<--set>/engine``: 40 clips, their own labels;
  ``<--set>/neural`` for a Kokoro speaker, made with ``--dev 0 --neural 40`` instead of ``--dev 40``);
- the speaker's own talk without the word (``<--set>/fa``: 10 minutes), as false alarms per hour;
- everybody else: the dev set (``raw_data/dev``), the held-out engine's other voices and the near-miss
  hour (``cache/heldout``), so that a gain for one voice is not paid for by the others.

With ``--talk-clips N`` the first N clips of the speaker's own talk are given to enroll's ``--talk``
(its check of false alarms in your own voice, which ``--tries`` ranks on too), and the own-talk figure
is measured on the remaining clips only.

Nothing is written outside ``--out`` (default ``cache/enroll-check``), which must not exist yet.
"""
import argparse
import json
import os
import sys

import numpy as np
from scipy.io import wavfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from triggerword import augment, enroll, params, tts  # noqa: E402
from triggerword import evaluate as ev  # noqa: E402
from triggerword.model import load_model_f  # noqa: E402
from triggerword.voices import get_voice  # noqa: E402


def make_takes(voice, n, folder, seed, texts=None):
    """``n`` takes of "activate" by ``voice``, one desk: the same room, microphone and hiss level.

    With ``texts``, take i reads ``texts[i % len(texts)]`` whole instead, saved as ``sentence-NN.wav``
    with the text beside it in ``sentence-NN.txt``, as ``triggerword enroll --record-sentences``
    saves them; the desk (room, microphone) is the one the word's takes get from the same seed."""
    row = get_voice(voice)
    rng = np.random.default_rng(seed)
    room, mic = int(rng.integers(2 ** 31)), int(rng.integers(2 ** 31))
    if texts:
        rng = np.random.default_rng([seed, 2])   # the sentences' own stream, the same desk
    os.makedirs(folder, exist_ok=bool(texts))
    paths = []
    for i in range(n):
        text = texts[i % len(texts)] if texts else "activate"
        stretch = float(rng.uniform(0.9, 1.4))
        # flite reads stretch and f0; Kokoro has no pitch setting and reads speed (lower is slower)
        x = tts.synthesize(text, row, {"stretch": stretch, "f0": float(rng.uniform(100, 120)),
                                       "speed": round(1.0 / stretch, 3)})
        if x is None:
            raise SystemExit(f"measure_enroll: {voice} could not say {text!r} (is its engine installed?)")
        gap = np.zeros(int(rng.uniform(0.2, 0.5) * params.SAMPLE_RATE), np.float32)
        x = np.concatenate([gap, x, gap])
        x = augment.reverb(x, np.random.default_rng(room))              # the same room for every take
        x = augment.mic_colour(x, np.random.default_rng(mic))          # and the same microphone
        x = augment.add_hiss(x, rng, snr_db=45.0)
        x = x / max(1e-9, float(np.max(np.abs(x)))) * 0.5
        path = os.path.join(folder, f"sentence{i + 1:02d}.wav" if texts else f"take{i + 1:02d}.wav")
        wavfile.write(path, params.SAMPLE_RATE, np.round(x * 32767).astype(np.int16))
        if texts:
            with open(path[:-4] + ".txt", "w", encoding="utf-8") as f:
                f.write(text + "\n")
        paths.append(path)
    return paths


def labelled(folder, exclude_voice=None):
    """(names, ends ms) of a labelled clip folder, optionally without the clips of one voice."""
    labels = ev.load_labels(folder)
    names = sorted(labels)
    if exclude_voice:
        by_clip = ev._clip_voices(folder)
        names = [n for n in names if by_clip.get(n) != exclude_voice]
    return names, [labels[n] for n in names]


def speaker_sentences(folder):
    """The speaker's sentences with the word: ``engine/`` for a flite voice (``--dev``), ``neural/`` for a
    Kokoro one (``--neural``), whichever holds clips."""
    for sub in ("engine", "neural"):
        path = os.path.join(folder, sub)
        if os.path.isdir(path) and any(n.endswith(".wav") for n in os.listdir(path)):
            return path
    return os.path.join(folder, "engine")


def scores(model, sets, fa_sets):
    out = {}
    for label, folder, names, truths in sets:
        _, feats = ev.read_clips(folder, names, warn=lambda m: None)
        s = ev.score_clips(list(ev.predict_keras(model, feats)), truths)
        out[label] = {k: s[k] for k in ("precision", "recall", "f1", "hits", "false_alarms", "misses")}
    for label, folder, names in fa_sets:
        _, feats = ev.read_clips(folder, names, warn=lambda m: None)
        out[label] = {"fa_per_hour": ev.false_alarms_per_hour(list(ev.predict_keras(model, feats))),
                      "clips": len(feats)}
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voice", default="flite:rms", help="the speaker who enrolls (default %(default)s)")
    parser.add_argument("--takes", type=int, default=8, help="takes of the word (default %(default)s)")
    parser.add_argument("--sentences", type=int, default=0,
                        help="sentences read whole, enroll.PROMPTS in order (half hold the word), passed to "
                             "enroll's --sentences (default %(default)s)")
    parser.add_argument("--set", default="cache/enroll-rms", help="heldout --voices VOICE --whole folder")
    parser.add_argument("--heldout", default="cache/heldout", help="the usual held-out folder")
    parser.add_argument("--model", default="models/model.weights.h5")
    parser.add_argument("--out", default="cache/enroll-check")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-word-share", type=float, default=None, help="passed to enroll (default: enroll's)")
    parser.add_argument("--tries", type=int, default=None, help="passed to enroll (default: enroll's)")
    parser.add_argument("--talk-clips", type=int, default=0,
                        help="the first N clips of the speaker's own talk (<--set>/fa) go to enroll's --talk; the "
                             "own-talk figure is then measured on the others only (default %(default)s)")
    args = parser.parse_args(argv)
    own = speaker_sentences(args.set)
    for folder in (own, os.path.join(args.set, "fa"),
                   os.path.join(args.heldout, "engine"), os.path.join(args.heldout, "fa")):
        if not os.path.isdir(folder):
            raise SystemExit(f"measure_enroll: {folder}: missing; make it with the commands at the top of "
                             f"scripts/measure_enroll.py")
    if os.path.exists(args.out):
        raise SystemExit(f"measure_enroll: {args.out} exists; give another --out (nothing is overwritten)")
    voice = get_voice(args.voice).id
    takes = make_takes(args.voice, args.takes, os.path.join(args.out, "takes"), args.seed)
    tuned = os.path.join(args.out, "enrolled.weights.h5")
    extra = [] if args.no_word_share is None else ["--no-word-share", str(args.no_word_share)]
    extra += [] if args.tries is None else ["--tries", str(args.tries)]
    if args.sentences:
        extra += ["--sentences"] + make_takes(args.voice, args.sentences, os.path.join(args.out, "takes"),
                                              args.seed, texts=enroll.PROMPTS)
    own_talk = os.path.join(args.set, "fa")
    talk_names = sorted(n for n in os.listdir(own_talk) if n.endswith(".wav"))
    if args.talk_clips:
        if not 0 < args.talk_clips < len(talk_names):
            raise SystemExit(f"measure_enroll: --talk-clips {args.talk_clips}: from 1 to {len(talk_names) - 1}")
        extra += ["--talk"] + [os.path.join(own_talk, n) for n in talk_names[:args.talk_clips]]
        talk_names = talk_names[args.talk_clips:]
    rc = enroll.main(takes + ["--model", args.model, "--out", tuned, "--seed", str(args.seed)] + extra)
    if rc:
        raise SystemExit(f"measure_enroll: triggerword enroll failed ({rc})")
    engine = os.path.join(args.heldout, "engine")
    sets = [("speaker's sentences", own, *labelled(own)),
            ("dev set", "raw_data/dev", *labelled("raw_data/dev")),
            ("held-out engine, other voices", engine, *labelled(engine, exclude_voice=voice))]
    fa_sets = [("speaker's own talk", own_talk, talk_names), ("near-miss hour", os.path.join(args.heldout, "fa"), None)]
    result = {"voice": voice, "takes": len(takes), "sentences": args.sentences, "talk_clips": args.talk_clips}
    for when, path in (("before", args.model), ("after", tuned)):
        result[when] = scores(load_model_f(path), sets, fa_sets)
    with open(os.path.join(args.out, "scores.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(f"\n{voice}, {len(takes)} takes; at threshold 0.5, before -> after:")
    for label, _, names, truths in sets:
        b, a = result["before"][label], result["after"][label]
        print(f"  {label} ({len(names)} clips, {sum(map(len, truths))} words): recall {b['recall']:.3f} -> "
              f"{a['recall']:.3f}, F1 {b['f1']:.3f} -> {a['f1']:.3f} (false alarms {b['false_alarms']} -> "
              f"{a['false_alarms']})")
    for label, _, _ in fa_sets:
        b, a = result["before"][label], result["after"][label]
        print(f"  {label} ({b['clips']} clips of 10 s): false alarms per hour {b['fa_per_hour']:.0f} -> "
              f"{a['fa_per_hour']:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
