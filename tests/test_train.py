"""The trainer's parts: example synthesis, the PyTorch twin of model_f, scoring, a tiny real run."""
import csv
import json
import math
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from triggerword import params
from triggerword.synth import insert_ones, is_overlapping, make_example, features, normalise

SR = params.SAMPLE_RATE
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # streamkit.py sits beside this file
import streamkit  # noqa: E402


def tone(ms, freq=1000.0, amp=0.3):
    t = np.arange(int(round(ms * SR / 1000))) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_insert_ones_sets_fifty_steps_strictly_after_the_end():
    y = insert_ones(np.zeros(params.TY, np.float32), 5000)
    # 5,000 ms is output step int(5000 * 1375 / 10000) = 687: labels on 688..737 only
    assert y[687] == 0 and y[688] == 1 and y[737] == 1 and y[738] == 0
    assert y.sum() == 50


def test_insert_ones_stops_at_the_end_of_y():
    y = insert_ones(np.zeros((1, params.TY), np.float32), 9990)  # step 1373: only 1374 is left
    assert y.shape == (1, params.TY) and y.sum() == 1 and y[0, 1374] == 1


def test_overlap_boundaries():
    assert is_overlapping((200, 250), [(100, 200)])
    assert not is_overlapping((200, 250), [(100, 199)])
    assert not is_overlapping((670, 1430), [])


def envelope_end_ms(samples, threshold=0.05):
    """Last ms whose peak exceeds ``threshold``: where the loud tone really ends in the audio."""
    per_ms = np.abs(samples[: len(samples) // 44 * 44]).reshape(-1, 44).max(axis=1)
    return np.nonzero(per_ms > threshold)[0]


@pytest.mark.parametrize("phrase_prob", [0.0, 1.0])
def test_labels_follow_the_words_in_the_audio(phrase_prob):
    """Each label run starts right after a word that is really in the mix; negatives get none."""
    background = np.zeros(params.CLIP_SAMPLES, np.float32)
    activates = [tone(700, 1000)]
    negatives = [tone(400, 3000)]
    for seed in range(6):
        rng = np.random.default_rng(seed)
        mix, y, ends = make_example(background, activates, negatives, rng, n_activates=(1, 3),
                                    n_negatives=(0, 2), phrase_prob=phrase_prob)
        assert len(ends) >= 1
        expected = np.zeros(params.TY, np.float32)
        for end in ends:
            insert_ones(expected, end)
        assert np.array_equal(y, expected)
        # where the words end, measured in the audio itself (the background is silent)
        spec = features(mix)
        loud_ms = envelope_end_ms(mix, threshold=0.01)
        for end in ends:
            assert np.any(np.abs(loud_ms - end) <= 2), f"no audio ends near {end} ms"
        assert spec.shape == (params.TX, params.N_FREQ)


def test_phrase_negatives_add_unlabelled_chatter_around_the_word():
    """Extra negatives join the phrase as separate words in the audio, and add no labels."""
    background = np.zeros(params.CLIP_SAMPLES, np.float32)
    activates, negatives = [tone(500, 1000)], [tone(300, 3000)]
    for seed in range(4):
        mix, y, ends = make_example(background, activates, negatives, np.random.default_rng(seed),
                                    n_activates=(1, 1), n_negatives=(0, 0), phrase_prob=1.0,
                                    phrase_negatives=(4, 4))
        assert len(ends) == 1 and y.sum() == 50
        loud = envelope_end_ms(mix, threshold=0.01)
        runs = 1 + int(np.sum(np.diff(loud) > 20))  # words are 40-250 ms apart in a phrase
        assert runs == 5, f"seed {seed}: {runs} words in the audio, expected the word and 4 negatives"
        # without the extra range, the same draw gives the word alone
        mix, y, ends = make_example(background, activates, negatives, np.random.default_rng(seed),
                                    n_activates=(1, 1), n_negatives=(0, 0), phrase_prob=1.0)
        loud = envelope_end_ms(mix, threshold=0.01)
        assert 1 + int(np.sum(np.diff(loud) > 20)) == 1


def test_phrase_gap_sets_the_silence_between_the_words_of_a_phrase():
    background = np.zeros(params.CLIP_SAMPLES, np.float32)
    activates, negatives = [tone(500, 1000)], [tone(300, 3000)]
    for gap in (20, 120):
        mix, y, ends = make_example(background, activates, negatives, np.random.default_rng(1),
                                    n_activates=(1, 1), n_negatives=(2, 2), phrase_prob=1.0,
                                    phrase_gap_ms=(gap, gap + 1))
        loud = envelope_end_ms(mix, threshold=0.01)
        silences = np.diff(loud)[np.diff(loud) > 1] - 1  # ms of silence between the 3 words
        assert len(silences) == 2 and np.all(np.abs(silences - gap) <= 3), (gap, silences)
        assert len(ends) == 1 and y.sum() == 50


def test_sentence_negatives_add_unlabelled_utterances_and_are_off_by_default():
    background = np.zeros(params.CLIP_SAMPLES, np.float32)
    activates, negatives, sentences = [tone(500, 1000)], [tone(300, 3000)], [tone(2500, 1500)]
    for seed in range(4):
        rng = np.random.default_rng(seed)
        mix, y, ends = make_example(background, activates, negatives, rng, n_activates=(1, 1),
                                    n_negatives=(0, 0), sentences=sentences, n_sentences=(1, 1))
        assert len(ends) == 1 and y.sum() == 50
        loud = envelope_end_ms(mix, threshold=0.01)
        assert len(loud) >= 500 + 2500 - 10  # the word and the whole sentence are in the audio
        plain = make_example(background, activates, negatives, np.random.default_rng(seed),
                             n_activates=(1, 1), n_negatives=(0, 0))
        unused = make_example(background, activates, negatives, np.random.default_rng(seed),
                              n_activates=(1, 1), n_negatives=(0, 0), sentences=sentences)
        assert np.array_equal(plain[0], unused[0])  # no range, nothing drawn: the same example


def test_corpus_reads_sentences_from_the_generator_bank(tmp_path, tiny_corpus):
    import shutil
    from triggerword.train import Corpus
    root = tmp_path / "corpus"
    shutil.copytree(tiny_corpus, root)
    assert Corpus(str(root)).sentences == []
    (root / ".work" / "bank").mkdir(parents=True)
    np.save(root / ".work" / "bank" / "bank-1.npy", np.full(44100, 0.25, np.float32))
    (root / ".work" / "bank" / "bank-2.npy").write_bytes(b"not numpy")
    warnings = []
    sentences = Corpus(str(root), warn=warnings.append).sentences
    assert len(sentences) == 1 and sentences[0].dtype == np.int16 and sentences[0][0] == 8192
    assert len(warnings) >= 1 and any("bank-2.npy" in w for w in warnings)


def _spoken(word_ms=800, pause_ms=200, rest_ms=500):
    """A stand-in sentence: a tone up to the end of the "word", a pause, then more tone."""
    return np.concatenate([tone(word_ms, 1000), np.zeros(int(pause_ms * SR / 1000), np.float32),
                           tone(rest_ms, 2000)])


@pytest.mark.parametrize("stretch", [1, 2])
def test_sentence_positives_label_the_word_where_it_ends_in_the_sentence(stretch):
    """A labelled sentence's word end lands at its start + the end in the sentence (scaled with it)."""
    background = np.zeros(params.CLIP_SAMPLES, np.float32)
    labelled = [(_spoken(), [800])]
    augment = (lambda x, rng: np.repeat(x, 2)) if stretch == 2 else None
    for seed in range(4):
        for phrase_prob in (0.0, 1.0):
            mix, y, ends = make_example(background, [tone(500)], [tone(300, 3000)], np.random.default_rng(seed),
                                        n_activates=(0, 0), n_negatives=(0, 0), phrase_prob=phrase_prob,
                                        labelled=labelled, n_labelled=(1, 1), augment_word=augment)
            start = np.nonzero(np.abs(mix) > 0.01)[0][0] * 1000 / SR
            word_end = start + 800 * stretch      # the tone stops here, then the pause
            assert len(ends) == 1 and abs(ends[0] - word_end) <= 2 * stretch, (ends, word_end)
            assert not np.any(np.abs(mix[int((word_end + 20) * SR / 1000):int((word_end + 150) * SR / 1000)]) > 0.01)
            expected = insert_ones(np.zeros(params.TY, np.float32), ends[0])
            assert np.array_equal(y, expected) and y.sum() == 50


def test_glide_bends_the_pitch_and_a_sentences_word_end_moves_with_the_sound():
    """``augment.glide``: a tone +6 semitones bent falls by the ratio the linear rate gives, keeps its
    length, and a click lands where ``where`` says; a sentence bent inside ``make_example`` is labelled
    where its word now ends in the audio, not where an even scaling would put it."""
    from triggerword import augment
    x = tone(1000, 440)
    flat, same = augment.glide(x, 0.0)
    assert np.array_equal(flat, x) and same(0.3) == 0.3
    bent, where = augment.glide(x, 6.0)
    assert len(bent) == len(x)

    def hz(seg):  # zero crossings upwards per second
        return np.sum((seg[:-1] < 0) & (seg[1:] >= 0)) * SR / len(seg)
    part = SR // 10
    a = (2 ** 0.5 - 1) / (2 ** 0.5 + 1)  # 6 semitones: (1 + a) / (1 - a) = sqrt(2)
    assert hz(bent[:part]) == pytest.approx(440 * (1 + a - 2 * a * 0.05), rel=0.03)   # rate at v = 0.05
    assert hz(bent[-part:]) == pytest.approx(440 * (1 + a - 2 * a * 0.95), rel=0.03)  # and at v = 0.95
    click = np.zeros(SR, np.float32)
    click[int(0.3 * SR)] = 1.0
    moved, where = augment.glide(click, 6.0)
    assert abs(np.argmax(moved) / SR - where(0.3)) < 0.001 and where(0.3) < 0.3 - 0.02  # faster at first
    assert where(0.0) == pytest.approx(0.0) and where(1.0) == pytest.approx(1.0)
    # a sentence whose word (a tone) ends at 800 ms of 1,500, bent: the label follows the silence after it
    background = np.zeros(params.CLIP_SAMPLES, np.float32)
    for seed in range(4):
        mix, y, ends = make_example(background, [tone(500)], [tone(300, 3000)], np.random.default_rng(seed),
                                    n_activates=(0, 0), n_negatives=(0, 0), labelled=[(_spoken(), [800])],
                                    n_labelled=(1, 1), augment_word=lambda x, rng: augment.glide(x, 6.0))
        loud = np.nonzero(np.abs(mix) > 0.01)[0]
        start = loud[0]
        gap = np.nonzero(np.diff(loud) > SR // 100)[0][0]  # the first silence over 10 ms: the pause
        word_end = (loud[gap] + 1) * 1000 / SR             # after the word's tone
        assert len(ends) == 1 and abs(ends[0] - word_end) <= 3, (ends, word_end)
        assert abs(ends[0] - (start * 1000 / SR + 800)) > 30  # an even scaling would have missed it
        assert np.array_equal(y, insert_ones(np.zeros(params.TY, np.float32), ends[0]))


def test_glide_is_off_by_default_and_changes_the_examples_when_on(tiny_corpus):
    from triggerword.train import RECIPE, Corpus, make_training_example
    corpus = Corpus(str(tiny_corpus))
    assert RECIPE["p_glide"] == 0.0
    older = {k: v for k, v in RECIPE.items() if k not in ("p_glide", "glide")}
    for seed in (1, 2):
        plain = make_training_example(corpus, np.random.default_rng(seed), RECIPE)
        before = make_training_example(corpus, np.random.default_rng(seed), older)
        assert np.array_equal(plain[0], before[0]) and np.array_equal(plain[1], before[1])
        on = make_training_example(corpus, np.random.default_rng(seed), dict(RECIPE, p_glide=1.0))
        assert not np.array_equal(plain[0], on[0])


def test_sentence_positives_are_off_by_default():
    background = np.zeros(params.CLIP_SAMPLES, np.float32)
    for seed in range(3):
        plain = make_example(background, [tone(500)], [tone(300, 3000)], np.random.default_rng(seed))
        unused = make_example(background, [tone(500)], [tone(300, 3000)], np.random.default_rng(seed),
                              labelled=[(_spoken(), [800])])
        assert np.array_equal(plain[0], unused[0]) and np.array_equal(plain[1], unused[1])


def test_lead_sentence_opens_the_clip_and_the_other_words_keep_clear_of_it():
    background = np.zeros(params.CLIP_SAMPLES, np.float32)
    activates, negatives, sentences = [tone(500, 1000)], [tone(300, 3000)], [tone(2000, 1500)]
    for seed in range(6):
        for phrase_prob in (0.0, 1.0):
            mix, y, ends = make_example(background, activates, negatives, np.random.default_rng(seed),
                                        n_activates=(1, 2), n_negatives=(0, 2), phrase_prob=phrase_prob,
                                        sentences=sentences, lead_prob=1.0, lead_ms=(0, 0))
            loud = envelope_end_ms(mix, threshold=0.01)
            assert loud[0] == 0 and np.all(np.isin(np.arange(1990), loud))  # the sentence, from 0 ms on
            assert ends and all(e > 2000 for e in ends), ends                 # every word after it
            assert y[:int(2000 * params.TY / params.CLIP_MS) + 1].sum() == 0
    # a lead that holds the word is labelled where the word ends in it, and starts within lead_ms
    for seed in range(6):
        mix, y, ends = make_example(background, activates, negatives, np.random.default_rng(seed),
                                    n_activates=(0, 0), n_negatives=(0, 0), labelled=[(_spoken(), [800])],
                                    lead_prob=1.0, lead_ms=(300, 700))
        start = np.nonzero(np.abs(mix) > 0.01)[0][0] * 1000 / SR
        assert 299 <= start <= 701 and len(ends) == 1 and abs(ends[0] - (start + 800)) <= 2, (start, ends)
        assert np.array_equal(y, insert_ones(np.zeros(params.TY, np.float32), ends[0]))


def test_lead_is_off_by_default_and_draws_nothing():
    background = np.zeros(params.CLIP_SAMPLES, np.float32)
    for seed in range(4):
        kw = dict(n_activates=(1, 2), phrase_prob=0.5)
        plain = make_example(background, [tone(500)], [tone(300, 3000)], np.random.default_rng(seed), **kw)
        pools = make_example(background, [tone(500)], [tone(300, 3000)], np.random.default_rng(seed),
                             sentences=[tone(2000, 1500)], labelled=[(_spoken(), [800])], **kw)
        assert np.array_equal(plain[0], pools[0]) and plain[2] == pools[2]
        led = make_example(background, [tone(500)], [tone(300, 3000)], np.random.default_rng(seed),
                           sentences=[tone(2000, 1500)], lead_prob=1.0, **kw)
        assert not np.array_equal(plain[0], led[0])


def test_word_not_first_puts_another_word_before_the_word_in_a_phrase():
    background = np.zeros(params.CLIP_SAMPLES, np.float32)
    activates, negatives = [tone(500, 1000)], [tone(300, 3000)]
    kw = dict(n_activates=(1, 1), n_negatives=(2, 2), phrase_prob=1.0)
    opened_with_word = 0
    for seed in range(12):
        plain = make_example(background, activates, negatives, np.random.default_rng(seed), **kw)
        moved = make_example(background, activates, negatives, np.random.default_rng(seed), word_not_first=1.0, **kw)
        for mix, y, ends in (plain, moved):
            assert len(ends) == 1 and np.array_equal(y, insert_ones(np.zeros(params.TY, np.float32), ends[0]))
        start = np.nonzero(np.abs(plain[0]) > 0.01)[0][0] * 1000 / SR
        if abs(plain[2][0] - (start + 499)) <= 2:     # the phrase opened with the word
            opened_with_word += 1
            start = np.nonzero(np.abs(moved[0]) > 0.01)[0][0] * 1000 / SR
            assert moved[2][0] - start >= 300 + 15 + 499 - 2, (seed, start, moved[2])
        else:                                          # nothing to move, nothing drawn: the same example
            assert np.array_equal(plain[0], moved[0]) and plain[2] == moved[2]
    assert 1 <= opened_with_word <= 11, opened_with_word


def test_level_range_sets_each_example_loudness_and_is_off_by_default():
    background = (0.01 * np.random.default_rng(0).standard_normal(params.CLIP_SAMPLES)).astype(np.float32)
    levels = []
    for seed in range(12):
        mix = make_example(background, [tone(500)], [tone(300, 3000)], np.random.default_rng(seed),
                           target_dbfs=(-35.0, -10.0))[0]
        levels.append(20 * np.log10(np.sqrt(np.mean(mix.astype(np.float64) ** 2))))
        plain = make_example(background, [tone(500)], [tone(300, 3000)], np.random.default_rng(seed))[0]
        assert abs(20 * np.log10(np.sqrt(np.mean(plain.astype(np.float64) ** 2))) + 20) < 0.05
        fixed = make_example(background, [tone(500)], [tone(300, 3000)], np.random.default_rng(seed),
                             target_dbfs=-20.0)[0]
        assert np.array_equal(plain, fixed)          # a number draws nothing: older recipes unchanged
    assert min(levels) >= -35.1 and max(levels) <= -9.9 and max(levels) - min(levels) > 10, levels


def test_corpus_reads_labelled_sentences(tmp_path, tiny_corpus):
    """labels.json sorts the sentences: word ends -> with, [] -> without, unlisted or bad -> skipped."""
    import json
    import shutil
    from triggerword.train import FIRST_SENTENCE_SETS, Corpus, CorpusError
    root = tmp_path / "corpus"
    shutil.copytree(tiny_corpus, root)
    folder = root / "sentences"
    folder.mkdir()
    pcm = (_spoken() * 32767).astype(np.int16)      # 1.5 s
    for name in ("with-1.wav", "with-2.wav", "without-1.wav", "stray.wav", "late.wav"):
        wavfile.write(folder / name, SR, pcm)
    (folder / "broken.wav").write_bytes(b"RIFF????WAVEnope")
    labels = {"with-1.wav": [800], "with-2.wav": [300, 1400], "without-1.wav": [], "late.wav": [2500],
              "broken.wav": []}
    (folder / "labels.json").write_text(json.dumps(labels))
    warnings = []
    corpus = Corpus(str(root), warn=warnings.append)
    assert [ends for _, ends in corpus.labelled] == [[800], [300, 1400]]
    assert len(corpus.sentences) == 1 and corpus.sentences[0].dtype == np.int16
    assert any("stray.wav" in w and "labels.json" in w for w in warnings)
    assert any("late.wav" in w and "outside" in w for w in warnings)
    assert any("broken.wav" in w for w in warnings)
    # a second batch: read when no batch is named, not by FIRST_SENTENCE_SETS (older recipes, the default)
    wavfile.write(folder / "more-1.wav", SR, pcm)
    wavfile.write(folder / "near-1.wav", SR, pcm)
    (folder / "labels.json").write_text(json.dumps({**labels, "more-1.wav": [700], "near-1.wav": []}))
    assert [e for _, e in Corpus(str(root), warn=print).labelled] == [[700], [800], [300, 1400]]
    warnings.clear()
    first = Corpus(str(root), warn=warnings.append, sentence_sets=FIRST_SENTENCE_SETS)
    assert [e for _, e in first.labelled] == [[800], [300, 1400]] and len(first.sentences) == 1
    assert not any("more-1" in w or "near-1" in w for w in warnings)
    assert len(Corpus(str(root), sentence_sets=("near",)).sentences) == 1
    (folder / "labels.json").write_text("{not json")
    with pytest.raises(CorpusError, match="labels.json"):
        Corpus(str(root))
    (folder / "labels.json").unlink()   # no labels: every sentence is taken as one without the word
    corpus = Corpus(str(root), warn=warnings.append)
    assert corpus.labelled == [] and len(corpus.sentences) == 7


def test_spec_masks_blank_bands_and_spans_and_are_off_by_default():
    from triggerword.train import spec_masks
    rng = np.random.default_rng(3)
    x = rng.normal(-40, 10, size=(params.TX, params.N_FREQ)).astype(np.float32)
    before = x.copy()
    spec_masks(x, np.random.default_rng(0))  # no masks: nothing drawn, nothing changed
    assert np.array_equal(x, before)
    fill = float(before.mean())
    spec_masks(x, np.random.default_rng(0), freq=(2, 10), time=(0, 0))
    masked_cols = np.all(x == np.float32(fill), axis=0)
    assert 1 <= masked_cols.sum() <= 20 and np.array_equal(x[:, ~masked_cols], before[:, ~masked_cols])
    x = before.copy()
    spec_masks(x, np.random.default_rng(0), freq=(0, 0), time=(3, 25))
    masked_rows = np.all(x == np.float32(fill), axis=1)
    assert 1 <= masked_rows.sum() <= 75 and np.array_equal(x[~masked_rows], before[~masked_rows])


def test_recipe_without_masks_makes_the_same_example_as_before(tiny_corpus):
    from triggerword.train import RECIPE, Corpus, make_training_example
    corpus = Corpus(str(tiny_corpus))
    plain = make_training_example(corpus, np.random.default_rng(7), RECIPE)
    masked = make_training_example(corpus, np.random.default_rng(7), dict(RECIPE, freq_masks=[2, 10]))
    assert np.array_equal(plain[1], masked[1])  # the labels come from the same draw
    differs = np.any(plain[0] != masked[0], axis=0)
    assert 1 <= differs.sum() <= 20  # only the masked frequency bands changed


def test_warp_bins_moves_formants_by_alpha_and_keeps_the_ends():
    from triggerword.train import warp_bins
    bin_hz = params.SAMPLE_RATE / params.NFFT             # 220.5 Hz
    x = np.full((4, params.N_FREQ), 1e-3, dtype=np.float32)
    x[:, 10] = 5.0                                        # a formant at 2,205 Hz
    x[:, 0], x[:, -1] = 7.0, 3.0
    assert np.array_equal(warp_bins(x, 1.0), x)
    for alpha in (0.9, 1.1, 1.2):
        y = warp_bins(x, alpha)
        assert y.shape == x.shape and y.dtype == np.float32 and np.all(y > 0)
        peak_hz = (1 + np.argmax(y[0, 1:-1])) * bin_hz
        assert abs(peak_hz - alpha * 10 * bin_hz) <= bin_hz / 2   # the peak lands at alpha times its frequency
        assert y[0, 0] == 7.0 and y[0, -1] == 3.0                  # 0 Hz and the top bin stay where they are
    # above the boundary the axis is squeezed to fit, so no bin is read from beyond the top
    y = warp_bins(np.tile(np.arange(params.N_FREQ, dtype=np.float32), (2, 1)), 1.2, boundary_hz=8000)
    assert np.all(np.diff(y[0]) > 0) and y[0, -1] == params.N_FREQ - 1


def test_vtlp_warps_the_same_mix_and_is_off_by_default(tiny_corpus):
    from triggerword.train import RECIPE, Corpus, make_training_example, warp_bins
    corpus = Corpus(str(tiny_corpus))
    assert RECIPE["vtlp"] == [1.0, 1.0]
    rng = np.random.default_rng(7)
    plain = make_training_example(corpus, rng, RECIPE)
    warped = make_training_example(corpus, np.random.default_rng(7), dict(RECIPE, vtlp=[0.9, 1.1]))
    assert np.array_equal(plain[1], warped[1])
    assert not np.array_equal(plain[0], warped[0])
    # the factor is drawn after everything else, so the warped example is the plain one, warped
    alpha = rng.uniform(0.9, 1.1)
    assert np.array_equal(warp_bins(plain[0], alpha), warped[0])


def test_pitch_shifts_the_words_an_octave_and_is_off_by_default(tiny_corpus):
    """``p_pitch``/``pitch`` shift each word in pitch by the semitones drawn; off, nothing is drawn."""
    from triggerword.train import RECIPE, Corpus, make_training_example
    corpus = Corpus(str(tiny_corpus))
    assert RECIPE["p_pitch"] == 0.0
    plain = make_training_example(corpus, np.random.default_rng(7), RECIPE)
    off = make_training_example(corpus, np.random.default_rng(7), dict(RECIPE, pitch=[12.0, 12.0]))
    assert np.array_equal(plain[0], off[0]) and np.array_equal(plain[1], off[1])
    # one "activate" (a tone of 0.8, 1.0 or 1.2 kHz) and nothing else loud: its peak moves an octave up
    quiet = dict(RECIPE, speed=[1.0, 1.0], p_colour=0.0, p_reverb=0.0, p_hiss=0.0, n_activates=[1, 1],
                 n_negatives=[0, 0], background_db=[-60.0, -60.0])
    bin_hz = params.SAMPLE_RATE / params.NFFT
    for seed in (1, 2, 3):
        for semitones, (low, high) in ((0.0, (700, 1300)), (12.0, (1500, 2600)), (-12.0, (300, 700))):
            recipe = dict(quiet, p_pitch=1.0 if semitones else 0.0, pitch=[semitones, semitones])
            x, y = make_training_example(corpus, np.random.default_rng(seed), recipe)
            peak_hz = np.argmax(x.sum(axis=0)) * bin_hz
            assert low <= peak_hz <= high, (seed, semitones, peak_hz)
            assert y.sum() > 0                                        # the shifted word is still labelled


def test_pitch_on_activate_shifts_the_word_and_leaves_the_other_words(tiny_corpus):
    """``pitch_on="activate"``: the word's takes move down an octave, the negatives stay where they were."""
    from triggerword.train import RECIPE, Corpus, make_training_example
    corpus = Corpus(str(tiny_corpus))
    # one "activate" (a tone of 0.8, 1.0 or 1.2 kHz) and one negative (2.5, 2.8 or 3.1 kHz), little else
    quiet = dict(RECIPE, speed=[1.0, 1.0], p_colour=0.0, p_reverb=0.0, p_hiss=0.0, n_activates=[1, 1],
                 n_negatives=[1, 1], background_db=[-60.0, -60.0], p_pitch=1.0, pitch=[-12.0, -12.0])
    hz = np.arange(params.N_FREQ) * params.SAMPLE_RATE / params.NFFT

    def share(x, low, high):  # the part of the example's energy between low and high Hz
        power = x.sum(axis=0)
        return power[(hz >= low) & (hz <= high)].sum() / power.sum()

    for seed in (1, 2, 3):
        both = make_training_example(corpus, np.random.default_rng(seed), dict(quiet, pitch_on="all"))
        word = make_training_example(corpus, np.random.default_rng(seed), dict(quiet, pitch_on="activate"))
        # (the words' loudness is drawn, so a share can be small, but where a tone is not it is next to 0)
        assert share(both[0], 300, 700) > 0.1 and share(word[0], 300, 700) > 0.1     # the word, an octave down
        assert share(both[0], 1150, 1650) > 0.03 > 0.003 > share(word[0], 1150, 1650)  # negative shifted: all only
        assert share(word[0], 2400, 3200) > 0.03 > 0.003 > share(both[0], 2400, 3200)  # negative as made
        assert word[1].sum() > 0
    with pytest.raises(ValueError, match="pitch_on"):
        make_training_example(corpus, np.random.default_rng(1), dict(quiet, pitch_on="words"))


def test_band_limit_empties_the_top_of_the_whole_mix_and_is_off_by_default(tiny_corpus):
    """``p_band``: the finished mix (white-noise background and hiss included) loses what lies above the
    cut-off, as band-limited speech does; off, nothing is drawn, so older recipes make the same examples."""
    from triggerword.train import RECIPE, Corpus, make_training_example
    corpus = Corpus(str(tiny_corpus))
    assert RECIPE["p_band"] == 0.0
    plain = make_training_example(corpus, np.random.default_rng(7), RECIPE)
    off = make_training_example(corpus, np.random.default_rng(7), dict(RECIPE, band_hz=[1000.0, 1000.0]))
    assert np.array_equal(plain[0], off[0]) and np.array_equal(plain[1], off[1])
    hz = np.arange(params.N_FREQ) * params.SAMPLE_RATE / params.NFFT
    noisy = dict(RECIPE, p_hiss=1.0, background_db=[-8.0, -8.0])  # the background is white noise: full band
    for seed in (1, 2, 3):
        full = make_training_example(corpus, np.random.default_rng(seed), noisy)
        cut = make_training_example(corpus, np.random.default_rng(seed), dict(noisy, p_band=1.0, band_hz=[5000.0, 5000.0]))
        top, bottom = (full[0].mean(axis=0), cut[0].mean(axis=0)), hz < 2000
        assert top[0][hz >= 10000].mean() > 1e3 * top[1][hz >= 10000].mean()  # 30 dB or more gone up there
        assert top[0][hz >= 7000].mean() > 1e2 * top[1][hz >= 7000].mean()    # and 20 dB from 7 kHz
        assert top[1][bottom].mean() > 0.3 * top[0][bottom].mean()            # the words' band stays
        assert np.array_equal(full[1], cut[1])            # the labels are the same words'


def test_label_delay_moves_every_label_later_and_leaves_the_audio(tiny_corpus):
    """``label_delay``: the same example, each run of ones starting that many output steps later and still
    50 long (unless the clip ends first); off, the labels are insert_ones's; out of range, a clear error."""
    from triggerword.train import MAX_LABEL_DELAY, RECIPE, Corpus, entry_problem, make_training_example
    corpus = Corpus(str(tiny_corpus))
    assert RECIPE["label_delay"] == 0
    assert MAX_LABEL_DELAY + params.LABEL_STEPS + 7 <= params.HIT_AFTER_S / params.STEP_S  # still a hit
    checked = 0
    for seed in range(1, 9):
        plain = make_training_example(corpus, np.random.default_rng(seed), dict(RECIPE, n_activates=[2, 2]))
        late = make_training_example(corpus, np.random.default_rng(seed), dict(RECIPE, n_activates=[2, 2], label_delay=40))
        assert np.array_equal(plain[0], late[0])
        starts = np.flatnonzero(np.diff(np.r_[0.0, plain[1]]) > 0)
        moved = np.flatnonzero(np.diff(np.r_[0.0, late[1]]) > 0)
        assert len(starts) >= 1
        assert not late[1][:40].any() and np.array_equal(late[1][40:], plain[1][:-40])
        for a in starts[starts + 40 + params.LABEL_STEPS <= params.TY]:
            assert a + 40 in moved and late[1][a + 40:a + 40 + params.LABEL_STEPS].all()
            checked += 1
    assert checked >= 4
    assert entry_problem("label_delay", 40) is None
    for bad in (-1, MAX_LABEL_DELAY + 1, 2.5, True):
        assert "label_delay must be a whole number" in entry_problem("label_delay", bad)


def test_calls_are_wordless_tonal_cries_laid_over_the_mix_and_off_by_default(tiny_corpus):
    """``p_calls``: cries (gliding harmonic tones) join the mix as unlabelled sound; off, nothing is drawn,
    so recipes written before the entry existed make the same examples."""
    from triggerword import augment
    from triggerword.train import RECIPE, Corpus, make_training_example
    corpus = Corpus(str(tiny_corpus))
    assert RECIPE["p_calls"] == 0.0
    older = {k: v for k, v in RECIPE.items() if k != "p_calls"}
    plain = make_training_example(corpus, np.random.default_rng(7), RECIPE)
    before = make_training_example(corpus, np.random.default_rng(7), older)
    assert np.array_equal(plain[0], before[0]) and np.array_equal(plain[1], before[1])
    for seed in (1, 2, 3):  # on: the same words, so the same labels, and more sound
        off = make_training_example(corpus, np.random.default_rng(seed), RECIPE)
        on = make_training_example(corpus, np.random.default_rng(seed), dict(RECIPE, p_calls=1.0))
        assert np.array_equal(off[1], on[1]) and not np.array_equal(off[0], on[0])
    # a cry is tonal: a few harmonics, not a noise band (spectral flatness well below white noise's)
    def flatness(x):
        power = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2 + 1e-20
        return float(np.exp(np.mean(np.log(power))) / np.mean(power))
    rng = np.random.default_rng(0)
    for _ in range(20):
        cry = augment.tonal_call(rng, 0.5)
        assert len(cry) == params.SAMPLE_RATE // 2 and np.max(np.abs(cry)) == pytest.approx(1.0, abs=1e-6)
        assert abs(cry[0]) < 0.05 and abs(cry[-1]) < 0.05                  # a soft attack and release
        middle = cry[len(cry) // 2 - 400:len(cry) // 2 + 400]
        assert flatness(middle) < 0.05 < flatness(rng.standard_normal(800))
    # laid over a quiet clip at its level: the peak is kept, and the cries stand where they land
    quiet = (np.random.default_rng(1).standard_normal(params.CLIP_SAMPLES) * 0.01).astype(np.float32)
    loud = augment.add_calls(quiet, np.random.default_rng(2), level_db=(10.0, 10.0), count=(2, 2))
    assert len(loud) == len(quiet) and np.max(np.abs(loud)) == pytest.approx(np.max(np.abs(quiet)), rel=1e-5)
    frames = loud[:len(loud) // 800 * 800].reshape(-1, 800)
    energy = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    assert (energy > 3 * np.median(energy)).sum() >= 3                       # 2 bursts, 150 ms or more each
    assert np.array_equal(augment.add_calls(quiet, np.random.default_rng(2)),
                          augment.add_calls(quiet, np.random.default_rng(2)))
    assert np.array_equal(augment.add_calls(np.zeros(100, np.float32), rng), np.zeros(100, np.float32))


def test_example_is_normalised_and_deterministic():
    rng_bg = np.random.default_rng(1)
    background = (rng_bg.standard_normal(params.CLIP_SAMPLES) * 0.05).astype(np.float32)
    takes = [tone(600), tone(800, 500)]
    a = make_example(background, takes, takes, np.random.default_rng(7))
    b = make_example(background, takes, takes, np.random.default_rng(7))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    rms_db = 20 * np.log10(np.sqrt(np.mean(a[0].astype(np.float64) ** 2)))
    assert abs(rms_db - params.TARGET_DBFS) < 0.05
    assert np.array_equal(normalise(np.zeros(10, np.float32)), np.zeros(10, np.float32))


def test_word_longer_than_background_is_skipped_not_crashing():
    background = np.zeros(params.CLIP_SAMPLES, np.float32)
    mix, y, ends = make_example(background, [tone(12000)], [tone(300)], np.random.default_rng(0),
                                n_activates=(2, 2))
    assert ends == [] and y.sum() == 0


def test_torch_twin_matches_keras_model_f():
    torch = pytest.importorskip("torch")
    from triggerword.torch_model import TorchModelF, from_keras, to_keras
    torch.manual_seed(0)
    net = TorchModelF()
    with torch.no_grad():  # non-trivial BatchNorm statistics, so their conversion is exercised
        for bn in (net.bn1, net.bn2, net.bn3):
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
    net.eval()
    x = np.random.default_rng(0).random((2, params.TX, params.N_FREQ)).astype(np.float32) * 3
    want = net(torch.from_numpy(x)).detach().numpy()
    model = to_keras(net)
    assert model.count_params() == 523329
    got = model.predict(x, verbose=0)
    assert np.abs(got - want).max() < 1e-5
    back = from_keras(model).eval()
    assert np.abs(back(torch.from_numpy(x)).detach().numpy() - want).max() < 1e-6


def test_event_scoring_and_why_accuracy_misleads():
    from triggerword.evaluate import frame_accuracy, labels_for, score_clips
    truths = [[3000], [7000], []]
    labels = [labels_for(t) for t in truths]
    silent = [np.zeros(params.TY) for _ in truths]
    assert frame_accuracy(silent, labels) > 0.9          # never firing still looks "accurate"
    assert score_clips(silent, truths)["f1"] == 0.0
    p = [np.zeros(params.TY) for _ in truths]
    p[0][415:440] = 0.9   # 415 steps = 3.018 s: a hit for the word ending at 3.0 s
    p[1][100:120] = 0.9   # 0.73 s: far from 7.0 s, a false alarm; the 7.0 s word is missed
    s = score_clips(p, truths)
    assert (s["hits"], s["false_alarms"], s["misses"]) == (1, 1, 1)
    assert s["precision"] == 0.5 and s["recall"] == 0.5


def test_sweep_keeps_dev_engine_and_false_alarm_audio_apart():
    from triggerword.evaluate import sweep
    hit = np.zeros(params.TY)
    hit[415:440] = 0.9                      # a hit for a word ending at 3.0 s
    dev = ([hit], [[3000]])
    engine = ([np.zeros(params.TY)], [[3000]])   # the same word missed on the held-out engine
    fa = [np.zeros(params.TY), hit]         # one detection in 20 s of audio without the word
    row = sweep(dev[0], dev[1], fa, thresholds=(0.5,), engine=engine)[0]
    assert row["f1"] == 1.0 and row["engine_f1"] == 0.0
    assert row["fa_per_hour"] == pytest.approx(180.0)   # 1 per 20 s
    assert sweep(dev[0], dev[1], thresholds=(0.95,))[0]["f1"] == 0.0 and \
        sweep(dev[0], dev[1], thresholds=(0.95,))[0]["engine_f1"] is None


def test_rate_interval_is_the_exact_poisson_interval():
    """Published exact (Garwood) 95 % limits for a Poisson count, per hour, and the interval covers
    the true rate at least 95 % of the time, as an exact interval must."""
    from triggerword.evaluate import rate_interval
    table = {0: (0.0, 3.689), 1: (0.0253, 5.572), 6: (2.202, 13.06), 10: (4.795, 18.39)}
    for count, (low, high) in table.items():
        assert rate_interval(count, 1.0) == pytest.approx((low, high), abs=2e-3)
    assert rate_interval(6, 0.5) == pytest.approx(tuple(2 * v for v in rate_interval(6, 1.0)))  # per hour
    rng = np.random.default_rng(0)
    for rate, hours in ((3.0, 1.0), (28.0, 0.48)):
        counts = rng.poisson(rate * hours, 4000)
        limits = {c: rate_interval(int(c), hours) for c in set(counts.tolist())}
        covered = np.mean([limits[c][0] <= rate <= limits[c][1] for c in counts.tolist()])
        assert 0.95 <= covered < 0.995


def test_f1_interval_bootstraps_over_clips():
    """Clips all right or all wrong leave no doubt; a mixed set's interval holds its F1, is the same for
    a seed, and four times the clips make it about half as wide."""
    from triggerword.evaluate import f1_interval
    assert f1_interval([[1, 0, 0]] * 10) == (1.0, 1.0)
    assert f1_interval([[0, 1, 1]] * 10) == (0.0, 0.0)
    mixed = [[1, 0, 0]] * 20 + [[0, 1, 1]] * 3 + [[0, 0, 1]] * 2    # F1 = 40 / 48
    low, high = f1_interval(mixed)
    assert low < 40 / 48 < high and (low, high) == f1_interval(mixed)
    low4, high4 = f1_interval(mixed * 4)
    assert 0.35 < (high4 - low4) / (high - low) < 0.65
    assert f1_interval(mixed, seed=1) != (low, high)


def test_grouped_rate_interval_resamples_whole_groups():
    """Groups that each hold the same rate leave no doubt; ten false alarms in one of a hundred prompts
    make a far wider interval than ten spread over ten prompts (and than the Poisson one, which cannot
    tell the two apart), reaching down to no false alarms at all."""
    from triggerword.evaluate import grouped_rate_interval, rate_interval
    assert grouped_rate_interval([(1, 100.0)] * 50) == pytest.approx((36.0, 36.0))
    bunched = [(10, 36.0)] + [(0, 36.0)] * 99       # 1 h in all, 10 false alarms in one prompt
    spread = [(1, 36.0)] * 10 + [(0, 36.0)] * 90
    low_b, high_b = grouped_rate_interval(bunched)
    low_s, high_s = grouped_rate_interval(spread)
    assert low_b == 0.0 and high_b >= 25.0           # the prompt left out of 37 % of resamples, in 3 copies of 8 %
    assert 2.0 <= low_s < 10.0 < high_s <= 20.0      # near the Poisson interval of 10: 4.8 to 18.4
    assert high_b - low_b > 1.5 * (high_s - low_s) and rate_interval(10, 1.0)[0] > 4.0
    assert grouped_rate_interval(spread) == (low_s, high_s) != grouped_rate_interval(spread, seed=1)
    assert all(np.isnan(grouped_rate_interval([])))


def write_wav(path, samples):
    wavfile.write(path, SR, np.clip(np.round(samples * 32767), -32768, 32767).astype(np.int16))


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    rng = np.random.default_rng(0)
    for kind in ("activates", "negatives", "backgrounds"):
        (root / kind).mkdir()
    for i in range(3):
        write_wav(root / "activates" / f"{i}.wav", tone(600 + 100 * i, 800 + 200 * i))
        write_wav(root / "negatives" / f"{i}.wav", tone(400, 2500 + 300 * i))
    write_wav(root / "backgrounds" / "0.wav", rng.standard_normal(params.CLIP_SAMPLES) * 0.02)
    (root / "activates" / "broken.wav").write_bytes(b"RIFF\x00\x00not a wav")
    return root


def test_corpus_errors_name_the_folder_and_the_fix(tmp_path, tiny_corpus, capsys):
    from triggerword.train import Corpus, CorpusError
    with pytest.raises(CorpusError, match="triggerword corpus"):
        Corpus(str(tmp_path / "missing"))
    corpus = Corpus(str(tiny_corpus))
    assert len(corpus.activates) == 3
    assert "broken.wav" in capsys.readouterr().out


def test_tiny_training_run_checkpoints_resumes_and_exports(tmp_path, tiny_corpus, capsys):
    pytest.importorskip("torch")
    from triggerword.model import load_model_f
    from triggerword.train import main
    run = tmp_path / "run"
    common = ["--corpus", str(tiny_corpus), "--dev", "", "--run", str(run), "--examples", "4",
              "--batch-size", "2", "--workers", "0"]
    assert main(common + ["--epochs", "1"]) == 0
    assert (run / "checkpoint.pt").exists() and (run / "keras" / "model.weights.h5").exists()
    assert main(common + ["--epochs", "2", "--resume", "--learning-rate", "5e-4",
                          "--set", "phrase_negatives=[1,3]"]) == 0
    import json
    recipe = json.loads((run / "recipe.json").read_text())["recipe"]
    assert recipe["phrase_negatives"] == [1, 3] and recipe["learning_rate"] == 5e-4
    with pytest.raises(SystemExit):     # an unknown recipe entry is refused before anything runs
        main(common + ["--epochs", "3", "--resume", "--set", "phrase_negativs=[1,3]"])
    with pytest.raises(SystemExit):     # so is a known entry with a value it cannot take
        main(common + ["--epochs", "3", "--resume", "--set", 'pitch_on="words"'])
    assert 'pitch_on must be "all" or "activate"' in capsys.readouterr().err
    rows = list(csv.DictReader(open(run / "log.csv")))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert [float(r["lr"]) for r in rows] == [1e-3, 5e-4]   # lowered on resume, and logged
    assert all(float(r["cpu_s"]) > 0 for r in rows)
    out = tmp_path / "exported"
    assert main(["--run", str(run), "--export", str(out)]) == 0
    model = load_model_f(str(out / "model.weights.h5"), str(out / "model.json"))
    assert model.count_params() == 523329
    info = json.loads((out / "export.json").read_text())
    assert info["epochs_run"] == 2 and info["epoch"] in (1, 2) and info["examples_seen"] == 4 * info["epoch"]
    last = tmp_path / "last"
    assert main(["--run", str(run), "--export", str(last), "--export-epoch", "last"]) == 0
    info = json.loads((last / "export.json").read_text())
    assert info["epoch"] == 2 and info["chosen_by"].startswith("the last epoch")
    assert info["init"] is None  # trained from scratch
    # --calibrate T: the same network, with 0.5 now where T was: logit(new) = logit(old) - logit(T)
    shifted = tmp_path / "shifted"
    assert main(["--run", str(run), "--export", str(shifted), "--export-epoch", "last", "--calibrate", "0.7"]) == 0
    assert json.loads((shifted / "export.json").read_text())["calibrated_threshold"] == 0.7
    x = np.random.default_rng(0).random((1, params.TX, params.N_FREQ), dtype=np.float32)
    p_old = load_model_f(str(last / "model.weights.h5")).predict(x, verbose=0).astype(np.float64)
    p_new = load_model_f(str(shifted / "model.weights.h5")).predict(x, verbose=0).astype(np.float64)
    logit = lambda p: np.log(p / (1 - p))
    assert np.allclose(logit(p_new), logit(p_old) - logit(0.7), atol=1e-3)
    assert np.mean((p_new > 0.5) != (p_old > 0.7)) < 1e-3   # the same steps fire (ties aside)
    for bad in (["--calibrate", "1.5", "--export", str(tmp_path / "x")], ["--calibrate", "0.7"]):
        with pytest.raises(SystemExit):
            main(["--run", str(run)] + bad)
    assert not (tmp_path / "x").exists()

    # a run started from exported weights records them; a resume without --init keeps the record
    run2, init = tmp_path / "run2", str(out / "model.weights.h5")
    common2 = [str(run2) if a == str(run) else a for a in common]
    assert main(common2 + ["--epochs", "1", "--init", init]) == 0
    assert main(common2 + ["--epochs", "2", "--resume"]) == 0
    # a resume without --epochs stops where the run was last meant to stop (here 2), not at the default 20
    assert main(common2 + ["--resume"]) == 0
    assert [r["epoch"] for r in csv.DictReader(open(run2 / "log.csv"))] == ["1", "2"]
    assert json.loads((run2 / "recipe.json").read_text())["init"] == init
    assert main(["--run", str(run2), "--export", str(tmp_path / "e2"), "--export-epoch", "last"]) == 0
    assert json.loads((tmp_path / "e2" / "export.json").read_text())["init"] == init

    # evaluate end to end with an ablation row: a copy of the run whose recipe differs in one entry,
    # with the same weights, must score exactly as the model itself and show only that difference
    import shutil
    from triggerword import evaluate
    other = tmp_path / "other"
    shutil.copytree(run, other)
    changed = json.loads((other / "recipe.json").read_text())
    changed["recipe"]["p_reverb"] = 0.9
    (other / "recipe.json").write_text(json.dumps(changed))
    dev, fa = tmp_path / "dev", tmp_path / "fa"
    dev.mkdir(), fa.mkdir()
    for name in ("001.wav", "002.wav"):
        shutil.copy(ROOT / "raw_data" / "dev" / name, dev / name)
        shutil.copy(ROOT / "raw_data" / "backgrounds" / name, fa / name)
    (dev / "labels.json").write_text(json.dumps({"001.wav": [5250], "002.wav": [4292]}))
    report = tmp_path / "EVAL.md"
    assert evaluate.main(["--model", str(run / "keras" / "model.weights.h5"), "--dev", str(dev), "--fa", str(fa),
                          "--run", str(run), "--compare", f"reverb={other}", "--report", str(report),
                          "--levels", "-20", "asis", "--shifts", "0", "-3", "--highpass", "0", "300",
                          "--rates", "0", "8000"]) == 0
    text = report.read_text()
    row = [line for line in text.splitlines() if line.startswith("| reverb")]
    assert len(row) == 1 and "| p_reverb=0.9 |" in row[0] and "| 2 |" in row[0]
    # a fresh checkout has no keras/ folder: the committed final.weights.h5 gives the same row
    kept = tmp_path / "kept"
    shutil.copytree(other, kept, ignore=shutil.ignore_patterns("keras"))
    shutil.copy(other / "keras" / "model.weights.h5", kept / "final.weights.h5")
    report2 = tmp_path / "EVAL2.md"
    assert evaluate.main(["--model", str(run / "keras" / "model.weights.h5"), "--dev", str(dev), "--fa", str(fa),
                          "--run", str(run), "--compare", f"reverb={kept}", "--report", str(report2)]) == 0
    again = [line for line in report2.read_text().splitlines() if line.startswith("| reverb")]
    assert [line.replace(str(kept), str(other)) for line in again] == row
    own = re.search(r"precision (\d\.\d+), recall (\d\.\d+), F1 (\d\.\d+)", text).groups()
    assert f"| {own[0]} / {own[1]} / {own[2]} |" in row[0]
    # the loudness table: at -20 dBFS the clips are prepared as usual, so the scores are the model's own
    assert "## Loudness" in text and f"| -20 dBFS | {own[0]} / {own[1]} / {own[2]} |" in text
    assert len([line for line in text.splitlines() if line.startswith("| as recorded | ")]) == 1
    # the pitch table: no shift is the model's own score; a shifted row is there, scored on its own
    assert "## Pitch" in text and f"| +0 | {own[0]} / {own[1]} / {own[2]} |" in text
    assert len([line for line in text.splitlines() if line.startswith("| -3 | ")]) == 1
    # the bass-cut table: no cut is the model's own score; the 300 Hz row is there
    assert "## Bass cut" in text and f"| 0 | {own[0]} / {own[1]} / {own[2]} |" in text
    assert len([line for line in text.splitlines() if line.startswith("| 300 | ")]) == 1
    # the sample-rate table: the clip as made is the model's own score; the 8 kHz row is there
    assert "## Sample rate" in text and f"| as made | {own[0]} / {own[1]} / {own[2]} |" in text
    assert len([line for line in text.splitlines() if line.startswith("| 8000 | ")]) == 1
    for bad in ("16k", "-8000", "500", "96000"):
        with pytest.raises(SystemExit):
            evaluate.main(["--dev", str(dev), "--rates", bad])
    with pytest.raises(SystemExit):
        evaluate.main(["--dev", str(dev), "--levels", "loud"])
    with pytest.raises(SystemExit):
        evaluate.main(["--dev", str(dev), "--compare", f"none={tmp_path / 'missing'}"])


def test_set_dropout_reaches_the_network(tmp_path, tiny_corpus):
    """``--set dropout=R`` trains at R, as the recipe it writes says: one epoch from the same start,
    seed and examples ends at another loss for another rate, and at the same loss for the same one.
    (It once only reached recipe.json: the network was built before ``--set`` was read.)"""
    pytest.importorskip("torch")
    from triggerword.train import main

    def loss(name, rate):
        run = tmp_path / name
        assert main(["--corpus", str(tiny_corpus), "--dev", "", "--run", str(run), "--examples", "4",
                     "--batch-size", "2", "--workers", "0", "--epochs", "1", "--set", f"dropout={rate}"]) == 0
        assert json.loads((run / "recipe.json").read_text())["recipe"]["dropout"] == rate
        return float(next(csv.DictReader(open(run / "log.csv")))["loss"])

    low, high, again = loss("low", 0.1), loss("high", 0.9), loss("again", 0.1)
    assert low == again and abs(low - high) > 1e-4


def test_pitch_shift_moves_a_tone_by_its_semitones_and_keeps_its_timing(tmp_path):
    """``evaluate --shifts``: a 2 kHz tone from 4.0 to 5.0 s, an octave up or down, must peak at 4 or
    1 kHz at the same time; no shift must be the workbook's own preparation, bit for bit."""
    from td_utils import clip_spectrogram
    from triggerword.evaluate import clip_features
    rate = params.SAMPLE_RATE
    t = np.arange(rate) / rate
    x = np.zeros(10 * rate)
    x[4 * rate:5 * rate] = 8000 * np.sin(2 * np.pi * 2000 * t) * np.hanning(rate) ** 0.1
    path = tmp_path / "tone.wav"
    wavfile.write(path, rate, x.astype(np.int16))
    assert np.array_equal(clip_features(str(path)), clip_spectrogram(str(path)).T.astype(np.float32))
    bin_hz = rate / params.NFFT
    for semitones, hz in ((0, 2000), (12, 4000), (-12, 1000), (-4, 2000 * 2 ** (-4 / 12))):
        f = clip_features(str(path), semitones=semitones)
        assert f.shape == (params.TX, params.N_FREQ)
        db = 10 * np.log10(f.max(axis=1) + 1e-12)                    # the features are power
        loud = np.flatnonzero(db > db.max() - 20)                    # steps within 20 dB of the peak
        onset, offset = loud[0] * params.HOP / rate, loud[-1] * params.HOP / rate
        assert abs(onset - 4.0) < 0.03 and abs(offset - 5.0) < 0.03, (semitones, onset, offset)
        middle = f[int(4.5 * rate / params.HOP)]
        assert abs(np.argmax(middle) - hz / bin_hz) <= 1, (semitones, np.argmax(middle) * bin_hz)


def test_highpass_cuts_the_bass_and_keeps_the_rest(tmp_path):
    """``evaluate --highpass``: a 220.5 Hz (bin 1) and a 2 kHz tone together; cut below f, the low tone must
    fall against the 2 kHz one as a 2nd-order Butterworth says, 10 log10(1 + (f / 220.5)^4) dB (2.2 dB at
    200 Hz, 22.5 dB at 800 Hz), within 1 dB; no cut must be the workbook's own preparation, bit for bit."""
    from td_utils import clip_spectrogram
    from triggerword.evaluate import clip_features
    rate = params.SAMPLE_RATE
    t = np.arange(10 * rate) / rate
    x = 4000 * np.sin(2 * np.pi * 220.5 * t) + 4000 * np.sin(2 * np.pi * 2000 * t)
    path = tmp_path / "two.wav"
    wavfile.write(path, rate, x.astype(np.int16))
    assert np.array_equal(clip_features(str(path), highpass_hz=0), clip_spectrogram(str(path)).T.astype(np.float32))
    high = int(round(2000 / (rate / params.NFFT)))

    def ratio_db(f):  # the low tone (bin 1) against the 2 kHz one, in the middle of the clip
        middle = f[params.TX // 4: 3 * params.TX // 4].mean(axis=0)
        return 10 * np.log10(middle[1] / middle[high])
    plain = ratio_db(clip_features(str(path)))
    for hz in (100, 200, 400, 800):
        drop = plain - ratio_db(clip_features(str(path), highpass_hz=hz))
        assert abs(drop - 10 * np.log10(1 + (hz / 220.5) ** 4)) < 1, (hz, drop)


def test_a_lower_sample_rate_removes_what_lies_above_its_half_and_keeps_the_rest(tmp_path):
    """``evaluate --rates``: tones at 2, 6 and 10 kHz, taken through a lower rate and back. What lies above
    half that rate must fall by 40 dB or more, what lies below three quarters of that half must stay within
    0.5 dB (between the two is the filter's transition band: 10 kHz through 22,050 Hz), the clip
    keeps its length and timing, and 0 must be the workbook's own preparation, bit for bit."""
    from td_utils import clip_spectrogram
    from triggerword.evaluate import clip_features
    rate = params.SAMPLE_RATE
    t = np.arange(10 * rate) / rate
    x = sum(3000 * np.sin(2 * np.pi * hz * t) for hz in (2000, 6000, 10000))
    x[:2 * rate] = 0                                                  # silence, then the tones from 2 s
    path = tmp_path / "three.wav"
    wavfile.write(path, rate, x.astype(np.int16))
    assert np.array_equal(clip_features(str(path), rate_hz=0), clip_spectrogram(str(path)).T.astype(np.float32))
    bin_hz = rate / params.NFFT

    def levels_db(f):  # each tone's bin, in the middle of the clip, against the same bin as made
        middle = f[params.TX // 2: 3 * params.TX // 4].mean(axis=0)
        return np.array([10 * np.log10(middle[int(round(hz / bin_hz))]) for hz in (2000, 6000, 10000)])
    plain = clip_features(str(path), target_dbfs=None)
    tones = np.array([2000, 6000, 10000])
    for low in (22050, 16000, 8000):
        f = clip_features(str(path), target_dbfs=None, rate_hz=low)
        assert f.shape == plain.shape
        drop = levels_db(plain) - levels_db(f)
        assert np.all(np.abs(drop[tones < 0.75 * low / 2]) < 0.5), (low, drop)
        assert np.all(drop[tones > low / 2] > 40), (low, drop)
        loud = np.flatnonzero(f.sum(axis=1) > f.sum(axis=1).max() / 100)  # the tones still start at 2 s
        assert abs(loud[0] * params.HOP / rate - 2.0) < 0.01, (low, loud[0] * params.HOP / rate)


def test_model_file_of_another_architecture_says_what_differs(tmp_path):
    import keras
    from triggerword.model import ModelFileError, load_model_f
    inp = keras.Input((params.TX, params.N_FREQ))
    other = keras.Model(inp, keras.layers.Dense(1)(keras.layers.Conv1D(8, 15, strides=4)(inp)))
    path = tmp_path / "other.keras"
    other.save(path)
    with pytest.raises(ModelFileError, match=r"other\.keras: 3 layers, model_f has 13"):
        load_model_f(str(path))
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model_f(str(tmp_path / "none.weights.h5"))
    (tmp_path / "model.json").write_text(other.to_json())
    (tmp_path / "take.wav").write_bytes(b"RIFF")
    with pytest.raises(ModelFileError, match=r"model\.json: not a model_f weights file.*architecture only"):
        load_model_f(str(tmp_path / "model.json"))
    with pytest.raises(ModelFileError, match=r"take\.wav: not a model_f weights file: expected \.weights\.h5 or \.keras$"):
        load_model_f(str(tmp_path / "take.wav"))


def test_device_errors_are_one_line_and_write_nothing(tmp_path, capsys):
    import torch
    from triggerword.train import main
    run = tmp_path / "run"
    assert main(["--run", str(run), "--device", "foo"]) == 1
    assert "--device foo: not a PyTorch device" in capsys.readouterr().err
    if not torch.cuda.is_available():
        assert main(["--run", str(run), "--device", "cuda"]) == 1
        assert "sees no CUDA GPU" in capsys.readouterr().err
    assert not run.exists()


def test_mined_clips_are_drawn_more_often_by_their_score(tmp_path, tiny_corpus):
    import json
    from triggerword.train import RECIPE, Corpus, CorpusError, load_corpus, read_mined
    plain = Corpus(str(tiny_corpus))
    assert plain.negative_names == ["negatives/0.wav", "negatives/1.wav", "negatives/2.wav"]
    scores = {"negatives/0.wav": 1.0, "negatives/1.wav": 0.1, "negatives/9.wav": 0.5}
    path = tmp_path / "mined.json"
    path.write_text(json.dumps({"scores": scores}))
    warnings = []
    corpus = load_corpus(str(tiny_corpus), dict(RECIPE, hard_negatives=str(path), hard_weight=4), warn=warnings.append)
    # 0.wav (score 1.0) four more times; 1.wav's round(0.4) = 0 copies; 9.wav is not in this corpus
    assert len(corpus.negatives) == 3 + 4 and corpus.hard_copies == 4
    assert corpus.negative_names[3:] == ["negatives/0.wav"] * 4
    assert all(np.array_equal(x, plain.negatives[0]) for x in corpus.negatives[3:])
    assert any("negatives/9.wav" in w and str(path) in w for w in warnings)
    # two rounds of mining: each clip counts with the higher of its two scores
    second = tmp_path / "mined2.json"
    second.write_text(json.dumps({"scores": {"negatives/0.wav": 0.2, "negatives/1.wav": 0.5}}))
    both = load_corpus(str(tiny_corpus), dict(RECIPE, hard_negatives=[str(path), str(second)], hard_weight=4))
    assert both.negative_names[3:] == ["negatives/0.wav"] * 4 + ["negatives/1.wav"] * 2
    # hard_weight 0 (the default) reads no file: recipes written before mining are unchanged
    assert len(load_corpus(str(tiny_corpus), dict(RECIPE, hard_negatives=str(tmp_path / "none.json"))).negatives) == 3
    with pytest.raises(CorpusError, match="none.json: no such file.*triggerword mine"):
        read_mined(str(tmp_path / "none.json"))
    path.write_text(json.dumps({"scores": {"negatives/0.wav": 2.0}}))
    with pytest.raises(CorpusError, match="mined.json: not a file of mined negatives"):
        read_mined(str(path))


def test_mine_ranks_a_word_hidden_among_the_negatives_first(tmp_path, capsys):
    """The shipped model, scoring raw_data's negatives with one "activate" slipped in among them,
    puts that clip first; the file is written once, deterministically, and never overwritten."""
    import json
    import shutil
    pytest.importorskip("torch")
    from triggerword.mine import main
    root = tmp_path / "corpus"
    (root / "negatives").mkdir(parents=True)
    for name in sorted(os.listdir(ROOT / "raw_data" / "negatives"))[:8]:
        shutil.copy(ROOT / "raw_data" / "negatives" / name, root / "negatives" / name)
    shutil.copy(ROOT / "raw_data" / "activates" / "001.wav", root / "negatives" / "zz-planted.wav")
    shutil.copytree(ROOT / "raw_data" / "backgrounds", root / "backgrounds")
    shutil.copytree(ROOT / "raw_data" / "activates", root / "activates")
    model = str(ROOT / "models" / "model.weights.h5")
    out = tmp_path / "mined.json"
    assert main(["--model", model, "--corpus", str(root), "--out", str(out), "--threads", "1"]) == 0
    scores = json.loads(out.read_text())["scores"]
    assert len(scores) == 9 and all(0.0 <= s <= 1.0 for s in scores.values())
    ranked = sorted(scores, key=scores.get, reverse=True)
    assert ranked[0] == "negatives/zz-planted.wav" and scores[ranked[0]] >= 0.5
    assert np.median(list(scores.values())) < 0.5
    assert main(["--model", model, "--corpus", str(root), "--out", str(out)]) == 1
    assert "exists" in capsys.readouterr().err
    again = tmp_path / "again.json"
    assert main(["--model", model, "--corpus", str(root), "--out", str(again), "--threads", "1"]) == 0
    assert json.loads(again.read_text())["scores"] == scores
    capsys.readouterr()
    assert main(["--model", model, "--corpus", str(tmp_path / "missing"), "--out", str(tmp_path / "x.json")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing" in err[0] and "triggerword corpus" in err[0]


def test_a_second_false_alarm_hour_is_scored_apart(tmp_path, capsys):
    """--fa2 is scored on its own: clips holding the word count as false alarms there and only there."""
    import json
    import shutil
    from triggerword import evaluate
    dev, fa, fa2, talk = tmp_path / "dev", tmp_path / "fa", tmp_path / "fa2", tmp_path / "talk"
    for d in (dev, fa, fa2, talk):
        d.mkdir()
    for name in ("001.wav", "002.wav"):
        shutil.copy(ROOT / "raw_data" / "dev" / name, dev / name)
        shutil.copy(ROOT / "raw_data" / "dev" / name, fa2 / name)  # each holds one "activate"
        shutil.copy(ROOT / "raw_data" / "dev" / name, talk / name)  # the everyday hour, here the same clips
        streamkit.quiet_clip(fa / name, 200.0 if name == "001.wav" else 300.0)
    (dev / "labels.json").write_text(json.dumps({"001.wav": [5250], "002.wav": [4292]}))
    report = tmp_path / "EVAL.md"
    assert evaluate.main(["--model", str(ROOT / "models" / "model.weights.h5"), "--dev", str(dev), "--fa", str(fa),
                          "--fa2", str(fa2), "--talk", str(talk), "--json", "--report", str(report)]) == 0
    out = json.loads(capsys.readouterr().out)
    at = out["at_threshold"]
    hits = at["hits"] + at["false_alarms"]  # every detection in the dev clips
    assert at["hits"] == 2 and at["fa_per_hour"] == 0.0
    assert at["fa2_per_hour"] == pytest.approx(hits * 3600 / 20) and at["fa2_clips"] == 2
    row = next(r for r in out["sweep"] if r["threshold"] == 0.5)
    assert row["fa2_per_hour"] == at["fa2_per_hour"] and row["fa_per_hour"] == 0.0
    assert at["talk_per_hour"] == at["fa2_per_hour"] == row["talk_per_hour"] and at["talk_clips"] == 2
    text = report.read_text()
    assert f"(second hour: {at['fa2_per_hour']:.1f}; everyday talk: {at['talk_per_hour']:.1f})" in text
    sure = {r["measure"]: r for r in at["intervals"]}   # how sure: the counts behind each figure
    assert sure["false alarms / h, second hour"]["basis"] == f"{hits} in 0.01 h"
    assert sure["false alarms / h, first hour"]["low"] == 0.0 and sure["dev set: F1"]["basis"] == "2 clips, 2 words"
    assert f"| false alarms / h, second hour | {at['fa2_per_hour']:.1f} | {hits} in 0.01 h |" in text
    assert "| false alarms / h | false alarms / h, second hour | false alarms / h, everyday talk | held-out" in text
    fa2 = f"{row['fa2_per_hour']:.1f}"
    assert f"| 0.50 | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | 0.0 | {fa2} | {fa2} |" in text
    assert evaluate.main(["--dev", str(dev), "--fa2", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "none: no such folder" in err[0] and "--seed 8" in err[0]
    assert evaluate.main(["--dev", str(dev), "--talk", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "none: no such folder" in err[0] and "--target everyday" in err[0]


def test_prediction_in_chunks_gives_what_one_call_gives_and_holds_no_features(tmp_path, capsys):
    """``read_and_predict`` reads and predicts a few clips at a time (so ``evaluate`` no longer holds
    every clip's features, which peaked at 12 GB on the real-speech set): its probabilities equal one
    call on all the clips, with a chunk that does not divide the count; features come back only when
    kept; a broken clip is skipped with a warning on stderr, so ``--json`` on stdout stays JSON."""
    import json
    import shutil
    from triggerword import evaluate
    from triggerword.model import load_model_f
    model = load_model_f(str(ROOT / "models" / "model.weights.h5"))
    folder = tmp_path / "fa"
    folder.mkdir()
    names = ["001.wav", "002.wav", "003.wav", "004.wav", "005.wav"]
    for i, name in enumerate(names):
        shutil.copy(ROOT / "raw_data" / "dev" / name, folder / name)
    _, feats = evaluate.read_clips(str(folder))
    whole = evaluate.predict_keras(model, feats, chunk=len(feats))
    kept, held, probs = evaluate.read_and_predict(model, str(folder), chunk=2)
    assert kept == names and held is None and probs.shape == whole.shape
    np.testing.assert_allclose(probs, whole, atol=1e-6)
    assert float(whole.max()) > 0.5  # the dev clips hold the word: a real answer, not all zeros
    _, held, _ = evaluate.read_and_predict(model, str(folder), chunk=2, keep=True)
    assert len(held) == 5 and all(np.array_equal(a, b) for a, b in zip(held, feats))
    (folder / "000.wav").write_bytes(b"RIFF not a wave")
    dev = tmp_path / "dev"
    dev.mkdir()
    shutil.copy(ROOT / "raw_data" / "dev" / "001.wav", dev / "001.wav")
    (dev / "labels.json").write_text(json.dumps({"001.wav": [5250]}))
    capsys.readouterr()
    assert evaluate.main(["--model", str(ROOT / "models" / "model.weights.h5"), "--dev", str(dev),
                          "--fa", str(folder), "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["at_threshold"]["fa_clips"] == 5
    assert "000.wav" in captured.err and "warning: skipped" in captured.err


def test_extra_labelled_sets_are_scored_on_their_own_in_every_table(tmp_path, capsys):
    """--extra LABEL=DIR: a labelled folder scored apart (at the threshold, across the sweep, for each
    --compare run and in the report). The same two dev clips under their true labels and under labels
    moved 3 s away: every detection that hits in the first is a false alarm in the second."""
    import json
    import shutil
    from triggerword import evaluate
    truth = json.loads((ROOT / "raw_data" / "dev" / "labels.json").read_text())
    sets = {"true": tmp_path / "true", "moved": tmp_path / "moved"}
    for d in sets.values():
        d.mkdir()
        for name in ("001.wav", "002.wav"):
            shutil.copy(ROOT / "raw_data" / "dev" / name, d / name)
    (sets["true"] / "labels.json").write_text(json.dumps({n: truth[n] for n in ("001.wav", "002.wav")}))
    (sets["moved"] / "labels.json").write_text(json.dumps({n: [(e + 3000) % 9000 for e in truth[n]]
                                                           for n in ("001.wav", "002.wav")}))
    run = tmp_path / "run"   # a --compare run holding the very same weights
    run.mkdir()
    shutil.copy(ROOT / "models" / "model.weights.h5", run / "final.weights.h5")
    report = tmp_path / "EVAL.md"
    common = ["--model", str(ROOT / "models" / "model.weights.h5"), "--dev", str(ROOT / "raw_data" / "dev"),
              "--extra", f"true={sets['true']}", "--extra", f"moved={sets['moved']}"]
    assert evaluate.main(common + ["--compare", f"same weights={run}", "--json", "--report", str(report)]) == 0
    out = json.loads(capsys.readouterr().out)
    true, moved = out["at_threshold"]["extra"]["true"], out["at_threshold"]["extra"]["moved"]
    assert true["clips"] == moved["clips"] == 2 and true["activates"] == sum(len(truth[n]) for n in ("001.wav", "002.wav"))
    assert true["hits"] >= 1 and moved["hits"] == 0 and moved["f1"] == 0.0
    assert moved["false_alarms"] == true["hits"] + true["false_alarms"]   # the same detections, none where the labels say
    row = next(r for r in out["sweep"] if r["threshold"] == 0.5)
    assert row["extra_f1"] == {"true": true["f1"], "moved": 0.0}
    assert out["at_threshold"]["compared"][0]["extra_f1"] == {"true": true["f1"], "moved": 0.0}
    text = report.read_text()
    assert f"- true: `{sets['true']}`: 2 clips" in text and "| held-out engine F1 | true F1 | moved F1 |" in text
    assert f" {true['f1']:.3f} | 0.000 |" in text
    # a folder without labels: one line naming the file; a set without a label is refused
    (tmp_path / "bare").mkdir()
    assert evaluate.main(["--extra", f"bare={tmp_path / 'bare'}"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bare/labels.json: no labels" in err[0] and "--extra bare" in err[0]
    with pytest.raises(SystemExit):
        evaluate.main(["--extra", str(sets["true"])])
    capsys.readouterr()
    # labels that are not JSON, or not {clip: [end ms]}: one line naming the file, no traceback
    for bad in ("{not json", '{"001.wav": "5250"}', "[5250]", '{"001.wav": [true]}'):
        (tmp_path / "bare" / "labels.json").write_text(bad)
        assert evaluate.main(["--dev", str(tmp_path / "bare")]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "bare/labels.json: " in err[0], (bad, err)
        assert ("not a readable labels file" if bad.startswith("{not") else "expected {") in err[0]


def test_evaluate_checks_what_it_writes_and_reads_before_scoring(tmp_path, capsys):
    """--report and --plot never replace an input or, without --force, any file (before, --report onto
    the model turned it into Markdown); a bad name, a folder under a file, label ends outside the clip,
    a set with no readable clip and options out of range each get one line, not a traceback."""
    import shutil
    from triggerword import evaluate
    dev = tmp_path / "dev"
    dev.mkdir()
    for name in ("001.wav", "002.wav"):
        shutil.copy(ROOT / "raw_data" / "dev" / name, dev / name)
    (dev / "labels.json").write_text(json.dumps({"001.wav": [5250], "002.wav": []}))
    model = tmp_path / "m.weights.h5"
    shutil.copy(ROOT / "models" / "model.weights.h5", model)
    old = tmp_path / "old.md"
    old.write_text("a user's notes")
    kept = {p: p.read_bytes() for p in (model, dev / "labels.json", old)}
    base = ["--dev", str(dev), "--model", str(model)]
    for extra, message in ((["--report", str(model)], "the name must end with .md"),
                           (["--plot", str(dev / "labels.json")], "the name must end with .png, .pdf or .svg"),
                           (["--report", str(old)], "already exists; choose a new name or pass --force"),
                           (["--report", str(old / "r.md")], f"{old} is a file, not a folder")):
        assert evaluate.main(base + extra) == 1, extra
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], (extra, err)
    assert {p: p.read_bytes() for p in kept} == kept
    assert evaluate.main(base + ["--report", str(old), "--force", "--plot", str(tmp_path / "new" / "s.svg")]) == 0
    assert old.read_text().startswith("# Evaluation") and (tmp_path / "new" / "s.svg").is_file()
    assert not [p for p in tmp_path.rglob("*") if ".part" in p.name]
    capsys.readouterr()
    for bad in ("[-5]", "[10001]", "[NaN]", "[Infinity]"):
        (dev / "labels.json").write_text('{"001.wav": %s}' % bad)
        assert evaluate.main(base) == 1, bad
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "labels.json: 001.wav: the end" in err[0] and "0-10000 ms" in err[0], (bad, err)
    (dev / "labels.json").write_text('{"gone.wav": [5000]}')
    assert evaluate.main(base) == 1
    assert "no clip of its labels.json could be read" in capsys.readouterr().err
    (dev / "labels.json").write_text(json.dumps({"001.wav": [5250]}))
    (tmp_path / "silent").mkdir()
    assert evaluate.main(base + ["--fa", str(tmp_path / "silent")]) == 1
    assert "silent: no clip in it could be read" in capsys.readouterr().err
    for option, value in (("--threshold", "nan"), ("--threshold", "1"), ("--shifts", "200"),
                          ("--highpass", "30000"), ("--highpass", "-100"), ("--levels", "nan")):
        with pytest.raises(SystemExit):
            evaluate.main(base + [option, value])
        assert f"argument {option}: " in capsys.readouterr().err


def test_evaluate_finds_the_projects_model_and_dev_set_from_another_folder(tmp_path, monkeypatch, capsys):
    """Run from a folder without models/ and raw_data/, evaluate scores the project's model on its dev
    set (as detect finds the model), and says so in the report."""
    from triggerword import evaluate
    monkeypatch.chdir(tmp_path)
    assert evaluate.main(["--json", "--report", "EVAL.md"]) == 0
    at = json.loads(capsys.readouterr().out)["at_threshold"]
    assert at["hits"] + at["misses"] == sum(len(v) for v in evaluate.load_labels(ROOT / "raw_data" / "dev").values())
    text = (tmp_path / "EVAL.md").read_text()
    assert f"- model: `{ROOT / 'models' / 'model.weights.h5'}`" in text and f"`{ROOT / 'raw_data' / 'dev'}`" in text


def test_a_dev_set_with_broken_labels_is_one_line_for_the_trainer(tmp_path):
    """train.dev_set: labels.json that is not {clip: [end ms]} is a CorpusError naming the file (one line)."""
    from triggerword.train import CorpusError, dev_set
    (tmp_path / "labels.json").write_text('{"001.wav": 5250}')
    with pytest.raises(CorpusError) as info:
        dev_set(str(tmp_path))
    assert str(info.value).startswith(f"--dev: {tmp_path / 'labels.json'}: expected") and "\n" not in str(info.value)


def test_log_keeps_every_epoch_when_the_dev_columns_come_and_go(tmp_path):
    """A run scored on a dev set, then resumed with --dev none (a GPU machine without the dev clips),
    logged rows with and without precision/recall/f1: the log must keep them all, old cells intact."""
    from triggerword.train import write_log
    log = [{"epoch": 1, "loss": 0.4, "precision": 0.7, "recall": 0.6, "f1": 0.65},
           {"epoch": 2, "loss": 0.3},
           {"epoch": 3, "loss": 0.2, "f1": 0.8}]
    path = tmp_path / "log.csv"
    path.write_text("what an earlier epoch wrote\n")
    write_log(str(path), log)
    rows = list(csv.DictReader(open(path)))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["f1"] == "0.65" and rows[1]["f1"] == "" and rows[2]["f1"] == "0.8"
    assert list(rows[0]) == ["epoch", "loss", "precision", "recall", "f1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv"]  # no temporary file left behind


def test_ema_ships_an_average_and_resumes_exactly(tmp_path, tiny_corpus, capsys):
    """--set ema=D: training itself is unchanged, the run ships the moving average of its weights,
    and a resumed run averages on exactly as one that never stopped."""
    torch = pytest.importorskip("torch")
    from triggerword.model import load_model_f
    from triggerword.torch_model import keras_weights, TorchModelF
    from triggerword.train import main

    def run(name, *extra):
        return ["--corpus", str(tiny_corpus), "--dev", "", "--run", str(tmp_path / name), "--examples", "4",
                "--batch-size", "2", "--workers", "0", "--threads", "1", *extra]

    assert main(run("plain", "--epochs", "2")) == 0
    assert main(run("ema", "--epochs", "2", "--set", "ema=0.5")) == 0
    assert main(run("resumed", "--epochs", "1", "--set", "ema=0.5")) == 0
    assert main(run("resumed", "--epochs", "2", "--resume")) == 0
    load = lambda name: torch.load(tmp_path / name / "checkpoint.pt", map_location="cpu", weights_only=False)
    plain, ema, resumed = load("plain"), load("ema"), load("resumed")
    same = lambda a, b: all(torch.equal(a[k], b[k]) for k in a)
    assert same(plain["model"], ema["model"])              # the average does not change what is trained
    assert same(plain["weights"], plain["model"])          # without ema the run ships what it trained
    assert not same(ema["weights"], ema["model"])          # with it, something else: the average
    assert same(resumed["weights"], ema["weights"]) and same(resumed["model"], ema["model"])
    # what keras/ holds and what --export writes are the average
    net = TorchModelF()
    net.load_state_dict(ema["weights"])
    want = keras_weights(net)
    got = load_model_f(str(tmp_path / "ema" / "keras" / "model.weights.h5")).get_weights()
    assert all(np.allclose(w, g, atol=1e-6) for w, g in zip(want, got))
    assert main(["--run", str(tmp_path / "ema"), "--export", str(tmp_path / "out"), "--export-epoch", "last"]) == 0
    exported = load_model_f(str(tmp_path / "out" / "model.weights.h5")).get_weights()
    assert all(np.allclose(w, g, atol=1e-6) for w, g in zip(want, exported))
    # trained without a dev set: no dev F1 is claimed (once it printed minus the loss as "dev F1")
    assert "(epoch 2, no dev set)" in capsys.readouterr().out
    assert json.loads((tmp_path / "out" / "export.json").read_text())["dev_f1"] is None


def test_spike_weight_changes_training_only_when_set(tmp_path, tiny_corpus):
    """--set spike_weight=W adds the spike loss to what is trained and logged; W = 0 trains as before."""
    torch = pytest.importorskip("torch")
    from triggerword.train import main

    def run(name, *extra):
        assert main(["--corpus", str(tiny_corpus), "--dev", "", "--run", str(tmp_path / name), "--examples", "4",
                     "--batch-size", "2", "--workers", "0", "--threads", "1", "--epochs", "1", *extra]) == 0
        return torch.load(tmp_path / name / "checkpoint.pt", map_location="cpu", weights_only=False)

    plain, zero, spike = run("plain"), run("zero", "--set", "spike_weight=0"), run("spike", "--set", "spike_weight=1")
    same = lambda a, b: all(torch.equal(a[k], b[k]) for k in a)
    assert same(plain["model"], zero["model"])
    assert not same(plain["model"], spike["model"])
    assert spike["log"][0]["loss"] > plain["log"][0]["loss"]  # the logged loss is the sum of both terms
    assert spike["recipe"]["spike_weight"] == 1 and spike["recipe"]["spike_top"] == 8


def test_smooth_labels_moves_both_ends_halfway_by_eps():
    torch = pytest.importorskip("torch")
    from triggerword.train import smooth_labels
    y = torch.tensor([0.0, 1.0, 0.5])
    assert torch.allclose(smooth_labels(y, 0.1), torch.tensor([0.05, 0.95, 0.5]))
    assert torch.equal(smooth_labels(y, 0.0), y)


def test_mixup_blends_inputs_and_labels_by_the_same_weight_with_another_example():
    """Each chosen example is lam * itself + (1 - lam) * another one of the batch, its labels the same
    blend, lam at least 0.5; with p = 0 nothing moves; the same generator seed mixes the same way."""
    torch = pytest.importorskip("torch")
    from triggerword.train import mixup
    n = 16
    x = torch.arange(n, dtype=torch.float32).view(n, 1, 1).repeat(1, 3, 2) + 100  # example i holds 100 + i
    y = torch.zeros(n, 4, 1)
    y[0] = 1.0                                          # only example 0 holds the word
    same_x, same_y = mixup(x, y, 0.0, 0.4, torch.Generator().manual_seed(0))
    assert torch.equal(same_x, x) and torch.equal(same_y, y)

    mx, my = mixup(x, y, 1.0, 0.4, torch.Generator().manual_seed(3))
    again = mixup(x, y, 1.0, 0.4, torch.Generator().manual_seed(3))
    assert torch.equal(mx, again[0]) and torch.equal(my, again[1])
    assert torch.all(mx == mx[:, :1, :1])                # one weight per example, over every step and bin
    assert 0.5 - 1e-6 <= float(my[0].min()) < 1.0        # the word's example keeps at least half its label
    moved = [i for i in range(n) if mx[i, 0, 0] != x[i, 0, 0]]
    assert len(moved) >= n - 1                           # p = 1: all mixed (a lam of exactly 1 is possible)
    for i in range(1, n):                                # the others got word only from example 0's share
        lam_label = float(my[i, 0, 0])                   # = (1 - lam) if i was mixed with 0, else 0
        if lam_label > 0:
            assert float(mx[i, 0, 0]) == pytest.approx((1 - lam_label) * (100 + i) + lam_label * 100, rel=1e-5)
            assert lam_label <= 0.5 + 1e-6


def test_label_smooth_and_mixup_reach_training_and_are_recorded(tmp_path, tiny_corpus):
    """--set label_smooth / mixup change what is trained (and the recipe written says so), and the
    logged loss is the one against the smoothed targets."""
    torch = pytest.importorskip("torch")
    from triggerword.train import main

    def run(name, *extra):
        assert main(["--corpus", str(tiny_corpus), "--dev", "", "--run", str(tmp_path / name), "--examples", "4",
                     "--batch-size", "4", "--workers", "0", "--threads", "1", "--epochs", "1", *extra]) == 0
        return torch.load(tmp_path / name / "checkpoint.pt", map_location="cpu", weights_only=False)

    plain, smooth = run("plain"), run("smooth", "--set", "label_smooth=0.1")
    mixed = run("mixed", "--set", "mixup=1")
    same = lambda a, b: all(torch.equal(a[k], b[k]) for k in a)
    assert not same(plain["model"], smooth["model"]) and not same(plain["model"], mixed["model"])
    assert smooth["log"][0]["loss"] != plain["log"][0]["loss"]
    assert smooth["recipe"]["label_smooth"] == 0.1 and mixed["recipe"]["mixup"] == 1


def test_the_rate_falls_along_a_half_cosine_and_the_log_shows_it(tmp_path, tiny_corpus):
    """--set lr_decay_epochs=N: from learning_rate at the start, half way at N/2, lr_final from N on;
    without it the rate is constant; a run's log.csv records the rate its last batch used."""
    pytest.importorskip("torch")
    from triggerword.train import learning_rate_at, main

    recipe = {"learning_rate": 1e-3, "lr_decay_epochs": 10, "lr_final": 1e-5}
    assert learning_rate_at(recipe, 0) == pytest.approx(1e-3)
    assert learning_rate_at(recipe, 5) == pytest.approx((1e-3 + 1e-5) / 2)  # cos(pi/2) = 0: the mean of the ends
    assert learning_rate_at(recipe, 10) == pytest.approx(1e-5)
    assert learning_rate_at(recipe, 25) == pytest.approx(1e-5)
    rates = [learning_rate_at(recipe, t / 4) for t in range(41)]
    assert all(a > b for a, b in zip(rates, rates[1:]))  # strictly falling until N
    assert learning_rate_at({"learning_rate": 3e-4}, 7) == 3e-4
    assert learning_rate_at({"learning_rate": 3e-4, "lr_decay_epochs": 0, "lr_final": 0.0}, 7) == 3e-4

    for bad in ("lr_decay_epochs=-3", 'lr_final="low"'):
        with pytest.raises(SystemExit):
            main(["--corpus", str(tiny_corpus), "--run", str(tmp_path / "bad"), "--set", bad])
    assert not (tmp_path / "bad").exists()

    run = tmp_path / "decay"
    args = ["--corpus", str(tiny_corpus), "--dev", "", "--run", str(run), "--examples", "4", "--batch-size", "2",
            "--workers", "0", "--threads", "1", "--epochs", "3", "--learning-rate", "0.001",
            "--set", "lr_decay_epochs=2", "--set", "lr_final=0.0001"]
    assert main(args) == 0
    with open(run / "log.csv") as f:
        logged = [float(row["lr"]) for row in csv.DictReader(f)]
    # two batches an epoch: the last batch of epoch 1 uses the rate at 0.5 epochs, of epoch 2 at 1.5, of epoch 3 the floor
    want = [1e-4 + 0.9e-3 * 0.5 * (1 + math.cos(math.pi * t / 2)) for t in (0.5, 1.5)] + [1e-4]
    assert logged == pytest.approx(want, rel=1e-3)


def test_readings_of_the_no_word_hour_are_scored_one_by_one(tmp_path, capsys):
    """--readings hears each reading of the no-word hour alone and names the ones the model fires on."""
    import json
    import shutil
    from td_utils import read_wav
    from triggerword import evaluate
    held = tmp_path / "heldout"
    dev, fa, speech = tmp_path / "dev", held / "fa", held / ".work" / "fa-speech"
    for d in (dev, fa, speech):
        d.mkdir(parents=True)
    shutil.copy(ROOT / "raw_data" / "dev" / "001.wav", dev / "001.wav")
    (dev / "labels.json").write_text(json.dumps({"001.wav": [5250]}))
    # the hour: a clip holding the word, listed as mixed from the near-miss reading, and a quiet one
    shutil.copy(ROOT / "raw_data" / "dev" / "001.wav", fa / "0001.wav")
    streamkit.quiet_clip(fa / "0002.wav")
    (held / "manifest.csv").write_text("path,kind,text\nfa/0001.wav,fa,b\nfa/0002.wav,fa,c | a-missing\n")
    texts = {}
    # a take of the word itself (which no real reading of that hour holds), a near miss, an everyday word
    for name, clip, text in (("a", "activates/001.wav", "activate"), ("b", "negatives/019.wav", "captivate"),
                             ("c", "negatives/002.wav", "question")):
        _, data = read_wav(ROOT / "raw_data" / clip)
        np.save(speech / f"{name}.npy", (data[:, 0] / 32768).astype(np.float32))
        texts[f".work/fa-speech/{name}.npy"] = {"voice": "kokoro:x", "licence": "Apache-2.0", "text": text}
    (held / ".work" / "bank-voices.json").write_text(json.dumps(texts))
    model, report = str(ROOT / "models" / "model.weights.h5"), tmp_path / "EVAL.md"
    common = ["--model", model, "--dev", str(dev), "--fa", str(fa), "--readings"]
    assert evaluate.main(common + ["--json", "--report", str(report)]) == 0
    at = json.loads(capsys.readouterr().out)["at_threshold"]
    rows = {r["text"]: r for r in at["readings"]}
    assert set(rows) == {"activate", "captivate", "question"}
    assert rows["activate"]["fires"] == 1 and rows["activate"]["peak"] >= 0.5
    assert rows["question"]["fires"] == 0 and rows["question"]["peak"] < rows["activate"]["peak"]
    assert [rows[t]["near_miss"] for t in ("activate", "captivate", "question")] == [False, True, False]
    text = report.read_text()
    assert "## Which readings fire" in text and "| kokoro:x | activate |" in text and "| question |" not in text
    # the summary counts what the rows say: the word fires, the everyday word does not
    fired_near = int(rows["captivate"]["fires"] > 0)
    assert f"{fired_near} of 1 readings holding a near miss" in text and "1 of 2 of the others" in text
    # the split of the hour: the clip with the word is the near-miss part and holds every false alarm
    split = at["fa_by_readings"]
    assert split["near"]["clips"] == 1 and split["other"]["clips"] == 1
    assert split["near"]["fa_per_hour"] == pytest.approx(2 * at["fa_per_hour"]) and split["near"]["fa_per_hour"] > 0
    assert split["other"]["fa_per_hour"] == 0.0
    assert f"give {split['near']['fa_per_hour']:.1f} false alarms per hour over 1 clips" in text
    # a listed reading that is gone: one line naming it
    (speech / "c.npy").rename(tmp_path / "c.npy")
    assert evaluate.main(common) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "c.npy: listed in" in err[0] and "1 of 3 readings" in err[0]
    (tmp_path / "c.npy").rename(speech / "c.npy")
    # readings made before their texts were recorded: one line naming the file and the fix
    for v in texts.values():
        del v["text"]
    (held / ".work" / "bank-voices.json").write_text(json.dumps(texts))
    assert evaluate.main(common) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bank-voices.json" in err[0] and "--target heldout" in err[0]


def test_readings_of_the_everyday_hour_are_counted_by_engine_without_a_near_miss_split():
    """The everyday hour holds no near miss: the report counts the readings that fire, by engine, and
    does not split the hour by near misses it does not have."""
    from triggerword.evaluate import reading_lines
    rows = [{"voice": "flite:awb", "text": "Put the kettle on.", "peak": 0.9, "fires": 1, "near_miss": False},
            {"voice": "flite:kal", "text": "Close the door.", "peak": 0.7, "fires": 1, "near_miss": False},
            {"voice": "kokoro:af_sarah", "text": "What time is it?", "peak": 0.1, "fires": 0, "near_miss": False}]
    split = {"near": {"clips": 0, "fa_per_hour": None}, "other": {"clips": 360, "fa_per_hour": 15.0}}
    text = "\n".join(reading_lines(rows, 0.5, split))
    assert "2 of 3 readings fire (none holds a near miss); by engine, flite 2 of 2, kokoro 0 of 1." in text
    assert "Split by" not in text and "near miss (a word" not in text
    assert text.count("| flite:") == 2 and "kokoro:af_sarah" not in text  # only the readings that fire are listed


def test_false_alarms_are_split_by_scene_and_time_in_the_clip(tmp_path, capsys):
    """--scenes splits the no-word hour's false alarms by background, ratio, room (the hour's manifest)
    and by where in the clip they fall, each rate over the time its group covers."""
    import json
    import shutil
    from triggerword import evaluate, params
    held = tmp_path / "heldout"
    fa = held / "fa"
    fa.mkdir(parents=True)
    (held / "manifest.csv").write_text(
        "path,kind,room,source\n"
        "fa/0001.wav,fa,rt60=0.30s,held-out readings over a synthesized cafe scene at 20 dB SNR\n"
        "fa/0002.wav,fa,rt60=0.65s,held-out readings over a synthesized rain scene at 9 dB SNR\n"
        "engine/001.wav,engine,rt60=0.30s,held-out readings over a synthesized cafe scene at 20 dB SNR\n")
    steps = params.TY
    step = lambda s: int(round(s / params.STEP_S))
    # clip 1 fires at 0.5 s and at 6 s, clip 2 at 3 s, clip 3 (not in the manifest) never
    p1, p2, p3 = np.zeros(steps), np.zeros(steps), np.zeros(steps)
    p1[step(0.5):step(0.5) + 20] = 0.9
    p1[step(6.0):step(6.0) + 20] = 0.9
    p2[step(3.0):step(3.0) + 20] = 0.7
    split = evaluate.hour_by_scene(str(fa), ["0001.wav", "0002.wav", "0003.wav"], [p1, p2, p3], 0.5)
    rows = lambda attr: {r["value"]: (r["clips"], r["false_alarms"]) for r in split[attr]}
    assert rows("background") == {"cafe": (1, 2), "rain": (1, 1), "unknown": (1, 0)}
    assert rows("snr") == {"17-22 dB": (1, 2), "8-12 dB": (1, 1), "unknown": (1, 0)}
    assert rows("room") == {"0.2-0.37 s": (1, 2), "0.53-0.7 s": (1, 1), "unknown": (1, 0)}
    cafe = next(r for r in split["background"] if r["value"] == "cafe")
    assert cafe["fa_per_hour"] == pytest.approx(2 / (10 / 3600))   # two in one 10-s clip: 720 per hour
    times = {r["value"]: r for r in split["time"]}
    assert [times[k]["false_alarms"] for k in ("0-1 s", "1-2 s", "2-5 s", "5-10 s")] == [1, 0, 1, 1]
    assert times["0-1 s"]["fa_per_hour"] == pytest.approx(1 / (3 * 1 / 3600))  # one in 3 clips x 1 s
    assert times["5-10 s"]["fa_per_hour"] == pytest.approx(1 / (3 * 5 / 3600))
    # at a higher threshold the rain clip's 0.7 no longer counts
    assert {r["value"]: r["false_alarms"] for r in evaluate.hour_by_scene(str(fa), ["0002.wav"], [p2], 0.8)["background"]} == {"rain": 0}

    # the command: a real model on a real clip holding the word, listed as a cafe scene
    dev = tmp_path / "dev"
    dev.mkdir()
    shutil.copy(ROOT / "raw_data" / "dev" / "001.wav", dev / "001.wav")
    (dev / "labels.json").write_text(json.dumps({"001.wav": [5250]}))
    shutil.copy(ROOT / "raw_data" / "dev" / "001.wav", fa / "0001.wav")
    streamkit.quiet_clip(fa / "0002.wav")
    model, report = str(ROOT / "models" / "model.weights.h5"), tmp_path / "EVAL.md"
    common = ["--model", model, "--dev", str(dev), "--fa", str(fa), "--scenes"]
    assert evaluate.main(common + ["--json", "--report", str(report)]) == 0
    at = json.loads(capsys.readouterr().out)["at_threshold"]
    by = {r["value"]: r for r in at["fa_by_scene"]["background"]}
    assert by["cafe"]["false_alarms"] >= 1 and by["rain"]["false_alarms"] == 0
    assert by["cafe"]["false_alarms"] == sum(r["false_alarms"] for r in at["fa_by_scene"]["time"])
    assert at["fa_per_hour"] == pytest.approx(by["cafe"]["false_alarms"] / (20 / 3600))
    text = report.read_text()
    assert "## False alarms by scene" in text and f"| background | cafe | 1, {by['cafe']['false_alarms']}," in text
    # without the hour's manifest: one line naming it
    (held / "manifest.csv").rename(tmp_path / "manifest.csv")
    assert evaluate.main(common) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "manifest.csv: missing" in err[0] and "--target heldout" in err[0]


def test_average_writes_the_mean_of_the_weights_and_never_overwrites(tmp_path, capsys):
    import keras
    from triggerword.average import main
    from triggerword.model import load_model_f, model_f
    paths = []
    for seed in (1, 2):
        keras.utils.set_random_seed(seed)
        m = model_f()
        # BatchNorm's moving statistics are weights too: give them distinct values to average
        m.set_weights([w + np.float32(seed) for w in m.get_weights()])
        paths.append(tmp_path / f"m{seed}.weights.h5")
        m.save_weights(paths[-1])
    a, b = (load_model_f(p).get_weights() for p in paths)
    assert not np.allclose(a[0], b[0])
    assert main([str(p) for p in paths] + ["--out", str(tmp_path / "soup")]) == 0
    soup = load_model_f(tmp_path / "soup" / "model.weights.h5").get_weights()
    assert len(soup) == len(a) == 22  # conv 2 + 3 batchnorms x 4 + 2 GRUs x 3 + dense 2
    for x, y, z in zip(a, b, soup):
        np.testing.assert_allclose(z, (x + y) / 2, rtol=1e-6, atol=1e-6)
    assert main([str(p) for p in paths] + ["--out", str(tmp_path / "lean"), "--shares", "0.75", "0.25"]) == 0
    lean = load_model_f(tmp_path / "lean" / "model.weights.h5").get_weights()
    np.testing.assert_allclose(lean[0], 0.75 * a[0] + 0.25 * b[0], rtol=1e-6, atol=1e-6)
    # --calibrate T: only the output bias moves, by -logit(T); average.json says so
    assert main([str(p) for p in paths] + ["--out", str(tmp_path / "cal"), "--calibrate", "0.6"]) == 0
    cal = load_model_f(tmp_path / "cal" / "model.weights.h5").get_weights()
    for x, y in zip(soup[:-1], cal[:-1]):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_allclose(cal[-1], soup[-1] - np.log(0.6 / 0.4), rtol=1e-6, atol=1e-6)
    import json
    assert json.loads((tmp_path / "cal" / "average.json").read_text())["calibrated_threshold"] == 0.6
    assert main([str(p) for p in paths] + ["--out", str(tmp_path / "bad"), "--calibrate", "1.5"]) == 2
    assert "--calibrate 1.5" in capsys.readouterr().err and not (tmp_path / "bad").exists()
    # an existing model is left byte for byte; wrong shares and a single model are refused
    before = (tmp_path / "soup" / "model.weights.h5").read_bytes()
    capsys.readouterr()
    assert main([str(p) for p in paths] + ["--out", str(tmp_path / "soup")]) == 2
    assert "model.weights.h5: already exists" in capsys.readouterr().err
    assert (tmp_path / "soup" / "model.weights.h5").read_bytes() == before
    assert main([str(p) for p in paths] + ["--out", str(tmp_path / "x"), "--shares", "0.5", "0.6"]) == 2
    assert "summing to 1" in capsys.readouterr().err
    assert main([str(paths[0]), "--out", str(tmp_path / "y")]) == 2
    assert main([str(paths[0]), str(tmp_path / "none.weights.h5"), "--out", str(tmp_path / "z")]) == 2
    assert "none.weights.h5: no such model file" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "z").exists()


def test_spike_loss_weighs_a_false_alarm_spike_and_spares_the_word():
    import torch
    from triggerword.train import spike_loss
    ty = params.TY
    y = np.zeros((3, ty), np.float32)
    y[:, 600:650] = 1  # one word in each example, labelled as insert_ones does
    p = np.full((3, ty), 0.01, np.float32)
    p[1, 200:204] = 0.9    # a four-step spike far from the word: a false alarm
    p[2, 560:564] = 0.9    # the same spike 40 steps before the label: inside the guard (the word itself)
    p[2, 700:704] = 0.9    # and 50 steps after it: inside the hit window
    loss = [float(spike_loss(torch.tensor(p[i:i + 1]), torch.tensor(y[i:i + 1]), top=8, guard=100)) for i in range(3)]
    quiet = -math.log(0.99)
    assert loss[0] == pytest.approx(quiet, rel=1e-4)
    assert loss[2] == pytest.approx(quiet, rel=1e-4)
    # four steps at 0.9 among the top 8: half of them cost -log(0.1)
    assert loss[1] == pytest.approx((4 * -math.log(0.1) + 4 * quiet) / 8, rel=1e-4)
    # the frame loss barely sees that spike; the spike loss does
    frame = torch.nn.functional.binary_cross_entropy(torch.tensor(p[1]), torch.tensor(y[1]))
    frame0 = torch.nn.functional.binary_cross_entropy(torch.tensor(p[0]), torch.tensor(y[0]))
    assert float(frame - frame0) < 0.01 < loss[1] - loss[0]
    # the mean over a batch; a spike beyond the guard (101 steps before the label) counts again
    assert float(spike_loss(torch.tensor(p), torch.tensor(y))) == pytest.approx(sum(loss) / 3, rel=1e-4)
    p[2, 496:500] = 0.9
    assert float(spike_loss(torch.tensor(p[2:]), torch.tensor(y[2:]))) == pytest.approx(loss[1], rel=1e-4)


def _dominant_hz(x):
    spectrum = np.abs(np.fft.rfft(x))
    return np.fft.rfftfreq(len(x), 1 / SR)[int(np.argmax(spectrum))]


def test_cut_onset_keeps_the_end_of_the_word():
    from triggerword.augment import cut_onset
    silence = np.zeros(int(0.2 * SR), np.float32)
    word = np.concatenate([silence, tone(300, 500.0), tone(300, 2000.0), silence])  # "ac" then "tivate"
    end = cut_onset(word, 0.5)
    # the silences go first (trim), then half the sound: what is left is the second part, 2 kHz
    assert _dominant_hz(end) == pytest.approx(2000.0, abs=20)
    assert 0.25 * SR < len(end) < 0.36 * SR
    assert end[0] == 0.0                        # faded in, no click
    assert 0.6 * SR < len(cut_onset(word, 0.0)) < 0.7 * SR  # nothing cut but the silences (and margins)


def test_suffix_negatives_add_the_ends_of_activate_takes(tiny_corpus):
    from triggerword import augment
    from triggerword.train import RECIPE, load_corpus
    recipe = dict(RECIPE, suffix_negatives=5, suffix_cut=[0.35, 0.6])
    corpus = load_corpus(str(tiny_corpus), recipe)
    assert len(corpus.negatives) == 3 + 5 and corpus.suffixes == 5
    assert "5 of them activate takes with their onset cut off" in repr(corpus)
    # three takes: each drawn once before any is drawn again
    takes = [int(name.split("/")[1]) for name in corpus.negative_names[3:]]
    assert sorted(takes[:3]) == [0, 1, 2] and all(0 <= t < 3 for t in takes)
    for name, clip in zip(corpus.negative_names[3:], corpus.negatives[3:]):
        source = corpus.activates[int(name.split("/")[1])]
        whole = augment.trim(source.astype(np.float32) / 32768.0)
        assert clip.dtype == np.int16 and 0.4 * len(whole) <= len(clip) <= 0.65 * len(whole)
    # the same recipe makes the same clips; the default adds none, so older recipes are unchanged
    again = load_corpus(str(tiny_corpus), recipe)
    assert all(np.array_equal(a, b) for a, b in zip(corpus.negatives, again.negatives))
    assert len(load_corpus(str(tiny_corpus), RECIPE).negatives) == 3


def test_input_scale_is_folded_into_the_kernel_and_changes_no_output():
    torch = pytest.importorskip("torch")
    from triggerword.torch_model import TorchModelF, from_keras, to_keras
    torch.manual_seed(0)
    net = TorchModelF().eval()
    x = np.random.default_rng(1).random((1, params.TX, params.N_FREQ)).astype(np.float32) * 3
    before = net(torch.from_numpy(x)).detach().numpy()
    scale = np.geomspace(1e-4, 1e2, params.N_FREQ).astype(np.float32)  # bins as far apart as the input's
    net.set_in_scale(scale)                     # a trained network keeps what it computes
    after = net(torch.from_numpy(x)).detach().numpy()
    assert np.abs(after - before).max() < 1e-5
    assert not np.allclose(net.conv.weight.detach().numpy(), TorchModelF().conv.weight.detach().numpy())
    model = to_keras(net)                        # the Keras model reads the unscaled input
    assert np.abs(model.predict(x, verbose=0) - before).max() < 1e-5
    back = from_keras(model, in_scale=scale).eval()
    assert np.allclose(back.in_scale.numpy(), scale)
    assert np.abs(back(torch.from_numpy(x)).detach().numpy() - before).max() < 1e-5
    fresh = TorchModelF()                        # a fresh network keeps its kernel and hears the bins alike
    kernel = fresh.conv.weight.detach().clone()
    fresh.set_in_scale(scale, keep_outputs=False)
    assert torch.equal(fresh.conv.weight, kernel)
    old = {k: v for k, v in net.state_dict().items() if k != "in_scale"}  # a checkpoint from before
    loaded = TorchModelF()
    loaded.load_state_dict(old)
    assert torch.equal(loaded.in_scale, torch.ones(params.N_FREQ))


def test_input_norm_divides_each_bin_by_its_mean_and_exports_the_same_network(tmp_path, tiny_corpus):
    torch = pytest.importorskip("torch")
    from triggerword.model import load_model_f
    from triggerword.torch_model import TorchModelF
    from triggerword.train import RECIPE, bin_scale, load_corpus, main, make_training_example
    recipe = dict(RECIPE, input_norm="bin_mean")
    corpus = load_corpus(str(tiny_corpus), recipe)
    scale = bin_scale(corpus, recipe, seed=0, n=4)
    assert np.array_equal(scale, bin_scale(corpus, recipe, seed=0, n=4))  # deterministic
    rng = np.random.default_rng([0, 101])
    mean = np.mean([make_training_example(corpus, rng, recipe)[0].mean(axis=0, dtype=np.float64)
                    for _ in range(4)], axis=0)
    assert np.allclose(scale * mean, 1.0, rtol=1e-5)
    capped = bin_scale(corpus, dict(recipe, input_norm_top_hz=11025), seed=0, n=4)  # bin 50 is 11,025 Hz
    assert np.array_equal(capped[:51], scale[:51]) and np.all(capped[51:] == scale[50])
    run = tmp_path / "run"
    assert main(["--corpus", str(tiny_corpus), "--dev", "", "--run", str(run), "--examples", "4",
                 "--batch-size", "2", "--workers", "0", "--epochs", "1",
                 "--set", 'input_norm="bin_mean"', "--set", "input_norm_examples=4"]) == 0
    state = torch.load(run / "checkpoint.pt", weights_only=False)
    assert np.allclose(state["model"]["in_scale"].numpy(), scale)
    net = TorchModelF()
    net.load_state_dict(state["weights"])
    net.eval()
    x = np.random.default_rng(2).random((1, params.TX, params.N_FREQ), dtype=np.float32) * 1e3
    keras_out = load_model_f(str(run / "keras" / "model.weights.h5")).predict(x, verbose=0)
    assert np.abs(keras_out - net(torch.from_numpy(x)).detach().numpy()).max() < 1e-4
    assert main(["--corpus", str(tiny_corpus), "--dev", "", "--run", str(tmp_path / "bad"), "--examples", "4",
                 "--workers", "0", "--epochs", "1", "--set", 'input_norm="log"']) == 1


def test_extra_parts_add_only_the_named_parts_of_an_extra_corpus(tmp_path, tiny_corpus):
    """extra_parts picks what extra_corpora adds: here the other words and the sentences without the
    word of a second folder, none of its "activate"s or its sentences with the word."""
    import json
    import shutil
    from triggerword.train import RECIPE, CorpusError, load_corpus
    extra = tmp_path / "extra"
    shutil.copytree(tiny_corpus, extra)
    (extra / "sentences").mkdir()
    pcm = (_spoken() * 32767).astype(np.int16)
    for name in ("with-1.wav", "without-1.wav", "without-2.wav"):
        wavfile.write(extra / "sentences" / name, SR, pcm)
    (extra / "sentences" / "labels.json").write_text(
        json.dumps({"with-1.wav": [800], "without-1.wav": [], "without-2.wav": []}))
    base = load_corpus(str(tiny_corpus), dict(RECIPE))
    every = load_corpus(str(tiny_corpus), dict(RECIPE, extra_corpora=[str(extra)]))
    assert (len(every.activates), len(every.negatives)) == (len(base.activates) + 3, len(base.negatives) + 3)
    assert (len(every.sentences), len(every.labelled)) == (len(base.sentences) + 2, len(base.labelled) + 1)
    some = load_corpus(str(tiny_corpus), dict(RECIPE, extra_corpora=[str(extra)],
                                              extra_parts=["negatives", "without"]))
    assert len(some.activates) == len(base.activates) and len(some.labelled) == len(base.labelled)
    assert len(some.negatives) == len(base.negatives) + 3 and len(some.sentences) == len(base.sentences) + 2
    assert some.negative_names[-1] == f"{extra}/negatives/2.wav"
    assert "(negatives, without)" in repr(some)
    with pytest.raises(CorpusError, match="extra_parts: unknown part 'words'"):
        load_corpus(str(tiny_corpus), dict(RECIPE, extra_corpora=[str(extra)], extra_parts=["words"]))
    # an entry of its own parts: the sentences with the word of a folder that has nothing else
    read = tmp_path / "read"
    (read / "sentences").mkdir(parents=True)
    shutil.copy(extra / "sentences" / "with-1.wav", read / "sentences")
    (read / "sentences" / "labels.json").write_text(json.dumps({"with-1.wav": [800]}))
    both = load_corpus(str(tiny_corpus), dict(RECIPE, extra_corpora=[
        str(extra), {"path": str(read), "parts": ["with"]}], extra_parts=["negatives", "without"]))
    assert len(both.activates) == len(base.activates) and len(both.labelled) == len(base.labelled) + 1
    assert len(both.negatives) == len(base.negatives) + 3
    with pytest.raises(CorpusError, match="activates"):   # all four parts by default: it has no activates/
        load_corpus(str(tiny_corpus), dict(RECIPE, extra_corpora=[str(read)]))
    with pytest.raises(CorpusError, match="is not a folder or"):
        load_corpus(str(tiny_corpus), dict(RECIPE, extra_corpora=[{"folder": str(read)}]))
    with pytest.raises(CorpusError, match="is not a folder or"):   # parts a word, not a list of them
        load_corpus(str(tiny_corpus), dict(RECIPE, extra_corpora=[{"path": str(read), "parts": "with"}]))


def test_hits_and_misses_are_split_by_voice(tmp_path, capsys):
    """--voices: each labelled clip's hits, misses and false alarms go to the voice the manifest beside
    its folder names; a voice the model never hears shows as recall 0 beside the others."""
    import json
    import shutil
    from triggerword import evaluate, params
    held = tmp_path / "heldout"
    engine = held / "engine"
    engine.mkdir(parents=True)
    (held / "manifest.csv").write_text(
        "path,kind,engine,voice\n"
        "engine/001.wav,dev,flite,awb\nengine/002.wav,dev,flite,rms\nengine/003.wav,dev,flite,awb\n"
        "fa/0001.wav,fa,flite,rms\n")
    step = lambda s: int(round(s / params.STEP_S))
    hit, silent, stray = np.zeros(params.TY), np.zeros(params.TY), np.zeros(params.TY)
    hit[step(2.1):step(2.1) + 20] = 0.9      # fires 0.1 s after the word ending at 2 s
    stray[step(7.0):step(7.0) + 20] = 0.9    # fires far from any word
    split = evaluate.scores_by_voice(str(engine), ["001.wav", "002.wav", "003.wav", "004.wav"],
                                     [hit, silent, stray, hit], [[2000], [2000], [], [2000]], 0.5)
    rows = {r["voice"]: (r["clips"], r["activates"], r["hits"], r["misses"], r["false_alarms"]) for r in split}
    assert rows == {"flite:awb": (2, 1, 1, 0, 1), "flite:rms": (1, 1, 0, 1, 0), "unknown": (1, 1, 1, 0, 0)}
    assert [r["recall"] for r in split][:2] == [1.0, 0.0]
    assert evaluate.scores_by_voice(str(tmp_path / "nowhere"), [], [], [], 0.5) is None

    # the command: a real model on a real dev clip, once under each of two voices
    for name in ("001.wav", "002.wav"):
        shutil.copy(ROOT / "raw_data" / "dev" / "001.wav", engine / name)
    (held / "manifest.csv").write_text("path,kind,engine,voice\nengine/001.wav,dev,flite,awb\n"
                                       "engine/002.wav,dev,flite,rms\n")
    truth = json.loads((ROOT / "raw_data" / "dev" / "labels.json").read_text())["001.wav"]
    (engine / "labels.json").write_text(json.dumps({"001.wav": truth, "002.wav": truth}))
    model = str(ROOT / "models" / "model.weights.h5")
    common = ["--model", model, "--dev", str(ROOT / "raw_data" / "dev"), "--engine", str(engine), "--voices"]
    assert evaluate.main(common + ["--json"]) == 0
    at = json.loads(capsys.readouterr().out)["at_threshold"]
    by = {r["voice"]: r for r in at["engine_by_voice"]}
    assert set(by) == {"flite:awb", "flite:rms"} and by["flite:awb"]["hits"] == by["flite:rms"]["hits"]
    assert sum(r["hits"] for r in at["engine_by_voice"]) == at["engine"]["hits"]
    assert sum(r["clips"] for r in at["dev_by_voice"]) == 25 and "unknown" not in {r["voice"] for r in at["dev_by_voice"]}
    assert sum(r["hits"] for r in at["dev_by_voice"]) == at["hits"]
    # without the manifest: one line naming it, and nothing scored
    (held / "manifest.csv").unlink()
    assert evaluate.main(common) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "manifest.csv: missing" in err[0] and "--voices" in err[0]


def test_a_calibrated_average_is_reported_as_one_and_fires_where_its_threshold_did(tmp_path, capsys):
    """`triggerword average --calibrate T` (how an average ships in models/): at 0.5 it scores what the
    plain average scores at T, and the report's "Which weights" names its parts, shares and T."""
    import json
    from triggerword import average, evaluate
    dev = str(ROOT / "raw_data" / "dev")
    shipped = str(ROOT / "models" / "model.weights.h5")
    assert average.main([shipped, shipped, "--out", str(tmp_path / "plain")]) == 0
    assert average.main([shipped, shipped, "--out", str(tmp_path / "cal"), "--calibrate", "0.9",
                         "--note", "Two copies of the shipped model."]) == 0
    capsys.readouterr()
    assert evaluate.main(["--model", str(tmp_path / "plain" / "model.weights.h5"), "--dev", dev, "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    report = tmp_path / "EVAL.md"
    assert evaluate.main(["--model", str(tmp_path / "cal" / "model.weights.h5"), "--dev", dev, "--json",
                          "--report", str(report)]) == 0
    cal = json.loads(capsys.readouterr().out)
    at9 = next(r for r in plain["sweep"] if abs(r["threshold"] - 0.9) < 1e-9)
    assert (cal["at_threshold"]["hits"], cal["at_threshold"]["false_alarms"]) == (at9["hits"], at9["false_alarms"])
    # and 0.5 fires more than 0.9 on the dev set, so an ignored --calibrate would fail the line above
    assert plain["at_threshold"]["hits"] + plain["at_threshold"]["false_alarms"] > at9["hits"] + at9["false_alarms"]
    text = report.read_text()
    assert "The weighted mean of 2 models' weights" in text and f"`{shipped}` (0.5)" in text
    assert "Two copies of the shipped model." in text and "`--calibrate 0.9`" in text


def _corpus_opus():
    import importlib.util
    spec = importlib.util.spec_from_file_location("corpus_opus", ROOT / "scripts" / "gpu_pair" / "corpus_opus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_opus"] = module  # its worker processes find their functions by this name
    spec.loader.exec_module(module)
    return module


def test_corpus_opus_round_trip_keeps_names_lengths_and_spectra(tmp_path, capsys):
    """Packed to Opus and back: the same files, the same lengths at 44.1 kHz, spectra within a few dB."""
    from td_utils import spectrogram
    opus = _corpus_opus()
    src, pack, back = tmp_path / "corpus", tmp_path / "pack", tmp_path / "back"
    for sub in ("activates", "backgrounds", "sentences", ".work"):
        (src / sub).mkdir(parents=True)
    rng = np.random.default_rng(0)
    t = np.arange(int(1.3 * SR)) / SR
    word = 0.3 * np.sin(2 * np.pi * (300 + 1500 * t) * t) * np.minimum(1, 5 * t)  # a rising chirp
    wavfile.write(src / "activates" / "000001.wav", SR, (word * 32767).astype(np.int16))
    noise = np.convolve(rng.normal(0, 0.05, int(2.7 * SR)), np.ones(4) / 4, "same")  # odd length, coloured
    wavfile.write(src / "backgrounds" / "0001.wav", SR, (noise * 32767).astype(np.int16))
    (src / "sentences" / "labels.json").write_text('{"with-00001.wav": [512]}')
    wavfile.write(src / ".work" / "scratch.wav", SR, np.zeros(100, np.int16))
    opus.main(["pack", str(src), str(pack), "--jobs", "1"])
    assert sorted(p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file()) == [
        "activates/000001.ogg", "backgrounds/0001.ogg", "lengths.json", "sentences/labels.json"]
    opus.main(["unpack", str(pack), str(back), "--jobs", "1"])
    assert (back / "sentences" / "labels.json").read_text() == '{"with-00001.wav": [512]}'
    for rel in ("activates/000001.wav", "backgrounds/0001.wav"):
        rate, a = wavfile.read(src / rel)
        rate_b, b = wavfile.read(back / rel)
        assert rate_b == SR and b.dtype == np.int16 and len(b) == len(a)
        spec_a = 10 * np.log10(spectrogram(a.astype(np.float64)) + 1e-3)
        spec_b = 10 * np.log10(spectrogram(b.astype(np.float64)) + 1e-3)
        loud = spec_a > spec_a.max() - 40
        # a wrong rate would move the chirp's energy to other bins: tens of dB apart there
        assert np.median(np.abs(spec_a - spec_b)[loud]) < 3.0, rel
    capsys.readouterr()


def test_corpus_opus_tgz_travels_the_same_and_nothing_is_written_over(tmp_path):
    """Through one .tgz: the same WAVs as through a folder; an existing .tgz or WAV folder is refused."""
    opus = _corpus_opus()
    src, pack, dst = tmp_path / "corpus", tmp_path / "pack", tmp_path / "dst"
    (src / "negatives").mkdir(parents=True)
    wavfile.write(src / "negatives" / "000001.wav", SR, (tone(300) * 32767).astype(np.int16))
    opus.main(["pack", str(src), str(pack), "--jobs", "1"])
    opus.main(["pack", str(src), str(tmp_path / "c.tgz"), "--jobs", "1"])
    opus.main(["unpack", str(pack), str(tmp_path / "a"), "--jobs", "1"])
    opus.main(["unpack", str(tmp_path / "c.tgz"), str(tmp_path / "b"), "--jobs", "1"])
    a = wavfile.read(tmp_path / "a" / "negatives" / "000001.wav")[1]
    assert len(a) == int(0.3 * SR) and np.array_equal(a, wavfile.read(tmp_path / "b" / "negatives" / "000001.wav")[1])
    before = (tmp_path / "c.tgz").read_bytes()
    with pytest.raises(SystemExit) as exc:
        opus.main(["pack", str(src), str(tmp_path / "c.tgz")])
    assert "c.tgz: already exists" in str(exc.value) and (tmp_path / "c.tgz").read_bytes() == before
    (dst / "negatives").mkdir(parents=True)
    mine = np.arange(50, dtype=np.int16)
    wavfile.write(dst / "negatives" / "000001.wav", SR, mine)
    with pytest.raises(SystemExit) as exc:
        opus.main(["unpack", str(pack), str(dst)])
    assert f"{dst}: already holds WAV files" in str(exc.value)
    assert np.array_equal(wavfile.read(dst / "negatives" / "000001.wav")[1], mine)
    (src / "negatives" / "000002.wav").write_bytes(b"RIFF broken")  # a corrupt clip: one line naming it
    with pytest.raises(SystemExit) as exc:
        opus.main(["pack", str(src), str(tmp_path / "d"), "--jobs", "1"])
    assert str(exc.value).startswith(f"corpus_opus: {src / 'negatives' / '000002.wav'}: not a readable WAV")
    assert "\n" not in str(exc.value)


def test_a_new_run_can_take_an_earlier_runs_recipe(tmp_path, tiny_corpus, capsys):
    """--recipe RUN: the new run trains on RUN's recipe (the same seed then gives the same weights),
    --set and --examples change it from there, and recipe.json says where it came from."""
    torch = pytest.importorskip("torch")
    from triggerword.train import RECIPE, main

    def run(name, *extra):
        return ["--corpus", str(tiny_corpus), "--dev", "", "--run", str(tmp_path / name), "--batch-size", "2",
                "--workers", "0", "--threads", "1", "--epochs", "1", *extra]

    assert main(run("first", "--examples", "4", "--seed", "3", "--learning-rate", "5e-4",
                    "--set", "phrase_negatives=[1,3]", "--set", "p_reverb=0.9")) == 0
    assert main(run("again", "--seed", "3", "--recipe", str(tmp_path / "first"))) == 0
    load = lambda name: torch.load(tmp_path / name / "checkpoint.pt", map_location="cpu", weights_only=False)
    first, again = load("first"), load("again")
    assert again["recipe"] == first["recipe"] and again["recipe"]["examples_per_epoch"] == 4
    assert all(torch.equal(first["model"][k], again["model"][k]) for k in first["model"])
    record = json.loads((tmp_path / "again" / "recipe.json").read_text())
    assert record["recipe_from"] == str(tmp_path / "first" / "recipe.json") and record["seed"] == 3
    assert "recipe_from" not in json.loads((tmp_path / "first" / "recipe.json").read_text())

    # changed from there; a resume keeps the record
    assert main(run("changed", "--recipe", str(tmp_path / "first" / "recipe.json"), "--examples", "2",
                    "--set", "p_reverb=0.1")) == 0
    changed = json.loads((tmp_path / "changed" / "recipe.json").read_text())
    diff = {k for k in RECIPE if changed["recipe"][k] != first["recipe"][k]}
    assert diff == {"p_reverb", "examples_per_epoch"} and changed["recipe"]["learning_rate"] == 5e-4
    assert main(run("changed", "--epochs", "2", "--resume")) == 0
    assert json.loads((tmp_path / "changed" / "recipe.json").read_text())["recipe_from"] == changed["recipe_from"]

    # a bare object of entries, written before later entries existed: they take today's defaults
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"examples_per_epoch": 2, "phrase_prob": 0.8}))
    assert main(run("old", "--recipe", str(old))) == 0
    got = json.loads((tmp_path / "old" / "recipe.json").read_text())["recipe"]
    assert got == {**RECIPE, "examples_per_epoch": 2, "phrase_prob": 0.8, "batch_size": 2}  # --batch-size 2: run()

    # bad input: one line naming the file and the problem, and no run folder made
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "typo.json").write_text(json.dumps({"recipe": {"phrase_negativs": [1, 3]}}))
    (tmp_path / "list.json").write_text("[1, 2]")
    for source, says in ((tmp_path / "nowhere", "nowhere: file not found"),
                         (tmp_path / "broken.json", "broken.json: not a readable JSON file"),
                         (tmp_path / "typo.json", "typo.json: no recipe entry 'phrase_negativs'"),
                         (tmp_path / "list.json", "list.json: expected a JSON object")):
        capsys.readouterr()
        with pytest.raises(SystemExit):
            main(run("bad", "--recipe", str(source)))
        err = capsys.readouterr().err.strip().splitlines()
        assert says in err[-1], err
    with pytest.raises(SystemExit):   # a resume keeps its checkpoint's recipe
        main(run("changed", "--resume", "--recipe", str(tmp_path / "first")))
    assert not (tmp_path / "bad").exists()


def test_make_example_builds_what_the_pydub_pipeline_builds(tmp_path):
    """The trainer's numpy example and the original's pydub way (benchmarks/bench_features.py's reference)
    agree: same labels from the same seed, spectrograms within 2 % of their peak (a word may start one
    sample apart, pydub truncating its ms position where synth.overlay rounds); the compute-only
    spectrogram equals matplotlib's to 1e-12. A placement or labelling bug in either breaks the labels."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_features
    out = tmp_path / "bench.json"
    bench_features.main(["--repeat", "1", "--examples", "6", "--json", str(out)])
    got = json.loads(out.read_text())
    assert got["labels_equal"] == [6, 6] and got["words_labelled"] >= 3
    assert got["example_rel_diff_max"] < 0.02
    assert max(got["spectrogram_rel_diff"].values()) < 1e-12
    assert got["example_bytes"] == {"ours": params.TX * params.N_FREQ * 4, "reference": params.TX * params.N_FREQ * 8}


def test_train_memory_benchmark_measures_the_trainer_and_the_original_x(tmp_path):
    """benchmarks/bench_train_memory.py on a small scale: a real epoch of 32 examples on raw_data, and
    the original's float64 X at 16 and 48 examples. The reference's cost of one more example must be
    what one float64 input is (5511 x 101 x 8 bytes, within 15 %): a sampler reading the wrong process
    or unit breaks it. The trainer's tree must be found (TensorFlow alone is several hundred MB), and
    its PSS is at most its RSS summed, since PSS shares the pages the worker shares with its parent."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_train_memory
    out = tmp_path / "mem.json"
    bench_train_memory.main(["--corpus", str(ROOT / "raw_data"), "--recipe", "", "--examples", "32",
                             "--threads", "1", "--raw", str(ROOT / "raw_data"), "--ref-examples", "16", "48",
                             "--json", str(out)])
    got = json.loads(out.read_text())
    one_input_mb = params.TX * params.N_FREQ * 8 / 1e6
    assert 0.85 * one_input_mb < got["reference"]["mb_per_example"] < 1.15 * one_input_mb
    ours = got["ours"]
    assert ours["examples"] == 32 and ours["peak_main_rss_mb"] > 300
    assert 300 < ours["peak_tree_pss_mb"] <= ours["peak_tree_rss_mb"] + 1
    assert got["ratio_reference_over_ours"] == pytest.approx(
        got["reference_at_examples_mb"] / ours["peak_tree_pss_mb"])


def test_domain_loss_reverses_the_gradient_and_leaves_out_the_word():
    """The features get the head's gradient reversed and scaled by the weight, none reaches the
    synthetic steps near a label, and the head itself learns with the gradient unreversed."""
    torch = pytest.importorskip("torch")
    from triggerword.train import domain_head, domain_loss
    torch.manual_seed(0)
    head = domain_head()
    h_synth = torch.randn(2, params.TY, 128, requires_grad=True)
    h_real = torch.randn(1, params.TY, 128, requires_grad=True)
    y = torch.zeros(2, params.TY)
    y[0, 600:650] = 1.0                       # one word in the first synthetic example
    loss, acc = domain_loss(head, h_synth, y, h_real, weight=0.3, guard=200)
    loss.backward()
    g_synth, g_real = h_synth.grad.clone(), h_real.grad.clone()
    head_grad = [p.grad.clone() for p in head.parameters()]
    assert 0.0 <= acc <= 1.0 and loss.item() > 0
    # the steps within 200 of the label (400-849) get nothing; the others and the second example do
    assert torch.all(g_synth[0, 400:850] == 0)
    assert torch.all(g_synth[0, :400].abs().sum(1) > 0) and torch.all(g_synth[0, 850:].abs().sum(1) > 0)
    assert torch.all(g_synth[1].abs().sum(1) > 0)
    # the same loss without the reversal: the features' gradient is -1/0.3 times it, the head's the same
    for p in head.parameters():
        p.grad = None
    a, b = h_synth.detach().clone().requires_grad_(), h_real.detach().clone().requires_grad_()
    plain, _ = domain_loss(head, a, y, b, weight=-1.0, guard=200)    # -(-1) = identity gradient
    plain.backward()
    assert torch.allclose(g_synth, -0.3 * a.grad, atol=1e-7) and torch.allclose(g_real, -0.3 * b.grad, atol=1e-7)
    assert all(torch.allclose(p.grad, g) for p, g in zip(head.parameters(), head_grad))


def test_domain_training_needs_real_sentences_and_is_off_by_default(tmp_path, tiny_corpus, capsys):
    """``domain_weight`` > 0 trains the second head on real sentences (here tones standing in for them):
    its loss and accuracy are logged, a resume carries on with its state, and the export is model_f.
    While the weight is 0, naming a folder changes nothing, to the last bit of the loss."""
    pytest.importorskip("torch")
    from triggerword.model import load_model_f
    from triggerword.train import domain_corpus, domain_recipe, load_corpus, make_training_example, main, RECIPE
    real = tmp_path / "real"
    (real / "sentences").mkdir(parents=True)
    for i in range(3):
        write_wav(real / "sentences" / f"{i}.wav", tone(3000, 300 + 50 * i))
    common = ["--corpus", str(tiny_corpus), "--dev", "", "--examples", "2", "--batch-size", "2", "--workers", "0"]

    def loss(name, *sets):
        run = tmp_path / name
        assert main(common + ["--run", str(run), "--epochs", "1"] + [a for s in sets for a in ("--set", s)]) == 0
        return list(csv.DictReader(open(run / "log.csv")))

    plain = loss("plain")
    named = loss("named", f'domain_corpus="{real}"')
    assert plain[0]["loss"] == named[0]["loss"] and "domain_acc" not in named[0]
    on = [f'domain_corpus="{real}"', "domain_weight=0.5", "domain_examples=2"]
    rows = loss("on", *on)
    assert 0.0 <= float(rows[0]["domain_acc"]) <= 1.0 and float(rows[0]["domain_loss"]) > 0
    assert rows[0]["loss"] != plain[0]["loss"]      # the reversed gradient moved the network
    assert main(common + ["--run", str(tmp_path / "on"), "--epochs", "2", "--resume"]) == 0
    assert [r["epoch"] for r in csv.DictReader(open(tmp_path / "on" / "log.csv"))] == ["1", "2"]
    assert main(["--run", str(tmp_path / "on"), "--export", str(tmp_path / "out")]) == 0
    assert load_model_f(str(tmp_path / "out" / "model.weights.h5")).count_params() == 523329
    # the real examples hold the real sentences only: never a label
    recipe = dict(RECIPE, domain_corpus=str(real))
    corpus = domain_corpus(load_corpus(str(tiny_corpus), recipe, warn=lambda m: None), str(real))
    for i in range(4):
        _, y = make_training_example(corpus, np.random.default_rng(i), domain_recipe(recipe))
        assert y.max() == 0
    # a weight without a folder, and a folder without sentences, say so in one line
    assert main(common + ["--run", str(tmp_path / "nofolder"), "--epochs", "1", "--set", "domain_weight=0.5"]) == 1
    assert "needs domain_corpus" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(common + ["--run", str(tmp_path / "empty_run"), "--epochs", "1", "--set", "domain_weight=0.5",
                          "--set", f'domain_corpus="{tmp_path / "empty"}"']) == 1
    assert "triggerword realspeech --stamps" in capsys.readouterr().err


@pytest.fixture(scope="module")
def one_epoch_run(tiny_corpus, tmp_path_factory):
    """A finished one-epoch run, to be copied (never changed) by the tests of the trainer's checks."""
    pytest.importorskip("torch")
    from triggerword.train import main
    run = tmp_path_factory.mktemp("runs") / "run"
    assert main(["--corpus", str(tiny_corpus), "--dev", "", "--run", str(run), "--examples", "4",
                 "--batch-size", "2", "--workers", "0", "--threads", "1", "--epochs", "1"]) == 0
    return run


def _train_args(tiny_corpus, run, *extra):
    return ["--corpus", str(tiny_corpus), "--dev", "", "--run", str(run), "--examples", "4", "--batch-size", "2",
            "--workers", "0", "--threads", "1", "--epochs", "1", *extra]


def _one_line(capsys):
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    return err


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def test_a_new_run_never_starts_over_a_run(tmp_path, tiny_corpus, one_epoch_run, capsys):
    """A new run (no --resume) in a folder that holds a run is refused and replaces nothing; an empty folder is fine."""
    import shutil
    from triggerword.train import main
    for name in ("checkpoint.pt", "recipe.json", "log.csv", "keras"):
        run = tmp_path / name.replace(".", "_")
        run.mkdir()
        src = one_epoch_run / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, run / name)
        before = _snapshot(run)
        capsys.readouterr()
        assert main(_train_args(tiny_corpus, run, "--seed", "3")) == 2
        assert _one_line(capsys).endswith(f"{run} already holds a run: --resume it, or choose a new --run")
        assert _snapshot(run) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(_train_args(tiny_corpus, empty)) == 0
    assert (empty / "checkpoint.pt").exists()


def test_resume_needs_a_checkpoint(tmp_path, tiny_corpus, capsys):
    """--resume of a run that is not there, or has no checkpoint.pt, is refused; it once trained from scratch."""
    from triggerword.train import main
    missing, bare = tmp_path / "missing", tmp_path / "bare"
    bare.mkdir()
    (bare / "log.csv").write_text("epoch\n")
    for run in (missing, bare):
        capsys.readouterr()
        assert main(_train_args(tiny_corpus, run, "--resume")) == 2
        assert f"{run / 'checkpoint.pt'}: no checkpoint to resume" in _one_line(capsys)
    assert not missing.exists() and sorted(p.name for p in bare.iterdir()) == ["log.csv"]


def test_export_reads_every_input_first_and_replaces_a_model_only_with_force(tmp_path, one_epoch_run, capsys):
    import shutil
    from triggerword.train import main
    # best.pt without checkpoint.pt: refused before anything is written (it once left a half export)
    half = tmp_path / "half"
    half.mkdir()
    shutil.copy(one_epoch_run / "best.pt", half / "best.pt")
    out = tmp_path / "out"
    assert main(["--run", str(half), "--export", str(out)]) == 2
    assert f"{half / 'checkpoint.pt'}: no checkpoint yet" in _one_line(capsys)
    assert not out.exists()
    # a folder holding a model: refused without --force, and left as it was
    assert main(["--run", str(one_epoch_run), "--export", str(out)]) == 0
    before = _snapshot(out)
    assert sorted(str(p) for p in before) == ["export.json", "model.json", "model.keras", "model.weights.h5"]
    capsys.readouterr()
    assert main(["--run", str(one_epoch_run), "--export", str(out), "--export-epoch", "last"]) == 2
    err = _one_line(capsys)
    assert f"--export {out}: already holds a model" in err and "--force" in err
    assert _snapshot(out) == before
    assert main(["--run", str(one_epoch_run), "--export", str(out), "--export-epoch", "last", "--force"]) == 0
    assert json.loads((out / "export.json").read_text())["chosen_by"].startswith("the last epoch")
    assert sorted(p.name for p in out.iterdir()) == ["export.json", "model.json", "model.keras", "model.weights.h5"]


def test_a_damaged_checkpoint_or_recipe_is_one_line_on_resume_and_export(tmp_path, tiny_corpus, one_epoch_run, capsys):
    import shutil
    import torch
    from triggerword.train import main
    good = (one_epoch_run / "checkpoint.pt").read_bytes()
    damages = {"truncated": lambda p: p.write_bytes(good[:len(good) // 2]),
               "garbage": lambda p: p.write_bytes(b"not a checkpoint at all\n" * 10),
               "empty": lambda p: p.write_bytes(b""),
               "folder": lambda p: p.mkdir(),
               "other": lambda p: torch.save({"weights": 1}, p)}
    for name, damage in damages.items():
        run = tmp_path / name
        run.mkdir()
        shutil.copy(one_epoch_run / "recipe.json", run / "recipe.json")
        damage(run / "checkpoint.pt")
        for args in (_train_args(tiny_corpus, run, "--epochs", "2", "--resume"),
                     ["--run", str(run), "--export", str(tmp_path / f"out_{name}"), "--export-epoch", "last"]):
            capsys.readouterr()
            assert main(args) == 2, name
            assert f"{run / 'checkpoint.pt'}: not a readable checkpoint (damaged?)" in _one_line(capsys)
        assert not (tmp_path / f"out_{name}").exists()
    run = tmp_path / "bad_recipe"
    shutil.copytree(one_epoch_run, run)
    (run / "recipe.json").write_text("{not json")
    for args in (["--run", str(run), "--export", str(tmp_path / "out_recipe"), "--export-epoch", "last"],
                 _train_args(tiny_corpus, run, "--epochs", "2", "--resume")):
        capsys.readouterr()
        assert main(args) == 2
        assert f"{run / 'recipe.json'}: not a readable recipe.json (damaged?)" in _one_line(capsys)
    assert not (tmp_path / "out_recipe").exists()
    assert [r["epoch"] for r in csv.DictReader(open(run / "log.csv"))] == ["1"]


def test_a_bad_init_file_is_one_line_and_makes_no_run(tmp_path, tiny_corpus, capsys):
    import keras
    from triggerword.train import main
    inp = keras.Input((params.TX, params.N_FREQ))
    other = tmp_path / "other.keras"
    keras.Model(inp, keras.layers.Dense(1)(inp)).save(other)
    (tmp_path / "junk.weights.h5").write_bytes(b"junk")
    for init, says in ((tmp_path / "none.weights.h5", "no such model file"),
                       (tmp_path / "junk.weights.h5", "not a readable"),
                       (other, "model_f has 13")):
        capsys.readouterr()
        assert main(_train_args(tiny_corpus, tmp_path / "run", "--init", str(init))) == 2
        err = _one_line(capsys)
        assert err.startswith(f"triggerword train: --init {init}") and says in err, err
    assert not (tmp_path / "run").exists()


def test_run_and_export_folders_are_checked_first(tmp_path, tiny_corpus, one_epoch_run, capsys):
    from triggerword.train import main
    a_file = tmp_path / "file.txt"
    a_file.write_text("mine")
    for args, says in ((_train_args(tiny_corpus, ""), "--run: no folder name given"),
                       (_train_args(tiny_corpus, a_file / "run"), f"{a_file} is a file, not a folder"),
                       (_train_args(tiny_corpus, a_file), "is a file, not a folder"),
                       (["--run", str(one_epoch_run), "--export", ""], "--export: no folder name given"),
                       (["--run", str(one_epoch_run), "--export", str(a_file / "out")], f"{a_file} is a file"),
                       (["--run", "", "--export", str(tmp_path / "out")], "--run: no folder name given")):
        capsys.readouterr()
        assert main(args) == 2
        assert says in _one_line(capsys)
    assert a_file.read_text() == "mine" and not (tmp_path / "out").exists()


@pytest.mark.parametrize("option", [["--examples", "0"], ["--batch-size", "0"], ["--learning-rate=-1e-3"],
                                    ["--learning-rate", "nan"], ["--learning-rate", "0"], ["--threads", "-2"],
                                    ["--workers", "-1"], ["--epochs", "0"], ["--epochs", "-1"], ["--seed", "-1"]])
def test_numeric_options_out_of_range_are_refused(tmp_path, option, capsys):
    from triggerword.train import main
    run = tmp_path / "run"
    with pytest.raises(SystemExit) as exc:   # a missing corpus: the old code failed there instead, quickly
        main(["--corpus", str(tmp_path / "missing"), "--dev", "", "--run", str(run), *option])
    assert exc.value.code == 2
    assert f"argument {option[0].split('=')[0]}: must be" in capsys.readouterr().err
    assert not run.exists()


def test_recipe_entries_of_the_wrong_shape_are_refused(tmp_path, capsys):
    from triggerword.train import RECIPE, entry_problem, main
    assert all(entry_problem(key, value) is None for key, value in RECIPE.items())
    assert entry_problem("freq_masks", [2, 1]) is None   # [how many, widest]: not a range
    for entry, says in (('speed="fast"', "speed must be two numbers"),
                        ("n_activates=[3,1]", "low <= high"),
                        ("n_activates=[1,2,3]", "must be two numbers"),
                        ("dropout=2", "dropout must be a number from 0 to 1"),
                        ("p_reverb=-0.1", "from 0 to 1"),
                        ("batch_size=0", "batch_size must be a whole number, 1 or more"),
                        ("examples_per_epoch=0", "examples_per_epoch must be a whole number, 1 or more"),
                        ('learning_rate="x"', "learning_rate must be a number")):
        with pytest.raises(SystemExit):
            main(["--corpus", str(tmp_path / "missing"), "--dev", "", "--run", str(tmp_path / "run"),
                  "--set", entry])
        assert says in capsys.readouterr().err, entry
    (tmp_path / "bad.json").write_text(json.dumps({"recipe": {"speed": [1.2, 0.9]}}))
    with pytest.raises(SystemExit):
        main(["--run", str(tmp_path / "run"), "--recipe", str(tmp_path / "bad.json")])
    assert "speed must be a range [low, high]" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_set_learning_rate_is_the_rate_trained_at(tmp_path, tiny_corpus):
    """--set learning_rate=X trains at X, as --learning-rate X does; before, recipe.json said X while the
    optimiser kept the default (log.csv's lr column showed 0.001)."""
    import csv
    from triggerword.train import main
    run = tmp_path / "lr"
    assert main(_train_args(tiny_corpus, run, "--set", "learning_rate=0.0005")) == 0
    with open(run / "log.csv", newline="") as f:
        rates = [float(row["lr"]) for row in csv.DictReader(f)]
    assert rates and all(r == pytest.approx(0.0005) for r in rates)
    assert json.loads((run / "recipe.json").read_text())["recipe"]["learning_rate"] == 0.0005


def test_a_dev_folder_that_is_not_there_or_holds_nothing_is_one_line(tmp_path, tiny_corpus, capsys):
    """--dev naming a missing folder once meant no dev set, silently (best.pt then went by the loss);
    a folder without labels.json was a FileNotFoundError traceback, one whose clips cannot be read a
    numpy one. Each is now one line, before the run folder is made."""
    from triggerword.train import main
    nolabels, unreadable = tmp_path / "nolabels", tmp_path / "unreadable"
    nolabels.mkdir()
    unreadable.mkdir()
    (unreadable / "labels.json").write_text('{"gone.wav": [5000]}')
    for dev, message, code in ((tmp_path / "typo", "no such folder (--dev none trains without a dev set)", 2),
                               (nolabels, "labels.json: no labels", 1),
                               (unreadable, "no clip of its labels.json could be read", 1)):
        run = tmp_path / f"run-{dev.name}"
        args = _train_args(tiny_corpus, run)
        args[args.index("--dev") + 1] = str(dev)
        capsys.readouterr()
        assert main(args) == code, dev
        assert message in _one_line(capsys), dev
        assert not run.exists(), dev
