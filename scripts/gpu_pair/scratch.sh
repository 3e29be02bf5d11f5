# From-scratch runs of run23's recipe on a 32-epoch schedule, side by side on one GPU, seed 12
# (training/run45/plan.md): bash scripts/gpu_pair/scratch.sh NAME 'EXTRA --set ARGS' [NAME 'ARGS' ...],
# e.g. runs 46/47: scratch.sh r46 '' r47 "--set input_norm=\"bin_mean\"". Run from the repository root
# on the GPU machine with gpu/corpus.tgz and gpu/whl/ (see setup.sh; runs 46-47 ran from the earlier
# packer's gpu/corpus.tar, pack.py 0.92 0.9: see corpus_opus.py). The 14 data
# workers are shared out among the runs. Training stops at STOP_S seconds (default 430) if it has not
# finished, so the logs and the last epoch still come back: each run replaces its checkpoint
# atomically after every epoch (export here: triggerword train --run R --export DIR --export-epoch last).
OUT=${OUT:-gpu/out}; mkdir -p "$OUT"
t0=$(date +%s)
source scripts/gpu_pair/setup.sh /tmp/c44 || exit 1
echo "unpacked in $(( $(date +%s) - t0 )) s"
workers=$(( 14 / ($# / 2) ))
common="--corpus /tmp/c44 --dev none --device cuda --workers $workers --epochs ${EPOCHS:-32} --examples 800 --learning-rate 1e-3 --seed ${SEED:-12} --set phrase_prob=0.8 --set speed=[0.85,1.18] --set p_colour=0.9 --set p_reverb=0.6 --set phrase_negatives=[2,5] --set phrase_gap_ms=[15,150] --set sentence_negatives=[0,2] --set sentence_positives=[0,2] --set level_db=[-38,-12] --set ema=0.99 --set lr_decay_epochs=${EPOCHS:-32} --set lr_final=1e-5 --set hard_negatives=\"training/run19/mined.json\" --set hard_weight=2"
sets='sentence_sets=["with","without","more","near"]'
names=(); pids=()
while [ $# -ge 2 ]; do
  python3 -m triggerword train $common --run /tmp/runs/$1 --set "$sets" $2 > $OUT/$1.out 2>&1 &
  names+=("$1"); pids+=($!); shift 2
done
left=$(( ${STOP_S:-430} - ($(date +%s) - t0) ))
( sleep $left; pkill -f "triggerword train" ) & watchdog=$!
wait "${pids[@]}"
kill $watchdog 2>/dev/null
echo "trained until $(( $(date +%s) - t0 )) s"
for r in "${names[@]}"; do cp /tmp/runs/$r/log.csv $OUT/$r.log.csv; cp /tmp/runs/$r/recipe.json $OUT/$r.recipe.json; cp /tmp/runs/$r/checkpoint.pt $OUT/$r.checkpoint.pt; tail -c 600 $OUT/$r.out | tr '\r' '\n' | tail -3; done
ls -la $OUT
