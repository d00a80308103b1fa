"""Browser sessions kept on the server.

The session cookie used to carry the user id itself, signed: logging out forgot the cookie
in that browser, but a copy of it kept working for its whole lifetime. The cookie now
carries a random session id whose SHA-256 is a row here; logging out (or changing the
password, or "log out everywhere") deletes rows, and a copied cookie stops working.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.execute("""
    CREATE TABLE sessions (
        id_hash    bytea PRIMARY KEY,
        user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
    );
    CREATE INDEX sessions_user ON sessions (user_id);
    CREATE INDEX sessions_expiry ON sessions (expires_at);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE sessions;")
