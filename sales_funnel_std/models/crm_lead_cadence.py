import logging
from collections import defaultdict

import psycopg2.errors

from odoo import _, api, fields, models
from odoo.tools import SQL

from .cadence_planner import LeadState, plan_cadence, sla_restarts

_logger = logging.getLogger(__name__)

CADENCE_BATCH = 1000
SLA_STATES = [("pending", "Pending"), ("met", "Met"), ("breached", "Breached")]


def sla_overdue(state, deadline, now):
    """An SLA (pending / met / breached) is overdue when breached, or still pending past
    its deadline: live, before the cron stores the breach."""
    return state == "breached" or (state == "pending" and bool(deadline) and deadline < now)


def sla_overdue_domain(state_field, deadline_field, operator, value):
    """Search domain of :func:`sla_overdue` on the stored state and deadline fields."""
    if operator not in ("=", "!="):
        return NotImplemented
    domain = [
        "|",
        (state_field, "=", "breached"),
        "&",
        (state_field, "=", "pending"),
        (deadline_field, "<", fields.Datetime.now()),
    ]
    return domain if (operator == "=") == bool(value) else ["!", *domain]


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # First-contact SLA: stored, written by the cadence engine (set-based SQL). The
    # stored state turns "breached" when the daily cron runs; ``sla_breached`` is the
    # live value (computed at read time, searchable) used by filters and the kanban.
    sla_deadline = fields.Datetime(
        "First Contact Deadline", readonly=True, copy=False, help="First-contact SLA deadline."
    )
    sla_met_date = fields.Datetime(
        "First Contact Done", readonly=True, copy=False, help="When the first contact was made."
    )
    sla_state = fields.Selection(
        SLA_STATES,
        "First Contact SLA",
        readonly=True,
        copy=False,
        index=True,
        help="Pending until the first contact is made; Met when made before the deadline; "
        "Breached when the deadline passed without contact (set by the daily follow-up "
        "job, and shown at once by the 'SLA breached' filter).",
    )
    sla_breached = fields.Boolean(
        "SLA Breached", compute="_compute_sla_breached", search="_search_sla_breached"
    )
    is_nurture = fields.Boolean(
        "In Nurture Pool",
        readonly=True,
        copy=False,
        index=True,
        help="Low-intent lead nurtured with periodic content and re-evaluated regularly.",
    )
    cadence_activity_id = fields.Many2one(
        "mail.activity", "Next Follow-up", compute="_compute_cadence_activity"
    )
    cadence_deadline = fields.Date("Next Follow-up Due", compute="_compute_cadence_activity")
    cadence_overdue = fields.Boolean(
        "Follow-up Overdue", compute="_compute_cadence_activity", search="_search_cadence_overdue"
    )
    followup_ids = fields.One2many("crm.lead.followup", "lead_id", "Follow-ups")
    followup_count = fields.Integer("Follow-up Count", compute="_compute_followup_count")

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("sla_state", "sla_deadline")
    def _compute_sla_breached(self):
        now = fields.Datetime.now()
        for lead in self:
            lead.sla_breached = sla_overdue(lead.sla_state, lead.sla_deadline, now)

    def _search_sla_breached(self, operator, value):
        return sla_overdue_domain("sla_state", "sla_deadline", operator, value)

    def _compute_cadence_activity(self):
        activities = (
            self.env["mail.activity"]
            .sudo()  # sudo: one batched read of the leads' own activities, values only
            .search_fetch(
                [
                    ("res_model", "=", "crm.lead"),
                    ("res_id", "in", self.ids),
                    ("funnel_cadence", "!=", False),
                ],
                ["res_id", "date_deadline"],
            )
        )
        by_lead = {act.res_id: act for act in activities}
        today = fields.Date.context_today(self)
        for lead in self:
            activity = by_lead.get(lead.id)
            lead.cadence_activity_id = activity.id if activity else False
            lead.cadence_deadline = activity.date_deadline if activity else False
            lead.cadence_overdue = bool(activity) and activity.date_deadline < today

    def _search_cadence_overdue(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        domain = [
            (
                "activity_ids",
                "any",
                [
                    ("funnel_cadence", "!=", False),
                    ("date_deadline", "<", fields.Date.context_today(self)),
                ],
            )
        ]
        return domain if (operator == "=") == bool(value) else ["!", *domain]

    def _compute_followup_count(self):
        counts = dict(
            self.env["crm.lead.followup"]._read_group(
                [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.followup_count = counts.get(lead, 0)

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    def _cadence_states_before(self, vals):
        """Write pipeline, step 3: ``{lead id: (active, won status, salesperson)}`` of the
        graded leads, when ``vals`` may change one of them. Leads never graded have no
        cadence (grading schedules it): nothing to compare, no query on core bulk paths
        (lead assignment, conversion) over unscored leads."""
        if not any(fname in vals for fname in ("active", "stage_id", "user_id")):
            return {}
        return {lead.id: self._cadence_state(lead) for lead in self if lead.bndu_grade != "none"}

    def _cadence_state_changed(self, states):
        """Write pipeline, step 6: the leads won / lost / archived / restored / re-assigned
        since ``states``. An ordinary stage move changes none of these and costs nothing."""
        if not states:
            return self.browse()
        return self.filtered(
            lambda lead: lead.id in states and self._cadence_state(lead) != states[lead.id]
        )

    @api.model
    def _cadence_state(self, lead):
        return (lead.active, lead.won_status, lead.user_id.id)

    def _merge_dependences_history(self, opportunities):
        # the merged leads' cadence activities would be a second one on the target
        # sudo: technical clean-up of activities the cadence engine owns
        self.env["mail.activity"].sudo().search(
            [
                ("res_model", "=", "crm.lead"),
                ("res_id", "in", opportunities.ids),
                ("funnel_cadence", "!=", False),
            ]
        ).unlink()
        return super()._merge_dependences_history(opportunities)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_followup_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Log Follow-up"),
            "res_model": "crm.lead.followup.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_lead_id": self.id,
                "default_activity_id": self.cadence_activity_id.id,
            },
        }

    def action_view_followups(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_funnel_std.crm_lead_followup_action"
        )
        action["domain"] = [("lead_id", "=", self.id)]
        action["context"] = {"default_lead_id": self.id}
        return action

    def action_log_followup(self, vals):
        """Log a follow-up (跟进记录) on this lead; public API.

        ``vals``: ``crm.lead.followup`` values (channel required). When the lead has an
        open cadence activity, the contact completes it: the activity is marked done,
        the SLA recorded and the next follow-up scheduled. Returns the follow-up record.
        """
        self.ensure_one()
        self.check_access("read")
        activity = self.cadence_activity_id
        if activity:
            return activity.action_done_cadence(vals)
        vals = dict(vals, lead_id=self.id)
        self.env["crm.lead.followup"]._check_followup_vals(vals)
        return self.env["crm.lead.followup"].create(vals)

    # ------------------------------------------------------------
    # BUSINESS: cadence engine
    # ------------------------------------------------------------

    def _bndu_grade_changed(self):
        res = super()._bndu_grade_changed()
        self._cadence_sync(regrade=True)
        return res

    def _cadence_activity_done(self, kinds):
        """Cadence activities were marked done; ``kinds``: {lead_id: funnel_cadence}."""
        first = [lead_id for lead_id, kind in kinds.items() if kind == "first_contact"]
        if first:
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE crm_lead
                       SET sla_met_date = %(now)s,
                           sla_state = CASE WHEN sla_deadline IS NULL OR sla_deadline >= %(now)s
                                            THEN 'met' ELSE 'breached' END
                     WHERE id = ANY(%(ids)s) AND sla_met_date IS NULL
                    """,
                    now=fields.Datetime.now(),
                    ids=first,
                )
            )
            self.invalidate_model(["sla_met_date", "sla_state"])
        self._cadence_sync()

    def _cadence_sync(self, regrade=False):
        """Bring the cadence of these leads in line with their grade, set-based.

        Reads the leads' states in one query, asks the planner (``cadence_planner``, pure
        Python: the rules are there) for one plan per lead, then applies the plans: the
        SLA fields in one UPDATE, removed activities through the ORM, moved and created
        ones in one statement each, and the assignees' activity counters notified once
        per user, as the ORM would. ``regrade``: the grade just changed.

        A fixed number of queries whatever the number of leads (no chatter); concurrent
        runs are safe thanks to the partial unique index on open cadence activities
        (``INSERT ... ON CONFLICT DO NOTHING``).
        """
        if not self.ids:
            return
        self.env.flush_all()
        now = fields.Datetime.now().replace(microsecond=0)
        self.env.cr.execute(
            SQL(
                """
                SELECT lead.id AS lead_id, lead.user_id, lead.bndu_grade AS grade,
                       COALESCE(lead.company_id, %(default_company)s) AS company_id,
                       lead.active AND lead.user_id IS NOT NULL
                           AND lead.bndu_grade IN ('a', 'b', 'c')
                           AND NOT COALESCE(stage.is_won, FALSE) AS eligible,
                       COALESCE(lead.is_nurture, FALSE) AS is_nurture,
                       lead.sla_deadline, lead.sla_met_date, lead.sla_state,
                       act.id AS activity_id, act.funnel_cadence AS activity_kind,
                       act.user_id AS activity_user_id, act.date_deadline AS activity_due
                  FROM crm_lead lead
             LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
             LEFT JOIN mail_activity act
                    ON act.res_model = 'crm.lead' AND act.res_id = lead.id
                   AND act.funnel_cadence IS NOT NULL AND act.active
                 WHERE lead.id = ANY(%(ids)s)
                """,
                default_company=self._bndu_default_company().id,
                ids=self.ids,
            )
        )
        rows = self.env.cr.dictfetchall()
        Policy = self.env["crm.grade.policy"]
        policies = Policy._policies_by_company({row["company_id"] for row in rows})
        state_fields = LeadState.__dataclass_fields__.keys()
        states = [
            (
                LeadState(**{key: row[key] for key in state_fields}),
                policies.get((row["company_id"], row["grade"])),
            )
            for row in rows
        ]
        rules = {policy.id: policy._cadence_rule() for policy in policies.values()}
        # calendars are read only for the rules that start an SLA now
        # sudo: rules are configuration the engine reads for any lead (as policies above)
        new_slas = (
            Policy.sudo()
            .browse(
                {
                    policy.id
                    for state, policy in states
                    if policy and sla_restarts(state, rules[policy.id], regrade)
                }
            )
            ._sla_starting(now)
        )
        plans = [
            plan_cadence(
                state,
                rules[policy.id] if policy else None,
                regrade=regrade,
                today=now.date(),
                new_sla=new_slas.get(policy.id) if policy else None,
                due_of=policy._due_date if policy else None,
            )
            for state, policy in states
        ]
        old_activities = {
            row["activity_id"]: (row["activity_user_id"], row["activity_due"])
            for row in rows
            if row["activity_id"]
        }
        self._cadence_apply(plans, old_activities, now.date())

    def _cadence_apply(self, plans, old_activities, today, column="funnel_cadence"):
        """Write the planner's plans (see ``_cadence_sync``). ``column``: the activities'
        kind column, ``funnel_cadence`` (follow-ups) or ``funnel_care`` (post-sale care,
        crm_lead_care_cadence.py): one open activity per lead of each."""
        self._cadence_write_leads([plan for plan in plans if plan.lead_values])
        to_unlink = [plan.unlink_activity_id for plan in plans if plan.unlink_activity_id]
        if to_unlink:
            # sudo: the engine removes the cadence activities it owns, whoever triggers it
            self.env["mail.activity"].sudo().browse(to_unlink).unlink()
            self._cadence_invalidate()
        moves = [plan.move_activity for plan in plans if plan.move_activity]
        creates = [(plan.lead_id, plan.create_activity) for plan in plans if plan.create_activity]
        self._cadence_move_activities(moves, column)
        self._cadence_create_activities(creates, column)
        # the bus notification the ORM sends for the assignees' "to do" counters
        count_diff = defaultdict(int)
        for activity_id, activity in moves:
            old_user, old_due = old_activities[activity_id]
            due = activity.due or old_due
            count_diff[old_user] -= old_due <= today
            count_diff[activity.user_id] += due <= today
        for _lead_id, activity in creates:
            count_diff[activity.user_id] += activity.due <= today
        self._cadence_notify_counters(count_diff)

    def _cadence_notify_counters(self, count_diff):
        """``{user id: change of their activities to do}``: one notification per user."""
        users = self.env["res.users"].browse(
            uid for uid, diff in count_diff.items() if uid and diff
        )
        for user in users:
            diff = count_diff[user.id]
            key = "activity_created" if diff > 0 else "activity_deleted"
            user._bus_send("mail.activity/updated", {key: True, "count_diff": diff})

    @api.model
    def _funnel_insert_activities(self, pairs, type_id, now):
        """``{(lead id, user id)}``: one automated activity of ``type_id`` each, due
        today, in one statement (none when the user already has one of that type open
        on the lead); the assignees' counters notified once per user. Used by the
        objection and escalation sweeps."""
        if not pairs or not type_id:
            return
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mail_activity (
                    res_model_id, res_model, res_id, res_name, activity_type_id, summary,
                    date_deadline, user_id, user_tz, automated, active,
                    create_uid, create_date, write_uid, write_date)
                SELECT %(model_id)s, 'crm.lead', v.lead_id, lead.name, atype.id,
                       COALESCE(atype.summary->>partner.lang, atype.summary->>'en_US'),
                       %(today)s, v.user_id, partner.tz, TRUE, TRUE,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(leads)s::int[], %(users)s::int[]) AS v(lead_id, user_id)
                  JOIN crm_lead lead ON lead.id = v.lead_id
                  JOIN res_users usr ON usr.id = v.user_id AND usr.active
                  JOIN res_partner partner ON partner.id = usr.partner_id
                  JOIN mail_activity_type atype ON atype.id = %(type_id)s
                 WHERE NOT EXISTS (
                        SELECT 1 FROM mail_activity act
                         WHERE act.res_model = 'crm.lead' AND act.res_id = v.lead_id
                           AND act.user_id = v.user_id AND act.activity_type_id = atype.id
                           AND act.active)
             RETURNING user_id
                """,
                model_id=self.env["ir.model"]._get_id("crm.lead"),
                leads=[lead_id for lead_id, _user_id in pairs],
                users=[user_id for _lead_id, user_id in pairs],
                type_id=type_id,
                today=now.date(),
                uid=self.env.uid,
                now=now,
            )
        )
        count_diff = {}
        for (user_id,) in self.env.cr.fetchall():
            count_diff[user_id] = count_diff.get(user_id, 0) + 1
        self.env["mail.activity"].invalidate_model()
        self.invalidate_model(["activity_ids"])
        # the bus notification the ORM sends for the assignees' "to do" counters
        self._cadence_notify_counters(count_diff)

    def _cadence_invalidate(self):
        self.env["mail.activity"].invalidate_model()
        self.invalidate_model(
            ["activity_ids", "cadence_activity_id", "cadence_deadline", "cadence_overdue"]
        )

    def _cadence_write_leads(self, plans):
        """The SLA fields of the leads whose plan changes them, in one UPDATE."""
        if not plans:
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_lead lead
                   SET is_nurture = v.is_nurture, sla_deadline = v.sla_deadline,
                       sla_met_date = v.sla_met_date, sla_state = v.sla_state
                  FROM unnest(%(ids)s::int[], %(nurture)s::bool[], %(deadline)s::timestamp[],
                              %(met)s::timestamp[], %(state)s::varchar[])
                       AS v(id, is_nurture, sla_deadline, sla_met_date, sla_state)
                 WHERE lead.id = v.id
                """,
                ids=[plan.lead_id for plan in plans],
                nurture=[plan.lead_values["is_nurture"] for plan in plans],
                deadline=[plan.lead_values["sla_deadline"] for plan in plans],
                met=[plan.lead_values["sla_met_date"] for plan in plans],
                state=[plan.lead_values["sla_state"] for plan in plans],
            )
        )
        self.invalidate_model(["is_nurture", "sla_deadline", "sla_met_date", "sla_state"])

    def _cadence_move_activities(self, moves, column="funnel_cadence"):
        """``[(activity id, Activity)]``: reassign / retype / reschedule, one statement."""
        if not moves:
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE mail_activity act
                   SET user_id = v.user_id,
                       user_tz = partner.tz,
                       %(column)s = v.kind,
                       activity_type_id = COALESCE(v.type_id, act.activity_type_id),
                       date_deadline = COALESCE(v.date_deadline, act.date_deadline),
                       summary = CASE WHEN v.type_id IS NULL THEN act.summary
                                      ELSE COALESCE(atype.summary->>partner.lang,
                                                    atype.summary->>'en_US') END,
                       write_uid = %(uid)s,
                       write_date = (now() AT TIME ZONE 'UTC')
                  FROM unnest(%(ids)s::int[], %(users)s::int[], %(kinds)s::varchar[],
                              %(types)s::int[], %(dates)s::date[])
                       AS v(id, user_id, kind, type_id, date_deadline)
                  JOIN res_users usr ON usr.id = v.user_id
                  JOIN res_partner partner ON partner.id = usr.partner_id
             LEFT JOIN mail_activity_type atype ON atype.id = v.type_id
                 WHERE act.id = v.id
                """,
                ids=[activity_id for activity_id, _activity in moves],
                users=[activity.user_id for _id, activity in moves],
                kinds=[activity.kind for _id, activity in moves],
                types=[activity.type_id for _id, activity in moves],
                dates=[activity.due for _id, activity in moves],
                uid=self.env.uid,
                column=SQL.identifier(column),
            )
        )
        self._cadence_invalidate()

    def _cadence_create_activities(self, creates, column="funnel_cadence"):
        """``[(lead id, Activity)]``: the leads' open cadence activities, one statement."""
        if not creates:
            return
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mail_activity (
                    res_model_id, res_model, res_id, res_name, activity_type_id, summary,
                    date_deadline, user_id, user_tz, automated, active, %(column)s,
                    create_uid, create_date, write_uid, write_date)
                SELECT %(model_id)s, 'crm.lead', v.lead_id, lead.name, v.type_id,
                       -- the type's default summary, as activity_schedule() sets it (in the
                       -- assignee's language): the chatter and kanban name the activity by it
                       COALESCE(atype.summary->>partner.lang, atype.summary->>'en_US'),
                       v.date_deadline, v.user_id,
                       partner.tz, TRUE, TRUE, v.kind,
                       %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                  FROM unnest(%(leads)s::int[], %(users)s::int[], %(kinds)s::varchar[],
                              %(types)s::int[], %(dates)s::date[])
                       AS v(lead_id, user_id, kind, type_id, date_deadline)
                  JOIN crm_lead lead ON lead.id = v.lead_id
                  JOIN res_users usr ON usr.id = v.user_id
                  JOIN res_partner partner ON partner.id = usr.partner_id
             LEFT JOIN mail_activity_type atype ON atype.id = v.type_id
                    ON CONFLICT (res_model, res_id)
                       WHERE %(column)s IS NOT NULL AND active DO NOTHING
                """,
                model_id=self.env["ir.model"]._get_id("crm.lead"),
                leads=[lead_id for lead_id, _activity in creates],
                users=[activity.user_id for _id, activity in creates],
                kinds=[activity.kind for _id, activity in creates],
                types=[activity.type_id for _id, activity in creates],
                dates=[activity.due for _id, activity in creates],
                uid=self.env.uid,
                column=SQL.identifier(column),
            )
        )
        self._cadence_invalidate()

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_sync_cadence(self, batch_size=CADENCE_BATCH, commit=True):
        """Daily: mark SLA breaches, then give every eligible lead its open cadence activity.

        Batches of ``batch_size`` leads locked ``FOR UPDATE SKIP LOCKED`` (two workers
        share the work instead of duplicating it), progress committed after each batch
        with ``ir.cron._commit_progress`` (a crash loses at most the running batch; the
        next run resumes), idempotent (a lead with an open cadence activity is never
        selected again). ``commit=False`` (benchmarks) runs everything in the caller's
        transaction. Returns the number of leads processed.
        """
        cr = self.env.cr
        self.env.flush_all()
        try:
            self._cadence_mark_breaches()
        except psycopg2.errors.SerializationFailure:
            if not commit:
                raise
            # another worker is marking the same breaches right now: leave them to it
            # (nothing else was done yet in this transaction)
            cr.rollback()
            self.env.invalidate_all()
        todo_query = SQL(
            """
            FROM crm_lead lead
       LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
           WHERE lead.active AND lead.user_id IS NOT NULL
             AND lead.bndu_grade IN ('a', 'b', 'c')
             AND NOT COALESCE(stage.is_won, FALSE)
             AND (SELECT act.id FROM mail_activity act
                   WHERE act.res_model = 'crm.lead' AND act.res_id = lead.id
                     AND act.funnel_cadence IS NOT NULL AND act.active
                   LIMIT 1) IS NULL
            """
        )
        # The open-cadence probe is a correlated LIMIT 1 sub-query on purpose: one index
        # lookup per lead (mail_activity_funnel_cadence_unique) whatever the statistics.
        # As NOT EXISTS, stale statistics (many leads just graded, say "1 row") made the
        # planner scan every cadence activity per lead: minutes instead of a second.
        return self._cadence_run_batches(
            todo_query, lambda leads: leads._cadence_sync(), batch_size, commit
        )

    @api.model
    def _cadence_run_batches(self, todo_query, sync, batch_size, commit):
        """Run ``sync(leads)`` on the leads of ``todo_query`` (``FROM crm_lead lead ...
        WHERE ...``, a lead leaves it once synced) by batches of ``batch_size`` locked
        ``FOR UPDATE SKIP LOCKED`` (two workers share the work instead of duplicating
        it), progress committed after each batch with ``ir.cron._commit_progress`` (a
        crash loses at most the running batch; the next run resumes). ``commit=False``
        (benchmarks) runs everything in the caller's transaction. Returns the number of
        leads processed."""
        cr = self.env.cr
        cr.execute(SQL("SELECT COUNT(*) %s", todo_query))
        remaining = cr.fetchone()[0]
        if commit:
            self.env["ir.cron"]._commit_progress(remaining=remaining)
        processed_total = last_id = retries = 0
        while remaining:
            try:
                cr.execute(
                    SQL(
                        "SELECT lead.id %s AND lead.id > %s ORDER BY lead.id LIMIT %s "
                        "FOR UPDATE OF lead SKIP LOCKED",
                        todo_query,
                        last_id,
                        batch_size,
                    ),
                    # a serialization failure is expected here and retried below: not an
                    # error for the log
                    log_exceptions=False,
                )
                ids = [row[0] for row in cr.fetchall()]
                if not ids:
                    break
                sync(self.browse(ids))
            except psycopg2.errors.SerializationFailure:
                # another worker committed these leads after our snapshot: start over
                # with a fresh snapshot (nothing of this batch was kept)
                retries += 1
                if retries > 5 or not commit:
                    raise
                cr.rollback()
                self.env.invalidate_all()
                continue
            last_id = ids[-1]
            processed_total += len(ids)
            remaining = max(remaining - len(ids), 0)
            if commit:
                time_left = self.env["ir.cron"]._commit_progress(len(ids), remaining=remaining)
                if not time_left:
                    break
            self.env.invalidate_all()
        return processed_total

    @api.model
    def _cadence_mark_breaches(self):
        """Pending first-contact SLAs past their deadline become breached (set-based)."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_lead SET sla_state = 'breached'
                 WHERE id IN (SELECT id FROM crm_lead
                               WHERE sla_state = 'pending' AND sla_deadline < %(now)s
                                 AND active
                                 FOR UPDATE SKIP LOCKED)
                """,
                now=fields.Datetime.now(),
            ),
            log_exceptions=False,  # a serialization failure is handled by the caller
        )
        self.invalidate_model(["sla_state"])
