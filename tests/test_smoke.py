from odoo.tests import users

from .common import FunnelCase


class TestSmoke(FunnelCase):
    def test_addon_installed(self):
        module = self.env["ir.module.module"].search([("name", "=", "sales_funnel_std")])
        self.assertEqual(module.state, "installed")

    @users("sf_salesman_1")
    def test_views_render_for_salesman(self):
        """Every view of the addon (and the views it inherits) renders for a salesman."""
        data = (
            self.env["ir.model.data"]
            .sudo()
            .search([("module", "=", "sales_funnel_std"), ("model", "=", "ir.ui.view")])
        )
        views = self.env["ir.ui.view"].sudo().browse(data.mapped("res_id"))
        self.assertTrue(views, "the addon ships views")
        for view in views:
            root = view
            while root.inherit_id:
                root = root.inherit_id
            if root.type == "qweb":
                continue  # QWeb templates (the handover summary) render in their own tests
            model = self.env[root.model]
            if root.model == "res.config.settings":
                continue  # the settings page is for administrators only
            if not model.has_access("read"):
                continue
            arch = model.get_views([(root.id, root.type)])
            self.assertIn(root.type, arch["views"], view.xml_id)

    def test_actions_and_menus_load(self):
        data = self.env["ir.model.data"].search(
            [
                ("module", "=", "sales_funnel_std"),
                ("model", "in", ("ir.actions.act_window", "ir.ui.menu")),
            ]
        )
        for record in data:
            target = self.env[record.model].browse(record.res_id)
            self.assertTrue(target.exists(), record.complete_name)
            if record.model == "ir.actions.act_window":
                self.env[target.res_model].check_access("read")
