"""The data model, one module per aggregate. Importing this package registers every table."""

from .audit import AuditCheckpoint, AuditEvent
from .bank import BankLoad, ItemVersion, ScenarioVersion, TierVersion
from .certificates import Certificate, CertificatePdf
from .endorsements import Endorsement
from .equality import EqualityResponse
from .fairness import FairnessRun
from .jobs import Job
from .marking import ControlScript, Mark, ReviewRequest, Script, TierSetting
from .messages import OutboxMessage
from .organisations import Organisation
from .results import Result
from .sittings import FormItem, Response, ResponseStep, Sitting, TestForm
from .standards import ItemStandard, StandardExercise, StandardJudge, StandardRating
from .statistics import ItemReviewNote, StatisticsRun
from .users import ROLES, CandidateProfile, PasswordToken, User, UserRole

__all__ = [
    "AuditCheckpoint",
    "AuditEvent",
    "BankLoad",
    "CandidateProfile",
    "Certificate",
    "CertificatePdf",
    "ControlScript",
    "Endorsement",
    "EqualityResponse",
    "FairnessRun",
    "FormItem",
    "ItemStandard",
    "ItemReviewNote",
    "ItemVersion",
    "Job",
    "Mark",
    "Organisation",
    "OutboxMessage",
    "PasswordToken",
    "ROLES",
    "Response",
    "ResponseStep",
    "Result",
    "ReviewRequest",
    "ScenarioVersion",
    "Script",
    "Sitting",
    "StandardExercise",
    "StandardJudge",
    "StandardRating",
    "StatisticsRun",
    "TestForm",
    "TierSetting",
    "TierVersion",
    "User",
    "UserRole",
]
