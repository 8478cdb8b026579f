"""Rebuild i18n/sales_funnel_std.pot and merge it into i18n/zh_CN.po (like msgmerge).

Usage: python scripts/i18n_update.py EXPORTED.pot
The template comes from Odoo's own exporter (scripts/i18n_update.sh). ``zh_CN.po`` is the one
source of the translations, the file translators edit: every template entry is kept with its
current translation there, new entries come in untranslated (translate them in place),
entries gone from the template are dropped. Untranslated entries are listed (and `make test`
fails on them).
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
    # views re-indented after translation keep their translation
    by_words = {" ".join(msgid.split()): msgstr for msgid, msgstr in known.items()}
    pot.save(str(I18N / "sales_funnel_std.pot"))
    po = polib.POFile()
    po.metadata = dict(pot.metadata)
    po.metadata.update({"Language": "zh_CN", "Plural-Forms": "nplurals=1; plural=0;"})
    po.metadata.pop("Language-Team", None)
    missing = []
    for entry in pot:
        new = polib.POEntry(
            msgid=entry.msgid,
            msgstr=known.get(entry.msgid) or by_words.get(" ".join(entry.msgid.split()), ""),
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
