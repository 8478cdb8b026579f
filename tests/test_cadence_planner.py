"""The cadence planner on its own: plain unit tests, no database (models/cadence_planner.py)."""

from datetime import date, datetime, timedelta

from odoo.addons.sales_funnel_std.models.cadence_planner import (
    FIRST_CONTACT,
    FOLLOWUP,
    NURTURE,
    Activity,
    LeadState,
    Rule,
    Sla,
    plan_cadence,
    sla_restarts,
)

TODAY = date(2026, 3, 2)  # a Monday
NOW = datetime(2026, 3, 2, 9, 0)
RULE_A = Rule(nurture=False, interval_days=7, first_contact_type_id=1, followup_type_id=2)
RULE_C = Rule(nurture=True, interval_days=30, first_contact_type_id=1, followup_type_id=3)
NEW_SLA = Sla(deadline=NOW + timedelta(hours=48), due=date(2026, 3, 4))
SALESMAN, OTHER = 10, 11


def state(**values):
    base = {
        "lead_id": 1,
        "user_id": SALESMAN,
        "eligible": True,
        "is_nurture": False,
        "sla_deadline": None,
        "sla_met_date": None,
        "sla_state": None,
    }
    base.update(values)
    return LeadState(**base)


def with_activity(kind=FIRST_CONTACT, user=SALESMAN, **values):
    """A lead state with its open cadence activity (id 5)."""
    return state(activity_id=5, activity_kind=kind, activity_user_id=user, **values)


def plan(lead_state, rule=RULE_A, regrade=False):
    return plan_cadence(
        lead_state,
        rule,
        regrade=regrade,
        today=TODAY,
        new_sla=NEW_SLA,
        due_of=lambda deadline: deadline.date(),
    )


def test_newly_graded_lead_gets_its_first_contact_sla():
    result = plan(state(), regrade=True)
    assert result.create_activity == Activity(SALESMAN, FIRST_CONTACT, 1, NEW_SLA.due)
    assert result.lead_values == {
        "is_nurture": False,
        "sla_deadline": NEW_SLA.deadline,
        "sla_met_date": None,
        "sla_state": "pending",
    }


def test_met_sla_gives_recurring_followups():
    result = plan(with_activity(sla_met_date=NOW, sla_state="met"))
    assert result.lead_values is None, "nothing to change on the lead"
    assert result.move_activity == (5, Activity(SALESMAN, FOLLOWUP, 2, TODAY + timedelta(days=7)))


def test_nurture_pool_drops_a_pending_sla():
    result = plan(with_activity(sla_deadline=NOW, sla_state="pending"), RULE_C, regrade=True)
    assert result.lead_values == {
        "is_nurture": True,
        "sla_deadline": None,
        "sla_met_date": None,
        "sla_state": None,
    }
    assert result.move_activity == (5, Activity(SALESMAN, NURTURE, 3, TODAY + timedelta(days=30)))


def test_regrade_restarts_a_pending_sla_not_a_met_one():
    pending = state(sla_deadline=NOW - timedelta(days=1), sla_state="pending")
    assert sla_restarts(pending, RULE_A, regrade=True)
    assert not sla_restarts(pending, RULE_A, regrade=False)
    met = state(sla_met_date=NOW, sla_state="met")
    assert not sla_restarts(met, RULE_A, regrade=True)
    assert not sla_restarts(state(eligible=False), RULE_A, regrade=True)
    assert sla_restarts(state(is_nurture=True, sla_met_date=NOW), RULE_A, regrade=False), (
        "out of the nurture pool: a new first contact"
    )


def test_reassignment_only_keeps_the_type_and_the_deadline():
    result = plan(with_activity(sla_deadline=NOW, sla_state="pending", user=OTHER))
    assert result.move_activity == (5, Activity(SALESMAN, FIRST_CONTACT, None, None))
    assert result.lead_values is None


def test_up_to_date_lead_needs_nothing():
    result = plan(
        with_activity(
            sla_deadline=NOW,
            sla_state="pending",
            user=SALESMAN,
        )
    )
    assert (result.lead_values, result.move_activity, result.create_activity) == (None,) * 3
    assert result.unlink_activity_id is None


def test_won_lost_or_unassigned_lead_loses_its_cadence():
    result = plan(state(eligible=False, sla_deadline=NOW, sla_state="pending", activity_id=5))
    assert result.unlink_activity_id == 5
    assert result.lead_values["sla_state"] is None
    assert result.create_activity is None and result.move_activity is None
    # a breached SLA stays on record for the figures
    breached = plan(state(eligible=False, sla_deadline=NOW, sla_state="breached"))
    assert breached.lead_values is None


def test_lost_activity_is_recreated_at_the_sla_due_date():
    """An open SLA whose activity was deleted by hand: recreated, due on the SLA's day."""
    result = plan(state(sla_deadline=datetime(2026, 3, 5, 17, 0), sla_state="pending"))
    assert result.create_activity == Activity(SALESMAN, FIRST_CONTACT, 1, date(2026, 3, 5))
