-- newsgraph core schema: providers, topics, articles and their relations,
-- the editorial audit log and API tokens.

create or replace function set_updated_at() returns trigger as $$
begin
    new.updated_at := now();
    return new;
end;
$$ language plpgsql;

create table provider (
    provider_id bigint generated always as identity primary key,
    domain      text not null unique,
    name        text not null,
    -- [{url,width,height}] as the source ships them
    images      jsonb not null default '[]',
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
create trigger provider_updated_at before update on provider
    for each row execute function set_updated_at();

create table topic (
    topic_id                   bigint generated always as identity primary key,
    slug                       text not null unique,
    name                       text not null,
    short_name                 text,
    parent_topic_id            bigint references topic (topic_id) on delete set null,
    keywords                   text[] not null default '{}',
    hashtags                   text[] not null default '{}',
    images                     text[] not null default '{}',
    highlight_text_color       text,
    highlight_background_color text,
    created_at                 timestamptz not null default now(),
    updated_at                 timestamptz not null default now()
);
create index topic_parent_idx on topic (parent_topic_id);
create trigger topic_updated_at before update on topic
    for each row execute function set_updated_at();

create table article (
    article_id          bigint generated always as identity primary key,
    -- the source file name, or date + title for related items without a file
    slug                text not null unique,
    -- normalised webUrl: the dedupe key
    canonical_url       text not null unique,
    -- normalised AMP URL, also matched when deduplicating
    amp_key             text,
    -- 'file' once the article has been seen as a top-level record; 'related'
    -- while it is only known as somebody's related item (sparse copies never
    -- overwrite fields that a top-level record set)
    source_kind         text not null default 'related' check (source_kind in ('file', 'related')),
    category            text,
    type                text,
    title               text not null,
    excerpt             text,
    original_url        text,
    web_url             text not null,
    amp_url             text,
    cdn_amp_url         text,
    published_at        timestamptz,
    source_updated_at   timestamptz,
    provider_id         bigint references provider (provider_id),
    locale              text,
    secured             text,
    removed             boolean not null default false,

    -- what the source shipped, kept apart from our own values
    source_quality      integer,
    source_heat         integer,
    source_published    boolean,

    -- our computed state (the worker writes these)
    quality             integer,
    heat                integer,
    score_breakdown     jsonb,
    scored_at           timestamptz,
    published           boolean not null default false,
    published_by        text not null default 'worker' check (published_by in ('worker', 'editor')),
    editor_override     text check (editor_override in ('publish', 'unpublish')),
    override_editor     text,
    override_reason     text,
    override_at         timestamptz,
    editor_boost        integer not null default 0,

    -- optimistic concurrency: bumped by every write
    version             bigint not null default 1,
    search              tsvector generated always as (
                            setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
                            setweight(to_tsvector('english', coalesce(excerpt, '')), 'B')
                        ) stored,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    check ((editor_override is null) = (override_at is null))
);
create trigger article_updated_at before update on article
    for each row execute function set_updated_at();

create index article_amp_key_idx on article (amp_key) where amp_key is not null;
create index article_search_idx on article using gin (search);
create index article_provider_idx on article (provider_id, published_at desc, article_id desc);
-- feeds: hottest, latest, best (published only), keyset-paginated by id
create index article_published_heat_idx on article (heat desc, article_id desc) where published;
create index article_published_time_idx on article (published_at desc, article_id desc) where published;
create index article_published_quality_idx on article (quality desc, article_id desc) where published;
-- the worker's "what still needs scoring" scan
create index article_unscored_idx on article (article_id) where scored_at is null;

create table article_image (
    article_id bigint not null references article (article_id) on delete cascade,
    position   integer not null,
    url        text not null,
    width      integer,
    height     integer,
    is_cached  boolean,
    primary key (article_id, position)
);

create table article_topic (
    article_id bigint not null references article (article_id) on delete cascade,
    topic_id   bigint not null references topic (topic_id) on delete cascade,
    position   integer not null,
    primary key (article_id, topic_id)
);
create index article_topic_topic_idx on article_topic (topic_id, article_id);

create table article_relation (
    article_id         bigint not null references article (article_id) on delete cascade,
    related_article_id bigint not null references article (article_id) on delete cascade,
    position           integer not null,
    primary key (article_id, related_article_id),
    check (article_id <> related_article_id)
);
create index article_relation_related_idx on article_relation (related_article_id, article_id);

create table editorial_event (
    editorial_event_id bigint generated always as identity primary key,
    -- no cascade: an article with an audit trail cannot be deleted silently
    article_id         bigint not null references article (article_id),
    editor             text not null,
    action             text not null check (action in ('publish', 'unpublish', 'clear_override', 'recompute')),
    reason             text,
    before_state       jsonb not null,
    after_state        jsonb not null,
    created_at         timestamptz not null default now()
);
create index editorial_event_article_idx on editorial_event (article_id, editorial_event_id desc);

-- the log is append-only: refuse updates and deletes outright
create or replace function editorial_event_append_only() returns trigger as $$
begin
    raise exception 'editorial_event is append-only';
end;
$$ language plpgsql;
create trigger editorial_event_no_update before update or delete on editorial_event
    for each row execute function editorial_event_append_only();

create table api_token (
    api_token_id bigint generated always as identity primary key,
    name         text not null unique,
    role         text not null check (role in ('editor', 'ingest', 'admin')),
    token_hash   bytea not null unique,
    created_at   timestamptz not null default now(),
    revoked_at   timestamptz,
    last_used_at timestamptz
);
