//! `schema/campaign.schema.json` must list exactly the keys the compiler accepts. The accepted
//! keys are read from the compiler's own "unknown field, expected one of …" errors.

use super::*;

fn schema() -> serde_json::Value {
    let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("schema/campaign.schema.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn accepted(text: &str) -> Vec<String> {
    let errs = one(text).unwrap_err();
    let msg = &errs
        .iter()
        .find(|e| e.message.contains("unknown field"))
        .expect("unknown field error")
        .message;
    let mut keys: Vec<String> = msg
        .rsplit("expected ")
        .next()
        .unwrap_or("")
        .trim_start_matches("one of ")
        .split([',', ' '])
        .filter(|k| k.starts_with('`'))
        .map(|k| k.trim().trim_matches('`').to_owned())
        .filter(|k| !k.is_empty())
        .collect();
    keys.sort();
    keys
}

fn properties(v: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = v["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

macro_rules! schema_matches {
    ($($name:ident: $toml:expr, $pointer:expr,)*) => {$(
        #[test]
        fn $name() {
            let s = schema();
            let node = s.pointer($pointer).unwrap_or_else(|| panic!("{} missing", $pointer));
            assert_eq!(properties(node), accepted($toml));
        }
    )*};
}

schema_matches! {
    schema_root: "bogus = 1\n", "",
    schema_campaign: "[[campaign]]\nbogus = 1\n", "/$defs/campaign",
    schema_expression: "[segments.x]\nbogus = 1\n", "/$defs/expr",
    schema_message: "[[campaign]]\nid = \"a\"\nslot = \"s\"\nmessages = [{ bogus = 1 }]\n", "/$defs/campaign/properties/messages/items",
    schema_schedule: "[[campaign]]\nid = \"a\"\nslot = \"s\"\nschedule = { bogus = 1 }\n", "/$defs/campaign/properties/schedule",
    schema_catalog: "[catalog]\nbogus = 1\n", "/$defs/catalog",
    schema_sanitizer: "[sanitizer]\nbogus = 1\n", "/properties/sanitizer",
    schema_acknowledge: "[acknowledge]\nbogus = 1\n", "/properties/acknowledge",
    schema_experiment: "[experiments.x]\nbogus = 1\n", "/$defs/experiment",
    schema_arm: "[experiments.x]\narms = [{ bogus = 1 }]\n", "/$defs/experiment/properties/arms/items",
    schema_conversion: "[[conversion]]\nbogus = 1\n", "/$defs/conversion",
    schema_conversion_value: "[[conversion]]\nname = \"a\"\nvalue = { bogus = 1 }\n", "/$defs/conversion/properties/value",
    schema_recommend: "[[campaign]]\nid = \"a\"\nslot = \"s\"\nrecommend = { bogus = 1 }\n", "/$defs/recommend",
    schema_strategy: "[[campaign]]\nid = \"a\"\nslot = \"s\"\nrecommend = { items = 1, item_html = \"x\", strategies = [{ bogus = 1 }] }\n", "/$defs/strategy",
}
