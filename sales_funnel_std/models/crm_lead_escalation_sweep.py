from collections import defaultdict

import psycopg2.errors

from odoo import api, fields, models
from odoo.tools import SQL

from .crm_lead_escalation import ESCALATION_LEVELS
from .crm_lead_escalations import ESCALATION_FIELDS, level_rank_sql

ESCALATION_BATCH = 2000
DIGEST_MAX_LINES = 100  # a digest lists this many leads, then "and N more"
CUTOFF_COLUMNS = ("sequence", "grade", "trigger", "all_stages", "remind", "notify", "reassign")


class CrmLead(models.Model):
    """The hourly escalation sweep (the lead's escalation state and its clock:
    ``crm_lead_escalations.py``; the rules: ``crm_escalation_rule.py``)."""

    _inherit = "crm.lead"

    # ------------------------------------------------------------
    # CRON: the hourly escalation sweep (set-based)
    # ------------------------------------------------------------

    @api.model
    def _cron_escalation_sweep(self, batch_size=ESCALATION_BATCH, commit=True):
        """Hourly: take the escalation steps due on the open leads of adopted teams.

        Clocks restarted by a touch are reset first. Then, for every rule's company,
        the cut-off timestamps (now minus X / Y / Z working hours of the company's
        calendar, ``crm.escalation.rule._escalation_cutoffs``) turn "how many working
        hours since the clock started" into plain timestamp comparisons, so the due
        step of every lead comes from one query (``_escalation_due``). The due leads
        are then processed by batches locked ``FOR UPDATE SKIP LOCKED`` and committed
        with ``_commit_progress``: two workers never take the same step twice (a lead
        another worker escalated since this one's snapshot is a serialization failure:
        the due list is read again). Each recipient gets one digest e-mail per sweep.
        ``commit=False`` (tests, benchmarks) runs in the caller's transaction. Returns
        the number of leads escalated.
        """
        cr = self.env.cr
        self.env.flush_all()
        self._escalation_reset(all_leads=True)
        rules = self.env["crm.escalation.rule"].search([])
        teams, companies, main_company = self.env["crm.team"]._funnel_adoption()
        if not rules or not (teams or companies):
            return 0
        now = fields.Datetime.now().replace(microsecond=0)
        cutoffs = rules._escalation_cutoffs(
            now, self.env["res.company"].with_context(active_test=False).search([])
        )

        def read_due():
            return self._escalation_due(cutoffs, teams, companies, main_company)

        due = read_due()
        if commit:
            self.env["ir.cron"]._commit_progress(remaining=len(due))
        digest = defaultdict(list)
        done = start = retries = 0
        while start < len(due):
            batch = due[start : start + batch_size]
            try:
                cr.execute(
                    SQL(
                        """
                        SELECT id FROM crm_lead WHERE id = ANY(%s)
                           FOR NO KEY UPDATE SKIP LOCKED
                        """,
                        [row["id"] for row in batch],
                    ),
                    log_exceptions=False,  # a serialization failure is retried below
                )
                locked = {lead_id for (lead_id,) in cr.fetchall()}
                steps = [row for row in batch if row["id"] in locked]
                taken, lines = self._escalation_take_steps(steps, now)
                for recipient_id, line in lines:
                    digest[recipient_id].append(line)
            except psycopg2.errors.SerializationFailure:
                # another worker escalated some of these leads after our snapshot:
                # read what is still due with a fresh snapshot (this batch was not kept)
                retries += 1
                if retries > 5 or not commit:
                    raise
                cr.rollback()
                self.env.invalidate_all()
                due, start = read_due(), 0
                continue
            start += batch_size
            done += taken
            if commit:
                left = len(due) - start
                if not self.env["ir.cron"]._commit_progress(len(steps), remaining=max(left, 0)):
                    break
        self._escalation_send_digests(digest)
        return done

    @api.model
    def _escalation_due(self, cutoffs, teams, companies, main_company):
        """The steps due now: ``[{id, level (rank), rule_id, user_id, team_id,
        company_id}]`` for the open, assigned leads of adopted teams whose due step is
        beyond their current one. Every applicable rule is evaluated, the most
        advanced step wins (then the rule's sequence). One query; the last touch is
        computed only for leads whose stage date is before the latest cut-off (the
        clock never starts before it)."""
        if not cutoffs:
            return []
        cut = SQL(
            """unnest(%(rule)s::int[], %(company)s::int[], %(sequence)s::int[],
                      %(grade)s::varchar[], %(trigger)s::varchar[], %(all_stages)s::bool[],
                      %(remind)s::timestamp[], %(notify)s::timestamp[],
                      %(reassign)s::timestamp[])
                AS cut(rule_id, company_id, sequence, grade, trigger, all_stages,
                       remind, notify, reassign)""",
            rule=[row["rule_id"] for row in cutoffs],
            company=[row["company_id"] for row in cutoffs],
            **{key: [row[key] for row in cutoffs] for key in CUTOFF_COLUMNS},
        )
        # the estimated cost (a sub-query per lead) makes PostgreSQL JIT-compile this
        # query: seconds of compilation for a query that runs in less; off for this
        # transaction only
        self.env.cr.execute("SET LOCAL jit = off")
        self.env.cr.execute(
            SQL(
                """
                WITH cut AS (SELECT * FROM %(cut)s),
                open AS MATERIALIZED (
                    SELECT lead.id, lead.user_id, lead.team_id, lead.company_id,
                           COALESCE(lead.company_id, %(main)s) AS rule_company_id,
                           lead.bndu_grade, lead.stage_id, lead.sla_state, lead.sla_deadline,
                           lead.date_last_stage_update, stage.rotting_threshold_days,
                           (SELECT COALESCE(MAX(%(rank)s), 0) FROM crm_lead_escalation log
                             WHERE log.lead_id = lead.id AND log.is_current) AS rank,
                           %(touch)s AS touch
                      FROM crm_lead lead
                 LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                     WHERE lead.active AND lead.user_id IS NOT NULL
                       AND NOT COALESCE(stage.is_won, FALSE)
                       AND (lead.team_id = ANY(%(teams)s)
                            OR (lead.team_id IS NULL
                                AND COALESCE(lead.company_id, %(main)s) = ANY(%(companies)s)))
                       AND COALESCE(lead.date_last_stage_update, lead.create_date)
                           <= (SELECT MAX(remind) FROM cut)
                ), scored AS (
                    SELECT open.id, open.user_id, open.team_id, open.company_id,
                           open.rank, cut.rule_id, cut.sequence,
                           CASE WHEN clock.start <= cut.reassign THEN 3
                                WHEN clock.start <= cut.notify THEN 2
                                WHEN clock.start <= cut.remind THEN 1
                                ELSE 0 END AS level
                      FROM open
                      JOIN cut ON cut.company_id = open.rule_company_id
                CROSS JOIN LATERAL (
                           SELECT GREATEST(
                               open.touch,
                               CASE cut.trigger
                                   WHEN 'first_contact' THEN open.sla_deadline
                                   WHEN 'stage_limit' THEN open.date_last_stage_update
                                       + make_interval(days => open.rotting_threshold_days)
                               END) AS start
                           ) clock
                     WHERE (cut.grade IS NULL OR cut.grade = open.bndu_grade)
                       AND (cut.all_stages OR EXISTS (
                                SELECT 1 FROM crm_escalation_rule_stage_rel rel
                                 WHERE rel.rule_id = cut.rule_id
                                   AND rel.stage_id = open.stage_id))
                       AND (cut.trigger != 'first_contact'
                            OR (open.sla_state IN ('pending', 'breached')
                                AND open.sla_deadline IS NOT NULL))
                       AND (cut.trigger != 'stage_limit'
                            OR COALESCE(open.rotting_threshold_days, 0) > 0)
                )
                SELECT DISTINCT ON (id) id, level, rule_id, user_id, team_id, company_id
                  FROM scored
                 WHERE level > rank
              ORDER BY id, level DESC, sequence, rule_id
                """,
                cut=cut,
                main=main_company,
                teams=list(teams),
                companies=list(companies),
                rank=level_rank_sql(SQL("log.level")),
                touch=self._escalation_touch_sql(),
            )
        )
        return self.env.cr.dictfetchall()

    def _escalation_take_steps(self, steps, now):
        """Take the due ``steps`` (rows of ``_escalation_due``, leads locked by the
        caller): the log, the activities (one statement each) and the reassignments
        (ORM, by new salesperson). Returns the number of steps taken and ``[(recipient
        id, digest line)]`` for the e-mails."""
        if not steps:
            return 0, []
        leaders = self._escalation_leaders({row["team_id"] for row in steps if row["team_id"]})
        levels = [level for level, _label in ESCALATION_LEVELS]
        rules = self.env["crm.escalation.rule"].browse({row["rule_id"] for row in steps})
        taken, reminders, notices, to_leader, to_pool = [], set(), set(), defaultdict(list), []
        for row in steps:
            lead_id, user_id, rule_id = row["id"], row["user_id"], row["rule_id"]
            level = levels[row["level"] - 1]
            leader_id = leaders.get(row["team_id"])
            recipient = user_id
            if level == "notify":
                recipient = leader_id
                if leader_id:
                    notices.add((lead_id, leader_id))
            elif level == "reassign":
                rule = rules.browse(rule_id)
                if rule.reassign_to == "leader" and leader_id and leader_id != user_id:
                    recipient = leader_id
                    to_leader[leader_id].append(lead_id)
                elif rule.reassign_to == "pool" or not leader_id:
                    recipient = None
                    to_pool.append(lead_id)
            else:
                reminders.add((lead_id, user_id))
            taken.append(
                (lead_id, level, rule_id, recipient, user_id, row["team_id"], row["company_id"])
            )
        # a step already taken (another worker committed it since our snapshot) is
        # a unique-index conflict: a serialization failure under REPEATABLE READ,
        # the caller reads what is still due again
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_lead_escalation (
                    lead_id, level, rule_id, user_id, salesperson_id, team_id, company_id,
                    date, is_current, create_uid, create_date, write_uid, write_date)
                SELECT step.*, %(now)s, TRUE, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(leads)s::int[], %(levels)s::varchar[], %(rules)s::int[],
                              %(recipients)s::int[], %(users)s::int[], %(teams)s::int[],
                              %(companies)s::int[]) AS step
                    ON CONFLICT (lead_id, level) WHERE is_current DO NOTHING
                RETURNING lead_id
                """,
                **{
                    key: [step[index] for step in taken]
                    for index, key in enumerate(
                        ("leads", "levels", "rules", "recipients", "users", "teams", "companies")
                    )
                },
                now=now,
                uid=self.env.uid,
            )
        )
        inserted = {lead_id for (lead_id,) in self.env.cr.fetchall()}
        taken = [step for step in taken if step[0] in inserted]
        reminders = {pair for pair in reminders if pair[0] in inserted}
        notices = {pair for pair in notices if pair[0] in inserted}
        to_leader = {
            leader: [lead_id for lead_id in lead_ids if lead_id in inserted]
            for leader, lead_ids in to_leader.items()
        }
        to_pool = [lead_id for lead_id in to_pool if lead_id in inserted]
        self.invalidate_model(ESCALATION_FIELDS)
        self.env["crm.lead.escalation"].invalidate_model()
        ref = self.env["ir.model.data"]._xmlid_to_res_id
        self._funnel_insert_activities(
            reminders, ref("sales_funnel_std.mail_activity_type_escalation_remind"), now
        )
        self._funnel_insert_activities(
            notices, ref("sales_funnel_std.mail_activity_type_escalation_notify"), now
        )
        for leader_id, lead_ids in to_leader.items():
            if lead_ids:
                self.browse(lead_ids).write({"user_id": leader_id})
        if to_pool:
            self.browse(to_pool).write({"user_id": False})
        digest_rows = []
        for lead_id, level, rule_id, recipient, user_id, _team, _company in taken:
            if level != "remind" and recipient:
                digest_rows.append(
                    (
                        recipient,
                        {
                            "lead_id": lead_id,
                            "level": level,
                            "rule_id": rule_id,
                            "salesperson_id": user_id,
                        },
                    )
                )
        return len(taken), digest_rows

    @api.model
    def _escalation_leaders(self, team_ids):
        """``{team id: leader id}`` of these teams (active leaders only)."""
        if not team_ids:
            return {}
        self.env.cr.execute(
            SQL(
                """SELECT team.id, team.user_id FROM crm_team team
                     JOIN res_users usr ON usr.id = team.user_id AND usr.active
                    WHERE team.id = ANY(%s)""",
                list(team_ids),
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _escalation_send_digests(self, digest):
        """One e-mail per recipient, from the template of the recipient's first rule,
        listing the leads escalated to them in this sweep (the first
        ``DIGEST_MAX_LINES``, then how many more), queued for the mail queue, in the
        recipient's language."""
        if not digest:
            return
        Users = self.env["res.users"]
        Rule = self.env["crm.escalation.rule"]
        base_url = self.get_base_url()
        for recipient_id, rows in digest.items():
            user = Users.browse(recipient_id)
            template = Rule.browse(rows[0]["rule_id"]).mail_template_id or self.env.ref(
                "sales_funnel_std.mail_template_escalation_digest", raise_if_not_found=False
            )
            if not template or not user.partner_id.email:
                continue
            lang = user.lang or "en_US"
            shown = rows[:DIGEST_MAX_LINES]
            leads = self.with_context(lang=lang).browse([row["lead_id"] for row in shown])
            rules = Rule.with_context(lang=lang).browse([row["rule_id"] for row in shown])
            salespeople = Users.browse([row["salesperson_id"] for row in shown])
            steps = dict(self._fields["escalation_level"]._description_selection(leads.env))
            lines = [
                {
                    "name": lead.name,
                    "url": f"{base_url}/mail/view?model=crm.lead&res_id={lead.id}",
                    "stage": lead.stage_id.name or "",
                    "salesperson": salesperson.name or "",
                    "rule": rule.name or "",
                    "step": steps[row["level"]],
                }
                for row, lead, rule, salesperson in zip(
                    shown, leads, rules, salespeople, strict=True
                )
            ]
            template.with_context(
                escalation_lines=lines,
                escalation_count=len(rows),
                escalation_more=len(rows) - len(shown),
            ).send_mail(recipient_id, email_layout_xmlid="mail.mail_notification_light")
