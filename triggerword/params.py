"""Every fixed number of the pipeline, in one place.

The audio pipeline, step by step (all numbers from the course assignment):

raw audio   10 s clips at ``SAMPLE_RATE`` = 44,100 Hz, 16-bit PCM: ``CLIP_SAMPLES`` = 441,000 samples.
pydub       works in milliseconds: a clip is ``CLIP_MS`` = 10,000 steps.
spectrogram matplotlib's ``specgram`` of channel 0 with ``NFFT`` = 200, ``FS`` = 8000 (the rate the
            assignment passes, not the true one), ``NOVERLAP`` = 120, so a hop of ``HOP`` = 80
            samples: ``N_FREQ`` = 101 frequencies x ``TX`` = 5511 steps.
model       Conv1D(kernel 15, stride 4) turns 5511 steps into ``TY`` = 1375 output steps.
labels      an "activate" ending at ``end_ms`` sets y to 1 on the ``LABEL_STEPS`` = 50 output steps
            strictly after ``int(end_ms * TY / CLIP_MS)``, clipped at the end of y.
chime       at most one chime per ``CHIME_GAP_STEPS`` = 75 output steps after the probability
            crosses the threshold (``DEFAULT_THRESHOLD`` = 0.5).
scoring     a detection is a hit when it falls between ``HIT_BEFORE_S`` = 0.25 s before and
            ``HIT_AFTER_S`` = 1.0 s after the end of a true "activate"; matched one to one.
"""

SAMPLE_RATE = 44100          # Hz
CLIP_MS = 10000              # ms in one clip
CLIP_SAMPLES = SAMPLE_RATE * CLIP_MS // 1000  # 441,000 samples

NFFT = 200                   # samples per spectrogram window
FS = 8000                    # the Fs argument the assignment gives specgram
NOVERLAP = 120               # samples shared by consecutive windows
HOP = NFFT - NOVERLAP        # 80 samples between windows
N_FREQ = NFFT // 2 + 1       # 101 frequencies
TX = (CLIP_SAMPLES - NOVERLAP) // HOP  # 5511 spectrogram steps

CONV_KERNEL = 15
CONV_STRIDE = 4
TY = (TX - CONV_KERNEL) // CONV_STRIDE + 1  # 1375 output steps

LABEL_STEPS = 50             # output steps set to 1 after an "activate"
CHIME_GAP_STEPS = 75         # at most one chime per this many output steps
DEFAULT_THRESHOLD = 0.5

HIT_BEFORE_S = 0.25          # s before the end of the word a detection may come
HIT_AFTER_S = 1.0            # s after the end of the word a detection may come

BACKGROUND_GAIN_DB = -20.0   # create_training_example lowers the background by this
TARGET_DBFS = -20.0          # and normalises the mix to this loudness

STEP_S = CLIP_MS / 1000 / TY  # seconds per output step (about 7.27 ms)
SAMPLES_PER_STEP = CLIP_SAMPLES / TY  # 320.7 samples per output step (not an integer)

assert TX == 5511 and N_FREQ == 101 and TY == 1375
