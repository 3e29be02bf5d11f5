"""Benchmarks of the model's input, side by side with the references they replace.

    python benchmarks/bench_features.py [--raw raw_data] [--repeat 20] [--examples 20] [--json OUT]

1. spectrogram of one 10-s clip at 44,100 Hz: ``td_utils.spectrogram`` (compute only) against
   ``matplotlib.mlab.specgram`` (matplotlib's compute-only function, same arguments) and against
   ``plt.specgram`` on a new figure (what the original workbook's ``graph_spectrogram`` does: it draws
   the image to get the numbers). Wall time and CPU time (median of ``--repeat`` runs, after one warm-up),
   peak memory allocated during one call (``tracemalloc``, which sees numpy's buffers), and the largest
   relative difference of the values: the speed-up is worth nothing if the numbers differ.
2. one training example from ``raw_data/`` (background, 0-4 activates, 0-2 negatives, -20 dBFS, the
   spectrogram): the trainer's way (``triggerword.synth.make_example`` in numpy, then
   ``synth.features``, float32) against the original's way, rebuilt here as the reference (pydub
   segments overlaid, exported to a WAV file, read back, ``plt.specgram``, float64). Both draw the same
   placements from the same seed, so they make the same example; the script checks the labels agree and
   reports how far the two spectrograms differ (a word may start one sample apart: pydub truncates its
   position in ms to a sample, ``synth.overlay`` rounds it). Per example: wall and CPU time, peak memory, and the
   bytes of the finished input, with what 4,000 of them held at once would take (the original's X).

Ratios are reference / ours: above 1 means ours is faster or smaller. Timings are wall-clock on
whatever else the machine is doing, with the CPU time beside them (on a shared machine the CPU time is
the better guide); nothing here is asserted, the tests check the values, this measures the cost.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import mlab  # noqa: E402

import td_utils  # noqa: E402
from triggerword import params, synth  # noqa: E402
from triggerword.train import _as_float, load_folder  # noqa: E402

NFFT, FS, NOVERLAP = 200, 8000, 120  # the workbook's spectrogram arguments


def measure(fns, repeat):
    """For each name -> function: median wall and CPU seconds over ``repeat`` rounds, its peak bytes, its result.

    One warm-up call each, then the functions take turns, round by round, so that a machine that
    speeds up or slows down meanwhile treats them alike.
    """
    results = {name: fn() for name, fn in fns.items()}
    walls = {name: [] for name in fns}
    cpus = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            w, c = time.perf_counter(), time.process_time()
            results[name] = fn()
            walls[name].append(time.perf_counter() - w)
            cpus[name].append(time.process_time() - c)
    rows = {}
    for name, fn in fns.items():
        tracemalloc.start()
        fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows[name] = {"wall_s": statistics.median(walls[name]), "cpu_s": statistics.median(cpus[name]),
                      "peak_mb": peak / 1e6}
    return rows, results


def rel_diff(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def plt_specgram(x):
    fig = plt.figure()
    pxx = plt.specgram(x, NFFT=NFFT, Fs=FS, noverlap=NOVERLAP)[0]
    plt.close(fig)
    return pxx


def bench_spectrogram(x, repeat):
    rows, out = measure({
        "ours: td_utils.spectrogram": lambda: td_utils.spectrogram(x),
        "matplotlib.mlab.specgram": lambda: mlab.specgram(x, NFFT=NFFT, Fs=FS, noverlap=NOVERLAP)[0],
        "plt.specgram on a figure (the original's)": lambda: plt_specgram(x)}, repeat)
    ours, ref1, ref2 = out.values()
    diffs = {"matplotlib.mlab.specgram": rel_diff(ours, ref1),
             "plt.specgram on a figure (the original's)": rel_diff(ours, ref2)}
    return rows, diffs, ours.shape


def reference_example(background, activates, negatives, seed, wav_path):
    """The original workbook's way to one example, with pydub: the same draws as ``synth.make_example``."""
    rng = np.random.default_rng(seed)  # draws in make_example's order: picks, per-take gain, phrase or not, places
    mix = background - 20  # pydub: gain in dB
    y = np.zeros((1, params.TY), np.float32)
    picks = [(True, activates[i]) for i in rng.integers(len(activates), size=rng.integers(0, 5))]
    picks += [(False, negatives[i]) for i in rng.integers(len(negatives), size=rng.integers(0, 3))]
    for _ in picks:
        rng.uniform(0.0, 0.0)  # make_example's per-word gain, 0 dB here
    if picks:
        rng.random()  # make_example's "phrase or words placed alone"; alone, as the original places them
    previous = []
    for is_word, clip in picks:
        segment = synth.place(len(clip), previous, rng)
        if segment is None:
            continue
        previous.append(segment)
        mix = mix.overlay(clip, position=segment[0])
        if is_word:
            synth.insert_ones(y, segment[1])
    mix = mix.apply_gain(params.TARGET_DBFS - mix.dBFS)
    mix.export(wav_path, format="wav")
    _, data = td_utils.read_wav(wav_path)
    return plt_specgram(data[:, 0]), y


def our_example(background, activates, negatives, seed):
    rng = np.random.default_rng(seed)
    samples, y, _ = synth.make_example(background, activates, negatives, rng)
    return synth.features(samples), y


def bench_example(raw, n_examples, repeat):
    from pydub import AudioSegment

    folders = [os.path.join(raw, kind) for kind in ("activates", "negatives", "backgrounds")]
    act, neg, bgs = (load_folder(f) for f in folders)
    as_float = [[_as_float(c) for c in clips] for clips in (act, neg)]
    as_segment = [[AudioSegment(c.tobytes(), frame_rate=params.SAMPLE_RATE, sample_width=2, channels=1)
                   for c in clips] for clips in (act, neg)]
    for floats, segs in zip(as_float, as_segment):  # both measure a clip in whole ms, rounded alike
        if any(synth.ms_length(f) != len(s) for f, s in zip(floats, segs)):
            sys.exit("clip lengths in ms disagree between numpy and pydub: the placements would differ")
    bg = bgs[0][:params.CLIP_SAMPLES]
    bg_float = _as_float(bg)
    bg_seg = AudioSegment(bg.tobytes(), frame_rate=params.SAMPLE_RATE, sample_width=2, channels=1)

    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "train.wav")
        seeds = {"ours": iter(range(10 ** 6)), "ref": iter(range(10 ** 6))}
        rows, out = measure({
            "ours: synth.make_example + features (float32)":
                lambda: our_example(bg_float, *as_float, next(seeds["ours"])),
            "pydub + WAV + plt.specgram (the original's, float64)":
                lambda: reference_example(bg_seg, *as_segment, next(seeds["ref"]), wav)}, repeat)
        ours, ref = out.values()
        agree, diffs, words = 0, [], 0
        for seed in range(n_examples):
            (xo, yo), (xr, yr) = our_example(bg_float, *as_float, seed), reference_example(bg_seg, *as_segment, seed, wav)
            agree += bool(np.array_equal(yo.reshape(-1), yr.reshape(-1)))
            words += int(yr.sum()) // params.LABEL_STEPS  # about: a word near the end has fewer steps
            diffs.append(rel_diff(xo.T, xr))
    sizes = {"ours": ours[0].nbytes, "reference": ref[0].nbytes}
    return rows, sizes, agree, n_examples, diffs, words


def table(rows):
    ours = next(v for k, v in rows.items() if k.startswith("ours"))
    lines = ["| what | wall time | CPU time | peak memory | wall ratio (ref / ours) | CPU ratio | memory ratio |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, r in rows.items():
        ratio = ("", "", "") if name.startswith("ours") else (
            f"{r['wall_s'] / ours['wall_s']:.1f}", f"{r['cpu_s'] / ours['cpu_s']:.1f}",
            f"{r['peak_mb'] / ours['peak_mb']:.1f}")
        lines.append(f"| {name} | {r['wall_s'] * 1e3:.1f} ms | {r['cpu_s'] * 1e3:.1f} ms | {r['peak_mb']:.1f} MB | "
                     + " | ".join(ratio) + " |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--raw", default=str(ROOT / "raw_data"), help="the workbook's raw audio folder")
    ap.add_argument("--repeat", type=int, default=20, help="timed runs per function (median reported)")
    ap.add_argument("--examples", type=int, default=20, help="examples compared value by value")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args(argv)

    clip = os.path.join(args.raw, "dev", "001.wav")
    if not os.path.exists(clip):
        sys.exit(f"{clip}: not found; regenerate raw_data/ (README, \"Regenerating raw_data/\")")
    _, data = td_utils.read_wav(clip)
    x = data[:, 0].astype(np.float64)

    print(f"load average {os.getloadavg()[0]:.1f}; {len(x)} samples ({len(x) / params.SAMPLE_RATE:.0f} s at "
          f"{params.SAMPLE_RATE} Hz), NFFT={NFFT}, noverlap={NOVERLAP}\n")
    rows, diffs, shape = bench_spectrogram(x, args.repeat)
    print(f"1. spectrogram of {clip} -> {shape}")
    print(table(rows))
    for name, d in diffs.items():
        print(f"   largest relative difference from {name}: {d:.1e}")

    erows, sizes, agree, n, ediffs, words = bench_example(args.raw, args.examples, args.repeat)
    print(f"\n2. one training example from {args.raw}/ (first background, all activates and negatives)")
    print(table(erows))
    print(f"   labels equal in {agree} of {n} examples made from the same seeds (about {words} words labelled); spectrograms differ by at most "
          f"{max(ediffs):.1e} of their peak (pydub starts a word at the sample its ms position truncates to, "
          f"synth.overlay rounds it, so up to one sample later; and pydub rounds to 16 bits at every step)")
    per = {k: v / 1e6 for k, v in sizes.items()}
    print(f"   one input: ours {per['ours']:.2f} MB (float32), the original's {per['reference']:.2f} MB (float64); "
          f"4,000 held at once as the original's X: {per['reference'] * 4000 / 1e3:.1f} GB "
          f"(the trainer holds one batch of 32: {per['ours'] * 32:.0f} MB)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"spectrogram": rows, "spectrogram_rel_diff": diffs, "example": erows,
                       "example_bytes": sizes, "labels_equal": [agree, n], "words_labelled": words, "example_rel_diff_max": max(ediffs)},
                      f, indent=1)


if __name__ == "__main__":
    main()
