"""BatchNorm statistics moved towards real speech (AdaBN): the weights stay, only the three
BatchNormalization layers' moving mean and variance are re-estimated on real people's speech.

    python scripts/adabn.py models/model.weights.h5 OUT.weights.h5 --share 0.5 [--stamps cache/stamps] [--clips 200]

The real speech is Tux Paint's spoken stamp descriptions (`triggerword realspeech --stamps`), never
the Asterisk prompts that `evaluate --real` scores. Its sentences are joined in the manifest's order
and cut into 10-s clips, prepared as the workbook prepares a clip (set to the same loudness). Layer
by layer, front to back (each layer's input depends on the statistics before it), the input of each
BatchNormalization layer is measured over every step of every clip, and its statistics become
``(1 - share) * trained + share * measured``. share 0 writes the model unchanged.
"""
import argparse
import csv
import os

import numpy as np
import soundfile as sf

from td_utils import samples_clip_spectrogram
from triggerword import params
from triggerword.model import load_model_f


def stamp_clips(folder, n):
    """Up to ``n`` model inputs (n, TX, N_FREQ) cut from the stamp sentences joined end to end."""
    with open(os.path.join(folder, "manifest.csv"), newline="") as f:
        names = [row["clip"] for row in csv.DictReader(f)]
    out, pending = [], np.zeros(0, np.float32)
    for name in names:
        x, rate = sf.read(os.path.join(folder, "sentences", name), dtype="float32")
        assert rate == params.SAMPLE_RATE, f"{name}: {rate} Hz"
        pending = np.concatenate([pending, x if x.ndim == 1 else x.mean(axis=1)])
        while len(pending) >= params.CLIP_SAMPLES and len(out) < n:
            out.append(samples_clip_spectrogram(pending[:params.CLIP_SAMPLES], params.TARGET_DBFS).T)
            pending = pending[params.CLIP_SAMPLES:]
        if len(out) == n:
            break
    return np.stack(out).astype(np.float32)


def adapt(model, feats, share, batch_size=8):
    """Move each BatchNormalization layer's statistics ``share`` of the way to those measured on ``feats``."""
    import keras
    for layer in [la for la in model.layers if isinstance(la, keras.layers.BatchNormalization)]:
        probe = keras.Model(model.inputs, layer.input)
        s = s2 = 0.0
        count = 0
        for i in range(0, len(feats), batch_size):
            h = np.asarray(probe(feats[i:i + batch_size], training=False), np.float64)
            h = h.reshape(-1, h.shape[-1])
            s, s2, count = s + h.sum(0), s2 + (h * h).sum(0), count + len(h)
        mean, var = s / count, s2 / count - (s / count) ** 2
        gamma, beta, old_mean, old_var = layer.get_weights()
        layer.set_weights([gamma, beta, ((1 - share) * old_mean + share * mean).astype(np.float32),
                           ((1 - share) * old_var + share * var).astype(np.float32)])
        print(f"{layer.name}: mean shift {np.abs(mean - old_mean).mean():.3f}, "
              f"variance ratio {np.median(var / old_var):.2f} (median over channels)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("weights")
    parser.add_argument("out")
    parser.add_argument("--share", type=float, default=0.5)
    parser.add_argument("--stamps", default="cache/stamps")
    parser.add_argument("--clips", type=int, default=200)
    args = parser.parse_args()
    if os.path.exists(args.out):
        raise SystemExit(f"adabn: {args.out}: already exists; not overwritten")
    feats = stamp_clips(args.stamps, args.clips)
    print(f"{len(feats)} clips of real speech from {args.stamps}")
    model = load_model_f(args.weights)
    adapt(model, feats, args.share)
    model.save_weights(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
