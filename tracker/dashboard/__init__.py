"""The management dashboard: its figures, charts and page."""
