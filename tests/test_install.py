"""Issue 9: install on a database with existing CRM data stays set-based.

The test database already has the addon installed, so the install is replayed where it
matters: the prefilled columns are dropped (inside the test transaction, rolled back
afterwards), the other columns of the addon are put back in their pre-install state
(NULL), and the real ``pre_init_hook`` runs on a few thousand leads in every stage.
Its values must equal what the ORM computes for those leads.
"""

from odoo.addons.sales_funnel_std import hooks
from odoo.tools import SQL, sql

from .common import FunnelCase

MODULE = "sales_funnel_std"
# Tables of a few rows, where Odoo's own per-record compute at install is harmless.
SMALL_TABLES = {"res_company", "crm_stage", "crm_team", "res_config_settings"}


def _plain(field, value):
    """Comparable form of an ORM value or of a raw column value."""
    if field.relational:
        value = value.id if hasattr(value, "id") else value
    if field.type in ("float", "monetary") and value is not None and value is not False:
        return round(float(value), 6)
    return value if value not in (None, False, "") else None


class TestInstallPrefill(FunnelCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # leads "entered before the addon existed": no checklist applies to them
        cls.env["crm.stage.checklist.item"].search([]).required = False
        stages = cls.env["crm.stage"].search([("is_won", "=", False)], order="sequence")[:3]
        won = cls.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        lost_reason = cls.env["crm.lost.reason"].create({"name": "Bench: price"})
        vals_list = []
        for i in range(2000):
            user = (cls.user_salesman_1, cls.user_salesman_2, cls.env["res.users"])[i % 3]
            vals = {
                "name": f"Existing lead {i}",
                "type": "opportunity" if i % 7 else "lead",
                "user_id": user.id,
                "partner_id": cls.partner.id if i % 2 else False,
                "expected_revenue": 1000 * (i % 50),
                # unassigned leads spread over both companies and none
                "company_id": (cls.company.id if user else (cls.company_2.id if i % 2 else False)),
            }
            kind = i % 10
            if kind < 6:
                vals["stage_id"] = stages[kind % len(stages)].id
            elif kind < 8:
                vals["stage_id"] = won.id
                vals["probability"] = 100
            else:
                vals.update(
                    stage_id=stages[0].id,
                    active=False,
                    probability=0,
                    lost_reason_id=lost_reason.id if kind == 8 else False,
                )
            vals_list.append(vals)
        cls.leads = (
            cls.env["crm.lead"]
            .with_context(tracking_disable=True, mail_create_nolog=True)
            .create(vals_list)
        )
        cls.env.flush_all()

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------

    def _prefilled_fields(self):
        """{(table, column): field} of PREFILL_COLUMNS whose table belongs to a model."""
        by_table = {}
        for model in self.env.registry.values():
            if not model._abstract and model._auto:
                by_table.setdefault(model._table, model)
        fields = {}
        for table, column, _type, _expr in hooks.PREFILL_COLUMNS:
            model = by_table.get(table)
            self.assertTrue(model, f"{table}: no model owns this table")
            self.assertIn(column, model._fields, f"{table}.{column} is not a field")
            fields[(table, column)] = model._fields[column]
        return fields

    def _back_to_pre_install_state(self):
        """Drop the prefilled columns, NULL the addon's other new columns (its scores)."""
        cr = self.env.cr
        tables = {table for table, *_rest in hooks.PREFILL_COLUMNS}
        for table, column, _type, _expr in hooks.PREFILL_COLUMNS:
            cr.execute(
                SQL(
                    "ALTER TABLE %s DROP COLUMN %s CASCADE",
                    SQL.identifier(table),
                    SQL.identifier(column),
                )
            )
        prefilled = {(table, column) for table, column, *_rest in hooks.PREFILL_COLUMNS}
        for model in self.env.registry.values():
            if model._table not in tables or model._abstract or not model._auto:
                continue
            for field in model._fields.values():
                if (
                    field.store
                    and field.column_type
                    and set(field._modules) == {MODULE}
                    and (model._table, field.name) not in prefilled
                    and field.default is None
                ):
                    cr.execute(
                        SQL(
                            "UPDATE %s SET %s = NULL",
                            SQL.identifier(model._table),
                            SQL.identifier(field.name),
                        )
                    )
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    # tests
    # ------------------------------------------------------------------

    def test_every_new_stored_compute_on_existing_tables_is_prefilled(self):
        """A stored computed field added to an existing table must be in PREFILL_COLUMNS
        (with the column type the ORM expects), or the install recomputes every row."""
        declared = {
            (table, column): sql_type for table, column, sql_type, _e in hooks.PREFILL_COLUMNS
        }
        missing = []
        for model in self.env.registry.values():
            if model._abstract or not model._auto or model._original_module == MODULE:
                continue
            if model._table in SMALL_TABLES:
                continue
            for field in model._fields.values():
                if not (field.store and field.compute and field.column_type):
                    continue
                if set(field._modules) != {MODULE}:
                    continue  # not a new column of this addon
                if field.related and field.related.count(".") == 1:
                    continue  # Odoo fills simple stored related fields in one UPDATE
                key = (model._table, field.name)
                if key not in declared:
                    missing.append(f"{model._name}.{field.name}")
                    continue
                self.assertEqual(
                    declared[key].lower(),
                    field.column_type[1].lower(),
                    f"{key}: SQL type differs from the ORM's",
                )
        self.assertFalse(missing, f"stored computed fields missing from PREFILL_COLUMNS: {missing}")
        self.assertIn(("crm_lead", "bndu_grade"), declared)
        self.assertIn(("crm_lead", "bndu_total"), declared)

    def test_pre_init_hook_matches_orm_on_existing_leads(self):
        """Replay the install on 2,000 leads in every stage: the SQL prefill equals the
        ORM compute, nothing else of those leads changes, and the cost does not grow
        with the number of rows (a fixed number of queries)."""
        fields = self._prefilled_fields()
        cr = self.env.cr
        ids = tuple(self.leads.ids)
        cr.execute(
            "SELECT id, stage_id, active, probability, write_date, won_status "
            "FROM crm_lead WHERE id IN %s ORDER BY id",
            [ids],
        )
        before = cr.fetchall()

        self._back_to_pre_install_state()
        for table, column in fields:
            self.assertFalse(sql.column_exists(cr, table, column))
        # per column: 2 look-ups, then 2 ALTERs (constant) or 1 ALTER + its share of
        # one UPDATE per table (expression): never a query per row
        expected = sum(
            2 + (2 if hooks._is_constant(expr) else 1) for *_rest, expr in hooks.PREFILL_COLUMNS
        ) + len({t for t, *_r, expr in hooks.PREFILL_COLUMNS if not hooks._is_constant(expr)})
        with self.assertQueryCount(expected):
            hooks.pre_init_hook(self.env)

        for (table, column), field in fields.items():
            cr.execute(
                "SELECT udt_name FROM information_schema.columns "
                "WHERE table_name = %s AND column_name = %s",
                [table, column],
            )
            self.assertEqual(cr.fetchone()[0], field.column_type[0], f"{table}.{column}")
        cr.execute(
            "SELECT id, stage_id, active, probability, write_date, won_status "
            "FROM crm_lead WHERE id IN %s ORDER BY id",
            [ids],
        )
        self.assertEqual(cr.fetchall(), before, "existing leads must be left untouched")

        by_table = {}
        for (table, column), field in fields.items():
            by_table.setdefault(table, {})[column] = field
        self.assertIn("bndu_grade", by_table["crm_lead"])
        self.assertIn("bndu_total", by_table["crm_lead"])
        mismatches, checked = [], {}
        for table, table_fields in by_table.items():
            # the newest 2,000 rows: on crm_lead, the leads of every stage made above
            cr.execute(
                SQL(
                    "SELECT id, %s FROM %s ORDER BY id DESC LIMIT 2000",
                    SQL(", ").join(SQL.identifier(col) for col in table_fields),
                    SQL.identifier(table),
                )
            )
            prefilled = {row[0]: row[1:] for row in cr.fetchall()}
            checked[table] = set(prefilled)
            # what the ORM computes for those rows, from scratch
            self.env.invalidate_all()
            model = next(iter(table_fields.values())).model_name
            records = self.env[model].with_context(active_test=False).browse(list(prefilled))
            for field in table_fields.values():
                self.env.add_to_compute(field, records)
            for record in records:
                for i, (column, field) in enumerate(table_fields.items()):
                    orm = _plain(field, record[column])
                    raw = _plain(field, prefilled[record.id][i])
                    if orm != raw:
                        mismatches.append((table, record.id, column, raw, orm))
        self.assertFalse(mismatches[:10], "prefill (SQL) != compute (ORM)")
        self.assertLessEqual(set(self.leads.ids), checked["crm_lead"], "all stages checked")
        leads = self.leads.with_env(self.env)
        self.assertEqual(set(leads.mapped("bndu_grade")), {"none"})
        self.assertEqual(set(leads.mapped("bndu_total")), {0.0})

    def test_pre_init_hook_keeps_user_data_on_reinstall(self):
        """Columns that exist (upgrade, re-install) are never overwritten."""
        lead = self._lead(**self.scores(5, 5, 5, 4))
        self.env.flush_all()
        self.assertEqual(lead.bndu_grade, "a")
        hooks.pre_init_hook(self.env)
        self.env.invalidate_all()
        self.assertEqual(lead.bndu_grade, "a")
        self.assertEqual(lead.bndu_total, 19.0)

    def test_prefill_columns_on_a_fresh_table(self):
        """The generic helper: constants as defaults dropped right after, expressions in
        one UPDATE per table, missing tables skipped, existing columns left alone."""
        cr = self.env.cr
        cr.execute(
            "CREATE TABLE sfb_test_prefill (id serial PRIMARY KEY, a int);"
            "INSERT INTO sfb_test_prefill (a) SELECT g FROM generate_series(1, 500) g"
        )
        spec = [
            ("sfb_test_prefill", "doubled", "int4", "t.a * 2"),
            ("sfb_test_prefill", "half", "numeric", "t.a / 2.0"),
            ("sfb_test_prefill", "state", "varchar", "'none'"),
            ("sfb_test_prefill", "flag", "bool", "false"),
            ("sfb_test_missing_table", "x", "int4", "1"),
        ]
        created = hooks.prefill_columns(cr, spec)
        self.assertEqual(
            created,
            [
                ("sfb_test_prefill", "doubled"),
                ("sfb_test_prefill", "half"),
                ("sfb_test_prefill", "state"),
                ("sfb_test_prefill", "flag"),
            ],
        )
        cr.execute("SELECT a, doubled, half, state, flag FROM sfb_test_prefill WHERE a = 7")
        self.assertEqual(cr.fetchone(), (7, 14, 3.5, "none", False))
        cr.execute(
            "SELECT count(*) FROM sfb_test_prefill "
            "WHERE doubled <> 2 * a OR state <> 'none' OR flag"
        )
        self.assertEqual(cr.fetchone()[0], 0)
        cr.execute(
            "SELECT column_name, column_default FROM information_schema.columns "
            "WHERE table_name = 'sfb_test_prefill' AND column_name IN ('state', 'flag')"
        )
        self.assertEqual(dict(cr.fetchall()), {"state": None, "flag": None})
        # new rows get NULL like any ORM column, existing values survive a second run
        cr.execute("UPDATE sfb_test_prefill SET state = 'a' WHERE a = 1")
        self.assertEqual(hooks.prefill_columns(cr, spec), [])
        cr.execute("SELECT state FROM sfb_test_prefill WHERE a = 1")
        self.assertEqual(cr.fetchone()[0], "a")
