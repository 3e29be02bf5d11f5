"""Does averaging several models' outputs beat each of them? An ensemble check, scored as
``triggerword evaluate`` scores one model.

    python scripts/mean_outputs.py MODEL.weights.h5 MODEL.weights.h5 [...]

Scores each model, then the mean of their probabilities and the mean of their logits, at thresholds
0.50 to 0.70, on the dev set (``raw_data/dev``), the held-out engine (``cache/heldout/engine``), the
two near-miss hours (``cache/heldout/fa``, ``cache/heldout-seed8/fa``) and the everyday hour
(``cache/everyday/fa``). An ensemble is not a ``model_f`` and cannot ship as one; if it were clearly
better at matched false alarms, it would be a teacher to distil into one. About 2 minutes a model on
2 cores, most of it reading the clips once.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from triggerword import evaluate as ev  # noqa: E402
from triggerword.model import load_model_f  # noqa: E402

THRESHOLDS = (0.50, 0.55, 0.60, 0.65, 0.70)
HOURS = (("fa", "cache/heldout/fa"), ("fa2", "cache/heldout-seed8/fa"), ("talk", "cache/everyday/fa"))


def read_sets():
    """{name: (features, truths or None)} of the five sets."""
    sets = {}
    for name, folder in (("dev", "raw_data/dev"), ("engine", "cache/heldout/engine")):
        labels = ev.load_labels(folder)
        names, feats = ev.read_clips(folder, sorted(labels), progress=True)
        sets[name] = (feats, [labels[n] for n in names])
    for name, folder in HOURS:
        sets[name] = (ev.read_clips(folder, progress=True)[1], None)
    return sets


def lines(label, probs, sets):
    for t in THRESHOLDS:
        dev = ev.score_clips(probs["dev"], sets["dev"][1], t)["f1"]
        engine = ev.score_clips(probs["engine"], sets["engine"][1], t)["f1"]
        fa = " / ".join(f"{ev.false_alarms_per_hour(probs[k], t):.0f}" for k, _ in HOURS)
        yield f"{label:32s} {t:.2f}  dev F1 {dev:.3f}  engine F1 {engine:.3f}  FA/h near-miss, second, everyday {fa}"


def main(paths):
    if len(paths) < 2:
        sys.exit(__doc__)
    sets = read_sets()
    each = [{k: ev.predict_keras(load_model_f(p), v[0]) for k, v in sets.items()} for p in paths]
    for p, probs in zip(paths, each):
        print("\n".join(lines(p, probs, sets)))
    mean = {k: np.mean([e[k] for e in each], axis=0) for k in sets}
    print("\n".join(lines("mean of the probabilities", mean, sets)))
    logits = {k: np.mean([np.log(np.clip(e[k], 1e-6, 1)) - np.log(np.clip(1 - e[k], 1e-6, 1)) for e in each], axis=0)
              for k in sets}
    print("\n".join(lines("mean of the logits", {k: 1 / (1 + np.exp(-v)) for k, v in logits.items()}, sets)))


if __name__ == "__main__":
    main(sys.argv[1:])
