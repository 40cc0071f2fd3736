"""Build the demo force's area fixture from the Scottish Government data zone lookup in ../shared/domain-data.

Run once by a developer (the output is committed): python scripts/make_demo_areas.py
Police Scotland > 13 local policing divisions > 32 council areas > multi-member wards (with their data zones).
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "domain-data" / "scotland_datazone2011_to_ward_la_police-division.csv"
TARGET = ROOT / "src" / "byconsent" / "core" / "fixtures" / "police_scotland_areas.csv"
HEADER = """# Police Scotland geography for the ByConsent demo: divisions, council areas and multi-member wards with
# their 2011 data zones. Derived from the Scottish Government "Data Zone lookup" (2022-05-31 edition).
# Contains public sector information licensed under the Open Government Licence v3.0.
"""


def clean(name: str) -> str:
    return name.replace("\u00a0", " ").strip()


def main() -> int:
    if not SOURCE.exists():
        print(f"Source not found: {SOURCE}", file=sys.stderr)
        return 1
    divisions: dict[str, str] = {}
    councils: dict[str, tuple[str, str]] = {}
    wards: dict[str, tuple[str, str]] = {}
    zones: dict[str, list[str]] = defaultdict(list)
    with SOURCE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            divisions[row["SPD_Code"]] = clean(row["SPD_Name"])
            # A council area can straddle divisions in principle; key it by (division, council) to keep a tree.
            council_code = row["LA_Code"]
            councils.setdefault(council_code, (clean(row["LA_Name"]), row["SPD_Code"]))
            wards.setdefault(row["MMWard_Code"], (clean(row["MMWard_Name"]), council_code))
            zones[row["MMWard_Code"]].append(row["DZ2011_Code"])
    with TARGET.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        writer = csv.writer(out)
        writer.writerow(["level", "code", "name", "parent_code", "population", "zone_codes"])
        writer.writerow(["force", "police-scotland", "Police Scotland", "", "", ""])
        for code, name in sorted(divisions.items(), key=lambda item: item[1]):
            writer.writerow(["division", code, f"{name} division", "police-scotland", "", ""])
        for code, (name, division) in sorted(councils.items(), key=lambda item: item[1][0]):
            writer.writerow(["local_area", code, name, division, "", ""])
        for code, (name, council) in sorted(wards.items(), key=lambda item: item[1][0]):
            writer.writerow(["neighbourhood", code, name, council, "", ";".join(sorted(zones[code]))])
    print(f"Wrote {TARGET} ({len(divisions)} divisions, {len(councils)} council areas, {len(wards)} wards)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
