"""Peak resident memory of one `model.fit` batch of the workbook's model_f on TensorFlow's CPU backend.

    python scripts/fit_memory.py 4 8 16      # one process per batch size; about 2 minutes each here

Loads models/model.json + model.weights.h5 as the workbook does, fits one epoch of random inputs
(one batch of the given size, Adam 1e-6) and prints the process's peak resident memory, sampled
every 50 ms. A process that passes --limit GB (default 12) is stopped and reported as over it.
Measured here (2 cores, 24 GB, beside two training runs): 4 -> about 2 GB, 8 -> 4.1 GB, 16 -> over 11 GB,
which is why the workbook fine-tunes in batches of 4. A batch of 2 gave 2.4 and 3.1 GB in two runs:
the figures move by about a gigabyte from run to run.
"""
import os
import subprocess
import sys
import threading
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rss_gb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e9


def one(batch, limit):
    peak = [0.0]

    def watch():
        while True:
            peak[0] = max(peak[0], rss_gb())
            if peak[0] > limit:
                print(f"batch {batch}: over {limit:g} GB, stopped", flush=True)
                os._exit(3)
            time.sleep(0.05)
    threading.Thread(target=watch, daemon=True).start()
    from keras.models import model_from_json
    from keras.optimizers import Adam
    with open(os.path.join(ROOT, "models", "model.json")) as f:
        model = model_from_json(f.read())
    model.load_weights(os.path.join(ROOT, "models", "model.weights.h5"))
    rng = np.random.default_rng(0)
    x = rng.random((batch, 5511, 101), dtype=np.float32)
    y = (rng.random((batch, 1375, 1)) > 0.9).astype(np.float32)
    model.compile(loss="binary_crossentropy", optimizer=Adam(learning_rate=1e-6))
    started = time.time()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    print(f"batch {batch}: peak resident memory {peak[0]:.2f} GB, fit {time.time() - started:.0f} s", flush=True)


def main(args):
    limit = 12.0
    if args[:1] == ["--limit"]:
        limit, args = float(args[1]), args[2:]
    if args[:1] == ["--one"]:
        one(int(args[1]), limit)
        return 0
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    for batch in args or ["4", "8", "16"]:
        subprocess.run([sys.executable, __file__, "--limit", str(limit), "--one", batch], env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
