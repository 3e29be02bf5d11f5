"""How heavy-tailed is each frequency bin of the input? Mean, median, 99th percentile and largest value.

    python scripts/bin_tails.py RUN [CORPUS]

Makes 64 training examples of ``RUN/recipe.json``'s recipe from ``CORPUS`` (default ``cache/corpus``)
with the draw ``train.bin_scale`` uses for seed 12, and prints, for every tenth bin, its mean and how
far its median, 99th percentile and largest value lie from the mean. Linear power: most steps of a bin
lie far below its mean and a few far above, which dividing each bin by its mean (``input_norm``) does
not change. Seeds are fixed: the same corpus gives the same figures.
"""
import json
import sys

import numpy as np

from triggerword import params
from triggerword.train import load_corpus, make_training_example


def main(argv):
    if not argv or len(argv) > 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    with open(f"{argv[0]}/recipe.json") as f:
        recipe = json.load(f)["recipe"]
    corpus = load_corpus(argv[1] if len(argv) > 1 else "cache/corpus", recipe, warn=lambda *a: None)
    rng = np.random.default_rng([12, 101])
    x = np.concatenate([make_training_example(corpus, rng, recipe)[0] for _ in range(64)])
    mean = x.mean(axis=0, dtype=np.float64)
    print("bin |    Hz |     mean | median/mean | p99/mean | max/mean")
    for b in range(0, params.N_FREQ, 10):
        hz = b * params.SAMPLE_RATE / 2 / (params.N_FREQ - 1)
        print(f"{b:3d} | {hz:5.0f} | {mean[b]:8.3g} | {np.median(x[:, b]) / mean[b]:11.4f} | "
              f"{np.percentile(x[:, b], 99) / mean[b]:8.1f} | {x[:, b].max() / mean[b]:8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
