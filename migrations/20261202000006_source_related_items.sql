-- The length of the related list the source shipped. Smartable's heat is
-- quality + 20 per item of that list, and the list can name one article
-- twice (two URLs that differ by a tracking parameter) or the article
-- itself (its FeedBurner and canonical URLs), which `article_relation`
-- stores once or not at all. Null when no source gave the article a list.
alter table article add column source_related_items integer check (source_related_items >= 0);

-- Existing lists: the stored relations are the best count there is; the
-- next import of the files sets the exact length.
update article a set source_related_items = r.items
from (select article_id, count(*)::integer as items from article_relation group by article_id) r
where r.article_id = a.article_id;

drop trigger article_updated_at on article;
create trigger article_updated_at
    before update of slug, canonical_url, amp_key, source_kind, category, type, title, excerpt,
                     original_url, web_url, amp_url, cdn_amp_url, published_at, source_updated_at,
                     provider_id, locale, secured, removed, source_quality, source_heat, source_published,
                     source_related_items, version
    on article
    for each row execute function set_updated_at();
