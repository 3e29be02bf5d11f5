"""``model_f``, the assignment's network, and loading it from the files in ``models/``.

Input: spectrogram steps (TX=5511, N_FREQ=101); output: one probability per output step (TY=1375).
Conv1D(196, 15, stride 4) > BatchNorm > ReLU > Dropout > GRU(128) > Dropout > BatchNorm > GRU(128)
> Dropout > BatchNorm > Dropout > TimeDistributed(Dense(1, sigmoid)): 523,329 parameters.
The GRUs run left to right only, so the model can run on a stream (see ``triggerword.stream``).
"""
import json
import os
import warnings

from triggerword import params

# Layer indices of the three BatchNormalization layers (frozen when fine-tuning).
BATCHNORM_LAYERS = (2, 7, 10)
N_PARAMS = 523329


def model_f(input_shape=(params.TX, params.N_FREQ), dropout=0.8):
    """Build ``model_f``. ``dropout`` is the rate (fraction dropped); the assignment uses 0.8.

    Dropout holds no weights, so weights trained at another rate load into this model unchanged.
    """
    from keras import Input, Model
    from keras.layers import GRU, Activation, BatchNormalization, Conv1D, Dense, Dropout, TimeDistributed
    x_input = Input(shape=input_shape)
    x = Conv1D(filters=196, kernel_size=params.CONV_KERNEL, strides=params.CONV_STRIDE)(x_input)
    x = BatchNormalization()(x)
    x = Activation("relu")(x)
    x = Dropout(rate=dropout)(x)
    x = GRU(units=128, return_sequences=True)(x)
    x = Dropout(rate=dropout)(x)
    x = BatchNormalization()(x)
    x = GRU(units=128, return_sequences=True)(x)
    x = Dropout(rate=dropout)(x)
    x = BatchNormalization()(x)
    x = Dropout(rate=dropout)(x)
    x = TimeDistributed(Dense(1, activation="sigmoid"))(x)
    return Model(inputs=x_input, outputs=x)


def freeze_batchnorm(model):
    """Freeze the BatchNormalization layers, as fine-tuning a pretrained model_f needs."""
    from keras.layers import BatchNormalization
    for layer in model.layers:
        if isinstance(layer, BatchNormalization):
            layer.trainable = False
    return model


def layer_signature(model):
    """(type, output shape, parameter count) per layer: what must agree for weights to load."""
    return [(type(l).__name__, tuple(l.output.shape)[1:], l.count_params()) for l in model.layers]


class ModelFileError(ValueError):
    """A model file that cannot be used, with a one-line reason naming the file."""


def load_model_f(weights_path, json_path=None):
    """Load ``model_f`` weights (``.weights.h5`` or ``.keras``) into a fresh ``model_f``.

    A file made for another architecture raises ``ModelFileError`` saying what differs; a damaged
    file, or one holding NaN or infinite weights, one saying so.
    ``json_path``, when given, is checked against ``model_f``'s architecture first.
    """
    import zipfile

    import keras
    weights_path = os.fspath(weights_path)
    if not os.path.exists(weights_path):
        raise ModelFileError(f"{weights_path}: no such model file")
    model = model_f()
    if json_path is not None:
        try:
            other = keras.models.model_from_json(open(json_path).read())
        except Exception as exc:
            raise ModelFileError(f"{json_path}: not a Keras model description ({exc})") from None
        _check_same(model, other, json_path)
    if weights_path.endswith(".keras"):
        if not zipfile.is_zipfile(weights_path):  # Keras says "File not found" of a file that is there
            raise ModelFileError(f"{weights_path}: not a readable .keras file (damaged, or not a Keras model)")
        try:
            other = keras.models.load_model(weights_path, compile=False)
        except Exception as exc:
            raise ModelFileError(f"{weights_path}: not a loadable Keras model ({_first_line(exc)})") from None
        _check_same(model, other, weights_path)
        model.set_weights(other.get_weights())
        return check_finite(model, weights_path)
    if not weights_path.endswith(".h5"):
        hint = (" (a .json holds the architecture only: give the .weights.h5 or .keras file beside it)"
                if weights_path.endswith(".json") else "")
        raise ModelFileError(f"{weights_path}: not a model_f weights file: expected .weights.h5 or .keras{hint}")
    try:
        with warnings.catch_warnings():  # Keras warns of each layer it skips, then raises anyway
            warnings.filterwarnings("ignore", message="Skipping nested container")
            model.load_weights(weights_path)
    except Exception as exc:
        raise ModelFileError(f"{weights_path}: {_h5_difference(weights_path, exc)}") from None
    return check_finite(model, weights_path)


def _first_line(exc):
    lines = str(exc).strip().splitlines()
    return lines[0].rstrip(":") if lines else type(exc).__name__


def _h5_difference(path, exc):
    """Why a ``.h5`` file's weights did not load into ``model_f``, in one line.

    Keras's own message is many lines (the values of a whole weight array among them); this one
    names the first weight array whose place or shape differs from model_f's layout
    (``triggerword.stream``'s table of it).
    """
    import h5py

    from triggerword.stream import _H5_LAYERS, _H5_SHAPES
    try:
        with h5py.File(path, "r") as f:
            got = {}
            f.visititems(lambda name, obj: got.update({name: obj.shape}) if isinstance(obj, h5py.Dataset) else None)
    except Exception:
        return "not a readable .weights.h5 file (damaged, or not a Keras weights file)"
    want = {f"{group}/{i}": shape for key, group in _H5_LAYERS.items() for i, shape in enumerate(_H5_SHAPES[key])}
    for name, shape in want.items():
        if name not in got:
            return f"its layers do not match model_f's: it has no {name} (model_f's {shape})"
        if got[name] != shape:
            return f"its layers do not match model_f's: {name} is {got[name]}, model_f needs {shape}"
    extra = sorted(set(got) - set(want))
    if extra:
        return f"its layers do not match model_f's: it also holds {extra[0]}, which model_f lacks"
    return f"weights do not fit model_f ({_first_line(exc)})"


def check_finite(model, path):
    """``model`` as it is, or ``ModelFileError`` naming ``path`` if a weight is NaN or infinite (a
    damaged file, or an average with bad shares: the model would answer NaN, which never fires).
    ``model`` is a Keras model or a list of arrays."""
    import numpy as np
    arrays = model.get_weights() if hasattr(model, "get_weights") else model
    if not all(np.isfinite(a).all() for a in arrays):
        raise ModelFileError(f"{path}: holds weights that are not numbers (NaN or infinite): "
                             "damaged or badly averaged model")
    return model


def _check_same(model, other, path):
    want, got = layer_signature(model), layer_signature(other)
    if want == got:
        return
    if len(want) != len(got):
        raise ModelFileError(f"{path}: {len(got)} layers, model_f has {len(want)} "
                             f"({[g[0] for g in got]})")
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            raise ModelFileError(f"{path}: layer {i} is {g}, model_f needs {w}")


MODEL_FILES = ("model.weights.h5", "model.json", "model.keras")   # what save_model_f writes (stem "model")


def save_model_f(model, folder, stem="model"):
    """Write ``<stem>.json`` (architecture), ``<stem>.weights.h5`` and ``<stem>.keras`` into ``folder``."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, stem + ".json"), "w") as f:
        f.write(json.dumps(json.loads(model.to_json()), indent=1, sort_keys=True))
    model.save_weights(os.path.join(folder, stem + ".weights.h5"))
    model.save(os.path.join(folder, stem + ".keras"))
