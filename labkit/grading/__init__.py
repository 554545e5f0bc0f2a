"""Batch grading of student submissions (``labkit grade``): discovery and matching
(:mod:`.submissions`), sandboxed execution (:mod:`.sandbox`, :mod:`.worker`), credit rules
(:mod:`.rubric`), backends (:mod:`.backends`), reports (:mod:`.report`), the run (:mod:`.batch`)."""
