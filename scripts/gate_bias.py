"""A trained model's GRUs made slower by hand: does a smoother output cut real false alarms for free?

A Keras GRU keeps ``z * h_prev + (1 - z) * candidate``, so raising the update gate's bias (the first
128 entries of the bias) holds the state longer and low-passes everything after it. Half of run78's
real false alarms are brief flickers the true words never are (HISTORY, "Runs 92-94"); if flickers are
what the real speech costs, a slower second GRU should cut real false alarms more than held-out-engine
F1. Each variant is scored on the dev set, the near-miss hour, the real speech and the held-out engine
at a few thresholds, to be read against the unchanged model's own sweep (the first variant, 0,0).

    python scripts/gate_bias.py models/model.weights.h5 0,0 0,0.25 0,0.5 0,0.75 0,1 1,1

Reading the clips takes about 5 minutes here, each variant under one more. Each variant is
``D1,D2``: added to the first and to the second GRU's update-gate bias.
``--write OUT.weights.h5 WEIGHTS D1,D2`` saves one variant's weights instead, as a start for training:

    python scripts/gate_bias.py --write training/run97/init.weights.h5 training/run75/final.weights.h5 0,0.5
"""
import os
import sys

import keras

from triggerword.evaluate import load_labels, predict_keras, read_clips, sweep
from triggerword.model import load_model_f

SETS = {"dev": "raw_data/dev", "engine": "cache/heldout/engine", "real": "cache/real", "fa": "cache/heldout/fa"}
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def slowed(weights, deltas):
    """``model_f`` with ``weights``, each GRU's update-gate bias raised by its delta."""
    model = load_model_f(weights)
    grus = [layer for layer in model.layers if isinstance(layer, keras.layers.GRU)]
    for gru, delta in zip(grus, deltas):
        kernel, recurrent, bias = gru.get_weights()
        bias[0, :gru.units] += delta   # row 0: the input bias; columns [z, r, h]
        gru.set_weights([kernel, recurrent, bias])
    return model


def main(weights, variants):
    feats, truths = {}, {}
    for key, folder in SETS.items():
        labels = load_labels(folder) if key in ("dev", "engine") else None
        names, feats[key] = read_clips(folder, sorted(labels) if labels else None, progress=True)
        truths[key] = [labels[n] for n in names] if labels else None
    for deltas in variants:
        model = slowed(weights, deltas)
        probs = {key: list(predict_keras(model, f, batch_size=32)) for key, f in feats.items()}
        rows = sweep(probs["dev"], truths["dev"], probs["fa"], thresholds=THRESHOLDS,
                     engine=(probs["engine"], truths["engine"]), real_probs=probs["real"])
        for r in rows:
            print(f"gates +{deltas[0]:g},+{deltas[1]:g}  threshold {r['threshold']:.2f}  dev F1 {r['f1']:.3f}  "
                  f"near-miss hour {r['fa_per_hour']:.0f}  real {r['real_per_hour']:.1f}  "
                  f"engine F1 {r['engine_f1']:.3f}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    if sys.argv[1] == "--write":
        out, weights, deltas = sys.argv[2:5]
        if not out.endswith(".weights.h5") or os.path.exists(out):
            sys.exit(f"{out}: give a new file ending in .weights.h5")
        slowed(weights, tuple(float(x) for x in deltas.split(","))).save_weights(out)
        sys.exit(0)
    main(sys.argv[1], [tuple(float(x) for x in v.split(",")) for v in sys.argv[2:]])
