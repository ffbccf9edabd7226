-- `updated_at` follows changes of an article's source fields and editorial
-- state, not its scores. Score writes are by far the most frequent update of
-- an article (every recompute, every heat refresh); a row trigger on them
-- cost more than the rest of the write, so the trigger now fires only when
-- one of these columns is set.
drop trigger article_updated_at on article;
create trigger article_updated_at
    before update of slug, canonical_url, amp_key, source_kind, category, type, title, excerpt,
                     original_url, web_url, amp_url, cdn_amp_url, published_at, source_updated_at,
                     provider_id, locale, secured, removed, source_quality, source_heat, source_published,
                     editor_override, override_editor, override_reason, override_at, editor_boost
    on article
    for each row execute function set_updated_at();
