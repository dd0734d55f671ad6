"""Storage: SQLAlchemy 2 models, the unit of work, and Alembic migrations shipped as package data."""
