"""Rebuild i18n/sales_funnel_std.pot and i18n/zh_CN.po.

Usage: python scripts/i18n_update.py EXPORTED.pot
The template comes from Odoo's own exporter (scripts/i18n_update.sh). zh_CN.po gets
every template entry; each msgstr comes from the i18n_src/*.po fragments, else from the
current zh_CN.po. Untranslated entries are listed (and `make test` fails on them).
"""

import pathlib
import sys

import polib

ROOT = pathlib.Path(__file__).resolve().parent.parent
I18N = ROOT / "sales_funnel_std" / "i18n"


def main(exported):
    pot = polib.pofile(exported)
    known = {}
    current = I18N / "zh_CN.po"
    if current.exists():
        known.update({e.msgid: e.msgstr for e in polib.pofile(str(current)) if e.msgstr})
    for fragment in sorted((ROOT / "i18n_src").glob("*.po")):
        known.update({e.msgid: e.msgstr for e in polib.pofile(str(fragment)) if e.msgstr})
    pot.save(str(I18N / "sales_funnel_std.pot"))
    po = polib.POFile()
    po.metadata = dict(pot.metadata)
    po.metadata.update({"Language": "zh_CN", "Plural-Forms": "nplurals=1; plural=0;"})
    po.metadata.pop("Language-Team", None)
    missing = []
    for entry in pot:
        new = polib.POEntry(
            msgid=entry.msgid,
            msgstr=known.get(entry.msgid, ""),
            occurrences=entry.occurrences,
            comment=entry.comment,
            tcomment=entry.tcomment,
            flags=[f for f in entry.flags if f != "fuzzy"],
        )
        if not new.msgstr:
            missing.append(entry.msgid)
        po.append(new)
    po.save(str(current))
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    print(f"{len(pot)} entries, {len(missing)} untranslated")


if __name__ == "__main__":
    main(sys.argv[1])
