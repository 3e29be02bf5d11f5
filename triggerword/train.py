"""Train ``model_f`` from a word corpus, making every training example on the fly.

    triggerword train --corpus cache/corpus --run cache/train/run1 --epochs 20 --examples 4000
    triggerword train --run cache/train/run1 --resume          # go on from the last checkpoint
    triggerword train --run cache/train/run1 --export models --force   # replace the model in models/
    triggerword train --recipe training/run75 --run cache/train/run2 --seed 5   # a new run on run75's recipe

What one example is: ``triggerword.synth.make_example`` (the semantics of the workbook's
``create_training_example``) over a random background from the corpus, plus the augmentation of
the recipe below; nothing is stored, so memory stays flat whatever the epoch size (the corpus is held
as 16-bit arrays: about 0.5 GB for 4,000 one-second words). Example ``i`` of epoch ``e`` is drawn
from the seed (seed, e, i), so a run is the same whatever the number of data workers.

Where the time goes: one data worker process makes examples (mixing, augmentation, spectrogram)
while the main process trains, so both cores work. The network trained is the PyTorch twin of
``model_f`` (``triggerword.torch_model``: measured three times faster than Keras on this CPU); every
checkpoint is also written as the Keras ``model_f`` (``<run>/keras/model.*``), which is what ships.

Outputs in ``--run``: ``checkpoint.pt`` (resumable: weights, optimiser, epoch, log, the random state
of dropout, so that a resumed run trains exactly as one that never stopped),
``log.csv`` (loss and dev scores per epoch), ``best.pt`` (best dev F1 at threshold 0.5; lowest loss with ``--dev none``),
``keras/`` (the latest weights as Keras files), ``recipe.json``. A new run never starts in a folder
holding any of them (``--resume`` goes on from its checkpoint), and ``--export`` replaces a model
already in its folder only with ``--force``, once the checkpoint and recipe have been read.

With the recipe's ``ema`` above 0 (e.g. ``--set ema=0.99``), the weights scored on the dev set,
written to ``keras/`` and exported are a moving average of the trained weights, updated after each
batch (``torch.optim.swa_utils``; BatchNorm statistics averaged too): ``w_avg = ema * w_avg + (1 -
ema) * w``, about the last 1 / (1 - ema) batches. It evens out where a single batch leaves the
weights, which at this batch size swings dev F1 by several points from one epoch to the next.
"""
import argparse
import csv
import functools
import json
import math
import os
import shutil
import sys
import tempfile
import time

import numpy as np

from td_utils import AudioFileError, clip_samples
from triggerword import params
from triggerword.checks import at_least, folder_problem, number_or_nan
from triggerword.model import MODEL_FILES

DEFAULT_EPOCHS = 20  # --epochs when neither the command nor a resumed checkpoint gives one

# What ``extra_corpora`` may add from each folder (the recipe's ``extra_parts``; every one by default).
EXTRA_PARTS = ("activates", "negatives", "without", "with")

RECIPE = {
    "examples_per_epoch": 4000,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "dropout": 0.2,            # 0.8 (the workbook's) learned nothing in 7 epochs here; 0.2 did
    "n_activates": [0, 4],
    "n_negatives": [0, 3],
    "phrase_prob": 0.5,        # words strung into phrases, as in real sentences
    "background_db": [-32.0, -8.0],
    "word_gain_db": [-8.0, 4.0],
    "speed": [0.9, 1.12],      # resampling factor per word (tempo and pitch together)
    "p_colour": 0.5,           # microphone colouring per word
    "p_reverb": 0.3,           # room on the whole mix
    "p_hiss": 0.3,             # microphone hiss on the whole mix
    "phrase_negatives": [0, 0],  # extra negatives strung into phrases (chatter)
    "phrase_gap_ms": [40, 250],  # silence between the words of a phrase
    "sentence_negatives": [0, 0],  # fluent sentences without the word added as negatives (<corpus>/sentences)
    "sentence_positives": [0, 0],  # fluent sentences with the word, labelled where it ends (<corpus>/sentences)
    "sentence_sets": ["with", "without"],  # batches of <corpus>/sentences by file-name prefix; more: "more",
                                           # "near", "ask", "talk", "wide", "service"
    "hard_negatives": None,    # a `triggerword mine` file (or a list: highest score wins): what a model fired on
    "hard_weight": 0,          # each mined clip scored s is drawn about 1 + hard_weight * s times as often
    "ema": 0,                  # > 0: ship an exponential moving average of the weights, this decay per batch
    "lr_decay_epochs": 0,      # > 0: the rate falls from learning_rate to lr_final along a half cosine over this many
    "lr_final": 0.0,           #   epochs of the run (set per batch), then stays there; 0: the rate is constant
    "level_db": [-20.0, -20.0],  # loudness of each example (dBFS): the level clips are used at
    "spike_weight": 0.0,       # > 0: add this times the spike loss (``spike_loss``) to the frame loss
    "spike_top": 8,            #   the loss of the k highest output steps away from every "activate" ...
    "spike_guard": 100,        #   ... where "away" is more than this many output steps (0.73 s) from a label
    "lead_prob": 0.0,          # > 0: the chance an example opens with a fluent sentence (with or without the word)
    "lead_ms": [0, 1000],      #   starting this far into the clip (ms), as clips of speech do
    "word_not_first": 0.0,     # > 0: the chance a phrase that would open with "activate" opens with another take
    "suffix_negatives": 0,     # > 0: this many activate takes with their onset cut off, added to the negatives
    "suffix_cut": [0.35, 0.6],  #   the share of each take's sound cut from its start ("tivate", "ivate", "vate")
    "input_norm": None,        # "bin_mean": train on each frequency bin divided by its mean over examples
    "input_norm_examples": 64,  #   of the recipe (this many), folded into the kernel when exported;
    "input_norm_top_hz": None,  #   bins above this frequency keep its bin's factor (null: every bin its own)
    "extra_corpora": [],       # more folders of activates/, negatives/ and sentences/ (e.g. ``cache/blends``), added
                               #   to the corpus's lists: all their clips and sentence batches; an entry
                               #   {"path": FOLDER, "parts": [...]} takes its own parts instead of extra_parts
    "extra_parts": list(EXTRA_PARTS),  # which of them: words that are "activate", other words,
                               #   sentences without the word, sentences with it
    "freq_masks": [0, 0],      # SpecAugment: [how many, widest in bins of ~218 Hz] bands masked per example
    "time_masks": [0, 0],      # SpecAugment: [how many, widest in steps of ~1.8 ms] spans masked per example
    "vtlp": [1.0, 1.0],        # > [1, 1]: warp each example's frequency axis by a factor drawn from this range
    "vtlp_boundary_hz": 8000,  #   (``warp_bins``): formants move, pitch and timing stay; warped linearly below here
    "p_pitch": 0.0,            # > 0: the chance each word or sentence is shifted in pitch at the same pace by ...
    "pitch": [0.0, 0.0],       #   ... semitones drawn from this range (``augment.shift_pitch``: formants move
                               #   with the pitch, as from a larger or smaller speaker; negative is lower)
    "pitch_on": "all",         # which takes may be shifted: "all", or "activate" (the word's takes and the
                               #   sentences that hold it only: no lower near-miss words to learn to fire on)
    "p_glide": 0.0,            # > 0: the chance each word or sentence (any take) has its pitch bent from start to
    "glide": [-3.0, 3.0],      #   end by semitones drawn from this range (``augment.glide``: intonation; the pace
                               #   moves with it, the length stays; positive falls); nothing drawn while 0
    "p_band": 0.0,             # > 0: the chance the finished mix (words, background, hiss) goes through a narrow
    "band_hz": [3400.0, 8000.0],  # channel low-passed at a frequency drawn from this range (``augment.band_limit``:
                               #   telephone, wideband codec, cheap microphone); nothing drawn while 0
    "p_calls": 0.0,            # > 0: the chance the mix, before its room, gets 1-4 bursts of wordless cries
                               #   (``augment.add_calls``: gliding harmonic tones, like animals, shrieks or sirens)
                               #   as unlabelled sounds; nothing drawn while 0
    "label_delay": 0,          # > 0: every example's labels moved this many output steps (7.3 ms each) later, so
                               #   the model may hear what follows the word before it answers (inside the hit
                               #   window, 1 s after the end; at most ``MAX_LABEL_DELAY``); 0: insert_ones's labels
    "label_smooth": 0.0,       # > 0: train towards eps/2 and 1 - eps/2 instead of 0 and 1 (``smooth_labels``)
    "mixup": 0.0,              # > 0: the chance each example of a batch is mixed with another of the batch
    "mixup_alpha": 0.4,        #   (``mixup``): inputs and labels both weighted lam and 1 - lam, lam ~ Beta(a, a)
    "domain_corpus": None,     # a folder of real people's sentences without the word (``triggerword realspeech
                               #   --stamps``: cache/stamps): with domain_weight > 0 the network is trained so that a
                               #   small second head cannot tell its features there from the synthetic ones
    "domain_weight": 0.0,      #   (``domain_loss``: domain-adversarial training, a gradient reversal of this weight)
    "domain_examples": 8,      #   examples of that speech per batch, laid over the corpus's backgrounds like the
                               #   synthetic sentences; scored by the second head only, never as negatives
    "domain_lr": 1e-3,         #   the second head's own Adam rate (it is dropped at export: model_f is unchanged)
    "domain_guard": 200,       #   synthetic output steps this close to a label (1.46 s) are left out of its loss
}


# The latest labels may end: the hit window's 1.0 s after the word (137 output steps) less LABEL_STEPS,
# less 7 steps so that a model rising where its labels start is still a hit.
MAX_LABEL_DELAY = int(params.HIT_AFTER_S / params.STEP_S) - params.LABEL_STEPS - 7


def delay_labels(y, steps):
    """Labels ``y`` (TY,) moved ``steps`` output steps later; those pushed past the clip's end are dropped."""
    if steps <= 0:
        return y
    out = np.zeros_like(y)
    out[steps:] = y[:len(y) - steps]
    return out


class CorpusError(ValueError):
    pass


class TrainError(ValueError):
    """Bad input the trainer refuses with one line (exit 2): a run folder, a checkpoint, an export folder."""


# What makes a folder a run: a new run never starts over these (``--resume`` goes on from them).
RUN_FILES = ("checkpoint.pt", "best.pt", "recipe.json", "log.csv", "keras")
# What ``--export`` writes; a folder holding any of them holds a model, replaced only with ``--force``.
EXPORT_FILES = MODEL_FILES + ("export.json",)
# What a checkpoint must hold to be exported, and to be resumed.
EXPORT_KEYS = ("model", "epoch", "log", "recipe")
RESUME_KEYS = EXPORT_KEYS + ("optimizer", "best_f1", "seed")


def read_clip(path, warn=print):
    """Channel 0 of a WAV as int16 at 44,100 Hz (resampled when needed); None, with a warning, when unreadable."""
    try:
        x = clip_samples(path)
    except AudioFileError as exc:
        warn(f"warning: skipped {exc}")
        return None
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def load_folder(folder, warn=print):
    """All WAVs of ``folder`` (sorted) as int16 mono arrays at 44,100 Hz; unreadable clips skipped with a warning."""
    return [x for _, x in load_named(folder, warn)]


def load_named(folder, warn=print):
    """(file name, int16 clip) for each readable WAV of ``folder``, sorted by name (see ``load_folder``)."""
    if not os.path.isdir(folder):
        raise CorpusError(f"{folder}: folder not found; make the corpus with "
                          "`triggerword corpus --target cache` (or point --corpus at raw_data)")
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(".wav"))
    named = [(name, read_clip(os.path.join(folder, name), warn)) for name in names]
    named = [(name, x) for name, x in named if x is not None]
    if not named:
        raise CorpusError(f"{folder}: no readable WAV clips; make the corpus with "
                          "`triggerword corpus --target cache`")
    return named


# The first batch of training sentences; recipes written before the later batches ("more", "near",
# "ask", "talk") name no batch and read this one, and so does a new run unless its recipe names them, so
# the commands that made the earlier runs still make the same examples.
FIRST_SENTENCE_SETS = ("with", "without")


def load_sentences(root, warn=print, sets=None):
    """Fluent sentences: (without, with) -- ``without``: [(name, int16 array)] without "activate", each
    named by its path under ``root`` (``sentences/<file>``); ``with``: [(int16 array, [end ms of each
    "activate" in it])].

    From ``<root>/sentences/``: with its ``labels.json`` (``triggerword corpus --target sentences``
    writes it), the files listed with word ends are ``with`` and those listed with none ``without``;
    ``sets`` (file-name prefixes before the ``-``, e.g. ``("with", "without")``; None: every file)
    keeps only those batches. Without a ``labels.json`` every WAV there is ``without``. No such
    folder: ``without`` is the babble bank the corpus generator leaves in ``<root>/.work/bank/*.npy``
    (TTS sentences of the training voices, at -20 dBFS), and ``with`` is empty.
    """
    folder = os.path.join(root, "sentences")
    if os.path.isdir(folder):
        labels = _sentence_labels(folder)
        if labels is None:
            return [(f"sentences/{name}", x) for name, x in load_named(folder, warn)], []
        both = _read_labelled(folder, labels, warn, sets)
        return ([(f"sentences/{name}", x) for name, x, ends in both if not ends],
                [(x, ends) for _, x, ends in both if ends])
    bank = os.path.join(root, ".work", "bank")
    if not os.path.isdir(bank):
        return [], []
    out = []
    for name in sorted(n for n in os.listdir(bank) if n.endswith(".npy")):
        try:
            x = np.load(os.path.join(bank, name))
        except (OSError, ValueError) as exc:
            warn(f"warning: skipped {os.path.join(bank, name)}: {exc}")
            continue
        out.append((f".work/bank/{name}", _as_int16(x)))
    return out, []


def _sentence_labels(folder):
    """``labels.json`` of a sentences folder ({file: [word end ms, ...]}), or None when there is none."""
    path = os.path.join(folder, "labels.json")
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            labels = json.load(f)
        if not isinstance(labels, dict) or not all(
                isinstance(v, list) and all(isinstance(e, (int, float)) for e in v) for v in labels.values()):
            raise ValueError("expected {file: [end ms, ...]}")
    except (OSError, ValueError) as exc:
        raise CorpusError(f"{path}: unreadable sentence labels ({exc}); make them again with "
                          "`triggerword corpus --target sentences`") from None
    return labels


def _read_labelled(folder, labels, warn, sets=None):
    """(file name, int16 samples, word ends ms) for each WAV of ``folder`` that ``labels`` lists, sorted by name;
    a WAV it does not list is skipped with a warning (whether it holds the word is unknown); with
    ``sets``, only WAVs of those batches (file-name prefixes) are read."""
    out = []
    for name in sorted(n for n in os.listdir(folder) if n.lower().endswith(".wav")):
        path = os.path.join(folder, name)
        if sets is not None and name.split("-", 1)[0] not in sets:
            continue
        if name not in labels:
            warn(f"warning: skipped {path}: not in labels.json, so whether it holds the word is unknown")
            continue
        x = read_clip(path, warn)
        if x is None:
            continue
        ends = [int(e) for e in labels[name]]
        if any(not 0 <= e <= len(x) * 1000 // params.SAMPLE_RATE for e in ends):
            warn(f"warning: skipped {path}: a word end in labels.json lies outside the clip")
            continue
        out.append((name, x, ends))
    return out


class Corpus:
    """Activates, negatives and backgrounds (each at least 10 s) of a corpus folder.

    ``negative_names`` and ``sentence_names`` name each clip of ``negatives`` and ``sentences`` by its
    path under ``root`` (``negatives/<file>``, ``sentences/<file>``): the keys of a ``triggerword mine``
    file, which ``add_hard`` reads.
    """

    def __init__(self, root, warn=print, backgrounds=None, sentence_sets=None):
        self.root = root
        self.activates = load_folder(os.path.join(root, "activates"), warn)
        negatives = load_named(os.path.join(root, "negatives"), warn)
        self.negative_names = [f"negatives/{name}" for name, _ in negatives]
        self.negatives = [x for _, x in negatives]
        backgrounds = backgrounds or os.path.join(root, "backgrounds")
        self.backgrounds = [b for b in load_folder(backgrounds, warn) if len(b) >= params.CLIP_SAMPLES]
        without, self.labelled = load_sentences(root, warn, sentence_sets)
        self.sentence_names = [name for name, _ in without]
        self.sentences = [x for _, x in without]
        self.hard_copies = 0
        self.suffixes = 0
        self.extra = []
        if not self.backgrounds:
            raise CorpusError(f"{backgrounds}: no clip of 10 s or more")

    def extend(self, root, warn=print, parts=EXTRA_PARTS):
        """Add the activates, negatives and sentences (every batch its ``labels.json`` lists) of another
        corpus folder (``triggerword corpus --target blends`` or ``--target extra``), named ``<root>/negatives/<file>`` and
        ``<root>/sentences/<file>``. Its backgrounds, if any, are not used.

        ``parts``: which of them to add, from ``EXTRA_PARTS`` ("activates", "negatives", "without" for
        sentences without the word, "with" for sentences with it); every one by default.
        """
        unknown = sorted(set(parts) - set(EXTRA_PARTS))
        if unknown:
            raise CorpusError(f"extra_parts: unknown part {unknown[0]!r} (known: {', '.join(EXTRA_PARTS)})")
        try:   # only the parts asked for: a folder of sentences alone (``triggerword realspeech --stamps``) will do
            activates = load_folder(os.path.join(root, "activates"), warn) if "activates" in parts else []
            negatives = load_named(os.path.join(root, "negatives"), warn) if "negatives" in parts else []
        except CorpusError as exc:
            raise CorpusError(f"{exc.args[0].split(';')[0]}; make it with "
                              f"`triggerword corpus --target blends --out {root}` (or --target extra)") from None
        without, labelled = load_sentences(root, warn)
        if "activates" in parts:
            self.activates += activates
        if "negatives" in parts:
            self.negative_names += [f"{root}/negatives/{name}" for name, _ in negatives]
            self.negatives += [x for _, x in negatives]
        if "without" in parts:
            self.sentence_names += [f"{root}/{name}" for name, _ in without]
            self.sentences += [x for _, x in without]
        if "with" in parts:
            self.labelled += labelled
        self.extra.append(root if tuple(parts) == EXTRA_PARTS else f"{root} ({', '.join(parts)})")

    def add_hard(self, scores, weight):
        """Draw the negatives a model fired on more often (hard-negative mining).

        Each clip of ``negatives`` and ``sentences`` whose name ``scores`` gives a score s (a model's
        highest output on it, 0 to 1; see ``triggerword.mine``) is added round(weight * s) more times to
        its list, so that examples draw it about 1 + weight * s times as often. Returns the names in
        ``scores`` that this corpus lacks (made from another corpus, or its clip is unreadable now).
        """
        for names, clips in ((self.negative_names, self.negatives), (self.sentence_names, self.sentences)):
            for name, clip in list(zip(names, clips)):
                n = int(round(weight * scores.get(name, 0.0)))
                names.extend([name] * n)
                clips.extend([clip] * n)
                self.hard_copies += n
        return sorted(set(scores) - set(self.negative_names) - set(self.sentence_names))

    def add_suffixes(self, n, cut=None, seed=0):
        """Add ``n`` activate takes with their first part cut off to the negatives ("tivate", "vate").

        The shipped model still fires on most takes of "activate" whose first 30 % is gone (77 % of
        100 training takes at 0.5, 56 % with half gone): it hears the end of the word, which
        "captivate" shares. These teach it that the end alone is not the word. Each added clip is a
        take drawn (without repeats while there are takes left) by ``seed``'s generator, with the
        share ``cut`` (drawn per clip; RECIPE's ``suffix_cut`` when None) of its sound cut from its
        start (``augment.cut_onset``). Named ``suffix/<take number>`` in ``negative_names``. Returns
        how many were added.
        """
        from triggerword import augment
        cut = RECIPE["suffix_cut"] if cut is None else cut
        if n <= 0:
            return 0
        rng = np.random.default_rng(seed)
        picks = np.concatenate([rng.permutation(len(self.activates))
                                for _ in range(-(-n // len(self.activates)))])[:n]
        added = 0
        for i in picks:
            x = augment.cut_onset(_as_float(self.activates[i]), float(rng.uniform(*cut)))
            if len(x) < 441:  # under 10 ms: nothing left to hear
                continue
            self.negatives.append(_as_int16(x))
            self.negative_names.append(f"suffix/{i:06d}")
            added += 1
        self.suffixes += added
        return added

    def __repr__(self):
        hard = f", {self.hard_copies} of them extra copies of mined ones" if self.hard_copies else ""
        if self.suffixes:
            hard += f", {self.suffixes} of them activate takes with their onset cut off"
        root = " + ".join([self.root] + self.extra)
        return (f"Corpus({root}: {len(self.activates)} activates, {len(self.negatives)} negatives "
                f"and {len(self.sentences)} sentences without the word{hard}, {len(self.backgrounds)} "
                f"backgrounds, {len(self.labelled)} sentences with the word)")


def read_mined(path):
    """{name: score} of a ``triggerword mine`` file; a missing or malformed one raises ``CorpusError``."""
    fix = f"make it with `triggerword mine --model MODEL --corpus CORPUS --out {path}`"
    try:
        with open(path) as f:
            scores = json.load(f)["scores"]
        if not isinstance(scores, dict) or not all(
                isinstance(v, (int, float)) and 0.0 <= v <= 1.0 for v in scores.values()):
            raise ValueError("expected \"scores\": {name: score from 0 to 1}")
    except FileNotFoundError:
        raise CorpusError(f"{path}: no such file of mined negatives; {fix}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CorpusError(f"{path}: not a file of mined negatives ({exc}); {fix}") from None
    return scores


def load_corpus(root, recipe, backgrounds=None, warn=print):
    """The ``Corpus`` a recipe trains on: its sentence batches, plus its mined negatives drawn more often."""
    corpus = Corpus(root, warn, backgrounds, tuple(recipe.get("sentence_sets", FIRST_SENTENCE_SETS)))
    for extra in recipe.get("extra_corpora") or []:
        parts = recipe.get("extra_parts", EXTRA_PARTS)
        if isinstance(extra, dict):   # {"path": folder, "parts": [...]}: that folder's own parts
            if (not isinstance(extra.get("path"), str) or set(extra) - {"path", "parts"}
                    or not isinstance(extra.get("parts", []), list)):
                raise CorpusError(f"extra_corpora: {json.dumps(extra)} is not a folder or "
                                  '{"path": FOLDER, "parts": [...]}')
            extra, parts = extra["path"], extra.get("parts", parts)
        corpus.extend(extra, warn, tuple(parts))
    if recipe.get("hard_negatives") and recipe.get("hard_weight", 0) > 0:
        files = recipe["hard_negatives"]
        files = [files] if isinstance(files, str) else list(files)
        scores = {}
        for path in files:  # several rounds of mining: each clip counts with its highest score
            for name, score in read_mined(path).items():
                scores[name] = max(score, scores.get(name, 0.0))
        missing = corpus.add_hard(scores, recipe["hard_weight"])
        if missing:
            warn(f"warning: {', '.join(files)}: {len(missing)} mined clips are not in {root} "
                 f"(e.g. {missing[0]}); they are not drawn")
    if recipe.get("suffix_negatives", 0) > 0:
        corpus.add_suffixes(int(recipe["suffix_negatives"]),
                            tuple(recipe.get("suffix_cut", RECIPE["suffix_cut"])))
    return corpus


def _as_float(x):
    return x.astype(np.float32) / 32768.0


def _as_int16(x):
    """Float samples in [-1, 1] back to int16, as the corpus lists hold them (rounded, clipped)."""
    return np.clip(np.round(np.asarray(x, np.float64) * 32768), -32768, 32767).astype(np.int16)


def random_background(backgrounds, rng):
    """10 s of a background drawn by ``rng`` (which clip, then where in it), float32 in [-1, 1]."""
    background = backgrounds[rng.integers(len(backgrounds))]
    offset = int(rng.integers(0, len(background) - params.CLIP_SAMPLES + 1))
    return _as_float(background[offset:offset + params.CLIP_SAMPLES])


def make_training_example(corpus, rng, recipe=RECIPE):
    """One augmented example: (features (TX, N_FREQ) float32, labels (TY,) float32)."""
    from triggerword import augment
    from triggerword.synth import features, make_example
    background = random_background(corpus.backgrounds, rng)

    pitch_on = recipe.get("pitch_on", "all")
    problem = entry_problem("pitch_on", pitch_on)  # the check --set and --recipe make, for library callers
    if problem:
        raise ValueError(f"recipe: {problem}")
    shifting = recipe.get("p_pitch", 0.0) > 0  # nothing drawn while off

    def shift(x, rng):
        if rng.random() < recipe["p_pitch"]:
            x = augment.shift_pitch(x, float(rng.uniform(*recipe["pitch"])))
        return x

    def positive(take, rng):  # before ``word``: shifted, then resampled and coloured like every take
        return _as_int16(shift(_as_float(take), rng))

    def word(take, rng):
        x = _as_float(take)
        x = augment.resample_ratio(x, float(rng.uniform(*recipe["speed"])))
        if shifting and pitch_on == "all":
            x = shift(x, rng)
        where = None
        if recipe.get("p_glide", 0.0) > 0 and rng.random() < recipe["p_glide"]:
            x, where = augment.glide(x, float(rng.uniform(*recipe.get("glide", RECIPE["glide"]))))
        if rng.random() < recipe["p_colour"]:
            x = augment.mic_colour(x, rng)
        return x if where is None else (x, where)  # ``where``: a sentence's marks follow the bend

    def mix(x, rng):
        if recipe.get("p_calls", 0.0) > 0 and rng.random() < recipe["p_calls"]:  # in the room, heard with
            x = augment.add_calls(x, rng)                                       # the words
        if rng.random() < recipe["p_reverb"]:
            x = augment.reverb(x, rng)[:params.CLIP_SAMPLES]
        if rng.random() < recipe["p_hiss"]:
            x = augment.add_hiss(x, rng)
        if recipe.get("p_band", 0.0) > 0 and rng.random() < recipe["p_band"]:  # after the hiss: the channel
            x = augment.band_limit(x, rng, tuple(recipe.get("band_hz", RECIPE["band_hz"])))  # cuts it too
        return x

    samples, y, _ = make_example(background, corpus.activates, corpus.negatives, rng,
                                 background_db=tuple(recipe["background_db"]),
                                 n_activates=tuple(recipe["n_activates"]),
                                 n_negatives=tuple(recipe["n_negatives"]),
                                 phrase_prob=recipe["phrase_prob"],
                                 word_gain_db=tuple(recipe["word_gain_db"]),
                                 augment_word=word, augment_mix=mix,
                                 phrase_negatives=tuple(recipe.get("phrase_negatives", (0, 0))),
                                 phrase_gap_ms=tuple(recipe.get("phrase_gap_ms", (40, 250))),
                                 sentences=getattr(corpus, "sentences", None),
                                 n_sentences=tuple(recipe.get("sentence_negatives", (0, 0))),
                                 labelled=getattr(corpus, "labelled", None),
                                 n_labelled=tuple(recipe.get("sentence_positives", (0, 0))),
                                 target_dbfs=_level(recipe),
                                 lead_prob=recipe.get("lead_prob", 0.0),
                                 lead_ms=tuple(recipe.get("lead_ms", (0, 1000))),
                                 word_not_first=recipe.get("word_not_first", 0.0),
                                 augment_positive=positive if shifting and pitch_on == "activate" else None)
    x = features(samples)
    low, high = recipe.get("vtlp", (1.0, 1.0))
    if low != 1.0 or high != 1.0:  # drawn after everything the audio needs: the same mix, warped
        x = warp_bins(x, float(rng.uniform(low, high)), recipe.get("vtlp_boundary_hz", 8000))
    spec_masks(x, rng, tuple(recipe.get("freq_masks", (0, 0))), tuple(recipe.get("time_masks", (0, 0))))
    return x, delay_labels(y, int(recipe.get("label_delay", 0)))


def bin_scale(corpus, recipe, seed, n=None):
    """One over each frequency bin's mean value in ``n`` examples of ``recipe`` (drawn from ``seed`` apart
    from the epochs' examples): the ``in_scale`` of ``input_norm="bin_mean"``.

    Why: the input is linear power, whose bins differ by five orders of magnitude on average (about
    1e4 below 1 kHz, 3e2 at 4.4 kHz, 5 at 11 kHz in this corpus's examples), while a fresh kernel
    weighs every bin alike and Adam moves every weight by about the same step. So the weak bins that
    carry the consonants ("k", "t" of "ac-", "-ti-") hardly reach the network. Dividing each bin by its
    mean gives every bin the same say at the start; the division is folded into the kernel on export.

    ``input_norm_top_hz``: the TTS voices hold next to nothing above about 11 kHz, so those bins carry
    only backgrounds and hiss, which dividing by their means would make as loud as the speech; above
    this frequency each bin keeps the factor of the bin at it, so they stay as weak as they are.
    """
    n = n or recipe.get("input_norm_examples", RECIPE["input_norm_examples"])
    rng = np.random.default_rng([seed, 101])
    total = np.zeros(params.N_FREQ)
    for _ in range(n):
        total += make_training_example(corpus, rng, recipe)[0].mean(axis=0, dtype=np.float64)
    mean = total / n
    scale = 1.0 / np.maximum(mean, mean.max() * 1e-9)
    top_hz = recipe.get("input_norm_top_hz")
    if top_hz is not None:
        top = int(round(top_hz / (params.SAMPLE_RATE / 2) * (params.N_FREQ - 1)))
        scale[top + 1:] = scale[top]
    return scale.astype(np.float32)


def _level(recipe):
    """The recipe's example loudness: a number when its range is one value (so nothing is drawn)."""
    low, high = recipe.get("level_db", (params.TARGET_DBFS, params.TARGET_DBFS))
    return float(low) if low == high else (float(low), float(high))


def warp_bins(x, alpha, boundary_hz=8000.0):
    """Vocal tract length perturbation on features ``x`` (TX, N_FREQ): what lay at frequency f moves to
    ``alpha`` * f below the boundary, and the rest is squeezed or stretched to keep the top bin in place
    (the piecewise-linear warp of Jaitly and Hinton, 2013). Returns a new float32 array.

    The windows are 4.5 ms long, so the bins hold the spectral envelope (formants) and the voice's pitch
    shows as pulses in time: the warp makes a longer (``alpha`` < 1) or shorter vocal tract with the same
    pitch and timing, which the resampling of ``speed`` (formants and pitch together) never gives.
    """
    if alpha == 1.0:
        return np.array(x, dtype=np.float32)
    bin_hz = params.SAMPLE_RATE / params.NFFT
    top = bin_hz * (params.N_FREQ - 1)
    knee = boundary_hz * min(alpha, 1.0) / alpha      # source frequency where the linear part ends
    out_hz = np.arange(params.N_FREQ) * bin_hz
    src_hz = np.where(out_hz <= alpha * knee, out_hz / alpha,
                      top - (top - out_hz) * (top - knee) / (top - alpha * knee))
    pos = np.clip(src_hz / bin_hz, 0.0, params.N_FREQ - 1)
    lo = np.minimum(np.floor(pos).astype(int), params.N_FREQ - 2)
    w = (pos - lo).astype(np.float32)
    return (x[:, lo] * (1.0 - w) + x[:, lo + 1] * w).astype(np.float32)


def spec_masks(x, rng, freq=(0, 0), time=(0, 0)):
    """SpecAugment's masks, in place on features ``x`` (TX, N_FREQ): ``freq[0]`` bands of 1 to ``freq[1]``
    bins and ``time[0]`` spans of 1 to ``time[1]`` steps, each set to the example's mean level.

    Draws nothing from ``rng`` while both counts are 0, so recipes without masks make the same examples
    as before the masks existed. Time spans are short (a few tens of ms at most), so a masked word stays
    a word and its labels stay true.
    """
    if not (freq[0] and freq[1]) and not (time[0] and time[1]):
        return x
    fill = float(x.mean())
    for count, widest, axis in ((freq[0], freq[1], 1), (time[0], time[1], 0)):
        for _ in range(int(count) if widest else 0):
            width = int(rng.integers(1, int(widest) + 1))
            start = int(rng.integers(0, x.shape[axis] - width + 1))
            if axis == 1:
                x[:, start:start + width] = fill
            else:
                x[start:start + width] = fill
    return x


class ExampleSet:
    """Map-style dataset: example ``i`` of ``epoch`` comes from the seed (seed, epoch, i), or with
    ``stream`` (a second set drawn beside it, such as the real examples of ``domain_recipe``) from
    (seed, epoch, i, stream)."""

    def __init__(self, corpus, n, seed, epoch, recipe=RECIPE, stream=None):
        self.corpus, self.n, self.seed, self.epoch, self.recipe = corpus, n, seed, epoch, recipe
        self.stream = stream

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        key = [self.seed, self.epoch, i] + ([] if self.stream is None else [self.stream])
        return make_training_example(self.corpus, np.random.default_rng(key), self.recipe)


def domain_corpus(corpus, root, warn=print):
    """A copy of ``corpus`` whose sentences are the real people's sentences of ``root`` and nothing
    else (no word takes, no labelled sentences): what ``domain_recipe`` draws the real examples from.
    The backgrounds stay the corpus's, so the real and synthetic examples differ in the voices only."""
    import copy
    without, _ = load_sentences(root, warn)
    if not without:
        raise CorpusError(f"{root}: no sentences (make it with `triggerword realspeech --stamps`)")
    real = copy.copy(corpus)
    real.sentence_names = [f"{root}/{name}" for name, _ in without]
    real.sentences = [x for _, x in without]
    real.labelled = []
    return real


def domain_recipe(recipe):
    """The recipe the real examples are made with: the same augmentation and level, one to three of the
    real sentences and no other takes (so every real example is without the word)."""
    return dict(recipe, n_activates=[0, 0], n_negatives=[0, 0], sentence_negatives=[1, 3],
                sentence_positives=[0, 0], lead_prob=0.0, p_calls=0.0, label_delay=0)


@functools.lru_cache(maxsize=None)
def _grad_reverse():  # made once, on first use: torch is imported only by the commands that train
    import torch

    class GradReverse(torch.autograd.Function):
        """The identity forward; backward, the gradient times ``-weight``."""
        @staticmethod
        def forward(ctx, x, weight):
            ctx.weight = weight
            return x.view_as(x)

        @staticmethod
        def backward(ctx, grad):
            return -ctx.weight * grad, None
    return GradReverse


def domain_head():
    """The second head: per output step, 128 features -> 64 -> one logit (real speech or synthetic)."""
    import torch
    return torch.nn.Sequential(torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))


def domain_loss(head, h_synth, y, h_real, weight, guard=200):
    """Domain-adversarial loss (Ganin and Lempitsky, 2015) of the features the output layer reads.

    ``head`` learns to tell, at each output step, the synthetic examples' features ``h_synth``
    (batch, TY, 128) from the real speech's ``h_real``; the gradient that reaches the features is
    reversed and scaled by ``weight``, so the network learns features in which real voices look like
    synthetic ones while it learns the word on the synthetic ones. Synthetic steps within ``guard``
    steps of a label (``y`` > 0.01: the word and what follows it) are left out, since real speech
    never holds the word and the head would otherwise learn "the word means synthetic". Returns
    (loss: the mean of the two sides' binary cross-entropies, accuracy of the head on both sides).
    """
    import torch
    reverse = _grad_reverse()
    far = 1.0 - torch.nn.functional.max_pool1d((y > 0.01).float()[:, None], 2 * guard + 1, stride=1,
                                               padding=guard)[:, 0]
    d_synth = head(reverse.apply(h_synth, weight))[:, :, 0]
    d_real = head(reverse.apply(h_real, weight))[:, :, 0]
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    n_far = far.sum().clamp(min=1.0)
    loss_synth = (bce(d_synth, torch.zeros_like(d_synth), reduction="none") * far).sum() / n_far
    loss_real = bce(d_real, torch.ones_like(d_real))
    with torch.no_grad():
        right = ((d_synth < 0).float() * far).sum() + (d_real > 0).float().sum()
        accuracy = right / (n_far + d_real.numel())
    return (loss_synth + loss_real) / 2, float(accuracy)


def spike_loss(p, y, top=8, guard=100):
    """Mean over the batch of the binary cross-entropy of each example's ``top`` highest outputs
    among the steps more than ``guard`` steps away from every labelled step: its false-alarm spikes.

    Why: a detection is the first step above the threshold, so a spike of a few steps on speech
    without the word is a whole false alarm; yet in the frame loss (the mean over all 1,375 steps)
    it weighs a few steps' worth, next to the hundreds of quiet steps already near 0. This term
    weighs each example's worst spike as much as the rest of its steps together (at weight 1).
    The guard (100 steps, 0.73 s, on both sides of the 50 labelled steps) keeps the word itself and
    the scoring's hit window (0.25 s before to 1 s after the word's end) out of it. ``p`` and ``y``
    are (batch, TY) tensors.
    """
    import torch
    near = torch.nn.functional.max_pool1d((y > 0.5).float()[:, None], 2 * guard + 1, stride=1, padding=guard)[:, 0]
    bce = -torch.log1p(-p.clamp(max=1 - 1e-6))
    bce = bce.masked_fill(near > 0, 0.0)  # the smallest a step's loss can be: guarded steps are never on top
    return bce.topk(top, dim=1).values.mean()


def smooth_labels(y, eps):
    """Labels moved ``eps / 2`` towards one half: 0 becomes eps / 2 and 1 becomes 1 - eps / 2."""
    return y * (1.0 - eps) + eps / 2.0


def mixup(x, y, p, alpha, gen):
    """Mix each example of a batch, with chance ``p``, with another of the same batch (mixup).

    A chosen example ``i`` becomes ``lam * x[i] + (1 - lam) * x[j]`` and its labels the same blend
    of ``y[i]`` and ``y[j]``, where ``j`` is a random other example and ``lam ~ Beta(alpha, alpha)``
    (kept at 0.5 or above, so the example stays mostly itself). The inputs are power spectrograms, so
    a blend is close to the two sounds played together at ``lam`` and ``1 - lam`` of their power;
    the labels say how much of a word there is, which trains graded answers for faint or masked
    words instead of ones and zeros. ``gen`` (a ``torch.Generator``) makes every draw, so a run
    with a seed mixes the same way each time.
    """
    import torch
    n = len(x)
    if n < 2 or p <= 0:
        return x, y
    chosen = torch.rand(n, generator=gen) < p
    partner = (torch.arange(n) + torch.randint(1, n, (n,), generator=gen)) % n  # never itself
    beta = torch.distributions.Beta(torch.tensor(float(alpha)), torch.tensor(float(alpha)))
    u = torch.rand(n, generator=gen).clamp(1e-6, 1 - 1e-6)
    # Beta's own sampler takes no generator: draw lam by inverting its CDF on a grid instead
    grid = torch.linspace(1e-4, 1 - 1e-4, 2001)
    cdf = torch.cumsum(beta.log_prob(grid).exp(), 0)
    cdf = cdf / cdf[-1]
    lam = grid[torch.searchsorted(cdf, u).clamp(max=len(grid) - 1)]
    lam = torch.maximum(lam, 1 - lam)
    lam = torch.where(chosen, lam, torch.ones_like(lam))
    lx = lam.view(-1, *([1] * (x.dim() - 1)))
    ly = lam.view(-1, *([1] * (y.dim() - 1)))
    return lx * x + (1 - lx) * x[partner], ly * y + (1 - ly) * y[partner]


def _cpu_seconds():
    """CPU time of this process and of its finished children (the epoch's data workers)."""
    import resource
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def dev_set(dev_dir):
    """(names, features, truths ms) of the dev clips, or None when there is no dev folder."""
    from triggerword.evaluate import load_labels, read_clips
    if not dev_dir or dev_dir == "none" or not os.path.isdir(dev_dir):
        return None
    try:
        labels = load_labels(dev_dir)
    except (ValueError, FileNotFoundError) as exc:   # no labels, or not JSON of clip -> [end ms]: one line
        raise CorpusError(f"--dev: {exc}") from None
    names, feats = read_clips(dev_dir, sorted(labels))
    if not names:
        raise CorpusError(f"--dev {dev_dir}: no clip of its labels.json could be read (--dev none trains without one)")
    return names, np.stack(feats), [labels[n] for n in names]


def predict_torch(net, feats, batch_size=8):
    import torch
    net.eval()
    device = next(net.parameters()).device
    out = []
    with torch.no_grad():
        for i in range(0, len(feats), batch_size):
            out.append(net(torch.from_numpy(feats[i:i + batch_size]).to(device)).cpu().numpy()[:, :, 0])
    return np.concatenate(out) if out else np.zeros((0, params.TY), np.float32)


def learning_rate_at(recipe, epochs_done):
    """The rate after ``epochs_done`` epochs of this run (a float: batches count as fractions of an epoch).

    With ``lr_decay_epochs`` N > 0 it follows half a cosine from ``learning_rate`` down to ``lr_final``
    over N epochs and stays at ``lr_final`` after; with N = 0 it is ``learning_rate`` throughout."""
    base, n = recipe["learning_rate"], recipe.get("lr_decay_epochs", 0)
    if not n:
        return base
    final = recipe.get("lr_final", 0.0)
    return final + (base - final) * 0.5 * (1.0 + math.cos(math.pi * min(epochs_done / n, 1.0)))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="triggerword train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="cache/corpus", help="folder with activates/, negatives/, backgrounds/")
    parser.add_argument("--backgrounds", default=None, help="take backgrounds from this folder instead of <corpus>/backgrounds")
    parser.add_argument("--reload-corpus", action="store_true",
                        help="read the corpus again before each epoch (to start while the cache is still being made; "
                             "the run is then not reproducible)")
    parser.add_argument("--dev", default="raw_data/dev", help="dev clips with labels.json, scored every epoch")
    parser.add_argument("--run", default="cache/train/run", help="folder for checkpoints and logs")
    parser.add_argument("--epochs", type=at_least(1), default=None,
                        help="train until this many epochs are done (default 20; on --resume, the number the run "
                             "was last started or resumed with, so a resumed run stops where it was meant to)")
    parser.add_argument("--examples", type=at_least(1), default=None, help="examples per epoch (recipe: 4000)")
    parser.add_argument("--batch-size", type=at_least(1), default=None)
    parser.add_argument("--seed", type=at_least(0), default=0)
    parser.add_argument("--workers", type=at_least(0), default=1,
                        help="data worker processes (0: examples are made in the training process)")
    parser.add_argument("--learning-rate", type=positive_number, default=None,
                        help="Adam learning rate from now on (also when resuming: lower it for the last epochs)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                        help="change one entry of the recipe, on a new run or a resume, e.g. --set 'phrase_negatives=[2,5]' "
                             "(repeatable; for ablations; recorded in recipe.json)")
    parser.add_argument("--threads", type=at_least(1), default=None,
                        help="PyTorch threads for the network (default: all cores; 1 when two runs share the machine)")
    parser.add_argument("--device", default="cpu",
                        help="PyTorch device for the network, e.g. cuda (data is still made on the CPU; checkpoints "
                             "load on CPU whatever device wrote them)")
    parser.add_argument("--recipe", default=None, metavar="RUN_OR_JSON",
                        help="start a new run from the recipe of an earlier one (its folder or its recipe.json; "
                             "entries it lacks take today's defaults, which are off); --examples, --batch-size, "
                             "--learning-rate and --set change it from there; the seed, corpus and --init are not taken")
    parser.add_argument("--resume", action="store_true", help="go on from <run>/checkpoint.pt")
    parser.add_argument("--init", default=None, help="start from these Keras model_f weights")
    parser.add_argument("--export", default=None, help="write the best model as Keras files into this folder and stop "
                        "(a folder already holding a model only with --force)")
    parser.add_argument("--force", action="store_true", help="with --export: replace the model already in the folder")
    parser.add_argument("--calibrate", type=float, default=None, metavar="T",
                        help="with --export: shift the output layer's bias so that 0.5 means what T meant for the run's "
                             "own output (the workbook and the detector fire at 0.5)")
    parser.add_argument("--export-epoch", choices=("best", "last"), default="best",
                        help="which weights --export writes: the epoch with the best dev F1 at 0.5 (best.pt), or the "
                             "last epoch run (checkpoint.pt), which no choice on the small dev set has flattered")
    args = parser.parse_args(argv)
    if args.calibrate is not None and (args.export is None or not 0.0 < args.calibrate < 1.0):
        parser.error(f"--calibrate {args.calibrate}: give a threshold strictly between 0 and 1, with --export")
    changes = {}
    for item in args.set:
        key, _, value = item.partition("=")
        try:
            changes[key] = json.loads(value)
        except json.JSONDecodeError:
            if key in RECIPE:
                parser.error(f"--set {item}: the value is not JSON (write lists as [2,6])")
        problem = entry_problem(key, changes.get(key))
        if problem:
            parser.error(f"--set {item}: {problem}")
    args.set = changes
    if args.recipe is not None:
        if args.resume or args.export:
            parser.error("--recipe starts a new run: a resumed run keeps its checkpoint's recipe (change it with "
                         "--set), and --export writes what a run trained")
        try:
            args.recipe = read_recipe(args.recipe)
        except ValueError as exc:
            parser.error(str(exc))
    problem = run_problem(args)
    if problem:
        print(f"triggerword train: {problem}", file=sys.stderr)
        return 2
    if args.export is None and args.dev not in ("", "none") and not os.path.isdir(args.dev):
        if args.dev != parser.get_default("dev"):   # a mistyped folder once meant no dev set, silently
            print(f"triggerword train: --dev {args.dev}: no such folder (--dev none trains without a dev set)",
                  file=sys.stderr)
            return 2
        print(f"triggerword train: warning: no dev set at {args.dev}; best.pt goes by the lowest loss "
              "(--dev DIR scores one, --dev none says you mean it)", file=sys.stderr)
    try:
        return _main(args)
    except CorpusError as exc:
        print(f"triggerword train: {exc}", file=sys.stderr)
        return 1
    except TrainError as exc:
        print(f"triggerword train: {exc}", file=sys.stderr)
        return 2


def positive_number(text):
    """An argparse type: a finite number above 0 (a learning rate)."""
    value = number_or_nan(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number above 0, not {text!r}")
    return value


def entry_problem(key, value):
    """What is wrong with recipe entry ``key`` = ``value`` (None: nothing)."""
    if key not in RECIPE:
        return f"no recipe entry {key!r} (known: {', '.join(RECIPE)})"
    if key in ("lr_decay_epochs", "lr_final") and not (
            isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0):
        return f"{key} must be a number, 0 or more"
    if key == "label_delay" and not (isinstance(value, int) and not isinstance(value, bool)
                                     and 0 <= value <= MAX_LABEL_DELAY):
        return f"label_delay must be a whole number of output steps from 0 to {MAX_LABEL_DELAY}"
    if key in ("domain_weight", "domain_lr") and not (
            isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0):
        return f"{key} must be a number, 0 or more"
    if key in ("domain_examples", "domain_guard") and not (
            isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        return f"{key} must be a whole number, 1 or more"
    if key == "domain_corpus" and not (value is None or isinstance(value, str)):
        return "domain_corpus must be a folder (a string) or null"
    if key == "pitch_on" and value not in ("all", "activate"):
        return f"pitch_on must be \"all\" or \"activate\", not {value!r}"
    return _shape_problem(key, value)


# Entries checked by kind (``_shape_problem``): chances (these and every p_...), counts of at least 1, and pairs that are not
# [low, high] ranges but [how many, widest].
CHANCES = ("dropout", "phrase_prob", "lead_prob", "word_not_first", "mixup", "label_smooth", "ema")
COUNTS = ("examples_per_epoch", "batch_size", "spike_top", "input_norm_examples")
PAIRS = ("freq_masks", "time_masks")


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _shape_problem(key, value):
    """What is wrong with ``value`` for an entry whose default is a number or a [low, high] pair, by the
    default's shape: a number where the default is one (a chance between 0 and 1, a count at least 1,
    else at least 0), two numbers, low <= high, where it is a pair; None for the other entries."""
    default = RECIPE[key]
    if _number(default):
        if not _number(value):
            return f"{key} must be a number, not {value!r}"
        if (key in CHANCES or key.startswith("p_")) and not 0 <= value <= 1:
            return f"{key} must be a number from 0 to 1, not {value!r}"
        if key in COUNTS and not (isinstance(value, int) and value >= 1):
            return f"{key} must be a whole number, 1 or more, not {value!r}"
        if key == "learning_rate" and not value > 0:
            return f"learning_rate must be a number above 0, not {value!r}"
        if default >= 0 and value < 0:
            return f"{key} must be a number, 0 or more, not {value!r}"
    elif isinstance(default, list) and len(default) == 2 and all(_number(v) for v in default):
        if not (isinstance(value, list) and len(value) == 2 and all(_number(v) for v in value)):
            return f"{key} must be two numbers, e.g. {json.dumps(default)}, not {json.dumps(value)}"
        if key in PAIRS:
            if min(value) < 0:
                return f"{key} must be [how many, widest], both 0 or more, not {json.dumps(value)}"
        elif value[0] > value[1]:
            return f"{key} must be a range [low, high] with low <= high, not {json.dumps(value)}"
    return None


def read_recipe(path):
    """(path read, recipe entries) of an earlier run for ``--recipe``: ``path`` is a run folder, its
    ``recipe.json`` ({"recipe": {...}, "seed": ...}) or a bare JSON object of entries. Raises ValueError
    with one line naming the file and the problem."""
    if os.path.isdir(path):
        path = os.path.join(path, "recipe.json")
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        raise ValueError(f"--recipe {path}: file not found (give a run folder with a recipe.json, or the file)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"--recipe {path}: not a readable JSON file ({exc})") from None
    entries = data.get("recipe", data) if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise ValueError(f"--recipe {path}: expected a JSON object of recipe entries")
    for key, value in entries.items():
        problem = entry_problem(key, value)
        if problem:
            raise ValueError(f"--recipe {path}: {problem}")
    return path, entries


def recorded(run, key="init"):
    """The weights ``run`` started from, as its ``recipe.json`` records them (None: from scratch or unknown);
    with ``key="recipe_from"``, the file its recipe was taken from (``--recipe``)."""
    path = os.path.join(run, "recipe.json")
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if not isinstance(data, dict):
        raise TrainError(f"{path}: not a readable recipe.json (damaged?)")
    return data.get(key)


def load_checkpoint(path, keys=EXPORT_KEYS):
    """The state saved in ``path`` (``checkpoint.pt`` or ``best.pt``), checked to hold ``keys``;
    TrainError with one line naming the file when it is missing, unreadable or not a checkpoint."""
    import torch
    if not os.path.lexists(path):
        raise TrainError(f"{path}: no checkpoint yet")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception:  # noqa: BLE001 -- a damaged file fails anywhere in torch or pickle, each its own way
        state = None
    if not (isinstance(state, dict) and all(k in state for k in keys) and isinstance(state["recipe"], dict)
            and "dropout" in state["recipe"]):
        raise TrainError(f"{path}: not a readable checkpoint (damaged?)")
    return state


def load_weights(net, weights, path):
    """``net`` with ``weights`` (a state dict from checkpoint ``path``), or TrainError naming the file."""
    try:
        net.load_state_dict(weights)
    except (RuntimeError, KeyError, TypeError, ValueError, AttributeError):
        raise TrainError(f"{path}: not a readable checkpoint (damaged?): its weights do not fit model_f") from None
    return net


def run_problem(args):
    """One line saying why the run folder (and export folder) cannot be used as asked, or None: a new run
    never starts over a run (nothing of it is replaced), and ``--resume`` needs a checkpoint."""
    problem = folder_problem(args.run, "--run")
    if problem or args.export is not None:
        return problem or folder_problem(args.export, "--export")
    if args.resume:
        ckpt = os.path.join(args.run, "checkpoint.pt")
        if not os.path.lexists(ckpt):
            return f"--resume: {ckpt}: no checkpoint to resume (leave out --resume to start a new run)"
        return None
    if any(os.path.lexists(os.path.join(args.run, name)) for name in RUN_FILES):
        return f"{args.run} already holds a run: --resume it, or choose a new --run"
    return None


def write_export_info(run, folder, best, ran, init, chosen_by="best dev F1 at threshold 0.5 over the epochs",
                      calibrate=None):
    """``<folder>/export.json``: which epoch of which run the exported weights are (read by evaluate --report).

    ``best``: the exported state (``<run>/best.pt`` or ``checkpoint.pt``); ``ran``: the epochs in the
    last checkpoint's log; ``init``: the weights the run began from (its recipe.json).
    """
    per_epoch = best["recipe"]["examples_per_epoch"]
    with open(os.path.join(folder, "export.json"), "w") as f:
        json.dump({"run": run, "epoch": best["epoch"], "epochs_run": ran, "dev_f1": best.get("dev_f1"),
                   "chosen_by": chosen_by, "examples_seen": best["epoch"] * per_epoch, "init": init,
                   "calibrated_threshold": calibrate}, f, indent=1)
        f.write("\n")


def shift_threshold(model, threshold):
    """Move the output layer's bias so that 0.5 on ``model`` means what ``threshold`` meant before.

    The output is sigmoid(z + b); with b - logit(threshold) it crosses 0.5 exactly where the old
    output crossed ``threshold``, step for step, so the chime rule at the workbook's default 0.5 fires
    where it fired at ``threshold``. Every other weight is unchanged.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"calibration threshold {threshold} must lie strictly between 0 and 1")
    layer = model.layers[-1]
    kernel, bias = layer.get_weights()
    layer.set_weights([kernel, (bias - np.log(threshold / (1.0 - threshold))).astype(bias.dtype)])
    return model


def _export(args):
    """Write the run's model into ``--export``: every input is read and checked first, a model already
    there is replaced only with ``--force``, and the files are made in a temporary folder inside it and
    moved into place only once all of them are written."""
    from triggerword.model import save_model_f
    from triggerword.torch_model import TorchModelF, to_keras
    ckpt = os.path.join(args.run, "checkpoint.pt")
    path = os.path.join(args.run, "best.pt") if args.export_epoch == "best" else ckpt
    state = load_checkpoint(path)
    ran = len((state if path == ckpt else load_checkpoint(ckpt))["log"])   # export.json counts the epochs run
    init = recorded(args.run)   # and names the weights the run began from
    net = load_weights(TorchModelF(state["recipe"]["dropout"]),
                       state.get("weights") or state["model"], path)  # "weights": what the run ships (its average)
    held = [name for name in EXPORT_FILES if os.path.lexists(os.path.join(args.export, name))]
    if held and not args.force:
        raise TrainError(f"--export {args.export}: already holds a model ({', '.join(held)}); "
                         "pass --force to replace it, or choose a new folder")
    model = to_keras(net)
    if args.calibrate is not None:
        shift_threshold(model, args.calibrate)
    os.makedirs(args.export, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".export-", dir=args.export)
    try:
        save_model_f(model, staging)
        write_export_info(args.run, staging, state, ran, init, "best dev F1 at threshold 0.5 over the epochs"
                          if args.export_epoch == "best" else "the last epoch run (no choice on the dev set)",
                          calibrate=args.calibrate)
        for name in EXPORT_FILES:
            os.replace(os.path.join(staging, name), os.path.join(args.export, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    # without a dev set dev_f1 is None (checkpoints written before kept minus the loss there)
    dev = "no dev set" if state.get("dev_f1") is None or state["dev_f1"] < 0 else f"dev F1 {state['dev_f1']:.3f}"
    print(f"wrote {args.export}/model.json, model.weights.h5, model.keras (epoch {state['epoch']}, {dev}"
          + (f"; 0.5 now means {args.calibrate} of the run's own output" if args.calibrate is not None else "") + ")")
    return 0


def _main(args):
    import torch
    from tqdm import tqdm
    from triggerword.evaluate import score_clips
    from triggerword.model import save_model_f
    from triggerword.torch_model import TorchModelF, from_keras, to_keras

    if args.export is not None:
        return _export(args)
    try:
        torch.device(args.device)
    except RuntimeError:
        print(f"triggerword train: --device {args.device}: not a PyTorch device (cpu, cuda, cuda:1, ...)", file=sys.stderr)
        return 1
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"triggerword train: --device {args.device}: PyTorch sees no CUDA GPU on this machine "
              "(leave --device out to train on the CPU)", file=sys.stderr)
        return 1
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 2)))
    ckpt_path = os.path.join(args.run, "checkpoint.pt")
    recipe = dict(RECIPE)
    recipe_from = None
    if args.recipe is not None:
        recipe_from, entries = args.recipe
        recipe.update(entries)
    if args.examples is not None:
        recipe["examples_per_epoch"] = args.examples
    if args.batch_size is not None:
        recipe["batch_size"] = args.batch_size
    start_epoch, log, best_f1 = 0, [], -1.0
    net = TorchModelF(recipe["dropout"])
    if args.init:
        from triggerword.model import ModelFileError, load_model_f
        try:
            net = from_keras(load_model_f(args.init), recipe["dropout"])
        except ModelFileError as exc:
            raise TrainError(f"--init {exc}") from None
    state = None
    if args.resume:  # main has made sure there is a checkpoint
        state = load_checkpoint(ckpt_path, RESUME_KEYS)
        recipe = state["recipe"]
        net = load_weights(TorchModelF(recipe["dropout"]), state["model"], ckpt_path)
        start_epoch, log, best_f1, args.seed = state["epoch"], state["log"], state["best_f1"], state["seed"]
        if args.epochs is None:  # checkpoints written before the target was kept in them fall back to 20
            args.epochs = state.get("epochs", DEFAULT_EPOCHS)
        if state.get("torch_rng") is not None:  # dropout goes on as if the run had never stopped
            torch.set_rng_state(state["torch_rng"])
        print(f"resuming {args.run} after epoch {start_epoch}, until epoch {args.epochs}")
    if args.epochs is None:
        args.epochs = DEFAULT_EPOCHS
    net.to(args.device)  # before the optimiser, whose state then lands on the same device
    opt = torch.optim.Adam(net.parameters(), lr=recipe["learning_rate"])
    if state is not None:
        try:
            opt.load_state_dict(state["optimizer"])
        except (KeyError, TypeError, ValueError, RuntimeError, AttributeError):
            raise TrainError(f"{ckpt_path}: not a readable checkpoint (damaged?): its optimiser does not fit") from None
    recipe.update(args.set)  # after a resume too: a recipe can change between epochs, as the rate does
    net.drop.p = float(recipe["dropout"])   # the net was built before --set: its rate follows the recipe's
    if args.learning_rate is not None:
        recipe["learning_rate"] = args.learning_rate
    if args.learning_rate is not None or "learning_rate" in args.set:  # --set learning_rate=X as --learning-rate X
        for group in opt.param_groups:
            group["lr"] = recipe["learning_rate"]
    corpus = load_corpus(args.corpus, recipe, args.backgrounds)
    print(corpus)
    head = dopt = real = None
    if recipe.get("domain_weight", 0) > 0:
        if not recipe.get("domain_corpus"):
            print("triggerword train: domain_weight > 0 needs domain_corpus, a folder of real sentences "
                  "(`triggerword realspeech --stamps` makes cache/stamps)", file=sys.stderr)
            return 1
        real = domain_corpus(corpus, recipe["domain_corpus"])
        print(f"domain-adversarial: {len(real.sentences)} real sentences from {recipe['domain_corpus']}, "
              f"weight {recipe['domain_weight']}")
        head = domain_head().to(args.device)
        dopt = torch.optim.Adam(head.parameters(), lr=recipe.get("domain_lr", RECIPE["domain_lr"]))
        if state is not None and state.get("domain_head") is not None:
            head.load_state_dict(state["domain_head"])
            dopt.load_state_dict(state["domain_opt"])
    if state is None and recipe.get("input_norm"):
        if recipe["input_norm"] != "bin_mean":
            print(f"triggerword train: input_norm {recipe['input_norm']!r}: unknown (null or \"bin_mean\")",
                  file=sys.stderr)
            return 1
        scale = bin_scale(corpus, recipe, args.seed)
        net.set_in_scale(scale, keep_outputs=args.init is not None)
        print(f"input_norm bin_mean: bin scales {scale.min():.3g} to {scale.max():.3g}")
    ema = None
    if recipe.get("ema", 0) > 0:
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
        ema = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(recipe["ema"]), use_buffers=True)
        if state is not None and state.get("ema_state") is not None:
            ema.load_state_dict(state["ema_state"])
    init = args.init
    if args.resume:  # a resume keeps where the run began and where its recipe came from
        init = init if init is not None else recorded(args.run)
        recipe_from = recorded(args.run, "recipe_from")
    record = {"recipe": recipe, "seed": args.seed, "corpus": args.corpus, "init": init}
    if recipe_from is not None:
        record["recipe_from"] = recipe_from
    dev = dev_set(args.dev)
    os.makedirs(args.run, exist_ok=True)  # only now: a run refused above leaves no folder behind
    with open(os.path.join(args.run, "recipe.json"), "w") as f:
        json.dump(record, f, indent=1)

    loss_fn = torch.nn.BCELoss()
    for epoch in range(start_epoch, args.epochs):
        if args.reload_corpus and epoch > start_epoch:
            corpus = load_corpus(args.corpus, recipe, args.backgrounds)
            print(corpus)
            if real is not None:
                real = domain_corpus(corpus, recipe["domain_corpus"])
        data = ExampleSet(corpus, recipe["examples_per_epoch"], args.seed, epoch, recipe)
        loader = torch.utils.data.DataLoader(data, batch_size=recipe["batch_size"], shuffle=False,
                                             num_workers=args.workers, prefetch_factor=4 if args.workers else None)
        real_batches = None
        if head is not None:
            m = int(recipe.get("domain_examples", RECIPE["domain_examples"]))
            real_data = ExampleSet(real, len(loader) * m, args.seed, epoch, domain_recipe(recipe), stream=1)
            real_batches = iter(torch.utils.data.DataLoader(
                real_data, batch_size=m, shuffle=False, num_workers=args.workers,
                prefetch_factor=4 if args.workers else None))
            head.train()
        d_total, d_right = 0.0, 0.0
        net.train()
        started, cpu_started, total, count = time.time(), _cpu_seconds(), 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{args.epochs}", unit="batch")
        mix_gen = torch.Generator().manual_seed(args.seed * 1000 + epoch)  # the same mixes on a resume
        for step, (x, y) in enumerate(bar):
            if recipe.get("lr_decay_epochs", 0):
                for group in opt.param_groups:
                    group["lr"] = learning_rate_at(recipe, epoch + step / len(loader))
            if recipe.get("mixup", 0) > 0:
                x, y = mixup(x, y, recipe["mixup"], recipe.get("mixup_alpha", RECIPE["mixup_alpha"]), mix_gen)
            x, y = x.to(args.device), y.to(args.device)
            target = smooth_labels(y, recipe["label_smooth"]) if recipe.get("label_smooth", 0) > 0 else y
            opt.zero_grad()
            if head is None:
                p = net(x)[:, :, 0]
            else:
                dopt.zero_grad()
                h = net.features(x)
                p = torch.sigmoid(net.dense(h))[:, :, 0]
                xr = next(real_batches)[0].to(args.device)
                norms = (net.bn1, net.bn2, net.bn3)
                for bn in norms:  # the real speech is normalised as the shipped model will normalise it,
                    bn.eval()     # and leaves the running statistics to the synthetic examples
                h_real = net.features(xr)
                for bn in norms:
                    bn.train()
                weight = recipe["domain_weight"] * min(1.0, epoch + step / len(loader))  # ramped over epoch 1
                d_loss, d_acc = domain_loss(head, h, y, h_real, weight,
                                            int(recipe.get("domain_guard", RECIPE["domain_guard"])))
                d_total += d_loss.item()
                d_right += d_acc
            loss = loss_fn(p, target)  # the spike loss below finds the words in y, which smoothing leaves unmoved
            if recipe.get("spike_weight", 0):
                loss = loss + recipe["spike_weight"] * spike_loss(p, y, recipe.get("spike_top", RECIPE["spike_top"]),
                                                                   recipe.get("spike_guard", RECIPE["spike_guard"]))
            (loss if head is None else loss + d_loss).backward()
            opt.step()
            if head is not None:
                dopt.step()
            if ema is not None:
                ema.update_parameters(net)
            total += loss.item() * len(x)
            count += len(x)
            if head is None:
                bar.set_postfix(loss=f"{total / count:.4f}")
            else:
                bar.set_postfix(loss=f"{total / count:.4f}", domain_acc=f"{d_right / (step + 1):.3f}")
        row = {"epoch": epoch + 1, "lr": float(f"{opt.param_groups[0]['lr']:.4g}"), "loss": round(total / count, 5),
               "seconds": round(time.time() - started, 1), "cpu_s": round(_cpu_seconds() - cpu_started, 1)}
        if head is not None:
            row.update({"domain_loss": round(d_total / max(1, len(loader)), 5),
                        "domain_acc": round(d_right / max(1, len(loader)), 4)})
        shipped = net if ema is None else ema.module
        if dev is not None:
            scores = score_clips(list(predict_torch(shipped, dev[1])), dev[2], params.DEFAULT_THRESHOLD)
            row.update({k: round(scores[k], 4) for k in ("precision", "recall", "f1")})
        log.append(row)
        print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        f1 = row.get("f1", -row["loss"])  # what best.pt keeps: dev F1, or the lowest loss with --dev none
        state = {"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch + 1, "log": log,
                 "best_f1": max(best_f1, f1), "seed": args.seed, "recipe": recipe, "dev_f1": row.get("f1"),
                 "weights": shipped.state_dict(), "ema_state": None if ema is None else ema.state_dict(),
                 "torch_rng": torch.get_rng_state(), "epochs": args.epochs,
                 "domain_head": None if head is None else head.state_dict(),
                 "domain_opt": None if dopt is None else dopt.state_dict()}
        torch.save(state, ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)
        if f1 >= best_f1:
            best_f1 = f1
            torch.save(state, os.path.join(args.run, "best.pt"))
        save_model_f(to_keras(shipped), os.path.join(args.run, "keras"))
        write_log(os.path.join(args.run, "log.csv"), log)
    return 0


def write_log(path, log):
    """Write the per-epoch rows as CSV, replacing ``path`` only once the whole file is written.

    The columns are every key any row has, in order of first appearance: a run resumed with
    ``--dev none`` after epochs scored on a dev set (or the other way round) has rows with and
    without the dev columns, and those cells stay empty."""
    fields = []
    for row in log:
        fields += [key for key in row if key not in fields]
    with open(path + ".tmp", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(log)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    sys.exit(main())
