#!/usr/bin/env bash
# Make every cache/ folder the shipped recipe trains on and the model report scores on, in order,
# each with the README's own command. Run it after a fresh checkout (cache/ is not in git):
#
#     nohup bash scripts/make_cache.sh > cache.log 2>&1 &     # about 1.3 h on 2 cores
#     bash scripts/make_cache.sh --train                      # only what `triggerword train` reads: 40 min
#
# Measured on 2 cores shared with other work (2026-12-05): corpus 10 min, sentences 29, extra 1,
# heldout 2, connected9 9, real 4; the last three steps took 4, 13 and 8 minutes by the README.
#
# Each step continues where an interrupted one stopped (the generators record finished jobs), and a
# step whose folder is already complete runs through quickly, so the script is safe to run again.
# Each step's progress goes to cache/<step>.log; this script prints one line per step.
set -euo pipefail
cd "$(dirname "$0")/.."
# The generators write under the checkout the `triggerword` package is installed from, not the
# current folder: refuse when that is another checkout (a clone's `pip install -e .` re-points it).
installed=$(cd / && python3 -c "import pathlib, triggerword; print(pathlib.Path(triggerword.__file__).resolve().parent.parent)" 2>/dev/null || true)
if [[ "$installed" != "$(pwd -P)" ]]; then
    echo "make_cache: the triggerword command is installed from $installed, not $(pwd -P): run 'pip install --no-deps -e .' here first" >&2
    exit 1
fi
mkdir -p cache
only_train=0
[[ "${1:-}" == "--train" ]] && only_train=1

step() {   # step NAME COMMAND...
    local name=$1; shift
    echo "$(date +%H:%M:%S) $name: $*"
    "$@" > "cache/$name.log" 2>&1 || { echo "make_cache: step $name failed, see cache/$name.log" >&2; exit 1; }
}

# What the shipped run's recipe reads (models/export.json names the run; its recipe.json).
step corpus triggerword corpus --target cache
step sentences triggerword corpus --target sentences --sentences-ask 0 --sentences-talk 0 --sentences-wide 0 --sentences-service 0
step extra triggerword corpus --target extra --sentences 12
((only_train)) && { echo "$(date +%H:%M:%S) done (training data only)"; exit 0; }

# What models/EVAL.md's command scores on.
step heldout triggerword corpus --target heldout
step connected9 triggerword corpus --target heldout --whole --seed 9 --dev 160 --neural 160 --fa-minutes 0 --fa-readings 0 --out cache/connected9
step real triggerword realspeech
step heldout-seed8 triggerword corpus --target heldout --seed 8 --dev 0 --out cache/heldout-seed8
step everyday triggerword corpus --target everyday
step heldout-engine9 triggerword corpus --target heldout --seed 9 --dev 160 --neural 160 --fa-minutes 0 --fa-readings 0 --out cache/heldout-engine9
echo "$(date +%H:%M:%S) done"
