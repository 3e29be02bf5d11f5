"""triggerword realspeech: real speech without the word, cut from the Asterisk prompt packages."""
import csv
import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parent))  # streamkit.py sits beside this file
import streamkit  # noqa: E402

from triggerword import evaluate, params, realspeech

ROOT = Path(__file__).resolve().parents[1]


def tone(seconds, rate, freq=440.0):
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def fake_sounds(root):
    """A stand-in prompt tree: en-allison's G.722 prompts (one of them "activated") and it-menardi's
    8-kHz WAVs, 21.3 s of speech-like tones each before the pauses."""
    en = root / "en_US_f_Allison"
    (en / "digits").mkdir(parents=True)
    for i, (name, secs) in enumerate([("added", 3.1), ("goodbye", 4.2), ("activated", 5.0), ("digits/1", 6.0),
                                      ("vm-intro", 8.0)]):
        wav = root / f"tmp-{i}.wav"
        soundfile.write(wav, tone(secs, 16000, 300 + 50 * i), 16000)
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), "-ar", "16000", "-acodec",
                        "g722", "-f", "g722", str(en / f"{name}.g722")], check=True)
        wav.unlink()
    it = root / "it_IT_f_Menardi"
    it.mkdir()
    for name, secs in [("a", 7.1), ("b", 7.1), ("c", 7.1)]:
        soundfile.write(it / f"{name}.wav", tone(secs, 8000), 8000, subtype="PCM_16")
    return root


@pytest.fixture(scope="module")
def sounds(tmp_path_factory):
    return fake_sounds(tmp_path_factory.mktemp("sounds"))


def test_prompts_are_joined_and_cut_into_10_s_clips_without_the_word(sounds, tmp_path):
    warnings = []
    counts = realspeech.build(tmp_path / "real", ["en-allison", "it-menardi"], sounds, warn=warnings.append)
    assert warnings == []
    # en: 3.1 + 4.2 + 6.0 + 8.0 = 21.3 s of speech plus 4 pauses of 0.15-0.6 s (activated left out): 2 clips
    assert counts == {"en-allison": 2, "it-menardi": 2}
    clips = sorted(p.name for p in (tmp_path / "real").glob("*.wav"))
    assert clips == ["en-allison-0000.wav", "en-allison-0001.wav", "it-menardi-0000.wav", "it-menardi-0001.wav"]
    for name in clips:
        x, rate = soundfile.read(tmp_path / "real" / name, dtype="int16")
        info = soundfile.info(tmp_path / "real" / name)
        assert rate == params.SAMPLE_RATE and len(x) == params.CLIP_SAMPLES and info.subtype == "PCM_16"
        assert np.sqrt(np.mean(x.astype(float) ** 2)) > 1000   # speech all through, pauses under 0.6 s
    rows = list(csv.DictReader(open(tmp_path / "real" / "manifest.csv")))
    assert [r["clip"] for r in rows] == clips
    named = " ".join(r["prompts"] for r in rows)
    assert "activated" not in named and "added.g722" in named and "1.g722" in named   # subfolders read too
    assert rows[0]["package"] == "asterisk-core-sounds-en-g722" and rows[0]["language"] == "English (US)"
    # the 300-Hz prompt "added" opens the first clip: its pitch survived G.722 and the resampling
    x, _ = soundfile.read(tmp_path / "real" / "en-allison-0000.wav")
    spectrum = np.abs(np.fft.rfft(x[:params.SAMPLE_RATE * 2]))
    assert abs(np.argmax(spectrum) / 2 - 300) < 3
    # where each prompt's speech lies: its own length (the fixture's), a pause of GAP_S after it, and
    # one that runs over the clip's end goes on in the next clip, 10 s earlier there
    lengths = {"added.g722": 3.1, "goodbye.g722": 4.2, "1.g722": 6.0, "vm-intro.g722": 8.0}
    spans = realspeech.clip_spans(str(tmp_path / "real"))
    for r in rows:
        assert len(spans[r["clip"]]) == len(r["prompts"].split())
    en = [(name, span) for r in rows[:2] for name, span in zip(r["prompts"].split(), spans[r["clip"]])]
    assert en[0] == ("added.g722", (0.0, pytest.approx(3.1, abs=0.01)))
    for name, (a, b) in en:
        assert b - a == pytest.approx(lengths[name], abs=0.02)
    first, second = list(zip(rows[0]["prompts"].split(), spans[rows[0]["clip"]])), \
        list(zip(rows[1]["prompts"].split(), spans[rows[1]["clip"]]))
    gaps = [first[i + 1][1][0] - first[i][1][1] for i in range(len(first) - 1)]
    assert all(realspeech.GAP_S[0] - 0.01 <= g <= realspeech.GAP_S[1] + 0.01 for g in gaps)
    assert second[0][0] == first[-1][0] and second[0][1][0] == pytest.approx(first[-1][1][0] - 10, abs=0.011)


def test_the_same_seed_writes_the_same_files_and_another_seed_other_pauses(sounds, tmp_path):
    for out, seed in (("a", 0), ("b", 0), ("c", 5)):
        realspeech.build(tmp_path / out, ["en-allison"], sounds, seed=seed)
    read = lambda d: {p.name: p.read_bytes() for p in sorted((tmp_path / d).iterdir())}  # noqa: E731
    assert read("a") == read("b")
    assert read("a")["en-allison-0001.wav"] != read("c")["en-allison-0001.wav"]


def test_missing_packages_are_named_with_the_line_that_installs_them(sounds, tmp_path):
    warnings = []
    counts = realspeech.build(tmp_path / "some", ["en-allison", "fr-june"], sounds, warn=warnings.append)
    assert counts == {"en-allison": 2}
    assert len(warnings) == 1 and "fr-june" in warnings[0] and "apt-get install asterisk-core-sounds-fr-g722" in warnings[0]
    warnings.clear()   # by default every set but en-allison-8k (the same prompts as en-allison)
    assert realspeech.build(tmp_path / "default", None, sounds, warn=warnings.append) == counts | {"it-menardi": 2}
    assert warnings == [f"warning: {sounds}: no prompts of es-allison, fr-june, it-carlo, ru-ivrvoice, es-co, "
                        "fr-armelle (left out; `apt-get install asterisk-core-sounds-es-g722 asterisk-core-sounds-fr-g722 "
                        "asterisk-core-sounds-it-g722 asterisk-core-sounds-ru-g722 asterisk-prompt-es-co "
                        "asterisk-prompt-fr-armelle` adds them)"]
    with pytest.raises(realspeech.RealSpeechError, match=r"no Asterisk prompts of fr-june, ru-ivrvoice; install them: "
                                                         r"apt-get install asterisk-core-sounds-fr-g722 asterisk-core"):
        realspeech.build(tmp_path / "none", ["fr-june", "ru-ivrvoice"], sounds)
    assert not (tmp_path / "none").exists()


def test_a_broken_prompt_is_skipped_by_name(sounds, tmp_path):
    broken = tmp_path / "sounds"
    shutil.copytree(sounds, broken)
    (broken / "it_IT_f_Menardi" / "b.wav").write_bytes(b"RIFF....WAVEfmt not really")
    warnings = []
    counts = realspeech.build(tmp_path / "real", ["it-menardi"], broken, warn=warnings.append)
    assert counts == {"it-menardi": 1}   # 14.2 s left
    assert len(warnings) == 1 and "b.wav" in warnings[0]


def test_no_user_file_is_overwritten(sounds, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert realspeech.main(["--out", str(out), "--sounds", str(sounds), "--speakers", "en-allison"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "did not make" in err[0] and str(out) in err[0]
    assert [p.name for p in out.iterdir()] == ["notes.txt"] and (out / "notes.txt").read_text() == "keep me"
    made = tmp_path / "made"
    assert realspeech.main(["--out", str(made), "--sounds", str(sounds), "--speakers", "en-allison"]) == 0
    assert "wrote 2 clips of 10 s (0.01 h)" in capsys.readouterr().out
    assert realspeech.main(["--out", str(made), "--sounds", str(sounds), "--speakers", "it-menardi"]) == 0  # its own: rebuilt
    assert sorted(p.name for p in made.glob("*.wav")) == ["it-menardi-0000.wav", "it-menardi-0001.wav"]


def test_a_manifest_alone_does_not_make_a_folder_its_own(sounds, tmp_path, monkeypatch, capsys):
    """Before, any folder with a manifest.csv was replaced whole (the corpus generator writes one in
    raw_data/ and cache/ too), "." was emptied, a user's ".NAME.part" folder beside --out was deleted,
    and a run that could read no prompt replaced good clips with an empty folder."""
    corpus = tmp_path / "corpus"
    (corpus / "activates").mkdir(parents=True)
    (corpus / "activates" / "001.wav").write_bytes(b"a take")
    (corpus / "manifest.csv").write_text("path,kind,engine\nactivates/001.wav,activate,kokoro\n")
    made = tmp_path / "made"
    assert realspeech.main(["--out", str(made), "--sounds", str(sounds), "--speakers", "it-menardi"]) == 0
    (made / "notes.txt").write_text("mine")             # a folder it made, with a user's file added
    user_part = tmp_path / ".made.part"
    user_part.mkdir()
    (user_part / "keep.txt").write_text("mine")
    monkeypatch.chdir(corpus)
    capsys.readouterr()
    for out in (corpus, made, "."):
        before = sorted(str(p) for p in Path(out).rglob("*"))
        assert realspeech.main(["--out", str(out), "--sounds", str(sounds), "--speakers", "it-menardi"]) == 1, out
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and ("did not make" in err[0] or "not the current folder" in err[0]), (out, err)
        assert sorted(str(p) for p in Path(out).rglob("*")) == before, out
    (made / "notes.txt").unlink()
    assert realspeech.main(["--out", str(made), "--sounds", str(sounds), "--speakers", "it-menardi"]) == 0
    assert (user_part / "keep.txt").read_text() == "mine" and not list(tmp_path.glob(".made.*.part"))
    broken = tmp_path / "broken"
    (broken / "it_IT_f_Menardi").mkdir(parents=True)
    for name in "abc":
        (broken / "it_IT_f_Menardi" / f"{name}.wav").write_bytes(b"RIFF....WAVEfmt not really")
    clips = sorted(p.name for p in made.iterdir())
    capsys.readouterr()
    assert realspeech.main(["--out", str(made), "--sounds", str(broken), "--speakers", "it-menardi"]) == 1
    assert "no clip could be made" in capsys.readouterr().err and sorted(p.name for p in made.iterdir()) == clips


def test_the_installed_english_prompts_are_real_speech_without_the_word(tmp_path):
    """The package setup installs: about half an hour of one real speaker, none of it the word."""
    counts = realspeech.build(tmp_path / "real", ["en-allison"])
    assert 160 <= counts["en-allison"] <= 190, counts
    rows = list(csv.DictReader(open(tmp_path / "real" / "manifest.csv")))
    prompts = " ".join(r["prompts"] for r in rows).split()
    assert len(prompts) > 500 and not [p for p in prompts if "activ" in p]
    x, _ = soundfile.read(tmp_path / "real" / "en-allison-0010.wav")
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / params.SAMPLE_RATE)
    assert spectrum[freqs > 8000].sum() < 1e-3 * spectrum.sum()   # G.722: nothing above 7 kHz
    assert spectrum[(freqs > 100) & (freqs < 4000)].sum() > 0.5 * spectrum.sum()   # a voice


def test_prompt_texts_come_from_the_package_list_of_the_speakers_own_package(tmp_path, monkeypatch):
    """``prompt_texts`` reads "name: text" lines (comments, a byte-order mark and blank lines aside);
    ``clip_prompts`` gives a clip's prompts their texts only where the speaker reads the core sounds
    whose list it is, and a missing or broken list gives no texts, never an error."""
    listing = tmp_path / "core-sounds-it.txt.gz"
    with gzip.open(listing, "wt", encoding="utf-8") as f:
        f.write("\ufeff; Core sounds\n\nagent-user: Login operatore.\ndigits/1: uno\nnot a prompt line\n")
    assert realspeech.prompt_texts("it", str(listing)) == {"agent-user": "Login operatore.", "digits/1": "uno"}
    broken = tmp_path / "broken.txt.gz"
    broken.write_bytes(b"\x1f\x8b not gzip")
    assert realspeech.prompt_texts("it", str(broken)) == {} and realspeech.prompt_texts("it", str(tmp_path / "no")) == {}
    monkeypatch.setattr(realspeech, "TEXTS", str(tmp_path / "core-sounds-{lang}.txt.gz"))
    monkeypatch.setenv("TRIGGERWORD_ASSETS", str(tmp_path / "assets"))   # no unpacked lists there
    (tmp_path / "manifest.csv").write_text("clip,speaker,language,package,prompts\n"
                                           "it-carlo-0000.wav,it-carlo,Italian,p,agent-user.g722 other.g722\n"
                                           "it-menardi-0000.wav,it-menardi,Italian,p,agent-user.wav\n")
    assert realspeech.clip_prompts(str(tmp_path)) == {
        "it-carlo-0000.wav": [("agent-user.g722", "Login operatore."), ("other.g722", "")],
        "it-menardi-0000.wav": [("agent-user.wav", "")]}   # Menardi reads another package's wording
    assert realspeech.clip_prompts(str(tmp_path / "nothing")) == {}
    (tmp_path / "manifest.csv").write_bytes(b"clip,speaker\n\xff\xfe\x00broken")
    assert realspeech.clip_prompts(str(tmp_path)) == {}
    unpacked = tmp_path / "assets" / "asterisk-texts" / "core-sounds-it.txt.gz"   # where setup.sh unpacks it
    unpacked.parent.mkdir(parents=True)
    with gzip.open(unpacked, "wt", encoding="utf-8") as f:
        f.write("agent-user: Operatore.\n")
    assert realspeech.prompt_texts("it") == {"agent-user": "Operatore."}   # comes before the package's own


def test_evaluate_scores_real_speech_apart_and_by_speaker(tmp_path, capsys):
    """--real: every detection in clips that hold the word is a false alarm there, counted per speaker
    (the clip name before its last "-"), in all, across the sweep and in the report."""
    dev, real = tmp_path / "dev", tmp_path / "real"
    dev.mkdir()
    real.mkdir()
    for i, name in enumerate(("001.wav", "002.wav")):
        shutil.copy(ROOT / "raw_data" / "dev" / name, dev / name)
        shutil.copy(ROOT / "raw_data" / "dev" / name, real / f"en-allison-{i:04d}.wav")   # each holds the word
        streamkit.quiet_clip(real / f"it-carlo-{i:04d}.wav", 200.0 + 100 * i)   # no speech, no word
    (dev / "labels.json").write_text(json.dumps({"001.wav": [5250], "002.wav": [4292]}))
    # the first clip's manifest says where its prompts lie: "added" holds the word (it ends at 5.25 s);
    # the second's, as a set made before spans were recorded, does not
    (real / "manifest.csv").write_text("clip,speaker,language,package,prompts,spans_s\n"
                                       "en-allison-0000.wav,en-allison,English (US),p,demo-instruct.g722 added.g722,"
                                       "-1.00:2.00 4.40:6.20\n"
                                       "en-allison-0001.wav,en-allison,English (US),p,no-such-prompt.g722,\n")
    report = tmp_path / "EVAL.md"
    assert evaluate.main(["--model", str(ROOT / "models" / "model.weights.h5"), "--dev", str(dev), "--real", str(real),
                          "--json", "--report", str(report)]) == 0
    out = json.loads(capsys.readouterr().out)
    at = out["at_threshold"]
    detections = at["hits"] + at["false_alarms"]
    assert at["hits"] == 2 and at["real_clips"] == 4
    assert at["real_per_hour"] == pytest.approx(detections * 3600 / 40)
    by = {r["speaker"]: r for r in at["real_by_speaker"]}
    assert list(by) == ["en-allison", "it-carlo", "all"]
    assert by["en-allison"]["per_hour"]["0.5"] == pytest.approx(detections * 3600 / 20)
    assert by["it-carlo"]["per_hour"]["0.5"] == 0.0 and by["all"]["per_hour"]["0.5"] == at["real_per_hour"]
    row = next(r for r in out["sweep"] if r["threshold"] == 0.5)
    assert row["real_per_hour"] == at["real_per_hour"]
    text = report.read_text()
    assert "| false alarms / h | false alarms / h, real speech | held-out engine F1 |" in text
    assert f"| it-carlo | Italian | 0.01 | 0.0 |" in text
    # where it fired: the clips that hold the word, each with its manifest's prompts (the texts are the
    # installed English package's where there is one; a prompt the list lacks has none)
    fires = {r["clip"]: r for r in at["real_fires"]}
    assert sorted(fires) == ["en-allison-0000.wav", "en-allison-0001.wav"]
    assert sum(len(r["at_s"]) for r in fires.values()) == detections
    assert [p for p, _ in fires["en-allison-0000.wav"]["prompts"]] == ["demo-instruct.g722", "added.g722"]
    assert fires["en-allison-0001.wav"]["prompts"] == [["no-such-prompt.g722", ""]]
    assert "## Real speech: where it fires" in text and "| en-allison-0001.wav |" in text
    # each detection by the word is placed in the prompt that holds it, this far into it
    first = fires["en-allison-0000.wav"]
    assert first["fired_in"] == [[["added.g722", pytest.approx(t - 4.4, abs=0.006), 1.8]] for t in first["at_s"]]
    assert fires["en-allison-0001.wav"]["fired_in"] == [[] for _ in fires["en-allison-0001.wav"]["at_s"]]
    assert f"at {first['at_s'][-1]:.1f}: {first['at_s'][-1] - 4.4:.1f} s into `added.g722`" in text
    assert "| en-allison-0001.wav | " in text and " | `no-such-prompt.g722` |" in text
    if os.path.exists(realspeech.texts_file("en")):
        assert fires["en-allison-0000.wav"]["prompts"][1][1] == "Added."
    assert evaluate.main(["--dev", str(dev), "--real", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "none: no such folder" in err[0] and "triggerword realspeech --out" in err[0]


def test_prompt_tallies_share_out_each_clip_and_its_false_alarms(tmp_path):
    """Each clip's 10 s go to its prompts, from each one's start to the next one's (the first's from the
    clip's start), and each detection to the prompt whose share holds it; a clip without spans is left
    out. In all, a prompt of one name is one group in every set, and only rows whose clips are all
    covered get the second interval."""
    (tmp_path / "manifest.csv").write_text(
        "clip,speaker,language,package,prompts,spans_s\n"
        "en-allison-0000.wav,en-allison,English (US),p,a.g722 b.g722,-1.00:2.00 4.40:6.20\n"
        "en-allison-0001.wav,en-allison,English (US),p,b.g722 c.g722,-3.00:1.00 2.00:9.00\n"
        "fr-june-0000.wav,fr-june,French (Canada),p,b.g722,0.50:8.00\n"
        "it-carlo-0000.wav,it-carlo,Italian,p,a.g722,\n")
    names = ["en-allison-0000.wav", "en-allison-0001.wav", "fr-june-0000.wav", "it-carlo-0000.wav"]
    fires = [{"clip": "en-allison-0000.wav", "at_s": [1.0, 5.0, 9.9]}, {"clip": "en-allison-0001.wav", "at_s": [0.5, 1.5, 2.5]},
             {"clip": "it-carlo-0000.wav", "at_s": [3.0]}]
    tallies = evaluate.prompt_tallies(str(tmp_path), names, fires)
    assert tallies == {"en-allison": {"a": [1, pytest.approx(4.4)], "b": [4, pytest.approx(7.6)], "c": [1, pytest.approx(8.0)]},
                       "fr-june": {"b": [0, pytest.approx(10.0)]}}
    at = {"real_per_hour": 7 * 3600 / 40, "real_clips": 4, "real_by_speaker": [
        {"speaker": "en-allison", "hours": 20 / 3600, "per_hour": {0.5: 6 * 3600 / 20}},
        {"speaker": "fr-june", "hours": 10 / 3600, "per_hour": {0.5: 0.0}},
        {"speaker": "it-carlo", "hours": 10 / 3600, "per_hour": {0.5: 3600 / 10}}]}
    rows = {r["measure"]: r for r in evaluate.interval_rows(at, [], 0.5, tallies=tallies)}
    en, fr = rows["false alarms / h, real speech, en-allison"], rows["false alarms / h, real speech, fr-june"]
    assert en["prompts"] == 3 and en["prompts_low"] < en["value"] < en["prompts_high"]
    assert fr["prompts"] == 1 and (fr["prompts_low"], fr["prompts_high"]) == (0.0, 0.0)
    assert "prompts" not in rows["false alarms / h, real speech, it-carlo"]   # its clip has no spans
    assert "prompts" not in rows["false alarms / h, real speech"]           # nor, so, has the set in all
    del at["real_by_speaker"][2]
    at.update(real_per_hour=6 * 3600 / 30, real_clips=3)
    rows = {r["measure"]: r for r in evaluate.interval_rows(at, [], 0.5, tallies=tallies)}
    assert rows["false alarms / h, real speech"]["prompts"] == 3   # a, b (in both sets) and c
    text = "\n".join(evaluate.interval_lines(list(rows.values()), 0.5))
    assert "| resampling prompts |" in text and "(3 prompts) |" in text
    # the prompts that fire most, over every set: "b" 4 times in 7.6 + 10 s, all in English
    assert evaluate.prompt_rows(tallies) == [{"prompt": "b", "fires": 4, "sets": {"en-allison": 4}, "seconds": 17.6}]
    assert [r["prompt"] for r in evaluate.prompt_rows(tallies, least=1)] == ["b", "a", "c"]
    assert "| `b` | 4 | en-allison 4 | 18 | 818 |" in "\n".join(evaluate.prompt_lines(evaluate.prompt_rows(tallies), 0.5))
    assert "| (none) |" in "\n".join(evaluate.prompt_lines([], 0.5))


def fake_stamps(root):
    """A stand-in stamp tree: 4 French and 2 Spanish descriptions (tones at 44.1 and 22.05 kHz, stereo and
    mono), one English one without a language suffix, one whose name holds "activ", and a stamp's own
    sound effect (no ``_desc``), which is not speech and is not read."""
    (root / "animals" / "cats").mkdir(parents=True)
    (root / "town").mkdir()
    files = {"animals/cats/cat_desc_fr.ogg": (1.0, 44100, 2), "animals/cats/lion_desc_fr.ogg": (1.5, 44100, 1),
             "animals/cats/tiger_desc_fr.ogg": (0.8, 22050, 1), "town/bus_desc_fr.ogg": (1.2, 44100, 1),
             "town/bus_desc_es.ogg": (1.1, 44100, 1), "town/car_desc_es.ogg": (0.9, 44100, 1),
             "town/car_desc.ogg": (1.3, 44100, 1), "town/reactivate_desc_fr.ogg": (1.0, 44100, 1),
             "animals/cats/cat.ogg": (2.0, 44100, 1)}
    for i, (name, (secs, rate, channels)) in enumerate(files.items()):
        x = tone(secs, rate, 200 + 40 * i) * (0.1 + 0.1 * i)
        soundfile.write(root / name, np.stack([x] * channels, axis=1) if channels > 1 else x, rate,
                        format="OGG", subtype="VORBIS")
    return root


def test_stamps_become_sentences_without_the_word_grouped_by_language(tmp_path):
    stamps = fake_stamps(tmp_path / "stamps")
    counts = realspeech.build_stamps(tmp_path / "out", stamps)
    assert counts == {"en": 1, "es": 1, "fr": 2}   # French: 3 + 1 descriptions; "reactivate" left out
    sentences = tmp_path / "out" / "sentences"
    labels = json.loads((sentences / "labels.json").read_text())
    assert labels == {f"stamps-{i:05d}.wav": [] for i in range(1, 5)}
    rows = list(csv.DictReader(open(sentences / "manifest.csv")))
    assert [(r["language"], r["prompts"]) for r in rows] == [
        ("en", "town/car_desc.ogg"), ("es", "town/bus_desc_es.ogg town/car_desc_es.ogg"),
        ("fr", "animals/cats/cat_desc_fr.ogg animals/cats/lion_desc_fr.ogg animals/cats/tiger_desc_fr.ogg"),
        ("fr", "town/bus_desc_fr.ogg")]
    x, rate = soundfile.read(sentences / "stamps-00003.wav")
    assert rate == params.SAMPLE_RATE and x.ndim == 1
    assert 3.3 + 2 * 0.1 <= len(x) / rate <= 3.3 + 2 * 0.4 + 0.05   # three pieces, two pauses between
    assert abs(20 * np.log10(np.sqrt(np.mean(x ** 2))) - realspeech.STAMP_DBFS) < 0.5
    # the trainer reads it as sentences without the word, and nothing else from it
    from triggerword.train import RECIPE, load_corpus
    corpus_root = tmp_path / "corpus"
    for kind, secs in (("activates", 0.7), ("negatives", 0.5), ("backgrounds", 10.0)):
        (corpus_root / kind).mkdir(parents=True)
        soundfile.write(corpus_root / kind / "0.wav", tone(secs, params.SAMPLE_RATE), params.SAMPLE_RATE,
                        subtype="PCM_16")
    base = load_corpus(str(corpus_root), dict(RECIPE))
    more = load_corpus(str(corpus_root), dict(RECIPE, extra_corpora=[str(tmp_path / "out")], extra_parts=["without"]))
    assert len(more.sentences) == len(base.sentences) + 4 and len(more.negatives) == len(base.negatives)
    assert len(more.activates) == len(base.activates) and len(more.labelled) == len(base.labelled)


def test_stamps_are_the_same_files_for_a_seed_and_never_overwrite_a_user_folder(tmp_path, capsys):
    stamps = fake_stamps(tmp_path / "stamps")
    realspeech.build_stamps(tmp_path / "a", stamps, seed=3)
    realspeech.build_stamps(tmp_path / "b", stamps, seed=3)
    realspeech.build_stamps(tmp_path / "c", stamps, seed=4)
    read = lambda d: (d / "sentences" / "stamps-00003.wav").read_bytes()  # noqa: E731
    assert read(tmp_path / "a") == read(tmp_path / "b") != read(tmp_path / "c")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert realspeech.main(["--stamps", str(stamps), "--out", str(mine)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(mine) in err[0] and "did not make" in err[0]
    assert (mine / "notes.txt").read_text() == "keep me" and len(list(mine.iterdir())) == 1
    assert realspeech.main(["--stamps", str(tmp_path / "none"), "--out", str(tmp_path / "d")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "apt-get install --no-install-recommends tuxpaint-stamps-default" in err[0]
    assert not (tmp_path / "d").exists()
    assert realspeech.main(["--stamps", str(stamps), "--out", str(tmp_path / "e")]) == 0
    assert f"wrote 4 sentences of real speech without the word into {tmp_path / 'e'}/sentences: en 1, es 1, fr 2" \
        in capsys.readouterr().out


def test_a_broken_stamp_description_is_skipped_by_name(tmp_path):
    stamps = fake_stamps(tmp_path / "stamps")
    (stamps / "town" / "bus_desc_es.ogg").write_bytes(b"OggS but not really")
    warnings = []
    counts = realspeech.build_stamps(tmp_path / "out", stamps, warn=warnings.append)
    assert counts["es"] == 1 and len(warnings) == 1 and "bus_desc_es.ogg" in warnings[0]
    rows = list(csv.DictReader(open(tmp_path / "out" / "manifest.csv")))
    assert [r["prompts"] for r in rows if r["language"] == "es"] == ["town/car_desc_es.ogg"]


def test_the_installed_stamp_descriptions_are_hours_of_real_speech_in_many_languages(tmp_path):
    """What setup installs (tuxpaint-stamps-default): thousands of descriptions, a dozen languages."""
    files = realspeech.stamp_files()
    languages = {realspeech.stamp_language(f) for f in files}
    assert len(files) > 5000 and {"fr", "es", "ru", "el", "en"} <= languages, (len(files), languages)
    assert not [f for f in files if "activ" in f.name.lower()]
    x, rate = soundfile.read(files[0])
    assert rate == params.SAMPLE_RATE and len(x) > rate // 2


def _sweep_file(path, rows):
    """A scores file with only the sweep fields scripts/equal_real.py reads."""
    sweep = [dict(threshold=t, real_per_hour=real, fa_per_hour=fa, engine_f1=eng, f1=dev,
                  extra_f1={"flite read whole": flite, "Kokoro read whole": 0.9})
             for t, real, fa, eng, dev, flite in rows]
    path.write_text(json.dumps({"sweep": sweep}))
    return str(path)


def test_equal_real_reads_the_control_at_the_runs_real_false_alarms(tmp_path):
    """A run that only fires less than its control lies on the control's curve (differences 0 where
    its real-speech rate is one of the control's points, and interpolated between them); one with a
    higher engine F1 at the same real rate lies above it by exactly that much."""
    control = _sweep_file(tmp_path / "c.json", [(0.4, 60.0, 50, 0.80, 0.85, 0.75),
                                                (0.5, 40.0, 30, 0.70, 0.88, 0.70),
                                                (0.6, 20.0, 10, 0.50, 0.90, 0.60)])
    # the control's own 0.5 point read at 0.6; a point halfway between the control's 0.5 and 0.6
    run = _sweep_file(tmp_path / "r.json", [(0.5, 60.0, 50, 0.80, 0.85, 0.75),
                                            (0.6, 30.0, 20, 0.65, 0.89, 0.70)])
    out = subprocess.run(["python", str(ROOT / "scripts" / "equal_real.py"), control, run],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == 2
    assert "engine 0.800 (+0.000)" in out[0] and "flite read whole 0.750 (+0.000)" in out[0]
    assert "fa  50 (control  50)" in out[0]
    # at 30 an hour the control's curve is halfway: engine 0.60, flite 0.65, near-miss 20
    assert "engine 0.650 (+0.050)" in out[1] and "flite read whole 0.700 (+0.050)" in out[1]
    assert "fa  20 (control  20)" in out[1] and "dev 0.890 (+0.000)" in out[1]


def test_games_real_joins_each_voice_into_clips_that_name_their_lines():
    """scripts/games_real.py: a voice's lines, joined with pauses of realspeech.GAP_S, cut into whole
    10-s clips; each line's stretch runs from its start to the next line's, and they tile each clip."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("games_real", ROOT / "scripts" / "games_real.py")
    games_real = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(games_real)
    sr = params.SAMPLE_RATE
    lines = [(f"line{i}", np.full(int((1.0 + 0.5 * (i % 3)) * sr), 0.04 * (i + 1))) for i in range(20)]
    clips = games_real.voice_clips("test-voice", lines)
    speech = sum(len(x) for _, x in lines) / sr       # 29.5 s, and 19 or 20 pauses of 0.15-0.6 s
    assert len(clips) == 3 and all(len(y) == params.CLIP_SAMPLES for y, _ in clips)
    assert clips[0][1][0][:2] == ("line0", 0.0) and clips[0][0][0] == pytest.approx(0.04, abs=1e-4)
    for y, held in clips:
        assert held[0][1] <= 0.0 and held[-1][2] >= 10.0   # the clip is covered from its start to its end
        for (_, _, end), (_, start, _) in zip(held, held[1:]):
            assert end == pytest.approx(start)            # stretch after stretch, no gap or overlap
        for name, start, end in held:
            i = int(name[4:])
            length = len(lines[i][1]) / sr
            if 0 <= start and end <= 10:                  # the line, then its pause
                assert 0.15 - 1e-4 <= end - start - length <= 0.6 + 1e-4
            if 0 <= start < 9.99:                           # the line's samples lie where its stretch starts
                assert y[int(round(start * sr)) + 10] == pytest.approx(0.04 * (i + 1), abs=1e-4)
    assert sum(1 for _, held in clips for name, s, _ in held if s >= 0) <= 20
    assert games_real.voice_clips("test-voice", lines)[1][1] == clips[1][1]    # the pauses are seeded


def test_mean_model_averages_the_members_and_is_scored_by_evaluate_itself(tmp_path):
    """scripts/mean_model.py: the joined model's output is the mean of its members' (two different
    models), and a model averaged with itself is scored exactly as ``triggerword evaluate`` scores it."""
    import importlib.util
    from triggerword.model import load_model_f
    spec = importlib.util.spec_from_file_location("mean_model", ROOT / "scripts" / "mean_model.py")
    mean_model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mean_model)
    a, b = str(ROOT / "models" / "model.weights.h5"), str(ROOT / "training" / "run75" / "final.weights.h5")
    dev = str(ROOT / "raw_data" / "dev")
    x = np.stack(evaluate.read_clips(dev, sorted(evaluate.load_labels(dev))[:3])[1])  # clips with the word
    pa, pb = load_model_f(a).predict(x, verbose=0), load_model_f(b).predict(x, verbose=0)
    assert np.abs(pa - pb).max() > 0.05                      # two models that differ
    np.testing.assert_allclose(mean_model.mean_model([a, b]).predict(x, verbose=0), (pa + pb) / 2, atol=1e-5)
    script = ["python", str(ROOT / "scripts" / "mean_model.py")]
    joined = subprocess.run(script + [a, a, "--", "--json"], capture_output=True, text=True, check=True, cwd=ROOT)
    alone = subprocess.run(["python", "-m", "triggerword", "evaluate", "--model", a, "--json"],
                           capture_output=True, text=True, check=True, cwd=ROOT)
    one, two = json.loads(joined.stdout), json.loads(alone.stdout)
    assert one["at_threshold"]["hits"] == two["at_threshold"]["hits"] > 0
    assert [r["f1"] for r in one["sweep"]] == [r["f1"] for r in two["sweep"]]
    missing = subprocess.run(script + [a, str(tmp_path / "none.h5"), "--", "--json"], capture_output=True, text=True)
    assert missing.returncode != 0 and "none.h5: no such model file" in missing.stderr


def test_where_it_fires_says_into_or_after_the_end_of_each_prompt():
    """A detection 0.7 s after a 1.8-s prompt ended is said so, not "2.5 s into" it; the next prompt,
    0.3 s in, is named beside it; a row without spans lists the clip's prompts."""
    rows = [{"clip": "en-allison-0001.wav", "at_s": [8.1], "prompts": [["a.g722", "The conference."], ["b.g722", ""]],
             "fired_in": [[["a.g722", 2.5, 1.8], ["b.g722", 0.3, 4.0]]]},
            {"clip": "en-allison-0002.wav", "at_s": [1.0], "prompts": [["c.g722", ""]], "fired_in": [[]]}]
    lines = evaluate.real_fire_lines(rows, 0.5)
    assert ("| en-allison-0001.wav | 8.1 | at 8.1: 0.7 s after the end of `a.g722` \"The conference.\", "
            "0.3 s into `b.g722` |") in lines
    assert "| en-allison-0002.wav | 1.0 | `c.g722` |" in lines
