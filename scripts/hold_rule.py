"""A hold rule measured on a model: a detection only once the output has stayed above the threshold
for HOLD consecutive steps (the chime rule's gap kept), against the plain chime rule (HOLD 1).

    python scripts/hold_rule.py models/model.weights.h5

Prints dev F1, held-out-engine F1, real-speech and near-miss false alarms an hour for thresholds
0.5-0.7 and HOLD 1-30, on raw_data/dev, cache/heldout/engine, cache/real and cache/heldout/fa. The
scoring of the workbook and of the checks stays the chime rule; this only asks whether a detector
could do better by waiting (HISTORY, "A hold rule").

How: the output's minimum over the last HOLD steps is above the threshold exactly where the output
has been above it for HOLD steps, so the chime rule on that trailing minimum (``score_clips``,
``false_alarms_per_hour``, unchanged) fires at the step a run above the threshold reaches HOLD.
"""
import sys

from scipy.ndimage import minimum_filter1d

from triggerword.evaluate import false_alarms_per_hour, load_labels, predict_keras, read_clips, score_clips
from triggerword.model import load_model_f


def held(probabilities, hold):
    """Each step's minimum over itself and the ``hold - 1`` steps before it, steps before the clip
    counting as 0 (so a run above the threshold counts from the clip's start, as the chime rule's)."""
    if hold == 1:
        return probabilities
    # a window of ``hold`` ending at each step: scipy centres it, and origin (hold - 1) // 2 moves it back
    return minimum_filter1d(probabilities, hold, axis=-1, origin=(hold - 1) // 2, mode="constant", cval=0.0)


def main(path):
    model = load_model_f(path)

    def probs(folder, names=None):
        names, feats = read_clips(folder, names, warn=lambda *a: None)
        return names, predict_keras(model, feats)

    dev_labels, engine_labels = load_labels("raw_data/dev"), load_labels("cache/heldout/engine")
    dev_names, dev = probs("raw_data/dev", sorted(dev_labels))
    engine_names, engine = probs("cache/heldout/engine", sorted(engine_labels))
    _, real = probs("cache/real")
    _, near = probs("cache/heldout/fa")
    dev_truths = [dev_labels[n] for n in dev_names]
    engine_truths = [engine_labels[n] for n in engine_names]
    for threshold in (0.5, 0.6, 0.7):
        for hold in (1, 5, 10, 15, 20, 25, 30):
            d = score_clips(list(held(dev, hold)), dev_truths, threshold)["f1"]
            e = score_clips(list(held(engine, hold)), engine_truths, threshold)["f1"]
            print(f"t={threshold} hold={hold:2d} dev={d:.3f} engine={e:.3f} "
                  f"real={false_alarms_per_hour(list(held(real, hold)), threshold):.1f} "
                  f"nearmiss={false_alarms_per_hour(list(held(near, hold)), threshold):.0f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
