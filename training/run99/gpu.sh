#!/usr/bin/env bash
# Run 99 (plan.md beside this file): run78's recipe with label_delay=30, from scratch, on a machine with
# a CUDA GPU, PyTorch and 16 cores. Run from the repository root with gpu/corpus.tgz, gpu/dev.tgz and
# gpu/whl/ (scripts/gpu_pair/setup.sh says how each is made; scripts/gpu_pair/slim.sh makes the tree
# light enough to travel). Writes the run's last checkpoint, log and Keras weights into $OUT.
# As run: BUDGET=520 bash training/run99/gpu.sh, then two more epochs in the same lease (plan.md).
# Checked on a CPU machine first, in a copy of the tree without raw_data/ (setup.sh unpacks the dev set
# there) and without gpu/whl/ (wheels for the GPU machine's Python 3.12), with the environment
# DEVICE=cpu WORKERS=1 EXAMPLES=64 BUDGET=120 CORPUS=/tmp/dry-corpus RUN=/tmp/dry-run.
set -euo pipefail
START=$(date +%s)
DEVICE=${DEVICE:-cuda} EXAMPLES=${EXAMPLES:-8000} BUDGET=${BUDGET:-470} WORKERS=${WORKERS:-14}
RUN=${RUN:-/tmp/run99} CORPUS=${CORPUS:-/tmp/c99}
source scripts/gpu_pair/setup.sh "$CORPUS"
echo "ready after $(( $(date +%s) - START )) s"
MACHINE=(--device "$DEVICE" --workers "$WORKERS" --threads 2 --run "$RUN")
# epoch 1 at a constant 1e-3 (run73's start); its time sets the run's length, then the rate falls to 0
# along a half cosine over all the epochs that end within BUDGET seconds of the start
python3 -m triggerword train --recipe training/run78 --corpus "$CORPUS" --epochs 1 --examples "$EXAMPLES" \
  --learning-rate 1e-3 --seed 11 --set label_delay=30 --set lr_decay_epochs=0 "${MACHINE[@]}"
EPOCH_S=$(python3 -c "import csv; print(float(list(csv.DictReader(open('$RUN/log.csv')))[-1]['seconds']))")
LEFT=$(( START + BUDGET - $(date +%s) ))
TOTAL=$(python3 -c "import math; print(max(2, 1 + math.floor($LEFT / ($EPOCH_S * 1.05 + 8))))")
echo "epoch 1 took $EPOCH_S s; $LEFT s left: $TOTAL epochs in all"
timeout $(( LEFT + 40 )) python3 -m triggerword train --resume --corpus "$CORPUS" --epochs "$TOTAL" \
  --set lr_decay_epochs="$TOTAL" "${MACHINE[@]}" || echo "stopped at the budget (rc $?): the last finished epoch is kept"
if [ -n "${OUT:-}" ]; then
  cp "$RUN/checkpoint.pt" "$RUN/log.csv" "$RUN/recipe.json" "$OUT/"
  mkdir -p "$OUT/keras" && cp "$RUN/keras/model.json" "$RUN/keras/model.weights.h5" "$OUT/keras/"
fi
cat "$RUN/log.csv"
echo "done after $(( $(date +%s) - START )) s"
