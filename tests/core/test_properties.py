"""General rules checked over many generated cases."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byconsent.core.area_import import parse_area_csv
from byconsent.core.html import clean_html
from byconsent.core.models import Area, Role, RoleAssignment, User
from byconsent.core.policy import Action, can

# parent index for each of up to 12 areas below the force: each area hangs under an earlier one (or the force).
trees = st.lists(st.integers(min_value=0, max_value=11), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parents=trees, assigned=st.integers(min_value=0, max_value=12))
def test_a_role_reaches_exactly_the_assigned_subtree(db, parents, assigned):
    RoleAssignment.objects.all().delete()
    for level in sorted(Area.Level.values, reverse=True):  # children first: parents are protected
        Area.objects.filter(level=level).delete()
    User.objects.all().delete()
    force = Area.objects.create(code="F", name="F", level=Area.Level.FORCE)
    nodes = [force]
    parent_of: dict[int, int | None] = {0: None}
    for index, raw_parent in enumerate(parents, start=1):
        candidates = [i for i, n in enumerate(nodes) if n.level < Area.Level.NEIGHBOURHOOD]
        parent_index = candidates[raw_parent % len(candidates)]
        parent = nodes[parent_index]
        nodes.append(Area.objects.create(code=f"A{index}", name=f"A{index}", level=parent.level + 1, parent=parent))
        parent_of[index] = parent_index
    target = assigned % len(nodes)
    user = User.objects.create_user(email="u@example.test")
    RoleAssignment.objects.create(user=user, role=Role.LOCAL_OFFICER, area=nodes[target])

    def descends(index: int) -> bool:  # computed from the parent list, independently of the stored paths
        current: int | None = index
        while current is not None:
            if current == target:
                return True
            current = parent_of[current]
        return False

    for index, node in enumerate(nodes):
        assert can(user, Action.VIEW_CONTRIBUTIONS, node) == descends(index)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"), max_size=30))
def test_any_name_in_a_bad_row_is_reported_not_dropped(name):
    csv_text = f'level,code,name,parent_code\nforce,F,Force,\nplanet,P,"{name.replace(chr(34), "")}",F\n'
    parsed = parse_area_csv(csv_text, {})
    assert [row.code for row in parsed.rows] == ["F"]
    assert len(parsed.errors) == 1 and parsed.errors[0].startswith("Line 3:")


@given(st.text(max_size=200))
def test_cleaned_html_never_keeps_script_or_handlers(text):
    cleaned = clean_html(text + '<script>alert(1)</script><a href="javascript:x" onclick="y">z</a>').lower()
    assert "<script" not in cleaned and "onclick" not in cleaned and "javascript:" not in cleaned
