"""Registry of benchmark operations.

An operation is a function ``op(env, ctx)`` doing its (untimed) set-up and returning a
callable ``run()`` that performs the timed work and returns the number of items it
processed (leads, rows, ...). The runner executes each operation in its own process,
inside a transaction that is rolled back afterwards, once on the database with the
addon (``ctx.addon`` is True) and, when ``vanilla=True``, once on the vanilla-CRM
database with the same data (``ctx.addon`` is False: do the closest vanilla work).

``ctx`` has ``n`` (number of leads generated), ``addon`` (bool) and ``sample(k)``
helpers; see bench/runner.py.
"""

OPERATIONS = {}


def operation(name, vanilla=True, unit="leads", group="core"):
    def decorator(func):
        OPERATIONS[name] = {
            "name": name,
            "func": func,
            "vanilla": vanilla,
            "unit": unit,
            "group": group,
            "module": func.__module__,
        }
        return func

    return decorator
