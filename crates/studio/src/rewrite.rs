//! Rewrites one campaign of a campaign file and nothing else. The file is edited as a
//! `toml_edit` document, so every comment, blank line, key order and string style outside the
//! changed values stays byte for byte; a value that the form did not change is not touched
//! either (its quotes, its trailing comment). Never validates campaigns: the compiler does,
//! on the rewritten text, before anything is saved.

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, TableLike, Value};
use vitrine_compile::document::strings;

/// What the edit form changes in one campaign. `None` leaves a field as it is.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Edit {
    /// The banner's HTML (`html`).
    pub html: Option<String>,
    /// The HTML of each per-segment message, in file order.
    pub messages: Vec<Option<String>>,
    /// The slot name.
    pub slot: Option<String>,
    /// `segments` (empty: the key is removed).
    pub segments: Option<Vec<String>>,
    /// `audience` (empty: the key is removed).
    pub audience: Option<String>,
    /// `exclude` (empty: the key is removed).
    pub exclude: Option<Vec<String>>,
    /// `when`, as an inline TOML expression (empty: the key is removed).
    pub when: Option<String>,
    /// `priority` (`None` inside: the key is removed).
    pub priority: Option<Option<i64>>,
    /// `schedule.start`, RFC 3339 with offset (empty: no start).
    pub start: Option<String>,
    /// `schedule.end`, RFC 3339 with offset (empty: no end).
    pub end: Option<String>,
}

/// Why a rewrite could not be made; `field` names the form field it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RewriteError {
    /// The file itself is not valid TOML (fix it in the raw editor or another editor).
    #[error("the file is not valid TOML: {0}")]
    File(String),
    /// No `[[campaign]]` with this id in the file.
    #[error("no campaign `{0}` in this file")]
    NotFound(String),
    /// A field's value cannot be written.
    #[error("{field}: {message}")]
    Field {
        /// The form field (`start`, `when`, `raw`, …).
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
}

fn field(field: &'static str, message: impl Into<String>) -> RewriteError {
    RewriteError::Field {
        field,
        message: message.into(),
    }
}

/// The `[[campaign]]` array and the index of campaign `id` in it.
fn find<'d>(doc: &'d mut DocumentMut, id: &str) -> Result<&'d mut Table, RewriteError> {
    doc.get_mut("campaign")
        .and_then(Item::as_array_of_tables_mut)
        .and_then(|a| {
            a.iter_mut()
                .find(|t| t.get("id").and_then(Item::as_str) == Some(id))
        })
        .ok_or_else(|| RewriteError::NotFound(id.to_owned()))
}

fn parse(text: &str) -> Result<DocumentMut, RewriteError> {
    text.parse::<DocumentMut>()
        .map_err(|e| RewriteError::File(e.message().to_owned()))
}

/// `text` with campaign `id` changed as `edit` says; everything else as it was.
///
/// ```
/// use vitrine_studio::{rewrite_campaign, Edit};
/// let file = "# the shop\n[[campaign]]\nid = \"a\"  # first\nslot = \"hero\"\nhtml = 'Hi'\n";
/// let edit = Edit { html: Some("Hello".into()), ..Edit::default() };
/// let out = rewrite_campaign(file, "a", &edit).unwrap();
/// assert_eq!(out, "# the shop\n[[campaign]]\nid = \"a\"  # first\nslot = \"hero\"\nhtml = \"Hello\"\n");
/// ```
pub fn rewrite_campaign(text: &str, id: &str, edit: &Edit) -> Result<String, RewriteError> {
    let mut doc = parse(text)?;
    let table = find(&mut doc, id)?;
    if let Some(html) = &edit.html {
        set_str(table, "html", html);
    }
    if let Some(slot) = &edit.slot {
        set_str(table, "slot", slot);
    }
    if let Some(audience) = &edit.audience {
        set_str(table, "audience", audience);
    }
    if let Some(list) = &edit.segments {
        set_list(table, "segments", list);
    }
    if let Some(list) = &edit.exclude {
        set_list(table, "exclude", list);
    }
    if let Some(when) = &edit.when {
        set_when(table, when)?;
    }
    if let Some(priority) = edit.priority {
        match priority {
            Some(p) if table.get("priority").and_then(Item::as_integer) != Some(p) => {
                set_value(table, "priority", Value::from(p))
            }
            Some(_) => {}
            None => {
                table.remove("priority");
            }
        }
    }
    set_messages(table, &edit.messages);
    set_schedule(table, edit.start.as_deref(), edit.end.as_deref())?;
    Ok(doc.to_string())
}

/// Replaces `key`'s value, keeping the old value's surrounding spaces and trailing comment.
fn set_value(table: &mut Table, key: &str, mut new: Value) {
    match table.get_mut(key).and_then(Item::as_value_mut) {
        Some(old) => {
            let decor = old.decor().clone();
            *new.decor_mut() = decor;
            *old = new;
        }
        None => {
            table.insert(key, Item::Value(new));
        }
    }
}

fn set_str(table: &mut Table, key: &str, new: &str) {
    let old = table.get(key).and_then(Item::as_str);
    if new.is_empty() {
        if old.is_some() {
            table.remove(key);
        }
    } else if old != Some(new) {
        set_value(table, key, Value::from(new));
    }
}

fn set_list(table: &mut Table, key: &str, new: &[String]) {
    let old = strings(table.get(key));
    if new.is_empty() {
        if table.contains_key(key) {
            table.remove(key);
        }
    } else if old.as_deref() != Some(new) {
        let array: Array = new.iter().map(String::as_str).collect();
        set_value(table, key, Value::Array(array));
    }
}

/// Parses an inline expression (`{ path = "/" }`) as the value of `when`.
fn set_when(table: &mut Table, text: &str) -> Result<(), RewriteError> {
    let text = text.trim();
    if text.is_empty() {
        table.remove("when");
        return Ok(());
    }
    let probe = format!("when = {text}\n");
    let doc = probe
        .parse::<DocumentMut>()
        .map_err(|e| field("when", format!("not a TOML inline table: {}", e.message())))?;
    let value = doc
        .get("when")
        .and_then(Item::as_value)
        .filter(|v| v.is_inline_table())
        .ok_or_else(|| {
            field(
                "when",
                "write one inline table, for example { path = \"/\" }",
            )
        })?;
    let same = table
        .get("when")
        .and_then(Item::as_value)
        .map(|v| v.to_string().trim() == value.to_string().trim());
    if same != Some(true) {
        let mut v = value.clone();
        v.decor_mut().clear();
        set_value(table, "when", v);
    }
    Ok(())
}

fn set_messages(table: &mut Table, new: &[Option<String>]) {
    let Some(item) = table.get_mut("messages") else {
        return;
    };
    let set = |t: &mut dyn TableLike, html: &str| {
        if t.get("html").and_then(Item::as_str) != Some(html) {
            let decor = t
                .get("html")
                .and_then(Item::as_value)
                .map(|v| v.decor().clone());
            let mut v = Value::from(html);
            if let Some(d) = decor {
                *v.decor_mut() = d;
            }
            t.insert("html", Item::Value(v));
        }
    };
    if let Some(a) = item.as_array_of_tables_mut() {
        for (t, html) in a.iter_mut().zip(new) {
            if let Some(html) = html {
                set(t, html);
            }
        }
    } else if let Some(a) = item.as_array_mut() {
        for (v, html) in a.iter_mut().zip(new) {
            if let (Some(t), Some(html)) = (v.as_inline_table_mut(), html) {
                set(t, html);
            }
        }
    }
}

fn datetime(
    name: &'static str,
    text: Option<&str>,
) -> Result<Option<Option<toml_edit::Datetime>>, RewriteError> {
    let Some(text) = text.map(str::trim) else {
        return Ok(None);
    };
    if text.is_empty() {
        return Ok(Some(None));
    }
    let dt: toml_edit::Datetime = text.parse().map_err(|_| {
        field(
            name,
            format!("`{text}` is not a date and time like 2026-12-01T09:00:00+01:00"),
        )
    })?;
    if dt.date.is_none() || dt.time.is_none() || dt.offset.is_none() {
        return Err(field(
            name,
            format!("`{text}` needs a date, a time and a UTC offset (+01:00 or Z)"),
        ));
    }
    Ok(Some(Some(dt)))
}

/// The schedule's `start` and `end`, whether written inline or as a `[campaign.schedule]`.
pub fn schedule_of(table: &Table) -> (Option<String>, Option<String>) {
    let Some(s) = table.get("schedule").and_then(Item::as_table_like) else {
        return (None, None);
    };
    let get = |k: &str| {
        s.get(k)
            .and_then(Item::as_value)
            .and_then(Value::as_datetime)
            .map(ToString::to_string)
    };
    (get("start"), get("end"))
}

fn set_schedule(
    table: &mut Table,
    start: Option<&str>,
    end: Option<&str>,
) -> Result<(), RewriteError> {
    let (start, end) = (datetime("start", start)?, datetime("end", end)?);
    let (old_start, old_end) = schedule_of(table);
    let wanted = |new: &Option<Option<toml_edit::Datetime>>, old: &Option<String>| match new {
        None => None,
        Some(n) if n.as_ref().map(ToString::to_string) == *old => None,
        Some(n) => Some(*n),
    };
    let (start, end) = (wanted(&start, &old_start), wanted(&end, &old_end));
    if start.is_none() && end.is_none() {
        return Ok(());
    }
    if !table.contains_key("schedule") {
        table.insert(
            "schedule",
            Item::Value(Value::InlineTable(InlineTable::new())),
        );
    }
    let Some(s) = table.get_mut("schedule").and_then(Item::as_table_like_mut) else {
        return Err(field(
            "start",
            "`schedule` is not a table; fix it in the raw TOML",
        ));
    };
    for (key, new) in [("start", start), ("end", end)] {
        match new {
            None => {}
            Some(None) => {
                s.remove(key);
            }
            Some(Some(dt)) => {
                let mut v = Value::from(dt);
                if let Some(old) = s.get(key).and_then(Item::as_value) {
                    *v.decor_mut() = old.decor().clone();
                }
                s.insert(key, Item::Value(v));
            }
        }
    }
    if s.is_empty() {
        table.remove("schedule");
    }
    Ok(())
}

/// Campaign `id` as a TOML snippet of its own (`[[campaign]]` and its sub-tables), comments
/// included, for the raw editor.
pub fn campaign_toml(text: &str, id: &str) -> Result<String, RewriteError> {
    let mut doc = parse(text)?;
    let table = find(&mut doc, id)?.clone();
    let mut one = DocumentMut::new();
    let mut array = ArrayOfTables::new();
    array.push(table);
    one.insert("campaign", Item::ArrayOfTables(array));
    Ok(one.to_string())
}

/// `text` with campaign `id` replaced by the one `[[campaign]]` in `raw`, in the same place.
pub fn replace_campaign(text: &str, id: &str, raw: &str) -> Result<String, RewriteError> {
    let mut doc = parse(text)?;
    let new = raw
        .parse::<DocumentMut>()
        .map_err(|e| field("raw", e.to_string()))?;
    let others: Vec<&str> = new
        .iter()
        .map(|(k, _)| k)
        .filter(|k| *k != "campaign")
        .collect();
    if !others.is_empty() {
        return Err(field(
            "raw",
            format!(
                "only this campaign can be edited here; remove `{}`",
                others.join("`, `")
            ),
        ));
    }
    let mut tables = match new.get("campaign").and_then(Item::as_array_of_tables) {
        Some(a) if a.len() == 1 => a.clone(),
        _ => {
            return Err(field(
                "raw",
                "write exactly one [[campaign]] table (with its sub-tables)",
            ))
        }
    };
    let old = find(&mut doc, id)?;
    let position = old.position();
    let Some(mut table) = tables.iter_mut().next().map(std::mem::take) else {
        return Err(field("raw", "write exactly one [[campaign]] table"));
    };
    place(&mut table, position);
    *old = table;
    Ok(doc.to_string())
}

/// Gives a table and every table under it the same position: the document prints them in
/// their own order where the replaced campaign was.
fn place(table: &mut Table, position: Option<isize>) {
    table.set_position(position);
    for (_, item) in table.iter_mut() {
        match item {
            Item::Table(t) => place(t, position),
            Item::ArrayOfTables(a) => a.iter_mut().for_each(|t| place(t, position)),
            _ => {}
        }
    }
}
