"""Apply the rules of training/run57/plan.md to `triggerword evaluate --json` outputs.

    triggerword evaluate --model training/runN/keras/model.weights.h5 --fa cache/heldout/fa \\
        --fa2 cache/heldout-seed8/fa --talk cache/everyday/fa --engine cache/heldout/engine \\
        --extra 'flite read whole=cache/connected9/engine' --extra 'Kokoro read whole=cache/connected9/neural' \\
        --extra 'flite from pieces=cache/heldout-engine9/engine' \\
        --extra 'Kokoro from pieces=cache/heldout-engine9/neural' --json > runN.json
    python scripts/apply_rule57.py runN.json [runM.json ...]                 # rule 2 for each
    python scripts/apply_rule57.py --recipe run57.json run58.json            # rule 1: recipe against control

Rule 2 (shipping): the smallest threshold from 0.50 up, in steps of 0.05, at which the two near-miss
hours together hold at most 60 false alarms per hour and the everyday hour at most 15; there a run
ships if F1 on flite read whole >= 0.575, on the held-out Kokoro voices read whole >= 0.914 and dev
F1 >= 0.85. Rule 1: the recipe holds if, at 0.5, the first run's F1 on flite read whole is at least
0.06 above the control's and its Kokoro-read-whole F1 no more than 0.03 below. The rules were
written before runs 57 and 58 were scored; this script only does their arithmetic.
"""
import json
import sys

FLITE, KOKORO = "flite read whole", "Kokoro read whole"
NEAR_MISS_MAX, EVERYDAY_MAX = 60.0, 15.0
FLITE_MIN, KOKORO_MIN, DEV_MIN = 0.575, 0.914, 0.85
EPS = 1e-9


def operating_point(rows):
    """The smallest threshold >= 0.50 within both false-alarm limits, or None."""
    ok = [r for r in rows if r["threshold"] >= 0.5 - EPS
          and r["fa_per_hour"] + r["fa2_per_hour"] <= NEAR_MISS_MAX + EPS and r["talk_per_hour"] <= EVERYDAY_MAX + EPS]
    return min(ok, key=lambda r: r["threshold"]) if ok else None


def ships(row):
    return (row["extra_f1"][FLITE] >= FLITE_MIN - EPS and row["extra_f1"][KOKORO] >= KOKORO_MIN - EPS
            and row["f1"] >= DEV_MIN - EPS)


def line(r):
    x = "  ".join(f"{k} {v:.3f}" for k, v in r["extra_f1"].items())
    return (f"{r['threshold']:.2f}  dev F1 {r['f1']:.3f}  engine39 {r['engine_f1']:.3f}  near-miss FA/h "
            f"{r['fa_per_hour']:.0f}+{r['fa2_per_hour']:.0f}  everyday {r['talk_per_hour']:.0f}  {x}")


def at(rows, t):
    return next(r for r in rows if abs(r["threshold"] - t) < EPS)


def main(args):
    if args[:1] == ["--recipe"]:
        new, control = (at(json.load(open(p))["sweep"], 0.5) for p in args[1:3])
        df = new["extra_f1"][FLITE] - control["extra_f1"][FLITE]
        dk = new["extra_f1"][KOKORO] - control["extra_f1"][KOKORO]
        holds = df >= 0.06 - EPS and dk >= -0.03 - EPS
        print(f"rule 1 at 0.50: {FLITE} {df:+.3f} (needs >= +0.060), {KOKORO} {dk:+.3f} (needs >= -0.030): "
              + ("the recipe holds" if holds else "the recipe does not hold"))
        return 0
    for path in args:
        rows = json.load(open(path))["sweep"]
        print(f"== {path}")
        for r in rows:
            if 0.5 - EPS <= r["threshold"] <= 0.9 + EPS:
                print(line(r))
        point = operating_point(rows)
        if point is None:
            print("rule 2: no threshold from 0.50 up meets both false-alarm limits; does not ship")
        else:
            print(f"rule 2 at {point['threshold']:.2f}: " + ("ships" if ships(point) else "does not ship"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
