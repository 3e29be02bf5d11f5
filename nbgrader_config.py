"""nbgrader settings of the trigger word detection course (the repository root is the course directory)."""
import os

c = get_config()  # noqa: F821 (defined by nbgrader when it reads this file)

c.CourseDirectory.course_id = "trigger-word-detection"

# Files written by running the notebook never go into the release or over a submission.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
    "train.wav", "insert_test.wav", "tmp.wav", "chime_output.wav", "*_10s.wav",
]

# Grading runs every cell in a fresh python3 kernel, whatever kernel the submission names.
c.Execute.kernel_name = "python3"
# Seconds per cell: importing TensorFlow, loading the model and predicting the dev set take
# a minute or more on a busy 2-core machine; an endless loop is stopped after this.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True  # stop the cell, record the error, grade the rest
c.Execute.execute_retries = 0

# Feedback shows what each test said, not the code of the hidden tests.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
]

# TensorFlow's C++ start-up messages would fill the graded notebooks.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
