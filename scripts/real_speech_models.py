"""False alarms per hour in real speech for several models on the same clips, as a Markdown table.

    python scripts/real_speech_models.py [--real cache/real] [MODEL ...]

MODEL: a weights file (default: models/model.weights.h5 and every training/*/final.weights.h5).
The clips are read once (``triggerword realspeech`` makes them) and scored by the same functions
as ``triggerword evaluate --real``: per hour in all and for the English speaker, at 0.5 and 0.7, then
each other set at 0.5. About 2.5 minutes a model on two cores.
"""
import argparse
import glob
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from triggerword import evaluate  # noqa: E402
from triggerword.model import load_model_f  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*")
    parser.add_argument("--real", default="cache/real")
    args = parser.parse_args(argv)
    models = args.models or ["models/model.weights.h5"] + sorted(glob.glob("training/*/final.weights.h5"))
    names, feats = evaluate.read_clips(args.real, progress=True)
    if not feats:
        sys.exit(f"{args.real}: no clips; make them with `triggerword realspeech --out {args.real}`")
    head = None
    for m in models:
        rows = evaluate.real_by_speaker(names, evaluate.predict_keras(load_model_f(m), feats))
        by = {r["speaker"]: r["per_hour"] for r in rows}
        sets = [s for s in by if s not in ("all", "en-allison")]
        if head is None:
            head = sets
            print("| model | all, 0.5 | all, 0.7 | en-allison, 0.5 | en-allison, 0.7 | " + " | ".join(sets) + " |")
            print("|---" * (5 + len(sets)) + "|")
        en = by.get("en-allison", {0.5: float("nan"), 0.7: float("nan")})
        print(f"| {m} | {by['all'][0.5]:.1f} | {by['all'][0.7]:.1f} | {en[0.5]:.1f} | {en[0.7]:.1f} | "
              + " | ".join(f"{by[s][0.5]:.0f}" if s in by else "" for s in head) + " |", flush=True)


if __name__ == "__main__":
    main()
