"""Compare a core suite's JUnit results without and with the addon (make test-core).

Usage: core_compare.py VANILLA.xml ADDON.xml EXPECTED.txt

A test (or subtest) that fails only with the addon is a regression, unless EXPECTED.txt
lists it (``crm.tests.test_file.Class::test`` per line, ``#`` comments): a refusal of the
stage gate by design. Prints the counts of each side, the expected refusals apart, and
exits 1 on any regression or when an expected refusal no longer happens (the list must
stay true).
"""

import sys
import xml.etree.ElementTree as ET


def results(path):
    """{test id: "passed" | "failed" | "skipped"} from a pytest JUnit file."""
    out = {}
    for case in ET.parse(path).iter("testcase"):
        # "opt.odoo-19.0.odoo.addons.crm.tests.test_x.Class": drop where Odoo lives
        classname = case.get("classname").rpartition(".addons.")[2]
        test_id = f"{classname}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            out[test_id] = "failed"
        elif case.find("skipped") is not None:
            out[test_id] = "skipped"
        else:
            out[test_id] = "passed"
    return out


def expected(path):
    with open(path, encoding="utf-8") as handle:
        return {line.split("#", 1)[0].strip() for line in handle if line.split("#", 1)[0].strip()}


def main(vanilla_path, addon_path, expected_path):
    vanilla, addon, by_design = results(vanilla_path), results(addon_path), expected(expected_path)

    def count(res, state):
        return sum(1 for value in res.values() if value == state)

    for name, res in (("vanilla", vanilla), ("addon", addon)):
        print(
            f"[test-core] {name}: {len(res)} tests, {count(res, 'passed')} passed, "
            f"{count(res, 'failed')} failed, {count(res, 'skipped')} skipped"
        )
    new_failures = sorted(
        test_id
        for test_id, state in addon.items()
        if state == "failed" and vanilla.get(test_id) != "failed"
    )
    missing = sorted(set(vanilla) - set(addon))
    refused = [test_id for test_id in new_failures if test_id in by_design]
    regressions = [test_id for test_id in new_failures if test_id not in by_design]
    stale = sorted(
        test_id
        for test_id in by_design
        if test_id.split("::")[0] in {t.split("::")[0] for t in addon}
        and addon.get(test_id) != "failed"
    )
    for test_id in refused:
        print(f"[test-core] refused by the stage gate by design: {test_id}")
    for test_id in regressions:
        print(f"[test-core] REGRESSION (fails only with the addon): {test_id}")
    for test_id in missing:
        print(f"[test-core] REGRESSION (not run with the addon): {test_id}")
    for test_id in stale:
        print(f"[test-core] listed as refused by design but did not fail: {test_id}")
    if regressions or missing or stale:
        return 1
    print("[test-core] OK: no test fails only because of the addon")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
