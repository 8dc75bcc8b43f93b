"""Cached settings, always current: a per-merchant generation stamp.

The counter reads the same few settings on every sale (the store, the points rule, the levels, the
products' prices, who the token belongs to). They are cached under a key that carries the merchant's
*generation*; any change to a settings row gives the merchant a new generation once the change is
committed, so the next read misses and loads the new rows, and old entries simply age out.

A reader takes the generation *before* it reads the database, so an entry can only ever be stored
under a generation that is older than, or equal to, the one current when its rows were read. Changes
reach the stamp through the model layer itself: ``save``/``delete`` (signals), many-to-many changes,
and the bulk ``update``/``delete``/``bulk_create`` of ``SettingsQuerySet``, so a forgotten call cannot
leave a stale entry behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")
TIMEOUT = 6 * 3600


def _key(merchant_id: int) -> str:
    return f"gen:{merchant_id}"


def generation(merchant_id: int) -> int:
    """The merchant's current generation (a new one is made up when the cache lost it)."""
    value = cache.get(_key(merchant_id))
    if value is None:
        cache.add(_key(merchant_id), time.time_ns(), None)
        value = cache.get(_key(merchant_id))
    return value


def settings_changed(merchant_ids: Iterable[int | None]) -> None:
    """Give these merchants a new generation now and again when the current transaction commits (a
    reader in between loads the rows as they were and files them under the generation that the
    commit then replaces)."""
    ids = {m for m in merchant_ids if m is not None}
    if ids:
        def renew() -> None:
            cache.set_many({_key(m): time.time_ns() for m in ids}, None)

        renew()
        transaction.on_commit(renew)


def cached(merchant_id: int, gen: int, name: str, build: Callable[[], T]) -> T:
    """``build()`` cached for this merchant and generation under ``name``."""
    key = f"cfg:{merchant_id}:{gen}:{name}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, TIMEOUT)
    return value


def cached_many(merchant_id: int, gen: int, names: Iterable[str],
                build: Callable[[list[str]], dict[str, Any]]) -> dict[str, Any]:
    """Several entries at once: one cache round trip, and ``build(missing names)`` for the rest."""
    keys = {name: f"cfg:{merchant_id}:{gen}:{name}" for name in names}
    found = cache.get_many(list(keys.values()))
    result = {name: found[key] for name, key in keys.items() if key in found}
    missing = [name for name in keys if name not in result]
    if missing:
        built = build(missing)
        cache.set_many({keys[name]: value for name, value in built.items()}, TIMEOUT)
        result.update(built)
    return result


class SettingsQuerySet(models.QuerySet):
    """Bulk changes of settings rows also give their merchants a new generation."""

    def _merchants(self) -> set[int]:
        field = self.model._settings_merchant_field  # type: ignore[attr-defined]
        return set(self.values_list(field, flat=True).distinct())

    def update(self, **kwargs: Any) -> int:
        settings_changed(self._merchants())
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        settings_changed(self._merchants())
        return super().delete()

    def bulk_create(self, objs: Iterable[models.Model], *args: Any, **kwargs: Any) -> list[models.Model]:
        objs = list(objs)
        field = self.model._settings_merchant_field  # type: ignore[attr-defined]
        settings_changed(getattr(obj, field) for obj in objs)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Iterable[models.Model], *args: Any, **kwargs: Any) -> int:
        objs = list(objs)
        field = self.model._settings_merchant_field  # type: ignore[attr-defined]
        settings_changed(getattr(obj, field) for obj in objs)
        return super().bulk_update(objs, *args, **kwargs)


SettingsManager = models.Manager.from_queryset(SettingsQuerySet)


def settings_model(merchant_field: str = "merchant_id", ignore_fields: frozenset[str] | set[str] = frozenset(),
                   ) -> Callable[[type[models.Model]], type[models.Model]]:
    """Class decorator: saving or deleting a row of this model changes its merchant's generation
    (``merchant_field`` names the merchant's id on the row; the model uses ``SettingsManager``). Saves
    of only ``ignore_fields`` (bookkeeping such as ``last_login``) do not count."""

    def register(model: type[models.Model]) -> type[models.Model]:
        model._settings_merchant_field = merchant_field  # type: ignore[attr-defined]

        def changed(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
            update_fields = kwargs.get("update_fields")
            if update_fields and set(update_fields) <= set(ignore_fields):
                return
            settings_changed([getattr(instance, merchant_field)])

        post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"settings-save-{model._meta.label}")
        post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"settings-delete-{model._meta.label}")
        return model

    return register


def settings_m2m(through: type[models.Model], merchant_of: Callable[[models.Model], int | None]) -> None:
    """Adding or removing links of a many-to-many between settings rows changes the merchant's generation."""

    def changed(sender: type[models.Model], instance: models.Model, action: str, **kwargs: Any) -> None:
        if action in ("post_add", "post_remove", "post_clear"):
            settings_changed([merchant_of(instance)])

    m2m_changed.connect(changed, sender=through, weak=False, dispatch_uid=f"settings-m2m-{through._meta.label}")
