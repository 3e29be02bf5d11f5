"""``triggerword average``: the plain mean of several ``model_f`` weight files ("model soup").

    triggerword average training/run27/keras/model.weights.h5 training/run28/keras/model.weights.h5 \\
        --out cache/soup1

Every weight array is averaged, BatchNorm's moving mean and variance included, with equal shares
(``--shares`` gives others). It makes sense only for models fine-tuned from one starting point: two
models trained apart from scratch share no basin, and their mean is no model at all. The output
folder gets ``model.json``, ``model.weights.h5`` and ``model.keras`` (``triggerword.model.save_model_f``)
and an ``average.json`` naming its parts; a folder already holding any of these four is left as it is.
``--calibrate T`` then shifts the output layer's bias as ``triggerword train --export --calibrate`` does,
so that 0.5 on the average fires where T fired on it (how ``models/`` ships an average).
"""
import argparse
import json
import math
import os
import sys

from triggerword.checks import folder_problem
from triggerword.model import MODEL_FILES, ModelFileError, load_model_f, save_model_f

OUT_FILES = MODEL_FILES + ("average.json",)  # what --out gets


def check_shares(shares, n):
    """``shares`` as floats, or ValueError unless they are n finite numbers >= 0 summing to 1."""
    shares = [float(s) for s in shares]
    if (len(shares) != n or not all(math.isfinite(s) and s >= 0 for s in shares)
            or abs(sum(shares) - 1) > 1e-6):
        raise ValueError(f"shares {shares} must be one per model, each a number >= 0 (not nan or inf), summing to 1")
    return shares


def out_problem(out):
    """One line saying why ``--out OUT`` cannot take the average, or None when it can (missing
    folders are fine: they are made)."""
    problem = folder_problem(out, "--out")
    if problem:
        return problem
    for name in OUT_FILES:
        target = os.path.join(out, name)
        if os.path.lexists(target):
            return (f"{target}: already exists; averaging writes {', '.join(OUT_FILES)} "
                    "only into a folder holding none of them: give another --out")
    return None


def average_weights(models, shares=None):
    """The weighted mean of the models' weight lists (``get_weights()``); shares sum to 1."""
    import numpy as np
    if not models:
        raise ValueError("no models to average")
    shares = [1.0 / len(models)] * len(models) if shares is None else check_shares(shares, len(models))
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
    problem = out_problem(args.out)
    if problem:
        print(f"triggerword average: {problem}", file=sys.stderr)
        return 2
    shares = args.shares or [1 / len(args.models)] * len(args.models)
    try:
        shares = check_shares(shares, len(args.models))
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
    try:
        save_model_f(out, args.out)
        with open(os.path.join(args.out, "average.json"), "w") as f:
            json.dump({"models": [os.fspath(p) for p in args.models], "shares": shares,
                       "calibrated_threshold": args.calibrate, "note": args.note}, f, indent=1)
            f.write("\n")
    except OSError as exc:  # a folder that cannot be made or written (permissions, full disk)
        print(f"triggerword average: --out {args.out}: cannot be written ({exc.strerror or exc})", file=sys.stderr)
        return 2
    print(f"{args.out}: mean of {len(args.models)} models"
          + (f"; 0.5 now means {args.calibrate} of the average's own output" if args.calibrate is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
