"""Notebook integrity: the release a class is graded against (:mod:`~labkit.grading.integrity.manifest`),
locked cells checked and restored before execution (:mod:`~labkit.grading.integrity.locked`), which cell
recorded which answer after it (:mod:`~labkit.grading.integrity.attribution`), and hostile notebook files
(:mod:`~labkit.grading.integrity.nbfiles`). The hash-checked private copies grading runs on belong to the
submissions (:mod:`labkit.grading.snapshot`)."""
