"""A hold rule measured on a model: a detection only once the output has stayed above the threshold
for HOLD consecutive steps (the chime rule's gap kept), against the plain chime rule (HOLD 1).

    python scripts/hold_rule.py models/model.weights.h5

Prints dev F1, held-out-engine F1, real-speech and near-miss false alarms an hour for thresholds
0.5-0.7 and HOLD 1-30, on raw_data/dev, cache/heldout/engine, cache/real and cache/heldout/fa. The
first line checks that HOLD 1 scores the dev set exactly as ``score_clips`` does. The scoring of the
workbook and of the checks stays the chime rule; this only asks whether a detector could do better
by waiting (HISTORY, "A hold rule").
"""
import sys, numpy as np
from td_utils import match_events, event_scores
from triggerword import params
from triggerword.evaluate import read_clips, predict_keras, load_labels, score_clips
from triggerword.model import load_model_f
model = load_model_f(sys.argv[1])
def probs(folder, names=None):
    n, f = read_clips(folder, names, warn=lambda *a: None)
    return n, predict_keras(model, f)
def dets(p, t, hold):
    out, run, last = [], 0, None
    for s, a in enumerate(p > t):
        run = run + 1 if a else 0
        if run == hold and (last is None or s - last >= params.CHIME_GAP_STEPS):
            out.append(s); last = s
    return [s * params.STEP_S for s in out]
def f1(P, truths, t, hold):
    h = fa = m = 0
    for p, ends in zip(P, truths):
        a, b, c = match_events(dets(p, t, hold), [e / 1000 for e in ends], params.HIT_BEFORE_S, params.HIT_AFTER_S)
        h, fa, m = h + a, fa + b, m + c
    return event_scores(h, fa, m)["f1"]
def per_hour(P, t, hold):
    return sum(len(dets(p, t, hold)) for p in P) / (len(P) * 10 / 3600)
dl = load_labels("raw_data/dev"); dn, dP = probs("raw_data/dev", sorted(dl))
el = load_labels("cache/heldout/engine"); en, eP = probs("cache/heldout/engine", sorted(el))
_, rP = probs("cache/real"); _, fP = probs("cache/heldout/fa")
print("check hold=1 dev F1 equals score_clips:", round(f1(dP, [dl[n] for n in dn], 0.5, 1), 4), round(score_clips(list(dP), [dl[n] for n in dn], 0.5)["f1"], 4))
for t in (0.5, 0.6, 0.7):
    for hold in (1, 5, 10, 15, 20, 25, 30):
        print(f"t={t} hold={hold:2d} dev={f1(dP,[dl[n] for n in dn],t,hold):.3f} engine={f1(eP,[el[n] for n in en],t,hold):.3f} "
              f"real={per_hour(rP,t,hold):.1f} nearmiss={per_hour(fP,t,hold):.0f}", flush=True)
