"""The store's schema history (Alembic). ``bot.store.migrate`` applies it when the store opens.

A new revision, from the repository root (against a scratch database at head)::

    alembic -c bot/migrations/alembic.ini -x url=sqlite:///scratch.db revision -m "what" \
        --autogenerate

then check the generated file by hand and keep ``bot/store/schema.py`` in step with it.
"""
