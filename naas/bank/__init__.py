"""The question bank: YAML in, validated immutable objects out (see question-bank-format.md)."""

from .checker import CheckResult, check_bank
from .model import Bank, Scenario, Tier, content_hash
from .source import Problem

__all__ = ["Bank", "CheckResult", "Problem", "Scenario", "Tier", "check_bank", "content_hash"]
