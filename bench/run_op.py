"""Run one benchmark operation in this (fresh) process and print its figures as JSON.

Usage: python -m bench.run_op -c odoo.conf -d DB --op NAME -n N [--addon] [--out FILE]

Opens the registry of DB, builds an environment for the operation's user, calls the
operation's set-up (untimed), then times ``run()`` plus what a commit would do first
(flush of the pending writes and the precommit hooks: tracking messages...), counts
the SQL queries of that section (``cr.sql_log_count``), records the process's peak RSS
and the RSS growth during ``run()``, and ROLLS BACK. This is repeated ``--repeat``
times (default 3, env BENCH_REPEAT; 7 for runs under a second, 15 under 0.1 s) in the
same process; the fastest run is reported (the least disturbed by the other jobs of a
shared machine), with every timing in the JSON.
"""

import argparse
import json
import os
import resource
import sys
import time
import traceback

QUICK_S = 1.0  # operations faster than this are repeated QUICK_REPEAT times
QUICK_REPEAT = 7
INSTANT_S = 0.1  # and those faster than this INSTANT_REPEAT times (noise of a shared machine)
INSTANT_REPEAT = 15
ROLE_LOGINS = {"manager": "bench_manager_1", "salesman": "bench_salesman_1_1"}


def current_rss():
    """Resident set size of this process, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Context:
    def __init__(self, env, n, addon):
        self.env = env
        self.n = n
        self.addon = addon

    def user(self, role):
        if role == "admin":
            return self.env.ref("base.user_admin")
        login = ROLE_LOGINS[role]
        user = self.env["res.users"].sudo().search([("login", "=", login)])
        if not user:
            raise LookupError(f"bench user {login} missing: was the database generated?")
        return user

    def env_as(self, role):
        user = self.user(role)
        return self.env(user=user.id)

    def sample(self, k, where="TRUE"):
        """k lead ids at random among ``crm_lead`` rows matching ``where`` (fixed seed)."""
        cr = self.env.cr
        cr.execute("SELECT setseed(0.17)")
        cr.execute(f"SELECT id FROM crm_lead WHERE {where} ORDER BY random(), id LIMIT %s", [k])
        return [row[0] for row in cr.fetchall()]


def run(config, dbname, op_name, n, addon, repeat=3):
    from bench import odoo_env
    from bench.registry import OPERATIONS, load_operations

    odoo_env.setup(config)
    errors = load_operations()
    if op_name not in OPERATIONS:
        raise LookupError(f"unknown operation {op_name!r}; import errors: {errors}")
    spec = OPERATIONS[op_name]
    samples = []
    with odoo_env.environment(dbname) as root_env:
        cr = root_env.cr
        runs = max(1, repeat)
        while len(samples) < runs:
            ctx = Context(root_env, n, addon)
            env = ctx.env_as(spec["user"])
            ctx.env = env
            runner = spec["func"](env, ctx)
            cr.flush()
            rss_before = current_rss()
            queries_before = cr.sql_log_count
            start = time.perf_counter()
            items = runner()
            # what COMMIT would do first: flush, then the precommit hooks (tracking...)
            cr.flush()
            elapsed = time.perf_counter() - start
            queries = cr.sql_log_count - queries_before
            rss_after = current_rss()
            cr.rollback()
            samples.append((elapsed, queries, rss_after - rss_before, items))
            if elapsed < QUICK_S:
                runs = max(runs, QUICK_REPEAT)  # cheap: more runs, less noise
            if elapsed < INSTANT_S:
                runs = max(runs, INSTANT_REPEAT)
    best = min(samples, key=lambda sample: sample[0])
    return {
        "op": op_name,
        "db": dbname,
        "addon": addon,
        "ok": True,
        "seconds": best[0],
        "all_seconds": [sample[0] for sample in samples],
        "queries": min(sample[1] for sample in samples),
        "all_queries": [sample[1] for sample in samples],
        "items": best[3] if isinstance(best[3], int | float) else None,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "rss_growth": max(sample[2] for sample in samples),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--op", required=True)
    parser.add_argument("-n", "--leads", type=int, required=True)
    parser.add_argument("--addon", action="store_true")
    parser.add_argument(
        "--repeat",
        type=int,
        default=int(os.environ.get("BENCH_REPEAT") or 3),
        help="runs of set-up + timed section (each rolled back); the fastest is kept",
    )
    parser.add_argument("--out", help="write the JSON result there (default: stdout)")
    args = parser.parse_args(argv)
    try:
        result = run(args.config, args.database, args.op, args.leads, args.addon, args.repeat)
    except Exception as exc:
        result = {
            "op": args.op,
            "db": args.database,
            "addon": args.addon,
            "ok": False,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
    text = json.dumps(result)
    if args.out:
        with open(args.out, "w") as out:
            out.write(text)
    else:
        sys.stdout.write(text + "\n")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
