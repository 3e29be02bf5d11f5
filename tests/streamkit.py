"""Helpers shared by test_stream.py, test_cli.py, test_train.py and test_realspeech.py: a speech clip
made offline and a random-weight model_f, each made once per test run under pytest's base temporary
folder, and a steady tone no trained model fires on.

The tests of the streaming detector must not depend on the trained model's quality, so they use
``model_f`` with random weights; its first BatchNormalization is set to the statistics of the
clip's conv outputs so that the probabilities move with the audio instead of saturating.
"""
import os
import shutil
import subprocess

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from triggerword import params  # noqa: E402

RATE = params.SAMPLE_RATE


def say(text, path, voice="en-us", speed=150):
    """Speak ``text`` with espeak-ng into ``path``; return (rate, float samples 16-bit scale) or None."""
    if shutil.which("espeak-ng") is None:
        return None
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from td_utils import read_wav
    return read_wav(path)


def fake_voice(seconds, rng, rate=RATE):
    """A voiced, syllable-like signal for machines without espeak-ng (vowel formants, 4 syllables/s)."""
    t = np.arange(int(seconds * rate)) / rate
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    x = sum(np.sin(k * phase) / k for k in range(1, 25))
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 2
    return 6000 * x * envelope + rng.standard_normal(len(t)) * 50


def speech(path, text, rng, seconds, **kw):
    """1-D speech at 44.1 kHz (espeak-ng resampled, or ``fake_voice``)."""
    from scipy.signal import resample_poly
    got = say(text, path, **kw)
    if got is None:
        return fake_voice(seconds, rng)
    rate, data = got
    return resample_poly(data[:, 0], RATE, rate)


def quiet_clip(path, freq=200.0, rate=RATE):
    """A 10-s clip no trained model_f fires on: a steady tone holds no speech (the shipped run140, run116
    and run78 peak at 0.02-0.04 on one, where a background clip can reach 0.5: run140 on
    raw_data/backgrounds/001.wav)."""
    t = np.arange(params.CLIP_MS * rate // 1000) / rate
    return write_wav(path, 0.3 * 32767 * np.sin(2 * np.pi * freq * t), rate)


def write_wav(path, x, rate=RATE, subtype="PCM_16"):
    import soundfile
    x = np.asarray(x, dtype=np.float64)
    soundfile.write(path, np.clip(x / 32768.0, -1, 32767 / 32768), rate, subtype=subtype)
    return path


def speech_clip(base):
    """A 10-s, 44.1-kHz, 16-bit WAV: two phrases with "activate" over noise. Returns (path, word ends s)."""
    import json
    folder = base / "streamkit-speech"
    path, meta = folder / "clip.wav", folder / "ends.json"
    if meta.exists():
        return path, json.loads(meta.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    clip = rng.standard_normal(params.CLIP_SAMPLES) * 150.0          # room noise
    ends = []
    for start_s, text in ((0.8, "please activate the lights"), (5.5, "now activate")):
        s = speech(folder / "take.wav", text, rng, 2.0)[:int(4.0 * RATE)]
        a = int(start_s * RATE)
        clip[a:a + len(s)] += s
        ends.append(start_s + len(s) / RATE)
    write_wav(path, clip)
    meta.write_text(json.dumps(ends))
    return path, ends


def random_model(base):
    """Folder holding model_f with random weights (model.weights.h5, .keras, .json); made once."""
    folder = base / "streamkit-model"
    if (folder / "model.keras").exists():
        return folder
    import keras
    from td_utils import read_wav, spectrogram
    from triggerword.model import model_f, save_model_f
    from triggerword.stream import TARGET_MS
    keras.utils.set_random_seed(3)
    model = model_f(dropout=0.2)
    _, data = read_wav(speech_clip(base)[0])
    gain = np.sqrt(TARGET_MS / np.mean(data ** 2))
    x = spectrogram(np.clip(data[:, 0] * gain, -32768, 32767)).T.astype(np.float32)
    out = np.asarray(model.layers[1](x[None]))[0]          # conv outputs, to calibrate BatchNorm 1
    bn = model.layers[2]
    gamma, beta, _, _ = bn.get_weights()
    bn.set_weights([gamma, beta, out.mean(axis=0), out.var(axis=0)])
    save_model_f(model, folder)
    return folder
