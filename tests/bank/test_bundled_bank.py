"""The bundled bank holds the line the cue audit draws: no content-blind rule and no
surface model finds its keys, every objective item cites what its key rests on, and no item
carries a cue a writer was warned about (docs/question-bank.md, "The cue audit")."""

from __future__ import annotations

import pytest

from naas.bank import check_bank
from naas.bank.audit import audit_tier
from naas.config import BUNDLED_BANK


@pytest.fixture(scope="module")
def checked():
    result = check_bank(BUNDLED_BANK)
    assert result.ok, "\n".join(map(str, result.problems))
    return result


@pytest.mark.parametrize("tier", ["practitioner", "supervisor", "leader"])
def test_every_tier_of_the_bundled_bank_passes_the_cue_audit(checked, tier):
    audit = audit_tier(checked.bank, tier)
    assert audit.passed, audit.failures
    assert audit.model.accuracy is not None  # enough items for the cross-validated model


def test_every_objective_item_of_the_bundled_bank_cites_its_references(checked):
    assert [str(p) for p in checked.unreferenced] == []


def test_no_item_of_the_bundled_bank_carries_a_cue(checked):
    assert [str(p) for p in checked.cues] == []
