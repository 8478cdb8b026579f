"""Fail when i18n/zh_CN.po misses a translation (run by `make test`).

Usage: python scripts/check_i18n.py [TEMPLATE.pot]
TEMPLATE defaults to the committed i18n/sales_funnel_std.pot; `make test` passes a
template freshly exported from the test database, so strings added to the code without
a zh_CN translation fail the build.
"""

import pathlib
import sys

import polib

ADDON = pathlib.Path(__file__).resolve().parent.parent / "sales_funnel_std"


def main():
    po_path = ADDON / "i18n" / "zh_CN.po"
    pot_path = (
        pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ADDON / "i18n" / "sales_funnel_std.pot"
    )
    if not po_path.exists() or not pot_path.exists():
        sys.exit(f"missing {po_path} or {pot_path}")
    po = polib.pofile(str(po_path))
    pot = polib.pofile(str(pot_path))
    translated = {entry.msgid for entry in po if entry.msgstr and "fuzzy" not in entry.flags}
    missing = [entry.msgid for entry in pot if entry.msgid and entry.msgid not in translated]
    if missing:
        for msgid in missing:
            print(f"untranslated: {msgid!r}")
        sys.exit(f"{len(missing)} entries of {pot_path.name} are not translated in zh_CN.po")
    print(f"[i18n] zh_CN.po complete: {len(translated)} entries")


if __name__ == "__main__":
    main()
