"""The course: student releases, hand-in, and grading students' own work."""
