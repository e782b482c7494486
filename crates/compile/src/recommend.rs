//! `recommend = { … }` on a campaign → [`Recommend`]: item count, strategies checked against
//! the `[catalog]`'s tables and lists, and the item template (sanitized like any HTML).
//!
//! ```toml
//! [[campaign]]
//! id = "pdp-recs"
//! slot = "recommendations"
//! audience = "everyone"
//! html = '<ul class="vt-recs">{{items}}</ul>'
//! recommend = { items = 4, min = 2, item_html = '<li>{{product.name}}</li>', strategies = [
//!   { related = "also_viewed" }, { recently_viewed = true },
//!   { list = "top_sellers", by_attr = "fav_category" }, { list = "trending" },
//! ] }
//! ```

use toml::Spanned;

use super::run::{CatalogNames, Run};
use super::source::{RecommendSrc, StrategySrc};
use vitrine_core::snapshot::recommend::{Recommend, Strategy, MAX_ITEMS};
use vitrine_core::snapshot::{Part, Template};

impl Run<'_> {
    /// The campaign's recommendations, if it has any; `Some(None)`: none. `html` is the
    /// wrapper's template, which must hold `{{items}}` exactly when there are recommendations.
    pub fn recommend(
        &mut self,
        file: usize,
        src: Option<&Spanned<RecommendSrc>>,
        html: &Option<Template>,
        id: &str,
        id_span: std::ops::Range<usize>,
    ) -> Option<Option<Recommend>> {
        let field = format!("campaign[{id}].recommend");
        let has_items = html
            .as_ref()
            .is_some_and(|t| t.parts.contains(&Part::Items));
        let Some(src) = src else {
            if has_items {
                self.error(
                    file,
                    id_span,
                    "recommend",
                    &field,
                    "the html uses {{items}} but the campaign has no `recommend`".into(),
                    "add recommend = { items = 4, strategies = [...], item_html = \"...\" }",
                );
                return None;
            }
            return Some(None);
        };
        let span = src.span();
        let src = src.get_ref();
        let mut ok = true;
        if html.is_some() && !has_items {
            self.error(
                file,
                span.clone(),
                "recommend",
                &format!("campaign[{id}].html"),
                "the campaign recommends products but its html has no {{items}}".into(),
                "put {{items}} where the items go, e.g. <ul>{{items}}</ul>",
            );
            ok = false;
        }
        if self.catalog_names.is_none() {
            self.error(
                file,
                span,
                "recommend",
                &field,
                "recommendations need a [catalog]".into(),
                "add a [catalog] table with the shop's products, recommendations and lists",
            );
            return None;
        }
        let items = self.count(file, &src.items, 1, i64::from(MAX_ITEMS), &field, "items");
        let max = items.map_or(i64::from(MAX_ITEMS), i64::from);
        let min = match &src.min {
            Some(m) => self.count(file, m, 1, max, &field, "min"),
            None => Some(1),
        };
        let item = self.item_template(file, &src.item_html, &format!("{field}.item_html"));
        let mut strategies = Vec::new();
        if src.strategies.get_ref().is_empty() {
            self.error(
                file,
                src.strategies.span(),
                "recommend",
                &format!("{field}.strategies"),
                "no strategies".into(),
                "list at least one, e.g. strategies = [{ list = \"trending\" }]",
            );
            ok = false;
        }
        for (i, s) in src.strategies.get_ref().iter().enumerate() {
            match self.strategy(file, s, &format!("{field}.strategies[{i}]")) {
                Some(s) => strategies.push(s),
                None => ok = false,
            }
        }
        let recommend = Recommend {
            items: items?,
            min: min?,
            strategies,
            item: item?,
        };
        ok.then_some(Some(recommend))
    }

    fn count(
        &mut self,
        file: usize,
        n: &Spanned<i64>,
        lo: i64,
        hi: i64,
        field: &str,
        key: &str,
    ) -> Option<u8> {
        let v = *n.get_ref();
        if (lo..=hi).contains(&v) {
            return u8::try_from(v).ok();
        }
        self.error(
            file,
            n.span(),
            "recommend",
            &format!("{field}.{key}"),
            format!("{key} = {v} is out of range"),
            &format!("use {lo} to {hi}"),
        );
        None
    }

    /// The item template: product fields and attributes only.
    fn item_template(
        &mut self,
        file: usize,
        html: &Spanned<String>,
        field: &str,
    ) -> Option<Template> {
        let t = self.template(file, html, field)?;
        let bad = t
            .parts
            .iter()
            .any(|p| matches!(p, Part::Message | Part::Items | Part::OfferExpires { .. }));
        if bad {
            self.error(
                file,
                html.span(),
                "placeholder",
                field,
                "an item may only use {{product.FIELD}} and {{attr.NAME}}".into(),
                "move {{message}}, {{items}} and {{offer.expires}} into the campaign's html",
            );
            return None;
        }
        Some(t)
    }

    fn strategy(&mut self, file: usize, s: &Spanned<StrategySrc>, field: &str) -> Option<Strategy> {
        let src = s.get_ref();
        let heads = usize::from(src.recently_viewed.is_some())
            + usize::from(src.related.is_some())
            + usize::from(src.list.is_some());
        let keys = usize::from(src.by_attr.is_some()) + usize::from(src.by_segment.is_some());
        let shape_ok = heads == 1
            && (src.list.is_some() || keys == 0)
            && keys <= 1
            && src.recently_viewed != Some(false)
            && src.by_segment != Some(false);
        if !shape_ok {
            self.error(
                file,
                s.span(),
                "strategy",
                field,
                "a strategy needs exactly one of `recently_viewed = true`, `related` or `list` (a list with at most one of `by_attr`, `by_segment = true`)".into(),
                "e.g. { related = \"also_viewed\" }, { list = \"top_sellers\", by_attr = \"fav_category\" }",
            );
            return None;
        }
        let names = self.catalog_names.take().unwrap_or_default();
        let out = self.strategy_ref(file, src, field, &names);
        self.catalog_names = Some(names);
        out
    }

    fn strategy_ref(
        &mut self,
        file: usize,
        src: &StrategySrc,
        field: &str,
        names: &CatalogNames,
    ) -> Option<Strategy> {
        if let Some(t) = &src.related {
            let Some(at) = names.tables.iter().position(|x| x == t.get_ref()) else {
                let known = names.tables.join(", ");
                self.error(
                    file,
                    t.span(),
                    "strategy",
                    field,
                    format!(
                        "`{}` is not a recommendation table of the catalog",
                        t.get_ref()
                    ),
                    &format!("tables from [catalog] recommendations: {known}"),
                );
                return None;
            };
            return Some(Strategy::Related {
                table: u32::try_from(at).ok()?,
            });
        }
        let Some(list) = &src.list else {
            return Some(Strategy::RecentlyViewed);
        };
        let keyed = src.by_attr.is_some() || src.by_segment.is_some();
        let exists = names
            .lists
            .iter()
            .any(|(n, k)| n == list.get_ref() && *k == keyed);
        if !exists {
            let (want, hint) = if keyed {
                ("a keyed list", "lists with a key in [catalog] lists")
            } else {
                ("an unkeyed list", "lists without a key in [catalog] lists")
            };
            let mut known: Vec<&str> = names
                .lists
                .iter()
                .filter(|(_, k)| *k == keyed)
                .map(|(n, _)| n.as_str())
                .collect();
            known.dedup();
            self.error(
                file,
                list.span(),
                "strategy",
                field,
                format!("`{}` is not {want} of the catalog", list.get_ref()),
                &format!("{hint}: {}", known.join(", ")),
            );
            return None;
        }
        let name = self.sym(list.get_ref());
        Some(match (&src.by_attr, src.by_segment) {
            (Some(a), _) => Strategy::ListByAttr {
                name,
                attr: self.sym(a.get_ref()),
            },
            (None, Some(true)) => Strategy::ListBySegment { name },
            _ => Strategy::List { name },
        })
    }
}
