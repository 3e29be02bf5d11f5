"""Carry a corpus folder to another machine as Opus, about a sixteenth of its WAV size, and back.

    python scripts/gpu_pair/corpus_opus.py pack cache/corpus gpu/corpus.tgz     # WAV -> Ogg Opus (ffmpeg)
    python3 scripts/gpu_pair/corpus_opus.py unpack gpu/corpus.tgz cache/corpus  # there: Opus -> WAV (soundfile)

Why: the trainer needs the corpus on the machine it trains on, and a machine lent for an hour may
take only tens of megabytes. Opus is lossy: a packed and unpacked clip's log spectrogram (the
features the network sees) differs from the original's by about 1 dB on its loud cells at 40 kbit/s,
far less than the recipe's own colouring, reverberation and noise move it; but a run trained on an
unpacked corpus is not the run the WAV corpus would give, and its plan must say so.

``pack`` resamples each clip to 48 kHz (Opus's own rate), encodes speech at 40 kbit/s and the
backgrounds (noise, which Opus spends more bits on) at 64 kbit/s, copies every other file
(manifests, ``labels.json``) as it is and writes ``lengths.json``, each clip's length in samples;
hidden folders (the corpus's ``.work``) stay behind. ``unpack`` decodes back to 44,100 Hz 16-bit mono
WAV of exactly that length. Either end may be a folder or a ``.tgz`` (one file travels lighter than
thousands: the 785 MB corpus packs into 48 MB). It refuses to write into a folder that already holds
WAV files, or over an existing ``.tgz`` (no user file is overwritten).

Runs 35-38 and 46-48 were trained from an earlier packer (speech at 24 kHz by libsndfile's
compression levels; ``scripts/gpu_pair/pack.py`` as of commit 06babef); run73 on from this one.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import ProcessPoolExecutor

import numpy as np

RATE = 44100


def _wavs(root):
    """Every file under ``root`` (relative paths), leaving out hidden folders such as the corpus's ``.work``."""
    for folder, subs, files in os.walk(root):  # top-down: pruning subs skips the hidden folders
        subs[:] = sorted(s for s in subs if not s.startswith("."))
        for name in sorted(files):
            yield os.path.relpath(os.path.join(folder, name), root)


class PackError(RuntimeError):
    """A clip that cannot be packed or unpacked; its message names the file."""


def _encode(job):
    src, dst, kbps = job
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    try:
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", src, "-ac", "1", "-ar", "48000", "-c:a", "libopus",
                        "-b:a", f"{kbps}k", "-map_metadata", "-1", "-fflags", "+bitexact", dst],
                       check=True, capture_output=True)
    except FileNotFoundError:
        raise PackError("ffmpeg not found (apt-get install ffmpeg)") from None
    except subprocess.CalledProcessError as exc:
        raise PackError(f"{src}: ffmpeg could not encode it ({exc.stderr.decode(errors='replace').strip()})") from None


def _decode(job):
    import soundfile as sf
    from scipy.io import wavfile
    from scipy.signal import resample_poly
    src, dst, length = job
    try:
        x, rate = sf.read(src, dtype="float64", always_2d=True)
    except (sf.LibsndfileError, OSError) as exc:
        raise PackError(f"{src}: not a readable Ogg Opus file ({exc})") from None
    if rate != 48000:
        raise PackError(f"{src}: {rate} Hz, not 48000")
    y = resample_poly(x[:, 0], 147, 160)[:length]  # 44,100 / 48,000 = 147 / 160
    y = np.pad(y, (0, length - len(y)))
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    wavfile.write(dst, RATE, np.clip(np.round(y * 32768), -32768, 32767).astype(np.int16))


def _run(fn, work, jobs):
    if jobs <= 1:
        for job in work:
            fn(job)
    else:
        with ProcessPoolExecutor(jobs) as pool:
            list(pool.map(fn, work, chunksize=16))


def pack(src, dst, jobs):
    if dst.endswith(".tgz"):
        if os.path.exists(dst):
            sys.exit(f"corpus_opus: {dst}: already exists; give a new name")
        with tempfile.TemporaryDirectory() as tmp:
            pack(src, os.path.join(tmp, "corpus"), jobs)
            with tarfile.open(dst + ".part", "w:gz", compresslevel=1) as tar:
                tar.add(os.path.join(tmp, "corpus"), arcname="corpus")
            os.replace(dst + ".part", dst)
        print(f"wrote {dst} ({os.path.getsize(dst) / 1e6:.1f} MB)")
        return
    from scipy.io import wavfile
    lengths, work = {}, []
    for rel in _wavs(src):
        path = os.path.join(src, rel)
        if rel.lower().endswith(".wav"):
            try:
                rate, data = wavfile.read(path, mmap=True)
            except (ValueError, OSError) as exc:
                raise PackError(f"{path}: not a readable WAV ({exc})") from None
            if rate != RATE:
                sys.exit(f"corpus_opus: {path}: {rate} Hz (the corpus is {RATE} Hz)")
            lengths[rel] = int(data.shape[0])
            kbps = 64 if rel.split(os.sep)[0] == "backgrounds" else 40
            work.append((path, os.path.join(dst, rel[:-4] + ".ogg"), kbps))
        else:
            os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
            shutil.copyfile(path, os.path.join(dst, rel))
    _run(_encode, work, jobs)
    with open(os.path.join(dst, "lengths.json"), "w") as f:
        json.dump(lengths, f, indent=0, sort_keys=True)
    print(f"packed {len(work)} clips of {src} into {dst}")


def unpack(src, dst, jobs):
    if src.endswith(".tgz"):
        with tempfile.TemporaryDirectory() as tmp:
            with tarfile.open(src) as tar:
                tar.extractall(tmp, filter="data")
            tops = os.listdir(tmp)  # pack writes one folder, "corpus"; a hand-made tar may name it otherwise
            if len(tops) != 1 or not os.path.isfile(os.path.join(tmp, tops[0], "lengths.json")):
                sys.exit(f"corpus_opus: {src}: not a packed corpus (one folder holding lengths.json)")
            return unpack(os.path.join(tmp, tops[0]), dst, jobs)
    with open(os.path.join(src, "lengths.json")) as f:
        lengths = json.load(f)
    if os.path.isdir(dst) and any(n.lower().endswith(".wav") for n in _wavs(dst)):
        sys.exit(f"corpus_opus: {dst}: already holds WAV files; unpack into an empty folder")
    work = [(os.path.join(src, rel[:-4] + ".ogg"), os.path.join(dst, rel), n) for rel, n in lengths.items()]
    for rel in _wavs(src):
        if not rel.endswith(".ogg") and rel != "lengths.json":
            os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
            shutil.copyfile(os.path.join(src, rel), os.path.join(dst, rel))
    _run(_decode, work, jobs)
    print(f"unpacked {len(work)} clips of {src} into {dst}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("pack", "unpack"))
    parser.add_argument("src")
    parser.add_argument("dst")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    if not (os.path.isdir(args.src) or (args.action == "unpack" and os.path.isfile(args.src))):
        sys.exit(f"corpus_opus: {args.src}: no such folder")
    try:
        (pack if args.action == "pack" else unpack)(args.src, args.dst, args.jobs)
    except PackError as exc:
        sys.exit(f"corpus_opus: {exc}")


if __name__ == "__main__":
    main()
