//! Reading campaign files as editable documents (`toml_edit`), for the tools that rewrite
//! them in place and must keep their comments and layout (`vitrine optimize`, the studio).
//! The compiler itself reads through `toml` and serde; what is read here is only ever shown
//! or written back, never compiled from, so a shape it does not expect reads as absent.
//! [`acknowledge`] is the one writer: it records accepted warnings in a file's `[acknowledge]`.

use toml_edit::{Array, DocumentMut, Item, Table, Value};

use crate::Acknowledgement;

/// Why [`acknowledge`] could not record an acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcknowledgeError {
    /// The file is not TOML (it would not compile either).
    #[error("the file is not TOML: {0}")]
    NotToml(String),
    /// `acknowledge` is there but is not a table.
    #[error("`acknowledge` is not a table")]
    NotATable,
    /// A key of `[acknowledge]` holds a value of another type.
    #[error("`acknowledge.{0}` is not {1}")]
    WrongType(&'static str, &'static str),
}

/// `text` with `acks` recorded in its `[acknowledge]` table (made at the end of the file when
/// there is none): each id or slot appended to its list unless it is there already,
/// `max_variants` raised to the count when it is lower. Everything else in the file, comments
/// and layout included, stays as it was, so the change reads as a small diff.
pub fn acknowledge(text: &str, acks: &[&Acknowledgement]) -> Result<String, AcknowledgeError> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| AcknowledgeError::NotToml(e.message().to_owned()))?;
    // A new table goes after every other one, so it reads as lines added at the end.
    let last = last_position(doc.as_table());
    let table = doc
        .entry("acknowledge")
        .or_insert_with(|| {
            let mut table = Table::new();
            table.set_position(Some(last.map_or(0, |p| p + 1)));
            Item::Table(table)
        })
        .as_table_mut()
        .ok_or(AcknowledgeError::NotATable)?;
    for ack in acks {
        let (key, name) = match ack {
            Acknowledgement::Sensitive(id) => ("sensitive", id),
            Acknowledgement::PastSchedule(id) => ("past_schedule", id),
            Acknowledgement::UnusedSlot(slot) => ("unused_slots", slot),
            Acknowledgement::MaxVariants(count) => {
                let count = i64::try_from(*count).unwrap_or(i64::MAX);
                let item = table.entry("max_variants").or_insert(toml_edit::value(0));
                let old = item
                    .as_integer()
                    .ok_or(AcknowledgeError::WrongType("max_variants", "an integer"))?;
                if old < count {
                    *item = toml_edit::value(count);
                }
                continue;
            }
        };
        let list = table
            .entry(key)
            .or_insert_with(|| toml_edit::value(Array::new()))
            .as_array_mut()
            .ok_or(AcknowledgeError::WrongType(key, "a list of strings"))?;
        if !list.iter().any(|v| v.as_str() == Some(name.as_str())) {
            list.push(Value::from(name.as_str()));
        }
    }
    Ok(doc.to_string())
}

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

/// The largest document position of the tables in `table`, nested ones included.
fn last_position(table: &Table) -> Option<isize> {
    let mut last = table.position();
    for (_, item) in table.iter() {
        let inner = match item {
            Item::Table(t) => last_position(t),
            Item::ArrayOfTables(a) => a.iter().filter_map(last_position).max(),
            _ => None,
        };
        last = last.max(inner);
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledgements_are_added_once_and_keep_the_rest_of_the_file() {
        let text = "# the shop\n[[campaign]]\nid = \"baby\" # keep me\nslot = \"hero\"\n";
        let sensitive = Acknowledgement::Sensitive("baby".into());
        let slot = Acknowledgement::UnusedSlot("hero".into());
        let many = Acknowledgement::MaxVariants(24);
        let once = acknowledge(text, &[&sensitive, &slot, &many]).unwrap();
        // After every table, arrays of tables included.
        let tables = "[[campaign]]\nid = \"a\"\n\n[x]\ny = 1\n\n[[campaign]]\nid = \"b\"\n";
        let after = acknowledge(tables, &[&sensitive]).unwrap();
        assert_eq!(
            after,
            format!("{tables}\n[acknowledge]\nsensitive = [\"baby\"]\n")
        );
        assert!(once.starts_with(text), "{once}");
        assert_eq!(
            &once[text.len()..],
            "\n[acknowledge]\nsensitive = [\"baby\"]\nunused_slots = [\"hero\"]\nmax_variants = 24\n"
        );
        // Again, and with a lower count: nothing changes.
        let fewer = Acknowledgement::MaxVariants(10);
        assert_eq!(acknowledge(&once, &[&sensitive, &fewer]).unwrap(), once);
        // An existing table gets the new entries where they belong.
        let past = Acknowledgement::PastSchedule("xmas".into());
        let more = Acknowledgement::MaxVariants(30);
        let twice = acknowledge(
            &once,
            &[&past, &more, &Acknowledgement::Sensitive("b2".into())],
        )
        .unwrap();
        assert!(twice.contains("sensitive = [\"baby\", \"b2\"]"), "{twice}");
        assert!(twice.contains("max_variants = 30"), "{twice}");
        assert!(twice.contains("past_schedule = [\"xmas\"]"), "{twice}");
        assert!(twice.contains("id = \"baby\" # keep me"), "{twice}");
    }

    #[test]
    fn acknowledgements_refuse_what_they_cannot_record() {
        let ack = Acknowledgement::Sensitive("x".into());
        assert!(matches!(
            acknowledge("a = [", &[&ack]),
            Err(AcknowledgeError::NotToml(_))
        ));
        assert_eq!(
            acknowledge("acknowledge = 1\n", &[&ack]),
            Err(AcknowledgeError::NotATable)
        );
        assert_eq!(
            acknowledge("[acknowledge]\nsensitive = \"x\"\n", &[&ack]),
            Err(AcknowledgeError::WrongType(
                "sensitive",
                "a list of strings"
            ))
        );
        assert_eq!(
            acknowledge(
                "[acknowledge]\nmax_variants = \"9\"\n",
                &[&Acknowledgement::MaxVariants(3)]
            ),
            Err(AcknowledgeError::WrongType("max_variants", "an integer"))
        );
    }

    #[test]
    fn strings_of_an_array_skip_other_entries_and_absent_is_none() {
        let doc: DocumentMut = "a = [\"x\", 1, \"y\"]\nb = \"z\"\n".parse().unwrap();
        assert_eq!(strings(doc.get("a")), Some(vec!["x".into(), "y".into()]));
        assert_eq!(strings(doc.get("b")), None);
        assert_eq!(strings(doc.get("c")), None);
    }
}
