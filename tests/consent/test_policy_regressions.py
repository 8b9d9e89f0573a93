"""Worlds the property test (``test_policy_property``) once found the policy wrong
on, replayed every run: a random search may not meet them again."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from consent.policy import professional_record_access
from records.models import Handicap
from tests.consent.test_policy_property import (
    EntrySpec,
    PairSpec,
    WorldSpec,
    build,
    check_professionals,
)

NONE = PairSpec(
    care="none",
    share="none",
    share_sections=("allergy",),
    blocked=False,
    emergency="none",
    share_by_guardian=False,
)


@pytest.mark.django_db
def test_a_minors_own_share_reaches_what_they_kept_from_their_guardians(client: Client) -> None:
    """GIVEN a minor (18 tomorrow) who keeps a handicap from their guardians, in
    care with a nurse, and who shares their handicaps with her themself WHEN the
    nurse reads the record THEN she sees it: her care relationship reaches every
    section but not what is kept from the guardians; the minor's own share
    does. (Found on 2 December 2026: an empty ``Q()``, "every row", was dropped
    when or-ed with the other conditions, so the policy hid the item.)"""
    spec = WorldSpec(
        professions=["infirmier", "autre", "autre"],
        gp=[None, None],
        refuses=[False, False],
        pairs={
            (0, 0): NONE,
            (0, 1): NONE,
            (0, 2): NONE,
            (1, 0): PairSpec(
                care="open",
                share="sections",
                share_sections=("handicap",),
                blocked=False,
                emergency="none",
                share_by_guardian=False,
            ),
            (1, 1): NONE,
            (1, 2): NONE,
        },
        entries=[
            [],
            [
                EntrySpec(
                    section="allergy",
                    mental=False,
                    hidden=False,
                    deleted=True,
                    author=None,
                    confidential=True,
                ),
                EntrySpec(
                    section="handicap",
                    mental=False,
                    hidden=False,
                    deleted=False,
                    author=None,
                    confidential=True,
                ),
            ],
        ],
        override=None,
        removed_row=None,
        n_guardians=2,
        ages=["adult", "18_tomorrow"],
        guardianships=[[], []],
        gp_by_guardian=[False, False],
    )
    with transaction.atomic():
        built = build(spec)
        nurse, minor = built.pros[0], built.patients[1]
        access = professional_record_access(nurse.user, minor.pk)

        assert access.entries(Handicap).count() == 1
        check_professionals(client, spec, built)
        transaction.set_rollback(True)
