"""The history: every change of every versioned record, who made it and when, written in the same
transaction.
"""
