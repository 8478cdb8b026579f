import logging
from datetime import datetime, time, timedelta

import psycopg2.errors
import pytz

from odoo import _, api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

CADENCE_BATCH = 1000
SLA_STATES = [("pending", "Pending"), ("met", "Met"), ("breached", "Breached")]


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
            lead.sla_breached = lead.sla_state == "breached" or (
                lead.sla_state == "pending" and lead.sla_deadline and lead.sla_deadline < now
            )

    def _search_sla_breached(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        domain = [
            "|",
            ("sla_state", "=", "breached"),
            "&",
            ("sla_state", "=", "pending"),
            ("sla_deadline", "<", fields.Datetime.now()),
        ]
        return domain if (operator == "=") == bool(value) else ["!", *domain]

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

        - leads not eligible (archived/lost, won, without salesperson, not graded):
          their open cadence activity is removed, no new one;
        - eligible leads get exactly one open cadence activity (created or moved), for
          the salesperson of the lead; nurture-pool grades get a re-evaluation, others
          a first contact (SLA) until it is met, then recurring follow-ups;
        - ``regrade``: the grade just changed, the activity is moved at once to the new
          grade's deadline (a pending SLA restarts under the new grade's rule).

        A fixed number of queries whatever the number of leads (no chatter, no
        notification); concurrent runs are safe thanks to the partial unique index on
        open cadence activities (``INSERT ... ON CONFLICT DO NOTHING``).
        """
        if not self.ids:
            return
        self.env.flush_all()
        cr = self.env.cr
        now = fields.Datetime.now().replace(microsecond=0)
        cr.execute(
            SQL(
                """
                SELECT lead.id, COALESCE(lead.company_id, %(default_company)s), lead.user_id,
                       lead.bndu_grade,
                       lead.active AND lead.user_id IS NOT NULL
                           AND lead.bndu_grade IN ('a', 'b', 'c')
                           AND NOT COALESCE(stage.is_won, FALSE),
                       lead.is_nurture, lead.sla_deadline, lead.sla_met_date, lead.sla_state,
                       act.id, act.funnel_cadence, act.user_id
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
        rows = cr.fetchall()
        policies = self.env["crm.grade.policy"]._policies_by_company({row[1] for row in rows})

        def restarts(row, policy):
            """A new first-contact SLA starts (or a pending one restarts on re-grade)."""
            _id, _company, _user, _grade, eligible, is_nurture, _dl, sla_met, sla_state = row[:9]
            return (
                eligible
                and not policy.nurture
                and (
                    is_nurture
                    or (not sla_state and not sla_met)
                    or (regrade and sla_state == "pending")
                )
            )

        # calendars are read only for the rules that start an SLA now
        sla_deadlines = self._cadence_sla_deadlines(
            now,
            {
                policy
                for row in rows
                if (policy := policies.get((row[1], row[3]))) and restarts(row, policy)
            },
        )
        today = now.date()

        lead_updates = []  # (id, is_nurture, sla_deadline, sla_met_date, sla_state)
        to_unlink = []
        to_move = []  # (activity_id, user_id, kind, type_id, date)
        to_create = []  # (lead_id, user_id, kind, type_id, date)
        for row in rows:
            (
                lead_id,
                company_id,
                user_id,
                grade,
                eligible,
                is_nurture,
                sla_deadline,
                sla_met,
                sla_state,
                act_id,
                act_kind,
                act_user,
            ) = row
            policy = policies.get((company_id, grade))
            new = {
                "is_nurture": bool(is_nurture),
                "sla_deadline": sla_deadline,
                "sla_met_date": sla_met,
                "sla_state": sla_state,
            }
            if not eligible or not policy:
                if act_id:
                    to_unlink.append(act_id)
                new["is_nurture"] = False
                if sla_state == "pending":
                    new.update(sla_deadline=None, sla_state=None)
            elif policy.nurture:
                new["is_nurture"] = True
                if sla_state == "pending":
                    new.update(sla_deadline=None, sla_state=None)
                kind, type_id = "nurture", policy.activity_type_id.id
                date = today + timedelta(days=policy.interval_days)
            else:
                new["is_nurture"] = False
                restarted = restarts(row, policy)
                if restarted:
                    deadline = sla_deadlines[policy.id]
                    new.update(sla_deadline=deadline[0], sla_met_date=None, sla_state="pending")
                if not new["sla_met_date"]:
                    kind, type_id = "first_contact", policy.first_contact_type_id.id
                    if restarted:
                        date = sla_deadlines[policy.id][1]
                    elif sla_deadline:
                        date = self._cadence_local_date(sla_deadline, policy)
                    else:
                        date = today
                else:
                    kind, type_id = "followup", policy.activity_type_id.id
                    date = today + timedelta(days=policy.interval_days)
            if eligible and policy:
                if not act_id:
                    to_create.append((lead_id, user_id, kind, type_id, date))
                elif regrade or act_kind != kind or act_user != user_id:
                    if not regrade and act_kind == kind:
                        # re-assigned only: keep the deadline
                        to_move.append((act_id, user_id, kind, None, None))
                    else:
                        to_move.append((act_id, user_id, kind, type_id, date))
            old = (bool(is_nurture), sla_deadline, sla_met, sla_state)
            if tuple(new.values()) != old:
                lead_updates.append((lead_id, *new.values()))

        self._cadence_write_leads(lead_updates)
        if to_unlink:
            # sudo: the engine removes the cadence activities it owns, whoever triggers it
            self.env["mail.activity"].sudo().browse(to_unlink).unlink()
            self._cadence_invalidate()
        self._cadence_move_activities(to_move)
        self._cadence_create_activities(to_create)

    @api.model
    def _cadence_local_date(self, deadline, policy):
        """Due date of an activity whose SLA deadline is ``deadline`` (UTC)."""
        calendar = policy.company_id.resource_calendar_id
        tz = pytz.timezone(calendar.tz or "UTC") if calendar else pytz.utc
        return pytz.utc.localize(deadline).astimezone(tz).date()

    @api.model
    def _cadence_sla_deadlines(self, now, policies):
        """{policy.id: (sla_deadline UTC naive, due date)} for a lead graded at ``now``.

        Hours: ``now`` + delay. Working days: the n-th working day after the grading
        day on the company's working calendar (public holidays, i.e. global leaves,
        excluded), due at the end of that day's working hours. One calendar query per
        calendar. A company without calendar works Monday to Friday, due at 23:59:59 UTC.
        """
        result = {}
        by_calendar = {}
        for policy in policies:
            if policy.first_contact_unit == "hours":
                deadline = now + timedelta(hours=policy.first_contact_delay)
                result[policy.id] = (deadline, self._cadence_local_date(deadline, policy))
            else:
                calendar = policy.company_id.resource_calendar_id
                by_calendar.setdefault(calendar, []).append(policy)
        for calendar, cal_policies in by_calendar.items():
            max_days = max(policy.first_contact_delay for policy in cal_policies)
            if not calendar:
                _logger.info(
                    "Companies %s have no working calendar: first-contact working days "
                    "count Monday to Friday.",
                    ", ".join({policy.company_id.name for policy in cal_policies}),
                )
                days, day = [], now.date()
                while len(days) < max_days:
                    day += timedelta(days=1)
                    if day.weekday() < 5:
                        days.append((day, datetime.combine(day, time(23, 59, 59))))
            else:
                days = self._cadence_working_days(calendar, now, max_days)
            for policy in cal_policies:
                day, end = days[min(policy.first_contact_delay, len(days)) - 1]
                result[policy.id] = (end, day)
        return result

    @api.model
    def _cadence_working_days(self, calendar, now, count):
        """The ``count`` first working days after ``now``'s day: [(date, end UTC naive)]."""
        tz = pytz.timezone(calendar.tz or "UTC")
        local_now = pytz.utc.localize(now).astimezone(tz)
        start = tz.localize(datetime.combine(local_now.date() + timedelta(days=1), time.min))
        span = count * 2 + 14
        days = {}
        while True:
            end = start + timedelta(days=span)
            intervals = calendar._work_intervals_batch(start, end, tz=tz)[False]
            for _start, stop, _meta in intervals:
                day = stop.astimezone(tz).date()
                days[day] = max(days.get(day, stop), stop)
            if len(days) >= count or span > 366:
                break
            span *= 2
        ordered = sorted(days.items())[:count]
        if not ordered:
            # a calendar without any attendance: fall back to calendar days
            return [
                (day, datetime.combine(day, time(23, 59, 59)))
                for day in (local_now.date() + timedelta(days=i + 1) for i in range(count))
            ]
        return [
            (day, stop.astimezone(pytz.utc).replace(tzinfo=None, microsecond=0))
            for day, stop in ordered
        ]

    def _cadence_invalidate(self):
        self.env["mail.activity"].invalidate_model()
        self.invalidate_model(
            ["activity_ids", "cadence_activity_id", "cadence_deadline", "cadence_overdue"]
        )

    def _cadence_write_leads(self, updates):
        if not updates:
            return
        ids, nurture, deadline, met, state = (list(col) for col in zip(*updates, strict=True))
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
                ids=ids,
                nurture=nurture,
                deadline=deadline,
                met=met,
                state=state,
            )
        )
        self.invalidate_model(["is_nurture", "sla_deadline", "sla_met_date", "sla_state"])

    def _cadence_move_activities(self, moves):
        if not moves:
            return
        act_ids, users, kinds, types, dates = (list(col) for col in zip(*moves, strict=True))
        self.env.cr.execute(
            SQL(
                """
                UPDATE mail_activity act
                   SET user_id = v.user_id,
                       user_tz = partner.tz,
                       funnel_cadence = v.kind,
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
                ids=act_ids,
                users=users,
                kinds=kinds,
                types=types,
                dates=dates,
                uid=self.env.uid,
            )
        )
        self._cadence_invalidate()

    def _cadence_create_activities(self, creates):
        if not creates:
            return
        lead_ids, users, kinds, types, dates = (list(col) for col in zip(*creates, strict=True))
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mail_activity (
                    res_model_id, res_model, res_id, res_name, activity_type_id, summary,
                    date_deadline, user_id, user_tz, automated, active, funnel_cadence,
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
                       WHERE funnel_cadence IS NOT NULL AND active DO NOTHING
                """,
                model_id=self.env["ir.model"]._get_id("crm.lead"),
                leads=lead_ids,
                users=users,
                kinds=kinds,
                types=types,
                dates=dates,
                uid=self.env.uid,
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
                    )
                )
                ids = [row[0] for row in cr.fetchall()]
                if not ids:
                    break
                self.browse(ids)._cadence_sync()
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
            )
        )
        self.invalidate_model(["sla_state"])
