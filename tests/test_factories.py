"""The consent and campaign factories make rows the policy reads as the services would."""

from __future__ import annotations

import pytest
from django.http import Http404

from consent.models import AccessBasis
from consent.optout.models import CampaignState
from consent.policy import carer_record_access, guardian_record_access, professional_record_access
from consent.services import carer_accept, carer_token_hash
from tests.factories import (
    BlockFactory,
    CampaignFactory,
    CarerGrantFactory,
    DesignatedGPFactory,
    GuardianshipFactory,
    ShareFactory,
)

pytestmark = pytest.mark.django_db


def test_share_factory_shares_the_whole_record_without_end() -> None:
    share = ShareFactory()
    access = professional_record_access(share.professional.user, share.patient.pk)
    assert (share.section, share.is_active) == ("", True)
    assert access.basis == AccessBasis.SHARE


def test_designated_gp_factory_gives_the_gp_basis() -> None:
    gp = DesignatedGPFactory()
    assert professional_record_access(gp.professional.user, gp.patient.pk).basis == (
        AccessBasis.DESIGNATED_GP
    )


def test_block_factory_shuts_the_professional_out() -> None:
    share = ShareFactory()
    BlockFactory(patient=share.patient, professional=share.professional)
    with pytest.raises(Http404):
        professional_record_access(share.professional.user, share.patient.pk)


def test_guardianship_factory_makes_a_minor_and_a_live_guardian() -> None:
    guardianship = GuardianshipFactory()
    assert guardianship.patient.is_minor
    access = guardian_record_access(guardianship.guardian, guardianship.patient.pk)
    assert access.basis == AccessBasis.GUARDIAN


def test_carer_grant_factory_is_accepted_and_keeps_only_the_tokens_hash() -> None:
    grant = CarerGrantFactory(token="le-jeton", sections=["treatment", "allergy"])
    assert grant.token_hash == carer_token_hash("le-jeton")
    assert grant.status == "active"
    access = carer_record_access(grant.carer, grant.patient.pk)
    assert access.kinds == {"treatment", "allergy"}
    # The token is the real one: accepting again by the same carer returns the grant.
    assert carer_accept(user=grant.carer, token="le-jeton") == grant


def test_campaign_factory_is_a_draft_by_a_staff_user() -> None:
    campaign = CampaignFactory()
    assert campaign.state == CampaignState.DRAFT
    assert campaign.created_by.is_staff
