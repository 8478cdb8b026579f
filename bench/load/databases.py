"""The load test's databases, built with the benchmark builder (bench/runner.py).

``load_vanilla_<N>``: crm + project + N generated leads (``bench.generate``), cached like
``make bench`` caches ``sfb_vanilla_<N>``. ``load_addon_<N>``: a copy with sales_funnel_std
installed and the standard funnel adopted, cached under a key of the vanilla database
and the addon's source. Each run works on a throw-away copy (``load_run_*``): a run
moves leads and logs follow-ups, the templates stay pristine.
"""

import hashlib
import json

from bench import runner as bench

ADDON_DIR = bench.REPO_ROOT / bench.MODULE


def addon_key(vanilla_comment):
    digest = hashlib.sha1(vanilla_comment.encode())
    for path in sorted(ADDON_DIR.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".xml", ".csv"}:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_templates(n, prefix="load"):
    """``(vanilla template, addon template)`` with N leads, built when missing/stale."""
    (bench.RESULTS_DIR / "logs").mkdir(parents=True, exist_ok=True)
    vanilla_db, _info = bench.ensure_vanilla(n, f"{prefix}_vanilla_{n}")
    addon_db = f"{prefix}_addon_{n}"
    key = addon_key(bench.db_comment(vanilla_db) or "")
    if (bench.db_comment(addon_db) or "").startswith(f"load-addon {key}"):
        bench.log(f"reusing {addon_db} (addon and data unchanged)")
        return vanilla_db, addon_db
    bench.log(f"building {addon_db}: copy of {vanilla_db}, install {bench.MODULE}")
    bench.db_copy(vanilla_db, addon_db)
    seconds, _rss, status = bench.measured(
        bench.odoo_cmd("-d", addon_db, "-i", bench.MODULE, "--stop-after-init", "--log-level=warn"),
        f"load_addon_{n}_install",
    )
    if status:
        raise RuntimeError(
            f"installing on {addon_db} failed:\n{bench.tail(f'load_addon_{n}_install')}"
        )
    with bench.db_cursor(addon_db) as cr:
        cr.execute(bench.ADOPT_FUNNEL)
    bench.settle(addon_db, vanilla_db)
    info = json.dumps({"install_s": round(seconds, 1)})
    bench.pg(f'COMMENT ON DATABASE "{addon_db}" IS %s', [f"load-addon {key} {info}"])
    return vanilla_db, addon_db


def run_copy(template, name):
    """A fresh copy of ``template`` for one run (files of the filestore included)."""
    bench.db_copy(template, name)
    return name
