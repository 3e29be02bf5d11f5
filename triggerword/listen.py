"""``triggerword listen``: the detector on the microphone, a line and a chime on each "activate".

    triggerword listen [--model PATH] [--threshold T] [--device DEV] [--rate HZ] [--block-ms MS]
                       [--seconds S] [--no-chime]

The microphone is read through sounddevice (PortAudio) in blocks of ``--block-ms`` (100 ms) and fed
to ``triggerword.stream.StreamingDetector`` with ``mode="trailing"``: each block is scaled by the
gain that brings the last 10 s of sound to -20 dBFS, so nothing waits for future audio. A detection
prints one line and plays a short chime (``--no-chime`` to stay quiet). Ctrl-C stops.

Tests and other programs inject their own input through ``main(argv, open_input=..., play=...)``:
``open_input(device, rate, blocksize)`` returns ``(stream, rate)`` where ``stream`` has
``start()``, ``read(frames) -> (float32 array (frames, 1) in -1..1, overflowed)``, ``stop()``
and ``close()``, as ``sounddevice.InputStream`` does.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small matrix products: threads only add waits

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from triggerword import params  # noqa: E402


class NoMicrophone(RuntimeError):
    """No usable input device; the message says why in one line."""


def _sounddevice():
    try:
        import sounddevice
    except ImportError:
        raise NoMicrophone("the sounddevice package is not installed (pip install sounddevice)") from None
    except OSError as exc:  # the PortAudio library itself is missing
        raise NoMicrophone(f"sounddevice cannot load PortAudio ({exc}); apt-get install libportaudio2") from None
    return sounddevice


def open_input(device=None, rate=None, blocksize=4410):
    """Open the microphone: return ``(sounddevice.InputStream, rate)``, mono float32.

    Raises ``NoMicrophone`` with a clear message when there is no input device.
    """
    sd = _sounddevice()
    try:
        info = sd.query_devices(device, kind="input")
    except (ValueError, sd.PortAudioError) as exc:
        where = f"input device {device!r}" if device is not None else "input device"
        raise NoMicrophone(f"PortAudio finds no {where} ({exc}); plug a microphone in or choose one with "
                           "--device (python -m sounddevice lists them)") from None
    if info.get("max_input_channels", 0) < 1:
        raise NoMicrophone(f"device {info.get('name')!r} has no input channel")
    rate = int(rate or info.get("default_samplerate") or params.SAMPLE_RATE)
    try:
        stream = sd.InputStream(device=device, channels=1, samplerate=rate, blocksize=blocksize,
                                dtype="float32")
    except Exception as exc:
        raise NoMicrophone(f"cannot open {info.get('name')!r} at {rate} Hz ({exc})") from None
    return stream, rate


def play_chime(chime, rate):
    """Play ``chime`` (float, 16-bit scale) without waiting; ring the terminal bell if no output device."""
    try:
        sd = _sounddevice()
        sd.play(np.asarray(chime, dtype=np.float32) / 32768.0, rate)
    except Exception:
        sys.stdout.write("\a")
        sys.stdout.flush()


def build_parser():
    parser = argparse.ArgumentParser(prog="triggerword listen",
                                     description="Detect \"activate\" on the microphone; Ctrl-C to stop.")
    parser.add_argument("--model", metavar="PATH", help="model_f weights (default models/model.weights.h5)")
    parser.add_argument("--threshold", type=float, default=params.DEFAULT_THRESHOLD,
                        help="probability above which a chime goes (default %(default)s)")
    parser.add_argument("--device", help="input device number or name (default: the system's)")
    parser.add_argument("--rate", type=int, help="sample rate to record at (default: the device's)")
    parser.add_argument("--block-ms", type=int, default=100, help="audio read at a time, ms (default %(default)s)")
    parser.add_argument("--seconds", type=float, help="stop after this much audio")
    parser.add_argument("--no-chime", action="store_true", help="print detections without a sound")
    parser.add_argument("--state", choices=("lanes", "carry"), default="lanes",
                        help="GRU state: two staggered lanes (default) or one carried for ever (see detect)")
    return parser


def _device(value):
    if value is None:
        return None
    return int(value) if value.isdigit() else value


def main(argv=None, open_input=open_input, play=play_chime, out=None):
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    from triggerword.stream import StreamingDetector, close_quietly, load_for_command, make_chime
    weights = load_for_command("triggerword listen", args.model, args.threshold)
    if weights is None:
        return 2
    rate_asked = args.rate
    block = max(1, int((rate_asked or params.SAMPLE_RATE) * args.block_ms / 1000))
    try:
        stream, rate = open_input(_device(args.device), rate_asked, block)
    except NoMicrophone as exc:
        print(f"triggerword listen: no microphone: {exc}", file=sys.stderr)
        return 1
    block = max(1, int(rate * args.block_ms / 1000))
    det = StreamingDetector(weights, rate, 1, args.threshold, mode="trailing", state=args.state)
    chime = make_chime(rate)
    print(f"listening at {rate} Hz (threshold {args.threshold}); say \"activate\"; Ctrl-C to stop",
          file=out, flush=True)
    overflow_told = False
    started = time.time()
    try:
        stream.start()
        while args.seconds is None or det.audio_s < args.seconds:
            data, overflowed = stream.read(block)
            if overflowed and not overflow_told:
                print("triggerword listen: warning: audio was lost (the computer is too busy to keep up)",
                      file=sys.stderr)
                overflow_told = True
            x = np.asarray(data, dtype=np.float64).reshape(len(data), -1)[:, 0] * 32768.0
            for d in det.feed(x).detections:
                stamp = time.strftime("%H:%M:%S", time.localtime(started + d.time_s))
                print(f"{stamp}  activate at {d.time_s:8.2f} s  (probability {d.probability:.2f})",
                      file=out, flush=True)
                if not args.no_chime:
                    play(chime, rate)
    except KeyboardInterrupt:
        pass
    finally:
        close_quietly(stream)
    n = len(det.detections)
    print(f"stopped after {det.audio_s:.1f} s of audio: {n} detection{'s' if n != 1 else ''}",
          file=out, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
