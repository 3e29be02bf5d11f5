"""Benchmarks of ``triggerword detect``: speed, whole-process time, memory and detection latency.

    python benchmarks/bench_detect.py [--model PATH] [--dev raw_data/dev] [--work DIR] [--skip-memory]
                                      [--only speed process memory latency]

1. compute time / audio duration on a 10-minute file (44.1 kHz and 16 kHz), in process, model
   already loaded (target: 0.02 or less on a 2-core machine);
2. the whole ``triggerword detect FILE --json`` process, start-up included, on 5 minutes of audio
   (44.1 kHz WAV, 16 kHz WAV, 16 kHz m4a when ffmpeg is there) over the audio's duration (target 0.1);
3. peak memory (max RSS) of the process for 1 and 20 minutes of audio: constant memory means equal;
4. detection latency after the end of the word: on the dev clips (``labels.json``: end of each
   "activate" in ms), the time of each hit minus the end of its word, median and quartiles, for the
   file mode (centred loudness window) and the microphone mode (trailing window). This needs a trained
   model: with random weights the number means nothing, and the script says so.
5. long audio: the dev clips (and ``cache/heldout/engine`` when it is there) end to end as one stream
   of several minutes, scored per ``--state`` (lanes, carry) and in the microphone mode (trailing
   window, ``--state lanes``) against the same clips run one by one.

The test audio is made here: speech (espeak-ng, else a synthetic voice) every 7 s over noise. Timings
are wall-clock on whatever else the machine is doing, with the CPU time beside them: on a shared
machine the CPU time is what the wall-clock time would be on an idle one (the detector uses one core).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from triggerword import params, stream  # noqa: E402


def make_audio(path, seconds, rate, work):
    """Speech every 7 s over noise, ``seconds`` long, 16-bit WAV at ``rate``; made once."""
    import soundfile
    from scipy.signal import resample_poly
    import streamkit
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    voice = streamkit.speech(work / "phrase.wav", "could you activate the lights in the kitchen", rng, 2.5)
    voice = resample_poly(voice, rate, params.SAMPLE_RATE) if rate != params.SAMPLE_RATE else voice
    with soundfile.SoundFile(path, "w", rate, 1, "PCM_16") as f:
        for start in range(0, int(seconds), 60):           # a minute at a time: constant memory here too
            n = int(min(60, seconds - start) * rate)
            x = rng.standard_normal(n) * 300
            for s in range(0, n - len(voice), 7 * rate):
                x[s:s + len(voice)] += voice
            f.write(np.clip(x / 32768, -1, 32767 / 32768))
    return path


def compute_ratio(path, weights, state="lanes"):
    """(wall s, CPU s, audio s) of one file in process."""
    t, c = time.perf_counter(), time.process_time()
    det = stream.detect_file(path, weights, state=state)
    return time.perf_counter() - t, time.process_time() - c, det.audio_s


def whole_process(path, model):
    """(wall s, CPU s of the process and its children such as ffmpeg, JSON output)."""
    import resource
    cmd = [sys.executable, "-m", "triggerword", "detect", str(path), "--json"]
    if model:
        cmd += ["--model", str(model)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if r.returncode != 0:
        raise SystemExit(f"detect failed on {path}: {r.stderr.strip()}")
    return wall, cpu, json.loads(r.stdout)


def peak_rss_mb(path, model):
    # VmHWM (peak resident memory) of this process alone; ru_maxrss would carry the parent's over exec
    code = ("import sys; from triggerword.detect import main; rc = main(sys.argv[1:]); "
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
            "print(hwm, file=sys.stderr); sys.exit(rc)")
    cmd = [sys.executable, "-c", code, str(path), "--json"] + (["--model", str(model)] if model else [])
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    return int(r.stderr.strip().splitlines()[-1]) / 1024


def detection_times(weights, data, rate, block=None, **options):
    """Detection times (s) of the stream over ``data`` (n,) or (n, channels), fed whole or in blocks."""
    det = stream.StreamingDetector(weights, rate, 1 if data.ndim == 1 else data.shape[1], **options)
    for start in range(0, len(data), block or len(data)):
        det.feed(data[start:start + (block or len(data))])
    det.finish()
    return [d.time_s for d in det.detections]


def latencies(weights, dev, mode):
    """Hit time minus word end (s) for every hit on the dev clips; and (hits, words, false alarms)."""
    from td_utils import match_events, read_wav
    labels = json.loads((dev / "labels.json").read_text())
    out, hits, words, fas = [], 0, 0, 0
    for name, ends_ms in sorted(labels.items()):
        rate, data = read_wav(dev / name)
        times = detection_times(weights, data, rate, mode=mode)
        ends = [e / 1000 for e in ends_ms]
        h, fa, miss = match_events(times, ends, params.HIT_BEFORE_S, params.HIT_AFTER_S)
        hits, words, fas = hits + h, words + h + miss, fas + fa
        used = set()
        for end in sorted(ends):                       # the same greedy matching as match_events
            for i, t in enumerate(sorted(times)):
                if i not in used and end - params.HIT_BEFORE_S <= t <= end + params.HIT_AFTER_S:
                    used.add(i)
                    out.append(t - end)
                    break
    return out, (hits, words, fas)


def long_stream(weights, folders):
    """The labelled clips of ``folders`` end to end as one stream: event scores per --state, and clip by clip.

    This is how the detector meets real audio (minutes, not 10-s clips); a state that drifts over
    minutes shows up here as lost hits or extra false alarms against the clip-by-clip score.
    """
    from td_utils import event_scores, match_events, read_wav
    pieces, ends, per_clip = [], [], [0, 0, 0]
    offset = 0.0
    for folder in folders:
        labels = json.loads((folder / "labels.json").read_text())
        for name, ends_ms in sorted(labels.items()):
            rate, data = read_wav(folder / name)
            assert rate == params.SAMPLE_RATE, name
            x = data[:params.CLIP_SAMPLES, 0]
            pieces.append(x)
            ends += [offset + e / 1000 for e in ends_ms]
            h, fa, m = match_events(detection_times(weights, x, rate), [e / 1000 for e in ends_ms],
                                    params.HIT_BEFORE_S, params.HIT_AFTER_S)
            per_clip = [per_clip[0] + h, per_clip[1] + fa, per_clip[2] + m]
            offset += len(x) / params.SAMPLE_RATE
    audio = np.concatenate(pieces)
    rows = {"clip by clip": per_clip}
    for state in ("lanes", "carry"):
        times = detection_times(weights, audio, params.SAMPLE_RATE, block=4410, state=state)
        rows[f"one stream, --state {state}"] = list(match_events(times, ends, params.HIT_BEFORE_S, params.HIT_AFTER_S))
    # the microphone's trailing loudness window, over minutes rather than from the start of each clip
    times = detection_times(weights, audio, params.SAMPLE_RATE, block=4410, mode="trailing")
    rows["one stream, microphone"] = list(match_events(times, ends, params.HIT_BEFORE_S, params.HIT_AFTER_S))
    print(f"   {len(audio) / params.SAMPLE_RATE / 60:.1f} min of audio, {len(ends)} activates")
    for label, (h, fa, m) in rows.items():
        sc = event_scores(h, fa, m)
        print(f"   {label:26s}: precision {sc['precision']:.3f} recall {sc['recall']:.3f} F1 {sc['f1']:.3f} "
              f"(hits {h}, false alarms {fa}, misses {m})")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="model_f weights (default models/model.weights.h5, else random weights)")
    parser.add_argument("--dev", default=str(ROOT / "raw_data" / "dev"))
    parser.add_argument("--work", default=str(ROOT / "cache" / "bench"))
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--long", nargs="*", default=[str(ROOT / "cache" / "heldout" / "engine")],
                        help="more labelled folders whose clips join the dev clips in the long-stream part")
    parser.add_argument("--only", nargs="+", choices=["speed", "process", "memory", "latency", "long"],
                        help="run only these parts (default: all)")
    args = parser.parse_args(argv)
    parts = set(args.only or ["speed", "process", "memory", "latency", "long"])
    if args.skip_memory:
        parts.discard("memory")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)

    model = Path(args.model) if args.model else stream.default_model_path()
    trained = model.exists()
    if not trained:
        import keras
        from triggerword.model import model_f, save_model_f
        keras.utils.set_random_seed(0)
        save_model_f(model_f(dropout=0.2), work, "random")
        model = work / "random.weights.h5"
        print(f"NOTE: no trained model found; using random weights ({model}). Speeds are valid, latency is not.")
    weights = stream.load_weights(model)
    print(f"model: {model}")

    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if "speed" in parts:
        print("\n1. compute time / audio duration, 10-minute files, model loaded")
    for rate in ((44100, 16000) if "speed" in parts else ()):
        path = make_audio(work / f"ten_min_{rate}.wav", 600, rate, work)
        for state in ("lanes", "carry"):
            dt, cpu, audio_s = compute_ratio(path, weights, state)
            print(f"   {rate:5d} Hz WAV, --state {state}: {dt:6.2f} s for {audio_s:.0f} s of audio "
                  f"-> {dt / audio_s:.4f} (CPU time {cpu:.2f} s -> {cpu / audio_s:.4f})")

    if "process" in parts:
        print("\n2. whole process (start-up included), 5 minutes of audio")
    files = [make_audio(work / f"five_min_{r}.wav", 300, r, work) for r in (44100, 16000)] if "process" in parts else []
    if files and shutil.which("ffmpeg"):
        m4a = work / "five_min_16000.m4a"
        if not m4a.exists():
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(files[1]), str(m4a)], check=True)
        files.append(m4a)
    for path in files:
        wall, cpu, out = whole_process(path, model)
        print(f"   {path.name:22s}: {wall:6.2f} s for {out['audio_s']:.0f} s -> {wall / out['audio_s']:.4f} "
              f"(CPU time {cpu:.2f} s -> {cpu / out['audio_s']:.4f}; compute_s {out['compute_s']:.2f})")

    if "memory" in parts:
        print("\n3. peak memory of the process (max RSS)")
        for minutes in (1, 20):
            path = make_audio(work / f"mem_{minutes}_min.wav", 60 * minutes, 16000, work)
            print(f"   {minutes:2d} min of 16 kHz audio: {peak_rss_mb(path, model):7.1f} MB")

    dev = Path(args.dev)
    if "long" in parts and (dev / "labels.json").exists():
        print("\n5. long audio: the labelled clips end to end as one stream")
        long_stream(weights, [dev] + [Path(f) for f in args.long if (Path(f) / "labels.json").exists()])
    if "latency" not in parts:
        return 0
    print("\n4. detection latency after the end of the word (dev clips)")
    if not (dev / "labels.json").exists():
        print(f"   no {dev / 'labels.json'}: skipped")
        return 0
    for mode in ("centered", "trailing"):
        lat, (hits, words, fas) = latencies(weights, dev, mode)
        label = "files (centred window)" if mode == "centered" else "microphone (trailing window)"
        if lat:
            q = np.percentile(lat, [25, 50, 75])
            print(f"   {label}: median {q[1]:+.3f} s (quartiles {q[0]:+.3f} .. {q[2]:+.3f}), "
                  f"hits {hits}/{words}, false alarms {fas}")
        else:
            print(f"   {label}: no hits ({hits}/{words}), false alarms {fas}")
    if not trained:
        print("   (random weights: these latencies mean nothing; rerun with the trained model)")
    print("   the microphone adds one block (100 ms) and the compute of one block on top of this")
    return 0


if __name__ == "__main__":
    sys.exit(main())
