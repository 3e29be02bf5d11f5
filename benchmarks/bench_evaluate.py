"""Peak memory and time of scoring a folder of clips: ``evaluate``'s way against the one it replaced.

    python benchmarks/bench_evaluate.py [--folder cache/real] [--clips 400] [--rounds 2] [--json OUT]

Each way runs in a fresh process (so one's peak cannot hide the other's), in turns, round by round,
on the first ``--clips`` clips of ``--folder`` (default: ``cache/real`` where it exists, otherwise
``raw_data/dev``'s clips copied round to that many in a temporary folder), with ``models/``:

- reference: what ``triggerword evaluate`` did until 2026-12-04: every clip's features read into a
  list (``read_clips``), stacked into one array and handed to ``model.predict`` in one call;
- ours: ``evaluate.read_and_predict``: 64 clips read, stacked and predicted at a time, their features
  dropped (the command keeps them only when ``--compare`` needs them).

Reported per way: peak resident memory of the process (``ru_maxrss``; TensorFlow alone takes several
hundred MB of it) and wall time, medians over the rounds, and the ratios reference / ours. The
probabilities of the two ways are compared too: the saving is worth nothing if they differ.
Nothing is asserted; the tests check the values (``test_prediction_in_chunks_...``), this measures the
cost.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import json, os, resource, sys, time
import numpy as np
sys.path.insert(0, {root!r})
from triggerword import evaluate
from triggerword.model import load_model_f
folder, names, way, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
model = load_model_f(os.path.join({root!r}, "models", "model.weights.h5"))
start = time.time()
if way == "reference":
    _, feats = evaluate.read_clips(folder, names)
    probs = model.predict(np.stack(feats), batch_size=8, verbose=0)[:, :, 0]
else:
    _, _, probs = evaluate.read_and_predict(model, folder, names)
seconds = time.time() - start
np.save(out, probs)
print(json.dumps({{"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def clips(folder, n, tmp):
    names = sorted(f for f in os.listdir(folder) if f.lower().endswith(".wav"))
    if len(names) >= n:
        return folder, names[:n]
    out = os.path.join(tmp, "clips")
    os.makedirs(out, exist_ok=True)
    made = []
    for i in range(n):
        made.append(f"{i:05d}.wav")
        shutil.copy(os.path.join(folder, names[i % len(names)]), os.path.join(out, made[-1]))
    return out, made


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    real = os.path.join(ROOT, "cache", "real")
    parser.add_argument("--folder", default=real if os.path.isdir(real) else os.path.join(ROOT, "raw_data", "dev"))
    parser.add_argument("--clips", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    import numpy as np
    with tempfile.TemporaryDirectory() as tmp:
        folder, names = clips(args.folder, args.clips, tmp)
        runs = {"reference": [], "ours": []}
        for r in range(args.rounds):
            for way in runs:
                out = os.path.join(tmp, f"{way}.npy")
                done = subprocess.run([sys.executable, "-c", CHILD.format(root=ROOT), folder, json.dumps(names), way, out],
                                      capture_output=True, text=True, check=True)
                runs[way].append(json.loads(done.stdout.strip().splitlines()[-1]))
                print(f"round {r + 1}, {way}: {runs[way][-1]['peak_mb']:.0f} MB, {runs[way][-1]['seconds']:.1f} s",
                      file=sys.stderr)
        diff = float(np.abs(np.load(os.path.join(tmp, "reference.npy")) - np.load(os.path.join(tmp, "ours.npy"))).max())
    med = {way: {k: statistics.median(x[k] for x in rows) for k in ("peak_mb", "seconds")} for way, rows in runs.items()}
    result = {"folder": args.folder, "clips": len(names), "rounds": args.rounds, **med,
              "memory_ratio": med["reference"]["peak_mb"] / med["ours"]["peak_mb"],
              "time_ratio": med["reference"]["seconds"] / med["ours"]["seconds"], "largest_difference": diff}
    print(f"| way | peak resident memory | wall time |\n|---|---|---|\n"
          f"| reference: read all, one predict | {med['reference']['peak_mb']:.0f} MB | {med['reference']['seconds']:.1f} s |\n"
          f"| ours: read_and_predict, 64 at a time | {med['ours']['peak_mb']:.0f} MB | {med['ours']['seconds']:.1f} s |\n"
          f"ratios reference / ours: memory {result['memory_ratio']:.2f}, time {result['time_ratio']:.2f}; "
          f"{len(names)} clips of {args.folder}; largest difference of the probabilities {diff:.2g}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
