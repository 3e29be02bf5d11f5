"""How often does an utterance in the training examples open with "activate"?

    python scripts/train_onsets.py training/run22/recipe.json [EXAMPLES]

Makes examples 0..EXAMPLES-1 (default 300) of epoch 1 with the run's recipe and seed from
``cache/corpus``, records where each take (word or sentence) goes, and counts the takes that open an
utterance (200 ms or more of silence before them, or first in the clip): how many of them are an
"activate" take (a take whose end is a labelled word end) and how many are something else.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import triggerword.synth as S  # noqa: E402
from triggerword import train  # noqa: E402


def main():
    run = json.load(open(sys.argv[1]))
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    recipe = dict(train.RECIPE)
    recipe.update(run["recipe"])
    corpus = train.Corpus(run.get("corpus", "cache/corpus"), sentence_sets=recipe.get("sentence_sets"))
    placed, made = [], {}
    overlay, make_example = S.overlay, S.make_example
    S.overlay = lambda mix, clip, start_ms: (placed.append((start_ms, S.ms_length(clip))), overlay(mix, clip, start_ms))[1]
    S.make_example = lambda *a, **k: made.__setitem__("last", make_example(*a, **k)) or made["last"]
    counts = {"activate": [0, 0], "other": [0, 0]}
    for i in range(n):
        placed.clear()
        train.make_training_example(corpus, np.random.default_rng([run["seed"], 1, i]), recipe)
        ends = made["last"][2]
        previous_end = -10 ** 6
        for start, length in sorted(placed):
            kind = "activate" if any(abs(start + length - 1 - e) <= 1 for e in ends) else "other"
            counts[kind][0] += start - previous_end >= 200
            counts[kind][1] += 1
            previous_end = max(previous_end, start + length - 1)
    for kind, (opening, total) in counts.items():
        print(f"{kind}: {opening} of {total} takes open an utterance ({opening / total:.2f})")
    word, other = counts["activate"][0], counts["other"][0]
    print(f"utterances that open with the word: {word} of {word + other} ({word / (word + other):.2f})")


if __name__ == "__main__":
    main()
