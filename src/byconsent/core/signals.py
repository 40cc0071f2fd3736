"""Model-level change history (django-auditlog) for the kernel's own records, beside service audit entries."""

from auditlog.registry import auditlog

from byconsent.core.models import Area, Contribution, RoleAssignment, User

auditlog.register(Area)
auditlog.register(RoleAssignment)
# The row's own columns only, never the text: with exclude_fields alone, django-auditlog also reads every reverse
# one-to-one relation other apps add to a contribution (a query each, for every contribution recorded).
auditlog.register(Contribution, include_fields=[field.name for field in Contribution._meta.concrete_fields
                                                if field.name != "text"])
auditlog.register(User, include_fields=["email", "is_active", "is_superuser", "full_name"])
