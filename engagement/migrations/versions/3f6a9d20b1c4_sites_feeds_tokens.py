"""sites, feeds, api_tokens; articles.site_id, url, url_key: a publisher's own CMS

Revision ID: 3f6a9d20b1c4
Revises: 8e4f2a61c0b9
Create Date: 2026-12-02 12:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '3f6a9d20b1c4'
down_revision = '8e4f2a61c0b9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sites',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('origins', sa.JSON(), nullable=False),
        sa.Column('url_pattern', sa.String(length=1000), nullable=True),
        sa.Column('default_category', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    op.create_table(
        'feeds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=1000), nullable=False),
        sa.Column('etag', sa.String(length=500), nullable=True),
        sa.Column('last_modified', sa.String(length=100), nullable=True),
        sa.Column('next_poll_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('polled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ok_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('site_id', 'url'),
    )
    op.create_index('ix_feeds_next_poll_at', 'feeds', ['next_poll_at'])
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('hint', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('digest'),
    )
    with op.batch_alter_table('articles') as batch:
        batch.add_column(sa.Column('site_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('url', sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column('url_key', sa.String(length=1000), nullable=True))
        batch.create_foreign_key(
            'fk_articles_site_id', 'sites', ['site_id'], ['id'], ondelete='SET NULL'
        )
        batch.create_index('ix_articles_site_id', ['site_id'])
        batch.create_index('ix_articles_url_key', ['url_key'])


def downgrade():
    with op.batch_alter_table('articles') as batch:
        batch.drop_index('ix_articles_url_key')
        batch.drop_index('ix_articles_site_id')
        batch.drop_constraint('fk_articles_site_id', type_='foreignkey')
        batch.drop_column('url_key')
        batch.drop_column('url')
        batch.drop_column('site_id')
    op.drop_table('api_tokens')
    op.drop_index('ix_feeds_next_poll_at', table_name='feeds')
    op.drop_table('feeds')
    op.drop_table('sites')
