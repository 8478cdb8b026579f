"""Registry of benchmark operations.

An operation is a function ``op(env, ctx)`` doing its (untimed) set-up and returning a
callable ``run()`` that performs the timed work and returns the number of items it
processed (leads, rows, ...). The runner executes each operation in its own process,
inside a transaction that is rolled back afterwards, once on the database with the
addon (``ctx.addon`` is True) and, when ``vanilla=True``, once on the vanilla-CRM
database with the same data (``ctx.addon`` is False: do the closest vanilla work).

``env`` belongs to the operation's ``user``: "admin" (the administrator, default),
"manager" (a sales manager leading a team) or "salesman" (a salesman of that team);
the pending ORM writes are flushed inside the timed section, so ``run()`` does not
need to flush.

``ctx`` (see bench/run_op.py) has:
- ``n``: number of leads generated; ``addon``: bool;
- ``sample(k, where="TRUE")``: k lead ids drawn at random (same draw on both databases)
  among the leads matching the SQL condition on ``crm_lead``;
- ``user(role)``: the res.users record of a role ("admin", "manager", "salesman");
- ``env_as(role)``: an environment of the same cursor for that role.

Options: ``vanilla`` (also run on the vanilla database), ``unit`` (what ``run()``
counts, shown as items/s), ``group`` (free label), ``user`` (see above), ``target``
(the acceptance target, printed in the table's notes, e.g. ">= 5000 leads/s").
"""

OPERATIONS = {}


def operation(name, vanilla=True, unit="leads", group="core", user="admin", target=""):
    def decorator(func):
        OPERATIONS[name] = {
            "name": name,
            "func": func,
            "vanilla": vanilla,
            "unit": unit,
            "group": group,
            "user": user,
            "target": target,
            "module": func.__module__,
        }
        return func

    return decorator


def load_operations():
    """Import every module of bench/ops; returns {module name: error} of those that fail.

    A broken module of one feature must not hide the others' figures: the runner
    reports it as a FAILED row.
    """
    import importlib
    import pkgutil
    import traceback

    from bench import ops

    errors = {}
    for info in sorted(pkgutil.iter_modules(ops.__path__), key=lambda m: m.name):
        name = f"bench.ops.{info.name}"
        try:
            importlib.import_module(name)
        except Exception:
            errors[name] = traceback.format_exc(limit=3)
    return errors
