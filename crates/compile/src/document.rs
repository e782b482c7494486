//! Reading campaign files as editable documents (`toml_edit`), for the tools that rewrite
//! them in place and must keep their comments and layout (`vitrine optimize`, the studio).
//! The compiler itself reads through `toml` and serde; what is read here is only ever shown
//! or written back, never compiled from, so a shape it does not expect reads as absent.

use toml_edit::Item;

/// The strings of the array `item` (entries that are not strings skipped); `None` when `item`
/// is absent or not an array.
pub fn strings(item: Option<&Item>) -> Option<Vec<String>> {
    let array = item?.as_array()?;
    Some(
        array
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml_edit::DocumentMut;

    #[test]
    fn strings_of_an_array_skip_other_entries_and_absent_is_none() {
        let doc: DocumentMut = "a = [\"x\", 1, \"y\"]\nb = \"z\"\n".parse().unwrap();
        assert_eq!(strings(doc.get("a")), Some(vec!["x".into(), "y".into()]));
        assert_eq!(strings(doc.get("b")), None);
        assert_eq!(strings(doc.get("c")), None);
    }
}
