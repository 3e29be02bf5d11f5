"""Honest scores for a trigger word detector: events, not frames.

Accuracy over output steps says little here: a model that never fires is right on over 90 % of the
steps. We count events instead (DESIGN.md): a detection is the first step of a run above the
threshold, at most one per 75 steps (``td_utils.chime_steps``); it is a hit when it falls from
0.25 s before to 1.0 s after the end of a true "activate", matched one to one
(``td_utils.match_events``). We report precision, recall and F1 on the dev clips, false alarms per
hour on audio without the word, and both across thresholds.

    triggerword evaluate [--model models/model.weights.h5] [--dev raw_data/dev] [--fa DIR] [--engine DIR]
                         [--plot models/sweep.png] [--report models/EVAL.md] [--run training/run1]
                         [--fa2 DIR] [--talk DIR] [--real DIR] [--readings] [--scenes] [--levels DBFS...] [--shifts SEMITONES...]
                         [--highpass HZ...] [--rates HZ...]
                         [--compare LABEL=RUN]...
                         [--extra LABEL=DIR]...

``--fa`` and ``--engine`` take the folders ``triggerword corpus --target heldout`` writes
(``cache/heldout/fa``: an hour without the word; ``cache/heldout/engine``: labelled clips from the
engine no training voice comes from, the best stand-in we have for voices never heard). ``--fa2``
takes a second such hour (``--target heldout --seed 8 --dev 0 --out cache/heldout-seed8``), scored
apart from the first, so that a threshold chosen on one hour can be reported on the other: two
hours of the same making differed by a factor of 1.6 to 2.4 for the same model. ``--talk`` takes an
hour of everyday talk without near misses (``triggerword corpus --target everyday``: ``cache/everyday/fa``),
scored apart too: the kind of speech a device hears most of the day. ``--real`` takes clips of real
people speaking without the word (``triggerword realspeech``: ``cache/real``), scored apart and by
speaker: the only real voices measured here. ``--extra LABEL=DIR`` adds
any other labelled folder, scored on its own beside the held-out engine (e.g. the held-out sets
read whole, ``triggerword corpus --target heldout --whole``: connected speech, where the word is
harder to hear than in sentences built from separately synthesized pieces).

Clips are prepared as the workbook prepares them: read, loudness set to -20 dBFS over the clip,
spectrogram of channel 0.
"""
import argparse
import itertools
import json
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from td_utils import AudioFileError, chime_steps, clip_spectrogram, event_scores, match_events
from triggerword import checks, params

THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 1.0, 0.05))


def clip_features(path, target_dbfs=params.TARGET_DBFS, semitones=0.0, highpass_hz=0.0, rate_hz=0):
    """Model input (TX, N_FREQ) float32 for a 10-s WAV clip, prepared as the workbook does
    (``target_dbfs``: the loudness it is set to; None keeps the file's own level).

    ``semitones``: first shift the clip's pitch by this much at the same pace (``augment.shift_pitch``:
    stretched, then resampled, so the formants move with the pitch, as from a larger or smaller speaker).
    ``highpass_hz``: first cut the bass below this frequency (a 2nd-order Butterworth high-pass, 12 dB an
    octave, the slope ``augment.mic_colour`` draws: what a laptop's or a phone's small microphone does).
    ``rate_hz``: first take the clip through this sample rate and back (``scipy.signal.resample_poly`` both
    ways, whose filter cuts everything above half that rate), as if it had been recorded there: 16,000 for
    most speech recorders and headsets, 8,000 for a telephone line (0: the clip as made).
    """
    if not semitones and not highpass_hz and not rate_hz:
        return clip_spectrogram(path, target_dbfs).T.astype(np.float32)
    from td_utils import clip_samples, samples_clip_spectrogram
    x = clip_samples(path)
    if semitones:
        from triggerword.augment import shift_pitch
        x = shift_pitch(x, semitones)
    if highpass_hz:
        from scipy import signal
        sos = signal.butter(2, float(highpass_hz), btype="high", fs=params.SAMPLE_RATE, output="sos")
        x = signal.sosfilt(sos, np.asarray(x, np.float64)).astype(np.float32)
    if rate_hz:
        from math import gcd
        from scipy.signal import resample_poly
        g = gcd(int(rate_hz), params.SAMPLE_RATE)
        down = resample_poly(np.asarray(x, np.float64), int(rate_hz) // g, params.SAMPLE_RATE // g)
        x = resample_poly(down, params.SAMPLE_RATE // g, int(rate_hz) // g)[:len(x)]
    return samples_clip_spectrogram(x, target_dbfs).T.astype(np.float32)


def load_labels(dev_dir):
    """{clip file name: [end ms of each "activate"]} from ``dev_dir/labels.json``."""
    path = os.path.join(dev_dir, "labels.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no labels; make raw_data with `triggerword corpus --target raw_data`")
    try:
        with open(path, encoding="utf-8") as f:
            labels = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable labels file ({exc})") from None
    if not isinstance(labels, dict) or not all(
            isinstance(ends, list) and all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in ends)
            for ends in labels.values()):
        raise ValueError(f'{path}: expected {{"clip.wav": [end in ms of each "activate", ...], ...}}')
    for clip, ends in labels.items():
        outside = [t for t in ends if not 0 <= t <= params.CLIP_MS]  # NaN is never inside
        if outside:
            raise ValueError(f"{path}: {clip}: the end {outside[0]} ms is not inside the clip's "
                             f"0-{params.CLIP_MS} ms")
    return labels


def detections_s(probabilities, threshold=params.DEFAULT_THRESHOLD):
    """Detection times (s) in one clip's per-step probabilities, by the chime rule."""
    return [step * params.STEP_S for step in chime_steps(probabilities, threshold, params.CHIME_GAP_STEPS)]


def clip_events(probabilities, truths_ms, threshold=params.DEFAULT_THRESHOLD):
    """(hits, false alarms, misses) of each clip: an int array of shape (clips, 3)."""
    rows = [match_events(detections_s(p, threshold), [e / 1000 for e in ends], params.HIT_BEFORE_S, params.HIT_AFTER_S)
            for p, ends in zip(probabilities, truths_ms)]
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def score_clips(probabilities, truths_ms, threshold=params.DEFAULT_THRESHOLD):
    """Event precision/recall/F1 over clips. ``probabilities``: list of (TY,) arrays; ``truths_ms``: list of lists."""
    return score_events(clip_events(probabilities, truths_ms, threshold), threshold)


def score_events(events, threshold=params.DEFAULT_THRESHOLD):
    """``score_clips`` of clips whose ``clip_events`` are already counted."""
    hits, false_alarms, misses = (int(n) for n in np.asarray(events).reshape(-1, 3).sum(axis=0))
    scores = event_scores(hits, false_alarms, misses)
    scores.update(hits=hits, false_alarms=false_alarms, misses=misses, threshold=threshold)
    return scores


def false_alarms_per_hour(probabilities, threshold=params.DEFAULT_THRESHOLD):
    """Detections per hour in clips that hold no "activate" (each clip 10 s)."""
    n = sum(len(detections_s(p, threshold)) for p in probabilities)
    hours = len(probabilities) * params.CLIP_MS / 1000 / 3600
    return n / hours if hours else float("nan")


INTERVAL_LEVEL = 0.95      # the intervals' coverage
BOOTSTRAP_ROUNDS = 2000    # resamples of the clips behind each F1 interval


def rate_interval(count, hours, level=INTERVAL_LEVEL):
    """Exact (Garwood) interval of a rate of events per hour from ``count`` events seen in ``hours``:
    ``(low, high)``, from the chi-squared quantiles of a Poisson count. It takes the false alarms as
    independent; clips cut from one recording share its words and its speaker, so read it as the
    least the uncertainty is."""
    from scipy.stats import chi2
    tail = (1 - level) / 2
    low = chi2.ppf(tail, 2 * count) / 2 if count > 0 else 0.0
    return float(low) / hours, float(chi2.ppf(1 - tail, 2 * count + 2) / 2) / hours


def f1_interval(events, level=INTERVAL_LEVEL, rounds=BOOTSTRAP_ROUNDS, seed=0):
    """Percentile bootstrap interval of the event F1 over clips: ``events`` is ``clip_events``'s array;
    each round draws as many clips with replacement and scores their summed events. ``(low, high)``."""
    events = np.asarray(events).reshape(-1, 3)
    if not len(events):
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    h, fa, m = events[rng.integers(0, len(events), size=(rounds, len(events)))].sum(axis=1).T
    f1 = np.divide(2 * h, 2 * h + fa + m, out=np.zeros(rounds), where=2 * h + fa + m > 0)  # 2PR / (P + R)
    tail = (1 - level) / 2
    return tuple(float(q) for q in np.quantile(f1, [tail, 1 - tail]))


def grouped_rate_interval(tallies, level=INTERVAL_LEVEL, rounds=BOOTSTRAP_ROUNDS, seed=0):
    """Percentile bootstrap interval of a rate per hour over groups of events: ``tallies`` is
    [(events, seconds)] of each group; each round draws as many groups with replacement and divides
    their summed events by their summed time. Where the events of a group go together (the same
    prompt fires in every voice that reads it), it is wider than ``rate_interval``. ``(low, high)``."""
    tallies = np.asarray(tallies, dtype=float).reshape(-1, 2)
    if not len(tallies) or tallies[:, 1].sum() <= 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    events, seconds = tallies[rng.integers(0, len(tallies), size=(rounds, len(tallies)))].sum(axis=1).T
    rate = np.divide(events * 3600, seconds, out=np.zeros(rounds), where=seconds > 0)
    tail = (1 - level) / 2
    return tuple(float(q) for q in np.quantile(rate, [tail, 1 - tail]))


def frame_accuracy(probabilities, labels, threshold=params.DEFAULT_THRESHOLD):
    """Share of output steps whose thresholded probability equals the label (the misleading number)."""
    p = np.concatenate([np.asarray(a).reshape(-1) for a in probabilities]) > threshold
    y = np.concatenate([np.asarray(a).reshape(-1) for a in labels]) > 0.5
    return float(np.mean(p == y))


def labels_for(ends_ms):
    """Per-step labels (TY,) of a clip with "activate"s ending at ``ends_ms``, as insert_ones sets them."""
    from triggerword.synth import insert_ones
    y = np.zeros(params.TY, dtype=np.float32)
    for end in ends_ms:
        insert_ones(y, end)
    return y


def _bar(items, desc, unit, show=True):
    """A progress bar on stderr (stdout stays clean for --json); silent when ``show`` is false."""
    from tqdm import tqdm
    return tqdm(items, desc=desc, unit=unit, disable=not show, file=sys.stderr, dynamic_ncols=True, leave=False)


def read_clips(folder, names=None, warn=print, target_dbfs=params.TARGET_DBFS, progress=False, semitones=0.0,
               highpass_hz=0.0, rate_hz=0):
    """Features of the WAV clips in ``folder`` (sorted), skipping unreadable ones with a warning.

    ``progress``: show a bar on stderr while reading (the command line does; library calls stay quiet);
    ``semitones``, ``highpass_hz``, ``rate_hz``: each clip pitch-shifted, its bass cut or taken through
    another sample rate first (``clip_features``).
    """
    kept, feats = [], []
    for name, feat in _each_clip(folder, names, warn, progress, target_dbfs, semitones, highpass_hz, rate_hz):
        kept.append(name)
        feats.append(feat)
    return kept, feats


def _each_clip(folder, names, warn, progress, *variant):
    """``(name, features)`` of each readable WAV clip of ``folder`` (sorted, or ``names``), one at a time;
    an unreadable one is skipped with a warning naming it. ``variant``: ``clip_features``'s options."""
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(".wav")) if names is None else names
    for name in _bar(names, f"reading {folder}", "clip", progress):
        try:
            feat = clip_features(os.path.join(folder, name), *variant)
        except AudioFileError as exc:
            warn(f"warning: skipped {exc}")
            continue
        yield name, feat


# Clips stacked and handed to Keras at a time: a multiple of the batch size, so the batches, and so the
# numbers, are the ones a single call on every clip would make.
PREDICT_CHUNK = 64


def predict_keras(model, feats, batch_size=8, chunk=PREDICT_CHUNK):
    """(n, TY) probabilities of a Keras model_f, ``chunk`` clips at a time.

    One call on every clip at once stacked them into one more array and Keras copied that again: for
    the 1,229 clips of ``cache/real`` (2.7 GB of features) the command peaked at 12 GB and two at once
    were killed for memory on a 24-GB machine. In chunks, the copies are of ``chunk`` clips only.
    """
    if not len(feats):
        return np.zeros((0, params.TY), dtype=np.float32)
    return np.concatenate([model.predict(np.stack(feats[i:i + chunk]), batch_size=batch_size, verbose=0)[:, :, 0]
                           for i in range(0, len(feats), chunk)])


def _warn_stderr(message):
    print(message, file=sys.stderr)


def read_and_predict(model, folder, names=None, keep=False, warn=_warn_stderr, progress=False, chunk=PREDICT_CHUNK):
    """``(names, feats, probabilities)`` of the clips of ``folder`` as ``read_clips`` reads them, predicted
    ``chunk`` clips at a time as they are read, so that only one chunk's features are held at once;
    ``feats`` is ``None`` unless ``keep`` (which holds them all, for scoring other models on them). A clip
    that cannot be read is skipped with a warning naming it, on stderr (stdout may be ``--json``)."""
    kept, held, probs = [], [], []
    clips = _each_clip(folder, names, warn, progress)
    while batch := list(itertools.islice(clips, chunk)):
        kept.extend(name for name, _ in batch)
        feats = [feat for _, feat in batch]
        probs.append(predict_keras(model, feats, chunk=chunk))
        held.extend(feats if keep else ())
    out = np.concatenate(probs) if probs else np.zeros((0, params.TY), dtype=np.float32)
    return kept, (held if keep else None), out


def sweep(dev_probs, dev_truths, fa_probs=None, thresholds=THRESHOLDS, engine=None, fa2_probs=None, talk_probs=None,
          extras=(), real_probs=None):
    """Scores at each threshold: list of dicts (precision, recall, f1, fa_per_hour, fa2_per_hour,
    talk_per_hour, real_per_hour, engine_f1, extra_f1).

    ``engine``: (probabilities, truths) of the held-out-engine clips, or None; ``fa_probs``, ``fa2_probs``,
    ``talk_probs``, ``real_probs``: probabilities of the first and second hour without the word, of the
    everyday hour and of the real speech, or None;
    ``extras``: [(label, probabilities, truths)] of other labelled sets, whose F1 goes in ``extra_f1[label]``.
    """
    rows = []
    for t in thresholds:
        row = score_clips(dev_probs, dev_truths, t)
        for key, probs in (("fa_per_hour", fa_probs), ("fa2_per_hour", fa2_probs), ("talk_per_hour", talk_probs),
                           ("real_per_hour", real_probs)):
            row[key] = false_alarms_per_hour(probs, t) if probs is not None and len(probs) else None
        row["engine_f1"] = score_clips(engine[0], engine[1], t)["f1"] if engine is not None else None
        row["extra_f1"] = {label: score_clips(p, truths, t)["f1"] for label, p, truths in extras}
        rows.append(row)
    return rows


def plot_sweep(rows, path, title="threshold sweep"):
    """Precision, recall, F1 (and false alarms per hour) against threshold, saved as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    t = [r["threshold"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4))
    for key in ("precision", "recall", "f1"):
        ax.plot(t, [r[key] for r in rows], label=key, marker=".")
    if rows and rows[0].get("engine_f1") is not None:
        ax.plot(t, [r["engine_f1"] for r in rows], label="F1, held-out engine", marker=".", ls="-.")
    for label in (rows[0].get("extra_f1") or {}) if rows else ():
        ax.plot(t, [r["extra_f1"][label] for r in rows], label=f"F1, {label}", marker=".", ls=":")
    ax.set_xlabel("threshold")
    ax.set_ylabel("event score")
    ax.set_ylim(0, 1.05)
    ax.axvline(params.DEFAULT_THRESHOLD, color="grey", lw=0.8, ls=":")
    if rows and rows[0].get("fa_per_hour") is not None:
        ax2 = ax.twinx()
        ax2.plot(t, [r["fa_per_hour"] for r in rows], color="black", ls="--", label="false alarms / hour")
        if rows[0].get("fa2_per_hour") is not None:
            ax2.plot(t, [r["fa2_per_hour"] for r in rows], color="grey", ls="--", label="the same, second hour")
        if rows[0].get("talk_per_hour") is not None:
            ax2.plot(t, [r["talk_per_hour"] for r in rows], color="tab:brown", ls=":", label="everyday talk")
        if rows[0].get("real_per_hour") is not None:
            ax2.plot(t, [r["real_per_hour"] for r in rows], color="tab:red", ls="-", lw=0.8, label="real speech")
        ax2.set_ylabel("false alarms per hour")
        ax2.set_yscale("symlog")
        ax2.legend(loc="lower left")
    ax.legend(loc="lower right")
    ax.set_title(title)
    fig.tight_layout()
    try:
        checks.replace_atomically(path, lambda tmp: fig.savefig(tmp, dpi=100))
    finally:
        plt.close(fig)


def compare_scores(model, dev_feats, dev_truths, fa_feats, engine, threshold, fa2_feats=None, talk_feats=None,
                   extras=(), real_feats=None):
    """Dev scores, false alarms per hour (each hour), held-out-engine F1 and the F1 of each extra set
    (``extras``: [(label, features, truths)]) of another model on the same audio."""
    out = score_clips(list(predict_keras(model, dev_feats)), dev_truths, threshold)
    for key, feats in (("fa_per_hour", fa_feats), ("fa2_per_hour", fa2_feats), ("talk_per_hour", talk_feats),
                       ("real_per_hour", real_feats)):
        out[key] = false_alarms_per_hour(predict_keras(model, feats), threshold) if feats else None
    if engine is not None:
        e_feats, e_truths = engine
        out["engine_f1"] = score_clips(list(predict_keras(model, e_feats)), e_truths, threshold)["f1"]
    out["extra_f1"] = {label: score_clips(list(predict_keras(model, f)), truths, threshold)["f1"]
                       for label, f, truths in extras}
    return out


def variant_scores(model, sets, values, key, threshold):
    """Scores of ``model`` on labelled clip folders with every clip prepared each of several ways.

    ``sets``: [(label, folder, {name: ends ms})]. ``key`` says how the clips vary, one row per value:
    ``"level"``: the loudness each clip is set to, in dBFS, or None for the level it was recorded at
    (what a model meets when nobody normalises its input); ``"semitones"``: each clip pitch-shifted by
    that much at the same pace (``clip_features``; 0 is the clip as it is), which puts the same words
    in a lower or higher voice; ``"highpass_hz"``: the bass below that frequency cut from each clip (0: none),
    as a small microphone does; ``"rate_hz"``: each clip taken through that sample rate and back (0: none),
    as if recorded there. Returns rows {key: value, label: scores...}.
    """
    option = {"level": "target_dbfs", "semitones": "semitones", "highpass_hz": "highpass_hz", "rate_hz": "rate_hz"}[key]
    rows = []
    for value in _bar(values, f"scoring {key}s", key, len(values) > 1):
        row = {key: value}
        for label, folder, labels in sets:
            names, feats = read_clips(folder, sorted(labels), warn=lambda m: None, **{option: value})
            row[label] = score_clips(list(predict_keras(model, feats)), [labels[n] for n in names], threshold)
        rows.append(row)
    return rows


def variant_lines(rows, key, title, intro, head, name):
    """The report's table of ``variant_scores`` rows: one line per value (``name(value)``), P / R / F1 per set."""
    sets = [k for k in rows[0] if k != key]
    lines = ["", f"## {title}", "", intro, "",
             f"| {head} | " + " | ".join(f"{k} P / R / F1" for k in sets) + " |", "| --- |" + " --- |" * len(sets)]
    for r in rows:
        lines.append(f"| {name(r[key])} | " + " | ".join(
            f"{r[k]['precision']:.3f} / {r[k]['recall']:.3f} / {r[k]['f1']:.3f}" for k in sets) + " |")
    return lines


def load_readings(heldout):
    """{file: {"voice", "text", ...}} of the readings the no-word hour in ``heldout`` is mixed from.

    ``triggerword corpus --target heldout`` keeps them in ``<heldout>/.work/fa-speech/`` and their
    texts in ``.work/bank-voices.json`` (``--target everyday``: in ``.work/talk-speech/``). Raises
    FileNotFoundError or ValueError with the fix.
    """
    meta_path = os.path.join(heldout, ".work", "bank-voices.json")
    if not os.path.isfile(meta_path):
        raise FileNotFoundError(f"{meta_path}: missing; make it with `triggerword corpus --target heldout`")
    with open(meta_path) as f:
        meta = {k: v for k, v in json.load(f).items() if k.startswith((".work/fa-speech/", ".work/talk-speech/"))}
    if not meta:
        raise FileNotFoundError(f"{meta_path}: lists no readings of the no-word hour; make them with "
                                "`triggerword corpus --target heldout`")
    if any("text" not in v for v in meta.values()):
        raise ValueError(f"{meta_path}: made before the readings' texts were recorded; rerun "
                         "`triggerword corpus --target heldout` (it keeps every file and records them)")
    missing = [k for k in sorted(meta) if not os.path.isfile(os.path.join(heldout, k))]
    if missing:
        raise FileNotFoundError(f"{os.path.join(heldout, missing[0])}: listed in {meta_path} but missing "
                                f"({len(missing)} of {len(meta)} readings); rerun `triggerword corpus --target heldout`")
    return meta


def _near_miss_pattern():
    """A regular expression matching a word that starts with one of ``corpus.NEAR_MISSES``."""
    import re

    from triggerword.corpus import NEAR_MISSES
    return re.compile(r"\b(" + "|".join(map(re.escape, NEAR_MISSES)) + r")", re.IGNORECASE)


def _fa_manifest(heldout):
    """{clip file name: manifest row} of the no-word clips in ``<heldout>/manifest.csv``, or None without one."""
    import csv
    path = os.path.join(heldout, "manifest.csv")
    if not os.path.isfile(path):
        return None
    with open(path, newline="", encoding="utf-8") as f:
        return {os.path.basename(r["path"]): r for r in csv.DictReader(f) if r.get("kind") == "fa"}


def hour_by_readings(heldout, meta, fa_names, fa_probs, threshold=params.DEFAULT_THRESHOLD):
    """False alarms per hour in the no-word clips that hold a reading with a near miss, and in the others.

    ``<heldout>/manifest.csv`` names the readings mixed into each clip (its ``text`` column); a clip
    counts as near-miss speech when any of them holds a word of ``corpus.NEAR_MISSES``. Returns
    {"near": {"clips", "fa_per_hour"}, "other": {...}}, or None without a manifest.
    """
    made = _fa_manifest(heldout)
    if made is None:
        return None
    near = _near_miss_pattern()
    texts = {os.path.splitext(os.path.basename(k))[0]: v["text"] for k, v in meta.items()}
    said = {name: r["text"].split(" | ") for name, r in made.items()}
    groups = {"near": [], "other": []}
    for name, p in zip(fa_names, fa_probs):
        if name in said:
            is_near = any(near.search(texts.get(stem, "")) for stem in said[name])
            groups["near" if is_near else "other"].append(p)
    return {k: {"clips": len(v), "fa_per_hour": false_alarms_per_hour(v, threshold) if v else None}
            for k, v in groups.items()}


SCENE_PATTERN = r"synthesized (\w+) scene at (\d+) dB SNR"
CLIP_SLICES_S = ((0, 1), (1, 2), (2, 5), (5, 10))


REAL_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def real_by_speaker(names, probabilities, thresholds=REAL_THRESHOLDS):
    """False alarms per hour in the real speech, per speaker (the clip name before its last ``-``) and
    in all: [{"speaker", "hours", "per_hour": {threshold: rate}}], the speakers sorted, "all" last."""
    from triggerword.realspeech import speaker_of
    groups = {}
    for name, p in zip(names, probabilities):
        groups.setdefault(speaker_of(name), []).append(p)
    groups = dict(sorted(groups.items()))
    groups["all"] = list(probabilities)
    return [{"speaker": s, "hours": len(ps) * params.CLIP_MS / 3.6e6,
             "per_hour": {t: false_alarms_per_hour(ps, t) for t in thresholds}} for s, ps in groups.items()]


def real_lines(rows):
    """A Markdown table of ``real_by_speaker``, with a title, ending in a blank line."""
    from triggerword.realspeech import SPEAKERS
    ts = list(rows[0]["per_hour"])
    lines = ["## Real speech, by speaker", "",
             "False alarms per hour in real people's speech without the word (`triggerword realspeech`), "
             "by speaker, at several thresholds.", "",
             "| speaker | language | hours | " + " | ".join(f"at {t:.2f}" for t in ts) + " |",
             "| --- | --- | --- |" + " --- |" * len(ts)]
    for r in rows:
        lang = SPEAKERS[r["speaker"]][3] if r["speaker"] in SPEAKERS else ""
        lines.append(f"| {r['speaker']} | {lang} | {r['hours']:.2f} | "
                     + " | ".join(f"{r['per_hour'][t]:.1f}" for t in ts) + " |")
    return lines + [""]


def real_fires(folder, names, probabilities, threshold=params.DEFAULT_THRESHOLD):
    """Each real-speech clip the model fires in: [{"clip", "at_s": [times], "prompts": [(file, text)],
    "fired_in": [[(file, s into it, its length in s)] for each time]}], in clip order. The prompts (and
    their texts, where the language's package lists them) come from the folder's manifest
    (``realspeech.clip_prompts``).
    A detection at t would be a hit for a word ending from ``HIT_AFTER_S`` before t to ``HIT_BEFORE_S``
    after it, so it "fired in" each prompt whose speech (``realspeech.clip_spans``) overlaps that
    stretch, t being that many seconds into the prompt; empty where the manifest has no spans."""
    from triggerword.realspeech import clip_prompts, clip_spans
    prompts, spans = clip_prompts(folder), clip_spans(folder)
    rows = []
    for name, p in zip(names, probabilities):
        times = [round(float(t), 2) for t in detections_s(p, threshold)]
        if len(times):
            held = list(zip(prompts.get(name, []), spans.get(name, [])))
            rows.append({"clip": name, "at_s": times, "prompts": [list(x) for x in prompts.get(name, [])],
                         "fired_in": [[[file, round(t - a, 2), round(b - a, 2)] for (file, _), (a, b) in held
                                       if a < t + params.HIT_BEFORE_S and b > t - params.HIT_AFTER_S] for t in times]})
    return rows


def prompt_tallies(folder, names, fires):
    """The false alarms and the seconds of real speech that each prompt accounts for, to resample
    prompts (``grouped_rate_interval``): {speaker: {prompt name without extension: [fires, seconds]}}.
    ``fires`` is ``real_fires``'s rows (clips without a row fired nowhere). Each clip's 10 s are shared
    out among its prompts (``realspeech.clip_spans``): a prompt's share runs from its start to the next
    prompt's, the first's from the clip's start, the last's to its end; each detection goes to the
    prompt whose share holds it. Clips whose manifest has no spans are left out."""
    from triggerword.realspeech import clip_prompts, clip_spans, speaker_of
    prompts, spans, at = clip_prompts(folder), clip_spans(folder), {r["clip"]: r["at_s"] for r in fires}
    out = {}
    for name in names:
        if name not in spans:
            continue
        starts = [0.0] + [max(0.0, a) for a, _ in spans[name][1:]]
        group = out.setdefault(speaker_of(name), {})
        for (file, _), start, end in zip(prompts[name], starts, starts[1:] + [params.CLIP_MS / 1000]):
            tally = group.setdefault(os.path.splitext(file)[0], [0, 0.0])
            tally[0] += sum(start <= t < end for t in at.get(name, []))
            tally[1] += end - start
    return out


def by_message(tallies):
    """``prompt_tallies`` summed over the sets by prompt name (one message in every language):
    {name: {"prompt", "fires", "sets": {speaker: fires, where any}, "seconds"}}."""
    merged = {}
    for speaker, tally in sorted(tallies.items()):
        for stem, (n, seconds) in tally.items():
            row = merged.setdefault(stem, {"prompt": stem, "fires": 0, "sets": {}, "seconds": 0.0})
            row["fires"] += n
            row["seconds"] += seconds
            if n:
                row["sets"][speaker] = n
    return merged


def prompt_rows(tallies, least=2):
    """The prompts that account for ``least`` or more false alarms in all the sets, most first:
    [{"prompt", "fires", "sets": {speaker: fires}, "seconds"}], from ``prompt_tallies``."""
    rows = [dict(r, seconds=round(r["seconds"], 2)) for r in by_message(tallies).values() if r["fires"] >= least]
    return sorted(rows, key=lambda r: (-r["fires"], r["prompt"]))


def prompt_lines(rows, threshold, text_chars=90):
    """A Markdown table of ``prompt_rows``, with a title and the English text where it is installed."""
    from triggerword.realspeech import prompt_texts
    texts = prompt_texts("en")
    lines = ["## Real speech: the prompts it fires in most", "",
             f"The messages that hold two or more of the false alarms at {threshold:.2f}, counted over every set "
             "that reads them (a message has one file name in every language), with the time they fill in all, "
             "their rate an hour, and what the English one says where the list is installed. A message that fires in several "
             "voices and languages is what the model takes for the word, not what one speaker does.", "",
             "| prompt | false alarms | in | s in the clips | an hour | says (English) |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        sets = ", ".join(f"{s} {n}" for s, n in r["sets"].items())
        text = _short(texts.get(r["prompt"], ""), text_chars).replace("|", "/")
        rate = r["fires"] * 3600 / r["seconds"] if r["seconds"] else float("nan")
        lines.append(f"| `{r['prompt']}` | {r['fires']} | {sets} | {r['seconds']:.0f} | {rate:.0f} | {text} |")
    if not rows:
        lines.append("| (none) | | | | | |")
    return lines + [""]


def real_fire_lines(rows, threshold, text_chars=120):
    """A Markdown table of ``real_fires``, with a title, ending in a blank line."""
    lines = ["## Real speech: where it fires", "",
             f"Each clip of real speech the model fires in at {threshold:.2f}: when it fires (s from the clip's "
             f"start) and in which prompt, with what the prompt says where the language's package lists it. A "
             f"detection counts as a hit up to {params.HIT_AFTER_S:g} s after a word ends, so the word it fired "
             f"on ended within {params.HIT_AFTER_S:g} s before the time given (a fire near the end of one prompt "
             "and the start of the next names both). Clips of a set made before the manifest recorded where each "
             "prompt lies list every prompt in the clip instead.", "",
             "| clip | fires at, s | in |", "| --- | --- | --- |"]
    for r in rows:
        texts = dict((name, text) for name, text in r["prompts"])

        def said(name):
            return f"`{name}`" + (f" \"{_short(texts[name], text_chars)}\"" if texts.get(name) else "")
        if any(r.get("fired_in") or []):
            where = "; ".join(f"at {t:.1f}: " + ", ".join(
                f"{into:.1f} s into {said(name)}" if into <= length else f"{into - length:.1f} s after the end of {said(name)}"
                for name, into, length in fired) for t, fired in zip(r["at_s"], r["fired_in"]))
        else:
            where = "; ".join(said(name) for name, _ in r["prompts"])
        lines.append(f"| {r['clip']} | {', '.join(f'{t:.1f}' for t in r['at_s'])} | {where.replace('|', '/')} |")
    if not rows:
        lines.append("| (none) | | |")
    return lines + [""]


def _short(text, n):
    return text if len(text) <= n else text[:n - 1].rstrip() + "…"


def _band(value, edges, unit):
    """The label of the band of ``edges`` (ascending) that ``value`` falls in, e.g. "8-12 dB"."""
    for lo, hi in zip(edges, edges[1:]):
        if value <= hi:
            return f"{lo:g}-{hi:g}{unit}"
    return f"over {edges[-1]:g}{unit}"


def hour_by_scene(fa_dir, fa_names, fa_probs, threshold=params.DEFAULT_THRESHOLD):
    """False alarms per hour of a no-word hour, split by how its clips were made and by when they fire.

    ``<fa_dir>/../manifest.csv`` (written by ``triggerword corpus --target heldout``) records each
    clip's scene: the background kind and the speech-to-background ratio in ``source``
    ("... over a synthesized cafe scene at 14 dB SNR") and the room in ``room`` ("rt60=0.45s").
    Returns {"background": rows, "snr": rows, "room": rows, "time": rows}, each row {"value",
    "clips", "false_alarms", "hours", "fa_per_hour"}; "time" splits the detections by where in the
    clip they fall (0-1 s, 1-2 s, 2-5 s, 5-10 s), each slice's rate over the hours that slice covers.
    None when there is no manifest. Clips the manifest does not describe count under "unknown".
    """
    import re
    made = _fa_manifest(os.path.dirname(os.path.abspath(fa_dir)))
    if made is None:
        return None
    clip_h = params.CLIP_MS / 3.6e6
    groups = {"background": {}, "snr": {}, "room": {}}
    time_counts = [0] * len(CLIP_SLICES_S)
    for name, p in zip(fa_names, fa_probs):
        times = detections_s(p, threshold)
        for i, (lo, hi) in enumerate(CLIP_SLICES_S):
            time_counts[i] += sum(lo <= t < hi for t in times)
        row = made.get(name, {})
        scene = re.search(SCENE_PATTERN, row.get("source", ""))
        room = re.search(r"rt60=([\d.]+)", row.get("room", ""))
        keys = {"background": scene.group(1) if scene else "unknown",
                "snr": _band(int(scene.group(2)), (8, 12, 17, 22), " dB") if scene else "unknown",
                "room": _band(float(room.group(1)), (0.2, 0.37, 0.53, 0.7), " s") if room else "unknown"}
        for attr, key in keys.items():
            g = groups[attr].setdefault(key, [0, 0])
            g[0] += 1
            g[1] += len(times)
    out = {attr: [{"value": k, "clips": c, "false_alarms": n, "hours": c * clip_h, "fa_per_hour": n / (c * clip_h)}
                  for k, (c, n) in sorted(g.items())] for attr, g in groups.items()}
    hours = len(fa_probs) * clip_h
    out["time"] = [{"value": f"{lo}-{hi} s", "clips": len(fa_probs), "false_alarms": n,
                    "hours": hours * (hi - lo) * 1000 / params.CLIP_MS,
                    "fa_per_hour": n / (hours * (hi - lo) * 1000 / params.CLIP_MS) if hours else float("nan")}
                   for (lo, hi), n in zip(CLIP_SLICES_S, time_counts)]
    return out


def _clip_voices(folder):
    """{clip file name: "engine:voice"} of a labelled folder from ``<folder>/../manifest.csv`` (rows
    ``<folder name>/<clip>``, as `triggerword corpus` writes them); None without a manifest."""
    import csv
    folder = os.path.abspath(folder)
    path = os.path.join(os.path.dirname(folder), "manifest.csv")
    if not os.path.isfile(path):
        return None
    prefix = os.path.basename(folder) + "/"
    with open(path, newline="", encoding="utf-8") as f:
        return {r["path"][len(prefix):]: f"{r.get('engine', '')}:{r.get('voice', '')}"
                for r in csv.DictReader(f) if r.get("path", "").startswith(prefix)}


def scores_by_voice(folder, names, probabilities, truths_ms, threshold=params.DEFAULT_THRESHOLD):
    """Hits, misses and false alarms of a labelled set split by the voice that reads each clip.

    Returns [{"voice", "clips", "activates", "hits", "misses", "false_alarms", "recall"}] sorted by
    voice (clips the manifest does not name count under "unknown"), or None when ``folder`` has no
    manifest beside it. A voice the model never hears shows as recall 0 however well the others do."""
    voices = _clip_voices(folder)
    if voices is None:
        return None
    groups = {}
    for name, p, ends in zip(names, probabilities, truths_ms):
        s = score_clips([p], [ends], threshold)
        g = groups.setdefault(voices.get(name, "unknown"), [0, 0, 0, 0, 0])
        for i, v in enumerate((1, len(ends), s["hits"], s["misses"], s["false_alarms"])):
            g[i] += v
    return [{"voice": v, "clips": c, "activates": a, "hits": h, "misses": m, "false_alarms": fa,
             "recall": h / a if a else float("nan")} for v, (c, a, h, m, fa) in sorted(groups.items())]


def voice_lines(splits):
    """Plain-text lines of ``scores_by_voice`` results: [(set name, rows), ...]."""
    lines = []
    for title, rows in splits:
        lines.append(f"{title} by voice (clips, activates, hits, misses, false alarms, recall):")
        lines += [f"  {r['voice']:<28} {r['clips']:4d} {r['activates']:4d} {r['hits']:4d} {r['misses']:4d} "
                  f"{r['false_alarms']:3d}  {r['recall']:.2f}" for r in rows]
    return lines


def scene_lines(first, second=None):
    """The report's table of false alarms per hour by scene (``hour_by_scene`` of one or two hours)."""
    names = {"background": "background", "snr": "speech over background", "room": "room (RT60)",
             "time": "time in the clip"}
    head = "| split | value | first hour: clips, false alarms, per hour |" + (
        " second hour: clips, false alarms, per hour |" if second else "")
    lines = ["## False alarms by scene", "",
             "Each no-word clip was made over one kind of background, at one speech-to-background ratio, in "
             "one room (`--scenes`, from the hour's `manifest.csv`). A kind holds about 30 clips (5 minutes) "
             "per hour, so a handful of false alarms apart is noise; the time slices split the detections by "
             "where in the 10-s clip they fall, each over the time it covers.", "",
             head, "| --- | --- | --- |" + (" --- |" if second else "")]

    def cell(row):
        return f"{row['clips']}, {row['false_alarms']}, {row['fa_per_hour']:.1f}" if row else ""
    for attr, title in names.items():
        other = {r["value"]: r for r in (second or {}).get(attr, [])}
        mine = {r["value"]: r for r in first[attr]}
        for v in dict.fromkeys([*mine, *other]):
            lines.append(f"| {title} | {v} | {cell(mine.get(v))} |" + (f" {cell(other.get(v))} |" if second else ""))
    return lines + [""]


def reading_peaks(model, heldout, meta, threshold=params.DEFAULT_THRESHOLD):
    """Each reading that the no-word hour in ``heldout`` is mixed from (``meta``: ``load_readings``),
    heard on its own.

    A false alarm in a mixed scene does not say which words caused it. Here each reading is put
    alone 1 s into 10 s of silence, prepared as every clip is (-20 dBFS over the clip), and scored.
    Returns rows {"voice", "text", "peak" (highest output), "fires" (detections at ``threshold``),
    "near_miss" (the text holds a word from ``corpus.NEAR_MISSES``)}, highest peak first.
    """
    from td_utils import samples_clip_spectrogram
    near = _near_miss_pattern()
    names, feats = sorted(meta), []
    for name in _bar(names, "readings", "reading", len(names) > 1):
        x = np.zeros(params.CLIP_SAMPLES)
        speech = np.load(os.path.join(heldout, name)).astype(np.float64)[: params.CLIP_SAMPLES - params.SAMPLE_RATE]
        x[params.SAMPLE_RATE: params.SAMPLE_RATE + len(speech)] = speech * 32767
        feats.append(samples_clip_spectrogram(x).T.astype(np.float32))
    probs = predict_keras(model, feats)
    rows = [{"voice": meta[n]["voice"], "text": meta[n]["text"], "peak": round(float(p.max()), 3),
             "fires": len(detections_s(p, threshold)), "near_miss": bool(near.search(meta[n]["text"]))}
            for n, p in zip(names, probs)]
    return sorted(rows, key=lambda r: -r["peak"])


def _split_sentence(split):
    if not split or not split["near"]["clips"]:  # the everyday hour holds no near miss to split by
        return ""
    def part(g):
        fa = "no clips" if g["fa_per_hour"] is None else f"{g['fa_per_hour']:.1f} false alarms per hour"
        return f"{fa} over {g['clips']} clips ({g['clips'] * params.CLIP_MS / 3.6e6:.2f} h)"
    return (" Split by the readings in them, the hour's clips that hold a near miss give "
            f"{part(split['near'])}, the others {part(split['other'])}. A clip mixes about three readings, so "
            "this split puts most everyday speech among the near-miss clips; `python scripts/fa_onsets.py MODEL` "
            "places each false alarm in the reading it falls in.")


def reading_lines(rows, threshold, split=None):
    """The report's section on the readings heard one by one (and the hour split by them)."""
    def share(sel):
        n = len(sel)
        return f"{sum(r['fires'] > 0 for r in sel)} of {n}"
    near = [r for r in rows if r["near_miss"]]
    other = [r for r in rows if not r["near_miss"]]
    engines = sorted({r["voice"].split(":")[0] for r in rows})
    by_engine = "; by engine, " + ", ".join(f"{e} {share([r for r in rows if r['voice'].split(':')[0] == e])}"
                                            for e in engines) if len(engines) > 1 else ""
    kinds = (f"{share(near)} readings holding a near miss (a word from `corpus.NEAR_MISSES`) fire, and "
             f"{share(other)} of the others" if near else f"{share(rows)} readings fire (none holds a near miss)")
    lines = ["## Which readings fire", "",
             "The no-word hour is mixed from readings by the held-out voices. Each reading, put alone in "
             f"10 s of silence (`--readings`), and the ones the model fires on at {threshold:.2f}: "
             f"{kinds}{by_engine}." + _split_sentence(split), "",
             "| peak | fires | near miss | voice | text |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {r['peak']:.3f} | {r['fires']} | {'yes' if r['near_miss'] else ''} | {r['voice']} | {r['text']} |"
              for r in rows if r["fires"]]
    return lines + [""]


def _level_name(level):
    return "as recorded" if level is None else f"{level:g} dBFS"


def parse_level(text):
    """A --levels entry: a dBFS number from -80 to 0, or ``asis`` for the file's own level (None)."""
    if text == "asis":
        return None
    level = checks.number_or_nan(text)
    if not -80 <= level <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a level: a dBFS number from -80 to 0 such as -30, or asis")
    return level


def parse_shift(text):
    """A --shifts entry: semitones from -12 to 12 (an octave either way)."""
    shift = checks.number_or_nan(text)
    if not -12 <= shift <= 12:
        raise argparse.ArgumentTypeError(f"{text!r} is not a pitch shift: semitones from -12 to 12")
    return shift


def parse_highpass(text):
    """A --highpass entry: a cut-off in Hz under half the sample rate, or 0 for the clip as made."""
    hz = checks.number_or_nan(text)
    if not 0 <= hz < params.SAMPLE_RATE / 2:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a cut-off: Hz from 0 (none) to under {params.SAMPLE_RATE // 2}")
    return hz


def parse_rate(text):
    """A --rates entry: a sample rate in Hz from 1,000 to 44,100, or 0 for the clip as made."""
    try:
        rate = int(text)
    except ValueError:
        rate = -1
    if rate != 0 and not 1000 <= rate <= params.SAMPLE_RATE:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a sample rate: a whole number of Hz from 1000 to {params.SAMPLE_RATE}, or 0 for none")
    return rate


def run_weights(run):
    """The weights ``--compare`` scores for a run folder: the trainer's latest epoch in
    ``<run>/keras/model.weights.h5`` (ignored by git), else ``<run>/final.weights.h5`` (the copy
    committed for a run that ships or that a later run starts from, so a fresh checkout can score it
    again), else None."""
    for path in (os.path.join(run, "keras", "model.weights.h5"), os.path.join(run, "final.weights.h5")):
        if os.path.isfile(path):
            return path
    return None


def run_facts(run):
    """Recipe and epochs done of a training run folder (from recipe.json and log.csv)."""
    import csv
    facts = {"recipe": {}, "epochs": 0}
    if os.path.exists(os.path.join(run, "recipe.json")):
        with open(os.path.join(run, "recipe.json")) as f:
            facts["recipe"] = json.load(f)["recipe"]
    if os.path.exists(os.path.join(run, "log.csv")):
        with open(os.path.join(run, "log.csv")) as f:
            facts["epochs"] = len(list(csv.DictReader(f)))
    return facts


def ablation_lines(compared, base_recipe):
    """Markdown table of the compared runs, each with how its recipe differs from ``base_recipe``."""
    if not compared:
        return []
    from triggerword.train import RECIPE
    base_recipe = {**RECIPE, **base_recipe}  # entries added to the recipe later count at their defaults
    hours = _hours(compared)
    extras = list(compared[0].get("extra_f1") or {})
    lines = ["## Ablations (the latest epoch of each run, scored on the same audio)", "",
             "| run | epochs | recipe, where it differs from the shipped run's | dev P / R / F1 | "
             + _hour_heads(hours) + " | held-out engine F1 |" + "".join(f" {x} F1 |" for x in extras),
             "| --- | --- | --- | --- |" + " --- |" * (len(hours) + len(extras)) + " --- |"]
    for c in compared:
        diff = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted({**RECIPE, **c["recipe"]}.items())
                         if base_recipe.get(k) != v) or "the same"
        ef = "" if c.get("engine_f1") is None else f"{c['engine_f1']:.3f}"
        lines.append(f"| {c['label']} (`{c['run']}`) | {c['epochs']} | {diff} | {c['precision']:.3f} / "
                     f"{c['recall']:.3f} / {c['f1']:.3f} | {_fa_cells(c, hours, '.0f')} | {ef} |"
                     + "".join(f" {c['extra_f1'][x]:.3f} |" for x in extras))
    return lines + [""]


HOURS = (("fa_per_hour", "false alarms / h", "first hour"),
         ("fa2_per_hour", "false alarms / h, second hour", "second hour"),
         ("talk_per_hour", "false alarms / h, everyday talk", "everyday talk"),
         ("real_per_hour", "false alarms / h, real speech", "real speech"))  # key, column head, short name


def interval_rows(at, events, threshold, level=INTERVAL_LEVEL, tallies=None):
    """How sure the figures at ``threshold`` are: [{"measure", "value", "basis", "low", "high"}].
    ``events``: [(label, ``clip_events`` array)] of the labelled sets, whose F1 gets a bootstrap
    interval (``f1_interval``); each no-word hour of ``at``, and each real speaker, a Poisson one
    (``rate_interval``). ``tallies``: ``prompt_tallies`` of the real speech, if any; each real row
    whose clips it covers whole gets a second interval, resampling prompts (``grouped_rate_interval``,
    the prompts of one name in every set one group in "real speech"), as "prompts_low" and
    "prompts_high"."""
    groups = {f"real speech, {speaker}": list(tally.values()) for speaker, tally in (tallies or {}).items()}
    groups["real speech"] = [(r["fires"], r["seconds"]) for r in by_message(tallies or {}).values()]
    rows = []
    for label, ev in events:
        h, fa, m = (int(n) for n in np.asarray(ev).reshape(-1, 3).sum(axis=0))
        low, high = f1_interval(ev, level)
        rows.append({"measure": f"{label}: F1", "value": event_scores(h, fa, m)["f1"],
                     "basis": f"{len(ev)} clips, {h + m} words", "low": low, "high": high})
    hours = [(name, at[key], at[key.replace("per_hour", "clips")] * params.CLIP_MS / 3.6e6)
             for key, _, name in HOURS if at.get(key) is not None]
    hours += [(f"real speech, {r['speaker']}", r["per_hour"][threshold], r["hours"])
              for r in at.get("real_by_speaker", []) if r["speaker"] != "all" and threshold in r["per_hour"]]
    for name, rate, h in hours:
        count = int(round(rate * h))
        low, high = rate_interval(count, h, level)
        rows.append({"measure": f"false alarms / h, {name}", "value": rate,
                     "basis": f"{count} in {h:.2f} h", "low": low, "high": high})
        tally = groups.get(name)
        if tally and abs(sum(t for _, t in tally) - h * 3600) < 1:   # every clip of the set has its prompts' spans
            rows[-1]["prompts_low"], rows[-1]["prompts_high"] = grouped_rate_interval(tally, level)
            rows[-1]["prompts"] = len(tally)
    return rows


def interval_lines(rows, threshold, level=INTERVAL_LEVEL):
    """A Markdown table of ``interval_rows``, with a title and what the intervals assume."""
    pct = f"{100 * level:g} %"
    lines = [f"## How sure the figures at {threshold:.2f} are", "",
             f"{pct} intervals. F1: a percentile bootstrap over the clips ({BOOTSTRAP_ROUNDS} resamples, seed 0). "
             "False alarms per hour: the exact Poisson interval of the count, which takes the false alarms as "
             "independent; clips cut from one recording share its words and speaker, so read it as the least "
             "the uncertainty is. A difference between two models scored on the same clips is surer than "
             "these intervals make it look, since the clips are shared: compare such models threshold by "
             "threshold on those clips (`scripts/equal_real.py`)."]
    grouped = any("prompts_low" in r for r in rows)
    if grouped:
        lines[-1] += (" Real speech gets a second interval that resamples whole prompts instead (a percentile "
                      f"bootstrap, {BOOTSTRAP_ROUNDS} resamples, seed 0): each prompt's false alarms and the time "
                      "it fills go together, and in all the sets one message is one prompt, in whatever "
                      "language it is read, so a message that makes every voice fire counts once. Neither "
                      "is exact: where the false alarms bunch up in a few prompts the second is wider, as it "
                      "should be; where they are few, its top is too low (a resample cannot hold more fires "
                      "than the prompts that fired). Read the wider of the two.")
    lines += ["", f"| measure | value | from | {pct} interval |" + (" resampling prompts |" if grouped else ""),
              "| --- | --- | --- | --- |" + (" --- |" if grouped else "")]
    for r in rows:
        fmt = ".3f" if r["measure"].endswith("F1") else ".1f"
        line = f"| {r['measure']} | {r['value']:{fmt}} | {r['basis']} | {r['low']:{fmt}} to {r['high']:{fmt}} |"
        if grouped:
            line += (f" {r['prompts_low']:{fmt}} to {r['prompts_high']:{fmt}} ({r['prompts']} prompts) |"
                     if "prompts_low" in r else " |")
        lines.append(line)
    return lines + [""]


def _hours(rows):
    """The no-word hours a table shows: the first always, the others where any row has them."""
    return [k for k, _, _ in HOURS if k == "fa_per_hour" or any(r.get(k) is not None for r in rows)]


def _hour_heads(hours):
    return " | ".join(head for k, head, _ in HOURS if k in hours)


def _fa_cells(row, hours, fmt=".1f"):
    """The false-alarm cells of a table row, one per hour of ``hours``."""
    return " | ".join("" if row.get(k) is None else format(row[k], fmt) for k in hours)


def _extras(args):
    """[(label, folder)] of ``--extra LABEL=DIR``."""
    return [tuple(item.partition("=")[::2]) for item in getattr(args, "extra", None) or []]


def write_report(args, at, rows, names, truths):
    """A Markdown report: the model, the data, the training run, the scores and the sweep."""
    lines = ["# Evaluation of the shipped model_f", "",
             "Generated by `triggerword evaluate " + shlex.join(sys.argv[2:] if sys.argv[1:2] == ["evaluate"] else sys.argv[1:]) + "`.", "",
             f"- model: `{args.model}`", f"- dev set: `{args.dev}`: {len(names)} clips of 10 s, "
             f"{sum(len(t) for t in truths)} \"activate\"s (held-out voices speaking sentences)",
             f"- false-alarm audio: `{args.fa}`: {at.get('fa_clips', 0)} clips of 10 s without \"activate\" "
             f"({at.get('fa_clips', 0) * params.CLIP_MS / 3.6e6:.2f} h; held-out voices, near misses, every scene kind)"
             if args.fa else "- false-alarm audio: not given (no figure below)"]
    if getattr(args, "fa2", None):
        lines.append(f"- second false-alarm hour: `{args.fa2}`: {at.get('fa2_clips', 0)} clips of 10 s made the same way "
                     "with another seed, scored apart (the hours' columns below)")
    if getattr(args, "talk", None):
        lines.append(f"- everyday talk: `{args.talk}`: {at.get('talk_clips', 0)} clips of 10 s without \"activate\" "
                     "in which the held-out voices read everyday sentences with no near miss, each reading heard once")
    if getattr(args, "real", None):
        lines.append(f"- real speech: `{args.real}`: {at.get('real_clips', 0)} clips of 10 s without \"activate\" "
                     f"({at.get('real_clips', 0) * params.CLIP_MS / 3.6e6:.2f} h): real people reading telephone "
                     "prompts in several languages, from Debian packages (`triggerword realspeech`)")
    lines += [
             f"- held-out engine: `{args.engine}`: {at['engine']['clips']} clips, {at['engine']['activates']} "
             "\"activate\"s from an engine no training voice comes from" if args.engine else
             "- held-out engine: not given"]
    lines += [f"- {label}: `{folder}`: {at['extra'][label]['clips']} clips, {at['extra'][label]['activates']} "
              "\"activate\"s, scored on their own (`--extra`)" for label, folder in _extras(args)]
    lines += [""]
    export_path = os.path.join(os.path.dirname(args.model) or ".", "export.json")
    average_path = os.path.join(os.path.dirname(args.model) or ".", "average.json")
    if os.path.exists(average_path):
        with open(average_path) as f:
            av = json.load(f)
        parts = "; ".join(f"`{m}` ({share:g})" for m, share in zip(av["models"], av["shares"]))
        lines += ["## Which weights", "",
                  f"The weighted mean of {len(av['models'])} models' weights (`triggerword average`, BatchNorm "
                  f"statistics averaged with them): {parts}." + (f" {av['note']}" if av.get("note") else "")
                  + (f" Its output layer's bias was then shifted (`--calibrate {av['calibrated_threshold']}`) so that "
                     f"0.5 on these weights fires exactly where {av['calibrated_threshold']} fired on the average's "
                     "own output." if av.get("calibrated_threshold") is not None else "")
                  + " The shares and the threshold were chosen by the held-out figures below (the rule written "
                  "before they were measured is in the README), so those figures flatter it a little; the "
                  "`## Training` section, if any, is the run of the first part.", ""]
    elif os.path.exists(export_path):
        with open(export_path) as f:
            ex = json.load(f)
        lines += ["## Which weights", "",
                  f"Epoch {ex['epoch']} of the {ex['epochs_run']} run in `{ex['run']}` ({ex['examples_seen']:,} training "
                  f"examples seen" + (f" after starting from `{ex['init']}`" if ex.get("init") else "")
                  + f"), chosen by {ex['chosen_by']}. "
                  + ("The dev F1 below is therefore a little optimistic; the false-alarm hour and the held-out "
                     "engine played no part in choosing the epoch." if ex["chosen_by"].startswith("best dev")
                     else "The dev set, the false-alarm hour and the held-out engine played no part in choosing "
                     "the epoch.")
                  + (f" Its output layer's bias was then shifted (`--calibrate {ex['calibrated_threshold']}`) so that "
                     f"0.5 on these weights fires exactly where {ex['calibrated_threshold']} fired on the run's own "
                     "output; the threshold was chosen on the figures below, so they flatter it a little."
                     if ex.get("calibrated_threshold") is not None else "")
                  + (" The recipe, though, was picked among the runs of the ablation table below by these same "
                     "held-out figures, so they flatter the shipped model a little." if args.compare else ""), ""]
    if args.run:
        recipe_path, log_path = os.path.join(args.run, "recipe.json"), os.path.join(args.run, "log.csv")
        if os.path.exists(recipe_path):
            lines += ["## Training", "", "```json", open(recipe_path).read().strip(), "```", ""]
        if os.path.exists(log_path):
            import csv
            log = list(csv.DictReader(open(log_path)))
            if log:
                keys = list(log[0].keys())
                lines += ["| " + " | ".join(keys) + " |", "|" + " --- |" * len(keys)]
                lines += ["| " + " | ".join(r.get(k) or "" for k in keys) + " |" for r in log]
                total = sum(float(r["seconds"]) for r in log)
                cpu = [float(r["cpu_s"]) for r in log if r.get("cpu_s")]
                lines += ["", f"Training wall time: {total / 3600:.2f} h over {len(log)} epochs"
                          + (f"; CPU time {sum(cpu) / 3600:.2f} h over the {len(cpu)} epochs that measured it"
                             if cpu else "") + ".", ""]
    lines += ["## Scores at threshold %.2f" % args.threshold, "",
              f"- event precision {at['precision']:.3f}, recall {at['recall']:.3f}, F1 {at['f1']:.3f} "
              f"(hits {at['hits']}, false alarms {at['false_alarms']}, misses {at['misses']})"]
    if at.get("fa_per_hour") is not None:
        others = [f"{name}: {at[key]:.1f}" for key, _, name in HOURS[1:] if at.get(key) is not None]
        lines.append(f"- false alarms per hour: {at['fa_per_hour']:.1f}" + (f" ({'; '.join(others)})" if others else ""))
    if at.get("engine"):
        e = at["engine"]
        lines.append(f"- held-out engine: precision {e['precision']:.3f}, recall {e['recall']:.3f}, F1 {e['f1']:.3f} "
                     f"(hits {e['hits']}, false alarms {e['false_alarms']}, misses {e['misses']})")
    for label, e in at.get("extra", {}).items():
        lines.append(f"- {label}: precision {e['precision']:.3f}, recall {e['recall']:.3f}, F1 {e['f1']:.3f} "
                     f"(hits {e['hits']}, false alarms {e['false_alarms']}, misses {e['misses']})")
    hours = _hours([at])
    extras = list(at.get("extra", {}))
    lines += [f"- frame accuracy {at['frame_accuracy']:.3f}; a model that never fires scores "
              f"{at['all_zeros_accuracy']:.3f}, which is why accuracy is not the measure", ""]
    lines += interval_lines(at["intervals"], args.threshold) if at.get("intervals") else []
    lines += ["## Threshold sweep", "", "| threshold | precision | recall | F1 | " + _hour_heads(hours)
              + " | held-out engine F1 |" + "".join(f" {x} F1 |" for x in extras),
              "| --- | --- | --- | --- |" + " --- |" * (len(hours) + len(extras)) + " --- |"]
    for r in rows:
        lines.append(f"| {r['threshold']:.2f} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | "
                     f"{_fa_cells(r, hours)} | "
                     + ("" if r.get("engine_f1") is None else f"{r['engine_f1']:.3f}") + " |"
                     + "".join(f" {r['extra_f1'][x]:.3f} |" for x in extras))
    if at.get("levels"):
        lines += variant_lines(
            at["levels"], "level", "Loudness",
            "Every clip is set to -20 dBFS before the model hears it (as the workbook prepares clips and makes "
            "its training examples). Here each clip is set to another level instead, or left at the "
            "level it was made at (`asis`), to show how much the model depends on that step.",
            "clip level", _level_name)
    if at.get("shifts"):
        lines += variant_lines(
            at["shifts"], "semitones", "Pitch",
            "Each clip shifted in pitch at the same pace before the model hears it (stretched, then "
            "resampled, so the formants move with the pitch: the same words from a larger or smaller "
            "speaker). Lower rows are lower voices.", "shift, semitones", lambda v: f"{v:+g}")
    if at.get("highpass"):
        lines += variant_lines(
            at["highpass"], "highpass_hz", "Bass cut",
            "Each clip's bass cut below a frequency before the model hears it (a 2nd-order high-pass, 12 dB "
            "an octave), as the small microphones of laptops and phones do; 0 is the clip as made.",
            "high-pass, Hz", lambda v: f"{v:g}")
    if at.get("rates"):
        lines += variant_lines(
            at["rates"], "rate_hz", "Sample rate",
            "Each clip taken down to a lower sample rate and back up to 44,100 Hz before the model hears it, "
            "which removes everything above half that rate: how the clip would reach the model if it had "
            "been recorded at that rate (16,000 Hz for most speech recorders and headsets, 8,000 Hz for a "
            "telephone line).", "sample rate, Hz", lambda v: f"{v:g}" if v else "as made")
    if at.get("real_by_speaker"):
        lines += [""] + real_lines(at["real_by_speaker"])[:-1]
        lines += [""] + real_fire_lines(at.get("real_fires", []), args.threshold)[:-1]
        if at.get("real_prompts") is not None:
            lines += [""] + prompt_lines(at["real_prompts"], args.threshold)[:-1]
    if at.get("readings"):
        lines += [""] + reading_lines(at["readings"], args.threshold, at.get("fa_by_readings"))[:-1]
    if at.get("fa_by_scene"):
        lines += [""] + scene_lines(at["fa_by_scene"], at.get("fa2_by_scene"))[:-1]
    lines += [""] + ablation_lines(at.get("compared", []), run_facts(args.run)["recipe"] if args.run else {})
    if args.plot:
        lines += ["", f"![sweep]({os.path.relpath(args.plot, os.path.dirname(args.report) or '.')})"]
    text = "\n".join(lines) + "\n"
    checks.replace_atomically(args.report, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _shown(path, here):
    """``path`` relative to ``here`` where it lies inside it (as the report names it), else absolute."""
    return str(path.relative_to(here)) if path.is_relative_to(here) else str(path)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="triggerword evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model_f weights (.weights.h5 or .keras; default "
                        "models/model.weights.h5 of this folder, else of the project, as for detect)")
    parser.add_argument("--dev", default=None, help="folder of 10-s dev clips with labels.json (default "
                        "raw_data/dev of this folder, else of the project)")
    parser.add_argument("--fa", default=None, help="folder of 10-s clips without the word (false alarms per hour)")
    parser.add_argument("--fa2", default=None,
                        help="a second folder of clips without the word, scored apart from --fa (choose a threshold "
                             "on one hour, report it on the other)")
    parser.add_argument("--talk", default=None,
                        help="a folder of everyday talk without the word (`triggerword corpus --target everyday`: "
                             "cache/everyday/fa), scored apart from --fa and --fa2")
    parser.add_argument("--real", default=None,
                        help="a folder of real speech without the word (`triggerword realspeech`: cache/real), scored "
                             "apart and by speaker")
    parser.add_argument("--engine", default=None,
                        help="folder of held-out-engine clips with labels.json (F1 reported on its own)")
    parser.add_argument("--threshold", type=checks.threshold_arg, default=params.DEFAULT_THRESHOLD)
    parser.add_argument("--plot", default=None, help="write the threshold sweep here (.png, .pdf or .svg)")
    parser.add_argument("--force", action="store_true", help="replace --report and --plot files that already exist")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.add_argument("--report", default=None, help="write a Markdown report here (e.g. models/EVAL.md)")
    parser.add_argument("--run", default=None, help="training run folder whose recipe and log go into the report")
    parser.add_argument("--levels", nargs="+", type=parse_level, default=[], metavar="DBFS",
                        help="also score the dev set (and the held-out engine) with every clip set to each of these "
                             "loudness levels instead of -20 dBFS; asis keeps each file's own level "
                             "(e.g. --levels -40 -30 -20 -10 asis)")
    parser.add_argument("--shifts", nargs="+", type=parse_shift, default=[], metavar="SEMITONES",
                        help="also score the dev set, the held-out engine and each --extra set with every clip "
                             "shifted in pitch by each of these semitones at the same pace, formants with it "
                             "(e.g. --shifts -6 -4 -2 0 2 4: negative is a lower voice)")
    parser.add_argument("--highpass", nargs="+", type=parse_highpass, default=[], metavar="HZ",
                        help="also score the dev set, the held-out engine and each --extra set with the bass of "
                             "every clip cut below each of these frequencies, as a small microphone does "
                             "(e.g. --highpass 0 100 200 300 400; 0 is the clip as made)")
    parser.add_argument("--rates", nargs="+", type=parse_rate, default=[], metavar="HZ",
                        help="also score the dev set, the held-out engine and each --extra set with every clip "
                             "taken down to each of these sample rates and back, as if recorded there "
                             "(e.g. --rates 0 22050 16000 8000; 0 is the clip as made)")
    parser.add_argument("--readings", action="store_true",
                        help="with --fa: also score each reading the no-word hour is mixed from on its own "
                             "(<FA>/../.work/fa-speech) and list the ones the model fires on, with their text")
    parser.add_argument("--scenes", action="store_true",
                        help="with --fa: also split the false alarms of the no-word hour(s) by background kind, "
                             "speech-to-background ratio, room and time in the clip (from the hour's manifest.csv)")
    parser.add_argument("--voices", action="store_true",
                        help="also split the dev set's and the held-out engine's hits and misses by the voice "
                             "that reads each clip (from the manifest.csv beside each folder)")
    parser.add_argument("--compare", action="append", default=[], metavar="LABEL=RUN",
                        help="also score the latest epoch of this run folder (<RUN>/keras/, or the committed "
                             "<RUN>/final.weights.h5 when keras/ is not there) on the same audio, and "
                             "put it in the report's ablation table with how its recipe differs (repeatable)")
    parser.add_argument("--extra", action="append", default=[], metavar="LABEL=DIR",
                        help="also score this folder of labelled clips (labels.json), on its own, at the threshold, "
                             "in the sweep and for every --compare run (repeatable; e.g. "
                             "'flite read whole=cache/connected9/engine')")
    args = parser.parse_args(argv)
    from triggerword.stream import REPO_ROOT, default_model_path
    here = Path.cwd()
    args.model = args.model or _shown(default_model_path(), here)
    args.dev = args.dev or _shown(here / "raw_data" / "dev" if (here / "raw_data" / "dev").is_dir()
                                  else REPO_ROOT / "raw_data" / "dev", here)
    runs = [item.partition("=")[::2] for item in args.compare]  # (label, run folder)
    extra_dirs = _extras(args)
    for item, (label, folder) in zip(args.extra, extra_dirs):
        if not label or not folder:
            parser.error(f"--extra {item}: expected LABEL=DIR (a folder of clips with labels.json)")
    if len({label for label, _ in extra_dirs}) < len(extra_dirs):
        parser.error("--extra: each set needs a label of its own")
    for item, (label, run) in zip(args.compare, runs):
        if not label or not run_weights(run):
            parser.error(f"--compare {item}: expected LABEL=RUN with RUN/keras/model.weights.h5 or "
                         "RUN/final.weights.h5 (a training run folder)")
    if args.readings and not args.fa:
        parser.error("--readings needs --fa (the no-word hour whose readings it scores)")
    if args.scenes and not args.fa:
        parser.error("--scenes needs --fa (the no-word hour whose false alarms it splits)")
    from triggerword.model import ModelFileError, load_model_f
    try:
        model = load_model_f(args.model)
        labels = load_labels(args.dev)
        engine_labels = load_labels(args.engine) if args.engine else None
        extra_labels = []
        for label, folder in extra_dirs:
            if not os.path.isfile(os.path.join(folder, "labels.json")):
                raise FileNotFoundError(f"{os.path.join(folder, 'labels.json')}: no labels, so --extra {label} cannot "
                                        "be scored; labelled held-out sets are made by `triggerword corpus --target "
                                        "heldout` (add --whole for speech read whole)")
            extra_labels.append(load_labels(folder))
        for folder in (args.fa, args.fa2, args.talk, args.real):
            if folder and not os.path.isdir(folder):
                make = ("triggerword corpus --target everyday" if folder == args.talk
                        else f"triggerword realspeech --out {folder}" if folder == args.real
                        else "triggerword corpus --target heldout" + (" --seed 8 --dev 0 --out FOLDER" if folder == args.fa2 else ""))
                raise FileNotFoundError(f"{folder}: no such folder; make it with `{make}`")
        heldout = os.path.dirname(os.path.abspath(args.fa)) if args.readings else None
        readings = load_readings(heldout) if args.readings else None
        for folder in (args.fa, args.fa2) if args.scenes else ():
            manifest = os.path.join(os.path.dirname(os.path.abspath(folder)), "manifest.csv") if folder else None
            if manifest and not os.path.isfile(manifest):
                raise FileNotFoundError(f"{manifest}: missing, so --scenes cannot tell how {folder}'s clips were "
                                        "made; it is written by `triggerword corpus --target heldout`")
        for folder in (args.dev, args.engine, *(f for _, f in extra_dirs)) if args.voices else ():
            if folder and _clip_voices(folder) is None:
                raise FileNotFoundError(f"{os.path.join(os.path.dirname(os.path.abspath(folder)), 'manifest.csv')}: "
                                        f"missing, so --voices cannot tell who reads {folder}'s clips; it is "
                                        "written by `triggerword corpus`")
        inputs = [args.model] + [os.path.join(f, "labels.json") for f in (args.dev, args.engine, *(f for _, f in extra_dirs)) if f]
        for option, path, suffixes in (("--report", args.report, (".md",)), ("--plot", args.plot, (".png", ".pdf", ".svg"))):
            problem = path is not None and checks.check_new_file(path, option, suffixes, inputs, args.force)
            if problem:
                raise ValueError(problem)
    except (ModelFileError, FileNotFoundError, ValueError) as exc:
        print(f"triggerword evaluate: {exc}", file=sys.stderr)
        return 1
    start = time.time()
    keep = bool(runs)  # features are held only to score the --compare runs on them
    names, feats, dev_probs = read_and_predict(model, args.dev, sorted(labels), keep, progress=True)
    truths = [labels[n] for n in names]
    if not names:
        print(f"triggerword evaluate: {args.dev}: no clip of its labels.json could be read; nothing to score",
              file=sys.stderr)
        return 1
    fa_probs = fa2_probs = fa_feats = fa2_feats = talk_probs = talk_feats = real_probs = real_feats = None
    if args.fa:
        fa_names, fa_feats, fa_probs = read_and_predict(model, args.fa, None, keep, progress=True)
    if args.fa2:
        fa2_names, fa2_feats, fa2_probs = read_and_predict(model, args.fa2, None, keep, progress=True)
    if args.talk:
        _, talk_feats, talk_probs = read_and_predict(model, args.talk, None, keep, progress=True)
    if args.real:
        real_names, real_feats, real_probs = read_and_predict(model, args.real, None, keep, progress=True)
    engine = engine_inputs = None
    if engine_labels is not None:
        e_names, e_feats, e_probs = read_and_predict(model, args.engine, sorted(engine_labels), keep, progress=True)
        engine_inputs = (e_feats, [engine_labels[n] for n in e_names])
        engine = (e_probs, engine_inputs[1])
    extras = []  # (label, folder, clip names, features or None, truths, probabilities)
    for (label, folder), lab in zip(extra_dirs, extra_labels):
        x_names, x_feats, x_probs = read_and_predict(model, folder, sorted(lab), keep, progress=True)
        extras.append((label, folder, x_names, x_feats, [lab[n] for n in x_names], x_probs))
    read = [(args.fa, fa_probs), (args.fa2, fa2_probs), (args.talk, talk_probs), (args.real, real_probs),
            (args.engine, None if engine is None else engine[0])] + [(x[1], x[5]) for x in extras]
    for folder, probs in read:
        if probs is not None and not len(probs):
            print(f"triggerword evaluate: {folder}: no clip in it could be read; nothing to score", file=sys.stderr)
            return 1
    rows = sweep(dev_probs, truths, fa_probs, engine=engine, fa2_probs=fa2_probs, talk_probs=talk_probs,
                 extras=[(x[0], x[5], x[4]) for x in extras], real_probs=real_probs)
    events = [("dev set", clip_events(dev_probs, truths, args.threshold))]   # each clip's counts, for the intervals
    events += [] if engine is None else [("held-out engine", clip_events(engine[0], engine[1], args.threshold))]
    events += [(label, clip_events(x_probs, x_truths, args.threshold)) for label, _, _, _, x_truths, x_probs in extras]
    at = score_events(events[0][1], args.threshold)
    at["fa_per_hour"] = false_alarms_per_hour(fa_probs, args.threshold) if fa_probs is not None else None
    at["fa_clips"] = 0 if fa_probs is None else len(fa_probs)
    at["fa2_per_hour"] = false_alarms_per_hour(fa2_probs, args.threshold) if fa2_probs is not None else None
    at["fa2_clips"] = 0 if fa2_probs is None else len(fa2_probs)
    at["talk_per_hour"] = false_alarms_per_hour(talk_probs, args.threshold) if talk_probs is not None else None
    at["talk_clips"] = 0 if talk_probs is None else len(talk_probs)
    at["real_per_hour"] = false_alarms_per_hour(real_probs, args.threshold) if real_probs is not None else None
    at["real_clips"] = 0 if real_probs is None else len(real_probs)
    if real_probs is not None:
        at["real_by_speaker"] = real_by_speaker(real_names, real_probs)
        at["real_fires"] = real_fires(args.real, real_names, real_probs, args.threshold)
    def scored(ev, truths_ms):
        return dict(score_events(ev, args.threshold), clips=len(truths_ms), activates=sum(len(t) for t in truths_ms))
    if engine is not None:
        at["engine"] = scored(events[1][1], engine[1])
    at["extra"] = {label: scored(ev, x[4]) for (label, ev), x in zip(events[len(events) - len(extras):], extras)}
    tallies = prompt_tallies(args.real, real_names, at["real_fires"]) if real_probs is not None else None
    at["intervals"] = interval_rows(at, events, args.threshold, tallies=tallies)
    if tallies:
        at["real_prompts"] = prompt_rows(tallies)
    at["frame_accuracy"] = frame_accuracy(dev_probs, [labels_for(t) for t in truths], args.threshold)
    at["all_zeros_accuracy"] = frame_accuracy(np.zeros_like(dev_probs), [labels_for(t) for t in truths])
    at["seconds"] = round(time.time() - start, 1)
    compared = []
    for label, run in _bar(runs, "scoring --compare runs", "model", len(runs) > 1):
        other = load_model_f(run_weights(run))
        scores = compare_scores(other, feats, truths, fa_feats, engine_inputs, args.threshold, fa2_feats, talk_feats,
                                [(x[0], x[3], x[4]) for x in extras], real_feats)
        scores.update(label=label, run=run, **run_facts(run))
        compared.append(scores)
    at["compared"] = compared
    if args.readings:
        at["readings"] = reading_peaks(model, heldout, readings, args.threshold)
        at["fa_by_readings"] = hour_by_readings(heldout, readings, fa_names, fa_probs, args.threshold)
    if args.scenes:
        at["fa_by_scene"] = hour_by_scene(args.fa, fa_names, fa_probs, args.threshold)
        if args.fa2:
            at["fa2_by_scene"] = hour_by_scene(args.fa2, fa2_names, fa2_probs, args.threshold)
    if args.voices:
        at["dev_by_voice"] = scores_by_voice(args.dev, names, dev_probs, truths, args.threshold)
        if engine is not None:
            at["engine_by_voice"] = scores_by_voice(args.engine, e_names, engine[0], engine[1], args.threshold)
        at["extra_by_voice"] = {label: scores_by_voice(folder, x_names, x_probs, x_truths, args.threshold)
                                for label, folder, x_names, _, x_truths, x_probs in extras}
    sets = [("dev", args.dev, labels)] + ([("engine", args.engine, engine_labels)] if engine_labels else [])
    sets += [(label, folder, lab) for (label, folder), lab in zip(extra_dirs, extra_labels)]
    for key, values, option in (("levels", args.levels, "level"), ("shifts", args.shifts, "semitones"),
                                ("highpass", args.highpass, "highpass_hz"), ("rates", args.rates, "rate_hz")):
        if values:
            at[key] = variant_scores(model, sets, values, option, args.threshold)
    if args.plot:
        plot_sweep(rows, args.plot, title=f"{os.path.basename(args.model)} on {args.dev}")
    if args.report:
        write_report(args, at, rows, names, truths)
    if args.json:
        print(json.dumps({"at_threshold": at, "sweep": rows}, indent=1))
    else:
        print(f"dev clips {len(names)}, activates {sum(len(t) for t in truths)}, threshold {args.threshold}")
        print(f"precision {at['precision']:.3f}  recall {at['recall']:.3f}  F1 {at['f1']:.3f}  "
              f"(hits {at['hits']}, false alarms {at['false_alarms']}, misses {at['misses']})")
        if at["fa_per_hour"] is not None:
            print(f"false alarms per hour {at['fa_per_hour']:.1f} (over {at['fa_clips'] * params.CLIP_MS / 3.6e6:.2f} h)")
        if at["fa2_per_hour"] is not None:
            print(f"false alarms per hour, second hour {at['fa2_per_hour']:.1f} "
                  f"(over {at['fa2_clips'] * params.CLIP_MS / 3.6e6:.2f} h)")
        if at["talk_per_hour"] is not None:
            print(f"false alarms per hour of everyday talk {at['talk_per_hour']:.1f} "
                  f"(over {at['talk_clips'] * params.CLIP_MS / 3.6e6:.2f} h)")
        if at["real_per_hour"] is not None:
            print(f"false alarms per hour of real speech {at['real_per_hour']:.1f} "
                  f"(over {at['real_clips'] * params.CLIP_MS / 3.6e6:.2f} h)")
            print("\n".join(real_lines(at["real_by_speaker"])[2:-1]))
        if at.get("engine"):
            e = at["engine"]
            print(f"held-out engine: precision {e['precision']:.3f}  recall {e['recall']:.3f}  F1 {e['f1']:.3f} "
                  f"({e['clips']} clips, {e['activates']} activates)")
        for label, e in at["extra"].items():
            print(f"{label}: precision {e['precision']:.3f}  recall {e['recall']:.3f}  F1 {e['f1']:.3f} "
                  f"({e['clips']} clips, {e['activates']} activates)")
        print(f"frame accuracy {at['frame_accuracy']:.3f} (never firing would score {at['all_zeros_accuracy']:.3f})")
        print(f"how sure ({100 * INTERVAL_LEVEL:g} % intervals; the report says how they are made):")
        print("\n".join(interval_lines(at["intervals"], args.threshold)[4:-1]))
        for r in at.get("levels", []):
            print(f"clip level {_level_name(r['level'])}: " + ", ".join(
                f"{k} F1 {v['f1']:.3f}" for k, v in r.items() if k != "level"))
        for key, option, name in (("shifts", "semitones", "pitch shift {:+g} semitones"),
                                  ("highpass", "highpass_hz", "bass cut below {:g} Hz"),
                                  ("rates", "rate_hz", "recorded at {:g} Hz")):
            for r in at.get(key, []):
                print((name.format(r[option]) if r[option] or key != "rates" else "as made") + ": " + ", ".join(
                    f"{k} recall {v['recall']:.3f} F1 {v['f1']:.3f}" for k, v in r.items() if k != option))
        splits = [(title, at[key]) for key, title in (("dev_by_voice", "dev"), ("engine_by_voice", "held-out engine"))
                  if at.get(key)] + list(at.get("extra_by_voice", {}).items())
        if splits:
            print("\n".join(voice_lines(splits)))
        if at.get("readings"):
            print("\n".join(reading_lines(at["readings"], args.threshold, at.get("fa_by_readings"))[2:-1]))
        if at.get("fa_by_scene"):
            print("\n".join(scene_lines(at["fa_by_scene"], at.get("fa2_by_scene"))[2:-1]))
        for c in compared:
            hours = [f"{name} {c[key]:.1f}" for key, _, name in HOURS if c.get(key) is not None]
            fa = f", false alarms per hour: {', '.join(hours)}" if hours else ""
            ef = "" if c.get("engine_f1") is None else f", held-out engine F1 {c['engine_f1']:.3f}"
            ef += "".join(f", {x} F1 {v:.3f}" for x, v in c["extra_f1"].items())
            print(f"{c['label']} ({c['run']}, {c['epochs']} epochs): precision {c['precision']:.3f}  "
                  f"recall {c['recall']:.3f}  F1 {c['f1']:.3f}{fa}{ef}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
