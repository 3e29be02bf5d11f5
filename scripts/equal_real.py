"""A run's threshold sweep against a control's, at equal false alarms in real speech.

    python scripts/equal_real.py CONTROL_SCORES.json RUN_SCORES.json [--low 0.4] [--high 0.8]

Both files are ``triggerword evaluate ... --real cache/real --json`` outputs (each run's
``training/runN/scores.json``). For each threshold of the run's sweep, the control's figures are
interpolated on its own sweep at the run's real-speech false-alarm rate, so a run that only fires
more (or less) lies on the control's curve, and one that detects better at the same cost lies above
it. Prints one line per threshold: real false alarms an hour, the near-miss hour's (the control's
at that point in brackets), and engine, flite read whole, Kokoro read whole and dev F1 with their
distance from the control's curve.
"""
from __future__ import annotations

import argparse
import json

import numpy as np


def curve(sweep, key, x, extra=False):
    """The control's ``key`` interpolated at real-speech false alarms per hour ``x``."""
    real = np.array([row["real_per_hour"] for row in sweep])
    order = np.argsort(real)
    values = np.array([(row["extra_f1"][key] if extra else row[key]) for row in sweep])
    return float(np.interp(x, real[order], values[order]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("control")
    parser.add_argument("run")
    parser.add_argument("--low", type=float, default=0.4, help="lowest threshold shown (default 0.4)")
    parser.add_argument("--high", type=float, default=0.8, help="highest threshold shown (default 0.8)")
    args = parser.parse_args(argv)
    with open(args.control) as f:
        control = json.load(f)["sweep"]
    with open(args.run) as f:
        run = json.load(f)["sweep"]
    for row in run:
        if not args.low - 1e-9 <= row["threshold"] <= args.high + 1e-9:
            continue
        x = row["real_per_hour"]
        parts = [f"t={row['threshold']:.2f} real {x:5.1f}",
                 f"fa {row['fa_per_hour']:3.0f} (control {curve(control, 'fa_per_hour', x):3.0f})",
                 f"engine {row['engine_f1']:.3f} ({row['engine_f1'] - curve(control, 'engine_f1', x):+.3f})"]
        for label in ("flite read whole", "Kokoro read whole"):
            if label in row.get("extra_f1", {}):
                value = row["extra_f1"][label]
                parts.append(f"{label} {value:.3f} ({value - curve(control, label, x, True):+.3f})")
        parts.append(f"dev {row['f1']:.3f} ({row['f1'] - curve(control, 'f1', x):+.3f})")
        print("  ".join(parts))


if __name__ == "__main__":
    main()
