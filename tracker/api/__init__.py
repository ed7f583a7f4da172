"""The JSON API (/api/v1): the same figures as the pages, hours as JSON numbers."""
