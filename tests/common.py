"""Shared fixtures for the pytest-odoo suite.

Tests live outside the addon folder, so Odoo does not set ``test_tags`` /
``test_module`` on them; the base class sets both. Every test builds its own data:
nothing here reads demo records.
"""

import threading

from odoo import api
from odoo.tests import TransactionCase, new_test_user


def run_cron_workers(registry, job, workers=2, timeout=120):
    """Run ``job(env)`` in ``workers`` threads started together, each in its own
    transaction as superuser (two cron workers at once); returns ``(results, errors)``."""
    barrier = threading.Barrier(workers)
    results, errors = [], []

    def worker():
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                barrier.wait(timeout=10)
                results.append(job(env))
        except Exception as error:  # reported to the caller
            errors.append(error)

    threads = [threading.Thread(target=worker) for _i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results, errors


class FunnelCase(TransactionCase):
    # run after the install, like @tagged("post_install", "-at_install")
    test_tags = {"standard", "post_install"}
    test_module = "sales_funnel_std"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, lang="en_US"))
        cls.company = cls.env.company
        cls.company_2 = cls.env["res.company"].create({"name": "Funnel Company 2"})
        cls.user_admin = new_test_user(
            cls.env,
            login="sf_admin",
            name="Funnel Admin",
            groups="base.group_user,base.group_system,sales_team.group_sale_manager",
            lang="en_US",
            company_ids=[(6, 0, (cls.company | cls.company_2).ids)],
        )
        cls.user_manager = new_test_user(
            cls.env,
            login="sf_manager",
            name="Funnel Manager",
            groups="base.group_user,sales_team.group_sale_manager",
            lang="en_US",
            company_ids=[(6, 0, (cls.company | cls.company_2).ids)],
        )
        cls.user_salesman_1 = cls._new_salesman("sf_salesman_1", "Funnel Salesman 1")
        cls.user_salesman_2 = cls._new_salesman("sf_salesman_2", "Funnel Salesman 2")
        cls.team_1 = cls.env["crm.team"].create(
            {
                "name": "Funnel Team 1",
                "user_id": cls.user_manager.id,
                "member_ids": [(6, 0, cls.user_salesman_1.ids)],
            }
        )
        cls.team_2 = cls.env["crm.team"].create(
            {
                "name": "Funnel Team 2",
                "user_id": cls.user_manager.id,
                "member_ids": [(6, 0, cls.user_salesman_2.ids)],
            }
        )
        cls.partner = cls.env["res.partner"].create(
            {"name": "Acme Manufacturing", "is_company": True, "email": "buy@acme.example"}
        )

    @classmethod
    def _new_salesman(cls, login, name):
        """A user of the salesman group only (own leads), in English."""
        return new_test_user(
            cls.env,
            login=login,
            name=name,
            groups="base.group_user,sales_team.group_sale_salesman",
            lang="en_US",
        )

    @classmethod
    def _lead(cls, user=None, **vals):
        user = user or cls.user_salesman_1
        team = cls.team_2 if user == cls.user_salesman_2 else cls.team_1
        values = {
            "name": "Funnel lead",
            "type": "opportunity",
            "user_id": user.id,
            "team_id": team.id,
            "partner_id": cls.partner.id,
        }
        values.update(vals)
        return cls.env["crm.lead"].create(values)

    def _lead_activities(self, lead, condition, active=True):
        """The activities of ``lead`` matching ``condition`` (a domain term), open
        (``active``) or done."""
        return (
            self.env["mail.activity"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("res_model", "=", "crm.lead"),
                    ("res_id", "=", lead.id),
                    condition,
                    ("active", "=", active),
                ]
            )
        )

    def _engine_activities(self, lead, kind_field, active=True):
        """The activities of ``lead`` the cadence or care engine scheduled (``kind_field``:
        ``funnel_cadence`` / ``funnel_care``), open (``active``) or done."""
        return self._lead_activities(lead, (kind_field, "!=", False), active)

    @staticmethod
    def scores(b, n, d, u):
        return {
            "bndu_budget": str(b),
            "bndu_need": str(n),
            "bndu_decision": str(d),
            "bndu_urgency": str(u),
        }

    @classmethod
    def _complete_checklists(cls, leads, stages=None):
        """Do the checklists of ``stages`` (default: all) for ``leads``, as the rep and the
        manager would (the demo loader's helper, shared with the benchmarks)."""
        cls.env["crm.funnel.demo"]._complete_checklists(leads, stages)

    @classmethod
    def _make_won(cls, lead):
        """Mark ``lead`` won legitimately: fill what the standard checklists' field items
        ask (customer, expected revenue, BNDU scores), complete the other items, then
        use the Won button's method as the rep would."""
        values = {}
        if not lead.partner_id:
            values["partner_id"] = cls.partner.id
        if not lead.expected_revenue:
            values["expected_revenue"] = 10000
        if lead.bndu_grade == "none":
            values.update(cls.scores(5, 5, 5, 5))
        if values:
            lead.write(values)
        cls._complete_checklists(lead)
        return lead.action_set_won()
