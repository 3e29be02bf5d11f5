"""Decode the packed Opus corpus into 44,100 Hz 16-bit WAVs in parallel (on the GPU machine):
``python3 scripts/gpu_pair/unpack.py PACKED_DIR OUT_DIR [PROCESSES]``."""
import os, shutil, sys
from concurrent.futures import ProcessPoolExecutor
import numpy as np, soundfile as sf
from scipy.signal import resample_poly

SRC, DST = sys.argv[1], sys.argv[2]

def one(job):
    src, dst = job
    x, sr = sf.read(src, dtype='float32')
    up, down = (147, 80) if sr == 24000 else (147, 160)
    y = resample_poly(x, up, down)
    sf.write(dst, np.clip(np.round(y * 32768), -32768, 32767).astype(np.int16), 44100, subtype='PCM_16')

jobs = []
for part in os.listdir(SRC):
    os.makedirs(f"{DST}/{part}", exist_ok=True)
    for n in os.listdir(f"{SRC}/{part}"):
        if n.endswith(".ogg"):
            jobs.append((f"{SRC}/{part}/{n}", f"{DST}/{part}/{n[:-4]}.wav"))
shutil.copy(f"{SRC}/sentences/labels.json", f"{DST}/sentences/labels.json")
with ProcessPoolExecutor(int(sys.argv[3]) if len(sys.argv) > 3 else os.cpu_count()) as ex:
    list(ex.map(one, jobs, chunksize=16))
print(len(jobs), "files decoded into", DST)
