"""Peak memory of training, side by side with the original's way of holding the training set.

    python benchmarks/bench_train_memory.py [--corpus cache/corpus] [--recipe training/run116]
        [--examples 4000] [--raw raw_data] [--ref-examples 100 200 400] [--json OUT]

1. ours: one real epoch of ``triggerword train`` (``--epochs 1 --dev none``, the recipe of
   ``--recipe``, ``--examples`` examples made on the fly), in a run folder in a temporary directory
   that is deleted afterwards. Its process and the data worker it starts are sampled from ``/proc``
   four times a second: the peak resident memory (RSS) of the main process, and the peak of the
   proportional set size (PSS) summed over the process tree, which counts the pages the worker shares
   with its parent once (their RSS summed would count them twice).
2. the reference: the original workbook's way, a float64 X of shape (n, 5511, 101) filled with
   examples from ``raw_data/`` and held in memory for ``model.fit``. Each n of ``--ref-examples`` is
   measured in a fresh process (its peak RSS, ``VmHWM``); the straight line through them gives the
   cost of one more example, and from it the peak at ``--examples``, which is printed as
   extrapolated: 4,000 examples would need about 18 GB, more than this machine can spare beside
   anything else, and ``model.fit`` copies its input again on top of that.

The ratio is the reference's over ours. Nothing is asserted here (``tests/test_train.py`` runs a
small version and checks the figures mean what they say); this measures the cost. Linux only.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
KB = 1024 / 1e6  # a /proc kB (KiB) in MB (10^6 bytes), the unit the README uses


def _status_kb(pid, key):
    """A ``VmRSS``/``VmHWM`` line of /proc/PID/status in kB (0 once the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(root):
    """``root`` and every process below it, from the parent pids in /proc/*/stat."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def measure_ours(corpus, recipe, examples, threads, seed=0):
    """One epoch of ``triggerword train``: peak RSS of the main process, peak PSS of the tree (MB)."""
    tmp = tempfile.mkdtemp(prefix="bench_train_memory_")
    run = os.path.join(tmp, "run")
    cmd = [sys.executable, "-m", "triggerword", "train", "--corpus", corpus, "--epochs", "1",
           "--examples", str(examples), "--seed", str(seed), "--dev", "none", "--run", run]
    if recipe:
        cmd += ["--recipe", recipe]
    if threads:
        cmd += ["--threads", str(threads)]
    log_path = os.path.join(tmp, "train.log")
    peak_main = peak_tree_pss = peak_tree_rss = 0
    start = time.perf_counter()
    try:
        with open(log_path, "w") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
            while proc.poll() is None:
                pids = _tree(proc.pid)
                peak_main = max(peak_main, _status_kb(proc.pid, "VmHWM"))  # the kernel's own peak of RSS
                peak_tree_pss = max(peak_tree_pss, sum(_pss_kb(p) for p in pids))
                peak_tree_rss = max(peak_tree_rss, sum(_status_kb(p, "VmRSS") for p in pids))
                time.sleep(0.25)
        seconds = time.perf_counter() - start
        with open(log_path, errors="replace") as f:
            tail = f.read()[-600:]
        done = proc.returncode == 0 and os.path.exists(os.path.join(run, "log.csv"))
        if not done:
            raise SystemExit(f"bench_train_memory: `{' '.join(cmd)}` failed (exit {proc.returncode}):\n{tail}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"examples": examples, "seconds": round(seconds, 1), "peak_main_rss_mb": peak_main * KB,
            "peak_tree_pss_mb": peak_tree_pss * KB, "peak_tree_rss_mb": peak_tree_rss * KB,
            "command": " ".join(cmd[1:])}


def reference_x(raw, n, seed=0):
    """In this process: the original's float64 X of n examples from ``raw``; returns its peak RSS (MB)."""
    sys.path.insert(0, str(ROOT))
    from triggerword import params, synth
    from triggerword.train import _as_float, load_folder

    act, neg, bgs = (load_folder(os.path.join(raw, d)) for d in ("activates", "negatives", "backgrounds"))
    act, neg, bgs = ([_as_float(x) for x in xs] for xs in (act, neg, bgs))
    rng = np.random.default_rng(seed)
    X = np.zeros((n, params.TX, params.N_FREQ), dtype=np.float64)  # the original's dtype
    Y = np.zeros((n, params.TY, 1), dtype=np.float64)
    for i in range(n):
        samples, y, _ = synth.make_example(bgs[i % len(bgs)], act, neg, rng)
        X[i] = synth.features(samples)
        Y[i, :, 0] = y
    assert X.any()  # every page written, as a filled training set is
    return _status_kb(os.getpid(), "VmHWM") * KB


def measure_reference(raw, ns):
    """Peak RSS of the reference at each n (a fresh process each), and the straight line through them."""
    points = []
    for n in ns:
        out = subprocess.run([sys.executable, __file__, "--_reference", str(n), "--raw", raw],
                             capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            raise SystemExit(f"bench_train_memory: the reference at n={n} failed:\n{out.stderr[-600:]}")
        points.append((n, float(out.stdout.strip().splitlines()[-1])))
    if len(points) < 2:
        raise SystemExit("bench_train_memory: --ref-examples needs two or more sizes to draw a line")
    slope, intercept = np.polyfit(*zip(*points), 1)
    return {"points": [{"examples": n, "peak_rss_mb": m} for n, m in points],
            "mb_per_example": float(slope), "intercept_mb": float(intercept)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="cache/corpus")
    ap.add_argument("--recipe", default="training/run116", help="run folder or recipe.json ('' for the defaults)")
    ap.add_argument("--examples", type=int, default=4000, help="examples in ours' one epoch")
    ap.add_argument("--threads", type=int, default=0, help="--threads for the trainer (0: its default)")
    ap.add_argument("--raw", default="raw_data", help="the reference's words and backgrounds")
    ap.add_argument("--ref-examples", type=int, nargs="+", default=[100, 200, 400])
    ap.add_argument("--json", default=None, help="also write the figures here")
    ap.add_argument("--_reference", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._reference is not None:
        print(reference_x(args.raw, args._reference))
        return
    if not os.path.exists("/proc/self/smaps_rollup"):
        raise SystemExit("bench_train_memory: needs Linux's /proc (smaps_rollup) to measure memory")

    ref = measure_reference(args.raw, args.ref_examples)
    ours = measure_ours(args.corpus, args.recipe, args.examples, args.threads)
    ref_at = ref["intercept_mb"] + ref["mb_per_example"] * args.examples
    result = {"ours": ours, "reference": ref, "reference_at_examples_mb": ref_at,
              "ratio_reference_over_ours": ref_at / ours["peak_tree_pss_mb"]}
    print(f"ours: `{ours['command']}`, {ours['seconds']} s")
    print(f"  peak RSS of the main process {ours['peak_main_rss_mb']:.0f} MB; peak PSS of the process "
          f"tree (main + data worker) {ours['peak_tree_pss_mb']:.0f} MB (their RSS summed: "
          f"{ours['peak_tree_rss_mb']:.0f} MB)")
    print("reference (float64 X held in memory): " + ", ".join(
        f"{p['examples']} examples {p['peak_rss_mb']:.0f} MB" for p in ref["points"]))
    print(f"  {ref['mb_per_example']:.2f} MB per example; at {args.examples} examples "
          f"{ref_at / 1000:.1f} GB (extrapolated)")
    print(f"ratio, reference / ours (tree PSS): {result['ratio_reference_over_ours']:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
