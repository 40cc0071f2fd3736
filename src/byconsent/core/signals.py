"""Model-level change history (django-auditlog) for the kernel's own records, beside service audit entries."""

from auditlog.registry import auditlog

from byconsent.core.models import Area, Contribution, RoleAssignment, User

auditlog.register(Area)
auditlog.register(RoleAssignment)
auditlog.register(Contribution, exclude_fields=["text"])
auditlog.register(User, include_fields=["email", "is_active", "is_superuser", "full_name"])
