"""Generate a realistic vanilla CRM pipeline of N leads, set-based.

Usage (from the repository root, on a database with crm + project installed)::

    python -m bench.generate -c .build/odoo.conf -d sfb_vanilla_10000 -n 10000

What it creates (deterministic: ``setseed``):
- 4 sales teams, each led by a sales manager with 5 salesmen (24 users), 5 CRM tags,
  a "Negotiation" stage between Proposition and Won;
- N/5 customer companies (res.partner);
- N opportunities over the last 12 months: ~50 % open spread over New / Qualified /
  Proposition / Negotiation, ~20 % won, ~25 % lost (archived with a lost reason),
  ~5 % archived; sources, mediums, tags, priorities, expected revenues (log-normal),
  deadlines, stored computed columns filled as Odoo computes them;
- their chatter history: one message per stage change with its ``stage_id`` tracking
  value (mail.message + mail.tracking.value, ~2 per lead) and one "lost" message with
  the lost reason; the salesman follows his leads; ~30 % of open leads have a planned
  activity.

Small reference data goes through the ORM; the bulk (partners, leads, history,
followers, activities) is inserted with ``INSERT ... SELECT generate_series`` so that
100,000 leads take well under a minute.
"""

import argparse
import json
import sys
import time

# Weights of the outcomes and of the open stages (fractions of N).
OPEN_STAGES = ("New", "Qualified", "Proposition", "Negotiation")
STAGE_PROBABILITY = (10, 30, 50, 70)
TEAMS = ("North", "South", "East", "West")
SALESMEN_PER_TEAM = 5
TAGS = ("Manufacturing", "Distribution", "Services", "Public sector", "Key account")
PRODUCTS = (
    "ERP roll-out",
    "CRM upgrade",
    "Support contract",
    "Warehouse automation",
    "Training programme",
    "Cloud migration",
    "Integration project",
    "Licence renewal",
)


def _ensure_reference_data(env):
    """Teams, users, stages, tags (ORM, a few dozen records). Returns ids."""
    ctx = dict(
        env.context,
        tracking_disable=True,
        mail_create_nolog=True,
        mail_create_nosubscribe=True,
        no_reset_password=True,
    )
    env = env(context=ctx)
    Stage = env["crm.stage"]
    stages = Stage.search([], order="sequence, id")
    by_name = {stage.with_context(lang="en_US").name: stage for stage in stages}
    won = stages.filtered("is_won")[:1]
    if not won:
        won = Stage.create({"name": "Won", "is_won": True, "sequence": 70})
    stage_ids = []
    for sequence, name in enumerate(OPEN_STAGES, start=1):
        stage = by_name.get(name) or Stage.create({"name": name, "sequence": sequence * 10})
        stage_ids.append(stage.id)
    stage_ids.append(won.id)

    group_salesman = env.ref("sales_team.group_sale_salesman")
    group_manager = env.ref("sales_team.group_sale_manager")
    group_user = env.ref("base.group_user")
    Users = env["res.users"]
    salesman_ids, manager_ids, team_ids = [], [], []
    for t, team_name in enumerate(TEAMS, start=1):
        login = f"bench_manager_{t}"
        manager = Users.search([("login", "=", login)]) or Users.create(
            {
                "name": f"Bench Manager {team_name}",
                "login": login,
                "email": f"{login}@bench.example.com",
                "group_ids": [(6, 0, [group_user.id, group_manager.id])],
            }
        )
        members = Users
        for s in range(1, SALESMEN_PER_TEAM + 1):
            login = f"bench_salesman_{t}_{s}"
            members |= Users.search([("login", "=", login)]) or Users.create(
                {
                    "name": f"Bench Salesman {team_name} {s}",
                    "login": login,
                    "email": f"{login}@bench.example.com",
                    "group_ids": [(6, 0, [group_user.id, group_salesman.id])],
                }
            )
        team = env["crm.team"].search([("name", "=", f"Bench {team_name}")]) or env[
            "crm.team"
        ].create(
            {
                "name": f"Bench {team_name}",
                "user_id": manager.id,
                "member_ids": [(6, 0, members.ids)],
            }
        )
        manager_ids.append(manager.id)
        salesman_ids.extend(members.ids)
        team_ids.append(team.id)

    Tag = env["crm.tag"]
    tag_ids = [
        (Tag.search([("name", "=", name)]) or Tag.create({"name": name})).id for name in TAGS
    ]
    env.flush_all()
    return {
        "stage_ids": stage_ids,
        "stage_names": [
            env["crm.stage"].browse(sid).with_context(lang="en_US").name for sid in stage_ids
        ],
        "team_ids": team_ids,
        "salesman_ids": salesman_ids,
        "manager_ids": manager_ids,
        "tag_ids": tag_ids,
    }


def _ref_id(env, xmlid):
    return env.ref(xmlid).id


def generate(env, n, seed=0.42):
    """Insert the pipeline; returns a dict of row counts and timings."""
    timings = {}
    start = time.perf_counter()
    ref = _ensure_reference_data(env)
    timings["reference_data_s"] = round(time.perf_counter() - start, 2)
    cr = env.cr
    cr.execute("SELECT setseed(%s)", [seed])
    lang_id = env["res.lang"]._lang_get("en_US").id
    company_id = env.ref("base.main_company").id
    params = {
        "n": n,
        "n_partners": max(1, n // 5),
        "stage_ids": ref["stage_ids"],
        "stage_names": ref["stage_names"],
        "probabilities": [*STAGE_PROBABILITY, 100],
        "team_ids": ref["team_ids"],
        "salesman_ids": ref["salesman_ids"],
        "per_team": SALESMEN_PER_TEAM,
        "tag_ids": ref["tag_ids"],
        "products": list(PRODUCTS),
        "source_ids": env["utm.source"].search([]).ids or [None],
        "medium_ids": env["utm.medium"].search([]).ids or [None],
        "lost_reason_ids": env["crm.lost.reason"].with_context(active_test=False).search([]).ids
        or [None],
        "lang_id": lang_id,
        "company_id": company_id,
        "stage_field_id": env["ir.model.fields"]._get("crm.lead", "stage_id").id,
        "lost_field_id": env["ir.model.fields"]._get("crm.lead", "lost_reason_id").id,
        "subtype_stage": _ref_id(env, "crm.mt_lead_stage"),
        "subtype_won": _ref_id(env, "crm.mt_lead_won"),
        "subtype_lost": _ref_id(env, "crm.mt_lead_lost"),
        "lead_model_id": env["ir.model"]._get_id("crm.lead"),
        "todo_type": _ref_id(env, "mail.mail_activity_data_todo"),
        "call_type": _ref_id(env, "mail.mail_activity_data_call"),
    }

    def step(name, query):
        t0 = time.perf_counter()
        cr.execute(query, params)
        timings[name] = round(time.perf_counter() - t0, 2)
        return cr.rowcount

    # --- partners ------------------------------------------------------------
    step(
        "partners",
        """
        CREATE TEMP TABLE sfb_gen_partner ON COMMIT DROP AS
        SELECT g AS rn, nextval('res_partner_id_seq') AS id,
               'Bench Customer ' || lpad(g::text, 6, '0') || ' Ltd' AS name,
               now() - interval '400 days' * random() AS create_date
          FROM generate_series(1, %(n_partners)s) g;
        INSERT INTO res_partner (id, name, complete_name, commercial_company_name, type,
                                 is_company, active, email, email_normalized, phone, lang,
                                 partner_share, color, commercial_partner_id,
                                 create_uid, write_uid, create_date, write_date)
        SELECT id, name, name, name, 'contact', true, true,
               'buyer' || rn || '@customer' || rn || '.example.com',
               'buyer' || rn || '@customer' || rn || '.example.com',
               '+32 2 ' || lpad((rn %% 1000000)::text, 6, '0'), 'en_US',
               true, 0, id, 1, 1, create_date, create_date
          FROM sfb_gen_partner;
        """,
    )
    # --- leads (attributes drawn first, then one INSERT) ---------------------
    step(
        "leads_draw",
        """
        CREATE TEMP TABLE sfb_gen_lead ON COMMIT DROP AS
        WITH draw AS (
            SELECT g AS rn, nextval('crm_lead_id_seq') AS id,
                   random() AS r_outcome, random() AS r_stage, random() AS r_user,
                   random() AS r_partner, random() AS r_age, random() AS r_close,
                   random() AS r_revenue, random() AS r_misc
              FROM generate_series(1, %(n)s) g
        ), outcome AS (
            SELECT *,
                   CASE WHEN r_outcome < 0.50 THEN 'open'
                        WHEN r_outcome < 0.70 THEN 'won'
                        WHEN r_outcome < 0.95 THEN 'lost'
                        ELSE 'archived' END AS outcome,
                   ((rn - 1) %% 4) AS team_idx,
                   now() - interval '365 days' * r_age AS create_date
              FROM draw
        ), staged AS (
            SELECT *,
                   CASE WHEN outcome = 'won' THEN 4
                        WHEN outcome = 'open' THEN
                            CASE WHEN r_stage < 0.3 THEN 0 WHEN r_stage < 0.6 THEN 1
                                 WHEN r_stage < 0.8 THEN 2 ELSE 3 END
                        ELSE floor(r_stage * 4)::int END AS stage_idx,
                   CASE WHEN outcome IN ('won', 'lost')
                        THEN create_date + (now() - create_date) * (0.2 + 0.8 * r_close)
                   END AS date_closed
              FROM outcome
        )
        SELECT s.*,
               (%(stage_ids)s::int[]) [s.stage_idx + 1] AS stage_id,
               (%(team_ids)s::int[]) [s.team_idx + 1] AS team_id,
               CASE WHEN s.r_misc < 0.03 THEN NULL
                    ELSE (%(salesman_ids)s::int[])
                         [s.team_idx * %(per_team)s + 1 + floor(s.r_user * %(per_team)s)::int]
               END AS user_id,
               CASE WHEN s.r_partner < 0.9
                    THEN 1 + floor(s.r_partner / 0.9 * %(n_partners)s)::int END AS partner_rn,
               CASE WHEN s.outcome = 'won' THEN 100
                    WHEN s.outcome = 'lost' THEN 0
                    ELSE (%(probabilities)s::int[])[s.stage_idx + 1] END AS probability,
               round((exp(8 + 4 * s.r_revenue) / 100)::numeric) * 100 AS expected_revenue
          FROM staged s;
        """,
    )
    step(
        "leads",
        """
        INSERT INTO crm_lead (
            id, name, type, active, priority, stage_id, team_id, user_id, company_id,
            partner_id, partner_name, contact_name, email_from, email_normalized,
            email_domain_criterion, phone, lang_id, source_id, medium_id, lost_reason_id,
            expected_revenue, prorated_revenue, recurring_revenue, recurring_revenue_monthly,
            recurring_revenue_monthly_prorated, recurring_revenue_prorated,
            probability, automated_probability, won_status, color,
            date_open, day_open, date_closed, day_close, date_last_stage_update,
            date_deadline, create_uid, write_uid, create_date, write_date)
        SELECT l.id,
               (%(products)s::text[])[1 + (l.rn %% 8)] || ' – '
                   || coalesce(p.name, 'Prospect ' || l.rn),
               'opportunity',
               l.outcome IN ('open', 'won'),
               CASE WHEN l.r_misc < 0.5 THEN '0' WHEN l.r_misc < 0.8 THEN '1'
                    WHEN l.r_misc < 0.95 THEN '2' ELSE '3' END,
               l.stage_id, l.team_id, l.user_id, %(company_id)s,
               p.id, p.name, 'Contact ' || l.rn,
               coalesce(p.email, 'prospect' || l.rn || '@prospect.example.com'),
               coalesce(p.email, 'prospect' || l.rn || '@prospect.example.com'),
               split_part(coalesce(p.email, 'prospect@prospect.example.com'), '@', 2),
               p.phone, %(lang_id)s,
               CASE WHEN l.r_close < 0.7 THEN (%(source_ids)s::int[])
                    [1 + floor(l.r_stage * array_length(%(source_ids)s::int[], 1))::int] END,
               CASE WHEN l.r_close > 0.3 THEN (%(medium_ids)s::int[])
                    [1 + floor(l.r_user * array_length(%(medium_ids)s::int[], 1))::int] END,
               CASE WHEN l.outcome = 'lost' THEN (%(lost_reason_ids)s::int[])
                    [1 + floor(l.r_close * array_length(%(lost_reason_ids)s::int[], 1))::int] END,
               l.expected_revenue, round(l.expected_revenue * l.probability / 100.0, 2),
               0, 0, 0, 0,
               l.probability, l.probability,
               CASE l.outcome WHEN 'won' THEN 'won' WHEN 'lost' THEN 'lost' ELSE 'pending' END,
               0,
               CASE WHEN l.user_id IS NOT NULL THEN l.create_date END,
               CASE WHEN l.user_id IS NOT NULL THEN 0 END,
               l.date_closed,
               extract(day FROM l.date_closed - l.create_date),
               coalesce(l.date_closed, l.create_date + (now() - l.create_date) * 0.5 * l.r_close),
               CASE WHEN l.outcome = 'open'
                    THEN (l.create_date + interval '1 day' * (30 + 90 * l.r_close))::date END,
               coalesce(l.user_id, 2), coalesce(l.user_id, 2),
               l.create_date, coalesce(l.date_closed, l.create_date)
          FROM sfb_gen_lead l
          LEFT JOIN sfb_gen_partner gp ON gp.rn = l.partner_rn
          LEFT JOIN res_partner p ON p.id = gp.id;
        """,
    )
    step(
        "tags",
        """
        INSERT INTO crm_tag_rel (lead_id, tag_id)
        SELECT id, (%(tag_ids)s::int[])[1 + (rn %% 5)] FROM sfb_gen_lead WHERE r_age < 0.3;
        """,
    )
    # --- chatter history: one message per stage change + the lost message ----
    step(
        "history_draw",
        """
        CREATE TEMP TABLE sfb_gen_move ON COMMIT DROP AS
        SELECT nextval('mail_message_id_seq') AS message_id, l.id AS lead_id,
               u.partner_id AS author_id, coalesce(l.user_id, 2) AS uid,
               (%(stage_ids)s::int[])[j] AS old_stage, (%(stage_ids)s::int[])[j + 1] AS new_stage,
               (%(stage_names)s::text[])[j] AS old_name,
               (%(stage_names)s::text[])[j + 1] AS new_name,
               l.create_date + (coalesce(l.date_closed, now()) - l.create_date)
                   * j / (l.stage_idx + CASE WHEN l.outcome = 'won' THEN 0 ELSE 1 END) AS date,
               CASE WHEN j = 4 THEN %(subtype_won)s ELSE %(subtype_stage)s END AS subtype_id
          FROM sfb_gen_lead l
          JOIN res_users u ON u.id = coalesce(l.user_id, 2)
          CROSS JOIN LATERAL generate_series(1, l.stage_idx) j;
        CREATE TEMP TABLE sfb_gen_lost ON COMMIT DROP AS
        SELECT nextval('mail_message_id_seq') AS message_id, l.id AS lead_id,
               u.partner_id AS author_id, coalesce(l.user_id, 2) AS uid,
               l.date_closed AS date, c.lost_reason_id, r.name->>'en_US' AS reason
          FROM sfb_gen_lead l
          JOIN crm_lead c ON c.id = l.id
          JOIN crm_lost_reason r ON r.id = c.lost_reason_id
          JOIN res_users u ON u.id = coalesce(l.user_id, 2)
         WHERE l.outcome = 'lost';
        """,
    )
    step(
        "history_messages",
        """
        INSERT INTO mail_message (id, model, res_id, record_company_id, message_type,
                                  subtype_id, author_id, body, is_internal, date,
                                  create_uid, write_uid, create_date, write_date)
        SELECT message_id, 'crm.lead', lead_id, %(company_id)s, 'notification', subtype_id,
               author_id, '', false, date, uid, uid, date, date
          FROM sfb_gen_move
        UNION ALL
        SELECT message_id, 'crm.lead', lead_id, %(company_id)s, 'notification',
               %(subtype_lost)s, author_id, '', false, date, uid, uid, date, date
          FROM sfb_gen_lost;
        """,
    )
    step(
        "history_tracking",
        """
        INSERT INTO mail_tracking_value (mail_message_id, field_id, old_value_integer,
                                         new_value_integer, old_value_char, new_value_char,
                                         create_uid, write_uid, create_date, write_date)
        SELECT message_id, %(stage_field_id)s, old_stage, new_stage, old_name, new_name,
               uid, uid, date, date
          FROM sfb_gen_move
        UNION ALL
        SELECT message_id, %(lost_field_id)s, 0, lost_reason_id, '', reason,
               uid, uid, date, date
          FROM sfb_gen_lost;
        """,
    )
    # --- followers (the salesman, default subtypes) and planned activities ---
    step(
        "followers",
        """
        INSERT INTO mail_followers (res_model, res_id, partner_id)
        SELECT 'crm.lead', l.id, u.partner_id
          FROM sfb_gen_lead l JOIN res_users u ON u.id = l.user_id;
        INSERT INTO mail_followers_mail_message_subtype_rel
               (mail_followers_id, mail_message_subtype_id)
        SELECT f.id, st.id
          FROM sfb_gen_lead l
          JOIN mail_followers f ON f.res_model = 'crm.lead' AND f.res_id = l.id
          CROSS JOIN mail_message_subtype st
         WHERE st."default" AND NOT coalesce(st.hidden, false)
           AND (st.res_model IS NULL OR st.res_model = 'crm.lead');
        """,
    )
    step(
        "activities",
        """
        INSERT INTO mail_activity (res_model_id, res_model, res_id, res_name, activity_type_id,
                                   summary, date_deadline, user_id, automated, active,
                                   create_uid, write_uid, create_date, write_date)
        SELECT %(lead_model_id)s, 'crm.lead', l.id, c.name,
               CASE WHEN l.r_user < 0.5 THEN %(todo_type)s ELSE %(call_type)s END,
               'Follow up', (now() + interval '1 day' * (30 * l.r_close - 10))::date,
               l.user_id, false, true, l.user_id, l.user_id, now(), now()
          FROM sfb_gen_lead l JOIN crm_lead c ON c.id = l.id
         WHERE l.outcome = 'open' AND l.user_id IS NOT NULL AND l.r_revenue < 0.3;
        """,
    )
    t0 = time.perf_counter()
    counts = {}
    for table in (
        "res_partner",
        "crm_lead",
        "mail_message",
        "mail_tracking_value",
        "mail_followers",
        "mail_activity",
    ):
        cr.execute(f"ANALYZE {table}")
        cr.execute(f"SELECT count(*) FROM {table}")
        counts[table] = cr.fetchone()[0]
    timings["analyze_s"] = round(time.perf_counter() - t0, 2)
    env.invalidate_all()
    return {"n": n, "counts": counts, "timings": timings, "users": ref}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True, help="odoo.conf")
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("-n", "--leads", type=int, default=10000)
    args = parser.parse_args(argv)
    from bench import odoo_env

    odoo_env.setup(args.config)
    start = time.perf_counter()
    with odoo_env.environment(args.database, commit=True) as env:
        result = generate(env, args.leads)
    result["total_s"] = round(time.perf_counter() - start, 2)
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
