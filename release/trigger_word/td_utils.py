"""Helpers for the trigger word detection workbook: reading audio, spectrograms, loudness.

Time units, used everywhere in the workbook:
- samples: 44,100 per second (a 10 s clip is 441,000 samples);
- ms: pydub's unit, 10,000 per clip;
- spectrogram steps: 5,511 per clip (one every 80 samples at the spectrogram's nominal Fs);
- output steps: 1,375 per clip (what the model predicts).

Every function that reads a file raises ``AudioFileError`` with one line naming the file and the
problem, instead of a traceback from deep inside scipy or pydub.
"""
import os
import shutil
import warnings
import wave

import numpy as np
from scipy.io import wavfile

SAMPLE_RATE = 44100   # Hz, the rate of every clip in the workbook
CLIP_MS = 10000       # a clip lasts 10 s
NFFT = 200            # spectrogram window, in samples
FS = 8000             # the sampling rate the spectrogram is told (as in the original course)
NOVERLAP = 120        # samples shared by two neighbouring windows
HOP = NFFT - NOVERLAP  # 80 samples from one window to the next


class AudioFileError(ValueError):
    """An audio file that cannot be used, with a one-line reason naming the file."""


def finite_samples(data, path):
    """``data`` as it is, or an ``AudioFileError`` naming ``path`` if a sample is NaN or infinite
    (a damaged float file: the model would answer NaN, which never crosses a threshold)."""
    if not np.isfinite(data).all():
        raise AudioFileError(f"{path}: holds samples that are not numbers (NaN or infinite): damaged audio")
    return data


def _scale_to_int16_range(data, path):
    """Return float64 samples on the 16-bit scale (-32768..32767), whatever the WAV's sample format."""
    kind, size = data.dtype.kind, data.dtype.itemsize
    if kind == "f":
        return finite_samples(data, path).astype(np.float64) * 32768.0
    if kind == "u" and size == 1:      # 8-bit WAV is unsigned, centred on 128
        return (data.astype(np.float64) - 128.0) * 256.0
    if kind == "i":                    # 16-bit as is; 24-bit arrives as left-aligned int32
        return data.astype(np.float64) / float(2 ** (8 * size - 16))
    raise AudioFileError(f"{path}: unsupported WAV sample format {data.dtype}")


def read_wav(path):
    """Read a WAV file; return ``(rate, samples)``.

    ``samples`` is float64 of shape (n_samples, n_channels) on the 16-bit scale, whatever the file
    holds (8, 16, 24, 32-bit integer or float; mono or stereo), so that spectrograms of the same
    sound have the same values. Raises ``AudioFileError`` for a missing, empty, corrupt or
    zero-length file.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise AudioFileError(f"{path}: no such file")
    if os.path.isdir(path):
        raise AudioFileError(f"{path}: is a folder, not an audio file")
    if os.path.getsize(path) == 0:
        raise AudioFileError(f"{path}: empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, data = wavfile.read(path)
    except Exception as exc:  # scipy raises ValueError, EOFError, struct errors...
        raise AudioFileError(f"{path}: not a readable WAV file ({exc})") from None
    if rate <= 0:  # every reader needs the rate: resampling, durations, pydub
        raise AudioFileError(f"{path}: sample rate {rate} Hz in its header: damaged WAV")
    if data.ndim == 1:
        data = data[:, None]
    if data.shape[0] == 0:
        raise AudioFileError(f"{path}: WAV file holds no samples")
    return int(rate), _scale_to_int16_range(data, path)


def get_wav_info(wav_file):
    """Return ``(rate, data)`` of a WAV file; ``data`` is (n_samples, n_channels) on the 16-bit scale."""
    return read_wav(wav_file)


def spectrogram(samples):
    """Compute the spectrogram of 1-D ``samples`` without drawing it.

    Gives the same values as ``matplotlib.pyplot.specgram(samples, NFFT=200, Fs=8000,
    noverlap=120)`` (its power spectral density, Hann window, one-sided), faster and in less memory:
    the windows are a strided view and only the 101 non-negative frequencies are transformed
    (``benchmarks/bench_features.py`` measures it against matplotlib's).

    Returns float64 of shape (101, n_steps), n_steps = (len(samples) - 120) // 80; a 10 s clip at
    44,100 Hz gives (101, 5511).
    """
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"spectrogram expects 1-D samples, got shape {x.shape}")
    if len(x) < NFFT:
        raise ValueError(f"spectrogram needs at least {NFFT} samples, got {len(x)}")
    n_steps = (len(x) - NOVERLAP) // HOP
    frames = np.lib.stride_tricks.as_strided(
        x, shape=(n_steps, NFFT), strides=(x.strides[0] * HOP, x.strides[0]), writeable=False)
    window = np.hanning(NFFT)
    spec = np.fft.rfft(frames * window, axis=1)
    power = spec.real ** 2 + spec.imag ** 2
    power[:, 1:-1] *= 2.0                       # one-sided: fold in the negative frequencies
    power /= FS * (window ** 2).sum()           # density per Hz, as matplotlib scales it
    return power.T


def wav_spectrogram(wav_file):
    """Spectrogram (101, n_steps) of channel 0 of a WAV file, computed without plotting."""
    _, data = read_wav(wav_file)
    return spectrogram(data[:, 0])


def clip_spectrogram(wav_file, target_dbfs=-20.0):
    """Spectrogram (101, 5511) of a 10-s clip prepared as the model's training examples were.

    Channel 0, resampled to 44,100 Hz when needed, cut or zero-padded to 10 s, loudness set to
    ``target_dbfs`` (RMS relative to full scale, as ``match_target_amplitude`` sets it; None leaves
    the recorded level). The dev clips, ``triggerword evaluate`` and the detector all prepare clips
    this way.
    """
    return samples_clip_spectrogram(clip_samples(wav_file), target_dbfs)


def clip_samples(wav_file):
    """Channel 0 of a WAV file at 44,100 Hz (resampled when needed), in the int16 range."""
    rate, data = read_wav(wav_file)
    x = data[:, 0]
    if rate != SAMPLE_RATE:
        from math import gcd
        from scipy.signal import resample_poly
        g = gcd(rate, SAMPLE_RATE)
        x = resample_poly(x, SAMPLE_RATE // g, rate // g)
    return x


def samples_clip_spectrogram(x, target_dbfs=-20.0):
    """``clip_spectrogram`` of 1-D samples at 44,100 Hz in the int16 range, already in memory."""
    n = SAMPLE_RATE * CLIP_MS // 1000
    x = np.pad(np.asarray(x, dtype=np.float64)[:n], (0, max(0, n - len(x))))
    rms = float(np.sqrt(np.mean(np.square(x))))
    if rms > 0 and target_dbfs is not None:
        x = np.clip(np.round(x * (10 ** (target_dbfs / 20) * 32768 / rms)), -32768, 32767)
    return spectrogram(x)


def graph_spectrogram(wav_file):
    """Plot the spectrogram of a WAV file and return its values, shape (101, n_steps)."""
    import matplotlib.pyplot as plt
    pxx = wav_spectrogram(wav_file)
    duration_s = (pxx.shape[1] * HOP + NOVERLAP) / FS
    plt.imshow(10 * np.log10(pxx + 1e-12), aspect="auto", origin="lower", cmap="viridis",
               extent=(0, duration_s, 0, FS / 2))
    plt.xlabel("time (as matplotlib's specgram labels it, Fs=8000)")
    plt.ylabel("frequency bin (Hz at Fs=8000)")
    return pxx


def match_target_amplitude(sound, target_dBFS):
    """Change the gain of a pydub ``AudioSegment`` so its loudness is ``target_dBFS``.

    A silent segment (loudness -inf dBFS) is returned unchanged instead of becoming NaN.
    """
    if sound.dBFS == float("-inf"):
        return sound
    return sound.apply_gain(target_dBFS - sound.dBFS)


def load_audio_segment(path, frame_rate=SAMPLE_RATE):
    """Load an audio file as a mono 16-bit pydub ``AudioSegment`` at ``frame_rate`` Hz.

    WAV files of any sample format are read directly; other formats (mp3, m4a, ogg...) go through
    ffmpeg, and a missing ffmpeg is reported as such.
    """
    from pydub import AudioSegment
    path = os.fspath(path)
    if path.lower().endswith(".wav"):
        rate, data = read_wav(path)
        mono = np.clip(np.round(data[:, 0]), -32768, 32767).astype("<i2")
        segment = AudioSegment(mono.tobytes(), frame_rate=rate, sample_width=2, channels=1)
    else:
        if not os.path.exists(path):
            raise AudioFileError(f"{path}: no such file")
        if shutil.which("ffmpeg") is None and shutil.which("avconv") is None:
            raise AudioFileError(f"{path}: not a WAV file, and reading other formats needs ffmpeg "
                                 "(apt-get install ffmpeg)")
        try:
            segment = AudioSegment.from_file(path)
        except Exception as exc:
            first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise AudioFileError(f"{path}: ffmpeg could not decode it ({first})") from None
        segment = segment.set_channels(1).set_sample_width(2)
    if len(segment) == 0:
        raise AudioFileError(f"{path}: holds no audio")
    return segment.set_frame_rate(frame_rate)


def load_raw_audio(path):
    """Load the workbook's raw audio from ``path`` (a folder holding activates/, negatives/, backgrounds/).

    Returns three lists of pydub ``AudioSegment`` (activates, negatives, backgrounds), each in the
    sorted order of the file names, all mono 16-bit at 44,100 Hz.
    """
    lists = []
    for kind in ("activates", "negatives", "backgrounds"):
        folder = os.path.join(path, kind)
        if not os.path.isdir(folder):
            raise AudioFileError(f"{folder}: folder not found")
        names = sorted(n for n in os.listdir(folder) if n.lower().endswith(".wav"))
        lists.append([load_audio_segment(os.path.join(folder, n)) for n in names])
    return tuple(lists)


def _same_file(a, b):
    """True when paths ``a`` and ``b`` name one file, through symbolic and hard links too."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return os.path.abspath(a) == os.path.abspath(b)


def _written_here(path):
    """True when ``path`` is a WAV as ``preprocess_audio`` writes them: 10 s, 44,100 Hz, mono, 16-bit."""
    if os.path.islink(path):  # writing would go through it, to whatever file it points at
        return False
    try:
        with wave.open(os.fspath(path), "rb") as w:
            return (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()) == (
                SAMPLE_RATE, 1, 2, SAMPLE_RATE * CLIP_MS // 1000)
    except (wave.Error, EOFError, OSError):
        return False


def preprocess_audio(filename, out_filename=None):
    """Trim or pad a recording to 10 s at 44,100 Hz, mono, and write it to a NEW file.

    The user's recording is never changed: the result goes to ``out_filename``, by default
    ``<name>_10s.wav`` beside the input. Returns the path written.

    ``out_filename`` naming the recording (through a link too) is refused. An existing
    ``out_filename`` is replaced only when it is what this function writes (a 10-s, 44,100 Hz,
    mono, 16-bit WAV: an earlier run's result), so the notebook cell can be run again after you
    record again; any other file there is refused, never overwritten.
    """
    from pydub import AudioSegment
    filename = os.fspath(filename)
    stem, _ = os.path.splitext(filename)
    out_filename = out_filename or stem + "_10s.wav"
    if _same_file(out_filename, filename):
        raise AudioFileError(f"{filename}: refusing to overwrite the recording; give another out_filename")
    if os.path.lexists(out_filename) and not _written_here(out_filename):
        raise AudioFileError(f"{out_filename}: already exists and is not a 10-s clip this function wrote; "
                             "give another out_filename")
    segment = load_audio_segment(filename)[:CLIP_MS]
    padded = AudioSegment.silent(duration=CLIP_MS, frame_rate=SAMPLE_RATE).overlay(segment)
    try:
        padded.export(out_filename, format="wav")
    except OSError as exc:
        raise AudioFileError(f"{out_filename}: cannot be written ({exc.strerror or exc})") from None
    return out_filename


class ChimeRule:
    """The chime rule, one output step at a time, so a stream and a whole clip give the same chimes.

    A chime sounds at the first step of each run of probabilities above ``threshold``, and at most
    once every ``gap`` output steps (75 steps = 0.55 s), so one "activate" gives one chime.
    """

    def __init__(self, threshold=0.5, gap=75):
        self.threshold, self.gap = threshold, gap
        self.step = 0                 # output steps seen so far
        self.last = None              # step of the last chime
        self.previous_above = False

    def update(self, probabilities):
        """Feed the next probabilities (any shape, flattened); return the steps that chime."""
        steps = []
        for above in np.asarray(probabilities, dtype=np.float64).reshape(-1) > self.threshold:
            if above and not self.previous_above and (self.last is None or self.step - self.last >= self.gap):
                steps.append(self.step)
                self.last = self.step
            self.previous_above = bool(above)
            self.step += 1
        return steps


def chime_steps(predictions, threshold=0.5, gap=75):
    """Output steps where a chime goes in a whole clip's ``predictions`` (see ``ChimeRule``)."""
    return ChimeRule(threshold, gap).update(predictions)


def match_events(detection_s, truth_end_s, before_s=0.25, after_s=1.0):
    """Match detections to true "activate"s one to one; return (hits, false_alarms, misses).

    A detection at time d (s) can match a word ending at e (s) when e - before_s <= d <= e + after_s.
    Each word matches at most one detection and each detection at most one word, greedily in time.
    """
    detection_s, truth_end_s = sorted(detection_s), sorted(truth_end_s)
    used = [False] * len(detection_s)
    hits = 0
    for end in truth_end_s:
        for i, d in enumerate(detection_s):
            if not used[i] and end - before_s <= d <= end + after_s:
                used[i] = True
                hits += 1
                break
    return hits, len(detection_s) - hits, len(truth_end_s) - hits


def event_scores(hits, false_alarms, misses):
    """Precision, recall and F1 of detection events (0 where a ratio has nothing to count)."""
    precision = hits / (hits + false_alarms) if hits + false_alarms else 0.0
    recall = hits / (hits + misses) if hits + misses else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}
