"""Write triggerword/words.txt: common English words for the training sentences of batch "wide".

Order and choice: the word-start tokens of Whisper tiny.en's vocabulary (GPT-2's byte-pair merges,
which come roughly in order of frequency), kept when they are 4 to 12 lowercase letters and CMUdict
(PocketSphinx's copy) knows them, so each is a real word a TTS voice can say. Dropped: anything
holding "activ" (the trigger word's family) and words on a short list of unpleasant topics. The
first 3,000 kept are written, one per line (a list of words; both sources are freely licensed:
Whisper's vocabulary MIT, CMUdict BSD-style). Run from the repository root:

    python scripts/make_word_list.py
"""
import os
import re
import sys
from pathlib import Path

import pocketsphinx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from triggerword import tts  # noqa: E402

AVOID = ("activ", "terror", "kill", "rape", "sex", "porn", "murder", "nazi", "shoot", "dead", "death",
         "harass", "abuse", "drug", "suicid", "bomb", "weapon", "slave", "racis", "gun", "fuck", "shit",
         "victim", "abortion", "violen", "assault", "nude", "naked", "torture", "corpse", "blood", "jihad", "isis")
COUNT = 3000


def main():
    cmu_path = Path(pocketsphinx.__file__).parent / "model" / "en-us" / "cmudict-en-us.dict"
    known = {line.split()[0] for line in cmu_path.read_text().splitlines() if line and "(" not in line.split()[0]}
    vocab = (tts.whisper_model_dir() / "vocabulary.txt").read_text().split("\n")
    words, seen = [], set()
    for token in vocab:
        word = token[1:]
        if (token.startswith("Ġ") and re.fullmatch(r"[a-z]{4,12}", word) and word in known
                and word not in seen and not any(a in word for a in AVOID)):
            seen.add(word)
            words.append(word)
    out = Path(__file__).resolve().parents[1] / "triggerword" / "words.txt"
    out.write_text("\n".join(words[:COUNT]) + "\n")
    print(f"{out}: {min(len(words), COUNT)} words of {len(words)} kept")


if __name__ == "__main__":
    main()
