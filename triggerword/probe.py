"""Does the model hear "activate" when more words follow at once? A probe of connected speech.

    triggerword probe --model models/model.weights.h5 [--model training/run8/keras/model.weights.h5 ...]

Why: words in training examples come one by one, with silence around them, and a model can learn to
wait for the silence after the word. People (and the dev sentences) go on talking. The probe speaks
"please" + 50 ms + "activate" + GAP + "the heater in the living room" (and two more such
sentences) with each flite voice (the held-out engine: no training voice is flite), for three GAPs: 50 ms (connected speech, like the dev
sentences' pieces), 300 ms (a pause), and nothing after the word. Each piece is trimmed and set to
-20 dBFS as the dev sentences' pieces are; the sentence starts 1 s into 10 s of faint hiss, and the
clip is prepared as ``triggerword evaluate`` prepares clips. Scored by the event rule of the
evaluation (``evaluate.score_clips``) at the threshold: hits out of the voices, false alarms
(detections away from the word, e.g. at the end of the sentence), and the mean of the highest
probability within 0.5 s after the end of the word.

A model that only waits for silence scores well on "nothing after" and poorly on "50 ms".
"""
import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from triggerword import params
from triggerword.checks import threshold_arg

VOICES = ("kal", "kal16", "awb", "rms", "slt")
PHRASES = (("please", "the heater in the living room"), ("okay", "the lights in the kitchen"),
           ("now", "my alarm for seven tomorrow"))
CONDITIONS = (("50 ms, then more words", 0.05), ("300 ms, then more words", 0.30), ("nothing after", None))
START_S = 1.0


def piece(text, row):
    """One phrase spoken by ``row`` as the dev sentences' pieces are (``corpus.speak_piece``), at -20 dBFS."""
    from triggerword import augment as A
    from triggerword.corpus import speak_piece
    audio = speak_piece(text, row, {})
    return None if audio is None else A.set_level(audio, -20.0)


def sentence(lead, word, tail, gap_s, lead_gap_s=0.05):
    """(samples, end of the word in ms): lead, a short gap, the word, then ``gap_s`` and the tail (if any)."""
    sr = params.SAMPLE_RATE
    parts = [lead, np.zeros(int(sr * lead_gap_s), np.float32), word]
    end = sum(len(p) for p in parts)
    if gap_s is not None:
        parts += [np.zeros(int(sr * gap_s), np.float32), tail]
    return np.concatenate(parts), end * 1000 / sr


def clip(speech, seed=0):
    """10 s: faint hiss, the speech from ``START_S``; float in [-1, 1]."""
    sr = params.SAMPLE_RATE
    x = np.random.default_rng(seed).normal(0, 10 ** (-60 / 20), params.CLIP_SAMPLES)
    start = int(sr * START_S)
    x[start:start + len(speech)] += speech[:params.CLIP_SAMPLES - start]
    return np.clip(x, -1, 32767 / 32768)


def probe_clips(voices=VOICES, warn=print):
    """{condition: (features list, truths_ms list)} over the voices that flite can speak."""
    from triggerword.corpus import write_wav
    from triggerword.evaluate import clip_features
    from triggerword.voices import get_voice
    out = {name: ([], []) for name, _ in CONDITIONS}
    with tempfile.TemporaryDirectory(prefix="tw-probe-") as tmp:
        for voice in voices:
            row = get_voice(f"flite:{voice}")
            word = piece("activate", row)
            for lead, tail in PHRASES:
                pieces = [piece(lead, row), word, piece(tail, row)]
                if any(p is None for p in pieces):
                    warn(f"warning: flite voice {voice} gave no audio for {lead!r}/{tail!r}, skipped")
                    continue
                for name, gap in CONDITIONS:
                    speech, end_ms = sentence(*pieces, gap)
                    path = Path(tmp) / f"{voice}.wav"
                    write_wav(path, clip(speech))
                    out[name][0].append(clip_features(path))
                    out[name][1].append([START_S * 1000 + end_ms])
    return out


def probe(model, clips, threshold=params.DEFAULT_THRESHOLD):
    """Rows (condition, hits, voices, false alarms, mean peak probability within 0.5 s after the word)."""
    from triggerword.evaluate import predict_keras, score_clips
    rows = []
    for name, _ in CONDITIONS:
        feats, truths = clips[name]
        probs = predict_keras(model, feats)
        s = score_clips(list(probs), truths, threshold)
        peaks = [float(p[int(t[0] / 1000 / params.STEP_S):int((t[0] / 1000 + 0.5) / params.STEP_S)].max())
                 for p, t in zip(probs, truths)]
        rows.append((name, s["hits"], len(feats), s["false_alarms"], float(np.mean(peaks)) if peaks else float("nan")))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="triggerword probe", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", required=True, help="model_f weights (repeatable)")
    parser.add_argument("--threshold", type=threshold_arg, default=params.DEFAULT_THRESHOLD)
    args = parser.parse_args(argv)
    from triggerword.model import ModelFileError, load_model_f
    from triggerword.tts import engine_problem
    from triggerword.voices import get_voice
    problem = engine_problem(get_voice("flite:slt"))
    if problem:
        print(f"triggerword probe: {problem}", file=sys.stderr)
        return 1
    try:
        models = [(path, load_model_f(path)) for path in args.model]
    except ModelFileError as exc:
        print(f"triggerword probe: {exc}", file=sys.stderr)
        return 1
    clips = probe_clips()
    n = len(clips[CONDITIONS[0][0]][0])
    print(f"LEAD + \"activate\" + GAP + TAIL, {n} sentences of {len(VOICES)} flite voices, threshold {args.threshold}\n")
    print("| model | after the word | hits | false alarms | mean peak within 0.5 s |")
    print("| --- | --- | --- | --- | --- |")
    for path, model in models:
        for name, hits, n, fa, peak in probe(model, clips, args.threshold):
            print(f"| `{path}` | {name} | {hits} / {n} | {fa} | {peak:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
