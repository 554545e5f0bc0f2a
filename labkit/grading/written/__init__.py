"""Written answers: a writeup parsed into question ids (:mod:`~labkit.grading.written.writeup`,
:mod:`~labkit.grading.written.collect`), grader hints, text and code similarity, the review page, manual
scores, and the feedback handed back (:mod:`~labkit.grading.written.feedback`,
:mod:`~labkit.grading.written.bundles`)."""
