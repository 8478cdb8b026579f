# Test users and data for the browser tests; piped into `odoo-bin shell` by scripts/e2e.sh.
# (A script run once against a throwaway database: the commit at the end is intended.)
env = env  # noqa: F821 - provided by odoo-bin shell

Users = env["res.users"].with_context(no_reset_password=True)
salesman = Users.create(
    {
        "name": "E2E Salesman",
        "login": "e2e_salesman",
        "password": "e2e_salesman",
        "lang": "en_US",
        "tz": "UTC",
        "group_ids": [(6, 0, [env.ref("sales_team.group_sale_salesman").id])],
    }
)
salesman_zh = Users.create(
    {
        "name": "E2E 销售",
        "login": "e2e_salesman_zh",
        "password": "e2e_salesman_zh",
        "lang": "zh_CN",
        "tz": "Asia/Shanghai",
        "group_ids": [(6, 0, [env.ref("sales_team.group_sale_salesman").id])],
    }
)
manager = Users.create(
    {
        "name": "E2E Manager",
        "login": "e2e_manager",
        "password": "e2e_manager",
        "lang": "en_US",
        "tz": "UTC",
        "group_ids": [(6, 0, [env.ref("sales_team.group_sale_manager").id])],
    }
)
team = env["crm.team"].create(
    {
        "name": "E2E Team",
        "user_id": manager.id,
        "member_ids": [(6, 0, (salesman | salesman_zh).ids)],
    }
)
partner = env["res.partner"].create({"name": "E2E Customer Ltd", "is_company": True})
Lead = env["crm.lead"]
Lead.create(
    [
        {
            "name": "E2E Score me",
            "type": "opportunity",
            "user_id": salesman.id,
            "team_id": team.id,
            "partner_id": partner.id,
        },
        {
            "name": "E2E 评分线索",
            "type": "opportunity",
            "user_id": salesman_zh.id,
            "team_id": team.id,
            "partner_id": partner.id,
        },
    ]
)
env.cr.commit()
print("e2e data ready")
