"""Score the mean of several models' probabilities with ``triggerword evaluate`` itself.

    python scripts/mean_model.py W1.weights.h5 W2.weights.h5 [...] -- [triggerword evaluate's options]

Every option after ``--`` is ``triggerword evaluate``'s (``--real``, ``--engine``, ``--extra``,
``--json`` ...), so the output is that command's and ``scripts/equal_real.py`` compares it with a run's
``scores.json``. The members are built as ``model_f``s and joined by a Keras ``Average`` layer; the
evaluation's ``load_model_f`` is given that model in place of one ``model_f``. An ensemble is not a
``model_f`` and cannot ship as one: the question is whether it lies above one member's curve, which
would make it a teacher worth distilling into one. ``scripts/mean_outputs.py`` is the older check
(means of probabilities and of logits, on the synthetic sets only).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mean_model(paths):
    """One Keras model whose output is the mean of the ``model_f``s' outputs."""
    import keras
    from triggerword.model import load_model_f
    members = [load_model_f(p) for p in paths]
    inputs = keras.Input(shape=members[0].input_shape[1:])
    return keras.Model(inputs, keras.layers.Average()([m(inputs) for m in members]))


def main(argv):
    if "--" not in argv or argv.index("--") < 2:
        sys.exit(__doc__)
    cut = argv.index("--")
    paths, rest = argv[:cut], argv[cut + 1:]
    for p in paths:
        if not os.path.isfile(p):
            sys.exit(f"mean_model.py: {p}: no such model file")
    import triggerword.model
    from triggerword import evaluate
    model = mean_model(paths)
    triggerword.model.load_model_f = lambda *_args, **_kw: model  # evaluate imports it when it runs
    return evaluate.main(["--model", paths[0], *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
