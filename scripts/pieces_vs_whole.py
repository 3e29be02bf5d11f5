"""Does a model hear a voice's "activate" better read whole or built from pieces?

    python scripts/pieces_vs_whole.py [--model models/model.weights.h5] [--voices flite:rms flite:awb]
                                      [--sentences 12] [--snr 20]

For each voice, the first N dev sentences with one "activate" (`corpus.DEV_ONE`) are read whole
(`corpus._read_whole`, the held-out sets' `--whole`) and built from pieces (`corpus.speak_sentence`,
as `raw_data/dev/` is), each laid 0.5 s into one of the training corpus's backgrounds
(`cache/corpus/backgrounds/`, the same one for both readings of a sentence) at the given
speech-to-background ratio, with no room or microphone, and scored by the model's highest output in
the clip. Prints, per voice and way, how many clips reach 0.5 and the peaks. Deterministic (seed 1
per voice); writes nothing.
"""
import argparse
import glob
import os
import sys
import tempfile

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from triggerword import augment as A, corpus as C, evaluate as ev  # noqa: E402
from triggerword.model import load_model_f  # noqa: E402
from triggerword.voices import get_voice  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/model.weights.h5")
    parser.add_argument("--voices", nargs="+", default=["flite:rms", "flite:awb", "flite:slt", "flite:kal16"])
    parser.add_argument("--sentences", type=int, default=12)
    parser.add_argument("--snr", type=float, default=20.0)
    parser.add_argument("--backgrounds", default="cache/corpus/backgrounds")
    args = parser.parse_args(argv)
    bgs = sorted(glob.glob(os.path.join(args.backgrounds, "*.wav")))
    if not bgs:
        sys.exit(f"{args.backgrounds}: no backgrounds; make them with `triggerword corpus --target cache`")
    model = load_model_f(args.model)
    sr = C.SR
    with tempfile.TemporaryDirectory() as tmp:
        for vid in args.voices:
            row = get_voice(vid)
            feats = {"whole": [], "pieces": []}
            for how in feats:
                rng = np.random.default_rng(1)
                for i, text in enumerate(C.DEV_ONE[:args.sentences]):
                    params = C._draw(row, rng, 5)
                    spoken = C._read_whole(row, text, params) if how == "whole" else C.speak_sentence(row, text, rng, params)
                    if spoken is None:
                        continue
                    bg, _ = sf.read(bgs[i % len(bgs)], dtype="float32")
                    bg = np.resize(bg, 10 * sr)
                    x = A.set_level(spoken[0], -24)
                    mix = bg * 10 ** ((-24 - args.snr - C._band_db(bg)) / 20)
                    n = min(len(x), 9 * sr)
                    mix[sr // 2:sr // 2 + n] += x[:n]
                    path = os.path.join(tmp, "clip.wav")
                    sf.write(path, mix, sr)
                    feats[how].append(ev.clip_features(path))
            for how, f in feats.items():
                peaks = ev.predict_keras(model, f).max(axis=1)
                print(f"{vid:24s} {how:6s} {int(np.sum(peaks > 0.5)):2d} of {len(peaks)} reach 0.5  "
                      + " ".join(f"{p:.2f}" for p in peaks))


if __name__ == "__main__":
    main()
