from django.db import migrations

PURPOSES = [
    ("service", "Service messages", "Messages you asked for yourself, such as a link to sign in to your details.",
     True),
    ("consultation-alerts", "Consultation alerts",
     "We email you when we open a consultation about your area or the topics you chose.", False),
    ("panel-invitations", "Citizens' panel invitations",
     "We may invite you to put your name forward for a citizens' panel chosen by fair lottery.", False),
    ("standing-panel", "Standing panel",
     "As a member of our standing panel we contact you a few times a year with short surveys and invitations.",
     False),
    ("you-said-we-did", "You said, we did",
     "We tell you what we did about what people said, when you took part.", False),
]


def add(apps, schema_editor):
    Purpose = apps.get_model("people", "Purpose")
    for slug, name, description, is_service in PURPOSES:
        Purpose.objects.get_or_create(slug=slug, defaults={"name": name, "description": description,
                                                           "is_service": is_service})


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
