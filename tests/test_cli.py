"""The ``triggerword detect | listen | enroll`` commands: output formats, bad input, no file changed."""
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("soundfile")
pytest.importorskip("h5py")

sys.path.insert(0, str(Path(__file__).resolve().parent))  # streamkit.py sits beside this file
import streamkit  # noqa: E402
from td_utils import read_wav  # noqa: E402
from triggerword import detect, enroll, listen, params, stream  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return streamkit.speech_clip(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return streamkit.random_model(tmp_path_factory.getbasetemp()) / "model.weights.h5"


def digest(paths):
    return {str(p): hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths if Path(p).is_file()}


def run_cli(*args, env=None):
    """``python -m triggerword ARGS`` in a fresh process, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "triggerword", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)


# ------------------------------------------------------------------------------------ detect

def test_detect_json_schema(clip, model):
    """--json prints exactly {"detections": [{"time_s", "probability"}], "audio_s", "compute_s"}."""
    r = run_cli("detect", clip[0], "--json", "--model", model, "--threshold", "0.5")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert set(out) == {"detections", "audio_s", "compute_s"}
    assert out["audio_s"] == pytest.approx(10.0)
    assert out["compute_s"] > 0
    for d in out["detections"]:
        assert set(d) == {"time_s", "probability"}
        assert 0 <= d["time_s"] <= 10 and 0.5 < d["probability"] <= 1
    times = [d["time_s"] for d in out["detections"]]
    assert times == sorted(times)


def test_detect_text_and_several_files_as_json_lines(clip, model, tmp_path):
    """Several files: one JSON object per line with "file"; the text output lists each detection."""
    import soundfile
    _, data = read_wav(clip[0])
    soundfile.write(tmp_path / "two.wav", np.tile(data[:, 0], 2) / 32768, 44100, subtype="PCM_16")
    r = run_cli("detect", clip[0], tmp_path / "two.wav", "--json", "--model", model)
    assert r.returncode == 0, r.stderr
    objs = [json.loads(line) for line in r.stdout.strip().splitlines()]
    assert [o["file"] for o in objs] == [str(clip[0]), str(tmp_path / "two.wav")]
    assert objs[1]["audio_s"] == pytest.approx(20.0)
    text = run_cli("detect", clip[0], "--model", model)
    assert text.returncode == 0
    n = len(objs[0]["detections"])
    assert text.stdout.splitlines()[0].startswith(f"{clip[0]}: {n} detection")
    assert len(text.stdout.strip().splitlines()) == 1 + n


def test_detect_bad_input_one_line_each_others_still_processed(clip, model, tmp_path):
    """Missing, folder, empty, corrupt, zero-sample, too-short and NaN-holding files, and (with ffmpeg) a
    picture named .mp3, each get one clear line; exit 1."""
    import soundfile
    (tmp_path / "empty.wav").write_bytes(b"")
    damaged = np.full(44100, 0.1)
    damaged[30000] = np.nan                  # a float WAV with one sample that is not a number
    soundfile.write(tmp_path / "nan.wav", damaged, 44100, subtype="FLOAT")
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(100))
    soundfile.write(tmp_path / "nosamples.wav", np.zeros(0), 44100, subtype="PCM_16")
    soundfile.write(tmp_path / "short.wav", np.full(400, 0.1), 44100, subtype="PCM_16")
    soundfile.write(tmp_path / "silence.wav", np.zeros(3 * 44100), 44100, subtype="PCM_16")
    (tmp_path / "folder").mkdir()
    bad = [tmp_path / "missing.wav", tmp_path / "folder", tmp_path / "empty.wav",
           tmp_path / "corrupt.wav", tmp_path / "nosamples.wav", tmp_path / "short.wav", tmp_path / "nan.wav"]
    if shutil.which("ffmpeg"):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig = plt.figure(figsize=(1, 1))
        fig.savefig(tmp_path / "picture.mp3", format="png")  # ffmpeg opens it, as a video with no sound
        plt.close(fig)
        bad.append(tmp_path / "picture.mp3")
    inputs = [clip[0], *bad, tmp_path / "silence.wav"]
    before = digest(inputs)
    r = run_cli("detect", *inputs, "--json", "--model", model)
    assert r.returncode == 1
    errors = [line for line in r.stderr.strip().splitlines() if "warning" not in line]
    assert len(errors) == len(bad)
    for path, line in zip(bad, errors):
        assert str(path) in line and "Traceback" not in line
    assert "no such file" in errors[0] and "folder" in errors[1] and "empty" in errors[2]
    assert "not numbers (NaN or infinite)" in errors[6]
    assert len(bad) == 7 or "it holds no audio stream" in errors[7]   # before: "To ignore this, add a trailing '?'"
    assert any("silence" in line and "warning" in line for line in r.stderr.splitlines())
    done = [json.loads(line)["file"] for line in r.stdout.strip().splitlines()]
    assert done == [str(clip[0]), str(tmp_path / "silence.wav")]
    assert digest(inputs) == before


def test_detect_other_formats_and_missing_ffmpeg(clip, model, tmp_path, monkeypatch, capsys):
    """m4a goes through ffmpeg; without ffmpeg it gets a clear line naming the file and the fix."""
    m4a = tmp_path / "clip.m4a"
    (tmp_path / "fake.m4a").write_bytes(b"not audio at all")
    if shutil.which("ffmpeg"):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clip[0]), "-ar", "16000", str(m4a)], check=True)
        assert detect.main([str(m4a), "--json", "--model", str(model)]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["audio_s"] == pytest.approx(10.0, abs=0.05)
        assert detect.main([str(tmp_path / "fake.m4a"), "--model", str(model)]) == 1
        assert "fake.m4a: ffmpeg could not decode it" in capsys.readouterr().err
    monkeypatch.setattr(stream, "find_ffmpeg", lambda: None)
    assert detect.main([str(tmp_path / "fake.m4a"), str(clip[0]), "--model", str(model)]) == 1
    captured = capsys.readouterr()
    assert "fake.m4a: not a WAV file, and reading other formats needs ffmpeg" in captured.err
    assert f"{clip[0]}:" in captured.out


def test_detect_chime_and_plot(clip, model, tmp_path):
    """--chime writes the audio with chimes at the detections, --plot a PNG; an input is never overwritten."""
    out_wav, out_png = tmp_path / "chimed.wav", tmp_path / "plot.png"
    r = run_cli("detect", clip[0], "--model", model, "--chime", out_wav, "--plot", out_png, "--threshold", "0.5")
    assert r.returncode == 0, r.stderr
    rate, data = read_wav(out_wav)
    assert rate == 44100 and len(data) == params.CLIP_SAMPLES
    assert out_png.read_bytes()[:4] == b"\x89PNG"
    _, original = read_wav(clip[0])
    changed = np.flatnonzero(np.abs(data[:, 0] - np.round(original[:, 0])) > 1)
    n_detections = r.stdout.count(" s  ")
    assert (len(changed) > 0) == (n_detections > 0)
    before = digest([clip[0]])
    r = run_cli("detect", clip[0], "--model", model, "--chime", clip[0])
    assert r.returncode == 2 and f"--chime {clip[0]}: that is an input" in r.stderr
    assert digest([clip[0]]) == before


def test_detect_never_writes_over_a_file_unasked(clip, model, tmp_path):
    """--chime/--plot: an existing file is kept unless --force; a name of the wrong kind, a path under a
    file, and two inputs that would write one file are refused up front, one line, exit 2, nothing
    written (before, each of these replaced the file, or failed after the work with a traceback)."""
    mine = tmp_path / "mine.png"
    mine.write_bytes(b"a user's picture")
    other = tmp_path / "other"
    other.mkdir()
    (other / Path(clip[0]).name).write_bytes(Path(clip[0]).read_bytes())
    cases = [(["--plot", mine], f"--plot {mine}: already exists; choose a new name or pass --force"),
             (["--plot", tmp_path / "p.xyz"], "the name must end with .png, .pdf or .svg"),
             (["--chime", tmp_path / "c.mp3"], "the name must end with .wav"),
             (["--chime", mine / "c.wav"], f"{mine} is a file, not a folder"),
             (["--chime", tmp_path], "is a folder"),
             (["--chime", tmp_path / "c.wav"], "would both write it")]
    for i, (extra, message) in enumerate(cases):
        before = sorted(p.name for p in tmp_path.iterdir())
        also = [other / Path(clip[0]).name] if i == len(cases) - 1 else []  # the same stem twice
        r = run_cli("detect", clip[0], *also, "--model", model, *extra)
        assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, (extra, r.stderr)
        assert r.stdout == "" and sorted(p.name for p in tmp_path.iterdir()) == before, extra
        assert mine.read_bytes() == b"a user's picture"
    r = run_cli("detect", clip[0], "--model", model, "--plot", mine, "--force")
    assert r.returncode == 0 and mine.read_bytes()[:4] == b"\x89PNG", r.stderr
    r = run_cli("detect", clip[0], "--model", model, "--chime", tmp_path / "new" / "c.wav", "--plot", tmp_path / "p.svg")
    assert r.returncode == 0 and read_wav(tmp_path / "new" / "c.wav")[0] == 44100, r.stderr
    assert b"<svg" in (tmp_path / "p.svg").read_bytes()[:500]
    assert not [p for p in tmp_path.rglob("*") if ".part" in p.name]


def test_detect_bad_model_and_threshold(clip, tmp_path):
    r = run_cli("detect", clip[0], "--model", tmp_path / "nope.weights.h5")
    assert r.returncode == 2 and "nope.weights.h5: no such model file" in r.stderr
    r = run_cli("detect", clip[0], "--threshold", "1.5")
    assert r.returncode == 2 and "threshold" in r.stderr


# ------------------------------------------------------------------------------------ listen

class FakeInput:
    """Stands for sounddevice.InputStream: gives a recording block by block, then Ctrl-C."""

    def __init__(self, samples):
        self.x, self.i, self.started, self.closed = samples, 0, False, False

    def start(self):
        self.started = True

    def read(self, frames):
        if self.i >= len(self.x):
            raise KeyboardInterrupt
        block = self.x[self.i:self.i + frames]
        self.i += frames
        return (block / 32768.0).astype(np.float32)[:, None], False

    def stop(self):
        pass

    def close(self):
        self.closed = True


def test_listen_prints_and_chimes_on_each_detection(clip, model, capsys):
    """With a fake microphone: one line and one chime per detection, then a clean stop on Ctrl-C."""
    import io
    _, data = read_wav(clip[0])
    fake = FakeInput(np.tile(data[:, 0], 2))
    played, out = [], io.StringIO()
    rc = listen.main(["--model", str(model), "--threshold", "0.5"], out=out,
                     open_input=lambda device, rate, block: (fake, 44100),
                     play=lambda chime, rate: played.append(len(chime)))
    assert rc == 0 and fake.started and fake.closed
    lines = out.getvalue().splitlines()
    hits = [line for line in lines if "activate at" in line]
    assert len(hits) == len(played)
    assert lines[-1].startswith("stopped after 20.0 s of audio")
    # the same detections as a trailing-gain stream fed in one piece
    det = stream.StreamingDetector(stream.load_weights(model), mode="trailing")
    det.feed(np.tile(data[:, 0], 2))
    assert len(det.detections) == len(hits)


def test_listen_without_microphone(model, monkeypatch, capsys):
    """No input device: a clear message and exit code 1, no traceback."""
    import types

    class PortAudioError(Exception):
        pass

    def query_devices(device=None, kind=None):
        raise PortAudioError("Error querying device -1")

    fake_sd = types.SimpleNamespace(query_devices=query_devices, PortAudioError=PortAudioError)
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sd)
    assert listen.main(["--model", str(model)]) == 1
    err = capsys.readouterr().err
    assert "no microphone" in err and "input device" in err and "Traceback" not in err


def test_listen_bad_threshold_and_model_before_any_microphone(tmp_path, capsys):
    """A bad --threshold or model file: one line naming it, exit code 2, and the microphone never opened."""
    opened = []
    never = lambda device, rate, block: opened.append(device)  # noqa: E731
    assert listen.main(["--threshold", "0"], open_input=never) == 2
    assert capsys.readouterr().err.strip() == "triggerword listen: --threshold must be between 0 and 1, not 0.0"
    assert listen.main(["--model", str(tmp_path / "gone.weights.h5")], open_input=never) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("triggerword listen: ") and "gone.weights.h5: no such model file" in err[0]
    assert opened == []


# ------------------------------------------------------------------------------------ enroll

def test_enroll_end_to_end_writes_a_new_model_and_changes_no_input(model, tmp_path, monkeypatch, capsys):
    """5 spoken takes, 6 sentences, 2 backgrounds, 1 epoch on 4 examples: a new loadable model, inputs
    unchanged."""
    rng = np.random.default_rng(5)
    takes = tmp_path / "takes"
    takes.mkdir()
    for i, (voice, speed) in enumerate([("en-us", 140), ("en-gb", 160), ("en-us+f3", 130),
                                         ("en-us+m3", 175), ("en-gb+f2", 150)]):
        x = streamkit.speech(tmp_path / "tts.wav", "activate", rng, 0.8, voice=voice, speed=speed)
        x = np.concatenate([np.zeros(4410), x, np.zeros(8820)]) + rng.standard_normal(len(x) + 13230) * 20
        streamkit.write_wav(takes / f"take{i}.wav", x)
    (takes / "notes.txt").write_text("not audio")
    backgrounds = tmp_path / "backgrounds"
    backgrounds.mkdir()
    for i in range(2):
        streamkit.write_wav(backgrounds / f"bg{i}.wav", rng.standard_normal(params.CLIP_SAMPLES) * 2000)
    sentences = tmp_path / "sentences"
    sentences.mkdir()
    from triggerword import tts
    from triggerword.voices import get_voice
    kal = get_voice("flite:kal")
    for i, text in enumerate(enroll.PROMPTS[:6]):     # 3 with the word, 3 without
        x = tts.synthesize(text, kal, {}) if tts.available(kal) else None
        if x is None:
            pytest.skip("flite is not installed")
        streamkit.write_wav(sentences / f"s{i}.wav", np.concatenate([np.zeros(4410), x * 16000, np.zeros(4410)]))
        (sentences / f"s{i}.txt").write_text(text)
    talk = tmp_path / "talk.wav"            # the sentences without the word, twice over: the speaker's talk
    import soundfile
    spoken = [soundfile.read(str(sentences / f"s{i}.wav"))[0] * 32768 for i in (1, 3, 5)] * 2
    talk_x = np.concatenate([np.concatenate([x, np.zeros(22050)]) for x in spoken])
    streamkit.write_wav(talk, talk_x)
    n_talk = sum(len(talk_x[k:k + params.CLIP_SAMPLES]) >= params.SAMPLE_RATE
                 for k in range(0, len(talk_x), params.CLIP_SAMPLES))
    dev = tmp_path / "dev"                  # two clips of the workbook's dev set, with their labels
    dev.mkdir()
    labels = json.loads((ROOT / "raw_data" / "dev" / "labels.json").read_text())
    for name in sorted(labels)[:2]:
        shutil.copy(ROOT / "raw_data" / "dev" / name, dev / name)
    (dev / "labels.json").write_text(json.dumps({n: labels[n] for n in sorted(labels)[:2]}))
    inputs = [*takes.iterdir(), *backgrounds.iterdir(), *sentences.iterdir(), *dev.iterdir(), talk, model]
    before = digest(inputs)
    out = tmp_path / "mine.weights.h5"
    common = [str(takes), "--sentences", str(sentences), "--model", str(model), "--backgrounds", str(backgrounds),
              "--dev", str(dev), "--talk", str(talk),
              "--negatives", str(tmp_path / "none"), "--activates", str(tmp_path / "none"),
              "--examples", "4", "--epochs", "1", "--batch-size", "2", "--eval-clips", "1", "--quiet-clips", "2"]
    assert enroll.main(common + ["--out", str(out)]) == 0
    printed, err = capsys.readouterr()
    assert "held-out recall before:" in printed and "held-out recall after:" in printed
    assert "false alarms before in 20 s without the word:" in printed
    assert "false alarms after in 20 s without the word:" in printed
    assert "5 usable (4 to train on, 1 held out)" in printed
    assert "sentences: 6 usable (3 with the word, 3 without; 4 to train on, 2 held out)" in printed
    assert "held-out sentences before: " in printed and "held-out sentences after: " in printed
    found = sum(map(len, (labels[n] for n in sorted(labels)[:2])))
    assert f"other people ({dev}, 2 clips) before: " in printed and f"/{found} (" in printed
    assert f"other people ({dev}, 2 clips) after: " in printed
    # the sentences' warning comes exactly when fewer of their words are found after; with sentences
    # there is no advice to record them
    hits = [int(re.search(rf"held-out sentences {when}: +(\d+)/", printed).group(1)) for when in ("before", "after")]
    assert ("fewer of the words in your held-out sentences" in err) == (hits[1] < hits[0]), (hits, err)
    assert "record sentences too" not in printed
    assert f"false alarms before in {n_talk * 10} s of your talk: " in printed
    assert f"false alarms after in {n_talk * 10} s of your talk: " in printed
    new = stream.load_weights(out)
    old = stream.load_weights(model)
    assert not np.allclose(new.gru1_u, old.gru1_u)                 # trained
    assert digest(inputs) == before

    # two tries: each reported, one kept, a new model written; none is refused before any work
    assert enroll.main(common + ["--out", str(tmp_path / "two.weights.h5"), "--tries", "2", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "try 1/2: fine-tuning on 4 examples" in printed and "try 2/2: trained in" in printed
    kept = re.search(r"keeping try ([12]): the fewest false alarms", printed)
    assert kept
    # the file written is the kept try's model: try 1 is what --tries 1 makes with the same seed
    assert enroll.main(common + ["--out", str(tmp_path / "one.weights.h5"), "--seed", "3"]) == 0
    capsys.readouterr()
    two, one = stream.load_weights(tmp_path / "two.weights.h5"), stream.load_weights(tmp_path / "one.weights.h5")
    assert two.gru1_u.shape == new.gru1_u.shape
    assert np.array_equal(two.gru1_u, one.gru1_u) == (kept.group(1) == "1")
    # takes alone: the advice to record sentences, since nothing checks the word in fluent speech
    takes_only = [a for a in common if a not in ("--sentences", str(sentences), "--talk", str(talk))]
    assert enroll.main(takes_only + ["--out", str(tmp_path / "takes.weights.h5")]) == 0
    printed = capsys.readouterr().out
    assert "held-out sentences" not in printed and "record sentences too (--record-sentences 16)" in printed
    assert "of your talk" not in printed
    # talk with nothing usable in it: refused before any training, naming what was given
    silent = tmp_path / "silent.wav"
    streamkit.write_wav(silent, np.zeros(5 * params.SAMPLE_RATE))
    assert enroll.main(takes_only + ["--out", str(tmp_path / "silent.weights.h5"), "--talk", str(silent)]) == 1
    assert f"--talk: no usable audio in {silent}" in capsys.readouterr().err
    assert not (tmp_path / "silent.weights.h5").exists()
    # sentences none of which can be used: the same, not a model trained without them
    assert enroll.main(takes_only + ["--out", str(tmp_path / "silent.weights.h5"), "--sentences", str(silent)]) == 1
    assert "--sentences: none of the 1 recording(s) could be used" in capsys.readouterr().err
    assert not (tmp_path / "silent.weights.h5").exists()
    with pytest.raises(SystemExit):
        enroll.main(common + ["--out", str(tmp_path / "none.weights.h5"), "--tries", "0"])
    assert "--tries 0: at least 1" in capsys.readouterr().err
    assert not (tmp_path / "none.weights.h5").exists()

    # the output exists: refused without --force; a models/ folder is refused even with --force
    assert enroll.main(common + ["--out", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    shipped = tmp_path / "models"
    shipped.mkdir()
    (shipped / "model.weights.h5").write_bytes(model.read_bytes())
    monkeypatch.chdir(tmp_path)
    assert enroll.main(common + ["--out", "models/model.weights.h5", "--force"]) == 1
    assert "refusing to replace" in capsys.readouterr().err
    assert (shipped / "model.weights.h5").read_bytes() == model.read_bytes()


def test_enroll_examples_without_the_word_hold_no_labels_and_the_share_is_checked(model, tmp_path, capsys):
    """Seven in ten fine-tuning examples hold no activate (their labels all zero) and the rest 1-2 (50 to
    100 ones, fewer only when the last runs past the end); the no-word clips that count false alarms hold
    no activate; a share of 1 or more would leave nothing to learn and is refused before any work."""
    rng = np.random.default_rng(3)
    bgs = [rng.standard_normal(params.CLIP_SAMPLES) * 2000 for _ in range(2)]
    words = [streamkit.fake_voice(0.6, rng) for _ in range(3)]
    others = [streamkit.fake_voice(0.4, rng) for _ in range(3)]
    _, y = enroll.build_examples(np.random.default_rng(0), 100, bgs, words, [], others)
    ones = y[:, :, 0].sum(axis=1)
    assert 58 <= np.sum(ones == 0) <= 82                  # about 70 of 100 draws (half would be 50 +- 5)
    assert np.all(ones[ones > 0] <= 100)
    _, y = enroll.build_examples(np.random.default_rng(0), 20, bgs, words, [], others, no_word_share=0.0)
    assert np.all(y[:, :, 0].sum(axis=1) > 0)
    quiet = enroll.build_quiet_clips(np.random.default_rng(1), bgs, others, 3)
    assert len(quiet) == 3 and all(ends == [] and x.shape == (params.TX, params.N_FREQ) for x, ends in quiet)
    # the warning comes when the false alarms more than double and rise by 3 or more, not for the
    # 2 -> 4 of the README's run, and never when they fall
    assert enroll.false_alarm_warning(2, 4) is None and enroll.false_alarm_warning(0, 2) is None
    assert enroll.false_alarm_warning(5, 3) is None and enroll.false_alarm_warning(6, 12) is None
    for before, after in ((2, 5), (0, 3), (2, 19), (6, 13)):
        assert "fires on audio without the word" in enroll.false_alarm_warning(before, after), (before, after)
    # the held-out sentences: a warning when fewer of their words are found (awb's 7/8 -> 4/8), none
    # when as many or more are (rms 0/8 -> 8/8, hf_beta 8/8 -> 8/8), none without held-out sentences
    for before, after in (((0, 8), (8, 8)), ((8, 8), (8, 8)), ((0, 0), (0, 0))):
        assert enroll.sentences_warning(before, after) is None, (before, after)
    for before, after in (((7, 8), (4, 8)), ((8, 8), (7, 8))):
        assert f"({before[0]}/{before[1]} -> {after[0]}/{after[1]})" in enroll.sentences_warning(before, after)
    with pytest.raises(SystemExit):
        enroll.main([str(tmp_path), "--model", str(model), "--no-word-share", "1"])
    assert "--no-word-share 1: a share from 0 up to (not including) 1" in capsys.readouterr().err


def test_enroll_keeps_the_try_with_the_fewest_false_alarms_then_the_most_words():
    checks = lambda *rows: dict(zip(("takes", "sentences", "quiet", "dev"), rows))  # noqa: E731
    quiet_few = checks((2, 8, 0), (1, 8, 0), (0, 0, 1), (20, 26, 3))     # 4 false alarms, 23 words
    keen = checks((8, 8, 0), (8, 8, 0), (0, 0, 0), (26, 26, 5))          # 5 false alarms, 42 words
    same_more = checks((3, 8, 1), (1, 8, 0), (0, 0, 0), (20, 26, 3))     # 4 false alarms, 24 words
    tries = [keen, quiet_few, same_more]
    assert min(range(3), key=lambda k: enroll.try_rank(tries[k])) == 2
    assert min(range(2), key=lambda k: enroll.try_rank([keen, quiet_few][k])) == 1
    assert min(range(2), key=lambda k: enroll.try_rank([quiet_few, quiet_few][k])) == 0


def test_enroll_cuts_your_talk_into_clips_and_skips_what_it_cannot_use(tmp_path):
    """25.5 s of talk make 3 clips (the last 5.5 s padded); 20.5 s make 2 (the 0.5 s left is under
    1 s); a silent file none; a broken file is skipped with a warning naming it."""
    rng = np.random.default_rng(0)
    rate = params.SAMPLE_RATE
    for name, seconds in (("long.wav", 25.5), ("short.wav", 20.5)):
        streamkit.write_wav(tmp_path / name, rng.standard_normal(int(seconds * rate)) * 3000)
    streamkit.write_wav(tmp_path / "silent.wav", np.zeros(12 * rate))
    (tmp_path / "broken.wav").write_bytes(b"RIFF....WAVEfmt ")
    warned = []
    clips = enroll.load_talk([tmp_path / "long.wav"], warned.append)
    assert len(clips) == 3 and all(x.shape == (params.TX, params.N_FREQ) and ends == [] for x, ends in clips)
    assert len(enroll.load_talk([tmp_path / "short.wav"], warned.append)) == 2
    assert enroll.load_talk([tmp_path / "silent.wav"], warned.append) == []
    assert warned == []
    assert enroll.load_talk([tmp_path / "broken.wav"], warned.append) == []
    assert len(warned) == 1 and "broken.wav" in warned[0]
    # a clip's level does not matter: each is set to -20 dBFS as the evaluator sets its clips
    streamkit.write_wav(tmp_path / "quiet.wav", rng.standard_normal(10 * rate) * 300)
    streamkit.write_wav(tmp_path / "loud.wav", rng.standard_normal(10 * rate) * 3000)
    quiet, loud = (enroll.load_talk([tmp_path / n], warned.append)[0][0] for n in ("quiet.wav", "loud.wav"))
    assert abs(float(np.mean(quiet)) - float(np.mean(loud))) < 0.5


def test_enroll_checks_on_other_people(tmp_path, capsys):
    """The dev set of other people is read with its labels, an unreadable clip skipped with a warning
    naming it; a missing folder, or one without labels, skips that check; its warning says where."""
    assert "on other people's sentences (dev) 5 times" in \
        enroll.false_alarm_warning(1, 5, "on other people's sentences (dev)")
    assert enroll.load_dev(str(tmp_path / "none")) == [] and enroll.load_dev(str(tmp_path)) == []
    labels = json.loads((ROOT / "raw_data" / "dev" / "labels.json").read_text())
    names = sorted(labels)[:2]
    dev = tmp_path / "dev"
    dev.mkdir()
    for name in names:
        shutil.copy(ROOT / "raw_data" / "dev" / name, dev / name)
    (dev / "broken.wav").write_bytes(b"RIFF....WAVEfmt ")
    (dev / "labels.json").write_text(json.dumps({**{n: labels[n] for n in names}, "broken.wav": [1000]}))
    clips = enroll.load_dev(str(dev))
    assert [ends for _, ends in clips] == [labels[n] for n in names]
    assert all(x.shape == (params.TX, params.N_FREQ) for x, _ in clips)
    assert "broken.wav" in capsys.readouterr().err
    (dev / "labels.json").write_text("{not json")
    assert enroll.load_dev(str(dev)) == []
    assert f"{dev}/labels.json: " in capsys.readouterr().err


def test_enroll_scores_other_people_as_evaluate_does():
    """enroll's check on the dev set (the streaming detector's numpy weights) counts the hits and
    false alarms that ``triggerword evaluate`` counts with Keras, clip for clip, for the shipped model."""
    from triggerword import evaluate as ev
    from triggerword.model import load_model_f
    folder = str(ROOT / "raw_data" / "dev")
    clips = enroll.load_dev(folder)[:8]
    assert len(clips) == 8
    shipped = ROOT / "models" / "model.weights.h5"
    weights = stream.load_weights(shipped)
    probs = list(ev.predict_keras(load_model_f(shipped), [x for x, _ in clips]))
    for (x, ends), p in zip(clips, probs):
        s = ev.score_clips([p], [ends])
        assert enroll.recall(weights, [(x, ends)], 0.5) == (s["hits"], s["hits"] + s["misses"], s["false_alarms"])
    total = ev.score_clips(probs, [ends for _, ends in clips])
    assert total["hits"] > 0                   # the shipped model finds words in its own dev set


def _corpus_texts():
    from triggerword import corpus
    return {t.lower() for name in dir(corpus) if name.isupper()
            for t in (getattr(corpus, name) if isinstance(getattr(corpus, name), list) else [])
            if isinstance(t, str)}


def test_enroll_prompts_are_no_corpus_text_and_every_other_holds_the_word():
    """A model enrolled on the prompts is scored on corpus texts (the dev set, the held-out sets): a
    prompt that is one of them would score the model on what it was taught. Reading prompts in
    order gives as many sentences with the word as without."""
    texts = _corpus_texts()
    assert len(texts) > 1000                       # the corpus' lists were found
    assert not [t for t in enroll.PROMPTS if t.lower() in texts]
    assert [enroll.count_words(t) for t in enroll.PROMPTS] == [1, 0] * (len(enroll.PROMPTS) // 2)
    assert enroll.count_words("Activated? No: activate it, activity, ACTIVATE.") == 2


def _two_piece_sentence(tmp_path, voice):
    """"Activate the lamp on my desk." spoken in two pieces by ``voice``, 50 ms apart, after 0.4 s of
    silence, so that the word's end is known: (path, end of the word in s from the file's start)."""
    from triggerword import augment, tts
    from triggerword.voices import get_voice
    row = get_voice(voice)
    if not tts.available(row):
        pytest.skip(f"{voice} is not installed")
    word = augment.trim(tts.synthesize("activate", row, {}), margin_ms=0, threshold_db=-40)
    rest = augment.trim(tts.synthesize("the lamp on my desk", row, {}), margin_ms=0, threshold_db=-40)
    lead, gap = np.zeros(int(0.4 * params.SAMPLE_RATE)), np.zeros(int(0.05 * params.SAMPLE_RATE))
    x = np.concatenate([lead, word, gap, rest, lead]) * 16000
    name = voice.replace(":", "-").replace("+", "-")
    return streamkit.write_wav(tmp_path / f"{name}.wav", x), (len(lead) + len(word)) / params.SAMPLE_RATE


def test_read_sentence_finds_where_the_word_ends(tmp_path):
    """Sentences spoken in two pieces, so that the word's end is known. flite's: PocketSphinx's
    alignment of the text beside the file puts the end within 0.12 s (the corpus' tolerance for its
    dev labels). espeak-ng's, which PocketSphinx cannot align: Whisper's word times, within the 0.25 s
    before the end that scoring allows. The text comes from Whisper when there is no file beside it; a
    transcript that may hold a misheard "activate", a text the audio does not fit, an empty text and
    silence are each refused with a line naming the file."""
    path, truth = _two_piece_sentence(tmp_path, "flite:kal")
    side = path.with_suffix(".txt")
    side.write_text("Activate the lamp on my desk.\n")
    samples, text, ends, how = enroll.read_sentence(path)
    assert text == "Activate the lamp on my desk." and how == "aligned" and len(ends) == 1
    lead_kept = 0.4 - 0.05                           # the silence before the sound is cut to 50 ms
    assert abs(ends[0] / 1000 - (truth - lead_kept)) <= 0.12, (ends, truth)
    assert len(samples) / params.SAMPLE_RATE < truth + 2.0

    side.unlink()
    heard = lambda text: (lambda a: (text, []))  # noqa: E731
    assert enroll.read_sentence(path, transcribe=heard(" Activate the lamp on my desk."))[2] == ends
    assert enroll.read_sentence(path, transcribe=heard("The lamp on my desk."))[2:] == ([], "")
    with pytest.raises(enroll.AudioFileError, match=r"kal\.wav: Whisper heard .*\"activated\" is \"activate\""):
        enroll.read_sentence(path, transcribe=heard("Activated the lamp on my desk."))
    side.write_text("Activate it. Activate it again, activate the lamp, activate the desk.")
    with pytest.raises(enroll.AudioFileError, match=r"kal\.wav: the recording does not align with"):
        enroll.read_sentence(path, transcribe=heard("Activate the lamp on my desk."))
    side.write_text(" ... \n")
    with pytest.raises(enroll.AudioFileError, match=r"kal\.txt: holds no words"):
        enroll.read_sentence(path)
    quiet = streamkit.write_wav(tmp_path / "quiet.wav", np.zeros(params.SAMPLE_RATE))
    with pytest.raises(enroll.AudioFileError, match=r"quiet\.wav: pure silence"):
        enroll.read_sentence(quiet)

    path, truth = _two_piece_sentence(tmp_path, "espeak-ng:en-us+m1")
    path.with_suffix(".txt").write_text("Activate the lamp on my desk.")
    _, _, ends, how = enroll.read_sentence(path)
    assert how == "whisper" and len(ends) == 1
    assert -0.25 <= ends[0] / 1000 - (truth - lead_kept) <= 0.05, (ends, truth)


def test_recorded_sentences_get_their_prompt_beside_them_and_no_file_is_overwritten(tmp_path, capsys):
    """--record-sentences through a stand-in microphone: each take asks for the next prompt, is saved
    as a new sentence-NNN.wav with the prompt in sentence-NNN.txt (what read_sentence aligns), and
    files already there are skipped over, not replaced."""
    import io
    rng = np.random.default_rng(9)
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "sentence-001.wav").write_bytes(b"an earlier take")
    (folder / "sentence-002.txt").write_text("an earlier text")
    fake = FakeInput(rng.standard_normal(5 * params.SAMPLE_RATE) * 1000)
    out = io.StringIO()
    paths = enroll.record_takes(2, folder, 1.5, open_input=lambda device, rate, block: (fake, 44100), out=out,
                                pause_s=0, prompts=enroll.PROMPTS)
    assert [p.name for p in paths] == ["sentence-003.wav", "sentence-004.wav"]
    assert (folder / "sentence-003.txt").read_text().strip() == enroll.PROMPTS[0]
    assert (folder / "sentence-004.txt").read_text().strip() == enroll.PROMPTS[1]
    assert read_wav(paths[0])[1].shape[0] == int(1.5 * params.SAMPLE_RATE)
    assert (folder / "sentence-001.wav").read_bytes() == b"an earlier take"
    assert (folder / "sentence-002.txt").read_text() == "an earlier text"
    lines = out.getvalue().splitlines()
    assert lines[0] == f'sentence 1/2: read "{enroll.PROMPTS[0]}" now (1.5 s)'
    assert lines[-1] == f"saved 2 sentences in {folder}" and fake.closed
    # --record-talk: one take of talk, asked for without the word, saved as a new talk-NNN.wav, no text
    (folder / "talk-001.wav").write_bytes(b"earlier talk")
    fake, out = FakeInput(rng.standard_normal(5 * params.SAMPLE_RATE) * 1000), io.StringIO()
    paths = enroll.record_takes(1, folder, 2.5, open_input=lambda device, rate, block: (fake, 44100), out=out,
                                pause_s=0, talk=True)
    assert [p.name for p in paths] == ["talk-002.wav"] and not (folder / "talk-002.txt").exists()
    assert read_wav(paths[0])[1].shape[0] == int(2.5 * params.SAMPLE_RATE)
    assert (folder / "talk-001.wav").read_bytes() == b"earlier talk"
    assert out.getvalue().splitlines()[0] == \
        'talk 1/1: talk as you usually do, or read anything aloud, without saying "activate", now (2.5 s)'
    with pytest.raises(SystemExit):
        enroll.main([str(folder), "--record-talk", "0"])
    assert "--record-talk 0: seconds, more than 0" in capsys.readouterr().err
    # through the command: the talk is recorded into --takes-dir before the takes are read (one take
    # here, too few, so nothing is trained and no model written)
    one = tmp_path / "one"
    one.mkdir()
    streamkit.write_wav(one / "take.wav", rng.standard_normal(params.SAMPLE_RATE) * 1000)
    fake = FakeInput(rng.standard_normal(5 * params.SAMPLE_RATE) * 1000)
    assert enroll.main([str(one), "--record-talk", "1.5", "--takes-dir", str(tmp_path / "rec"),
                        "--out", str(tmp_path / "m.weights.h5")],
                       open_input=lambda device, rate, block: (fake, 44100)) == 1
    assert [p.name for p in (tmp_path / "rec").iterdir()] == ["talk-001.wav"] and fake.closed
    assert "1 usable take(s)" in capsys.readouterr().err and not (tmp_path / "m.weights.h5").exists()


def test_enroll_sentence_clips_label_the_word_where_it_ends():
    """A held-out sentence with the word is labelled at its own word end, wherever the clip puts it:
    here a 1 kHz tone stands for the word, and the label must fall where the tone stops in the clip's
    spectrogram (a 20 ms slip would show). A sentence without the word gets no label."""
    rate = params.SAMPLE_RATE
    t = np.arange(int(0.4 * rate)) / rate
    sentence = np.concatenate([np.zeros(int(0.5 * rate)), 8000 * np.sin(2 * np.pi * 1000 * t),
                               np.zeros(int(0.6 * rate))])
    bgs = [np.zeros(params.CLIP_SAMPLES)]
    clips = enroll.build_sentence_clips(np.random.default_rng(2), [(sentence, [900])], [sentence], bgs, [], 3)
    assert len(clips) == 6
    for x, ends in clips[:3]:
        assert len(ends) == 1
        band = x[:, 3:7].sum(axis=1)                 # bins of 220.5 Hz: 1 kHz lies in 4 and 5
        loud = np.flatnonzero(band > band.max() * 1e-3)
        tone_end_ms = (loud[-1] + 1) * params.CLIP_MS / params.TX
        assert abs(tone_end_ms - ends[0]) <= 20, (tone_end_ms, ends)
    assert all(ends == [] for _, ends in clips[3:])


def test_enroll_examples_with_sentences(tmp_path):
    """With the user's sentences: examples without the word stay unlabelled though half of them hold a
    sentence without it; about four in five of the examples with the user's word hold a sentence with
    it (one label of 50 ones) instead of two takes (100); without sentences the examples are those of
    before."""
    rng = np.random.default_rng(4)
    bgs = [rng.standard_normal(params.CLIP_SAMPLES) * 2000 for _ in range(2)]
    words = [streamkit.fake_voice(0.6, rng) for _ in range(3)]
    others = [streamkit.fake_voice(0.4, rng) for _ in range(3)]
    said = [(streamkit.fake_voice(2.0, rng), [900])]
    unsaid = [streamkit.fake_voice(2.5, rng)]
    x0, y0 = enroll.build_examples(np.random.default_rng(0), 6, bgs, words, [], others)
    x1, y1 = enroll.build_examples(np.random.default_rng(0), 6, bgs, words, [], others, said=(), unsaid=())
    assert np.array_equal(x0, x1) and np.array_equal(y0, y1)
    _, y = enroll.build_examples(np.random.default_rng(0), 30, bgs, words, [], others, no_word_share=0.99,
                                 said=said, unsaid=unsaid)
    assert y.sum() == 0
    _, y = enroll.build_examples(np.random.default_rng(0), 60, bgs, words, [], others, no_word_share=0.0,
                                 n_activates=(2, 2), said=said, unsaid=unsaid)
    ones = y[:, :, 0].sum(axis=1)
    # synth places a sentence with the word after the other words, as the trainer's examples do, and
    # once in a while finds no room for it in six tries: that example holds no word (1 of these 60)
    assert np.sum(ones == 0) <= 2
    single = int(np.sum((ones > 0) & (ones <= 50)))   # one sentence: 50 ones; two takes: up to 100
    assert 40 <= single <= 56, single                 # 48 expected; half (30) or all (60) would fail


def test_enroll_needs_five_takes(model, tmp_path, capsys):
    rng = np.random.default_rng(6)
    for i in range(3):
        streamkit.write_wav(tmp_path / f"t{i}.wav", streamkit.fake_voice(0.7, rng))
    long = np.concatenate([streamkit.fake_voice(0.7, rng)] * 9)   # about 6 s of sound: not one word
    streamkit.write_wav(tmp_path / "t9.wav", long)
    streamkit.write_wav(tmp_path / "t8.wav", streamkit.fake_voice(0.7, rng)[:441])   # 10 ms: no word either
    rc = enroll.main([str(tmp_path), "--model", str(model), "--out", str(tmp_path / "x.weights.h5")])
    assert rc == 1
    err = capsys.readouterr().err
    assert "3 usable take(s); enroll needs at least 5" in err
    assert re.search(r"t9\.wav: \d\.\d\d s of sound; a take should hold one \"activate\" \(0.2 to 5 s\)", err), err
    assert re.search(r"t8\.wav: 0\.0\d s of sound; a take should hold one \"activate\" \(0.2 to 5 s\)", err), err
    assert not (tmp_path / "x.weights.h5").exists()


def test_enroll_refuses_what_it_could_not_write_before_training(model, tmp_path, capsys):
    """An --out under a file and a --takes-dir that is a file fail at once, one line each (before, the
    first trained for a minute and then lost the model to a FileExistsError); thresholds and counts out
    of range are usage errors."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    base = [str(tmp_path), "--model", str(model)]
    assert enroll.main(base + ["--out", str(a_file / "x.weights.h5")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{a_file} is a file, not a folder" in err[0], err
    assert enroll.main(base + ["--record", "6", "--takes-dir", str(a_file)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--takes-dir" in err[0] and "is a file" in err[0], err
    assert a_file.read_text() == "mine"
    for option, value in (("--threshold", "nan"), ("--threshold", "7"), ("--max-backgrounds", "-1"),
                          ("--eval-clips", "0"), ("--quiet-clips", "-5")):
        with pytest.raises(SystemExit):
            enroll.main(base + [option, value])
        assert f"argument {option}: " in capsys.readouterr().err


def test_enroll_says_when_no_take_was_named_or_a_folder_is_empty(model, tmp_path, capsys):
    """No takes at all, "--takes DIR" (not an option: takes are named bare) and an empty folder each
    get a line saying so, before any training; nothing is written."""
    out = ["--model", str(model), "--out", str(tmp_path / "x.weights.h5")]
    assert enroll.main(out) == 1
    assert "no takes given" in capsys.readouterr().err
    with pytest.raises(SystemExit):   # once read as --takes-dir, leaving no takes and a puzzling count
        enroll.main(["--takes", str(tmp_path)] + out)
    assert "unrecognized arguments: --takes" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert enroll.main([str(tmp_path / "empty")] + out) == 1
    err = capsys.readouterr().err.splitlines()
    assert any(line.endswith("empty: no audio files for takes in this folder (.wav, .wave, .flac, .ogg, ...)") for line in err), err
    assert not (tmp_path / "x.weights.h5").exists()


def test_one_takes_dir_can_be_passed_as_takes_sentences_and_talk(tmp_path):
    """--takes-dir holds take-*, sentence-* and talk-* recordings side by side: a folder named for one
    role leaves the others' files out, with a line naming how many and where they belong; files named
    one by one, and audio named otherwise (the user's own), are kept whatever their name."""
    rng = np.random.default_rng(3)
    names = ["take-001.wav", "take-002.wav", "sentence-001.wav", "talk-001.wav", "talk-002.wav", "mine.wav",
             "take_3.wav"]
    for name in names:
        streamkit.write_wav(tmp_path / name, streamkit.fake_voice(0.5, rng))
    (tmp_path / "sentence-001.txt").write_text("turn it on\n")
    lines = []
    got = lambda role: [p.name for p in enroll._expand([str(tmp_path)], lines.append, role)]  # noqa: E731
    assert got("takes") == ["mine.wav", "take-001.wav", "take-002.wav", "take_3.wav"]
    assert lines == [f"{tmp_path}: left out of takes: 1 sentence-* file(s) (pass them with --sentences), "
                     "2 talk-* file(s) (pass them with --talk)"]
    lines.clear()
    assert got("--sentences") == ["mine.wav", "sentence-001.wav", "take_3.wav"]
    assert lines == [f"{tmp_path}: left out of --sentences: 2 take-* file(s) (pass them as takes), "
                     "2 talk-* file(s) (pass them with --talk)"]
    lines.clear()
    assert got("--talk") == ["mine.wav", "take_3.wav", "talk-001.wav", "talk-002.wav"]
    named = [str(tmp_path / "talk-001.wav"), str(tmp_path / "sentence-001.wav")]
    assert enroll._expand(named, lines.append, "takes") == [Path(n) for n in named]   # named files: as given
    only_takes = tmp_path / "only"
    only_takes.mkdir()
    streamkit.write_wav(only_takes / "take-001.wav", streamkit.fake_voice(0.5, rng))
    lines.clear()
    assert enroll._expand([str(only_takes)], lines.append, "--talk") == []
    assert lines[-1].endswith("only: no audio files for --talk in this folder (.wav, .wave, .flac, .ogg, ...)"), lines


def test_make_example_follows_the_workbook():
    """Labels: 50 ones strictly after int(end_ms * Ty / 10000); spectrogram (5511, 101)."""
    rng = np.random.default_rng(8)
    bg = rng.standard_normal(params.CLIP_SAMPLES) * 3000
    word = streamkit.fake_voice(0.6, rng)
    x, y, ends = enroll.make_example(rng, bg, [word], [], (2, 2), (0, 0))
    assert x.shape == (params.TX, params.N_FREQ) and y.shape == (params.TY,)
    assert len(ends) >= 1
    for end in ends:
        start = int(end * params.TY / params.CLIP_MS)
        assert y[start] == 0 and np.all(y[start + 1:min(params.TY, start + 51)] == 1)


def test_console_script_dispatches():
    """``triggerword detect --help`` reaches this module through the dispatcher."""
    r = run_cli("detect", "--help")
    assert r.returncode == 0 and "--chime" in r.stdout and "--json" in r.stdout
    r = run_cli("listen", "--help")
    assert r.returncode == 0 and "--device" in r.stdout
    r = run_cli("enroll", "--help")
    assert r.returncode == 0 and "--out" in r.stdout


# ------------------------------------------------------------------------------------ probe

def test_probe_sentence_puts_the_label_at_the_end_of_the_word():
    from triggerword import probe
    sr = params.SAMPLE_RATE
    lead, word, tail = (np.full(n, v, np.float32) for n, v in ((4410, 0.1), (22050, 0.2), (8820, 0.3)))
    for gap in (0.05, 0.3, None):
        speech, end_ms = probe.sentence(lead, word, tail, gap)
        end = int(round(end_ms * sr / 1000))
        assert np.all(speech[end - 22050:end] == np.float32(0.2))  # the word ends exactly there
        after = speech[end:]
        if gap is None:
            assert len(after) == 0
        else:
            assert np.all(after[:int(sr * gap)] == 0) and np.all(after[int(sr * gap):] == np.float32(0.3))
    x = probe.clip(speech)
    start = int(sr * probe.START_S)
    assert len(x) == params.CLIP_SAMPLES and np.allclose(x[start:start + 4410], 0.1, atol=1e-2)


@pytest.mark.skipif(shutil.which("flite") is None, reason="flite not installed (apt-get install flite)")
def test_probe_prints_one_row_per_condition_and_refuses_a_missing_model(tmp_path):
    done = run_cli("probe", "--model", ROOT / "models" / "model.weights.h5")
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| `")]
    assert [r.split("|")[2].strip() for r in rows] == [name for name, _ in __import__("triggerword.probe").probe.CONDITIONS]
    for r in rows:
        hits, n = map(int, r.split("|")[3].split("/"))
        assert n == 15 and 0 <= hits <= n
    missing = tmp_path / "nothing.weights.h5"
    done = run_cli("probe", "--model", missing)
    ours = [line for line in done.stderr.splitlines() if line.startswith("triggerword probe:")]
    assert done.returncode == 1 and len(ours) == 1 and str(missing) in ours[0] and "no such model file" in ours[0]


def test_make_cache_runs_the_readmes_commands_and_makes_what_the_shipped_recipe_reads():
    """scripts/make_cache.sh: each step is a command the README documents, word for word, and the
    steps before `--train` stops make every cache folder the shipped recipe reads."""
    script = (ROOT / "scripts" / "make_cache.sh").read_text()
    readme = (ROOT / "README.md").read_text()
    step = re.compile(r"^step (\S+) (triggerword .+)$", flags=re.M)
    steps = step.findall(script)
    assert len(steps) >= 9
    for name, command in steps:
        assert command in readme, f"step {name} runs a command the README does not show: {command}"
    train_part = script.split("only_train)) && ")[0]
    # each step is named after the cache folder it makes; --target cache writes cache/corpus
    made = {"cache/corpus"} | {f"cache/{name}" for name, _ in step.findall(train_part)}
    shipped = json.loads((ROOT / "models" / "export.json").read_text())["run"]   # the run models/ holds
    recipe = json.loads((ROOT / shipped / "recipe.json").read_text())["recipe"]
    for folder in recipe["extra_corpora"]:
        folder = folder["path"] if isinstance(folder, dict) else folder   # an entry of its own parts
        assert folder in made, f"the shipped recipe reads {folder}, which make_cache.sh --train does not make"
    assert re.search(r"^step sentences .*--target sentences", train_part, flags=re.M)
