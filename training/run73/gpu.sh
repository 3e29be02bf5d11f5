#!/usr/bin/env bash
# Run 73 (plan.md beside this file) on a machine with a CUDA GPU, PyTorch and 16 cores, from the
# repository root with gpu/: corpus.tgz and dev.tgz (scripts/gpu_pair/corpus_opus.py pack), whl/
# (scripts/gpu_pair/setup.sh), mined/ (run59's and run61's mined files) and, for MORE_TO,
# run73/checkpoint.pt.xz. Writes the run's last checkpoint, log and Keras weights into $OUT.
# (As run, the same steps read .dev/ instead of gpu/ and set the environment themselves; since then
# they are scripts/gpu_pair/setup.sh, shared with run.sh and scratch.sh.)
set -euo pipefail
START=$(date +%s)
DEVICE=${DEVICE:-cuda} EXAMPLES=${EXAMPLES:-8000} BUDGET=${BUDGET:-470} WORKERS=${WORKERS:-14}
RUN=${RUN:-/tmp/run73}
source scripts/gpu_pair/setup.sh cache/corpus
mkdir -p training/run59 training/run61
cp gpu/mined/run59.json training/run59/mined.json
cp gpu/mined/run61-mined-run60.json training/run61/mined-run60.json
echo "ready after $(( $(date +%s) - START )) s"

RECIPE=(--set phrase_prob=0.8 --set 'speed=[0.85,1.18]' --set p_colour=0.9 --set p_reverb=0.6
  --set 'phrase_negatives=[2,5]' --set 'phrase_gap_ms=[15,150]' --set 'sentence_negatives=[0,2]'
  --set 'level_db=[-38,-12]' --set ema=0.99 --set lr_final=0
  --set 'sentence_sets=["with","without","more","near"]' --set 'n_activates=[0,2]' --set 'sentence_positives=[1,3]'
  --set 'hard_negatives=["training/run59/mined.json","training/run61/mined-run60.json"]' --set hard_weight=10)
MACHINE=(--device "$DEVICE" --workers "$WORKERS" --threads 2 --run "$RUN")
if [ -n "${MORE_TO:-}" ]; then  # a second lease: go on from the checkpoint carried in gpu/run73, the rate
  mkdir -p "$RUN"   # restarting on the cosine over MORE_TO epochs; the checkpoint may travel xz-compressed
  python3 -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" \
    gpu/run73/checkpoint.pt.xz "$RUN/checkpoint.pt"
  timeout $(( START + BUDGET - $(date +%s) )) python3 -m triggerword train --resume --epochs "$MORE_TO" \
    --set lr_decay_epochs="$MORE_TO" "${MACHINE[@]}" || echo "stopped at the budget (rc $?): the last finished epoch is kept"
else
  python3 -m triggerword train --corpus cache/corpus --epochs 1 --examples "$EXAMPLES" --learning-rate 1e-3 --seed 11 \
    "${RECIPE[@]}" "${MACHINE[@]}"
  NOW=$(date +%s)
  EPOCH_S=$(python3 -c "import csv; print(float(list(csv.DictReader(open('$RUN/log.csv')))[-1]['seconds']))")
  LEFT=$(( START + BUDGET - NOW ))
  TOTAL=$(python3 -c "import math; print(max(2, 1 + math.floor($LEFT / ($EPOCH_S * 1.05 + 8))))")
  echo "epoch 1 took $EPOCH_S s; $LEFT s left: $TOTAL epochs in all"
  timeout $(( LEFT + 40 )) python3 -m triggerword train --resume --epochs "$TOTAL" --set lr_decay_epochs="$TOTAL" \
    "${MACHINE[@]}" || echo "stopped at the budget (rc $?): the last finished epoch is kept"
fi
if [ -n "${OUT:-}" ]; then
  cp "$RUN/checkpoint.pt" "$RUN/log.csv" "$RUN/recipe.json" "$OUT/"
  mkdir -p "$OUT/keras" && cp "$RUN/keras/model.json" "$RUN/keras/model.weights.h5" "$OUT/keras/"
fi
cat "$RUN/log.csv"
echo "done after $(( $(date +%s) - START )) s"
