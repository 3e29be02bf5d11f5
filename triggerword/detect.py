"""``triggerword detect``: find "activate" in audio files of any length, rate and format.

    triggerword detect FILE... [--threshold T] [--chime OUT.wav] [--plot OUT.png] [--json] [--model PATH]

Each file streams through ``triggerword.stream.StreamingDetector`` in blocks (constant memory, so an
hour-long recording is fine). WAV (8/16/24/32-bit, float) and FLAC/OGG are read natively, any other
format through ffmpeg. Detection times are seconds from the start of the file.

Output, per file, one of:
- text (default): ``FILE: N detections in A s of audio (compute C s)`` then one line per detection;
- ``--json``: one JSON object per line,
  ``{"detections": [{"time_s": ..., "probability": ...}], "audio_s": ..., "compute_s": ...}``;
  with several files each object also has ``"file"``. ``probability`` is the peak of the run of
  steps above the threshold that the detection starts; ``compute_s`` is the wall time to decode
  and run the file (the model is loaded once, before).

A file that cannot be used gets one line on stderr naming it and the problem; the other files are
still processed and the exit code is 1. Pure silence is not an error: it gets a warning line and no
detections. No input file is ever written, nor any existing file unless ``--force``: the output
names are checked before any audio is read (``triggerword.checks.check_new_file``), and a bad one
stops the command with one line. With several files, ``--chime OUT.wav`` writes ``OUT-<file
stem>.wav`` for each (the same for ``--plot``); two inputs of the same stem are refused up front.
``--plot`` writes PNG, PDF or SVG, as its name ends.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small matrix products: threads only add waits

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from td_utils import AudioFileError  # noqa: E402
from triggerword import params  # noqa: E402


def build_parser():
    parser = argparse.ArgumentParser(
        prog="triggerword detect",
        description="Find the trigger word \"activate\" in audio files (any length, rate, format).")
    parser.add_argument("files", nargs="+", metavar="FILE", help="audio files (WAV natively; mp3, m4a... need ffmpeg)")
    parser.add_argument("--threshold", type=float, default=params.DEFAULT_THRESHOLD,
                        help="probability above which a chime goes (default %(default)s)")
    parser.add_argument("--chime", metavar="OUT.wav", help="write the audio (44.1 kHz, channel 0) with a chime at each detection")
    parser.add_argument("--plot", metavar="OUT.png", help="plot the probability over time with the detections")
    parser.add_argument("--force", action="store_true", help="replace --chime/--plot files that already exist")
    parser.add_argument("--json", action="store_true", help="one JSON object per file on stdout")
    parser.add_argument("--model", metavar="PATH", help="model_f weights (.weights.h5 or .keras; default models/model.weights.h5)")
    parser.add_argument("--state", choices=("lanes", "carry"), default="lanes",
                        help="lanes (default): two staggered GRU states restarted every 13.3 s, so every step "
                             "sees 3.3-10 s of context as in training; carry: one state for the whole file "
                             "(a third faster)")
    return parser


def output_path(pattern, src, several):
    """``pattern`` itself for one input; ``<stem>-<input stem><suffix>`` for several."""
    pattern = Path(pattern)
    if not several:
        return pattern
    return pattern.with_name(f"{pattern.stem}-{Path(src).stem}{pattern.suffix}")


PLOT_SUFFIXES = (".png", ".pdf", ".svg")


def planned_outputs(args):
    """{input: {"chime"|"plot": path}} for every input, or one line saying what is wrong with them."""
    from triggerword.checks import check_new_file
    several = len(args.files) > 1
    plan, taken = {}, {}
    for path in args.files:
        plan[path] = {}
        for kind, suffixes in (("chime", (".wav",)), ("plot", PLOT_SUFFIXES)):
            pattern = getattr(args, kind)
            if not pattern:
                continue
            out = output_path(pattern, path, several)
            problem = check_new_file(out, f"--{kind}", suffixes, inputs=args.files, force=args.force)
            if problem:
                return None, problem
            key = os.path.abspath(out)
            if key in taken:
                return None, (f"--{kind} {out}: {taken[key]} and {path} would both write it; "
                              "rename one or run them apart")
            taken[key] = path
            plan[path][kind] = out
    return plan, None


def write_chime(src, detections, out):
    """Write ``src`` (44.1 kHz, channel 0, 16-bit, as recorded) with a chime at each detection, streaming."""
    from triggerword.checks import replace_atomically
    from triggerword.stream import AudioReader, make_chime
    chime = make_chime(params.SAMPLE_RATE)
    starts = [int(round(d.time_s * params.SAMPLE_RATE)) for d in detections]
    with AudioReader(src) as reader:
        replace_atomically(out, lambda tmp: _chime_into(tmp, reader, starts, chime))


def _chime_into(tmp, reader, starts, chime):
    import soundfile
    from triggerword.stream import StreamResampler
    pos = 0
    with soundfile.SoundFile(tmp, "w", params.SAMPLE_RATE, 1, "PCM_16", format="WAV") as sink:
        resampler = None if reader.rate == params.SAMPLE_RATE else StreamResampler(reader.rate)

        def put(x):
            nonlocal pos
            x = np.array(x[:, 0], dtype=np.float64)
            for s in starts:                       # the chimes that overlap this block
                a, b = max(s, pos), min(s + len(chime), pos + len(x))
                if a < b:
                    x[a - pos:b - pos] += chime[a - s:b - s]
            sink.write(np.clip(x, -32768, 32767).astype(np.int16))
            pos += len(x)

        for block in reader:
            put(resampler.feed(block) if resampler else block)
        if resampler:
            tail = resampler.finish()
            if len(tail):
                put(tail)


def write_plot(src, det, out):
    """Plot the probability of every output step, the threshold and the detections."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from triggerword.stream import STREAM_STEP_S
    p = det.probabilities
    t = np.arange(len(p)) * STREAM_STEP_S
    group = max(1, len(p) // 20000)              # at most 20,000 points: keep each group's peak
    if group > 1:
        n = len(p) // group * group
        p, t = p[:n].reshape(-1, group).max(axis=1), t[:n:group]
    fig, ax = plt.subplots(figsize=(12, 3.5))
    ax.plot(t, p, lw=0.8, label="probability of \"activate\"")
    ax.axhline(det.threshold, color="grey", ls="--", lw=0.8, label=f"threshold {det.threshold}")
    for d in det.detections:
        ax.axvline(d.time_s, color="red", lw=0.8)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1)
    ax.set_title(f"{Path(src).name}: {len(det.detections)} detection(s) (red)")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    from triggerword.checks import replace_atomically
    try:
        replace_atomically(out, lambda tmp: fig.savefig(tmp, dpi=100))
    finally:
        plt.close(fig)


def run_file(path, weights, args, outs):
    """Detect in one file, writing ``outs`` ({"chime"|"plot": path}); return its result dict.
    Raises AudioFileError for an unusable file."""
    from triggerword.stream import detect_file
    start = time.perf_counter()
    det = detect_file(path, weights, args.threshold, keep_probabilities="plot" in outs, state=args.state)
    compute_s = time.perf_counter() - start
    if "chime" in outs:
        write_chime(path, det.detections, outs["chime"])
    if "plot" in outs:
        write_plot(path, det, outs["plot"])
    result = {"detections": [d.as_dict() for d in det.detections],
              "audio_s": round(det.audio_s, 3), "compute_s": round(compute_s, 3)}
    return result, det, outs


def main(argv=None):
    args = build_parser().parse_args(argv)
    plan, problem = planned_outputs(args)
    if problem:
        print(f"triggerword detect: {problem}", file=sys.stderr)
        return 2
    from triggerword.stream import load_for_command
    weights = load_for_command("triggerword detect", args.model, args.threshold)
    if weights is None:
        return 2
    several = len(args.files) > 1
    failed = 0
    for path in args.files:
        try:
            result, det, outs = run_file(path, weights, args, plan[path])
        except (AudioFileError, OSError) as exc:
            failed += 1
            message = str(exc) if isinstance(exc, AudioFileError) else f"{path}: {exc.strerror or exc}"
            print(f"triggerword detect: {message}", file=sys.stderr)
            continue
        except KeyboardInterrupt:
            print(f"triggerword detect: {path}: interrupted", file=sys.stderr)
            return 130
        if det.silent:
            print(f"triggerword detect: {path}: warning: pure silence (-inf dBFS), nothing to detect",
                  file=sys.stderr)
        if args.json:
            if several:
                result = {"file": path, **result}
            print(json.dumps(result), flush=True)
        else:
            n = len(result["detections"])
            print(f"{path}: {n} detection{'s' if n != 1 else ''} in {result['audio_s']:.1f} s of audio "
                  f"(compute {result['compute_s']:.2f} s)")
            for d in result["detections"]:
                print(f"  {d['time_s']:9.2f} s  {_clock(d['time_s'])}  probability {d['probability']:.2f}")
            for kind, out in outs.items():
                print(f"  {kind}: {out}")
            sys.stdout.flush()
    return 1 if failed else 0


def _clock(seconds):
    m, s = divmod(seconds, 60)
    h, m = divmod(int(m), 60)
    return f"{h:d}:{m:02d}:{s:05.2f}"


if __name__ == "__main__":
    sys.exit(main())
