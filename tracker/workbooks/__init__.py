"""Exports: builders that return bytes, never responses. Views and commands only send or save them."""

from tracker.workbooks.plan_workbook import build_plan_workbook

EXPORTS = {"plan": build_plan_workbook}

__all__ = ["EXPORTS", "build_plan_workbook"]
