"""Pack the corpus parts that run22's recipe reads into one tar of Opus files small enough to travel
to a GPU machine (64 MiB there): ``python scripts/gpu_pair/pack.py SPEECH_LEVEL NOISE_LEVEL``, e.g.
0.87 0.8 (libsndfile's Opus compression levels: 0 best, 1 smallest). Speech goes at 24 kHz (the TTS
words hold about 1e-4 of their energy above 11.5 kHz), backgrounds at 48 kHz. Writes gpu/corpus.tar;
``unpack.py`` there makes 44,100 Hz WAVs of it again. Lossy: both arms of a pair share the loss.
"""
import json, os, shutil, sys, tarfile
from concurrent.futures import ProcessPoolExecutor
import numpy as np, soundfile as sf
from scipy.signal import resample_poly

SRC, DST = 'cache/corpus', 'gpu/corpus'
SETS = ("with", "without", "more", "near")
SPEECH_Q, NOISE_Q = float(sys.argv[1]), float(sys.argv[2])

def one(job):
    src, dst, speech = job
    x, sr = sf.read(src, dtype='float32')
    if x.ndim > 1:
        x = x[:, 0]
    if speech:
        y, rate, q = resample_poly(x, 80, 147).astype(np.float32), 24000, SPEECH_Q
    else:
        y, rate, q = resample_poly(x, 160, 147).astype(np.float32), 48000, NOISE_Q
    sf.write(dst, y, rate, format='OGG', subtype='OPUS', compression_level=q)
    return os.path.getsize(dst)

jobs = []
for part in ("activates", "negatives", "backgrounds", "sentences"):
    os.makedirs(f"{DST}/{part}", exist_ok=True)
    for n in sorted(os.listdir(f"{SRC}/{part}")):
        if not n.endswith(".wav") or (part == "sentences" and n.split("-")[0] not in SETS):
            continue
        jobs.append((f"{SRC}/{part}/{n}", f"{DST}/{part}/{n[:-4]}.ogg", part != "backgrounds"))
labels = json.load(open(f"{SRC}/sentences/labels.json"))
keep = {k: v for k, v in labels.items() if k.split("-")[0] in SETS}
json.dump(keep, open(f"{DST}/sentences/labels.json", "w"))
with ProcessPoolExecutor(2) as ex:
    sizes = list(ex.map(one, jobs, chunksize=32))
by = {}
for (src, _, _), s in zip(jobs, sizes):
    by[src.split('/')[2]] = by.get(src.split('/')[2], 0) + s
with tarfile.open("gpu/corpus.tar", "w") as tar:
    tar.add(DST, arcname="corpus")
shutil.rmtree(DST)
print({k: round(v / 2**20, 1) for k, v in by.items()}, 'MiB;', len(jobs), 'files -> gpu/corpus.tar')
