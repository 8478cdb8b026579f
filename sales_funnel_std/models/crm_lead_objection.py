import logging
from collections import defaultdict
from datetime import timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

OBJECTION_STATES = [("open", "Not Answered"), ("answered", "Answered"), ("resolved", "Resolved")]
OBJECTION_BATCH = 1000
# set by the system (who answered / resolved, lateness, escalation sweep), never by users
SYSTEM_FIELDS = {
    "responded_by_id",
    "resolved_by_id",
    "resolved_on",
    "response_late",
    "escalated_on",
    "escalated_to_id",
    "activity_id",
}
# clock skew tolerated between a client and the server for "not in the future"
FUTURE_TOLERANCE = timedelta(minutes=5)


class CrmLeadObjection(models.Model):
    """A customer objection raised on an opportunity (003 (四), 001 §4): the customer's
    own words, the stage it was raised in, the answer due within the company's response
    time (24 working hours by default), who resolved it and when."""

    _name = "crm.lead.objection"
    _description = "Customer Objection"
    _order = "raised_on desc, id desc"
    _rec_name = "customer_words"

    lead_id = fields.Many2one(
        "crm.lead", "Opportunity", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company", compute="_compute_from_lead", store=True, precompute=True, index=True
    )
    team_id = fields.Many2one(
        "crm.team", "Sales Team", compute="_compute_from_lead", store=True, precompute=True
    )
    # the lead's salesperson now (not stored: re-assigning leads costs nothing here)
    user_id = fields.Many2one(related="lead_id.user_id", string="Salesperson")
    type_id = fields.Many2one(
        "crm.objection.type",
        "Objection Type",
        required=True,
        ondelete="restrict",
        domain="['|', ('company_id', '=', False), ('company_id', '=', company_id)]",
    )
    guidance = fields.Text(related="type_id.guidance", string="Strategy")
    customer_words = fields.Text(
        "Customer's Words",
        required=True,
        help="Quote the customer, with figures: “The price is 10% above our budget”, "
        "not “the customer finds it expensive”.",
    )
    stage_id = fields.Many2one(
        "crm.stage",
        "Raised in Stage",
        compute="_compute_stage_id",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        help="Stage of the opportunity when the objection was raised.",
    )
    raised_on = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    response_deadline = fields.Datetime(
        "Answer Due",
        compute="_compute_response_deadline",
        store=True,
        precompute=True,
        help="Raised on + the company's objection response time, in working hours of its "
        "working calendar.",
    )
    response = fields.Text(help="What was answered or offered to the customer.")
    responded_on = fields.Datetime("Answered On", copy=False)
    responded_by_id = fields.Many2one("res.users", "Answered By", readonly=True, copy=False)
    resolved_on = fields.Datetime(readonly=True, copy=False)
    resolved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    state = fields.Selection(
        OBJECTION_STATES,
        "Status",
        required=True,
        default="open",
        index=True,
        copy=False,
        help="Not answered: the customer is waiting for our answer. Answered: the customer has "
        "our answer. Resolved: the customer accepted it.",
    )
    response_late = fields.Boolean(
        "Answered Late",
        readonly=True,
        copy=False,
        help="Not answered before the deadline (set when answered late, or by the hourly "
        "objection job).",
    )
    is_overdue = fields.Boolean(
        "Overdue", compute="_compute_is_overdue", search="_search_is_overdue"
    )
    escalated_on = fields.Datetime(readonly=True, copy=False)
    escalated_to_id = fields.Many2one("res.users", readonly=True, copy=False)
    activity_id = fields.Many2one("mail.activity", ondelete="set null", readonly=True, copy=False)

    # the hourly sweep reads only the open objections not escalated yet
    _sweep_index = models.Index("(response_deadline) WHERE state = 'open' AND escalated_on IS NULL")

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("lead_id")
    def _compute_from_lead(self):
        for objection in self:
            objection.company_id = objection.lead_id.company_id
            objection.team_id = objection.lead_id.team_id

    @api.depends("lead_id")
    def _compute_stage_id(self):
        for objection in self:
            if not objection.stage_id:
                objection.stage_id = objection.lead_id.stage_id

    @api.depends("raised_on", "company_id")
    def _compute_response_deadline(self):
        for objection in self:
            objection.response_deadline = (
                objection._objection_deadline(objection.raised_on, objection.company_id)
                if objection.raised_on
                else False
            )

    @api.depends("state", "response_deadline")
    def _compute_is_overdue(self):
        now = fields.Datetime.now()
        for objection in self:
            objection.is_overdue = (
                objection.state == "open"
                and bool(objection.response_deadline)
                and objection.response_deadline < now
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        domain = [("state", "=", "open"), ("response_deadline", "<", fields.Datetime.now())]
        return domain if (operator == "=") == bool(value) else ["!", "&", *domain]

    @api.model
    def _objection_deadline(self, raised_on, company):
        """``raised_on`` (UTC) + the company's response time in working hours of its
        working calendar (public holidays excluded); calendar hours without calendar."""
        company = company or self.env.company
        hours = company.objection_response_hours or 24
        calendar = company.resource_calendar_id
        if calendar:
            deadline = calendar.plan_hours(hours, raised_on, compute_leaves=True)
            if deadline:
                return deadline.replace(microsecond=0)
        return raised_on + timedelta(hours=hours)

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self._objection_check_system_fields(vals_list)
        vals_list = [self._objection_prepare_vals(dict(vals)) for vals in vals_list]
        for vals in vals_list:
            self._objection_check_vals(vals)
        objections = super().create(vals_list)
        objections._objection_after_answer()
        objections.filtered(lambda o: o.state == "open")._objection_schedule_activities()
        objections.lead_id._objection_refresh_checklist()
        return objections

    def write(self, vals):
        self._objection_check_system_fields([vals])
        if "lead_id" in vals and any(o.lead_id.id != vals["lead_id"] for o in self):
            raise UserError(_("An objection cannot be moved to another opportunity."))
        prepared = {
            objection.id: objection._objection_prepare_vals(dict(vals), objection)
            for objection in self
        }
        for objection in self:
            current = {
                "state": objection.state,
                "response": objection.response,
                "raised_on": objection.raised_on,
                "responded_on": objection.responded_on,
                "customer_words": objection.customer_words,
            }
            objection._objection_check_vals({**current, **prepared[objection.id]})
        was_open = self.filtered(lambda o: o.state == "open")
        old_states = {objection.id: objection.state for objection in self}
        # one write per distinct set of values (a mass edit is one or two UPDATEs)
        batches = defaultdict(list)
        for objection in self:
            batches[tuple(sorted(prepared[objection.id].items()))].append(objection.id)
        for values, ids in batches.items():
            super(CrmLeadObjection, self.browse(ids)).write(dict(values))
        (was_open - self.filtered(lambda o: o.state == "open"))._objection_after_answer()
        if any(old_states[o.id] != o.state for o in self):
            self.lead_id._objection_refresh_checklist()
        return True

    def unlink(self):
        leads = self.lead_id
        # sudo: the tracking activities belong to the objections being deleted
        self.activity_id.sudo().unlink()
        res = super().unlink()
        leads.exists()._objection_refresh_checklist()
        return res

    # ------------------------------------------------------------
    # VALIDATION
    # ------------------------------------------------------------

    def _objection_check_system_fields(self, vals_list):
        if self.env.su:
            return
        for vals in vals_list:
            if SYSTEM_FIELDS & set(vals):
                raise UserError(
                    _(
                        "Who answered or resolved an objection, its lateness and its "
                        "escalation are set by the system; they cannot be written "
                        "(%(fields)s).",
                        fields=", ".join(sorted(SYSTEM_FIELDS & set(vals))),
                    )
                )

    def _objection_prepare_vals(self, vals, objection=None):
        """Complete ``vals``: an answer written on an open objection makes it Answered
        (who and when); resolving records who and when; reopening clears them."""
        current = objection.state if objection else None
        state = vals.get("state") or current or "open"
        if state == "open" and "state" not in vals and (vals.get("response") or "").strip():
            state = vals["state"] = "answered"
        if state in ("answered", "resolved"):
            if not (objection and objection.responded_on) and not vals.get("responded_on"):
                vals["responded_on"] = fields.Datetime.now()
            if not (objection and objection.responded_by_id):
                vals.setdefault("responded_by_id", self.env.uid)
        if state == "resolved" and current != "resolved":
            vals.setdefault("resolved_on", fields.Datetime.now())
            vals.setdefault("resolved_by_id", self.env.uid)
        if state == "open" and current and current != "open":
            vals.update(
                responded_on=False, responded_by_id=False, resolved_on=False, resolved_by_id=False
            )
        return vals

    @api.model
    def _objection_check_vals(self, vals):
        """Clear message for bad input, raised before anything is written."""
        states = dict(OBJECTION_STATES)
        state = vals.get("state") or "open"
        if state not in states:
            raise ValidationError(
                _(
                    "Unknown objection state %(state)r; use one of: %(states)s.",
                    state=state,
                    states=", ".join(states),
                )
            )
        if "customer_words" in vals and not (vals["customer_words"] or "").strip():
            raise ValidationError(
                _(
                    "Write down the customer's own words (e.g. “The price is 10% above our "
                    "budget”), not a summary."
                )
            )
        if state in ("answered", "resolved") and not (vals.get("response") or "").strip():
            raise ValidationError(
                _(
                    "An objection can be %(state)s only once the response given to the "
                    "customer is written down.",
                    state=dict(self._fields["state"]._description_selection(self.env))[
                        state
                    ].lower(),
                )
            )
        raised_on = fields.Datetime.to_datetime(vals.get("raised_on"))
        responded_on = fields.Datetime.to_datetime(vals.get("responded_on"))
        latest = fields.Datetime.now() + FUTURE_TOLERANCE
        for fname, value in (("raised_on", raised_on), ("responded_on", responded_on)):
            if value and value > latest:
                raise ValidationError(
                    _(
                        "%(field)s cannot be in the future (%(value)s).",
                        field=self._fields[fname]._description_string(self.env),
                        value=fields.Datetime.to_string(value),
                    )
                )
        if raised_on and responded_on and responded_on < raised_on:
            raise ValidationError(
                _(
                    "The answer (%(responded_on)s) cannot come before the objection was "
                    "raised (%(raised_on)s).",
                    responded_on=fields.Datetime.to_string(responded_on),
                    raised_on=fields.Datetime.to_string(raised_on),
                )
            )

    @api.constrains("raised_on", "responded_on")
    def _check_dates(self):
        for objection in self:
            objection._objection_check_vals(
                {"raised_on": objection.raised_on, "responded_on": objection.responded_on}
            )

    # ------------------------------------------------------------
    # ACTIONS (public API: callable from RPC and automation)
    # ------------------------------------------------------------

    def action_respond(self, response=None, responded_on=None):
        """Record the answer given to the customer (``response``; the current one when
        omitted) and when (``responded_on``, now by default)."""
        vals = {"state": "answered"}
        if response is not None:
            vals["response"] = response
        if responded_on:
            vals["responded_on"] = responded_on
        self.filtered(lambda o: o.state == "open").write(vals)
        return True

    def action_resolve(self):
        """The customer accepted the answer."""
        self.filtered(lambda o: o.state != "resolved").write({"state": "resolved"})
        return True

    def action_reopen(self):
        self.filtered(lambda o: o.state != "open").write({"state": "open"})
        return True

    # ------------------------------------------------------------
    # BUSINESS: response activity
    # ------------------------------------------------------------

    def _objection_schedule_activities(self):
        """One "Answer objection" activity per open objection for the salesperson, due on
        the day of the deadline (company's working timezone)."""
        for objection in self:
            lead = objection.lead_id
            activity = lead.activity_schedule(
                "sales_funnel_std.mail_activity_type_objection",
                date_deadline=objection._objection_due_date(),
                note=objection.customer_words,
                user_id=lead.user_id.id or self.env.uid,
            )
            if activity:
                # sudo: system bookkeeping of the activity just scheduled for this objection
                objection.sudo().activity_id = activity

    def _objection_due_date(self):
        self.ensure_one()
        calendar = self.company_id.resource_calendar_id
        tz = pytz.timezone(calendar.tz or "UTC") if calendar else pytz.utc
        return pytz.utc.localize(self.response_deadline).astimezone(tz).date()

    def _objection_after_answer(self):
        """Answered or resolved: the response activity is done; late when answered after
        the deadline."""
        answered = self.filtered(lambda o: o.state != "open")
        if not answered:
            return
        for objection in answered:
            late = bool(
                objection.response_deadline
                and objection.responded_on
                and objection.responded_on > objection.response_deadline
            )
            if late != objection.response_late:
                # sudo: system field, derived from the dates the user was allowed to write
                objection.sudo().response_late = late
        # sudo: the tracking activities follow their objection, whoever answers it
        activities = answered.activity_id.sudo().filtered("active")
        if activities:
            activities.action_feedback(feedback=_("Objection answered."))

    # ------------------------------------------------------------
    # CRON: escalation sweep (set-based)
    # ------------------------------------------------------------

    @api.model
    def _cron_objection_sweep(self, batch_size=OBJECTION_BATCH, commit=True):
        """Hourly: open objections past their deadline are marked late and escalated once
        to the sales team leader.

        Batches of ``batch_size`` objections locked ``FOR UPDATE SKIP LOCKED`` and marked
        ``escalated_on`` in the same UPDATE ... RETURNING (an objection is never escalated
        twice, two workers share the work); one "Objection not answered" activity per
        opportunity and leader (none when the leader already has one open on it), the
        leaders' activity counters notified once per batch. Progress committed per batch
        with ``ir.cron._commit_progress``. Returns the number of objections escalated.
        """
        cr = self.env.cr
        self.env.flush_all()
        now = fields.Datetime.now().replace(microsecond=0)
        due = SQL(
            "FROM crm_lead_objection WHERE state = 'open' AND escalated_on IS NULL "
            "AND response_deadline < %s",
            now,
        )
        cr.execute(SQL("SELECT COUNT(*) %s", due))
        remaining = cr.fetchone()[0]
        if not remaining:
            return 0
        if commit:
            self.env["ir.cron"]._commit_progress(remaining=remaining)
        type_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "sales_funnel_std.mail_activity_type_objection_escalated"
        )
        done = 0
        while remaining:
            cr.execute(
                SQL(
                    """
                    WITH todo AS (
                        SELECT id %(due)s ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED
                    )
                    UPDATE crm_lead_objection obj
                       SET response_late = TRUE, escalated_on = %(now)s,
                           escalated_to_id = (
                               SELECT team.user_id FROM crm_lead lead
                                 JOIN crm_team team ON team.id = lead.team_id
                                WHERE lead.id = obj.lead_id AND lead.active),
                           write_uid = %(uid)s, write_date = %(now)s
                      FROM todo
                     WHERE obj.id = todo.id
                 RETURNING obj.lead_id, obj.escalated_to_id
                    """,
                    due=due,
                    limit=batch_size,
                    now=now,
                    uid=self.env.uid,
                )
            )
            rows = cr.fetchall()
            if not rows:
                break
            pairs = {(lead_id, user_id) for lead_id, user_id in rows if user_id}
            self.env["crm.lead"]._funnel_insert_activities(pairs, type_id, now)
            done += len(rows)
            remaining = max(remaining - len(rows), 0)
            self.invalidate_model(["response_late", "escalated_on", "escalated_to_id"])
            if commit:
                if not self.env["ir.cron"]._commit_progress(len(rows), remaining=remaining):
                    break
        return done
