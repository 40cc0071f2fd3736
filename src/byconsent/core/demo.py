"""Demo data: the real Police Scotland geography, demo postcodes, and one demo account for each role.

Loaded by `byconsent demo` (and by `make run` when the database is empty). Demo staff accounts come with a known
authenticator-app secret so the mandatory second factor can be used straight away; `byconsent demo-code EMAIL`
prints the current six-digit code.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.db import transaction

from byconsent.core.models import Area, PostcodeArea, Role, RoleAssignment, User
from byconsent.core.services import import_areas, record_contribution

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEMO_PASSWORD = "consent-demo-2026"  # noqa: S105  (published demo credential, demo data only)
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105  (published demo credential)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: str | None
    area_code: str | None


DEMO_ACCOUNTS = [
    DemoAccount("admin@demo.byconsent.test", "Alex Admin", Role.ADMINISTRATOR, "police-scotland"),
    DemoAccount("engagement@demo.byconsent.test", "Eilidh Engagement", Role.ENGAGEMENT_OFFICER, "S32000006"),
    DemoAccount("analyst@demo.byconsent.test", "Ana Analyst", Role.ANALYST, "police-scotland"),
    DemoAccount("officer@demo.byconsent.test", "PC Lewis Local", Role.LOCAL_OFFICER, "S32000006"),
    DemoAccount("glasgow.officer@demo.byconsent.test", "PC Morag Glasgow", Role.LOCAL_OFFICER, "S32000018"),
    DemoAccount("commander@demo.byconsent.test", "Ch Supt Catriona Commander", Role.COMMANDER, "S32000006"),
    DemoAccount("ethics@demo.byconsent.test", "Dr Euan Ethics", Role.ETHICS_PANEL, "police-scotland"),
    DemoAccount("host@demo.byconsent.test", "Hamish Host", Role.COMMUNITY_HOST, "S12000036"),
    DemoAccount("resident@demo.byconsent.test", "Rhona Resident", None, None),
]

DEMO_CONTRIBUTIONS = [
    ("S13002928", "online_survey",
     "Speeding on the main road past the primary school at pick-up time worries parents."),
    ("S13002928", "focus_group", "Young people said they would talk to officers more if they saw the same faces."),
    ("S13002931", "paper", "Street lighting in the park is poor and people avoid walking through after dark."),
    ("S13002931", "idea", "Hold a monthly drop-in at the library so older residents can meet the local team."),
    ("S13003063", "online_survey", "Antisocial behaviour near the shopping centre has improved since the summer."),
    ("S13003063", "phone", "Parking on pavements blocks wheelchair users and people with prams."),
]


_app_demo_loaders: dict[str, Callable[[], dict[str, Any]]] = {}


def register_demo_loader(name: str, loader: Callable[[], dict[str, Any]]) -> None:
    """Feature apps add their demo records (called after the kernel's, in app order; each must be idempotent)."""
    _app_demo_loaders[name] = loader


def load_demo() -> dict[str, Any]:
    """Idempotent: loads only what is missing."""
    counts: dict[str, Any] = {"areas": 0, "postcodes": 0, "accounts": 0, "contributions": 0}
    if not Area.objects.exists():
        text = (FIXTURES / "police_scotland_areas.csv").read_text(encoding="utf-8")
        report = import_areas(None, text)
        if not report.ok:
            raise RuntimeError("Demo area fixture is invalid: " + "; ".join(report.errors))
        counts["areas"] = report.created
    with transaction.atomic():
        counts["postcodes"] = _load_postcodes()
        counts["accounts"] = sum(_ensure_account(account) for account in DEMO_ACCOUNTS)
        counts["contributions"] = _load_contributions()
    for name, loader in _app_demo_loaders.items():
        counts[name] = loader()
    return counts


def _load_postcodes() -> int:
    created = 0
    with (FIXTURES / "demo_postcodes.csv").open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        for row in rows:
            area = Area.objects.filter(code=row["area_code"]).first()
            if area is not None:
                _, was_created = PostcodeArea.objects.get_or_create(postcode=row["postcode"], defaults={"area": area})
                created += was_created
    return created


def _ensure_account(account: DemoAccount) -> int:
    if User.objects.filter(email=account.email).exists():
        return 0
    user = User.objects.create_user(email=account.email, password=DEMO_PASSWORD, full_name=account.name)
    EmailAddress.objects.create(user=user, email=account.email, verified=True, primary=True)
    if account.role is not None and account.area_code is not None:
        RoleAssignment.objects.create(user=user, role=account.role, area=Area.objects.get(code=account.area_code))
        if account.role in Role.staff_roles():
            TOTP.activate(user, DEMO_TOTP_SECRET)
    return 1


def _load_contributions() -> int:
    from byconsent.core.models import Contribution

    if Contribution.objects.exists():
        return 0
    created = 0
    for ward_code, channel, text in DEMO_CONTRIBUTIONS:
        area = Area.objects.filter(code=ward_code).first()
        record_contribution(channel=channel, text=text, area=area, recorded_by="demo")
        created += 1
    return created


def current_code(secret: str = DEMO_TOTP_SECRET) -> str:
    """The authenticator-app code for this 30-second window."""
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
