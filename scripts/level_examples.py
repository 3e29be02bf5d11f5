"""Is a model as good on quiet or loud examples as on those at -20 dBFS, when the examples are the
trainer's own? The same examples (one seed each) made at fixed loudness levels, scored as events.

    python scripts/level_examples.py [--model models/model.weights.h5] [--run training/run78] [--n 96]

Needs the training cache (`triggerword corpus --target cache`). The recipe is the run's, without its
sentences and mined negatives (so the cache alone is enough); only ``level_db`` changes from row to
row. A word's truth is where its label starts (the step after its end), scored as ``evaluate`` does.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from triggerword import evaluate as ev, params, train  # noqa: E402
from triggerword.model import load_model_f  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/model.weights.h5")
    parser.add_argument("--run", default="training/run78", help="run whose recipe makes the examples")
    parser.add_argument("--corpus", default="cache/corpus")
    parser.add_argument("--n", type=int, default=96)
    parser.add_argument("--levels", nargs="+", type=float, default=[-38, -30, -25, -20, -16, -13, -10, -7])
    args = parser.parse_args(argv)
    recipe = dict(train.RECIPE)
    recipe.update(json.load(open(os.path.join(args.run, "recipe.json")))["recipe"])
    recipe.update(sentence_sets=[], sentence_negatives=[0, 0], sentence_positives=[0, 0], hard_negatives=[])
    corpus = train.load_corpus(args.corpus, recipe, warn=lambda m: None)
    model = load_model_f(args.model)
    print(f"{args.n} examples of {args.run}'s recipe (no sentences, no mined negatives), {args.model}, at 0.5:")
    for level in args.levels:
        r = dict(recipe, level_db=[level, level])
        xs, truths = [], []
        for i in range(args.n):
            x, y = train.make_training_example(corpus, np.random.default_rng(1000 + i), r)
            xs.append(x.astype(np.float32))
            y = np.asarray(y).reshape(-1)
            starts = np.flatnonzero(np.diff(np.concatenate([[0], y])) > 0)
            truths.append([s * params.STEP_S * 1000 for s in starts])
        s = ev.score_clips(list(ev.predict_keras(model, xs)), truths)
        print(f"  {level:g} dBFS: precision {s['precision']:.3f}  recall {s['recall']:.3f}  F1 {s['f1']:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
