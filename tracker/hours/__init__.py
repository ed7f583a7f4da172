"""Logged hours: time entries, their maintained summaries, the one roll-up of hour figures, the hours
display rule and the hours pages.
"""
