"""The ``triggerword`` command: one verb per job, each a module with ``main(argv)``.

    triggerword corpus ...     make raw_data/ or the training cache (triggerword.corpus)
    triggerword realspeech ... clips of real speech without the word, from Debian packages (triggerword.realspeech)
    triggerword train ...      train model_f from the cache (triggerword.train)
    triggerword average ...    average the weights of fine-tuned models (triggerword.average)
    triggerword mine ...       score the training negatives a model fires on (triggerword.mine)
    triggerword evaluate ...   event F1 and false alarms per hour (triggerword.evaluate)
    triggerword probe ...      does the model hear "activate" when more words follow? (triggerword.probe)
    triggerword detect ...     run the detector on audio files (triggerword.detect)
    triggerword listen ...     run the detector on the microphone (triggerword.listen)
    triggerword enroll ...     fine-tune on your own recordings (triggerword.enroll)
    triggerword course ...     build the release, run and grade the workbook (triggerword.course)
"""
import importlib
import os
import sys

# TensorFlow's start-up notices ("This TensorFlow binary is optimized ...", "oneDNN custom operations
# are on ...") are not for the user of a command, nor for a student's graded notebook. Since
# TensorFlow 2.21, TF_CPP_MIN_LOG_LEVEL alone no longer silences the oneDNN one on CPUs with oneDNN's
# fast paths, so those paths are turned off too: model_f's outputs move by float round-off only
# (under 1e-6 on the dev set and the held-out engine's clips), no slower here.
QUIET_TF = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}

VERBS = {
    "corpus": "triggerword.corpus",
    "realspeech": "triggerword.realspeech",
    "train": "triggerword.train",
    "average": "triggerword.average",
    "mine": "triggerword.mine",
    "evaluate": "triggerword.evaluate",
    "probe": "triggerword.probe",
    "detect": "triggerword.detect",
    "listen": "triggerword.listen",
    "enroll": "triggerword.enroll",
    "course": "triggerword.course",
}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in VERBS:
        print(__doc__.strip())
        if argv and argv[0] not in ("-h", "--help"):
            print(f"\ntriggerword: unknown command {argv[0]!r}", file=sys.stderr)
            return 2
        return 0
    for name, value in QUIET_TF.items():  # set either yourself to see TensorFlow's notices again
        os.environ.setdefault(name, value)
    module = importlib.import_module(VERBS[argv[0]])
    return module.main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
