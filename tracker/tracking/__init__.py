"""The plan as the gender group tracks it: the action lines (status, late, occurrences, hours) and the
plan, action list and action pages.
"""
