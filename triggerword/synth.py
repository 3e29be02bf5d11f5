"""Training examples for the tools, made the way ``create_training_example`` makes them, in numpy.

The workbook's exercises build one example with pydub; the trainer needs thousands, so this module
does the same with arrays (samples at 44,100 Hz, float32 in [-1, 1]):

1. the background is lowered (the workbook: by 20 dB);
2. 0-4 "activate" takes go at random non-overlapping places (pydub ms, as the workbook counts them:
   a clip of ``n`` ms placed at ``start`` occupies ``(start, start + n - 1)``), each setting y to 1
   on the 50 output steps strictly after ``int(end_ms * TY / 10000)``;
3. 0-2 negative words go the same way with no label;
4. the mix is normalised to -20 dBFS.

``make_example`` adds what real speech needs and the workbook leaves out (all optional, seeded):
words strung into phrases with short gaps (real "activate"s come inside sentences), per-word gain,
a varied background level, and the takes' own augmentation done by ``augment`` callbacks.
"""
import numpy as np

from td_utils import spectrogram
from triggerword import params

INT16_SCALE = 32768.0


def ms_length(samples):
    """Length in ms of an array at 44,100 Hz, rounded as pydub does."""
    return int(round(len(samples) * 1000 / params.SAMPLE_RATE))


def insert_ones(y, segment_end_ms, ty=params.TY):
    """Set to 1 the ``LABEL_STEPS`` labels strictly after the end of a word (ms); y is (ty,) or (1, ty)."""
    flat = y.reshape(-1)
    end_y = int(segment_end_ms * ty / params.CLIP_MS)
    flat[end_y + 1:end_y + 1 + params.LABEL_STEPS] = 1
    return y


def is_overlapping(segment_time, previous_segments):
    """True when (start, end) ms shares at least one ms with any previous segment (ends inclusive)."""
    start, end = segment_time
    return any(start <= p_end and end >= p_start for p_start, p_end in previous_segments)


def random_segment(segment_ms, rng):
    """A random (start, end) ms for a clip of ``segment_ms`` ms inside a 10 s clip."""
    start = int(rng.integers(0, params.CLIP_MS - segment_ms))
    return start, start + segment_ms - 1


def place(segment_ms, previous_segments, rng, retries=5):
    """Pick a free segment for a clip: one try plus ``retries`` more, as the workbook does; None if none."""
    if segment_ms >= params.CLIP_MS:
        return None
    for _ in range(retries + 1):
        segment = random_segment(segment_ms, rng)
        if not is_overlapping(segment, previous_segments):
            return segment
    return None


def overlay(mix, clip, start_ms):
    """Add ``clip`` into ``mix`` from ``start_ms`` on, cut at the end of ``mix`` (as pydub's overlay)."""
    start = int(round(start_ms * params.SAMPLE_RATE / 1000))
    n = min(len(clip), len(mix) - start)
    if n > 0:
        mix[start:start + n] += clip[:n]


def db_to_gain(db):
    return 10.0 ** (db / 20.0)


def normalise(samples, target_dbfs=params.TARGET_DBFS):
    """Scale to ``target_dbfs`` (RMS relative to full scale, pydub's dBFS); silence stays silence."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    if rms == 0.0:
        return samples
    return samples * db_to_gain(target_dbfs - 20 * np.log10(rms))


def make_example(background, activates, negatives, rng, background_db=params.BACKGROUND_GAIN_DB,
                 n_activates=(0, 4), n_negatives=(0, 2), phrase_prob=0.0, word_gain_db=(0.0, 0.0),
                 augment_word=None, augment_mix=None, phrase_negatives=(0, 0), phrase_gap_ms=(40, 250),
                 sentences=None, n_sentences=(0, 0), labelled=None, n_labelled=(0, 0),
                 target_dbfs=params.TARGET_DBFS, lead_prob=0.0, lead_ms=(0, 1000), word_not_first=0.0,
                 augment_positive=None):
    """Build one 10-s training example.

    Arguments (times in ms, audio float32 at 44,100 Hz in [-1, 1]):
    background -- 441,000 samples
    activates, negatives -- lists of word takes
    rng -- numpy Generator; every random choice comes from it
    background_db -- gain applied to the background (float, or (low, high) drawn uniformly)
    n_activates, n_negatives -- inclusive ranges of how many takes to insert
    phrase_prob -- chance that the words are strung into one phrase with ``phrase_gap_ms`` gaps
                   instead of being placed independently
    phrase_gap_ms -- (low, high) silence between the words of a phrase; connected speech leaves
                     20-70 ms (the dev sentences' pieces), so shorter gaps teach "activate" followed
                     at once by more words
    sentences, n_sentences -- fluent spoken sentences without "activate" and the inclusive range of
                     how many to add as negatives (whole utterances, whose ends are not the word);
                     while the range is (0, 0) nothing is drawn for them
    labelled, n_labelled -- fluent sentences that hold "activate", as (samples, [end ms of each word in
                     the sentence]), and the inclusive range of how many to add; each word end is
                     labelled where it lands (scaled with the sentence when ``augment_word`` changes
                     its length); while the range is (0, 0) nothing is drawn for them
    word_gain_db -- (low, high) gain drawn per word
    augment_word(samples, rng), augment_mix(samples, rng) -- optional augmentation callbacks;
                        ``augment_word`` may return ``(samples, where)`` when it moves the inside of a
                        take unevenly: ``where(f)`` is where (as a fraction of the new take) the point
                        at fraction ``f`` of the old one went, and a sentence's marks follow it
    augment_positive(samples, rng) -- optional, applied before ``augment_word`` to the takes that hold
                        "activate" only (the word's takes and ``labelled`` sentences), never to the others
    target_dbfs -- loudness of the finished mix (the workbook: -20 dBFS), or (low, high) drawn uniformly
                   so that the model hears every level; a number draws nothing
    phrase_negatives -- inclusive range of extra negatives strung in when the words make a phrase:
                        runs of words without "activate" (chatter), the commonest cause of false
                        alarms; while it is (0, 0) nothing is drawn for it, so older runs are unchanged
    lead_prob, lead_ms -- the chance that the example opens with a fluent sentence, drawn from
                        ``sentences`` and ``labelled`` together (so with the word as often as those
                        pools hold it) and starting ``lead_ms`` (low, high) into the clip; every other
                        word goes after it or around it (clips of speech start within a second; tried
                        against the false alarms early in a clip, which follow the start of every
                        utterance instead: no difference); while it is 0 nothing is drawn for it, so
                        older runs are unchanged
    word_not_first -- the chance that a phrase whose first take is an "activate" is reordered so that
                        another take opens it (the first one that is not the word swaps places with
                        it): in speech without the word every utterance opens with another word, and
                        the models fire 0.5-2 s into utterances; while it is 0 nothing is drawn for it

    Returns (samples, y, activate_ends_ms): the normalised mix, labels of shape (TY,) float32, and
    the end (ms) of each inserted "activate".
    """
    if not isinstance(background_db, (int, float)):
        background_db = rng.uniform(*background_db)
    mix = background[:params.CLIP_SAMPLES].astype(np.float32) * db_to_gain(background_db)
    y = np.zeros(params.TY, dtype=np.float32)
    words = [(True, activates[i]) for i in rng.integers(len(activates), size=rng.integers(n_activates[0], n_activates[1] + 1))]
    words += [(False, negatives[i]) for i in rng.integers(len(negatives), size=rng.integers(n_negatives[0], n_negatives[1] + 1))]
    if n_sentences[1] > 0 and sentences:
        words += [(False, sentences[i]) for i in rng.integers(len(sentences), size=rng.integers(n_sentences[0], n_sentences[1] + 1))]
    if n_labelled[1] > 0 and labelled:
        words += [(labelled[i][1], labelled[i][0]) for i in rng.integers(len(labelled), size=rng.integers(n_labelled[0], n_labelled[1] + 1))]
    takes = []   # (ends: ms from the take's start of each "activate" in it, samples)
    single = []  # per take: True where it is one "activate" take
    lead = None  # (start ms, end ms inclusive) of the opening sentence

    def prepare(words):
        for mark, take in words:   # mark: True (a word), False (no "activate") or a sentence's word ends
            before = len(take)
            if augment_positive is not None and (mark is True or (mark is not False and len(mark) > 0)):
                take = augment_positive(take, rng)
            where = None  # how the callback moved the points inside the take (None: evenly)
            if augment_word is not None:
                take = augment_word(take, rng)
                if isinstance(take, tuple):
                    take, where = take
            take = take * db_to_gain(rng.uniform(*word_gain_db))
            if mark is True:
                rel = [ms_length(take) - 1]
            elif mark is False:
                rel = []
            elif where is not None:
                span = before / params.SAMPLE_RATE * 1000.0  # the take's length in ms as the mark counts it
                rel = [min(int(round(where(min(e / span, 1.0)) * ms_length(take))), ms_length(take) - 1)
                       for e in mark]
            else:
                scale = len(take) / max(1, before)
                rel = [min(int(round(e * scale)), ms_length(take) - 1) for e in mark]
            takes.append((rel, take.astype(np.float32)))
            single.append(mark is True)
    ends = []
    without, with_word = sentences or [], labelled or []
    if lead_prob > 0 and (without or with_word) and rng.random() < lead_prob:   # one draw over both lists
        i = int(rng.integers(len(without) + len(with_word)))
        prepare([(False, without[i])] if i < len(without) else [with_word[i - len(without)][::-1]])
        rel, take = takes.pop()
        single.pop()
        start = int(rng.integers(lead_ms[0], lead_ms[1] + 1))
        length = min(ms_length(take), params.CLIP_MS - start)
        if length > 0:
            overlay(mix, take, start)
            ends += [start + e for e in rel if e < length]
            lead = (start, start + length - 1)
    prepare(words)
    if takes and rng.random() < phrase_prob:
        if phrase_negatives[1] > 0:
            n = rng.integers(phrase_negatives[0], phrase_negatives[1] + 1)
            prepare([(False, negatives[i]) for i in rng.integers(len(negatives), size=n)])
        order = rng.permutation(len(takes))
        if word_not_first > 0 and single[order[0]] and rng.random() < word_not_first:
            other = next((j for j, i in enumerate(order) if not single[i]), None)
            if other is not None:
                order[0], order[other] = order[other], order[0]
        gaps = [int(rng.integers(phrase_gap_ms[0], phrase_gap_ms[1])) for _ in order]
        total = sum(ms_length(takes[i][1]) for i in order) + sum(gaps[:-1])
        low = 0 if lead is None else lead[1] + 1 + gaps[-1]
        cursor = int(rng.integers(low, max(low + 1, params.CLIP_MS - total)))
        for i, gap in zip(order, gaps):
            rel, take = takes[i]
            length = ms_length(take)
            if cursor + length > params.CLIP_MS:
                break
            overlay(mix, take, cursor)
            ends += [cursor + e for e in rel]
            cursor += length + gap
    else:
        segments = [] if lead is None else [lead]
        for rel, take in takes:       # activates first, as the workbook inserts them
            segment = place(ms_length(take), segments, rng)
            if segment is None:
                continue
            segments.append(segment)
            overlay(mix, take, segment[0])
            ends += [segment[0] + e for e in rel]
    for end in ends:
        insert_ones(y, end)
    if augment_mix is not None:
        mix = augment_mix(mix, rng)
    if not isinstance(target_dbfs, (int, float)):
        target_dbfs = rng.uniform(*target_dbfs)
    mix = np.clip(normalise(mix, target_dbfs), -1.0, 32767 / 32768)
    return mix.astype(np.float32), y, sorted(ends)


def features(samples):
    """Model input for 441,000 samples in [-1, 1]: the spectrogram on the 16-bit scale, (TX, N_FREQ) float32.

    Rounds to 16-bit first, as the workbook exports each example to a 16-bit WAV and reads it back.
    """
    pcm = np.round(np.asarray(samples, dtype=np.float64) * INT16_SCALE)
    return spectrogram(pcm).T.astype(np.float32)
