-- The topic feed of bench/api/topic_feed.json (topic `climate` and the
-- topics below it, its 20 hottest published articles with provider, images,
-- topics and published related articles) as one JSON-building statement:
-- what PostgreSQL alone costs for that answer (bench/mixed.sh runs it under
-- pgbench and checks it against the API's answer field by field).
with recursive subtree(topic_id) as (
    select topic_id from topic where slug = 'climate'
    union
    select c.topic_id from topic c join subtree s on c.parent_topic_id = s.topic_id
),
page as (
    select a.article_id, a.slug, a.title, a.excerpt, a.web_url, a.published_at, a.quality, a.heat, a.provider_id
    from article_with_state a
    where a.published
      and exists (select 1 from article_topic at
                  where at.article_id = a.article_id and at.topic_id in (select topic_id from subtree))
    order by a.heat desc, a.article_id desc
    limit 21
)
select json_build_object(
    'name', (select name from topic where slug = 'climate'),
    'hasNextPage', (select count(*) > 20 from page),
    'nodes', (select json_agg(json_build_object(
        'slug', p.slug, 'title', p.title, 'excerpt', p.excerpt, 'webUrl', p.web_url,
        'publishedAt', p.published_at, 'quality', p.quality, 'heat', p.heat,
        'provider', (select json_build_object('name', v.name, 'domain', v.domain)
                     from provider v where v.provider_id = p.provider_id),
        'images', coalesce((select json_agg(json_build_object('url', i.url, 'width', i.width, 'height', i.height)
                                            order by i.position)
                            from article_image i where i.article_id = p.article_id), '[]'),
        'topics', coalesce((select json_agg(json_build_object('slug', t.slug, 'name', t.name) order by at.position)
                            from article_topic at join topic t on t.topic_id = at.topic_id
                            where at.article_id = p.article_id), '[]'),
        'related', coalesce((select json_agg(json_build_object(
                                 'title', b.title, 'webUrl', b.web_url,
                                 'provider', (select json_build_object('name', v.name, 'domain', v.domain)
                                              from provider v where v.provider_id = b.provider_id))
                                 order by r.position)
                             from article_relation r join article_with_state b on b.article_id = r.related_article_id
                             where r.article_id = p.article_id and b.published), '[]'))
        order by p.heat desc, p.article_id desc)
        from (select * from page order by heat desc, article_id desc limit 20) p));
