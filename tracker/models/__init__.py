"""The domain's tables. Import models from here."""

from tracker.models.assessment import Assessment, SurveyIndicator
from tracker.models.base import Base, utcnow
from tracker.models.history import ChangeKind, HistoryEntry, StatusChange
from tracker.models.hours import TimeEntry
from tracker.models.organisation import Organisation, Region
from tracker.models.plan import (
    Action,
    AllocationKind,
    AllocationLine,
    Cadence,
    Occurrence,
    Pillar,
    Plan,
    PlannedHours,
    Status,
)
from tracker.models.security import SecurityEvent, SecurityEventKind
from tracker.models.summary import MANAGEMENT, ActionHours, PersonHours
from tracker.models.user import ApiToken, Role, User

__all__ = [
    "MANAGEMENT",
    "Action",
    "ActionHours",
    "AllocationKind",
    "AllocationLine",
    "ApiToken",
    "Assessment",
    "Base",
    "Cadence",
    "ChangeKind",
    "HistoryEntry",
    "Occurrence",
    "Organisation",
    "PersonHours",
    "Pillar",
    "Plan",
    "PlannedHours",
    "Region",
    "Role",
    "SecurityEvent",
    "SecurityEventKind",
    "Status",
    "StatusChange",
    "SurveyIndicator",
    "TimeEntry",
    "User",
    "utcnow",
]
