"""operators.session_generation: end every session of an operator at once

Revision ID: 5b2e9c41d7a3
Revises: aaa3e03ac47b
Create Date: 2026-12-01 22:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5b2e9c41d7a3'
down_revision = 'aaa3e03ac47b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('operators') as batch:
        batch.add_column(
            sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0')
        )


def downgrade():
    with op.batch_alter_table('operators') as batch:
        batch.drop_column('session_generation')
