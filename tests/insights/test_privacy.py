"""The privacy registry's export lists every workspace row that names the person (codings, and the comparisons,
imports and other rows they created); erasure keeps those rows, linked to the anonymised account, as it does codings."""

from __future__ import annotations

import json

from byconsent.core.models import Role
from byconsent.core.privacy import erase_person, subject_access_export
from byconsent.insights import services
from byconsent.insights.models import CodingRecord, CrimeImport, HeardComparison, PopulationTargets

CRIME = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
         "Last outcome category,Context\na,2022-01,X,X,,,On or near A,S01000001,W,Burglary,,\n")


def test_export_lists_the_persons_own_workspace_rows_and_erasure_keeps_them_linked(
        analyst, make_user, area_tree, codebook, contributions):
    admin = make_user(Role.ADMINISTRATOR, area_tree["force"])
    colleague = make_user(Role.ANALYST, area_tree["force"])
    targets = services.save_targets(analyst, name="Age 2021", area=area_tree["north"],
                                    targets={"age_band": {"16-24": 0.4, "25+": 0.6}}, source="census: age.csv")
    mine = HeardComparison.objects.create(area=area_tree["north"], source_key="people", source_label="People register",
                                          filters={"channel": "in_person"}, inputs_key="a", created_by=analyst,
                                          result={"characteristics": [{"name": "age_band", "compared": 42}]})
    mine.targets.set([targets])
    HeardComparison.objects.create(area=area_tree["north"], source_key="people", source_label="Colleague's",
                                   inputs_key="b", created_by=colleague)
    crime_import = services.import_street_crime(analyst, file_name="2022-01-x-street.csv", csv_text=CRIME)
    services.import_street_crime(colleague, file_name="theirs.csv", csv_text=CRIME.replace("a,2022-01", "b,2022-01"))
    roads = codebook.codes.get(label="Roads")
    services.save_coding(analyst, contributions[0], codebook, [roads], note="see the photo Ms Smith sent")

    data = subject_access_export(admin, analyst)["data"]["insights"]
    assert [(c["id"], c["participants"], c["population_tables"], c["filters"]) for c in data["heard_comparisons"]] == [
        (mine.pk, "People register", ["Age 2021"], {"channel": "in_person"})]
    assert "result" not in data["heard_comparisons"][0]  # figures about participants, not about the analyst
    assert [(i["id"], i["file"], i["force"]) for i in data["crime_imports"]] == [
        (crime_import.pk, "2022-01-x-street.csv", "Test Force")]
    assert [t["name"] for t in data["population_tables_saved"]] == ["Age 2021"]
    assert [b["name"] for b in data["codebooks_created"]] == ["Community concerns"]
    assert data["codings"][0]["codes"] == ["Roads"]
    json.dumps(data)  # the export is plain JSON
    theirs = subject_access_export(admin, colleague)["data"]["insights"]
    assert [c["participants"] for c in theirs["heard_comparisons"]] == ["Colleague's"]
    assert [i["file"] for i in theirs["crime_imports"]] == ["theirs.csv"]

    erase_person(admin, analyst)
    analyst.refresh_from_db()
    assert analyst.email.endswith("@erased.invalid") and not analyst.is_active
    # Kept and still linked to the (anonymised) account, like codings; the coder's note is gone.
    assert HeardComparison.objects.get(pk=mine.pk).created_by == analyst
    assert CrimeImport.objects.get(pk=crime_import.pk).created_by == analyst
    assert PopulationTargets.objects.get(pk=targets.pk).created_by == analyst
    assert CodingRecord.objects.get(coder=analyst).note == ""
    after = subject_access_export(admin, analyst)["data"]["insights"]
    assert [c["id"] for c in after["heard_comparisons"]] == [mine.pk]
    assert HeardComparison.objects.filter(created_by=colleague).count() == 1
