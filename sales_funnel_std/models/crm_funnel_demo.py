from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .crm_lead import BNDU_SCORE_FIELDS

# BNDU scores of CRM's own demo opportunities, after their priority (stars)
SCORES_BY_PRIORITY = {
    "3": ("5", "5", "4", "4"),
    "2": ("4", "4", "3", "3"),
    "1": ("3", "3", "2", "2"),
    "0": ("2", "2", "1", "2"),
}


class CrmFunnelDemo(models.AbstractModel):
    """The demo story's loader: what the demo data does that no user action does
    (back-dating a story over months) or that stands for many user actions (completing
    a checklist). Nothing here is called by the product itself; ``crm.lead`` carries no
    demo-only code."""

    _name = "crm.funnel.demo"
    _description = "Sales Funnel Demo Loader"

    @api.model
    def _complete_checklists(self, leads, stages=None):
        """Do every checklist item of ``stages`` for ``leads`` (records or ids), as the
        rep and the manager would: document lines get an attachment and the customer's
        confirmation, confirmations and approvals are ticked. Field items are not
        touched (set the lead fields). Default: every stage. Used by the demo data, the
        tests, the benchmarks and the browser tests' set-up."""
        leads = self.env["crm.lead"].browse(leads.ids if hasattr(leads, "ids") else leads)
        if stages is not None and not hasattr(stages, "ids"):
            stages = self.env["crm.stage"].browse(stages)
        # sudo: demo/fixture loading, never a user action
        stages = stages if stages is not None else self.env["crm.stage"].sudo().search([])
        items = self.env["crm.stage.checklist.item"].sudo().search([("stage_id", "in", stages.ids)])
        Line = self.env["crm.lead.checklist.line"].sudo()
        existing = Line.search([("lead_id", "in", leads.ids), ("item_id", "in", items.ids)])
        # lines of other stages than the current one are created like on stage entry
        have = {(line.lead_id.id, line.item_id.id) for line in existing}
        vals_list = [
            {
                "lead_id": lead.id,
                "item_id": item.id,
                "stage_id": item.stage_id.id,
                "kind": item.kind,
                "required": item.required,
            }
            for lead in leads
            for item in items
            if (lead.id, item.id) not in have
        ]
        lines = (existing | Line.create(vals_list)).filtered(lambda line: line.kind != "field")
        for line in lines.filtered(lambda line: line.kind == "document"):
            # sudo: fixture/demo helper only (documented above), never a user action
            attachment = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": f"{line.name}.txt",
                        "raw": b"checklist document",
                        "res_model": "crm.lead",
                        "res_id": line.lead_id.id,
                    }
                )
            )
            line.write(
                {
                    "attachment_ids": [(4, attachment.id)],
                    "confirmed_partner_id": line.lead_id.partner_id.id
                    or self.env.user.partner_id.id,
                    "confirmed_date": fields.Date.today(),
                }
            )
        lines.filtered(lambda line: line.kind in ("confirm", "approval")).write({"is_done": True})
        return True

    @api.model
    def _demo_not_applicable(self, lead_id, item_id, reason):
        """Demo data only: a sales manager's "not applicable" on one checklist line."""
        line = self.env["crm.lead.checklist.line"].search(
            [("lead_id", "=", lead_id), ("item_id", "=", item_id)]
        )
        line.action_set_not_applicable(reason)
        return True

    @api.model
    def _demo_overdue_line(self, item_id, days_late):
        """Demo data only: the first open line of an owned item is ``days_late`` overdue
        (its owner's activity too), for "My Checklist Items"."""
        line = self.env["crm.lead.checklist.line"].search(
            [("item_id", "=", item_id), ("is_current_stage", "=", True), ("is_done", "=", False)],
            limit=1,
        )
        deadline = fields.Date.today() - timedelta(days=days_late)
        line.write({"deadline": deadline})
        line.activity_ids.write({"date_deadline": deadline})
        return True

    @api.model
    def _demo_request_approval(self, lead_id, item_id, note):
        """Demo data only: the salesperson requests the approval of a checklist line."""
        line = self.env["crm.lead.checklist.line"].search(
            [("lead_id", "=", lead_id), ("item_id", "=", item_id)]
        )
        line.with_user(line.lead_id.user_id)._funnel_request_approval(note)
        return True

    @api.model
    def _score_crm_demo(self):
        """Demo data only: score CRM's own demo opportunities past lead acquisition.

        ``demo/crm_funnel_apply_demo.xml`` moved them onto the standard stages; scored
        here through the ORM (grade, cadence), from their priority, so that the demo
        pipeline shows no ungraded deal in a later stage. Called once from that file.
        """
        data = self.env["ir.model.data"].search(
            [("module", "=", "crm"), ("model", "=", "crm.lead")]
        )
        leads = (
            self.env["crm.lead"]
            .browse(data.mapped("res_id"))
            .exists()
            .filtered(
                lambda lead: (
                    lead.type == "opportunity"
                    and lead.stage_id.funnel_role not in (False, "acquisition")
                    and lead.bndu_grade == "none"
                )
            )
        )
        by_priority = defaultdict(lambda: self.env["crm.lead"])
        for lead in leads:
            by_priority[lead.priority or "0"] |= lead
        for priority, group in by_priority.items():
            scores = SCORES_BY_PRIORITY.get(priority, SCORES_BY_PRIORITY["0"])
            group.write(dict(zip(BNDU_SCORE_FIELDS, scores, strict=True)))
        return True

    @api.model
    def _backdate(self, plan):
        """Demo data only: make demo leads look as if they had lived for months.

        ``plan``: ``{lead_id: [days_ago, ...]}``, how many days ago the lead entered
        each of its stays in the stage history, oldest first (the first value is also
        the lead's creation). Rewrites the dates the product recorded while the demo
        data moved the leads through the real paths (gate, history, cadence): history
        stays and their durations, creation / stage / closing dates, and, for a
        first contact still pending, the SLA deadline and its activity shifted back by
        the lead's age. Called once from ``demo/crm_lead_story_demo.xml``.
        """
        now = fields.Datetime.now().replace(microsecond=0)
        self.env.flush_all()
        cr = self.env.cr
        for lead_id, offsets in plan.items():
            dates = [now - timedelta(days=days) for days in offsets]
            cr.execute(
                SQL(
                    "SELECT id FROM crm_lead_stage_history WHERE lead_id = %s ORDER BY date_in, id",
                    int(lead_id),
                )
            )
            stay_ids = [row[0] for row in cr.fetchall()]
            for index, stay_id in enumerate(stay_ids):
                date_in = dates[min(index, len(dates) - 1)]
                date_out = dates[index + 1] if index + 1 < len(stay_ids) else None
                cr.execute(
                    SQL(
                        """
                        UPDATE crm_lead_stage_history
                           SET date_in = %(date_in)s, date_out = %(date_out)s,
                               duration_days = EXTRACT(EPOCH FROM (%(date_out)s::timestamp
                                                - %(date_in)s::timestamp)) / 86400.0
                         WHERE id = %(id)s
                        """,
                        date_in=date_in,
                        date_out=date_out,
                        id=stay_id,
                    )
                )
            age = timedelta(days=offsets[0])
            cr.execute(
                SQL(
                    """
                    UPDATE crm_lead
                       SET create_date = %(created)s, date_open = %(created)s,
                           date_last_stage_update = %(entered)s,
                           date_closed = CASE WHEN date_closed IS NOT NULL
                                              THEN %(entered)s END,
                           sla_deadline = CASE WHEN sla_state = 'pending'
                                               THEN sla_deadline - %(age)s
                                               ELSE sla_deadline END
                     WHERE id = %(id)s
                    """,
                    created=dates[0],
                    entered=dates[-1],
                    age=age,
                    id=int(lead_id),
                )
            )
            cr.execute(
                SQL(
                    """
                    UPDATE mail_activity
                       SET date_deadline = date_deadline - %(days)s
                     WHERE res_model = 'crm.lead' AND res_id = %(id)s
                       AND funnel_cadence = 'first_contact' AND active
                    """,
                    days=offsets[0],
                    id=int(lead_id),
                )
            )
        self.env.invalidate_all()
        return True

    @api.model
    def _demo_restart_care(self, lead_ids):
        """Demo data only: the post-sale care of these won deals starts again from their
        back-dated won date (``_backdate`` moved it after the care had started): the care
        activity (and the first revisit's deadline with it) planned anew."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM mail_activity
                 WHERE res_model = 'crm.lead' AND res_id = ANY(%(ids)s)
                   AND funnel_care IS NOT NULL
                """,
                ids=list(lead_ids),
            )
        )
        self.env.invalidate_all()
        self.env["crm.lead"].browse(lead_ids)._care_sync()
        return True

    @api.model
    def _demo_targets(self, team_targets, agree_users):
        """Split the demo teams' targets evenly over their members and agree the
        targets of ``agree_users`` (xml ids), as the demo sales manager would."""
        manager = self.env.ref("sales_funnel_std.user_manager_demo")
        Target = self.env["crm.funnel.target"].with_user(manager)
        agreed = self.env["res.users"]
        for xmlid in agree_users:
            agreed |= self.env.ref(xmlid)
        for xmlid in team_targets:
            target = Target.browse(self.env.ref(xmlid).id)
            team = target.team_id
            people = target._split(dict.fromkeys(team.member_ids, 1.0))
            people.filtered(lambda person: person.user_id in agreed).action_agree()
        return True

    @api.model
    def _demo_forecast(self, team_xmlids):
        """Give the open opportunities of the demo teams an expected closing date (the
        further in the funnel, the sooner: two weeks from negotiation, up to three
        months from acquisition) and take the first snapshot of the grade win rates, so
        that the forecast and the explained grade have something to show."""
        teams = self.env["crm.team"]
        for xmlid in team_xmlids:
            teams |= self.env.ref(xmlid)
        leads = self.env["crm.lead"].search(
            [
                ("team_id", "in", teams.ids),
                ("type", "=", "opportunity"),
                ("won_status", "=", "pending"),
                ("date_deadline", "=", False),
            ]
        )
        weeks = {"negotiation": 2, "proposal": 4, "discovery": 7, "qualification": 10}
        today = fields.Date.context_today(self)
        for lead in leads:
            lead.date_deadline = today + timedelta(weeks=weeks.get(lead.stage_id.funnel_role, 13))
        self.env["res.company"]._cron_refresh_bndu_outcomes()
        return True

    @api.model
    def _demo_escalation(self):
        """Run the escalation sweep once on the back-dated demo story (in the loading
        transaction), so that the pipeline shows escalated leads, their log and the
        team leaders' activities and digest."""
        self.env["crm.lead"]._cron_escalation_sweep(commit=False)
        return True
