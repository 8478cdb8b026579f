"""Open an Odoo 19 registry and environment from a plain Python process.

Shared by the generator, the operation runner and the install cycle; none of them
goes through ``odoo-bin`` so that they control transactions (commit or roll back)
and measure the process themselves.
"""

import contextlib
import logging

ODOO_LOG_LEVEL = "warn"


def setup(config_path, log_level=ODOO_LOG_LEVEL):
    """Load the project's odoo.conf (addons path, DB credentials)."""
    from odoo.tools import config

    config.parse_config(["-c", config_path, f"--log-level={log_level}"], setup_logging=True)
    logging.getLogger("odoo.modules.loading").setLevel(logging.WARNING)


@contextlib.contextmanager
def environment(dbname, uid=None, context=None, commit=False):
    """Yield an environment on ``dbname``; commit only when ``commit`` is True."""
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    registry = Registry(dbname)
    with registry.cursor() as cr:
        env = api.Environment(cr, uid or SUPERUSER_ID, context or {})
        try:
            yield env
        except BaseException:
            cr.rollback()
            raise
        if commit:
            env.flush_all()
            cr.commit()
        else:
            cr.rollback()
