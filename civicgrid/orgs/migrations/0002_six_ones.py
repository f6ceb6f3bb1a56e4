"""The seed's "6个1" set-up checklist, as the default template every new organisation gets."""

from django.db import migrations

ITEMS = [
    ("一次启动会", "召开成立（启动）大会，选举产生执委会", 15),
    ("一次调研", "摸清女性职工 / 成员底数和需求", 30),
    ("一本政策汇编", "发放妇女儿童权益与妇联工作政策汇编", 30),
    ("一套文书模板", "建立会议记录、台账等文书模板", 45),
    ("一次指导走访", "上级妇联上门指导一次", 60),
    ("一份礼包", "送达新建组织“娘家人”礼包", 60),
]


def seed(apps, schema_editor):
    Template = apps.get_model("orgs", "ChecklistTemplate")
    Item = apps.get_model("orgs", "ChecklistItem")
    if Template.objects.filter(name="6个1").exists():
        return
    template = Template.objects.create(name="6个1", version=1, kinds=[], is_active=True)
    Item.objects.bulk_create(
        Item(template=template, position=i, title=title, description=text, due_days=days, needs_evidence=True)
        for i, (title, text, days) in enumerate(ITEMS, start=1)
    )


def unseed(apps, schema_editor):
    apps.get_model("orgs", "ChecklistTemplate").objects.filter(name="6个1", version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
