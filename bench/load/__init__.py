"""`make load`: the addon under concurrent load on a real prefork Odoo (issue 19).

- ``databases``: the bench databases (bench/runner.py's builder) and per-run copies;
- ``server``: Odoo nodes (odoo-bin ``--workers``) and a private PostgreSQL cluster;
- ``setup``: load users and the working set, run inside Odoo (ORM);
- ``client``: JSON-RPC sessions over HTTP, errors classified by kind;
- ``mix``: what a salesperson does (score, tick, upload, move, follow-up, kanban);
- ``invariants``: the database checks after a run (SQL);
- ``scenarios``: two nodes on one database, faults (kill -9, PostgreSQL restart);
- ``runner``: the command line (``python -m bench.load.runner``, scripts/load.sh).
"""
