"""``triggerword enroll``: fine-tune the model on your own "activate", as the workbook's fine-tuning section does.

    triggerword enroll TAKE... [--sentences REC...] [--out my_model.weights.h5] [--model PATH] [--force]
    triggerword enroll --record 8 [--record-sentences 12] [--takes-dir my_takes] [--device DEV] ...

TAKEs are 5 or more recordings of you saying "activate" (any format ``triggerword detect`` reads;
a folder stands for the audio files in it), or ``--record N`` records N takes through the
microphone (``triggerword listen``'s device), saved as new files in ``--takes-dir``.

``--sentences`` adds recordings of you reading whole sentences, some with the word and some without
(``--record-sentences N`` prompts N of ``PROMPTS`` and records them): a word said alone does not
teach the word said inside fluent speech. What each one says comes from a text file beside it
(``take.wav`` -> ``take.txt``; ``--record-sentences`` writes them), or else from Whisper tiny.en;
PocketSphinx's forced alignment of that text finds where each "activate" ends (``read_sentence``).

1. Each take is trimmed to the word (10-ms frames within 35 dB of its loudest) and scaled to the
   median loudness of the corpus' activates (-20 dBFS without a corpus); sentences likewise.
2. The takes are split: ``--holdout`` of them (a third by default) are kept aside to measure recall;
   a third of the sentences with the word, and of those without, likewise.
3. Training examples are built by ``triggerword.synth`` (the workbook's ``create_training_example``
   in numpy), with the trainer's recipe: a 10 s background from ``--backgrounds`` lowered, 1-2
   activates (your takes, slightly sped up or slowed down and coloured; or for one example in three
   the corpus' own ``raw_data/activates``, so the model keeps what it knew), 1-4 negatives, no
   overlaps, the mix normalised to -20 dBFS; labels of 50 ones after each activate. Seven in ten
   examples (``--no-word-share``) hold no activate, only negatives: without them the model learns
   to fire on everything. With sentences, four in five of the examples that hold your word hold one
   of your sentences with it instead of takes (labelled where the word ends, as the trainer labels
   its sentences), and half of the examples without the word hold one of your sentences without it.
4. The pretrained ``model_f`` is loaded, its BatchNormalization layers frozen, and it is trained
   with Adam and binary cross-entropy.
5. Recall on clips holding the held-out takes, false alarms on ``--quiet-clips`` clips without
   the word (a background and other words), and words found and false alarms on other people's
   sentences (``--dev``, the workbook's dev set) and, with ``--talk``, false alarms in your own talk
   are reported before and after, with a warning when false alarms rise sharply, and one when fewer
   words in your held-out sentences are found; the new weights are written to ``--out``: a NEW
   file. An existing file is replaced only with ``--force``, and never one in a ``models/`` folder
   (the shipped model) nor the model being fine-tuned.
"""
import argparse
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

from td_utils import AudioFileError, chime_steps, match_events
from triggerword import params
from triggerword.checks import at_least, folder_problem, threshold_arg


MIN_TAKES = 5
MIN_WORD_S = 0.2    # raw_data's activates last 0.50-2.04 s, people's 0.6-2.4 s
MAX_SENTENCE_S = 8.0
# What --record-sentences asks you to read, in this order: every other one holds the word, and the
# others words that sound like it (the near misses of the corpus' false-alarm hours): your own
# "activity" and "motivate" are what the model must learn not to fire on once it knows your voice.
# None of them is a text the corpus reads (its dev, held-out or training sentences; a test checks),
# so a model enrolled on them is never scored on its own prompts.
PROMPTS = [
    "Activate the lamp on my desk.",
    "The kids loved every activity at the museum.",
    "Can you activate the radio in the car?",
    "Try to stay active when you work from home.",
    "Please activate the lights in the hallway.",
    "We plan to renovate the attic next spring.",
    "Okay, activate the coffee machine.",
    "My cousin is a climate activist in Leeds.",
    "Activate the blinds and turn the music down.",
    "It is hard to motivate myself after lunch.",
    "I want to activate the alarm before bed.",
    "The detective found a private letter in the drawer.",
    "Now activate the fan in the bathroom.",
    "That film will captivate the whole family.",
    "Let me activate the speaker and play some jazz.",
    "The factory makes creative toys for children.",
]
AUDIO_EXTENSIONS = (".wav", ".wave", ".flac", ".ogg", ".oga", ".mp3", ".m4a", ".aac", ".opus",
                    ".webm", ".mp4", ".aif", ".aiff", ".au", ".wma")


# ------------------------------------------------------------------------------------ audio

def load_mono(path):
    """A file's channel 0 at 44,100 Hz, float on the 16-bit scale (any format detect reads)."""
    from triggerword.stream import AudioReader, StreamResampler
    parts = []
    with AudioReader(path) as reader:
        resampler = None if reader.rate == params.SAMPLE_RATE else StreamResampler(reader.rate)
        for block in reader:
            parts.append((resampler.feed(block) if resampler else block)[:, 0])
        if resampler:
            tail = resampler.finish()
            if len(tail):
                parts.append(tail[:, 0])
    x = np.concatenate(parts) if parts else np.zeros(0)
    if not len(x):
        raise AudioFileError(f"{path}: holds no audio")
    return x


def trim_word(x, rate=params.SAMPLE_RATE, floor_db=35.0, margin_s=0.03):
    """Cut a take to its word: the 10 ms frames within ``floor_db`` of the loudest, plus a margin."""
    frame = rate // 100
    n = len(x) // frame
    if n == 0:
        return x
    rms = np.sqrt(np.mean(x[:n * frame].reshape(n, frame) ** 2, axis=1))
    if rms.max() <= 0:
        return x[:0]
    loud = np.flatnonzero(rms >= rms.max() * 10 ** (-floor_db / 20))
    pad = int(margin_s * rate)
    return x[max(0, loud[0] * frame - pad):min(len(x), (loud[-1] + 1) * frame + pad)]


def count_words(text):
    """How many times ``text`` says "activate" (the word itself, not "activated" or "activity")."""
    return len(re.findall(r"\bactivate\b", text.lower()))


def read_sentence(path, transcribe=None):
    """A recording of a sentence read whole: (samples trimmed to its sound, text, [end ms of each
    "activate"], how the ends were found: "aligned", "whisper" or "" when there is no word).

    The text is the file beside it with the suffix ``.txt``, else Whisper's transcript
    (``transcribe``: samples -> (text, [(word, start s, end s)]), by default Whisper tiny.en through
    ``triggerword.tts.transcribe``). The ends come from PocketSphinx's forced alignment of that text
    (the corpus' rules: each word 0.2-1.6 s long): 0.02-0.06 s early on a sentence built from two
    pieces (so the end is known) by each of flite's kal and rms and Kokoro's af_heart. Where it cannot
    align (it failed on both espeak-ng voices tried, and may on yours), Whisper's word times stand in:
    0.04-0.17 s early on the same sentences of those five voices, still inside the 0.25 s before the
    end that scoring allows. Raises ``AudioFileError`` naming the file
    and the problem."""
    import difflib
    from triggerword import corpus, tts
    transcribe = transcribe or (lambda samples: tts.transcribe(samples, words=True))
    x = trim_word(load_mono(path), floor_db=40.0, margin_s=0.05)
    if not len(x) or not np.any(x):
        raise AudioFileError(f"{path}: pure silence, no sentence in it")
    if len(x) > MAX_SENTENCE_S * params.SAMPLE_RATE:
        raise AudioFileError(f"{path}: {len(x) / params.SAMPLE_RATE:.1f} s of sound; a sentence should "
                             f"take under {MAX_SENTENCE_S:g} s")
    side = Path(path).with_suffix(".txt")
    heard = None

    def hear():
        try:
            return transcribe(x)
        except tts.EngineUnavailable as exc:
            raise AudioFileError(f"{path}: no {side.name} beside it and no Whisper to hear it ({exc})") from None

    if side.is_file():
        text = side.read_text(encoding="utf-8", errors="replace").strip()
        if not re.search(r"[a-zA-Z]", text):
            raise AudioFileError(f"{side}: holds no words; write what {Path(path).name} says")
    else:
        heard = hear()
        text = heard[0].strip()
        near = [t for t in tts.normalise_words(text)
                if t != "activate" and difflib.SequenceMatcher(None, t, "activate").ratio() >= 0.7]
        if near:
            raise AudioFileError(f"{path}: Whisper heard {text!r}; it cannot tell whether "
                                 f"\"{near[0]}\" is \"activate\": write what you said in {side.name}")
    count = count_words(text)
    if not count:
        return x, text, [], ""
    try:
        ends, how = corpus._word_ends(x, text), "aligned"
    except tts.EngineUnavailable:
        ends = None
    if ends is None:
        try:
            stamps = (heard or hear())[1]
        except AudioFileError:
            stamps = []
        ends, how = [end for word, _, end in stamps if tts.normalise_words(word) == ["activate"]], "whisper"
    if len(ends) != count:
        raise AudioFileError(f"{path}: the recording does not align with {text!r}; check {side.name} "
                             "or record it again")
    return x, text, [int(e * 1000) for e in ends], how


def dbfs(x):
    """Loudness of ``x`` (16-bit scale) in dBFS, as pydub measures it (-inf for silence)."""
    from triggerword.augment import rms_db
    return rms_db(np.asarray(x, dtype=np.float64) / 32768.0)


def set_dbfs(x, dbfs):
    """Scale ``x`` (16-bit scale) so its loudness is ``dbfs``; silence stays silence."""
    rms = np.sqrt(np.mean(np.square(x))) if len(x) else 0.0
    return x if rms == 0 else x * (32768.0 * 10 ** (dbfs / 20) / rms)


def audio_files(folder):
    """The audio files of a folder, sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file())


def load_clips(folder, limit, rng, length=None):
    """Up to ``limit`` clips of a folder (random choice), each cut or zero-padded to ``length`` samples."""
    files = audio_files(folder)
    if len(files) > limit:
        files = [files[i] for i in sorted(rng.choice(len(files), limit, replace=False))]
    clips = []
    for f in files:
        try:
            x = load_mono(f)
        except AudioFileError as exc:
            print(f"triggerword enroll: skipping {exc}", file=sys.stderr)
            continue
        if length is not None:
            x = np.pad(x[:length], (0, max(0, length - len(x))))
        clips.append(x)
    return clips


# ------------------------------------------------------------------------------------ examples

def _recipe():
    """The trainer's example recipe (levels, phrases, per-word speed and colouring)."""
    from triggerword.train import RECIPE
    return dict(RECIPE)


def make_example(rng, background, activates, negatives, n_activates=(1, 4), n_negatives=(0, 2),
                 recipe=None, augment=True, sentences=(), n_sentences=(0, 0), labelled=(), n_labelled=(0, 0)):
    """One training example, as ``triggerword.synth.make_example`` (the workbook's
    ``create_training_example`` in numpy) makes it for the trainer.

    Audio is float on the 16-bit scale (``background`` 441,000 samples; ``activates``/``negatives``
    lists of 1-D arrays). ``recipe``: the trainer's levels; ``augment``: per-word speed and
    microphone colouring, as the trainer does. ``sentences`` (without the word) and ``labelled``
    ((samples, [end ms of each "activate"])) are sentences read whole, ``n_sentences`` and
    ``n_labelled`` how many of each to draw. Returns ``x`` (TX, N_FREQ) float32, ``y`` (TY,)
    and the end times (ms) of the activates inserted.
    """
    from triggerword import augment as aug
    from triggerword.synth import features
    from triggerword.synth import make_example as synth_example
    recipe = recipe or _recipe()
    f32 = lambda x: (np.asarray(x, dtype=np.float64) / 32768.0).astype(np.float32)  # noqa: E731

    def word(x, rng):
        x = aug.resample_ratio(x, float(rng.uniform(*recipe["speed"])))
        if rng.random() < recipe["p_colour"]:
            x = aug.mic_colour(x, rng)
        return x

    bg = f32(np.pad(background[:params.CLIP_SAMPLES], (0, max(0, params.CLIP_SAMPLES - len(background)))))
    samples, y, ends = synth_example(
        bg, [f32(a) for a in activates], [f32(n) for n in negatives] or [np.zeros(441, np.float32)], rng,
        background_db=tuple(recipe["background_db"]) if augment else params.BACKGROUND_GAIN_DB,
        n_activates=tuple(n_activates), n_negatives=tuple(n_negatives) if negatives else (0, 0),
        phrase_prob=recipe["phrase_prob"] if augment else 0.0,
        word_gain_db=tuple(recipe["word_gain_db"]) if augment else (0.0, 0.0),
        augment_word=word if augment else None,
        sentences=[f32(x) for x in sentences], n_sentences=tuple(n_sentences) if sentences else (0, 0),
        labelled=[(f32(x), list(e)) for x, e in labelled], n_labelled=tuple(n_labelled) if labelled else (0, 0))
    return features(samples), y, ends


def build_examples(rng, n, backgrounds, user, corpus, negatives, corpus_share=1 / 3, no_word_share=0.7,
                   n_activates=(1, 2), n_negatives=(1, 4), said=(), unsaid=(), said_share=0.8):
    """``n`` examples; each draws its activates from the user's takes, or with ``corpus_share`` from the
    corpus; with ``no_word_share`` an example holds no activate at all, only other words.

    Examples without the word keep the fine-tuned model from firing on everything: with every
    example holding 1-4 activates and 0-2 other words (the first version), 5 epochs on 64 examples
    taught flite's ``rms`` its word but raised the false alarms on the near-miss hour from 30 to 188
    an hour; with half the examples holding none, 1-2 activates and 1-4 other words in the rest, to
    42; with seven in ten holding none, to 38 (``scripts/measure_enroll.py``, the README's
    "triggerword enroll").

    ``said`` are the user's sentences with the word ((samples, [end ms])), ``unsaid`` theirs without
    it: with ``said_share`` an example that would hold the user's takes holds one of ``said`` instead,
    and half of the examples without the word hold one of ``unsaid``. Without sentences nothing is
    drawn for them, so the examples are those of a run without ``--sentences``. For ``rms`` with 16
    sentences (seed 0), a share of 0.5 found 7 of its 40 sentences read whole and 0.8 found 12, with
    fewer false alarms (its own talk 60 and 48 an hour, the near-miss hour 48 and 26), for more of
    other people's words lost (dev F1 0.902 and 0.727): the enrolled model is the speaker's.
    """
    xs, ys = [], []
    for _ in range(n):
        bg = backgrounds[int(rng.integers(len(backgrounds)))]
        pool = corpus if corpus and rng.random() < corpus_share else user
        words = (0, 0) if rng.random() < no_word_share else n_activates
        extra = {}
        if words == (0, 0) and unsaid and rng.random() < 0.5:
            extra = {"sentences": unsaid, "n_sentences": (1, 1)}
        elif words != (0, 0) and pool is user and said and rng.random() < said_share:
            words, extra = (0, 0), {"labelled": said, "n_labelled": (1, 1)}
        x, y, _ = make_example(rng, bg, pool, negatives, words, n_negatives, **extra)
        xs.append(x)
        ys.append(y)
    return np.stack(xs), np.stack(ys)[:, :, None]


def build_eval_clips(rng, takes, backgrounds, negatives, per_take):
    """Clips each holding one held-out take as recorded (plus 0-1 negatives); returns [(x, [end_ms])]."""
    clips = []
    for take in takes:
        for _ in range(per_take):
            bg = backgrounds[int(rng.integers(len(backgrounds)))]
            x, _, ends = make_example(rng, bg, [take], negatives, (1, 1), (0, 1), augment=False)
            clips.append((x, ends))
    return clips


def build_sentence_clips(rng, said, unsaid, backgrounds, negatives, per_sentence):
    """Clips each holding one held-out sentence as recorded over a background: ``said`` with the
    word ((samples, [end ms])), ``unsaid`` without; returns [(x, [end_ms])]."""
    clips = []
    for kind, sentence in [("labelled", s) for s in said] + [("sentences", s) for s in unsaid]:
        for _ in range(per_sentence):
            bg = backgrounds[int(rng.integers(len(backgrounds)))]
            x, _, ends = make_example(rng, bg, [], negatives, (0, 0), (0, 0), augment=False,
                                      **{kind: [sentence], f"n_{kind}": (1, 1)})
            clips.append((x, ends))
    return clips


def build_quiet_clips(rng, backgrounds, negatives, n):
    """``n`` clips of 10 s without "activate": a background and 2-5 of the non-trigger words, as
    recorded (no augmentation). What the model fires on here is a false alarm.

    enroll gives it the words its examples are made of, so it catches a model that fires on
    everything, not the subtler rise in fluent speech: for flite's ``rms`` with 16 sentences, seed 1
    (``scripts/measure_enroll.py``), it counted 2 false alarms in 5 minutes before and 0 after, while
    the near-miss hour went from 26 to 103 an hour. Words held out of training did no better (a third
    of them kept aside: 5 before and 5 after, while the hour went to 118; and fewer words to train on
    raised the false alarms in the speaker's own talk on both seeds tried, 48 -> 84 and 66 -> 96 an
    hour), so the words stay in training and other people's sentences (``load_dev``) are the check
    that saw that rise (3 -> 8 false alarms in the dev set's 25 clips)."""
    clips = []
    for _ in range(n):
        bg = backgrounds[int(rng.integers(len(backgrounds)))]
        x, _, _ = make_example(rng, bg, [], negatives, (0, 0), (2, 5), augment=False)
        clips.append((x, []))
    return clips


def load_talk(files, warn):
    """Your recordings of talk without the word (``--talk``), cut into 10-s clips [(features, [])] read
    as the evaluator reads its clips (each set to -20 dBFS); a piece under 1 s at a file's end, or a
    silent one, is left out, and an unreadable file is skipped with a warning naming it.

    It is the one check of the false alarms in your own voice: for Kokoro's ``hf_beta`` with 16
    sentences, seed 1 (``scripts/measure_enroll.py``), the speaker's own talk went from 6 to 30 false
    alarms an hour while enroll's other checks saw none (2 -> 2 in its 5 quiet minutes)."""
    from td_utils import samples_clip_spectrogram
    clips = []
    for f in files:
        try:
            x = load_mono(f)
        except AudioFileError as exc:
            warn(str(exc))
            continue
        for start in range(0, len(x), params.CLIP_SAMPLES):
            piece = x[start:start + params.CLIP_SAMPLES]
            if len(piece) >= params.SAMPLE_RATE and np.any(piece):
                clips.append((samples_clip_spectrogram(piece, params.TARGET_DBFS).T.astype(np.float32), []))
    return clips


def load_dev(folder):
    """The labelled clips of ``folder`` (the workbook's ``raw_data/dev``: other people's sentences with
    and without the word) as [(features, [end ms])], read as ``triggerword evaluate`` reads them; []
    when the folder or its ``labels.json`` is missing. Unreadable clips are skipped with a warning."""
    from triggerword import evaluate as ev
    if not folder or not os.path.isfile(os.path.join(folder, "labels.json")):
        return []
    try:
        labels = ev.load_labels(folder)
    except ValueError as exc:
        print(f"triggerword enroll: {folder}/labels.json: {exc}; the check on other people is skipped", file=sys.stderr)
        return []
    names = sorted(n for n in labels if os.path.isfile(os.path.join(folder, n)))
    kept, feats = ev.read_clips(folder, names, warn=lambda m: print(f"triggerword enroll: {m}", file=sys.stderr))
    return [(x, labels[n]) for n, x in zip(kept, feats)]


def recall(weights, clips, threshold):
    """(hits, words, false alarms) of the detector on ``clips``, scored as ``triggerword evaluate`` does."""
    from triggerword.stream import predict_clip
    hits = words = false_alarms = 0
    for x, ends in clips:
        steps = chime_steps(predict_clip(weights, x), threshold, params.CHIME_GAP_STEPS)
        h, fa, miss = match_events([s * params.STEP_S for s in steps], [e / 1000 for e in ends],
                                   params.HIT_BEFORE_S, params.HIT_AFTER_S)
        hits, words, false_alarms = hits + h, words + h + miss, false_alarms + fa
    return hits, words, false_alarms


def try_rank(checks):
    """Sort key of one ``--tries`` model by its checks ({name: (hits, words, false alarms)}): the
    fewest false alarms over all the checks first, then the most words found, then the earliest try.

    False alarms first because they are what the seeds change most: for flite's ``rms`` with 16
    sentences, seeds 0 and 1 found 12 and 13 of the speaker's 40 sentences read whole, but the
    near-miss hour went to 26 and 103 false alarms an hour; the dev set's count, which these checks
    include, went 3 -> 2 and 3 -> 8 (``scripts/measure_enroll.py``)."""
    return (sum(c[2] for c in checks.values()), -sum(c[0] for c in checks.values()))


def false_alarm_warning(before, after, where="on audio without the word"):
    """A warning when fine-tuning made the model fire far more often ``where`` (more than twice as
    often and at least 3 more), else None: a model that fires on everything also finds every
    held-out take, so the recall line alone cannot show it. The advice it gives is what was measured:
    for ``rms`` with 16 sentences the near-miss hour went 26 -> 26 an hour with seed 0 and 26 -> 103
    with seed 1, while a higher ``--no-word-share`` (0.85 on seed 1) made it worse, 123."""
    if after < max(2 * before + 1, before + 3):
        return None
    return (f"the new model fires {where} {after} times where the old one fired {before} "
            "times: it may chime on ordinary speech; try it with `triggerword detect` before you keep it, "
            "or enroll again with another --seed (how much the false alarms rise varies widely from one to another)")


def sentences_warning(before, after):
    """A warning when the new model finds fewer of the words in your held-out sentences than the old
    one (``before`` and ``after``: (hits, words)), else None.

    Your sentences are the only check here of the word inside fluent speech, which is how people say
    it; the held-out takes, said alone, can rise while it falls. Measured with
    ``scripts/measure_enroll.py`` (run78, at 0.5), against the speaker's 40 sentences read whole (39
    for ``hf_beta``): with 16 sentences, seed 0, the held-out sentences pointed the same way for all
    three speakers tried: flite's ``rms`` 0/8 -> 8/8 (recall 0.000 -> 0.300), ``awb`` 7/8 -> 4/8
    (0.650 -> 0.525), Kokoro's ``hf_beta`` 8/8 -> 8/8 (0.923 -> 0.923), and on seed 1 4/8 -> 8/8
    (0.923 -> 0.974). With takes
    only, ``hf_beta``'s held-out takes went 8/8 -> 8/8 (seed 0) and 4/8 -> 8/8 (seed 1) while its
    sentences fell 0.923 -> 0.615 both times. With ``--tries 2`` the checks choose the try, so they
    flatter it: ``awb``'s held-out sentences 7/8 -> 8/8 while its 40 went 0.650 -> 0.450."""
    if not before[1] or after[0] >= before[0]:
        return None
    return (f"the new model finds fewer of the words in your held-out sentences than the old one "
            f"({before[0]}/{before[1]} -> {after[0]}/{after[1]}): it may hear you less when you speak fluently; "
            "keep the model you have, or enroll again with another --seed")


def _minutes(clips):
    seconds = len(clips) * params.CLIP_MS / 1000
    return f"{seconds:g} s" if seconds < 120 else f"{seconds / 60:g} min"


def _per_hour(count, clips):
    return f"{count * 3.6e6 / (len(clips) * params.CLIP_MS):.0f} an hour"


def _pct(hits, words):
    return f"{hits}/{words} ({100.0 * hits / words:.0f} %)" if words else "0/0"


# ------------------------------------------------------------------------------------ output

def protected_dirs():
    """Folders whose files enroll never writes over: the shipped ``models/``."""
    from triggerword.stream import REPO_ROOT
    return {(REPO_ROOT / "models").resolve(), (Path.cwd() / "models").resolve()}


def check_output(out, model_path, force):
    """Return an error line when ``out`` may not be written, else None: ``checks.check_new_file``'s
    rule, and never a model in a ``models/`` folder (the shipped ones), even with ``force``."""
    from triggerword.checks import check_new_file
    out = Path(out)
    resolved = out.resolve()
    if model_path is not None and Path(model_path).exists() and out.exists() and out.samefile(model_path):
        return f"--out {out}: that is the model being fine-tuned; write a new file"
    if out.is_file() and (resolved.parent in protected_dirs() or resolved.parent.name == "models"):
        return f"--out {out}: refusing to replace a model in {resolved.parent} (the shipped models); choose a new name"
    return check_new_file(out, "--out", (".weights.h5", ".keras"), force=force)


def save(model, out):
    """Write the fine-tuned model to ``out`` through a temporary file in the same folder."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".keras" if out.name.endswith(".keras") else ".weights.h5"
    tmp = out.with_name(f".{out.name[:-len(suffix)]}.partial{suffix}")
    if suffix == ".keras":
        model.save(tmp)
    else:
        model.save_weights(tmp)
    os.replace(tmp, out)


# ------------------------------------------------------------------------------------ recording

def record_takes(n, folder, seconds, device=None, open_input=None, out=sys.stdout, pause_s=1.0, prompts=None,
                 talk=False):
    """Record ``n`` takes of ``seconds`` each through the microphone into NEW files in ``folder``.

    With ``prompts`` (texts), take i asks you to read ``prompts[i % len(prompts)]`` and is saved as
    ``sentence-NNN.wav`` with the text beside it in ``sentence-NNN.txt``; with ``talk``, it asks you to
    talk without saying the word and is saved as ``talk-NNN.wav``; else it asks for the word and is
    saved as ``take-NNN.wav``. No existing file is written over."""
    import soundfile
    from triggerword import listen
    from triggerword.stream import close_quietly
    open_input = open_input or listen.open_input
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stream, rate = open_input(device, None, 1024)
    stem = STEMS["--talk"] if talk else STEMS["--sentences"] if prompts else STEMS["takes"]
    paths = []
    index = 1
    try:
        stream.start()
        for i in range(n):
            text = prompts[i % len(prompts)] if prompts and not talk else None
            what = ("talk as you usually do, or read anything aloud, without saying \"activate\"," if talk
                    else f"read \"{text}\"" if text else "say \"activate\"")
            print(f"{stem} {i + 1}/{n}: {what} now ({seconds:.1f} s)", file=out, flush=True)
            x = []
            need = int(seconds * rate)
            while need > 0:
                data, _ = stream.read(min(need, 1024))
                x.append(np.asarray(data, dtype=np.float32).reshape(len(data), -1)[:, 0])
                need -= len(data)
            while (folder / f"{stem}-{index:03d}.wav").exists() or (folder / f"{stem}-{index:03d}.txt").exists():
                index += 1
            path = folder / f"{stem}-{index:03d}.wav"
            soundfile.write(path, np.concatenate(x), rate, subtype="PCM_16")
            if text:
                path.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
            paths.append(path)
            if pause_s and i + 1 < n:
                time.sleep(pause_s)
    finally:
        close_quietly(stream)
    print(f"saved {len(paths)} {stem}s in {folder}", file=out, flush=True)
    return paths


# ------------------------------------------------------------------------------------ command

def build_parser():
    from triggerword.stream import REPO_ROOT
    raw = REPO_ROOT / "raw_data"
    # allow_abbrev=False: "--takes DIR" must not pass for --takes-dir (the takes are named without an option)
    parser = argparse.ArgumentParser(prog="triggerword enroll", allow_abbrev=False,
                                     description="Fine-tune the detector on your own recordings of \"activate\".")
    parser.add_argument("takes", nargs="*", metavar="TAKE", help="recordings of you saying \"activate\" (files or folders)")
    parser.add_argument("--record", type=int, metavar="N", help="record N takes through the microphone first")
    parser.add_argument("--sentences", nargs="+", action="extend", default=[], metavar="REC",
                        help="recordings of you reading sentences, with the word or without (files or folders); "
                             "what each says is in a .txt file beside it, else Whisper transcribes it")
    parser.add_argument("--record-sentences", type=int, metavar="N",
                        help="record N sentences through the microphone first, read from prompts (half hold the word)")
    parser.add_argument("--sentence-seconds", type=float, default=4.0,
                        help="length of a recorded sentence (default %(default)s)")
    parser.add_argument("--talk", nargs="+", action="extend", default=[], metavar="REC",
                        help="recordings of you talking without saying \"activate\" (files or folders, any length): "
                             "false alarms in them are counted before and after, and --tries ranks on them too")
    parser.add_argument("--record-talk", type=float, metavar="S",
                        help="record S seconds of you talking without the word first, for --talk")
    parser.add_argument("--takes-dir", default="my_takes",
                        help="where --record, --record-sentences and --record-talk save (default %(default)s)")
    parser.add_argument("--take-seconds", type=float, default=2.0, help="length of a recorded take (default %(default)s)")
    parser.add_argument("--device", help="input device for --record")
    parser.add_argument("--model", metavar="PATH", help="pretrained model_f (default models/model.weights.h5)")
    parser.add_argument("--out", default="my_model.weights.h5",
                        help="new model file, .weights.h5 or .keras (default %(default)s)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists (never in models/)")
    parser.add_argument("--backgrounds", default=str(raw / "backgrounds"), help="folder of background clips (default raw_data/backgrounds)")
    parser.add_argument("--negatives", default=str(raw / "negatives"), help="folder of non-trigger words (default raw_data/negatives)")
    parser.add_argument("--activates", default=str(raw / "activates"),
                        help="corpus activates mixed in to keep the model general (default raw_data/activates)")
    parser.add_argument("--dev", default=str(raw / "dev"),
                        help="labelled clips of other people, scored before and after (default raw_data/dev; "
                             "skipped when missing)")
    parser.add_argument("--holdout", type=int, help="takes kept aside to measure recall (default: a third)")
    parser.add_argument("--examples", type=int, default=64, help="training examples (default %(default)s)")
    parser.add_argument("--no-word-share", type=float, default=0.7,
                        help="share of the examples that hold no activate, only other words (default %(default)s)")
    parser.add_argument("--epochs", type=int, default=5, help="default %(default)s")
    parser.add_argument("--tries", type=int, default=1,
                        help="fine-tune N times from different seeds and keep the model with the fewest false "
                             "alarms in the checks, then the most words found (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=8, help="default %(default)s")
    parser.add_argument("--lr", type=float, default=1e-4, help="Adam learning rate (default %(default)s)")
    parser.add_argument("--dropout", type=float, default=0.2,
                        help="dropout while fine-tuning (weights do not depend on it; default %(default)s)")
    parser.add_argument("--eval-clips", type=at_least(1), default=4, help="clips per held-out take (default %(default)s)")
    parser.add_argument("--quiet-clips", type=at_least(0), default=30,
                        help="10-s clips without the word (background and other words) on which false alarms are "
                             "counted before and after (default %(default)s: 5 minutes)")
    parser.add_argument("--threshold", type=threshold_arg, default=params.DEFAULT_THRESHOLD, help="for recall (default %(default)s)")
    parser.add_argument("--max-backgrounds", type=at_least(1), default=40, help="backgrounds loaded at most (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    return parser


STEMS = {"takes": "take", "--sentences": "sentence", "--talk": "talk"}  # what record_takes names each kind


def _expand(names, warn, role="takes"):
    """The files named for ``role`` ("takes", "--sentences" or "--talk"): files as given, folders as their
    audio files. In a folder, the recordings this command saved for another role (``take-*``,
    ``sentence-*``, ``talk-*``) are left out with a note, so one --takes-dir can be passed to all three;
    a folder with no audio for this role is warned about."""
    others = {stem: r for r, stem in STEMS.items() if r != role}
    files = []
    for t in names:
        p = Path(t)
        if not p.is_dir():
            files.append(p)
            continue
        found, left = [], {}
        for f in audio_files(p):
            stem = f.name.split("-", 1)[0] if "-" in f.name else None
            if stem in others:
                left[stem] = left.get(stem, 0) + 1
            else:
                found.append(f)
        if left:
            warn(f"{p}: left out of {role}: " + ", ".join(
                f"{n} {stem}-* file(s) (pass them {'as takes' if others[stem] == 'takes' else 'with ' + others[stem]})"
                for stem, n in sorted(left.items())))
        if not found:
            warn(f"{p}: no audio files for {role} in this folder ({', '.join(AUDIO_EXTENSIONS[:4])}, ...)")
        files.extend(found)
    return files


def main(argv=None, open_input=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.tries < 1:
        parser.error(f"--tries {args.tries}: at least 1")
    if args.record_talk is not None and not args.record_talk > 0:
        parser.error(f"--record-talk {args.record_talk:g}: seconds, more than 0")
    if not 0 <= args.no_word_share < 1:
        parser.error(f"--no-word-share {args.no_word_share:g}: a share from 0 up to (not including) 1")
    say = lambda *a: print(*a, flush=True)  # noqa: E731
    warn = lambda msg: print(f"triggerword enroll: {msg}", file=sys.stderr)  # noqa: E731
    fail = lambda msg: warn(msg) or 1  # noqa: E731
    from triggerword.model import ModelFileError
    from triggerword.stream import default_model_path, load_weights
    model_path = Path(args.model) if args.model else default_model_path()
    problem = check_output(args.out, model_path, args.force)
    if problem:
        return fail(problem)
    problem = (args.record or args.record_sentences or args.record_talk) and folder_problem(args.takes_dir, "--takes-dir")
    if problem:
        return fail(problem)
    try:
        weights_before = load_weights(model_path)
    except ModelFileError as exc:
        return fail(str(exc))
    if not args.takes and not args.record:
        return fail("no takes given: name your recordings of \"activate\" (files or folders), "
                    "or record them with --record N")
    rng = np.random.default_rng(args.seed)

    files, sentence_files = _expand(args.takes, warn), _expand(args.sentences, warn, "--sentences")
    if args.record or args.record_sentences or args.record_talk:
        from triggerword.listen import NoMicrophone
        try:
            if args.record:
                files += record_takes(args.record, args.takes_dir, args.take_seconds, args.device, open_input)
            if args.record_sentences:
                sentence_files += record_takes(args.record_sentences, args.takes_dir, args.sentence_seconds,
                                               args.device, open_input, prompts=PROMPTS)
            if args.record_talk:
                args.talk += record_takes(1, args.takes_dir, args.record_talk, args.device, open_input, talk=True)
        except NoMicrophone as exc:
            return fail(f"no microphone: {exc}")
    takes, bad = [], 0
    for f in files:
        try:
            x = trim_word(load_mono(f))
        except AudioFileError as exc:
            bad += 1
            warn(exc)
            continue
        if not len(x) or not np.any(x):
            bad += 1
            warn(f"{f}: pure silence, no word in it")
            continue
        if not MIN_WORD_S * params.SAMPLE_RATE <= len(x) <= params.CLIP_SAMPLES // 2:
            bad += 1
            warn(f"{f}: {len(x) / params.SAMPLE_RATE:.2f} s of sound; a take should hold one \"activate\" "
                 f"({MIN_WORD_S} to 5 s)")
            continue
        takes.append(x)
    if len(takes) < MIN_TAKES:
        return fail(f"{len(takes)} usable take(s); enroll needs at least {MIN_TAKES} recordings of \"activate\"")
    said, unsaid = [], []   # your sentences: with the word ((samples, [end ms])), without it (samples)
    by_whisper = 0
    for f in sentence_files:
        try:
            x, _, ends, how = read_sentence(f)
        except AudioFileError as exc:
            bad += 1
            warn(exc)
            continue
        by_whisper += how == "whisper"
        if ends:
            said.append((x, ends))
        else:
            unsaid.append(x)
    if sentence_files and not (said or unsaid):
        return fail(f"--sentences: none of the {len(sentence_files)} recording(s) could be used (see above); "
                    "fix them or leave --sentences out")

    talk_files = _expand(args.talk, warn, "--talk")
    talk = load_talk(talk_files, warn)
    if talk_files and not talk:
        return fail(f"--talk: no usable audio in {', '.join(map(str, args.talk))} (pieces of 1 s or more with sound)")
    backgrounds = load_clips(args.backgrounds, args.max_backgrounds, rng, params.CLIP_SAMPLES)
    if not backgrounds:
        return fail(f"no background clips in {args.backgrounds} (generate raw_data, or pass --backgrounds)")
    negatives = [x for x in load_clips(args.negatives, 200, rng) if np.any(x)]
    dev = load_dev(args.dev)
    dev_name = os.path.relpath(args.dev) if not os.path.relpath(args.dev).startswith("..") else args.dev
    corpus = [x for x in load_clips(args.activates, 200, rng) if np.any(x)]
    # your takes at the loudness of the corpus' activates (what the model was trained on)
    level = float(np.median([dbfs(trim_word(x)) for x in corpus])) if corpus else params.TARGET_DBFS
    takes = [set_dbfs(x, level) for x in takes]

    order = rng.permutation(len(takes))
    n_hold = args.holdout if args.holdout is not None else max(1, len(takes) // 3)
    n_hold = min(max(1, n_hold), len(takes) - 1)
    held = [takes[i] for i in order[:n_hold]]
    train = [takes[i] for i in order[n_hold:]]
    said = [(set_dbfs(x, level), ends) for x, ends in said]
    unsaid = [set_dbfs(x, level) for x in unsaid]
    said_order, unsaid_order = rng.permutation(len(said)), rng.permutation(len(unsaid))
    held_said = [said[i] for i in said_order[:len(said) // 3]]
    train_said = [said[i] for i in said_order[len(said) // 3:]]
    held_unsaid = [unsaid[i] for i in unsaid_order[:len(unsaid) // 3]]
    train_unsaid = [unsaid[i] for i in unsaid_order[len(unsaid) // 3:]]
    say(f"takes: {len(takes)} usable ({len(train)} to train on, {len(held)} held out); "
        f"backgrounds: {len(backgrounds)}; negatives: {len(negatives)}; corpus activates: {len(corpus)}")
    if said or unsaid:
        say(f"sentences: {len(said) + len(unsaid)} usable ({len(said)} with the word, {len(unsaid)} without; "
            f"{len(train_said) + len(train_unsaid)} to train on, {len(held_said) + len(held_unsaid)} held out)")
    if by_whisper:
        say(f"  in {by_whisper} of them the word's end comes from Whisper's word times (PocketSphinx could not "
            "align the text), which put it up to 0.2 s early")

    eval_clips = build_eval_clips(rng, held, backgrounds, negatives, args.eval_clips)
    h0, w0, fa0 = recall(weights_before, eval_clips, args.threshold)
    say(f"held-out recall before: {_pct(h0, w0)}, false alarms {fa0}")
    sentence_clips = build_sentence_clips(rng, held_said, held_unsaid, backgrounds, negatives, args.eval_clips)
    if sentence_clips:
        s0 = recall(weights_before, sentence_clips, args.threshold)
        say(f"held-out sentences before: {_pct(*s0[:2])} words found, false alarms {s0[2]}")
    # a stream of its own, so that the training examples are the same whatever --quiet-clips is
    quiet = build_quiet_clips(np.random.default_rng([args.seed, 1]), backgrounds, negatives, args.quiet_clips)
    q0 = recall(weights_before, quiet, args.threshold)[2]
    if quiet:
        say(f"false alarms before in {_minutes(quiet)} without the word: {q0} ({_per_hour(q0, quiet)})")
    if talk:
        t0 = recall(weights_before, talk, args.threshold)[2]
        say(f"false alarms before in {_minutes(talk)} of your talk: {t0} ({_per_hour(t0, talk)})")
    if dev:
        d0 = recall(weights_before, dev, args.threshold)
        say(f"other people ({dev_name}, {len(dev)} clips) before: {_pct(*d0[:2])} words found, false alarms {d0[2]}")

    import keras
    from triggerword.model import freeze_batchnorm, load_model_f, model_f
    from triggerword.stream import weights_from_keras
    best = None  # (rank, try number, model, checks): only the best try so far stays in memory
    for k in range(args.tries):
        # try 1 draws its examples from the run's own stream (so --tries 1 is enroll as it always was);
        # each later try from a stream of its own, with its own Keras seed
        ex_rng = rng if k == 0 else np.random.default_rng([args.seed, 100 + k])
        x, y = build_examples(ex_rng, args.examples, backgrounds, train, corpus, negatives,
                              no_word_share=args.no_word_share, said=train_said, unsaid=train_unsaid)
        head = f"try {k + 1}/{args.tries}: " if args.tries > 1 else ""
        say(f"{head}fine-tuning on {len(x)} examples, {args.epochs} epoch(s), BatchNormalization frozen ...")
        keras.utils.set_random_seed(args.seed + k)
        model = model_f(dropout=args.dropout)
        model.set_weights(load_model_f(model_path).get_weights())
        freeze_batchnorm(model)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=args.lr, beta_1=0.9, beta_2=0.999),
                      loss="binary_crossentropy", jit_compile=False)  # XLA takes minutes to compile the GRUs
        start = time.time()
        history = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0, shuffle=True)
        losses = ", ".join(f"{v:.4f}" for v in history.history["loss"])
        say(f"{head}trained in {time.time() - start:.0f} s; loss per epoch: {losses}")
        weights = weights_from_keras(model)
        checks = {"takes": recall(weights, eval_clips, args.threshold),
                  "sentences": recall(weights, sentence_clips, args.threshold) if sentence_clips else (0, 0, 0),
                  "quiet": recall(weights, quiet, args.threshold) if quiet else (0, 0, 0),
                  "talk": recall(weights, talk, args.threshold) if talk else (0, 0, 0),
                  "dev": recall(weights, dev, args.threshold) if dev else (0, 0, 0)}
        rank = try_rank(checks)
        if best is None or rank < best[0]:  # a tie keeps the earlier try
            best = (rank, k, model, checks)
        del model, history, x, y
        if args.tries > 1:
            say(f"{head}held-out takes {_pct(*checks['takes'][:2])}, sentences {_pct(*checks['sentences'][:2])}, "
                f"other people {_pct(*checks['dev'][:2])}; false alarms {sum(c[2] for c in checks.values())} "
                "in all the checks")
    _, k, model, checks = best
    if args.tries > 1:
        say(f"keeping try {k + 1}: the fewest false alarms in the checks, then the most words found")

    h1, w1, fa1 = checks["takes"]
    say(f"held-out recall after:  {_pct(h1, w1)}, false alarms {fa1}")
    if sentence_clips:
        s1 = checks["sentences"]
        say(f"held-out sentences after:  {_pct(*s1[:2])} words found, false alarms {s1[2]}")
    if quiet:
        q1 = checks["quiet"][2]
        say(f"false alarms after in {_minutes(quiet)} without the word:  {q1} ({_per_hour(q1, quiet)})")
        warning = false_alarm_warning(q0, q1)
        if warning:
            warn(warning)
    if talk:
        t1 = checks["talk"][2]
        say(f"false alarms after in {_minutes(talk)} of your talk:  {t1} ({_per_hour(t1, talk)})")
        warning = false_alarm_warning(t0, t1, "in your own talk")
        if warning:
            warn(warning)
    if dev:
        d1 = checks["dev"]
        say(f"other people ({dev_name}, {len(dev)} clips) after:  {_pct(*d1[:2])} words found, false alarms {d1[2]}")
        warning = false_alarm_warning(d0[2], d1[2], f"on other people's sentences ({dev_name})")
        if warning:
            warn(warning)
    if sentence_clips:
        warning = sentences_warning(s0[:2], checks["sentences"][:2])
        if warning:
            warn(warning)
    else:
        say("nothing above checks the word inside fluent speech: record sentences too (--record-sentences 16), "
            "above all if the model already hears you (the README's enroll figures)")
    save(model, args.out)
    say(f"wrote {args.out}; try it: triggerword detect FILE --model {args.out}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
