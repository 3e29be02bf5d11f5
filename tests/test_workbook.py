"""Tests of the course workbook: master notebook, release, sample submissions and autograding.

The expensive part, `triggerword course` (release, headless run of the master, autograde of the five
samples, feedback), runs once per module in a temporary copy of the course directory.
"""
from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from triggerword import course

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = course.ASSIGNMENT
MASTER = ROOT / "source" / ASSIGNMENT / course.NOTEBOOK
RELEASE = ROOT / "release" / ASSIGNMENT
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
COPIED = ("td_utils.py", "test_utils.py", "nbgrader_config.py", "source", "raw_data", "audio_examples", "models")

missing = [p for p in course.REQUIRED if not (ROOT / p).exists()]
needs_inputs = pytest.mark.skipif(bool(missing), reason=f"course inputs missing: {missing}")


def copy_course(dest: Path, with_release: bool = False) -> Path:
    """Copy the course directory as committed (symlinks kept as symlinks)."""
    dest.mkdir(parents=True, exist_ok=True)
    names = COPIED + (("release",) if with_release else ())
    for name in names:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, symlinks=True,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc",
                                                          "train.wav", "insert_test.wav", "tmp.wav",
                                                          "chime_output.wav", "*_10s.wav"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def env() -> dict:
    e = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    e.pop("NBGRADER_EXECUTION", None)
    return e


def tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


def grade_cells(nb) -> dict:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}


# ---------------------------------------------------------------------------------- static checks

def test_master_is_committed_without_outputs():
    nb = nbformat.read(MASTER, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert nb.metadata.kernelspec.name == "python3"


def test_master_grade_cells():
    nb = nbformat.read(MASTER, as_version=4)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids)), "grade ids must be unique"
    cells = grade_cells(nb)
    for name in course.GRADED:
        solution, test = cells[name], cells[f"test_{name}"]
        assert solution.metadata.nbgrader["solution"] and "### BEGIN SOLUTION" in solution.source
        assert test.metadata.nbgrader["grade"] and test.metadata.nbgrader["points"] > 0
        assert test.metadata.nbgrader["locked"]
        assert test.source.startswith('"""') and name in test.source.splitlines()[0], "docstring says what it checks"
        assert "### BEGIN HIDDEN TESTS" in test.source and "### END HIDDEN TESTS" in test.source
    assert "import triggerword" not in "\n".join(c.source for c in nb.cells), "the release must not need the tools"


def test_chime_text_and_code_agree():
    text = "\n".join(c.source for c in nbformat.read(MASTER, as_version=4).cells)
    assert "at most one chime per 75 output steps" in text
    assert "chime_steps(predictions[0, :, 0], threshold, gap=75)" in text
    assert "Adam(lr=" not in text.replace("`Adam(lr=...)`", "")


def test_course_id_matches_config():
    assert f'c.CourseDirectory.course_id = "{course.COURSE_ID}"' in (ROOT / "nbgrader_config.py").read_text()


@needs_inputs
def test_source_links_are_relative_and_in_step(tmp_path):
    folder = ROOT / "source" / ASSIGNMENT
    links = [p for p in folder.rglob("*") if p.is_symlink()]
    assert links, "source/trigger_word holds links to the shared files"
    for link in links:
        assert not os.path.isabs(os.readlink(link)), link
        assert link.resolve().is_relative_to(ROOT) and link.resolve().is_file(), link
    copy = copy_course(tmp_path / "course")
    counts = course.sync_links(copy)
    assert counts["made"] == 0 and counts["removed"] == 0, \
        f"the committed links are out of step with the shared files ({counts}): run `triggerword course`"


@needs_inputs
def test_release_is_self_contained_without_markers():
    nb_text = (RELEASE / course.NOTEBOOK).read_text(encoding="utf-8")
    for marker in MARKERS:
        assert marker not in nb_text
    nb = nbformat.reads(nb_text, as_version=4)
    cells = grade_cells(nb)
    for name in course.GRADED:
        assert "raise NotImplementedError()" in cells[name].source
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
    files = tree(RELEASE)
    assert not [p for p in RELEASE.rglob("*") if p.is_symlink()], "the release holds real files"
    for rel in course.shared_paths(ROOT):
        assert rel in files, rel
        assert filecmp.cmp(ROOT / rel, RELEASE / rel, shallow=False), rel


@needs_inputs
def test_generate_assignment_reproduces_release(tmp_path):
    """Plain `nbgrader generate_assignment` in a copy of the committed tree gives release/ byte for byte."""
    copy = copy_course(tmp_path / "course")
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT,
                           f"--CourseDirectory.db_url=sqlite:///{tmp_path / 'gradebook.db'}"],
                          cwd=copy, env=env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    made = copy / "release" / ASSIGNMENT
    assert tree(made) == tree(RELEASE)
    different = [rel for rel in tree(RELEASE) if not filecmp.cmp(made / rel, RELEASE / rel, shallow=False)]
    assert not different, f"release/ is stale, rerun `triggerword course`: {different[:5]}"


@needs_inputs
def test_nbgrader_validate_passes_on_source(tmp_path):
    copy = copy_course(tmp_path / "course")
    notebook = copy / "source" / ASSIGNMENT / course.NOTEBOOK
    done = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(notebook)],
                          cwd=copy, env=env(), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0 and "Success! Your notebook passes all the tests." in done.stdout, \
        done.stdout[-3000:] + done.stderr[-3000:]


def test_reference_functions_reject_a_clip_longer_than_the_background():
    from pydub import AudioSegment

    ns = course.solution_functions(ROOT)
    with pytest.raises(ValueError, match="does not fit"):
        ns["get_random_time_segment"](12000)
    background = AudioSegment.silent(duration=10000, frame_rate=44100)
    with pytest.raises(ValueError, match="shorter than 10 s"):
        ns["insert_audio_clip"](background, AudioSegment.silent(duration=12000, frame_rate=44100), [])


# ---------------------------------------------------------------------------------- the main job

@pytest.fixture(scope="module")
def course_run(tmp_path_factory):
    if missing:
        pytest.skip(f"course inputs missing: {missing}")
    copy = copy_course(tmp_path_factory.mktemp("main-job") / "course", with_release=True)
    done = subprocess.run([sys.executable, "-m", "triggerword.course", "--root", str(copy)],
                          cwd=ROOT, env=env(), capture_output=True, text=True, timeout=3000)
    results = copy / "build" / "course" / "grades.json"
    if not results.is_file():
        pytest.fail("triggerword course stopped before grading:\n" + done.stdout[-4000:] + done.stderr[-4000:])
    grades = json.loads(results.read_text())
    return {"root": copy, "done": done, "grades": grades["grades"], "seconds": grades["autograde_seconds"]}


def test_main_job_succeeds(course_run):
    done = course_run["done"]
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "student" in done.stdout and "scores as expected" in done.stdout


def test_master_notebook_runs_headless(course_run):
    nb = nbformat.read(course_run["root"] / "build" / "course" / "master" / course.NOTEBOOK, as_version=4)
    errors = [out for cell in nb.cells for out in cell.get("outputs", []) if out.output_type == "error"]
    assert not errors, errors[:1]
    text = "\n".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))
    assert text.count("All tests passed.") == 4 and "All layers match." in text
    assert "the same as the reference: True" in text and "the same as the reference: False" not in text


def test_release_regenerated_identically(course_run):
    made = course_run["root"] / "release" / ASSIGNMENT
    assert tree(made) == tree(RELEASE)
    assert all(filecmp.cmp(made / rel, RELEASE / rel, shallow=False) for rel in tree(RELEASE))


def test_scores(course_run):
    g = course_run["grades"]
    part = {s: {k: v[0] for k, v in g[s]["parts"].items()} for s in g}
    assert g["reference"]["score"] == g["reference"]["max_score"] == 10
    assert g["untouched"]["score"] == 0
    assert 0 < g["off_by_one"]["score"] < 10
    assert part["off_by_one"]["test_is_overlapping"] == 0 and part["off_by_one"]["test_insert_ones"] == 0
    assert part["off_by_one"]["test_model_f"] == 2
    assert 0 < g["keep_prob"]["score"] < 10
    assert part["keep_prob"]["test_model_f"] == 0 and part["keep_prob"]["test_insert_audio_clip"] == 0
    assert part["keep_prob"]["test_create_training_example"] == 2
    # hostile: missing module and a raise score 0, the edited test is restored and passes,
    # the deleted test scores 0, the endless loop is stopped and the rest is graded
    assert part["hostile"]["test_is_overlapping"] == 0 and part["hostile"]["test_insert_audio_clip"] == 0
    assert part["hostile"]["test_insert_ones"] == 2 and part["hostile"]["test_model_f"] == 2
    assert part["hostile"].get("test_create_training_example", 0) == 0


def test_committed_samples_match_the_generated_ones(course_run):
    for student in course.SAMPLES:
        rel = Path("submitted") / student / ASSIGNMENT / course.NOTEBOOK
        assert (ROOT / rel).is_file(), rel
        committed = nbformat.read(ROOT / rel, as_version=4)
        made = nbformat.read(course_run["root"] / rel, as_version=4)
        assert committed == made, f"{rel} is stale: rerun `triggerword course`"


def test_feedback_says_what_went_wrong(course_run):
    feedback = course_run["root"] / "feedback"
    for student in course.SAMPLES:
        assert (feedback / student / ASSIGNMENT / "trigger_word_detection.html").is_file()
    html = (feedback / "off_by_one" / ASSIGNMENT / "trigger_word_detection.html").read_text(encoding="utf-8")
    assert "compare with &lt;= and &gt;=" in html and "strictly after" in html
    html = (feedback / "keep_prob" / ASSIGNMENT / "trigger_word_detection.html").read_text(encoding="utf-8")
    assert "append the new segment" in html
    html = (feedback / "hostile" / ASSIGNMENT / "trigger_word_detection.html").read_text(encoding="utf-8")
    assert "CellTimeoutError" in html or "KeyboardInterrupt" in html
    assert "ModuleNotFoundError" in html


def test_graded_copies_stay_small(course_run):
    for folder, pattern in (("autograded", "*.ipynb"), ("feedback", "*.html")):
        for path in (course_run["root"] / folder).glob(f"*/{ASSIGNMENT}/{pattern}"):
            text = path.read_text(encoding="utf-8")
            assert "audio/x-wav;base64" not in text and "audio/wav;base64" not in text, path
            assert path.stat().st_size < 700_000, (path, path.stat().st_size)


# ---------------------------------------------------------------------------------- the hidden tests

# (function, text in the master's code, replacement): mistakes the tests of that function must catch.
MUTATIONS = [
    ("is_overlapping", "segment_start <= previous_end", "segment_start < previous_end"),
    ("is_overlapping", "segment_end >= previous_start", "segment_end > previous_start"),
    ("is_overlapping", "            overlap = True",
     "            overlap = True\n        else:\n            overlap = False"),  # only the last one counts
    ("insert_audio_clip", "retries = 5", "retries = 6"),  # 7 draws
    ("insert_audio_clip", "retries > 0", "retries >= 0"),  # 7 draws
    ("insert_audio_clip", "    previous_segments.append(segment_time)\n", ""),
    ("insert_audio_clip", "        return background, (10000, 10000)", "        return background, segment_time"),
    ("insert_ones", "y[0, segment_end_y + 1:segment_end_y + 51] = 1", "y[0, segment_end_y:segment_end_y + 50] = 1"),
    ("insert_ones", "y[0, segment_end_y + 1:segment_end_y + 51] = 1", "y[0, segment_end_y + 1:segment_end_y + 50] = 1"),
    ("insert_ones", "y[0, segment_end_y + 1:segment_end_y + 51] = 1",
     "for i in range(segment_end_y + 1, segment_end_y + 51):\n        y[0, i] = 1"),  # runs off the end
    ("insert_ones", "y[0, segment_end_y + 1:segment_end_y + 51] = 1",
     "y = np.zeros_like(y)\n    y[0, segment_end_y + 1:segment_end_y + 51] = 1"),  # forgets earlier ones
    ("create_training_example", "background = background - 20  #", "background = background  #"),
    ("create_training_example", "background = match_target_amplitude(background, -20.0)", "background = background"),
    ("create_training_example", "y = insert_ones(y, segment_end)", "y = insert_ones(y, segment_start)"),
    ("create_training_example", "background, _ = insert_audio_clip(background, random_negative, previous_segments)",
     "background, segment_time = insert_audio_clip(background, random_negative, previous_segments)\n"
     "        y = insert_ones(y, segment_time[1])"),  # labels a negative
    ("create_training_example", "insert_audio_clip(background, random_activate, previous_segments)",
     "insert_audio_clip(background, random_activate, [])"),
    ("create_training_example", "background, segment_time = insert_audio_clip(",
     "_, segment_time = insert_audio_clip("),  # drops the words
    ("model_f", "rate=0.8", "rate=0.2"),
    ("model_f", "    # Step 3: second GRU\n    X = GRU(units=128, return_sequences=True)(X)",
     "    # Step 3: second GRU\n    X = GRU(units=128, return_sequences=False)(X)"),
    ("model_f", '    X = BatchNormalization()(X)\n    X = Activation("relu")(X)',
     '    X = Activation("relu")(X)\n    X = BatchNormalization()(X)'),
    ("model_f", "strides=4", "strides=2"),
]


@pytest.fixture(scope="module")
def notebook_namespace(tmp_path_factory):
    """The master's code up to the first exercise, plus the Keras imports, run in this process."""
    if missing:
        pytest.skip(f"course inputs missing: {missing}")
    import matplotlib
    matplotlib.use("Agg")
    work = tmp_path_factory.mktemp("cells")
    for name in ("raw_data", "audio_examples", "models"):
        (work / name).symlink_to(ROOT / name)
    nb = nbformat.read(MASTER, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    first = next(i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("solution"))
    setup = cells[:first] + [c for c in cells if c.source.startswith("import keras")]
    previous = os.getcwd()
    os.chdir(work)
    os.environ.pop("NBGRADER_EXECUTION", None)
    namespace = {"__name__": "__main__"}
    try:
        for cell in setup:
            code = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
            exec(compile(code, "<setup cell>", "exec"), namespace)
        yield namespace, grade_cells(nb), work
    finally:
        os.chdir(previous)


def _run_tests(notebook_namespace, function, mutation=None):
    namespace, cells, work = notebook_namespace
    ns = dict(namespace)
    cwd = os.getcwd()
    os.chdir(work)
    try:
        for name in course.GRADED:
            source = cells[name].source
            if name == function and mutation is not None:
                old, new = mutation
                assert old in source, f"{old!r} not in {name}"
                source = source.replace(old, new)
            exec(compile(source, f"<{name}>", "exec"), ns)
        exec(compile(cells[f"test_{function}"].source, f"<test_{function}>", "exec"), ns)
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("function", course.GRADED)
def test_hidden_tests_pass_the_solution(notebook_namespace, function):
    _run_tests(notebook_namespace, function)


@pytest.mark.parametrize("function, old, new", MUTATIONS,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MUTATIONS)])
def test_hidden_tests_catch_the_mistake(notebook_namespace, function, old, new):
    with pytest.raises(Exception) as info:
        _run_tests(notebook_namespace, function, (old, new))
    assert not isinstance(info.value, (NameError, SyntaxError)), info.value


def test_feedback_holds_no_tensorflow_start_up_notices(course_run):
    """Graded kernels run with TensorFlow quiet (cli.QUIET_TF): on a CPU with oneDNN's fast paths,
    TensorFlow 2.21 prints a notice on import that TF_CPP_MIN_LOG_LEVEL alone does not stop, and it
    landed in every student's feedback (seen on such a machine before QUIET_TF turned them off)."""
    pages = sorted((course_run["root"] / "feedback").rglob("*.html"))
    assert len(pages) == len(course.SAMPLES)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "oneDNN custom operations" not in text and "absl::InitializeLog" not in text, page
