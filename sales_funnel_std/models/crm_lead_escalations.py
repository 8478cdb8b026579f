from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from .crm_lead_escalation import ESCALATION_LEVELS

ESCALATION_BATCH = 2000
CUTOFF_COLUMNS = ("sequence", "grade", "trigger", "all_stages", "remind", "notify", "reassign")


def level_rank_sql(column):
    """SQL rank (0: not escalated, 1: reminded, 2: notified, 3: reassigned) of a level
    column."""
    return SQL(
        "CASE %s WHEN 'remind' THEN 1 WHEN 'notify' THEN 2 WHEN 'reassign' THEN 3 ELSE 0 END",
        column,
    )


class CrmLead(models.Model):
    _inherit = "crm.lead"

    escalation_level = fields.Selection(
        ESCALATION_LEVELS,
        "Escalation",
        readonly=True,
        copy=False,
        index=True,
        help="The last escalation step taken since the lead's last touch (follow-up, "
        "stage move or logged message); empty when not escalated.",
    )
    escalation_date = fields.Datetime("Escalated On", readonly=True, copy=False)
    escalation_rule_id = fields.Many2one(
        "crm.escalation.rule", readonly=True, copy=False, ondelete="set null"
    )
    escalation_ids = fields.One2many("crm.lead.escalation", "lead_id", "Escalation Log")

    # ------------------------------------------------------------
    # BUSINESS: the clock restarts on a touch
    # ------------------------------------------------------------

    def _escalation_touched(self):
        """Write pipeline, step 7 (stage move) and follow-up logging: the escalated
        leads among these start a new clock at once (the sweep also resets leads touched
        by a logged message). No query for leads that are not escalated."""
        escalated = self.filtered("escalation_level")
        if escalated:
            escalated._escalation_reset(force=True)

    def _escalation_reset(self, force=False):
        """Close the escalation of leads touched since (a follow-up, a stage move, a
        message logged after the last step), closed or archived; set-based. ``self``:
        these leads only (all leads when empty); ``force``: reset them whatever their
        last touch (they were just touched)."""
        self.env.flush_all()
        now = fields.Datetime.now().replace(microsecond=0)
        scope = SQL("lead.id = ANY(%s)", self.ids) if self else SQL("TRUE")
        reason = (
            SQL("TRUE")
            if force
            else SQL(
                """NOT lead.active OR COALESCE(stage.is_won, FALSE)
                   OR %(touch)s > lead.escalation_date""",
                touch=self._escalation_touch_sql(),
            )
        )
        self.env.cr.execute(
            SQL(
                """
                WITH reset AS (
                    UPDATE crm_lead lead
                       SET escalation_level = NULL, escalation_date = NULL,
                           escalation_rule_id = NULL
                      FROM crm_lead old
                 LEFT JOIN crm_stage stage ON stage.id = old.stage_id
                     WHERE old.id = lead.id AND lead.escalation_level IS NOT NULL
                       AND %(scope)s AND (%(reason)s)
                 RETURNING lead.id
                )
                UPDATE crm_lead_escalation log
                   SET is_current = FALSE, reset_on = %(now)s
                  FROM reset
                 WHERE log.lead_id = reset.id AND log.is_current
                """,
                scope=scope,
                reason=reason,
                now=now,
            )
        )
        self.invalidate_model(["escalation_level", "escalation_date", "escalation_rule_id"])
        self.env["crm.lead.escalation"].invalidate_model(["is_current", "reset_on"])

    @api.model
    def _escalation_touch_sql(self):
        """The lead's last touch: stage entered (set at creation too), last follow-up,
        last message logged or sent on it (``lead``: the crm_lead alias). One index lookup each."""
        return SQL(
            """GREATEST(
                COALESCE(lead.date_last_stage_update, lead.create_date),
                (SELECT MAX(f.date) FROM crm_lead_followup f WHERE f.lead_id = lead.id),
                (SELECT MAX(m.date) FROM mail_message m
                  WHERE m.model = 'crm.lead' AND m.res_id = lead.id
                    AND m.message_type = 'comment'))"""
        )

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
        step of every lead comes from one query. Leads are processed by batches locked
        ``FOR UPDATE SKIP LOCKED`` and committed with ``_commit_progress``
        (``_cadence_run_batches``): two workers never take the same step twice. Each
        recipient gets one digest e-mail per sweep. Returns the number of leads
        escalated.
        """
        self.env.flush_all()
        self.browse()._escalation_reset()
        rules = self.env["crm.escalation.rule"].search([])
        teams, companies, main_company = self.env["crm.team"]._funnel_adoption()
        if not rules or not (teams or companies):
            return 0
        now = fields.Datetime.now().replace(microsecond=0)
        cutoffs = rules._escalation_cutoffs(
            now, self.env["res.company"].with_context(active_test=False).search([])
        )
        due_from = self._escalation_due_from(cutoffs, teams, companies, main_company)
        digest = defaultdict(list)

        def escalate(leads):
            digest_rows = leads._escalation_take_steps(due_from, now)
            for recipient_id, row in digest_rows:
                digest[recipient_id].append(row)

        done = self._cadence_run_batches(due_from, escalate, batch_size, commit)
        self._escalation_send_digests(digest)
        return done

    @api.model
    def _escalation_due_from(self, cutoffs, teams, companies, main_company):
        """``FROM crm_lead lead ... WHERE ...``: the open, assigned leads of adopted
        teams with a step due beyond their current one; ``due.level`` (rank) and
        ``due.rule_id`` name it. Every applicable rule is evaluated, the most advanced
        step wins (then the rule's sequence)."""
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
        return SQL(
            """
            FROM crm_lead lead
       LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
      CROSS JOIN LATERAL (SELECT %(touch)s AS touch) last
      CROSS JOIN LATERAL (
                SELECT cut.rule_id,
                       CASE WHEN clock.start <= cut.reassign THEN 3
                            WHEN clock.start <= cut.notify THEN 2
                            WHEN clock.start <= cut.remind THEN 1
                            ELSE 0 END AS level
                  FROM %(cut)s
            CROSS JOIN LATERAL (
                       SELECT GREATEST(
                           last.touch,
                           CASE cut.trigger
                               WHEN 'first_contact' THEN lead.sla_deadline
                               WHEN 'stage_limit' THEN lead.date_last_stage_update
                                   + make_interval(days => stage.rotting_threshold_days)
                           END) AS start
                       ) clock
                 WHERE cut.company_id = COALESCE(lead.company_id, %(main)s)
                   AND (cut.grade IS NULL OR cut.grade = lead.bndu_grade)
                   AND (cut.all_stages OR EXISTS (
                            SELECT 1 FROM crm_escalation_rule_stage_rel rel
                             WHERE rel.rule_id = cut.rule_id AND rel.stage_id = lead.stage_id))
                   AND (cut.trigger != 'first_contact'
                        OR (lead.sla_state IN ('pending', 'breached')
                            AND lead.sla_deadline IS NOT NULL))
                   AND (cut.trigger != 'stage_limit'
                        OR COALESCE(stage.rotting_threshold_days, 0) > 0)
              ORDER BY level DESC, cut.sequence, cut.rule_id
                 LIMIT 1
            ) due
           WHERE lead.active AND lead.user_id IS NOT NULL
             AND NOT COALESCE(stage.is_won, FALSE)
             AND (lead.team_id = ANY(%(teams)s)
                  OR (lead.team_id IS NULL
                      AND COALESCE(lead.company_id, %(main)s) = ANY(%(companies)s)))
             AND due.level > %(rank)s
            """,
            touch=self._escalation_touch_sql(),
            cut=cut,
            main=main_company,
            teams=list(teams),
            companies=list(companies),
            rank=level_rank_sql(SQL("lead.escalation_level")),
        )

    def _escalation_take_steps(self, due_from, now):
        """Take the due step on these leads (locked by the caller): the lead's level,
        the log, the activities (one statement each) and the reassignments (ORM, by
        new salesperson). Returns ``[(recipient id, digest row)]`` for the e-mails."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT lead.id, due.level, due.rule_id, lead.user_id, lead.team_id,
                       lead.company_id
                %(due_from)s AND lead.id = ANY(%(ids)s)
                """,
                due_from=due_from,
                ids=self.ids,
            )
        )
        rows = cr.fetchall()
        if not rows:
            return []
        leaders = self._escalation_leaders({row[4] for row in rows if row[4]})
        levels = [level for level, _label in ESCALATION_LEVELS]
        rules = self.env["crm.escalation.rule"].browse({row[2] for row in rows})
        steps, reminders, notices, to_leader, to_pool = [], set(), set(), defaultdict(list), []
        for lead_id, rank, rule_id, user_id, team_id, company_id in rows:
            level = levels[rank - 1]
            leader_id = leaders.get(team_id)
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
            steps.append((lead_id, level, rule_id, recipient, user_id, team_id, company_id))
        cr.execute(
            SQL(
                """
                WITH step AS (
                    SELECT * FROM unnest(%(leads)s::int[], %(levels)s::varchar[],
                                         %(rules)s::int[], %(recipients)s::int[],
                                         %(users)s::int[], %(teams)s::int[],
                                         %(companies)s::int[])
                        AS s(lead_id, level, rule_id, recipient_id, user_id, team_id,
                             company_id)
                ), lead AS (
                    UPDATE crm_lead lead
                       SET escalation_level = step.level, escalation_date = %(now)s,
                           escalation_rule_id = step.rule_id
                      FROM step WHERE lead.id = step.lead_id
                )
                INSERT INTO crm_lead_escalation (
                    lead_id, rule_id, level, date, user_id, salesperson_id, team_id,
                    company_id, is_current, create_uid, create_date, write_uid, write_date)
                SELECT lead_id, rule_id, level, %(now)s, recipient_id, user_id, team_id,
                       company_id, TRUE, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM step
                """,
                **{
                    key: [step[index] for step in steps]
                    for index, key in enumerate(
                        ("leads", "levels", "rules", "recipients", "users", "teams", "companies")
                    )
                },
                now=now,
                uid=self.env.uid,
            )
        )
        self.invalidate_model(["escalation_level", "escalation_date", "escalation_rule_id"])
        ref = self.env["ir.model.data"]._xmlid_to_res_id
        self._funnel_insert_activities(
            reminders, ref("sales_funnel_std.mail_activity_type_escalation_remind"), now
        )
        self._funnel_insert_activities(
            notices, ref("sales_funnel_std.mail_activity_type_escalation_notify"), now
        )
        for leader_id, lead_ids in to_leader.items():
            self.browse(lead_ids).write({"user_id": leader_id})
        if to_pool:
            self.browse(to_pool).write({"user_id": False})
        digest_rows = []
        for lead_id, level, rule_id, recipient, user_id, _team, _company in steps:
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
        return digest_rows

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
        listing every lead escalated to them in this sweep (queued, sent by the mail
        queue), in the recipient's language."""
        if not digest:
            return
        Users = self.env["res.users"]
        Rule = self.env["crm.escalation.rule"]
        base_url = self.get_base_url()
        for recipient_id, rows in digest.items():
            user = Users.browse(recipient_id)
            env_lang = self.with_context(lang=user.lang or "en_US")
            levels = dict(env_lang._fields["escalation_level"]._description_selection(env_lang.env))
            leads = env_lang.browse([row["lead_id"] for row in rows])
            rules = Rule.with_context(lang=user.lang or "en_US").browse(
                [row["rule_id"] for row in rows]
            )
            salespeople = Users.browse([row["salesperson_id"] for row in rows])
            lines = [
                {
                    "name": lead.name,
                    "url": f"{base_url}/mail/view?model=crm.lead&res_id={lead.id}",
                    "stage": lead.stage_id.name or "",
                    "salesperson": salesperson.name or "",
                    "rule": rule.name or "",
                    "step": levels[row["level"]],
                }
                for row, lead, rule, salesperson in zip(
                    rows, leads, rules, salespeople, strict=True
                )
            ]
            template = rules[:1].mail_template_id or self.env.ref(
                "sales_funnel_std.mail_template_escalation_digest", raise_if_not_found=False
            )
            if not template or not user.partner_id.email:
                continue
            template.with_context(escalation_lines=lines, escalation_count=len(lines)).send_mail(
                recipient_id, email_layout_xmlid="mail.mail_notification_light"
            )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_escalations(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Escalations"),
            "res_model": "crm.lead.escalation",
            "view_mode": "list",
            "domain": [("lead_id", "=", self.id)],
            "context": {"create": False},
        }
