"""Batch grading of student submissions (``labkit grade``): discovery and matching
(:mod:`.submissions`), the run's options (:mod:`.options`), sandboxed execution (:mod:`.sandbox`,
:mod:`.worker` and its :mod:`.steps`; the notebook itself runs in :mod:`labkit.execution`, inside the
sandbox through :mod:`.engine`, its entry point and output-capping papermill engine), credit rules and
verdicts (:mod:`.rubric`, :mod:`.verdict`), backends (:mod:`.backends`), reports (:mod:`.class_report`,
:mod:`.finishing`), the run (:mod:`.batch`)."""
