"""The checks behind the homework's exercises: what a student's own TensorFlow produced, measured.

Each exercise is an nbgrader solution cell (``grade_id`` ``E01_model`` …) in which the student writes
plain TensorFlow/Keras, TF Hub or a tool's command line. The locked *check cell* after it calls one
measuring function of this package on what the student produced (a model, a SavedModel, a frozen graph,
a function, files), on data the grader owns, and records the measurement under the exercise's id; the
rubric (:mod:`labkit.questions`) decides the credit. The same rule sits in the check cell's hidden test
(:mod:`labkit.exercises.hidden`), so ``nbgrader autograde`` awards the same points.

Modules: :mod:`~labkit.exercises.common` (shared measuring helpers), one module per notebook
(``mnist`` for 01, ``hub_transfer`` for 02, ``classifier`` for 03, ``retrain`` for 04, ``concepts``
for 07) and :mod:`~labkit.exercises.hidden` (the hidden tests).
"""
