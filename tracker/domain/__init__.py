"""The plan's rules as plain functions and small services: no request, no current user."""
