"""Fill in the Welsh and Scottish Gaelic translations we have for the most-seen strings (the page frame, the
public home page and the language names). Everything else stays untranslated (shown in English) until a
translator completes the .po files. Run after `byconsent manage makemessages -l cy -l gd`, then compilemessages.
"""

from __future__ import annotations

import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "src" / "byconsent" / "locale"

TRANSLATIONS: dict[str, dict[str, str]] = {
    "cy": {
        "English": "Saesneg", "Welsh": "Cymraeg", "Scottish Gaelic": "Gaeleg yr Alban", "Language": "Iaith",
        "Skip to main content": "Neidio i'r prif gynnwys", "Menu": "Dewislen", "Home": "Hafan",
        "Sign in": "Mewngofnodi", "Sign out": "Allgofnodi", "Staff": "Staff", "Beta": "Beta",
        "Your feedback helps us improve this service.": "Bydd eich adborth yn ein helpu i wella'r gwasanaeth hwn.",
        "Support links": "Dolenni cymorth", "Privacy notice": "Hysbysiad preifatrwydd", "Cookies": "Cwcis",
        "Accessibility statement": "Datganiad hygyrchedd", "Service information": "Gwybodaeth am y gwasanaeth",
        "Have your say on policing": "Dweud eich dweud am blismona",
        "Have your say on policing where you live": "Dweud eich dweud am blismona lle rydych chi'n byw",
        "Find what is happening near you": "Dod o hyd i'r hyn sy'n digwydd yn agos atoch",
        "Open now": "Ar agor nawr", "Contacting the police": "Cysylltu â'r heddlu", "Postcode": "Cod post",
        "There is nothing open for comment here at the moment.":
            "Does dim byd ar agor am sylwadau yma ar hyn o bryd.",
        "There is a problem": "Mae problem wedi codi", "Continue": "Parhau", "Back": "Yn ôl",
    },
    "gd": {
        "English": "Beurla", "Welsh": "Cuimris", "Scottish Gaelic": "Gàidhlig", "Language": "Cànan",
        "Skip to main content": "Leum gun phrìomh shusbaint", "Menu": "Clàr-taice", "Home": "Dachaigh",
        "Sign in": "Clàraich a-steach", "Sign out": "Clàraich a-mach", "Staff": "Luchd-obrach", "Beta": "Beta",
        "Your feedback helps us improve this service.":
            "Cuidichidh do bheachdan sinn gus an t-seirbheis seo a leasachadh.",
        "Support links": "Ceanglaichean taice", "Privacy notice": "Sanas prìobhaideachd", "Cookies": "Briosgaidean",
        "Accessibility statement": "Aithris so-ruigsinneachd", "Service information": "Fiosrachadh na seirbheise",
        "Have your say on policing": "Abair do ghuth mu phoileasachd",
        "Have your say on policing where you live": "Abair do ghuth mu phoileasachd far a bheil thu a' fuireach",
        "Find what is happening near you": "Faigh a-mach dè tha a' tachairt faisg ort",
        "Open now": "Fosgailte an-dràsta", "Contacting the police": "Cur fios dha na poileis", "Postcode": "Còd-puist",
        "There is nothing open for comment here at the moment.":
            "Chan eil dad fosgailte airson beachdan an-seo aig an àm seo.",
        "There is a problem": "Tha duilgheadas ann", "Continue": "Lean air adhart", "Back": "Air ais",
    },
}


def fill(po_path: Path, translations: dict[str, str]) -> int:
    text = po_path.read_text(encoding="utf-8")
    filled = 0
    for source, target in translations.items():
        escaped = source.replace('"', '\\"')
        pattern = re.compile(rf'(msgid "{re.escape(escaped)}"\nmsgstr )""')
        text, count = pattern.subn(lambda m, t=target: m.group(1) + '"' + t.replace('"', '\\"') + '"', text)
        filled += count
    po_path.write_text(text, encoding="utf-8")
    return filled


def main() -> None:
    for language, translations in TRANSLATIONS.items():
        count = fill(LOCALE / language / "LC_MESSAGES" / "django.po", translations)
        print(f"{language}: {count} strings filled")


if __name__ == "__main__":
    main()
