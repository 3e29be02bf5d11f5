"""The streaming engine gives the whole-clip model's probabilities, whatever the chunks, in bounded memory."""
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("soundfile")
pytest.importorskip("h5py")

sys.path.insert(0, str(Path(__file__).resolve().parent))  # streamkit.py sits beside this file
import streamkit  # noqa: E402
from td_utils import ChimeRule, chime_steps, read_wav, spectrogram  # noqa: E402
from triggerword import params, stream  # noqa: E402


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return streamkit.speech_clip(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return streamkit.random_model(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def weights(model_dir):
    return stream.load_weights(model_dir / "model.weights.h5")


@pytest.fixture(scope="module")
def keras_model(model_dir):
    """The Keras model_f, loaded once: its first predict traces the graph (slow on CPU)."""
    from triggerword.model import load_model_f
    return load_model_f(model_dir / "model.weights.h5")


@pytest.fixture(scope="module")
def keras_reference(keras_model, clip):
    """The workbook's detect_triggerword on the clip: pydub -20 dBFS, spectrogram, model.predict."""
    from pydub import AudioSegment
    from td_utils import match_target_amplitude
    model = keras_model
    segment = match_target_amplitude(AudioSegment.from_wav(clip[0]), -20.0)
    samples = np.array(segment.get_array_of_samples(), dtype=np.float64)
    x = spectrogram(samples).T[None].astype(np.float32)
    return model.predict(x, verbose=0)[0, :, 0]


def run_stream(weights, data, rate, chunks, **kw):
    det = stream.StreamingDetector(weights, rate, data.shape[1], keep_probabilities=True, **kw)
    i = 0
    for n in chunks:
        det.feed(data[i:i + n])
        i += n
        if i >= len(data):
            break
    if i < len(data):
        det.feed(data[i:])
    det.finish()
    return det


def test_stream_equals_whole_clip_model(weights, clip, keras_reference):
    """On a 10-s speech clip, the stream's probabilities equal the Keras whole-clip model's within 1e-4."""
    _, data = read_wav(clip[0])
    det = run_stream(weights, data, params.SAMPLE_RATE, [4410] * 200)
    p = det.probabilities
    assert p.shape == (params.TY,)
    assert keras_reference.std() > 0.005, "the reference should move with the audio, not saturate"
    assert np.abs(p - keras_reference).max() <= 1e-4
    assert [d.step for d in det.detections] == chime_steps(keras_reference, det.threshold)


def test_numpy_model_equals_keras_on_the_same_input(keras_model, weights):
    """model_f in numpy (BatchNorm folded, GRUs by hand) equals Keras on the same spectrogram."""
    rng = np.random.default_rng(0)
    x = (rng.gamma(0.5, 2000.0, size=(params.TX, params.N_FREQ))).astype(np.float32)
    ref = keras_model.predict(x[None], verbose=0)[0, :, 0]
    assert np.abs(stream.predict_clip(weights, x) - ref).max() <= 1e-4


@pytest.mark.parametrize("chunks", [[313] * 2000, [65536] * 20, [441000],
                                    list(np.random.default_rng(1).integers(1, 30000, 300))])
def test_chunk_size_does_not_matter(weights, clip, chunks):
    """Any chunking gives the same probabilities and the same detections as one piece."""
    _, data = read_wav(clip[0])
    one = run_stream(weights, data, params.SAMPLE_RATE, [len(data)])
    other = run_stream(weights, data, params.SAMPLE_RATE, chunks)
    assert np.abs(one.probabilities - other.probabilities).max() <= 1e-5
    assert [d.step for d in one.detections] == [d.step for d in other.detections]


def test_long_stereo_16k_stream_is_chunk_independent(weights, clip):
    """25 s of stereo 16 kHz audio (resampling, look-ahead, the end of the file) in two chunkings."""
    from scipy.signal import resample_poly
    _, data = read_wav(clip[0])
    mono = resample_poly(np.tile(data[:, 0], 3)[:int(25 * params.SAMPLE_RATE)], 160, 441)
    stereo = np.stack([mono, 0.5 * mono], axis=1)
    a = run_stream(weights, stereo, 16000, [16000] * 100)
    b = run_stream(weights, stereo, 16000, list(np.random.default_rng(2).integers(100, 9000, 1000)))
    n = int(len(mono) * 441 / 160)                    # samples at 44.1 kHz
    expected_steps = ((n - params.NOVERLAP) // params.HOP - params.CONV_KERNEL) // params.CONV_STRIDE + 1
    assert len(a.probabilities) == len(b.probabilities) == expected_steps
    assert np.abs(a.probabilities - b.probabilities).max() <= 1e-5


def test_lanes_restart_like_fresh_clips(weights, clip):
    """state="lanes": each output step equals a fresh whole-clip model started 3.3-10 s earlier."""
    _, data = read_wav(clip[0])
    x = np.tile(data[:, 0], 3)[:int(25 * params.SAMPLE_RATE)]
    det = stream.StreamingDetector(weights, keep_probabilities=True)       # lanes by default
    frames, feed = [], det.model.feed
    det.model.feed = lambda f: (frames.append(np.array(f)), feed(f))[1]
    det.feed(x)
    det.finish()
    p, frames = det.probabilities, np.concatenate(frames)
    L, half = stream.LANE_STEPS, stream.LANE_STEPS // 2
    assert len(p) > 3 * L + half
    carry = stream.predict_clip(weights, frames)                            # one state throughout
    assert np.abs(p[:L + half] - carry[:L + half]).max() <= 1e-5            # the first 10 s: lane A
    lane_b = stream.predict_clip(weights, frames[4 * L:])                   # lane B starts at step L
    assert np.abs(p[L + half:2 * L + half] - lane_b[half:L + half]).max() <= 1e-5
    lane_a = stream.predict_clip(weights, frames[8 * L:])                   # lane A again at 2L
    assert np.abs(p[2 * L + half:3 * L + half] - lane_a[half:L + half]).max() <= 1e-5


def test_gain_follows_the_10s_window_around_each_block(weights):
    """A quiet stretch then a loud one: each block gets the gain of the 10 s around it, capped on silence."""
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.standard_normal(30 * params.SAMPLE_RATE) * 30,
                        rng.standard_normal(30 * params.SAMPLE_RATE) * 3000])
    energy = (x[:len(x) // 80 * 80] ** 2).reshape(-1, 80).sum(axis=1)
    n = len(energy)
    target = 32768 * 10 ** (params.TARGET_DBFS / 20)
    for mode in ("centered", "trailing"):
        gains = stream.block_gains(energy, 0, 0, n, mode, total=n)
        assert gains[100] == pytest.approx(target / 30, rel=0.03)       # the first 10 s
        assert gains[-100] == pytest.approx(target / 3000, rel=0.03)    # the last 10 s
    middle = n // 2                                                     # half quiet, half loud
    centred = stream.block_gains(energy, 0, middle, middle + 1, "centered", total=n)[0]
    assert centred == pytest.approx(target / np.sqrt((30 ** 2 + 3000 ** 2) / 2), rel=0.03)
    short = stream.block_gains(energy[:1000], 0, 0, 1000, "centered", total=1000)
    assert np.ptp(short) == 0                                           # a short file: one gain
    silent = stream.block_gains(np.zeros(100), 0, 0, 100, "centered", total=100)
    assert np.all(silent == pytest.approx(10 ** (stream.MAX_GAIN_DB / 20)))


def test_memory_stays_bounded(weights):
    """Buffers hold at most ~10 s of look-ahead, however long the stream."""
    rng = np.random.default_rng(4)
    det = stream.StreamingDetector(weights)
    sizes = []
    for _ in range(30):                               # 30 s in 1-s chunks
        det.feed(rng.standard_normal(params.SAMPLE_RATE) * 1000)
        sizes.append((len(det.raw), len(det.energy), len(det.scaled), len(det.model.frames)))
    late = np.array(sizes[15:])
    assert late[:, 0].max() <= 11 * params.SAMPLE_RATE     # raw samples waiting for their gain
    assert late[:, 1].max() <= 2 * stream.WINDOW_BLOCKS    # block energies of the window
    assert late[:, 2].max() < params.NFFT + params.SAMPLE_RATE
    assert late[:, 3].max() < params.CONV_KERNEL


@pytest.mark.parametrize("rate_in", [8000, 16000, 22050, 48000])
def test_resampler_equals_resample_poly(rate_in):
    """The chunked resampler gives scipy.signal.resample_poly's output on the whole signal."""
    from scipy.signal import resample_poly
    rng = np.random.default_rng(rate_in)
    x = rng.standard_normal((rate_in + 123, 2)) * 1000
    f = Fraction(params.SAMPLE_RATE, rate_in)
    ref = resample_poly(x, f.numerator, f.denominator, axis=0)
    r = stream.StreamResampler(rate_in)
    parts, i = [], 0
    while i < len(x):
        n = int(rng.integers(1, 3000))
        parts.append(r.feed(x[i:i + n]))
        i += n
    parts.append(r.finish())
    y = np.concatenate(parts)
    assert y.shape == ref.shape
    assert np.abs(y - ref).max() < 1e-6


def test_weights_load_the_same_from_h5_keras_and_keras_model(model_dir, weights):
    """The h5py fast path reads the same numbers Keras does; another architecture gets a clear error."""
    from triggerword.model import ModelFileError, load_model_f
    other = stream.load_weights(model_dir / "model.keras")
    from_keras = stream.weights_from_keras(load_model_f(model_dir / "model.weights.h5"))
    for name in ("conv_w", "conv_b", "gru1_k", "gru1_u", "gru1_b", "gru2_k", "gru2_b", "dense_w"):
        assert np.allclose(getattr(weights, name), getattr(other, name))
        assert np.allclose(getattr(weights, name), getattr(from_keras, name), atol=1e-6)
    with pytest.raises(ModelFileError, match="no such model file"):
        stream.load_weights(model_dir / "missing.weights.h5")


def test_another_architecture_is_refused(tmp_path):
    import keras
    from triggerword.model import ModelFileError
    small = keras.Sequential([keras.Input((5511, 101)), keras.layers.Dense(1)])
    small.save_weights(tmp_path / "small.weights.h5")
    with pytest.raises(ModelFileError, match="small.weights.h5"):
        stream.load_weights(tmp_path / "small.weights.h5")


def test_detections_follow_the_chime_rule_and_report_run_peaks(weights):
    """Detections are ChimeRule's steps; time is 320 samples a step; the peak is the run's maximum."""
    det = stream.StreamingDetector(weights, threshold=0.5)
    p = np.array([0.1] * 10 + [0.6, 0.9, 0.7] + [0.1] * 20 + [0.8] * 5 + [0.1] * 100 + [0.95, 0.2])
    got = det._chimes(0, p[:11]) + det._chimes(11, p[11:])
    assert [d.step for d in got] == ChimeRule(0.5, 75).update(p) == [10, 138]
    assert got[0].peak == pytest.approx(0.9)
    assert got[0].time_s == pytest.approx(10 * 320 / 44100)
    assert got[1].peak == pytest.approx(0.95)


def test_detect_file_reads_other_rates_and_formats(weights, clip, tmp_path):
    """The same clip as 16-bit 44.1 kHz, float 16 kHz stereo and 24-bit 48 kHz gives nearly the same output."""
    import soundfile
    from scipy.signal import resample_poly
    _, data = read_wav(clip[0])
    base = stream.detect_file(clip[0], weights, keep_probabilities=True).probabilities
    x16 = resample_poly(data[:, 0], 160, 441)
    soundfile.write(tmp_path / "s16.wav", np.stack([x16, x16], 1) / 32768, 16000, subtype="FLOAT")
    x48 = resample_poly(data[:, 0], 160, 147)
    soundfile.write(tmp_path / "s48.wav", x48 / 32768, 48000, subtype="PCM_24")
    for name in ("s16.wav", "s48.wav"):
        p = stream.detect_file(tmp_path / name, weights, keep_probabilities=True).probabilities
        assert abs(len(p) - len(base)) <= 1
        n = min(len(p), len(base))
        assert np.corrcoef(p[:n], base[:n])[0, 1] > 0.9
