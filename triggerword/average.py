"""``triggerword average``: the plain mean of several ``model_f`` weight files ("model soup").

    triggerword average training/run27/keras/model.weights.h5 training/run28/keras/model.weights.h5 \\
        --out cache/soup1

Every weight array is averaged, BatchNorm's moving mean and variance included, with equal shares
(``--shares`` gives others). It makes sense only for models fine-tuned from one starting point: two
models trained apart from scratch share no basin, and their mean is no model at all. The output
folder gets ``model.json``, ``model.weights.h5`` and ``model.keras`` (``triggerword.model.save_model_f``)
and an ``average.json`` naming its parts; a folder that already holds a model is left as it is.
``--calibrate T`` then shifts the output layer's bias as ``triggerword train --export --calibrate`` does,
so that 0.5 on the average fires where T fired on it (how ``models/`` ships an average).
"""
import argparse
import json
import os
import sys

from triggerword.model import ModelFileError, load_model_f, save_model_f


def average_weights(models, shares=None):
    """The weighted mean of the models' weight lists (``get_weights()``); shares sum to 1."""
    import numpy as np
    if not models:
        raise ValueError("no models to average")
    shares = [1.0 / len(models)] * len(models) if shares is None else [float(s) for s in shares]
    if len(shares) != len(models) or abs(sum(shares) - 1) > 1e-6 or min(shares) < 0:
        raise ValueError(f"shares {shares} must be one per model, each >= 0, summing to 1")
    lists = [m.get_weights() for m in models]
    return [sum(s * w[i].astype(np.float64) for s, w in zip(shares, lists)).astype(lists[0][i].dtype)
            for i in range(len(lists[0]))]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="triggerword average", description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+", help="model_f weight files (.weights.h5 or .keras)")
    ap.add_argument("--out", required=True, help="new folder for the averaged model")
    ap.add_argument("--shares", type=float, nargs="+", help="one share per model, summing to 1 (default equal)")
    ap.add_argument("--calibrate", type=float, metavar="T",
                    help="then shift the output layer's bias so that 0.5 means what T meant for the average")
    ap.add_argument("--note", default=None, help="where the parts come from, kept in average.json for the report")
    args = ap.parse_args(argv)
    if args.calibrate is not None and not 0.0 < args.calibrate < 1.0:
        print(f"triggerword average: --calibrate {args.calibrate}: give a threshold strictly between 0 and 1",
              file=sys.stderr)
        return 2
    if len(args.models) < 2:
        print("triggerword average: give at least two models", file=sys.stderr)
        return 2
    target = os.path.join(args.out, "model.weights.h5")
    if os.path.exists(target):
        print(f"{target}: already exists; averaging writes only into a folder without a model", file=sys.stderr)
        return 2
    shares = args.shares or [1 / len(args.models)] * len(args.models)
    try:
        models = [load_model_f(p) for p in args.models]
        weights = average_weights(models, shares)
    except (ModelFileError, ValueError) as exc:
        print(f"triggerword average: {exc}", file=sys.stderr)
        return 2
    out = models[0]
    out.set_weights(weights)
    if args.calibrate is not None:
        from triggerword.train import shift_threshold
        shift_threshold(out, args.calibrate)
    save_model_f(out, args.out)
    with open(os.path.join(args.out, "average.json"), "w") as f:
        json.dump({"models": [os.fspath(p) for p in args.models], "shares": shares,
                   "calibrated_threshold": args.calibrate, "note": args.note}, f, indent=1)
        f.write("\n")
    print(f"{args.out}: mean of {len(args.models)} models"
          + (f"; 0.5 now means {args.calibrate} of the average's own output" if args.calibrate is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
