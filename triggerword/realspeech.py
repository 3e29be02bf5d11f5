"""Real speech without the word, from recordings that ship in Debian packages.

Every other no-word set this project scores is synthetic. The telephony prompts of Asterisk are
recordings of real people (studio voice talents), installed by Debian packages, so they run offline
and nothing of them is kept in this repository. ``triggerword realspeech`` joins each speaker's
prompts end to end, in file-name order with a pause of 0.15 to 0.6 s (seeded) between them, and cuts
the result into 10-s clips named ``<speaker>-NNNN.wav`` (44,100 Hz, 16-bit; the last, shorter piece
is dropped), with a ``manifest.csv`` naming the prompts in each clip and where each one's speech lies
in it (``spans_s``, start:end in seconds). ``triggerword evaluate --real
DIR`` counts the false alarms in them, per hour and per speaker.

    triggerword realspeech [--out cache/real] [--speakers en-allison ...] [--sounds /usr/share/asterisk/sounds]
    triggerword realspeech --stamps [--out cache/stamps]    # real speech to train on (``build_stamps``)

Prompts whose file name holds "activ" ("activated", "de-activated", "vm-tempgreetactive", in every
language) are left out, so no clip holds the English word. The word's relatives in other languages
still sit inside prompts named otherwise ("activar o desactivar", "attivare", "activer"), in 92 of
the 1,229 default clips (``scripts/real_relatives.py`` counts them and the false alarms there). What the set is and is
not: seven people in eight sets (Allison reads both English and Spanish; by the packages' folder
names five women and one man, and one Colombian voice the package does not name), reading short
system messages in a studio, band-limited by telephone codecs (G.722: nothing above 7 kHz; 8-kHz WAV
and GSM: nothing above 4 kHz). Only one speaker reads English. It measures how often the model fires
on real voices speaking, not in real rooms or through real microphones, and says nothing about recall.
"""
import argparse
import csv
import gzip
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from math import gcd
from pathlib import Path

import numpy as np

from triggerword import params
from triggerword.checks import file_above

SOUNDS = "/usr/share/asterisk/sounds"
SKIP = "activ"   # prompts whose file name holds this are left out
GAP_S = (0.15, 0.6)
MANIFEST = "manifest.csv"

# id: (folder under SOUNDS, file extension read, Debian package, language, voice)
SPEAKERS = {
    "en-allison": ("en_US_f_Allison", "g722", "asterisk-core-sounds-en-g722", "English (US)", "Allison, female"),
    "es-allison": ("es_MX_f_Allison", "g722", "asterisk-core-sounds-es-g722", "Spanish (Mexico)",
                   "Allison, female (the same speaker as en-allison)"),
    "fr-june": ("fr_CA_f_June", "g722", "asterisk-core-sounds-fr-g722", "French (Canada)", "June, female"),
    "it-carlo": ("it_IT_m_Carlo", "g722", "asterisk-core-sounds-it-g722", "Italian", "Carlo, male"),
    "ru-ivrvoice": ("ru_RU_f_IvrvoiceRU", "g722", "asterisk-core-sounds-ru-g722", "Russian", "female"),
    "it-menardi": ("it_IT_f_Menardi", "wav", "asterisk-prompt-it-menardi-wav", "Italian", "Menardi, female"),
    "es-co": ("es", "gsm", "asterisk-prompt-es-co", "Spanish (Colombia)", "not named"),
    "fr-armelle": ("fr", "gsm", "asterisk-prompt-fr-armelle", "French", "Armelle Desjardins, female"),
    # not by default: the prompts of en-allison again, as 8-kHz WAVs (the same speech, telephone band)
    "en-allison-8k": ("en_US_f_Allison", "wav", "asterisk-core-sounds-en-wav", "English (US), 8 kHz",
                      "Allison, female"),
}
DEFAULT = [s for s in SPEAKERS if s != "en-allison-8k"]


class RealSpeechError(Exception):
    """A problem with the prompts or the output folder, said in one line."""


def prompt_files(sounds, speaker):
    """The prompt files of ``speaker`` under ``sounds`` (sorted by path), without those whose name holds "activ"."""
    folder, ext, *_ = SPEAKERS[speaker]
    root = Path(sounds) / folder
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob(f"*.{ext}") if p.is_file() and SKIP not in p.stem.lower())


def decode(path):
    """Samples (float, mono) and rate of one prompt: WAV read directly, G.722 and GSM through ffmpeg."""
    import soundfile
    from td_utils import AudioFileError
    path = Path(path)
    try:
        if path.suffix == ".wav":
            x, rate = soundfile.read(path, dtype="float64", always_2d=True)
        else:
            fmt = ["-f", "g722"] if path.suffix == ".g722" else ["-f", "gsm", "-ar", "8000"]
            run = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", *fmt, "-i", str(path), "-f", "wav", "-"],
                                 capture_output=True, check=False)
            if run.returncode or not run.stdout:
                raise AudioFileError(f"{path}: ffmpeg could not decode it ({run.stderr.decode(errors='replace').strip()})")
            x, rate = soundfile.read(io.BytesIO(run.stdout), dtype="float64", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise AudioFileError(f"{path}: unreadable audio ({exc})") from None
    return x[:, 0], rate


def to_rate(x, rate):
    """``x`` resampled from ``rate`` to the project's 44,100 Hz."""
    if rate == params.SAMPLE_RATE:
        return x
    from scipy.signal import resample_poly
    g = gcd(int(rate), params.SAMPLE_RATE)
    return resample_poly(x, params.SAMPLE_RATE // g, int(rate) // g)


def join_clips(pieces):
    """``pieces`` [(name, samples at 44,100 Hz, pause in s after it)] joined end to end and cut into whole
    10-s clips, the last, shorter piece dropped: ``(joined samples, clips)``, each clip ``(first sample,
    [(name, start s, end s, share end s)])`` of the pieces it holds, in seconds from the clip's start
    (below 0 or past 10 where a piece runs over its edge). A piece's share runs to the next one's
    start (the last's to the end), so the shares tile the clips; a clip holds each piece whose share
    it overlaps."""
    parts, owners, at = [], [], 0   # owners: (start sample, end sample, name) of each piece
    for name, x, pause in pieces:
        owners.append((at, at + len(x), name))
        parts += [x, np.zeros(int(round(pause * params.SAMPLE_RATE)))]
        at += len(x) + len(parts[-1])
    y = np.concatenate(parts) if parts else np.zeros(0)
    ends = [s for s, _, _ in owners[1:]] + [len(y)]
    sec, clips = params.SAMPLE_RATE, []
    for lo in range(0, len(y) - params.CLIP_SAMPLES + 1, params.CLIP_SAMPLES):
        hi = lo + params.CLIP_SAMPLES
        clips.append((lo, [(name, (s - lo) / sec, (e - lo) / sec, (share - lo) / sec)
                           for (s, e, name), share in zip(owners, ends) if s < hi and share > lo]))
    return y, clips


def speaker_clips(sounds, speaker, seed=0, warn=print, progress=False):
    """The 10-s clips of one speaker: [(int16 samples, [prompt file names], [(start s, end s) of each
    prompt's speech, from the clip's start: below 0 or past 10 where it runs over the clip's edge])]."""
    from td_utils import AudioFileError
    files = prompt_files(sounds, speaker)
    rng = np.random.default_rng([seed, zlib.crc32(speaker.encode())])
    gaps = rng.uniform(*GAP_S, size=len(files))
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        decoded = pool.map(lambda p: _try_decode(p, AudioFileError), files)
        if progress:
            from tqdm import tqdm
            decoded = tqdm(decoded, total=len(files), desc=speaker, unit="prompt", leave=False)
        pieces = []
        for path, gap, got in zip(files, gaps, decoded):
            if isinstance(got, Exception):
                warn(f"warning: skipped {got}")
                continue
            pieces.append((path.name, to_rate(*got), gap))
    if not pieces:
        return []
    y, clips = join_clips(pieces)
    peak = np.max(np.abs(y)) or 1.0
    y = np.round(y / max(peak, 1.0) * 32767).astype(np.int16)   # only scaled down where a decoder overshot 1.0
    return [(y[lo:lo + params.CLIP_SAMPLES], [name for name, *_ in held], [(s, e) for _, s, e, _ in held])
            for lo, held in clips]


def _try_decode(path, error):
    try:
        return decode(path)
    except error as exc:
        return exc


CLIP_COLUMNS = ["clip", "speaker", "language", "package", "prompts", "spans_s"]   # manifest of the clips
STAMP_COLUMNS = ["clip", "language", "package", "prompts"]                       # manifest of --stamps


def _made_here(out):
    """True when every entry of the folder ``out`` is one this command writes: the clips' manifest
    (its own columns, not the corpus generator's) and ``<speaker>-NNNN.wav`` clips, or the stamps'
    manifest with ``sentences/`` holding only ``stamps-NNNNN.wav``, ``labels.json`` and a manifest."""
    def header(path):
        try:
            with open(path, newline="", encoding="utf-8") as f:
                return next(csv.reader(f), None)
        except (OSError, UnicodeDecodeError):
            return None
    names = {p.name for p in out.iterdir()}
    if header(out / MANIFEST) == CLIP_COLUMNS:
        return all(n == MANIFEST or (re.fullmatch(r".+-\d{4}\.wav", n) and speaker_of(n) in SPEAKERS
                                     and (out / n).is_file()) for n in names)
    if header(out / MANIFEST) == STAMP_COLUMNS and names <= {MANIFEST, "sentences"} and (out / "sentences").is_dir():
        return all(n in (MANIFEST, "labels.json") or re.fullmatch(r"stamps-\d{5}\.wav", n)
                   for n in (p.name for p in (out / "sentences").iterdir()))
    return False


def check_out(out):
    """None when ``out`` is absent, empty, or a folder this command made (``_made_here``: then it is
    replaced); else what is wrong, in one line. The folder is checked file by file, since a
    ``manifest.csv`` alone also marks the corpus generator's folders."""
    out = Path(out)
    if not out.name or out.resolve() == Path.cwd().resolve():
        return f"{out}: give a folder of its own to write into, not the current folder"
    if not out.exists():
        blocker = file_above(out)
        return f"{out}: {blocker} is a file, not a folder; choose another --out" if blocker else None
    if not out.is_dir():
        return f"{out}: exists and is not a folder; choose another --out"
    if any(out.iterdir()) and not _made_here(out):
        return (f"{out}: a folder with files that `triggerword realspeech` did not make; "
                "choose another --out, nothing was written")
    return None


def _build_into(out, write, nothing_made):
    """``write(work)`` into a fresh folder beside ``out`` (never one that was there), then move it to
    ``out``, replacing a folder this command made (``check_out``). Returns what ``write`` returns, a
    count per speaker or language; when all are 0, ``out`` is left as it was and RealSpeechError
    says ``nothing_made``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent))
    try:
        counts = write(work)
        if not sum(counts.values()):
            raise RealSpeechError(f"{nothing_made}; {out} is left as it was")
        if out.exists():
            shutil.rmtree(out)   # check_out: empty, or made by this command
        os.replace(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return counts


def build(out, speakers=None, sounds=SOUNDS, seed=0, warn=print, progress=False):
    """Write every installed speaker's clips into ``out`` (see the module doc); returns
    {speaker: number of clips}. Speakers whose package is missing are warned about by name; none at
    all raises ``RealSpeechError`` with the ``apt-get`` line that installs them."""
    out = Path(out)
    speakers = list(speakers or DEFAULT)
    unknown = [s for s in speakers if s not in SPEAKERS]
    if unknown:
        raise RealSpeechError(f"unknown speaker(s) {', '.join(unknown)}; known: {', '.join(SPEAKERS)}")
    problem = check_out(out)
    if problem:
        raise RealSpeechError(problem)
    found = {s: prompt_files(sounds, s) for s in speakers}
    missing = [s for s in speakers if not found[s]]
    install = "apt-get install " + " ".join(SPEAKERS[s][2] for s in missing)
    if len(missing) == len(speakers):
        raise RealSpeechError(f"{sounds}: no Asterisk prompts of {', '.join(missing)}; install them: {install}")
    if missing:
        warn(f"warning: {sounds}: no prompts of {', '.join(missing)} (left out; `{install}` adds them)")
    return _build_into(out, lambda work: _write_clips(work, speakers, missing, sounds, seed, warn, progress),
                       f"{sounds}: no clip could be made of {', '.join(s for s in speakers if s not in missing)} "
                       "(every prompt unreadable: see the warnings)")


def _write_clips(work, speakers, missing, sounds, seed, warn, progress):
    import soundfile
    rows, counts = [], {}
    for s in speakers:
        if s in missing:
            continue
        clips = speaker_clips(sounds, s, seed, warn, progress)
        counts[s] = len(clips)
        for i, (x, names, spans) in enumerate(clips):
            name = f"{s}-{i:04d}.wav"
            soundfile.write(work / name, x, params.SAMPLE_RATE, subtype="PCM_16")
            rows.append({"clip": name, "speaker": s, "language": SPEAKERS[s][3], "package": SPEAKERS[s][2],
                         "prompts": " ".join(names), "spans_s": " ".join(f"{a:.2f}:{b:.2f}" for a, b in spans)})
    with open(work / MANIFEST, "w", newline="") as f:
        w = csv.DictWriter(f, CLIP_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return counts


# Real speech to train on: the spoken descriptions of Tux Paint's stamps (Debian's
# tuxpaint-stamps-default, installed by scripts/setup.sh), read aloud by volunteers in a dozen languages
# (the package's changelog names them: "Descriptive sounds by ..."), recorded at home at 44.1 kHz.
# None of these people is in the Asterisk sets above, so those stay a measure of voices never trained on.
STAMPS = "/usr/share/tuxpaint/stamps"
STAMPS_PACKAGE = "tuxpaint-stamps-default"
STAMP_GROUP = 3          # descriptions joined into one training sentence (about 4 s)
STAMP_GAP_S = (0.1, 0.4)
STAMP_DBFS = -20.0       # each joined sentence set to this RMS level, as the synthetic sentences are


def stamp_language(path):
    """The language code of a stamp description file (``cat_desc_fr.ogg`` → ``fr``; ``cat_desc.ogg`` → ``en``)."""
    stem = Path(path).name.split(".ogg")[0]   # one file is named ``..._desc_da.ogg.ogg``
    _, _, lang = stem.rpartition("_desc")
    return lang.lstrip("_") or "en"


def stamp_files(stamps=STAMPS):
    """Every spoken stamp description under ``stamps``, sorted by path, without any whose name holds "activ"."""
    root = Path(stamps)
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*_desc*.ogg") if p.is_file() and SKIP not in p.name.lower())


def build_stamps(out, stamps=STAMPS, seed=0, warn=print, progress=False):
    """Write Tux Paint's spoken descriptions into ``out`` as a corpus folder of sentences without the word:
    ``<out>/sentences/stamps-NNNNN.wav`` (44,100 Hz, 16-bit), each ``STAMP_GROUP`` descriptions of one
    language in file order, joined with seeded pauses of ``STAMP_GAP_S`` and set to ``STAMP_DBFS``;
    ``labels.json`` (every file: no word) and ``manifest.csv`` (language and the files of each). The
    trainer adds it with ``--set 'extra_corpora=["<out>"]' --set 'extra_parts=["without"]'``.
    Returns {language: sentences}."""
    out = Path(out)
    problem = check_out(out)
    if problem:
        raise RealSpeechError(problem)
    files = stamp_files(stamps)
    if not files:
        raise RealSpeechError(f"{stamps}: no spoken stamp descriptions (*_desc*.ogg); install them: "
                              f"apt-get install --no-install-recommends {STAMPS_PACKAGE}")
    by_lang = {}
    for f in files:
        by_lang.setdefault(stamp_language(f), []).append(f)
    return _build_into(out, lambda work: _write_stamps(work, by_lang, len(files), stamps, seed, warn, progress),
                       f"{stamps}: no stamp description could be read (see the warnings)")


def _write_stamps(work, by_lang, n_files, stamps, seed, warn, progress):
    import json
    import soundfile
    from td_utils import AudioFileError
    (work / "sentences").mkdir()
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=n_files, desc="stamps", unit="file", leave=False)
    rng = np.random.default_rng([seed, zlib.crc32(b"stamps")])
    rows, labels, counts, n = [], {}, {}, 0
    for lang in sorted(by_lang):
        group = by_lang[lang]
        for at in range(0, len(group), STAMP_GROUP):
            pieces, names = [], []
            for path in group[at:at + STAMP_GROUP]:
                if bar is not None:
                    bar.update(1)
                try:   # not ``decode``: it keeps channel 0, and many stereo descriptions are silent there
                    x, rate = soundfile.read(path, dtype="float64", always_2d=True)
                except (RuntimeError, soundfile.LibsndfileError) as exc:
                    warn(f"warning: skipped {AudioFileError(f'{path}: unreadable audio ({exc})')}")
                    continue
                if not len(x) or not np.any(x):
                    warn(f"warning: skipped {path}: silent")
                    continue
                pieces += [to_rate(x.mean(axis=1), rate), np.zeros(int(rng.uniform(*STAMP_GAP_S) * params.SAMPLE_RATE))]
                names.append(str(path.relative_to(stamps)))
            if not pieces:
                continue
            y = np.concatenate(pieces[:-1])
            y = y * 10 ** (STAMP_DBFS / 20) / np.sqrt(np.mean(y ** 2))
            y = y / max(1.0, np.max(np.abs(y)) / 0.99)   # never clipped: quieter instead
            n += 1
            name = f"stamps-{n:05d}.wav"
            soundfile.write(work / "sentences" / name, np.round(y * 32767).astype(np.int16), params.SAMPLE_RATE,
                            subtype="PCM_16")
            labels[name] = []
            rows.append({"clip": name, "language": lang, "package": STAMPS_PACKAGE, "prompts": " ".join(names)})
            counts[lang] = counts.get(lang, 0) + 1
    if bar is not None:
        bar.close()
    with open(work / "sentences" / "labels.json", "w") as f:
        json.dump(labels, f, indent=0, sort_keys=True)
    for folder in (work, work / "sentences"):   # the root's manifest marks the folder as this command's
        with open(folder / MANIFEST, "w", newline="") as f:
            w = csv.DictWriter(f, STAMP_COLUMNS)
            w.writeheader()
            w.writerows(rows)
    return counts


def speaker_of(clip_name):
    """The speaker id of a clip file name (``en-allison-0003.wav`` → ``en-allison``, ``en-allison-8k-0003.wav``
    → ``en-allison-8k``)."""
    return os.path.basename(clip_name).rsplit("-", 1)[0]


# The texts of the prompts, as the Debian packages of each language ship them (asterisk-core-sounds-en, -es,
# -fr, -it, -ru: documentation only): "name: text" lines. The -es and -fr packages conflict with the
# prompt packages of es-co and fr-armelle, so scripts/setup.sh does not install them but unpacks each
# list into the asset folder (``ASSET_TEXTS``); a list installed by the package itself (``TEXTS``) also counts.
TEXTS = "/usr/share/doc/asterisk-core-sounds-{lang}/core-sounds-{lang}.txt.gz"
ASSET_TEXTS = "asterisk-texts/core-sounds-{lang}.txt.gz"


def texts_file(lang):
    """Where the prompt list of language ``lang`` is: the asset folder's copy, else the package's own."""
    from triggerword.tts import asset_dir
    unpacked = asset_dir() / ASSET_TEXTS.format(lang=lang)
    return str(unpacked) if unpacked.exists() else TEXTS.format(lang=lang)


def prompt_texts(lang, path=None):
    """{prompt name without extension: what it says} from the list the Debian package of language code
    ``lang`` ships (``en``, ``es``, ``fr``, ``it``, ``ru``: the speaker id before its first ``-``); {} where none is installed."""
    try:
        with gzip.open(path or texts_file(lang), "rt", encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except (OSError, EOFError):
        return {}
    texts = {}
    for line in lines:
        name, sep, text = line.partition(":")
        name = name.strip().lstrip("\ufeff")
        if sep and name and not name.startswith(";") and " " not in name:
            texts[name] = text.strip()
    return texts


def clip_spans(folder):
    """{clip file name: [(start s, end s)] of each prompt's speech, in ``clip_prompts``'s order} from
    ``folder``'s manifest; clips of a manifest written before it recorded them (no ``spans_s``) are left out."""
    try:
        with open(os.path.join(folder, MANIFEST), newline="") as f:
            rows = list(csv.DictReader(f))
        return {row["clip"]: [tuple(float(t) for t in span.split(":")) for span in row["spans_s"].split()]
                for row in rows if row.get("spans_s") and len(row["spans_s"].split()) == len(row["prompts"].split())}
    except (OSError, ValueError, KeyError, AttributeError, csv.Error):
        return {}


def clip_prompts(folder):
    """{clip file name: [(prompt file, its text or "")]} from ``folder``'s manifest ({} without one)."""
    try:
        with open(os.path.join(folder, MANIFEST), newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, ValueError, csv.Error):   # no manifest, or one that is not UTF-8 CSV: no prompts to show
        return {}
    texts, out = {}, {}
    for row in rows:
        speaker = row.get("speaker") or ""
        if speaker not in texts:   # the list is the core sounds' own: another package's reader may word it otherwise
            lang = speaker.split("-")[0]
            core = SPEAKERS.get(speaker, ("", "", ""))[2].startswith(f"asterisk-core-sounds-{lang}")
            texts[speaker] = prompt_texts(lang) if core else {}
        out[row.get("clip", "")] = [(p, texts[speaker].get(os.path.splitext(p)[0], ""))
                                   for p in (row.get("prompts") or "").split()]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="triggerword realspeech", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="folder for the clips (default cache/real; cache/stamps with --stamps)")
    parser.add_argument("--speakers", nargs="+", choices=list(SPEAKERS), metavar="ID",
                        help=f"only these ({', '.join(SPEAKERS)}; default all installed but en-allison-8k, "
                             "the same prompts as en-allison taken through the telephone band)")
    parser.add_argument("--sounds", default=SOUNDS, help="where the packages put the prompts (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="for the pauses between prompts (default %(default)s)")
    parser.add_argument("--stamps", nargs="?", const=STAMPS, metavar="DIR",
                        help="instead: write real speech to train on, Tux Paint's spoken stamp descriptions "
                             f"(default {STAMPS}, from {STAMPS_PACKAGE}), as sentences without the word "
                             "(--out default cache/stamps)")
    args = parser.parse_args(argv)
    warn = lambda msg: print(f"triggerword realspeech: {msg}", file=sys.stderr)  # noqa: E731
    if args.stamps:   # real speech to train on, instead of the scoring clips
        out = args.out or "cache/stamps"
        make = lambda: build_stamps(out, args.stamps, args.seed, warn, progress=True)  # noqa: E731
        what = "sentences of real speech without the word into {out}/sentences"
    else:
        out = args.out or "cache/real"
        make = lambda: build(out, args.speakers, args.sounds, args.seed, warn, progress=True)  # noqa: E731
        what = "clips of 10 s ({hours:.2f} h) into {out}"
    try:
        counts = make()
    except RealSpeechError as exc:
        warn(str(exc))
        return 1
    total = sum(counts.values())
    print(f"wrote {total} " + what.format(out=out, hours=total / 360) + ": "
          + ", ".join(f"{name} {n}" for name, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
