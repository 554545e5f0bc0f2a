"""What grading the committed example class (``examples/``, made by ``examples/make_examples.py``) gives."""

# grades.csv totals per student, before manual scores (dana hands in a writeup only)
TOTALS = {"alice": "3", "bob": "1", "carol": "0", "dana": "0", "dave": "2"}
# with examples/manual.csv merged by --manual
TOTALS_WITH_MANUAL = {**TOTALS, "dana": "5"}
