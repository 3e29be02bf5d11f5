"""Find the training negatives a model fires on, so that the trainer draws them more often.

    triggerword mine --model training/run17/keras/model.weights.h5 --corpus cache/corpus \\
        --sentence-sets with,without,more,near --out training/run19/mined.json

then train with ``--set 'hard_negatives="training/run19/mined.json"' --set hard_weight=8``.

Why: false alarms come from a few sounds that resemble the word ("activity", "captivate", "a cat
came..."), and examples drawn at random meet each of them rarely. Wake-word trainers feed the
model's own false activations back as negatives (Mycroft Precise's incremental training does); this
is the same idea on our corpus, with no new audio.

How each clip is scored: every negative word (``<corpus>/negatives``) and every sentence without
the word (``<corpus>/sentences``, the batches of ``--sentence-sets``) is placed alone 1 s into
10 s of one of the corpus's backgrounds (chosen, with its offset and gain, from the seed and the
clip's index), the mix is set to -20 dBFS as the workbook's clips are, and the score is the model's
highest output from the clip's start to 1 s after its end. The output file lists every clip's
score; ``Corpus.add_hard`` (``triggerword.train``) adds round(hard_weight * score) more copies of each.
"""
import argparse
import json
import os
import sys

import numpy as np

from triggerword import params

START_MS = 1000
AFTER_MS = 1000


def score_window(probabilities, start_ms, length_ms):
    """Highest output from ``start_ms`` to ``AFTER_MS`` after the clip's end (output steps of 10 s / TY)."""
    first = int(start_ms * params.TY / params.CLIP_MS)
    last = min(params.TY, int((start_ms + length_ms + AFTER_MS) * params.TY / params.CLIP_MS) + 1)
    return float(np.max(probabilities[first:last]))


def clip_features(clip, backgrounds, rng):
    """Features of ``clip`` (int16) alone on a background, 1 s in, the mix at -20 dBFS."""
    from triggerword.synth import db_to_gain, features, normalise, overlay
    from triggerword.train import RECIPE, random_background
    mix = random_background(backgrounds, rng) * db_to_gain(rng.uniform(*RECIPE["background_db"]))
    overlay(mix, clip.astype(np.float32) / 32768.0, START_MS)
    return features(np.clip(normalise(mix, params.TARGET_DBFS), -1.0, 32767 / 32768))


def mine(net, corpus, seed=0, batch_size=16, progress=True):
    """{name: score} for every negative word and sentence without the word of ``corpus``."""
    from tqdm import tqdm
    from triggerword.train import predict_torch
    items = list(zip(corpus.negative_names, corpus.negatives)) + list(zip(corpus.sentence_names, corpus.sentences))
    scores = {}
    for i in tqdm(range(0, len(items), batch_size), desc="mining", unit="batch", disable=not progress):
        batch = items[i:i + batch_size]
        feats = np.stack([clip_features(clip, corpus.backgrounds, np.random.default_rng([seed, i + j]))
                          for j, (_, clip) in enumerate(batch)])
        for (name, clip), probs in zip(batch, predict_torch(net, feats, batch_size)):
            scores[name] = round(score_window(probs, START_MS, len(clip) * 1000 // params.SAMPLE_RATE), 4)
    return scores


def main(argv=None):
    parser = argparse.ArgumentParser(prog="triggerword mine", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="model_f weights (.weights.h5 or .keras)")
    parser.add_argument("--corpus", default="cache/corpus", help="the training corpus the run will read")
    parser.add_argument("--sentence-sets", default="with,without",
                        help="batches of <corpus>/sentences to score, as the recipe's sentence_sets (comma-separated)")
    parser.add_argument("--out", required=True, help="the JSON file to write (never overwritten)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="PyTorch threads (default: all cores)")
    args = parser.parse_args(argv)
    if os.path.exists(args.out):
        print(f"triggerword mine: {args.out}: exists; give another --out (it is not overwritten)", file=sys.stderr)
        return 1
    import torch
    from triggerword.model import ModelFileError, load_model_f
    from triggerword.torch_model import from_keras
    from triggerword.train import Corpus, CorpusError
    try:
        net = from_keras(load_model_f(args.model))
        corpus = Corpus(args.corpus, sentence_sets=tuple(s for s in args.sentence_sets.split(",") if s))
    except (ModelFileError, CorpusError) as exc:
        print(f"triggerword mine: {exc}", file=sys.stderr)
        return 1
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads or max(1, os.cpu_count() or 2))
    scores = mine(net, corpus, args.seed)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    hot = sum(s >= params.DEFAULT_THRESHOLD for s in scores.values())
    print(f"{len(scores)} clips scored; {hot} reach {params.DEFAULT_THRESHOLD} "
          f"({sum(s >= 0.1 for s in scores.values())} reach 0.1). Highest:")
    for name, score in ranked[:12]:
        print(f"  {score:.3f}  {name}")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out + ".tmp", "w") as f:
        json.dump({"model": args.model, "corpus": args.corpus, "seed": args.seed,
                   "sentence_sets": args.sentence_sets.split(","), "start_ms": START_MS, "after_ms": AFTER_MS,
                   "scores": dict(sorted(scores.items()))}, f, indent=0)
    os.replace(args.out + ".tmp", args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
