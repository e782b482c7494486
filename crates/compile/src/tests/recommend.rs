//! `recommend = { … }`: every refusal names its code, field, line and column.

use super::*;

const DATA: &[(&str, &str)] = &[
    (
        "site/p.csv",
        "id,name,price_cents,url,category\np1,A,100,/p/p1,dog\np2,B,200,/p/p2,dog\n",
    ),
    (
        "site/r.csv",
        "product_id,table,products\np1,also_viewed,p2\n",
    ),
    (
        "site/l.json",
        r#"[{"list": "trending", "products": ["p2"]}, {"list": "top_sellers", "key": "dog", "products": ["p1"]}]"#,
    ),
];

const CATALOG: &str =
    "[catalog]\nproducts = \"p.csv\"\nrecommendations = \"r.csv\"\nlists = \"l.json\"\n\n";

/// A campaign (line 6 on) with `recommend` on line 10.
fn rec(html: &str, recommend: &str) -> String {
    format!("{CATALOG}[[campaign]]\nid = \"r\"\nslot = \"recs\"\naudience = \"everyone\"\nhtml = '{html}'\nrecommend = {recommend}\n")
}

fn refusal(text: &str) -> CompileError {
    let errs = build_with(text, &mem(DATA), &Options::default()).expect_err("refused");
    errs.into_iter().next().expect("one error")
}

const GOOD: &str = "{ items = 2, item_html = '<i>{{product.name}}</i>', strategies = [{ related = \"also_viewed\" }, { list = \"trending\" }, { list = \"top_sellers\", by_attr = \"fav\" }, { recently_viewed = true }] }";

#[test]
fn a_recommendation_campaign_compiles() {
    let built = build_with(
        &rec("<ul>{{items}}</ul>", GOOD),
        &mem(DATA),
        &Options::default(),
    )
    .unwrap();
    let c = &built.snapshot.slot("recs").unwrap().candidates[0];
    let r = c.recommend.as_ref().unwrap();
    assert_eq!((r.items, r.min, r.strategies.len()), (2, 1, 4));
    assert!(c.template.parts.contains(&Part::Items));
}

macro_rules! refused {
    ($($name:ident: $text:expr => $code:expr, $field:expr, ($line:expr, $col:expr),)*) => {$(
        #[test]
        fn $name() {
            let e = refusal(&$text);
            assert_eq!(e.code, $code, "{e}");
            assert!(e.field.contains($field), "field {:?} lacks {:?}: {e}", e.field, $field);
            assert_eq!((e.line, e.column), ($line, $col), "{e}");
            assert!(!e.hint.is_empty());
        }
    )*};
}

refused! {
    items_placeholder_without_recommend: format!("{CATALOG}[[campaign]]\nid = \"r\"\nslot = \"recs\"\naudience = \"everyone\"\nhtml = '<ul>{{{{items}}}}</ul>'\n")
        => "recommend", "campaign[r].recommend", (7, 6),
    recommend_without_items_placeholder: rec("<ul></ul>", GOOD) => "recommend", "campaign[r].html", (11, 13),
    too_many_items: rec("<ul>{{items}}</ul>", "{ items = 25, item_html = 'x', strategies = [{ list = \"trending\" }] }")
        => "recommend", "recommend.items", (11, 23),
    min_over_items: rec("<ul>{{items}}</ul>", "{ items = 2, min = 3, item_html = 'x', strategies = [{ list = \"trending\" }] }")
        => "recommend", "recommend.min", (11, 32),
    no_strategies: rec("<ul>{{items}}</ul>", "{ items = 2, item_html = 'x', strategies = [] }")
        => "recommend", "recommend.strategies", (11, 56),
    two_heads: rec("<ul>{{items}}</ul>", "{ items = 2, item_html = 'x', strategies = [{ list = \"trending\", related = \"also_viewed\" }] }")
        => "strategy", "strategies[0]", (11, 57),
    unknown_table: rec("<ul>{{items}}</ul>", "{ items = 2, item_html = 'x', strategies = [{ related = \"also_liked\" }] }")
        => "strategy", "strategies[0]", (11, 69),
    unknown_list: rec("<ul>{{items}}</ul>", "{ items = 2, item_html = 'x', strategies = [{ list = \"hot\" }] }")
        => "strategy", "strategies[0]", (11, 66),
    keyed_list_used_unkeyed: rec("<ul>{{items}}</ul>", "{ items = 2, item_html = 'x', strategies = [{ list = \"top_sellers\" }] }")
        => "strategy", "strategies[0]", (11, 66),
    message_in_item: rec("<ul>{{items}}</ul>", "{ items = 2, item_html = '<i>{{message}}</i>', strategies = [{ list = \"trending\" }] }")
        => "placeholder", "item_html", (11, 38),
    items_in_an_attribute: rec("<ul title=\"{{items}}\"></ul>", GOOD) => "placeholder", "campaign[r].html", (10, 8),
    unsafe_item_html: rec("<ul>{{items}}</ul>", "{ items = 2, item_html = '<a href=\"javascript:x\">x</a>', strategies = [{ list = \"trending\" }] }")
        => "html", "item_html", (11, 38),
}

#[test]
fn recommend_without_a_catalog_is_refused() {
    let text = "[[campaign]]\nid = \"r\"\nslot = \"recs\"\naudience = \"everyone\"\nhtml = '<ul>{{items}}</ul>'\nrecommend = { items = 2, item_html = 'x', strategies = [{ list = \"trending\" }] }\n";
    let e = one(text).unwrap_err().remove(0);
    assert_eq!((e.code, e.line, e.column), ("recommend", 6, 13), "{e}");
}
