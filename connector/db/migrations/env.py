"""Alembic environment: runs on the engine handed over in ``config.attributes``.

On SQLite, batch mode rebuilds a table to drop or alter a column (copy, DROP, rename). With
foreign keys on, that DROP deletes every child row through ON DELETE CASCADE (a downgrade of a
column on ``shops`` emptied ``data_exports``), so foreign keys are off while migrations run, as
Alembic's batch documentation advises, and a foreign-key check runs before the commit.
"""

from alembic import context

from connector.schema import Base

config = context.config
engine = config.attributes["engine"]



def _pragma(connection, value: str) -> None:  # type: ignore[no-untyped-def]
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={value}")


with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # The pragma is a no-op inside a transaction, and SQLAlchemy's autobegin would open one
        # (BEGIN IMMEDIATE, engine.py) before any statement it runs: go to the driver directly.
        _pragma(connection, "OFF")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=sqlite,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left rows whose parent is missing: {broken[:5]}")
    connection.commit()
    if sqlite:
        _pragma(connection, "ON")
