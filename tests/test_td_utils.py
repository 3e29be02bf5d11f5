"""Tests of the student helpers (td_utils.py, test_utils.py) and of what they do with bad input."""
from __future__ import annotations

import hashlib
import io
import wave

import numpy as np
import pytest
from scipy.io import wavfile

import td_utils
from td_utils import AudioFileError

RATE = 44100


def tone(seconds=1.0, rate=RATE, freq=440.0, amplitude=0.5):
    t = np.arange(int(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * freq * t)


def write_int16(path, x, rate=RATE):
    wavfile.write(path, rate, np.round(np.asarray(x) * 32767).astype(np.int16))
    return path


def write_24bit(path, x, rate=RATE):
    """scipy cannot write 24-bit WAV: pack the little-endian 3-byte samples by hand."""
    ints = np.round(np.asarray(x) * (2 ** 23 - 1)).astype("<i4")
    raw = ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(3)
        handle.setframerate(rate)
        handle.writeframes(raw)
    return path


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------ spectrogram

def test_spectrogram_equals_matplotlib_specgram():
    """The compute-only spectrogram has matplotlib's values (relative error below 1e-9)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    x = rng.standard_normal(441000) * 3000 + 8000 * np.sin(np.arange(441000) * 0.05)
    want = plt.specgram(x, NFFT=200, Fs=8000, noverlap=120)[0]
    plt.close("all")
    got = td_utils.spectrogram(x)
    assert got.shape == want.shape == (101, 5511)
    assert np.max(np.abs(got - want)) <= 1e-9 * np.max(np.abs(want))
    assert np.allclose(got, want, rtol=1e-9, atol=1e-12 * np.max(want))


def test_clip_spectrogram_is_the_pydub_normalised_clip(tmp_path):
    """clip_spectrogram = spectrogram of the clip after match_target_amplitude(-20), whatever its level."""
    rng = np.random.default_rng(3)
    x = 0.03 * rng.standard_normal(RATE * 10) + tone(10, amplitude=0.02)
    quiet = write_int16(tmp_path / "quiet.wav", x)
    loud = write_int16(tmp_path / "loud.wav", 3 * x)  # still below full scale
    segment = td_utils.match_target_amplitude(td_utils.load_audio_segment(quiet), -20.0)
    assert abs(segment.dBFS + 20) < 0.05
    reference = td_utils.spectrogram(np.array(segment.get_array_of_samples(), dtype=np.float64))
    got = td_utils.clip_spectrogram(quiet, -20.0)
    assert got.shape == (101, 5511)
    assert np.allclose(got, reference, rtol=1e-3, atol=1e-3 * reference.max())
    assert np.allclose(td_utils.clip_spectrogram(loud, -20.0), got, rtol=1e-2, atol=1e-3 * reference.max())
    # None keeps each file's own level: 3 times the amplitude is 9 times the power
    as_is_quiet, as_is_loud = td_utils.clip_spectrogram(quiet, None), td_utils.clip_spectrogram(loud, None)
    assert np.allclose(as_is_loud, 9 * as_is_quiet, rtol=1e-2, atol=1e-3 * as_is_loud.max())
    raw = td_utils.spectrogram(td_utils.read_wav(str(quiet))[1][:, 0].astype(np.float64))
    assert np.allclose(as_is_quiet, raw)
    # a short clip at another rate is resampled and padded to 10 s
    short = write_int16(tmp_path / "short.wav", tone(3, rate=16000, amplitude=0.3), rate=16000)
    assert td_utils.clip_spectrogram(short).shape == (101, 5511)


def test_spectrogram_rejects_bad_shapes():
    with pytest.raises(ValueError, match="1-D"):
        td_utils.spectrogram(np.zeros((300, 2)))
    with pytest.raises(ValueError, match="at least 200"):
        td_utils.spectrogram(np.zeros(150))


def test_graph_spectrogram_plots_and_returns_the_same_values(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = write_int16(tmp_path / "clip.wav", tone(10.0))
    plt.figure()
    values = td_utils.graph_spectrogram(path)
    assert plt.gca().get_images(), "graph_spectrogram draws an image"
    plt.close("all")
    assert values.shape == (101, 5511)
    assert np.array_equal(values, td_utils.wav_spectrogram(path))


def test_silent_audio_gives_zeros_not_nan(tmp_path):
    path = write_int16(tmp_path / "silence.wav", np.zeros(RATE * 10))
    spec = td_utils.wav_spectrogram(path)
    assert np.all(spec == 0)
    segment = td_utils.load_audio_segment(path)
    assert segment.dBFS == float("-inf")
    louder = td_utils.match_target_amplitude(segment, -20.0)
    assert louder == segment  # unchanged, not NaN
    assert np.all(np.isfinite(np.array(louder.get_array_of_samples(), dtype=float)))


def test_match_target_amplitude_reaches_the_target(tmp_path):
    segment = td_utils.load_audio_segment(write_int16(tmp_path / "t.wav", tone(2.0, amplitude=0.05)))
    assert abs(td_utils.match_target_amplitude(segment, -20.0).dBFS + 20.0) < 0.05


# ------------------------------------------------------------------------------ reading files

@pytest.mark.parametrize("kind", ["uint8", "int16", "int24", "int32", "float32"])
def test_sample_formats_read_on_the_16_bit_scale(tmp_path, kind):
    """8/16/24/32-bit integer and float WAVs of the same sound give (nearly) the same samples."""
    x = tone(0.5, amplitude=0.4)
    path = tmp_path / f"{kind}.wav"
    if kind == "uint8":
        wavfile.write(path, RATE, np.round(x * 127 + 128).astype(np.uint8))
    elif kind == "int16":
        write_int16(path, x)
    elif kind == "int24":
        write_24bit(path, x)
    elif kind == "int32":
        wavfile.write(path, RATE, np.round(x * (2 ** 31 - 1)).astype(np.int32))
    else:
        wavfile.write(path, RATE, x.astype(np.float32))
    rate, data = td_utils.get_wav_info(path)
    assert rate == RATE and data.shape == (len(x), 1) and data.dtype == np.float64
    step = 256 if kind == "uint8" else 2  # quantisation of the format, on the 16-bit scale
    assert np.max(np.abs(data[:, 0] - x * 32768)) <= step
    segment = td_utils.load_audio_segment(path)
    assert segment.sample_width == 2 and segment.channels == 1 and segment.frame_rate == RATE


def test_stereo_keeps_channels_and_loads_channel_0(tmp_path):
    left, right = tone(1.0, freq=300), tone(1.0, freq=900, amplitude=0.1)
    path = tmp_path / "stereo.wav"
    wavfile.write(path, RATE, np.round(np.stack([left, right], axis=1) * 32767).astype(np.int16))
    _, data = td_utils.read_wav(path)
    assert data.shape == (RATE, 2)
    segment = td_utils.load_audio_segment(path)
    assert segment.channels == 1
    assert np.allclose(np.array(segment.get_array_of_samples()), np.round(left * 32767), atol=1)


def test_other_rate_is_resampled(tmp_path):
    path = write_int16(tmp_path / "16k.wav", tone(2.0, rate=16000), rate=16000)
    segment = td_utils.load_audio_segment(path)
    assert segment.frame_rate == RATE and abs(len(segment) - 2000) <= 1


def _float_wav_bytes(samples):
    buf = io.BytesIO()
    wavfile.write(buf, RATE, np.asarray(samples, dtype=np.float32))
    return buf.getvalue()


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (_float_wav_bytes([0.1] * 4000 + [np.nan] + [0.1] * 4000), r"not numbers \(NaN or infinite\)"),
    (_float_wav_bytes([0.1] * 4000 + [np.inf] + [0.1] * 4000), r"not numbers \(NaN or infinite\)"),
    (b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(40)), "not a readable WAV file"),
    (b"this is a text file, not audio\n" * 10, "not a readable WAV file"),
])
def test_empty_and_corrupt_wav_name_the_file(tmp_path, content, message):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    for reader in (td_utils.read_wav, td_utils.wav_spectrogram, td_utils.load_audio_segment):
        with pytest.raises(AudioFileError, match=message) as info:
            reader(path)
        assert str(path) in str(info.value)
        assert "\n" not in str(info.value)


def zero_rate_wav(path, header_bytes):
    """A normal 16-bit WAV whose header then gets 0 in ``header_bytes`` (24:28 is the sample rate,
    28:32 the byte rate that scipy checks against it)."""
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(np.round(tone(0.5) * 32767).astype("<i2").tobytes())
    raw = bytearray(path.read_bytes())
    raw[header_bytes] = bytes(len(raw[header_bytes]))
    path.write_bytes(bytes(raw))
    return path


def test_sample_rate_0_is_a_damaged_wav_for_every_reader(tmp_path):
    """A header saying 0 Hz gave ZeroDivisionError (pydub) or "up and down must be >= 1" (resampling)."""
    path = zero_rate_wav(tmp_path / "zero.wav", slice(24, 32))
    readers = (td_utils.read_wav, td_utils.wav_spectrogram, td_utils.clip_samples, td_utils.clip_spectrogram,
               td_utils.load_audio_segment, td_utils.preprocess_audio)
    for reader in readers:
        with pytest.raises(AudioFileError, match="sample rate 0 Hz in its header: damaged WAV") as info:
            reader(path)
        assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "zero_10s.wav").exists()
    # the rate alone at 0: scipy may refuse the header itself; either way one line naming the file
    only_rate = zero_rate_wav(tmp_path / "only_rate.wav", slice(24, 28))
    for reader in readers:
        with pytest.raises(AudioFileError) as info:
            reader(only_rate)
        assert str(info.value).startswith(f"{only_rate}: ") and "\n" not in str(info.value)


def test_wav_without_samples(tmp_path):
    path = tmp_path / "nothing.wav"
    wavfile.write(path, RATE, np.zeros(0, dtype=np.int16))
    with pytest.raises(AudioFileError, match="no samples"):
        td_utils.read_wav(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(AudioFileError, match="no such file"):
        td_utils.read_wav(tmp_path / "absent.wav")
    with pytest.raises(AudioFileError, match="folder"):
        td_utils.read_wav(tmp_path)
    with pytest.raises(AudioFileError, match="no such file"):
        td_utils.load_audio_segment(tmp_path / "absent.mp3")


def test_non_wav_without_ffmpeg_says_so(tmp_path, monkeypatch):
    path = tmp_path / "recording.mp3"
    path.write_bytes(b"ID3" + bytes(200))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no ffmpeg anywhere on PATH
    with pytest.raises(AudioFileError, match="ffmpeg") as info:
        td_utils.load_audio_segment(path)
    assert str(path) in str(info.value)
    with pytest.raises(AudioFileError, match="ffmpeg"):
        td_utils.preprocess_audio(path)
    assert not (tmp_path / "recording_10s.wav").exists()


def test_load_raw_audio_is_sorted_and_checks_folders(tmp_path):
    for kind in ("activates", "negatives", "backgrounds"):
        (tmp_path / kind).mkdir()
    # written out of order, each with its own length, so the order can be read back
    for name, ms in (("c.wav", 300), ("a.wav", 100), ("b.wav", 200)):
        write_int16(tmp_path / "activates" / name, tone(ms / 1000))
    write_int16(tmp_path / "negatives" / "1.wav", tone(0.4))
    write_int16(tmp_path / "backgrounds" / "1.wav", tone(10.0, amplitude=0.01))
    (tmp_path / "activates" / "notes.txt").write_text("not audio")
    activates, negatives, backgrounds = td_utils.load_raw_audio(tmp_path)
    assert [len(a) for a in activates] == [100, 200, 300]
    assert len(negatives) == 1 and len(backgrounds[0]) == 10000
    (tmp_path / "negatives" / "1.wav").unlink()
    (tmp_path / "negatives").rmdir()
    with pytest.raises(AudioFileError, match="folder not found"):
        td_utils.load_raw_audio(tmp_path)


# ------------------------------------------------------------------------------ preprocess_audio

@pytest.mark.parametrize("seconds, rate, channels", [(3.0, RATE, 1), (12.5, RATE, 1), (10.0, 16000, 2), (7.0, 48000, 2)])
def test_preprocess_audio_makes_10_s_mono_and_keeps_the_recording(tmp_path, seconds, rate, channels):
    x = tone(seconds, rate=rate, amplitude=0.3)
    if channels == 2:
        x = np.stack([x, x * 0.5], axis=1)
    path = write_int16(tmp_path / "mine.wav", x, rate=rate)
    before = digest(path)
    out = td_utils.preprocess_audio(path)
    assert out == str(tmp_path / "mine_10s.wav")
    assert digest(path) == before, "the recording must not change"
    out_rate, data = td_utils.read_wav(out)
    assert out_rate == RATE and data.shape == (441000, 1)
    assert td_utils.wav_spectrogram(out).shape == (101, 5511)
    if seconds < 10:  # padded with silence
        assert np.all(data[int(seconds * RATE) + 100:, 0] == 0)


def test_preprocess_audio_refuses_to_overwrite(tmp_path):
    path = write_int16(tmp_path / "mine.wav", tone(4.0))
    before = digest(path)
    with pytest.raises(AudioFileError, match="overwrite"):
        td_utils.preprocess_audio(path, path)
    assert digest(path) == before
    other = td_utils.preprocess_audio(path, tmp_path / "elsewhere.wav")
    assert str(other) == str(tmp_path / "elsewhere.wav") and (tmp_path / "elsewhere.wav").is_file()


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_preprocess_audio_refuses_a_link_to_the_recording(tmp_path, link):
    path = write_int16(tmp_path / "mine.wav", tone(4.0))
    before = digest(path)
    out = tmp_path / "out.wav"
    (out.symlink_to if link == "symlink" else out.hardlink_to)(path)
    with pytest.raises(AudioFileError, match="refusing to overwrite the recording"):
        td_utils.preprocess_audio(path, out)
    assert digest(path) == before


def test_preprocess_audio_replaces_only_its_own_output(tmp_path):
    """An existing out_filename is refused (one line naming it) unless it is what preprocess_audio
    writes, a 10-s 44.1 kHz mono 16-bit WAV: then the notebook cell runs again after a new recording.
    A user's other file (not audio, a 4-s WAV, a 10-s stereo WAV, a link to a 10-s clip) is never
    replaced; before, each was overwritten."""
    path = write_int16(tmp_path / "mine.wav", tone(4.0))
    old = tmp_path / "mine_10s.wav"
    theirs = tmp_path / "theirs.wav"
    wavfile.write(theirs, RATE, np.zeros(RATE * 10, dtype=np.int16))   # a clip preprocess_audio could write
    users = {"text": b"an earlier file of the student's", "short": None, "stereo": None, "link": None}
    for kind in users:
        if old.exists() or old.is_symlink():
            old.unlink()
        if kind == "text":
            old.write_bytes(users[kind])
        elif kind == "short":
            write_int16(old, tone(4.0))
        elif kind == "stereo":
            wavfile.write(old, RATE, np.zeros((RATE * 10, 2), dtype=np.int16))
        else:
            old.symlink_to(theirs)
        before, theirs_before = digest(old), digest(theirs)
        with pytest.raises(AudioFileError) as info:
            td_utils.preprocess_audio(path)
        assert str(info.value) == (f"{old}: already exists and is not a 10-s clip this function wrote; "
                                   "give another out_filename"), kind
        assert digest(old) == before and digest(theirs) == theirs_before, kind
    # an earlier run's result, from another recording: replaced by this recording's 10-s version
    old.unlink()
    other = write_int16(tmp_path / "other.wav", tone(4.0, freq=300.0))
    td_utils.preprocess_audio(other, old)
    first = digest(old)
    assert td_utils.preprocess_audio(path) == str(old)
    assert digest(old) != first
    rate, data = td_utils.read_wav(old)
    assert rate == RATE and data.shape == (RATE * 10, 1)
    assert np.array_equal(data[:, 0], td_utils.read_wav(td_utils.preprocess_audio(path, tmp_path / "b.wav"))[1][:, 0])


def test_preprocess_silent_recording(tmp_path):
    path = write_int16(tmp_path / "quiet.wav", np.zeros(RATE * 4))
    _, data = td_utils.read_wav(td_utils.preprocess_audio(path))
    assert data.shape == (441000, 1) and np.all(data == 0)


# ------------------------------------------------------------------------------ chimes and scoring

def test_chime_rule_one_per_run_and_75_steps_apart():
    p = np.zeros(1375)
    p[100:140] = 0.9
    p[160:200] = 0.9  # starts 60 steps after the first chime: no chime
    assert td_utils.chime_steps(p, 0.5) == [100]
    p[160:200] = 0
    p[175:215] = 0.9  # starts 75 steps after: a chime
    assert td_utils.chime_steps(p, 0.5) == [100, 175]
    p[:] = 0.9  # one long run: one chime
    assert td_utils.chime_steps(p, 0.5) == [0]
    assert td_utils.chime_steps(np.zeros((1, 1375, 1)), 0.5) == []


def test_chime_rule_streamed_equals_whole_clip():
    rng = np.random.default_rng(3)
    p = (rng.random(1375) > 0.93).astype(float)
    rule = td_utils.ChimeRule(0.5)
    streamed = []
    for start in range(0, 1375, 37):
        streamed += rule.update(p[start:start + 37])
    assert streamed == td_utils.chime_steps(p, 0.5)


def test_match_events_window_and_one_to_one():
    assert td_utils.match_events([4.75, 6.0], [5.0]) == (1, 1, 0)  # 0.25 s before is a hit
    assert td_utils.match_events([6.0], [5.0]) == (1, 0, 0)  # 1.0 s after is a hit
    assert td_utils.match_events([4.7, 6.1], [5.0]) == (0, 2, 1)
    assert td_utils.match_events([5.1, 5.2], [5.0]) == (1, 1, 0)  # one detection per word
    assert td_utils.match_events([], []) == (0, 0, 0)
    assert td_utils.event_scores(0, 0, 0) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    scores = td_utils.event_scores(3, 1, 2)
    assert scores["precision"] == 0.75 and scores["recall"] == 0.6
    assert abs(scores["f1"] - 2 * 0.75 * 0.6 / 1.35) < 1e-12


# ------------------------------------------------------------------------------ test_utils

@pytest.fixture(scope="module")
def keras_models():
    import keras

    from triggerword.model import model_f

    good = model_f(dropout=0.8)
    keep = model_f(dropout=0.2)
    x_input = keras.Input(shape=(5511, 101))
    x = keras.layers.Conv1D(196, 15, strides=4)(x_input)
    x = keras.layers.Activation("relu")(x)  # ReLU before batch normalization: wrong order
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dropout(0.8)(x)
    x = keras.layers.GRU(128, return_sequences=True)(x)
    x = keras.layers.Dropout(0.8)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.GRU(128, return_sequences=True)(x)
    x = keras.layers.Dropout(0.8)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dropout(0.8)(x)
    x = keras.layers.TimeDistributed(keras.layers.Dense(1, activation="sigmoid"))(x)
    swapped = keras.Model(x_input, x)
    return good, keep, swapped


def test_summary_describes_model_f(keras_models):
    from test_utils import summary

    rows = summary(keras_models[0])
    assert rows[0] == ["InputLayer", (None, 5511, 101), 0]
    assert rows[1] == ["Conv1D", (None, 1375, 196), 297136, "valid", "linear", (4,), (15,), "GlorotUniform"]
    assert rows[4] == ["Dropout", (None, 1375, 196), 0, 0.8]
    assert rows[5] == ["GRU", (None, 1375, 128), 125184, True]
    assert rows[-1] == ["TimeDistributed", (None, 1375, 1), 129, "sigmoid"]
    assert sum(row[2] for row in rows) == 523329


def test_comparator_passes_the_same_model_and_names_a_wrong_layer(keras_models, capsys):
    from test_utils import comparator, summary

    good, keep, swapped = keras_models
    comparator(summary(good), summary(good))
    assert "All layers match" in capsys.readouterr().out
    with pytest.raises(AssertionError, match=r"Layer 4 \(Dropout\)"):
        comparator(summary(keep), summary(good))
    with pytest.raises(AssertionError, match=r"Layer 2 \(Activation\)"):
        comparator(summary(swapped), summary(good))
    with pytest.raises(AssertionError, match="13 are expected"):
        comparator(summary(good)[:-1], summary(good))
