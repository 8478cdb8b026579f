"""The care planner: which post-sale care activity a won deal needs next, decided
without the database (playbook 001 §6 客户维护与二次开发).

Pure Python (no ORM, no SQL): ``crm.lead._care_sync`` reads the won deals' care states,
asks ``plan_care`` for one plan per deal and applies the plans with the cadence writer
(``crm.lead._cadence_apply``: one statement per kind of change, assignees' counters
notified once per user). Plain unit tests cover every case (``tests/test_care_planner.py``).

The rules:

- a deal that is not won, archived or without salesperson has no care activity;
- until the first care visit is logged, the first revisit is due on the deal's first
  revisit deadline (won date + the company's delay, calendar or working days); a deal
  whose deadline passed more than a care interval ago (won long before its care started:
  the addon installed on an existing database) joins the quarterly rhythm at its next
  date instead of getting a long-overdue first revisit;
- afterwards the next visit is the quarterly care, due a care interval after the last
  visit, unless the half-year repurchase review (due a review interval after the last
  review, or after the won date) comes first or on the same day;
- exactly one open care activity per deal: a wrong kind, due date or assignee moves the
  activity, it is never doubled.
"""

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from .cadence_planner import Activity, Plan

FIRST_REVISIT, QUARTERLY, REVIEW = "first_revisit", "quarterly", "repurchase_review"


@dataclass(frozen=True)
class CareState:
    """What the planner needs to know of a won deal, its care log and its care activity."""

    lead_id: int
    user_id: int | None
    eligible: bool  # active, won, assigned
    start: date | None  # the won date
    revisit_deadline: date | None  # the first revisit is due by this day
    last_care: date | None = None  # the last care visit logged
    last_review: date | None = None  # the last repurchase review logged
    activity_id: int | None = None
    activity_kind: str | None = None
    activity_user_id: int | None = None
    activity_due: date | None = None


@dataclass(frozen=True)
class CareRule:
    """The company's care rule (``res.company`` care fields)."""

    quarterly_months: int
    review_months: int
    type_ids: dict  # {kind: mail.activity.type id}


def next_care(state: CareState, rule: CareRule, today: date) -> tuple[str, date]:
    """(kind, due date) of the deal's next care visit."""
    if not state.last_care:
        if (today - state.revisit_deadline).days <= 28 * rule.quarterly_months:
            return FIRST_REVISIT, state.revisit_deadline  # fast path: within the interval
        interval = relativedelta(months=rule.quarterly_months)
        if not state.start or state.revisit_deadline + interval >= today:
            return FIRST_REVISIT, state.revisit_deadline
        elapsed = (today.year - state.start.year) * 12 + today.month - state.start.month
        due = state.start + relativedelta(
            months=elapsed // rule.quarterly_months * rule.quarterly_months
        )
        while due < today:
            due += interval
        return QUARTERLY, due
    quarterly = state.last_care + relativedelta(months=rule.quarterly_months)
    review = (state.last_review or state.start or state.last_care) + relativedelta(
        months=rule.review_months
    )
    if review <= quarterly:
        return REVIEW, review
    return QUARTERLY, quarterly


def plan_care(state: CareState, rule: CareRule | None, today: date) -> Plan:
    """The plan bringing the deal's open care activity in line with ``rule``."""
    if not state.eligible or not rule or not (state.last_care or state.revisit_deadline):
        if state.activity_id:
            return Plan(state.lead_id, unlink_activity_id=state.activity_id)
        return Plan(state.lead_id)
    kind, due = next_care(state, rule, today)
    activity = Activity(state.user_id, kind, rule.type_ids.get(kind), due)
    if not state.activity_id:
        return Plan(state.lead_id, create_activity=activity)
    if (
        state.activity_kind != kind
        or state.activity_due != due
        or state.activity_user_id != state.user_id
    ):
        return Plan(state.lead_id, move_activity=(state.activity_id, activity))
    return Plan(state.lead_id)
