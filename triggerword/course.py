"""``triggerword course``: build the student release, run the master notebook, grade sample submissions.

    triggerword course [--root DIR] [--skip-execute] [--release-only]

The repository root is an nbgrader course directory. This command is the instructor's main job:

1. checks that the inputs exist (raw_data/, audio_examples/chime.wav and my_audio.wav, models/);
2. writes the reference audio the notebook compares against (audio_examples/example_train.wav,
   insert_reference.wav, train_reference.wav), made by the master notebook's own solution code
   with fixed seeds;
3. links the shared files into source/trigger_word/ (one relative symlink per file, see below);
4. ``nbgrader generate_assignment``: release/trigger_word/ (real files, solutions and hidden tests removed);
5. executes the master notebook headless in build/course/master/ (not graded: fine-tuning runs);
6. writes the sample submissions into submitted/<student>/trigger_word/ (see ``SAMPLES``);
7. ``nbgrader autograde`` each of them (timed) and ``nbgrader generate_feedback``;
8. prints the grade table and returns 1 if a score is not what the sample is meant to get.

Why one symlink per file: the helpers, data and model have a single canonical copy at the top of
the repository, and the release must be self-contained. nbgrader copies the files of the source
folder with ``shutil.copy``, which follows a symlinked *file* and writes its content, but it walks
folders with ``os.walk``, which does not enter a symlinked *folder*. So source/trigger_word/ holds
real folders of file links, which this command keeps in step with the canonical files, and plain
``nbgrader generate_assignment`` gives a release of real files.

Only generated things are written: the links in source/trigger_word/ (a regular file in their
way stops the command), the three reference WAVs, release/, submitted/<sample>/, autograded/,
feedback/ and build/course/ (which holds the gradebook of this job, so an instructor's own
gradebook.db is never touched).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from triggerword.cli import QUIET_TF

COURSE_ID = "trigger-word-detection"
ASSIGNMENT = "trigger_word"
NOTEBOOK = "trigger_word_detection.ipynb"
GRADED = ("is_overlapping", "insert_audio_clip", "insert_ones", "create_training_example", "model_f")

# Canonical files linked into source/trigger_word/ (folders: every file under them).
SHARED_FILES = ("td_utils.py", "test_utils.py", "models/model.json", "models/model.weights.h5",
                "audio_examples/chime.wav", "audio_examples/my_audio.wav")
SHARED_FOLDERS = ("raw_data",)
REFERENCE_AUDIO = ("audio_examples/example_train.wav", "audio_examples/insert_reference.wav",
                   "audio_examples/train_reference.wav")
REQUIRED = ("raw_data/activates", "raw_data/negatives", "raw_data/backgrounds", "raw_data/dev",
            "raw_data/dev/labels.json", "raw_data/manifest.csv", "audio_examples/chime.wav",
            "audio_examples/my_audio.wav", "models/model.json", "models/model.weights.h5",
            "td_utils.py", "test_utils.py", "nbgrader_config.py", f"source/{ASSIGNMENT}/{NOTEBOOK}")

# Sample submissions: name -> (what it is, expected score: "full", "zero" or "partial").
SAMPLES = {
    "reference": ("the master's solutions typed into the release", "full"),
    "untouched": ("the release as handed out", "zero"),
    "off_by_one": ("overlap with < and >, labels starting on the end step", "partial"),
    "keep_prob": ("dropout 0.2, return_sequences=False, segment never appended", "partial"),
    "hostile": ("missing module, a raise, an endless loop, an edited and a deleted test cell", "partial"),
}

# (grade_id, text in the solution, replacement): typical mistakes, applied to the reference.
MISTAKES = {
    "off_by_one": [
        ("is_overlapping", "segment_start <= previous_end and segment_end >= previous_start",
         "segment_start < previous_end and segment_end > previous_start"),
        ("insert_ones", "y[0, segment_end_y + 1:segment_end_y + 51] = 1",
         "y[0, segment_end_y:segment_end_y + 50] = 1"),
    ],
    "keep_prob": [
        ("model_f", "rate=0.8", "rate=0.2"),
        ("model_f", "return_sequences=True", "return_sequences=False"),
        ("insert_audio_clip", "    previous_segments.append(segment_time)\n", ""),
    ],
}


class CourseError(RuntimeError):
    """A problem that stops the main job, with a one-line reason."""


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------------- inputs

def check_inputs(root: Path) -> None:
    missing = [p for p in REQUIRED if not (root / p).exists()]
    if missing:
        raise CourseError("missing inputs in " + str(root) + ": " + ", ".join(missing)
                          + " (raw_data/ and audio_examples/ come from `triggerword corpus`, models/ from "
                            "`triggerword train`)")


def shared_paths(root: Path) -> list[str]:
    """Every canonical file the release needs, relative to the root, sorted."""
    paths = set(SHARED_FILES) | set(REFERENCE_AUDIO)
    for folder in SHARED_FOLDERS:
        for path in (root / folder).rglob("*"):
            rel = path.relative_to(root)
            if path.is_file() and not any(part.startswith(".") for part in rel.parts):
                paths.add(rel.as_posix())
    return sorted(paths)


def sync_links(root: Path) -> dict:
    """Make source/<assignment>/ hold one relative symlink per shared file; remove stale links."""
    assignment = root / "source" / ASSIGNMENT
    wanted = shared_paths(root)
    made = kept = removed = 0
    for rel in wanted:
        link = assignment / rel
        target = os.path.relpath(root / rel, link.parent)
        if link.is_symlink():
            if os.readlink(link) == target:
                kept += 1
                continue
            link.unlink()
        elif link.exists():
            raise CourseError(f"{link}: a regular file where a link to {rel} belongs; move it away "
                              f"(edit the canonical {rel} instead)")
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, link)
        made += 1
    keep = {assignment / rel for rel in wanted}
    for top in {rel.split("/")[0] for rel in wanted}:
        base = assignment / top
        candidates = [base] if base.is_symlink() or base.is_file() else sorted(base.rglob("*"), reverse=True)
        for path in candidates:
            if path.is_symlink() and path not in keep:
                path.unlink()
                removed += 1
            elif path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
                path.rmdir()
    return {"made": made, "kept": kept, "removed": removed}


# ---------------------------------------------------------------------------- reference audio

def _load_td_utils(root: Path):
    spec = importlib.util.spec_from_file_location("course_td_utils", root / "td_utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def solution_functions(root: Path) -> dict:
    """Run the master notebook's data-synthesis cells (its reference solution) and return their functions."""
    import nbformat
    import numpy as np

    td = _load_td_utils(root)
    namespace = {"np": np, **{name: getattr(td, name) for name in dir(td) if not name.startswith("_")}}
    nb = nbformat.read(root / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    wanted = {"get_random_time_segment", "is_overlapping", "insert_audio_clip", "insert_ones",
              "create_training_example"}
    found = set()
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in wanted:
            exec(compile(cell.source, f"<{NOTEBOOK}:{grade_id}>", "exec"), namespace)
            found.add(grade_id)
    if found != wanted:
        raise CourseError(f"{NOTEBOOK}: no cells with grade_id {sorted(wanted - found)}")
    return namespace


def make_reference_audio(root: Path) -> dict:
    """Write the three reference WAVs from the solution, with the seeds the notebook uses.

    Returns {path: "written" | "unchanged"}; a file is only rewritten when its content changes.
    """
    ns = solution_functions(root)
    np = ns["np"]
    activates, negatives, backgrounds = ns["load_raw_audio"](str(root / "raw_data"))
    ty = 1375
    results = {}
    with tempfile.TemporaryDirectory(prefix="course-audio-") as work, contextlib.chdir(work):
        made = {}
        # Section 1.2: an example with at least two "activate"s (first such seed, background 2).
        for seed in range(1, 500):
            np.random.seed(seed)
            _, y = ns["create_training_example"](backgrounds[1 % len(backgrounds)], activates, negatives, ty)
            if y.sum() >= 100:
                break
        made["audio_examples/example_train.wav"] = Path("train.wav").read_bytes()
        # Exercise 2: same call as the notebook's demonstration cell.
        np.random.seed(5)
        clip, _ = ns["insert_audio_clip"](backgrounds[0], activates[0], [(3790, 4400)])
        clip.export("insert.wav", format="wav")
        made["audio_examples/insert_reference.wav"] = Path("insert.wav").read_bytes()
        # Exercise 4: same call as the notebook's demonstration cell.
        np.random.seed(18)
        ns["create_training_example"](backgrounds[0], activates, negatives, ty)
        made["audio_examples/train_reference.wav"] = Path("train.wav").read_bytes()
    for rel, data in made.items():
        path = root / rel
        if path.is_file() and path.read_bytes() == data:
            results[rel] = "unchanged"
        else:
            path.write_bytes(data)
            results[rel] = "written"
    return results


# ------------------------------------------------------------------------------------ nbgrader

# TensorFlow's start-up notices would land in every graded notebook and every student's feedback:
# the kernels run with cli.QUIET_TF (the grades do not depend on it).


def _env() -> dict:
    env = dict(os.environ)
    env.update(QUIET_TF)
    env.pop("NBGRADER_EXECUTION", None)
    env.pop("NBGRADER_VALIDATING", None)
    return env


def nbgrader(root: Path, *args: str, log: Path, db: Path | None = None) -> subprocess.CompletedProcess:
    """Run one nbgrader command in the course root, its output to ``log``."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    if db is not None:
        cmd.append(f"--CourseDirectory.db_url=sqlite:///{db}")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write("$ " + " ".join(cmd) + "\n")
        handle.flush()
        done = subprocess.run(cmd, cwd=root, env=_env(), stdout=handle, stderr=subprocess.STDOUT)
    return done


def _tail(log: Path, lines: int = 25) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def generate_release(root: Path, db: Path, log: Path) -> None:
    done = nbgrader(root, "generate_assignment", ASSIGNMENT, "--force", log=log, db=db)
    if done.returncode != 0:
        raise CourseError(f"nbgrader generate_assignment failed (see {log}):\n{_tail(log)}")


def execute_master(root: Path, timeout: int = 1800) -> dict:
    """Execute the master notebook, not graded, in a fresh copy under build/course/master/."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    work = root / "build" / "course" / "master"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(root / "source" / ASSIGNMENT, work, symlinks=False,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    nb = nbformat.read(work / NOTEBOOK, as_version=4)
    saved = {k: os.environ.get(k) for k in (*QUIET_TF, "NBGRADER_EXECUTION", "NBGRADER_VALIDATING")}
    os.environ.update(QUIET_TF)
    os.environ.pop("NBGRADER_EXECUTION", None)
    os.environ.pop("NBGRADER_VALIDATING", None)
    started = time.time()
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(work)}}).execute()
    except CellExecutionError as error:
        nbformat.write(nb, work / NOTEBOOK)
        first = str(error).strip().splitlines()
        raise CourseError(f"the master notebook failed (executed copy: {work / NOTEBOOK}):\n"
                          + "\n".join(first[-15:])) from None
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    nbformat.write(nb, work / NOTEBOOK)
    text = "\n".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", [])
                     if out.get("output_type") == "stream")
    if "the same as the reference: False" in text:
        raise CourseError(f"the master notebook's results differ from the reference audio "
                          f"(see {work / NOTEBOOK}); rerun this command to rewrite the references")
    return {"seconds": round(time.time() - started, 1), "path": str(work / NOTEBOOK)}


# --------------------------------------------------------------------------------- submissions

def _strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def _by_id(nb) -> dict:
    return {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("grade_id")}


def build_submissions(root: Path) -> dict:
    """The sample notebooks, built from the release and the master's solutions: {student: notebook}."""
    import copy

    import nbformat

    master = _by_id(nbformat.read(root / "source" / ASSIGNMENT / NOTEBOOK, as_version=4))
    release = nbformat.read(root / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    solved = copy.deepcopy(release)
    cells = _by_id(solved)
    for grade_id in GRADED:
        cells[grade_id].source = _strip_markers(master[grade_id].source)

    notebooks = {"reference": solved, "untouched": copy.deepcopy(release)}
    for name, edits in MISTAKES.items():
        nb = copy.deepcopy(solved)
        cells = _by_id(nb)
        for grade_id, old, new in edits:
            if old not in cells[grade_id].source:
                raise CourseError(f"sample {name}: {old!r} not found in the solution of {grade_id}")
            cells[grade_id].source = cells[grade_id].source.replace(old, new)
        notebooks[name] = nb

    nb = copy.deepcopy(solved)
    cells = _by_id(nb)
    cells["is_overlapping"].source = ("from interval_tools import overlaps  # a module that is not installed\n\n"
                                      + cells["is_overlapping"].source)
    old = "segment_ms = len(audio_clip)  # duration of the clip in ms\n"
    if old not in cells["insert_audio_clip"].source:
        raise CourseError(f"sample hostile: {old!r} not found in insert_audio_clip")
    cells["insert_audio_clip"].source = cells["insert_audio_clip"].source.replace(
        old, old + '    raise RuntimeError("I could not make this work")\n')
    cells["test_insert_ones"].source = '"""insert_ones"""\nprint("All tests passed.")  # edited by the student'
    position = nb.cells.index(cells["test_insert_ones"]) + 1
    loop = nbformat.v4.new_code_cell("# waiting for inspiration\nwhile True:\n    pass")
    loop.id = "student-loop"
    nb.cells.insert(position, loop)
    nb.cells.remove(cells["test_create_training_example"])
    notebooks["hostile"] = nb
    return notebooks


def write_submissions(root: Path, notebooks: dict) -> None:
    import nbformat

    for student, nb in notebooks.items():
        folder = root / "submitted" / student / ASSIGNMENT
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / NOTEBOOK)


# ------------------------------------------------------------------------------------- grading

def autograde(root: Path, db: Path, students, log: Path) -> dict:
    """Autograde each student on its own (so each is timed); returns {student: seconds}."""
    seconds = {}
    for student in students:
        started = time.time()
        done = nbgrader(root, "autograde", ASSIGNMENT, f"--student={student}", "--force", log=log, db=db)
        seconds[student] = round(time.time() - started, 1)
        if done.returncode != 0:
            print(f"  warning: nbgrader autograde returned {done.returncode} for {student} (see {log})")
    return seconds


def generate_feedback(root: Path, db: Path, log: Path) -> None:
    # Feedback needs only the HTML: leave the data, model and helpers out of feedback/.
    ignore = ('[".ipynb_checkpoints","*.pyc","__pycache__","feedback","raw_data","models",'
              '"audio_examples","*.wav","*.py","*.csv","*.json","*.h5"]')
    done = nbgrader(root, "generate_feedback", ASSIGNMENT, "--force", f"--CourseDirectory.ignore={ignore}",
                    log=log, db=db)
    if done.returncode != 0:
        raise CourseError(f"nbgrader generate_feedback failed (see {log}):\n{_tail(log)}")


def read_grades(db: Path, students) -> dict:
    """{student: {"score", "max_score", "parts": {grade_id: (score, max)}}} from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    grades = {}
    with Gradebook(f"sqlite:///{db}", course_id=COURSE_ID) as gb:
        for student in students:
            try:
                submission = gb.find_submission(ASSIGNMENT, student)
            except MissingEntry:
                grades[student] = None
                continue
            parts = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    parts[grade.name] = (float(grade.score or 0), float(grade.max_score))
            grades[student] = {"score": float(submission.score), "max_score": float(submission.max_score),
                               "parts": parts}
    return grades


def check_scores(grades: dict) -> list[str]:
    problems = []
    for student, (_, expected) in SAMPLES.items():
        g = grades.get(student)
        if g is None:
            problems.append(f"{student}: not graded")
        elif expected == "full" and g["score"] != g["max_score"]:
            problems.append(f"{student}: {g['score']:g}/{g['max_score']:g}, expected full marks")
        elif expected == "zero" and g["score"] != 0:
            problems.append(f"{student}: {g['score']:g}/{g['max_score']:g}, expected 0")
        elif expected == "partial" and not 0 < g["score"] < g["max_score"]:
            problems.append(f"{student}: {g['score']:g}/{g['max_score']:g}, expected partial credit")
    return problems


def grade_table(grades: dict, seconds: dict) -> str:
    parts = [f"test_{name}" for name in GRADED]
    short = {"test_is_overlapping": "overlap", "test_insert_audio_clip": "insert",
             "test_insert_ones": "ones", "test_create_training_example": "example", "test_model_f": "model"}
    header = f"{'student':<11} {'score':>5} {'max':>4}  " + " ".join(f"{short[p]:>7}" for p in parts) + "  autograde_s"
    lines = [header, "-" * len(header)]
    for student in SAMPLES:
        g = grades.get(student)
        if g is None:
            lines.append(f"{student:<11} not graded")
            continue
        cells = " ".join(f"{g['parts'].get(p, (0, 0))[0]:>7g}" for p in parts)
        lines.append(f"{student:<11} {g['score']:>5g} {g['max_score']:>4g}  {cells}  {seconds.get(student, 0):>11.1f}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- main

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="triggerword course",
        description="Build the release, execute the master notebook headless, autograde the sample "
                    "submissions, write feedback and print the grade table.")
    parser.add_argument("--root", type=Path, default=repo_root(),
                        help="course directory (default: the repository root)")
    parser.add_argument("--skip-execute", action="store_true",
                        help="do not execute the master notebook (it takes a few minutes)")
    parser.add_argument("--release-only", action="store_true",
                        help="stop once release/ is generated (no notebook run, no grading): for new data or a new model")
    parser.add_argument("--timeout", type=int, default=1800,
                        help="per-cell timeout in s when executing the master notebook (default 1800); "
                             "grading uses nbgrader_config.py")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    build = root / "build" / "course"
    log = build / "nbgrader.log"
    db = build / "gradebook.db"
    started = time.time()
    try:
        check_inputs(root)
        build.mkdir(parents=True, exist_ok=True)
        for stale in (db, log):
            if stale.exists():
                stale.unlink()

        print("[1/7] reference audio from the master's solution")
        for rel, state in make_reference_audio(root).items():
            print(f"      {rel}: {state}")
        print("[2/7] links in source/" + ASSIGNMENT)
        counts = sync_links(root)
        print(f"      {counts['made']} made, {counts['kept']} kept, {counts['removed']} removed")
        print("[3/7] nbgrader generate_assignment -> release/" + ASSIGNMENT)
        generate_release(root, db, log)
        if args.release_only:
            print(f"release/{ASSIGNMENT} is up to date ({time.time() - started:.0f} s)")
            return 0
        if args.skip_execute:
            print("[4/7] master notebook: skipped")
        else:
            print("[4/7] executing the master notebook headless (not graded, fine-tuning included)")
            run = execute_master(root, args.timeout)
            print(f"      ran in {run['seconds']} s: {run['path']}")
        print("[5/7] sample submissions -> submitted/")
        notebooks = build_submissions(root)
        write_submissions(root, notebooks)
        for student, (what, _) in SAMPLES.items():
            print(f"      {student:<11} {what}")
        print("[6/7] nbgrader autograde (per-cell timeout from nbgrader_config.py)")
        seconds = autograde(root, db, list(SAMPLES), log)
        print("[7/7] nbgrader generate_feedback -> feedback/")
        generate_feedback(root, db, log)
        grades = read_grades(db, list(SAMPLES))
    except CourseError as error:
        print(f"triggerword course: {error}", file=sys.stderr)
        return 2
    print()
    print(grade_table(grades, seconds))
    (build / "grades.json").write_text(json.dumps({"grades": grades, "autograde_seconds": seconds}, indent=1))
    problems = check_scores(grades)
    print()
    print(f"total {time.time() - started:.0f} s; nbgrader log: {log}")
    if problems:
        print("UNEXPECTED SCORES:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print("scores as expected: full marks for the reference, zero for the untouched release, "
          "partial credit for the others")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
