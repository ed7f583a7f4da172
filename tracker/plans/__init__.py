"""Plans, pillars, actions and allocation lines: their models, rules (timeline, late, status on a
date), editing services and the plan admin pages.
"""
