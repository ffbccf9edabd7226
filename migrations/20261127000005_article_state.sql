-- An article's computed and editorial state (scores, publication, the
-- editor's override and boost) moves out of `article` into a narrow table of
-- its own, with the feed indexes.
--
-- Scores are by far the most frequent write (every recompute, every heat
-- refresh, every rescore-all). In `article` each one rewrote a ~2 kB row
-- and, since heat and quality are indexed, inserted into all ten of its
-- indexes, the full-text GIN index among them. Here a score write rewrites
-- a row of about 850 bytes and touches the four indexes that follow scores.
--
-- The override columns stay in the same row as `published`: the worker's
-- write statement derives `published` from them while holding that row's
-- lock, which is what makes an editor's decision impossible to lose.
--
-- `published_at` is copied here (kept by triggers on `article`) so the
-- "latest" feed index can hold published articles only.
create table article_state (
    article_id      bigint primary key references article (article_id) on delete cascade,
    published_at    timestamptz,
    quality         integer,
    heat            integer,
    score_breakdown jsonb,
    scored_at       timestamptz,
    published       boolean not null default false,
    published_by    text not null default 'worker' check (published_by in ('worker', 'editor')),
    editor_override text check (editor_override in ('publish', 'unpublish')),
    override_editor text,
    override_reason text,
    override_at     timestamptz,
    editor_boost    integer not null default 0,
    check ((editor_override is null) = (override_at is null))
);

insert into article_state (article_id, published_at, quality, heat, score_breakdown, scored_at, published,
                           published_by, editor_override, override_editor, override_reason, override_at, editor_boost)
select article_id, published_at, quality, heat, score_breakdown, scored_at, published,
       published_by, editor_override, override_editor, override_reason, override_at, editor_boost
from article;

-- feeds: hottest, latest, best (published only), keyset-paginated by id
create index article_state_heat_idx on article_state (heat desc, article_id desc) where published;
create index article_state_time_idx on article_state (published_at desc, article_id desc) where published;
create index article_state_quality_idx on article_state (quality desc, article_id desc) where published;
-- the worker's "what still needs scoring" scan
create index article_state_unscored_idx on article_state (article_id) where scored_at is null;

-- Every article has its state row from the moment it exists.
create function article_state_insert() returns trigger
language plpgsql as $$
begin
    insert into article_state (article_id, published_at)
    select article_id, published_at from inserted;
    return null;
end;
$$;
create trigger article_state_insert
    after insert on article
    referencing new table as inserted
    for each statement execute function article_state_insert();

-- A row trigger with a condition: it costs nothing on the many updates of
-- `article` that leave `published_at` alone (imports of unchanged dates,
-- editorial version bumps).
create function article_state_published_at() returns trigger
language plpgsql as $$
begin
    update article_state set published_at = new.published_at where article_id = new.article_id;
    return null;
end;
$$;
create trigger article_state_published_at
    after update of published_at on article
    for each row when (old.published_at is distinct from new.published_at)
    execute function article_state_published_at();

-- `updated_at` follows the article's source fields and `version`, which
-- every editorial action bumps (their state changes are written here).
drop trigger article_updated_at on article;
drop index article_published_heat_idx, article_published_time_idx, article_published_quality_idx,
           article_unscored_idx;
alter table article
    drop constraint article_check,
    drop column quality, drop column heat, drop column score_breakdown, drop column scored_at,
    drop column published, drop column published_by, drop column editor_override,
    drop column override_editor, drop column override_reason, drop column override_at,
    drop column editor_boost;
create trigger article_updated_at
    before update of slug, canonical_url, amp_key, source_kind, category, type, title, excerpt,
                     original_url, web_url, amp_url, cdn_amp_url, published_at, source_updated_at,
                     provider_id, locale, secured, removed, source_quality, source_heat, source_published,
                     version
    on article
    for each row execute function set_updated_at();

-- Reads see an article and its state as one row.
create view article_with_state as
select s.article_id, a.slug, a.canonical_url, a.amp_key, a.source_kind, a.category, a.type, a.title,
       a.excerpt, a.original_url, a.web_url, a.amp_url, a.cdn_amp_url, s.published_at, a.source_updated_at,
       a.provider_id, a.locale, a.secured, a.removed, a.source_quality, a.source_heat, a.source_published,
       s.quality, s.heat, s.score_breakdown, s.scored_at, s.published, s.published_by, s.editor_override,
       s.override_editor, s.override_reason, s.override_at, s.editor_boost, a.version, a.search,
       a.created_at, a.updated_at
from article a
join article_state s on s.article_id = a.article_id;
