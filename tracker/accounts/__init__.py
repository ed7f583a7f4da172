"""Organisations, people, roles, sign-in (password and two-step), API tokens and the security log."""
