"""Bad input to ``triggerword average`` and to the model loaders (``load_model_f``, the stream's
``load_weights``): one line naming the file and the problem, exit code 2, and no user file touched."""
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from triggerword import average, stream  # noqa: E402
from triggerword.model import ModelFileError, load_model_f  # noqa: E402

NOT_NUMBERS = "holds weights that are not numbers (NaN or infinite): damaged or badly averaged model"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Two random model_f weight files, a .keras, the same with NaN and with an infinite weight, and
    weights of another architecture."""
    import keras

    from triggerword.model import model_f, save_model_f
    base = tmp_path_factory.mktemp("bad-inputs")
    out = {}
    for seed in (1, 2):
        keras.utils.set_random_seed(seed)
        m = model_f()
        out[f"m{seed}"] = base / f"m{seed}.weights.h5"
        m.save_weights(out[f"m{seed}"])
    save_model_f(m, base / "good")
    out["keras"] = base / "good" / "model.keras"
    for name, value in (("nan", np.nan), ("inf", np.inf)):
        w = m.get_weights()
        w[1] = w[1].copy()
        w[1][5] = value                      # one conv bias
        m.set_weights(w)
        save_model_f(m, base / name)
        out[name] = base / name / "model.weights.h5"
        out[name + "_keras"] = base / name / "model.keras"
    w = m.get_weights()
    w[1][5] = 0.0
    w[5] = w[5].copy()
    w[5][3] = np.inf                         # one BatchNorm moving variance: folded in, it became a finite 0
    m.set_weights(w)
    save_model_f(m, base / "bn_inf")
    out["bn_inf"] = base / "bn_inf" / "model.weights.h5"
    inp = keras.Input((5511, 101))
    x = keras.layers.BatchNormalization()(keras.layers.Conv1D(8, 15, strides=4)(inp))
    keras.Model(inp, keras.layers.Dense(1)(keras.layers.GRU(16, return_sequences=True)(x))).save_weights(
        base / "other.weights.h5")
    out["other"] = base / "other.weights.h5"
    return out


def one_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


# ------------------------------------------------------------------------------ triggerword average

@pytest.mark.parametrize("name", ["model.weights.h5", "model.json", "model.keras", "average.json"])
def test_average_leaves_a_folder_holding_any_file_it_would_write(files, tmp_path, capsys, name):
    """Only model.weights.h5 was looked for: a user's model.json, model.keras or average.json was replaced."""
    mine = tmp_path / "out" / name
    mine.parent.mkdir()
    mine.write_bytes(b"the user's own file")
    assert average.main([str(files["m1"]), str(files["m2"]), "--out", str(mine.parent)]) == 2
    line = one_line(capsys)
    assert f"{mine}: already exists" in line and "give another --out" in line
    assert mine.read_bytes() == b"the user's own file"
    assert os.listdir(mine.parent) == [name]


def test_average_out_that_cannot_be_a_folder(files, tmp_path, capsys):
    """An empty --out, an existing file, or a path under a file gave a FileExistsError/FileNotFoundError traceback."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    for out, says in (("", "--out: no folder name given"),
                      (str(a_file), f"--out {a_file}: is a file, not a folder"),
                      (str(a_file / "sub"), f"--out {a_file / 'sub'}: {a_file} is a file, not a folder")):
        assert average.main([str(files["m1"]), str(files["m2"]), "--out", out]) == 2
        assert one_line(capsys) == f"triggerword average: {says}"
    assert a_file.read_text() == "mine" and sorted(os.listdir(tmp_path)) == ["notes.txt"]


@pytest.mark.parametrize("shares", [["nan", "nan"], ["nan", "1"], ["inf", "0"]])
def test_average_refuses_shares_that_are_not_numbers(files, tmp_path, capsys, shares):
    """nan passed the sum check, and an all-NaN model was written with exit code 0."""
    out = tmp_path / "soup"
    assert average.main([str(files["m1"]), str(files["m2"]), "--out", str(out), "--shares", *shares]) == 2
    line = one_line(capsys)
    assert line.startswith("triggerword average: shares [") and "not nan or inf" in line
    assert not out.exists()


# ------------------------------------------------------------------------------ model files

@pytest.mark.parametrize("kind", ["nan", "nan_keras", "inf", "bn_inf"])
def test_weights_that_are_not_numbers_are_refused_by_every_loader(files, tmp_path, capsys, kind):
    """A NaN model answered NaN, which never crosses the threshold: detect found nothing, with exit code 0."""
    from triggerword import detect
    path = files[kind]
    for loader in (load_model_f, stream.load_weights):
        with pytest.raises(ModelFileError) as info:
            loader(path)
        assert str(info.value) == f"{path}: {NOT_NUMBERS}"
    assert detect.main([str(tmp_path / "any.wav"), "--model", str(path)]) == 2
    assert one_line(capsys) == f"triggerword detect: {path}: {NOT_NUMBERS}"
    assert average.main([str(files["m1"]), str(path), "--out", str(tmp_path / "soup")]) == 2
    assert one_line(capsys) == f"triggerword average: {path}: {NOT_NUMBERS}"


def test_damaged_model_files_say_so(files, tmp_path):
    """A truncated or text .keras was "File not found: filepath=...", a damaged .weights.h5
    "weights do not fit model_f (Unable to synchronously open file ...)"."""
    whole = files["keras"].read_bytes()
    h5 = files["m1"].read_bytes()
    cases = {"cut.keras": whole[:len(whole) // 2], "text.keras": b"not a model\n",
             "cut.weights.h5": h5[:5000], "text.weights.h5": b"not a model\n"}
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        kind = ".keras file (damaged, or not a Keras model)" if name.endswith(".keras") else \
            ".weights.h5 file (damaged, or not a Keras weights file)"
        for loader in (load_model_f, stream.load_weights):
            with pytest.raises(ModelFileError) as info:
                loader(path)
            assert str(info.value) == f"{path}: not a readable {kind}"


def test_weights_of_another_architecture_say_what_differs(files):
    """Keras's message was cut off mid-sentence: "(A total of 7 objects could not be loaded. Example
    error message for object <Conv1D ...>:)"."""
    import warnings
    path = files["other"]
    for loader in (load_model_f, stream.load_weights):
        with pytest.raises(ModelFileError) as info, warnings.catch_warnings(record=True) as shown:
            warnings.simplefilter("always")
            loader(path)
        # Keras's UserWarnings ("Skipping nested container ...") were 8 more lines on stderr
        assert [str(w.message) for w in shown if issubclass(w.category, UserWarning)] == []
        assert str(info.value) == (f"{path}: its layers do not match model_f's: "
                                   "layers/conv1d/vars/0 is (15, 101, 8), model_f needs (15, 101, 196)")
