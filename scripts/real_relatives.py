"""How many of a model's real-speech false alarms fall in clips that hold a relative of the word in
another language ("activar", "activer", "attivare", "активировано", "desactivado"...).

    triggerword evaluate --model models/model.weights.h5 --real cache/real --json > real.json
    python scripts/real_relatives.py real.json [cache/real]

`triggerword realspeech` leaves out the prompts whose file name holds "activ"; in Spanish, French,
Italian and Russian the word's relatives also sit inside prompts named otherwise ("conf-adminmenu-162":
"presione uno para activar o desactivar el modo de silencio"). Each clip's prompts are looked up in
its language's core-sounds list (``realspeech.prompt_texts``; for es-co, it-menardi and fr-armelle,
whose packages ship no list, by the same prompt name, which is the same message in other words).
Prints, per speaker, the false alarms per hour in all and in the clips without such a prompt.
"""
import json
import os
import re
import sys
from collections import Counter

from triggerword import params, realspeech

CLIP_S = params.CLIP_MS / 1000
RELATIVE = re.compile(r"activ|attiv|актив", re.IGNORECASE)


def clips_with_relatives(folder):
    """The clip names of ``folder`` (a `triggerword realspeech` set) whose prompts' texts hold a relative."""
    texts = {}
    found = set()
    for clip, prompts in realspeech.clip_prompts(folder).items():
        lang = clip.split("-")[0]
        if lang not in texts:
            texts[lang] = realspeech.prompt_texts(lang)
        if any(RELATIVE.search(text or texts[lang].get(os.path.splitext(p)[0], "")) for p, text in prompts):
            found.add(clip)
    return found


def main(argv):
    at = json.load(open(argv[0]))["at_threshold"]
    folder = argv[1] if len(argv) > 1 else "cache/real"
    clips = sorted(n for n in os.listdir(folder) if n.endswith(".wav"))
    if not realspeech.prompt_texts("es"):
        sys.exit("real_relatives: no prompt lists found; run `bash scripts/setup.sh` (it unpacks them)")
    marked = clips_with_relatives(folder)
    count, near, fires, fires_near = Counter(), Counter(), Counter(), Counter()
    for clip in clips:
        count[realspeech.speaker_of(clip)] += 1
        near[realspeech.speaker_of(clip)] += clip in marked
    for row in at["real_fires"]:
        speaker = realspeech.speaker_of(row["clip"])
        fires[speaker] += len(row["at_s"])
        fires_near[speaker] += len(row["at_s"]) * (row["clip"] in marked)
    print(f"threshold {at['threshold']}: false alarms per hour (clip length {CLIP_S} s)")
    print("| speaker | clips | with a relative | fires there | all | without those clips |")
    print("|---|---|---|---|---|---|")
    for speaker in list(count) + ["all"]:
        pick = (lambda c: c[speaker]) if speaker != "all" else (lambda c: sum(c.values()))
        hours, hours_near = pick(count) * CLIP_S / 3600, pick(near) * CLIP_S / 3600
        print(f"| {speaker} | {pick(count)} | {pick(near)} | {pick(fires_near)} | {pick(fires) / hours:.1f} | "
              f"{(pick(fires) - pick(fires_near)) / (hours - hours_near):.1f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
