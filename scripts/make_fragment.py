"""Write an i18n_src fragment from a {msgid: msgstr} dict (developer helper).

Usage: python scripts/make_fragment.py i18n_src/x.po < pairs.json
"""

import json
import sys

import polib


def main(path):
    pairs = json.load(sys.stdin)
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "zh_CN"}
    for msgid, msgstr in pairs.items():
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    po.save(path)


if __name__ == "__main__":
    main(sys.argv[1])
