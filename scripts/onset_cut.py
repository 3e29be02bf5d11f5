"""Does a model need the start of "activate"? Cut the first part of each take and see if it still fires.

    python scripts/onset_cut.py MODEL.weights.h5 [CORPUS]

Draws 100 takes of "activate" from ``CORPUS`` (default ``cache/corpus``, the training corpus, so the
model has heard these takes whole), cuts the first 0 %, 10 %, ... 50 % of each take's sound
(``augment.cut_onset``, the cut that ``suffix_negatives`` trains on), places each at 2 s in 10 s of a
corpus background 20 dB below it, sets the clip to -20 dBFS as ``triggerword evaluate`` does, and
prints the share of takes whose highest output after 2 s reaches 0.5, and the mean highest output.
Then the same for the training takes of ten near misses that end like the word ("captivate",
"excavate", ...), whole; then every fourth of the 430 endings that ``suffix_negatives=430`` trains
on (runs 43 and 44), to see whether a model fits the negatives it was given. A model that waits for
"ac-" fires on few takes with 30 % or more cut off. About 100 s on 2 cores. Seeds are fixed: the
same model gives the same figures.
"""
import csv
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from triggerword import augment, params  # noqa: E402
from triggerword.evaluate import predict_keras  # noqa: E402
from triggerword.model import load_model_f  # noqa: E402
from triggerword.synth import features, normalise, overlay  # noqa: E402
from triggerword.train import RECIPE, _as_float, load_corpus, random_background, read_clip  # noqa: E402

SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
NEAR = ("captivate", "cultivate", "motivate", "elevate", "renovate", "navigate", "vacate", "excavate",
        "aggravate", "innovate")
START_MS = 2000
ENDINGS = 430  # suffix_negatives of runs 43 and 44


def main(model_path, root="cache/corpus", n_takes=100):
    rows = list(csv.DictReader(open(os.path.join(root, "manifest.csv"))))
    acts = [r for r in rows if r["kind"] == "activate"]
    acts = [acts[i] for i in np.random.default_rng(0).choice(len(acts), min(n_takes, len(acts)), replace=False)]
    near = [r for r in rows if r["kind"] == "negative" and r["text"] in NEAR]
    corpus = load_corpus(root, dict(RECIPE, suffix_negatives=ENDINGS), warn=lambda message: None)
    backgrounds = corpus.backgrounds
    model = load_model_f(model_path)
    after = int(START_MS * params.TY / 10000)

    def peaks(takes):
        rng = np.random.default_rng(1)  # the same backgrounds for every cut
        feats = []
        for x in takes:
            mix = augment.set_level(random_background(backgrounds, rng), -40.0)
            overlay(mix, augment.set_level(x, -20.0), START_MS)
            feats.append(features(normalise(mix)))
        return predict_keras(model, feats)[:, after:].max(axis=1)

    whole = [_as_float(read_clip(os.path.join(root, r["path"]))) for r in acts]
    print(f"{model_path}: {len(whole)} takes of 'activate' from {root}")
    print("cut from the start | share at 0.5 or more | mean highest output")
    for share in SHARES:
        p = peaks([augment.cut_onset(x, share) for x in whole])
        print(f"{share:>17.0%} | {np.mean(p >= 0.5):>20.2f} | {p.mean():.2f}", flush=True)
    p = peaks([augment.trim(_as_float(read_clip(os.path.join(root, r["path"])))) for r in near])
    print("near miss (whole takes) | share at 0.5 or more | mean highest output")
    for text in NEAR:
        q = np.array([v for r, v in zip(near, p) if r["text"] == text])
        if len(q):
            print(f"{text:>12} ({len(q):2d} takes) | {np.mean(q >= 0.5):>20.2f} | {q.mean():.2f}")
    p = peaks([_as_float(x) for x in corpus.negatives[-corpus.suffixes:][::4]])
    print(f"training endings of suffix_negatives={ENDINGS} ({len(p)}, every fourth) | share at 0.5 or more "
          f"{np.mean(p >= 0.5):.2f} | mean highest output {p.mean():.2f}")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.split("\n\n")[1].strip())
    main(*sys.argv[1:])
