"""Every table of the tracker, for Alembic and for whatever needs the whole schema at once."""

from tracker.accounts.models import ApiToken, Organisation, SecurityEvent, User
from tracker.assessments.models import Assessment, ReportFile, SurveyIndicator
from tracker.core.db import Base
from tracker.core.idempotency import IdempotencyKey
from tracker.history.models import HistoryEntry
from tracker.hours.models import ActionHours, PersonHours, TimeEntry
from tracker.plans.models import (
    Action,
    AllocationLine,
    Occurrence,
    Pillar,
    Plan,
    PlannedHours,
    PlanTemplate,
    StatusChange,
)
from tracker.rounds.models import ReportingRound, RoundSubmission

metadata = Base.metadata

__all__ = [
    "Action",
    "ActionHours",
    "AllocationLine",
    "ApiToken",
    "Assessment",
    "Base",
    "HistoryEntry",
    "IdempotencyKey",
    "Occurrence",
    "Organisation",
    "PersonHours",
    "Pillar",
    "Plan",
    "PlanTemplate",
    "PlannedHours",
    "ReportFile",
    "ReportingRound",
    "RoundSubmission",
    "SecurityEvent",
    "StatusChange",
    "SurveyIndicator",
    "TimeEntry",
    "User",
    "metadata",
]
