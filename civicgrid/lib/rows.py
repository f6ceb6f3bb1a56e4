"""Insert one model instance with its INSERT statement built once per model, not once per call.

`Model.save()` compiles its INSERT on every call, which costs more than the statement itself on a fast
database. `insert(obj)` builds the statement once per model and database vendor, fills in the values
the way `save()` does (each field's `pre_save`, so `auto_now_add` and defaults apply, then
`get_db_prep_save`) and sets the new primary key on the instance. It sends no signals and runs no
`save()` override, so it refuses models that have `pre_save`/`post_save` receivers and falls back to
`save()` for them. Use it where one insert is on a measured hot path; everywhere else, call `save()`.
"""

from __future__ import annotations

from django.db import connections, router
from django.db.models import Model
from django.db.models.signals import post_save, pre_save

_statements: dict[tuple[type[Model], str], tuple[str, list, list[bool]]] = {}


def insert(obj: Model) -> Model:
    """INSERT `obj` (whose primary key is not set yet) and set its primary key; return it."""
    model = type(obj)
    meta = obj._meta
    using = router.db_for_write(model, instance=obj)
    if obj.pk is not None or pre_save.has_listeners(model) or post_save.has_listeners(model):
        obj.save(using=using, force_insert=True)
        return obj
    connection = connections[using]
    key = (model, connection.vendor)
    if key not in _statements:
        fields = [
            f
            for f in meta.local_concrete_fields
            if f is not meta.auto_field and not getattr(f, "generated", False)
        ]
        if (
            any(hasattr(f, "get_placeholder") for f in fields)
            or not connection.features.can_return_columns_from_insert
        ):
            obj.save(using=using, force_insert=True)
            return obj
        quote = connection.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({}) RETURNING {}".format(  # noqa: S608 - names from the model
            quote(meta.db_table),
            ", ".join(quote(f.column) for f in fields),
            ", ".join(["%s"] * len(fields)),
            quote(meta.pk.column),
        )
        plains = [f.get_internal_type() != "JSONField" for f in fields]
        _statements[key] = (sql, fields, plains)
    sql, fields, plains = _statements[key]
    params = []
    for field, plain in zip(fields, plains, strict=True):
        value = field.pre_save(obj, True)
        # A missing value of a plain field is NULL whatever the field; only JSON has its own idea.
        params.append(
            None if value is None and plain else field.get_db_prep_save(value, connection=connection)
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (pk,) = cursor.fetchone()
    obj.pk = meta.pk.to_python(pk)
    obj._state.adding = False
    obj._state.db = using
    return obj
