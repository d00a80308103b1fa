"""The procrastinate job queue's schema, from the pinned procrastinate release.

Revision ID: 0002
Revises: 0001
"""

from importlib import resources

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    schema = resources.files("procrastinate.sql").joinpath("schema.sql").read_text()
    # Straight to the driver: SQLAlchemy's text() would read ":name" in the schema as binds.
    driver = op.get_bind().connection.driver_connection
    assert driver is not None
    driver.execute(schema)


def downgrade() -> None:
    op.execute("""
    DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
        procrastinate_jobs, procrastinate_workers CASCADE;
    DROP TYPE IF EXISTS procrastinate_job_event_type, procrastinate_job_status,
        procrastinate_job_to_defer_v1 CASCADE;
    """)
