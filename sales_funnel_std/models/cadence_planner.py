"""The cadence planner: what a lead's follow-up cadence should be, from the lead's state
and its grade's rule, decided without the database.

Pure Python (no ORM, no SQL): ``crm.lead._cadence_sync`` reads the states, asks
``plan_cadence`` for one plan per lead and applies the plans set-based. Plain unit tests
cover every case (``tests/test_cadence_planner.py``).

The rules (playbook 000 / 001):

- a lead that is archived or lost, won, without salesperson or not graded has no cadence:
  its open cadence activity goes, a pending first-contact SLA is dropped;
- a grade in the nurture pool (C by default) gets a re-evaluation every interval;
- the other grades get a first contact due by the SLA deadline (hours or working days
  after the grading) until it is met, then a follow-up every interval;
- re-grading moves the activity at once to the new grade's deadline (a pending SLA
  restarts under the new grade's rule); re-assigning only changes the assignee.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

FIRST_CONTACT, FOLLOWUP, NURTURE = "first_contact", "followup", "nurture"


@dataclass(frozen=True)
class LeadState:
    """What the planner needs to know of a lead and of its open cadence activity."""

    lead_id: int
    user_id: int | None
    eligible: bool  # active, assigned, graded, not won
    is_nurture: bool
    sla_deadline: datetime | None
    sla_met_date: datetime | None
    sla_state: str | None
    activity_id: int | None = None
    activity_kind: str | None = None
    activity_user_id: int | None = None


@dataclass(frozen=True)
class Rule:
    """The follow-up rule of the lead's grade (``crm.grade.policy``)."""

    nurture: bool
    interval_days: int
    first_contact_type_id: int | None
    followup_type_id: int | None


@dataclass(frozen=True)
class Sla:
    """A first-contact SLA starting now: its deadline (UTC) and the activity's due date."""

    deadline: datetime
    due: date


@dataclass(frozen=True)
class Activity:
    """The open cadence activity a lead must have. ``type_id``/``due`` None: keep the
    activity's own (a re-assignment only changes the assignee)."""

    user_id: int
    kind: str
    type_id: int | None
    due: date | None


@dataclass(frozen=True)
class Plan:
    lead_id: int
    lead_values: dict | None = None  # new is_nurture / sla_* values, when they change
    unlink_activity_id: int | None = None
    move_activity: tuple[int, Activity] | None = None  # (activity id, what it becomes)
    create_activity: Activity | None = None


def sla_restarts(state: LeadState, rule: Rule | None, regrade: bool) -> bool:
    """Does a first-contact SLA start now (or a pending one restart on re-grade)?"""
    return bool(
        state.eligible
        and rule
        and not rule.nurture
        and (
            state.is_nurture
            or (not state.sla_state and not state.sla_met_date)
            or (regrade and state.sla_state == "pending")
        )
    )


def plan_cadence(
    state: LeadState,
    rule: Rule | None,
    *,
    regrade: bool,
    today: date,
    new_sla: Sla | None,
    due_of: Callable[[datetime], date],
) -> Plan:
    """The plan bringing ``state`` in line with ``rule``.

    ``new_sla``: the SLA that starts now under this rule (needed when ``sla_restarts``);
    ``due_of``: the due date of an activity whose SLA deadline is the given UTC time.
    """
    values = {
        "is_nurture": bool(state.is_nurture),
        "sla_deadline": state.sla_deadline,
        "sla_met_date": state.sla_met_date,
        "sla_state": state.sla_state,
    }
    wanted = None
    if not state.eligible or not rule:
        values["is_nurture"] = False
        if state.sla_state == "pending":
            values.update(sla_deadline=None, sla_state=None)
    elif rule.nurture:
        values["is_nurture"] = True
        if state.sla_state == "pending":
            values.update(sla_deadline=None, sla_state=None)
        wanted = (NURTURE, rule.followup_type_id, today + timedelta(days=rule.interval_days))
    else:
        values["is_nurture"] = False
        restarted = sla_restarts(state, rule, regrade)
        if restarted:
            values.update(sla_deadline=new_sla.deadline, sla_met_date=None, sla_state="pending")
        if values["sla_met_date"]:
            wanted = (FOLLOWUP, rule.followup_type_id, today + timedelta(days=rule.interval_days))
        elif restarted:
            wanted = (FIRST_CONTACT, rule.first_contact_type_id, new_sla.due)
        elif state.sla_deadline:
            wanted = (FIRST_CONTACT, rule.first_contact_type_id, due_of(state.sla_deadline))
        else:
            wanted = (FIRST_CONTACT, rule.first_contact_type_id, today)

    changed = values != {
        "is_nurture": bool(state.is_nurture),
        "sla_deadline": state.sla_deadline,
        "sla_met_date": state.sla_met_date,
        "sla_state": state.sla_state,
    }
    plan = {"lead_id": state.lead_id, "lead_values": values if changed else None}
    if wanted is None:
        if state.activity_id:
            plan["unlink_activity_id"] = state.activity_id
        return Plan(**plan)
    kind, type_id, due = wanted
    if not state.activity_id:
        plan["create_activity"] = Activity(state.user_id, kind, type_id, due)
    elif regrade or state.activity_kind != kind or state.activity_user_id != state.user_id:
        if not regrade and state.activity_kind == kind:
            # re-assigned only: keep the type and the deadline
            activity = Activity(state.user_id, kind, None, None)
        else:
            activity = Activity(state.user_id, kind, type_id, due)
        plan["move_activity"] = (state.activity_id, activity)
    return Plan(**plan)
