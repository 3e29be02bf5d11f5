# Sourced from the repository root on the GPU machine by run.sh, scratch.sh, training/run73/gpu.sh and run99/gpu.sh:
#   source scripts/gpu_pair/setup.sh CORPUS_DIR
# Installs the wheels in gpu/whl/ that its Python lacks (keras 3.15.1, namex, optree, soundfile, cffi,
# pycparser), sets the environment, and unpacks gpu/corpus.tgz into CORPUS_DIR (made here by
# `python scripts/gpu_pair/corpus_opus.py pack cache/corpus gpu/corpus.tgz`), and gpu/dev.tgz, if
# there, into raw_data/dev (`... pack raw_data/dev gpu/dev.tgz`).
if ls gpu/whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site gpu/whl/*.whl || return 1
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
# one thread per data worker (scipy and numpy would start one per core in each); tqdm every 10 s
export KERAS_BACKEND=torch PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 TQDM_MININTERVAL=10
mount -o remount,size=48G /dev/shm 2>/dev/null || true  # the workers' batches pass through it
echo "cores $(nproc --all); $(df -h /dev/shm | tail -1)"; nvidia-smi -L 2>/dev/null || true
python3 -c "import torch, keras, soundfile; print('torch', torch.__version__, 'keras', keras.__version__, 'cuda', torch.cuda.is_available())" || return 1
python3 scripts/gpu_pair/corpus_opus.py unpack gpu/corpus.tgz "$1" || return 1
if [ -f gpu/dev.tgz ]; then python3 scripts/gpu_pair/corpus_opus.py unpack gpu/dev.tgz raw_data/dev || return 1; fi
