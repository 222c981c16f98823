"""article_stats.engaged, article_daily.engaged: engaged seconds, kept like views

Revision ID: 8e4f2a61c0b9
Revises: 5b2e9c41d7a3
Create Date: 2026-12-02 01:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '8e4f2a61c0b9'
down_revision = '5b2e9c41d7a3'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('article_stats', 'article_daily'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column('engaged', sa.BigInteger(), nullable=False, server_default='0')
            )


def downgrade():
    for table in ('article_stats', 'article_daily'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('engaged')
