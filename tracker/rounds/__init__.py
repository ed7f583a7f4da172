"""Reporting rounds: a network's coordinator opens one, each member submits a frozen plan snapshot."""
