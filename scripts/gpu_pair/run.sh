# Two 30-epoch runs of run22's recipe from run17's epoch 40 on one GPU, side by side: lead_prob 0
# (the control) and 0.5, one seed (training/run33/plan.md). Run from the repository root on the GPU
# machine, with gpu/corpus.tgz and gpu/whl/ (setup.sh says what they are) and
# cache/run17-epoch40/model.weights.h5 there. Writes the two runs' logs, recipes and last weights into
# $OUT (default gpu/out). (Runs 35-38 ran from the earlier packer's gpu/corpus.tar: corpus_opus.py.)
set -e
OUT=${OUT:-gpu/out}; mkdir -p "$OUT"
t0=$(date +%s)
source scripts/gpu_pair/setup.sh /tmp/c44
echo "unpacked in $(( $(date +%s) - t0 )) s"
common="--corpus /tmp/c44 --init cache/run17-epoch40/model.weights.h5 --dev none --device cuda --workers ${WORKERS:-7} --epochs ${EPOCHS:-30} --examples 800 --learning-rate 3e-4 --seed ${SEED:-10} --set phrase_prob=0.8 --set speed=[0.85,1.18] --set p_colour=0.9 --set p_reverb=0.6 --set phrase_negatives=[2,5] --set phrase_gap_ms=[15,150] --set sentence_negatives=[0,2] --set sentence_positives=[0,2] --set level_db=[-38,-12] --set ema=0.99 --set lr_decay_epochs=30 --set lr_final=0"
sets='sentence_sets=["with","without","more","near"]'
python3 -m triggerword train $common --run /tmp/runs/g0 --set "$sets" --set lead_prob=0 > $OUT/g0.out 2>&1 &
python3 -m triggerword train $common --run /tmp/runs/g5 --set "$sets" --set lead_prob=0.5 > $OUT/g5.out 2>&1 &
wait
echo "trained in $(( $(date +%s) - t0 )) s"
for r in g0 g5; do cp /tmp/runs/$r/log.csv $OUT/$r.log.csv; cp /tmp/runs/$r/recipe.json $OUT/$r.recipe.json; cp /tmp/runs/$r/keras/model.weights.h5 $OUT/$r.weights.h5; done
ls -la $OUT
