-- Distribute a Continuum database on a Citus coordinator (distributed PostgreSQL).
--
-- Run once, on the coordinator, after Continuum has created its schema there (any command does, e.g.
-- `python -m analysis import customers FILE --db postgresql://user@coordinator:5432/continuum`), and
-- before loading large data:   psql postgresql://user@coordinator:5432/continuum -f data/citus.sql
--
-- Two co-location groups keep the large joins on one node:
--   * a customer's rows: customers, interactions and the per-customer rollup, by customer_id;
--   * an author's rows: posts by author_handle, and the accounts each follows (follows, by
--     follower_handle) on the same shards.
-- Every other table is small (vocabularies, settings, kept results, people's labels, the identities
-- that link a customer to a social account) and becomes a reference table, copied to every node, so
-- any distributed table joins it locally.
--
-- On PostgreSQL, Continuum's keys of the distributed tables already start with the distribution
-- column (interactions: customer_id, interaction_id; posts: author_handle, post_id), as Citus asks of
-- every unique key: analysis/store/pg.py (DISTRIBUTED) and tests/test_citus.py check this file against
-- the schema. Joins across the two groups (a reshare to its parent post, a customer's posts through
-- identities) are listed in tests/test_citus.py with the reason; Citus runs them as repartition joins:
SET citus.enable_repartition_joins = on;

CREATE EXTENSION IF NOT EXISTS citus;

-- Co-location group 1: by customer_id.
SELECT create_distributed_table('customers', 'customer_id');
SELECT create_distributed_table('interactions', 'customer_id', colocate_with => 'customers');
SELECT create_distributed_table('rollup_interactions', 'customer_id', colocate_with => 'customers');

-- Co-location group 2: by author.
SELECT create_distributed_table('posts', 'author_handle');
SELECT create_distributed_table('follows', 'follower_handle', colocate_with => 'posts');

-- Reference tables (small; a copy on every node).
SELECT create_reference_table('identities');
SELECT create_reference_table('brand_accounts');
SELECT create_reference_table('channels');
SELECT create_reference_table('kinds');
SELECT create_reference_table('meta');
SELECT create_reference_table('survey_responses');
SELECT create_reference_table('motive_lexicon');
SELECT create_reference_table('rollup_posts');
SELECT create_reference_table('aggregates');
SELECT create_reference_table('import_mappings');
SELECT create_reference_table('scenarios');
SELECT create_reference_table('decks');
SELECT create_reference_table('deck_items');
SELECT create_reference_table('sentiment_lexicon');
SELECT create_reference_table('sentiment_rules');
SELECT create_reference_table('sentiment_rule_posts');
SELECT create_reference_table('sentiment_labels');
SELECT create_reference_table('sentiment_sample');
SELECT create_reference_table('sentiment_models');
SELECT create_reference_table('sentiment_changes');
