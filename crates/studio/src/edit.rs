//! `/campaigns/<id>`: the form for what marketers change most (banner HTML, per-segment
//! messages, audience, schedule, priority, slot) and the campaign's raw TOML. "Check" shows the
//! sanitizer's and the compiler's verdicts on the unsaved edit; "Save" rewrites only this
//! campaign in its file (`rewrite`), and only when the compiler accepts every file with the
//! edit in place, so the studio never saves what `vitrine check` refuses.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use maud::{html, Markup};
use toml_edit::{DocumentMut, Item, Table};
use vitrine_compile::document::strings;
use vitrine_compile::{sanitize, CompileError, Level, Policy};

use crate::campaigns::{diagnostic, now, options};
use crate::layout::{csrf, page, Section};
use crate::rewrite::{self, campaign_toml, replace_campaign, rewrite_campaign, Edit, RewriteError};
use crate::state::{AppState, Session};
use crate::workspace::Workspace;

/// The form's values (as loaded, or as posted).
#[derive(Default)]
struct Values {
    slot: String,
    html: String,
    /// (who it is for, its HTML)
    messages: Vec<(String, String)>,
    segments: String,
    audience: String,
    exclude: String,
    when: String,
    priority: String,
    start: String,
    end: String,
    raw: String,
}

/// Messages by form field (`html`, `start`, `messages[0]`, `raw`, `form` for the rest).
type Errors = BTreeMap<String, Vec<String>>;

/// What a page shows besides the form.
enum Outcome {
    /// Just loaded.
    Loaded,
    /// Saved (after a redirect).
    Saved,
    /// Checked, not saved: these are the verdicts.
    Checked,
    /// Refused: nothing was saved.
    Refused,
}

fn fingerprint(text: &str) -> String {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    format!("{:016x}", h.finish())
}

fn list(t: &Table, key: &str) -> String {
    strings(t.get(key)).unwrap_or_default().join(", ")
}

fn str_of(t: &Table, key: &str) -> String {
    t.get(key).and_then(Item::as_str).unwrap_or("").to_owned()
}

fn load(text: &str, id: &str) -> Option<Values> {
    let doc = text.parse::<DocumentMut>().ok()?;
    let t = doc
        .get("campaign")?
        .as_array_of_tables()?
        .iter()
        .find(|t| t.get("id").and_then(Item::as_str) == Some(id))?;
    let mut messages = Vec::new();
    if let Some(m) = t.get("messages") {
        let one = |t: &dyn toml_edit::TableLike| {
            let who = strings(t.get("segments"))
                .map(|s| s.join(", "))
                .or_else(|| {
                    t.get("when")
                        .and_then(Item::as_value)
                        .map(|v| v.to_string())
                })
                .unwrap_or_else(|| "everyone else".into());
            (
                who,
                t.get("html")
                    .and_then(Item::as_str)
                    .unwrap_or("")
                    .to_owned(),
            )
        };
        if let Some(a) = m.as_array_of_tables() {
            messages.extend(a.iter().map(|t| one(t)));
        } else if let Some(a) = m.as_array() {
            messages.extend(a.iter().filter_map(|v| v.as_inline_table()).map(|t| one(t)));
        }
    }
    let (start, end) = rewrite::schedule_of(t);
    Some(Values {
        slot: str_of(t, "slot"),
        html: str_of(t, "html"),
        messages,
        segments: list(t, "segments"),
        audience: str_of(t, "audience"),
        exclude: list(t, "exclude"),
        when: t
            .get("when")
            .and_then(Item::as_value)
            .map(|v| v.to_string().trim().to_owned())
            .unwrap_or_default(),
        priority: t
            .get("priority")
            .and_then(Item::as_integer)
            .map(|p| p.to_string())
            .unwrap_or_default(),
        start: start.unwrap_or_default(),
        end: end.unwrap_or_default(),
        raw: campaign_toml(text, id).unwrap_or_default(),
    })
}

/// `GET /campaigns/<id>`.
pub fn show(state: &AppState, session: &Session, id: &str, saved: bool) -> (u16, Markup) {
    let ws = Workspace::read(&state.config.files);
    let Some(file) = ws.file_of(id) else {
        return not_found(id);
    };
    let Some(values) = load(&file.text, id) else {
        return not_found(id);
    };
    let mut errors = Errors::new();
    if let Err(list) = ws.compile(None, &options(state, now())) {
        place(&mut errors, id, &file.name, &list, false);
    }
    let outcome = if saved {
        Outcome::Saved
    } else {
        Outcome::Loaded
    };
    let base = fingerprint(&file.text);
    (
        200,
        form(
            session,
            id,
            &file.name,
            &base,
            &values,
            &errors,
            &[],
            outcome,
        ),
    )
}

fn not_found(id: &str) -> (u16, Markup) {
    let body = html! { p role="alert" { "No campaign " code { (id) } " in the campaign files. " a href="/campaigns" { "Back to the list" } } };
    (404, page("Not found", Section::Campaigns, body))
}

/// Puts each diagnostic of campaign `id` at its form field; the rest of this file's at `form`
/// (or `raw`, for the raw editor).
fn place(errors: &mut Errors, id: &str, file: &str, list: &[CompileError], raw: bool) {
    let prefix = format!("campaign[{id}]");
    for e in list.iter().filter(|e| e.level == Level::Error) {
        let at = match e.field.strip_prefix(&prefix) {
            _ if raw => "raw".to_owned(),
            Some(rest) => {
                let key = rest.trim_start_matches('.');
                let head = key.split(['.', '[']).next().unwrap_or("");
                match head {
                    "html" | "slot" | "segments" | "audience" | "exclude" | "when" | "priority" => {
                        head.to_owned()
                    }
                    "schedule" => "start".to_owned(),
                    "messages" => key.split('.').next().unwrap_or("form").to_owned(),
                    _ => "form".to_owned(),
                }
            }
            None if e.file == file || e.code == "syntax" => "form".to_owned(),
            None => continue,
        };
        let text = format!(
            "{} ({}:{}:{}; hint: {})",
            e.message, e.file, e.line, e.column, e.hint
        );
        errors.entry(at).or_default().push(text);
    }
}

fn pairs_get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `POST /campaigns/<id>`: check or save the form (or the raw TOML with `raw=1`).
/// Returns the status and page, or `Err(location)` to redirect to after a save.
pub fn post(
    state: &AppState,
    session: &Session,
    id: &str,
    pairs: &[(String, String)],
) -> Result<(u16, Markup), String> {
    let ws = Workspace::read(&state.config.files);
    let Some(file) = ws.file_of(id) else {
        return Ok(not_found(id));
    };
    let Some(mut values) = load(&file.text, id) else {
        return Ok(not_found(id));
    };
    let get = |k: &str| pairs_get(pairs, k).unwrap_or("").replace("\r\n", "\n");
    let raw_mode = pairs_get(pairs, "raw_mode").is_some();
    let saving = pairs_get(pairs, "action") == Some("save");
    let mut errors = Errors::new();
    let base = fingerprint(&file.text);
    if saving && pairs_get(pairs, "base") != Some(base.as_str()) {
        errors.entry("form".into()).or_default().push(
            "the file changed on disk since this form was opened (another editor?): nothing was saved. Reload to edit the current version.".into(),
        );
    }
    let rewritten = if raw_mode {
        values.raw = get("raw");
        replace_campaign(&file.text, id, &values.raw)
    } else {
        values.slot = get("slot");
        values.html = get("html");
        for (i, m) in values.messages.iter_mut().enumerate() {
            m.1 = get(&format!("messages[{i}]"));
        }
        values.segments = get("segments");
        values.audience = get("audience");
        values.exclude = get("exclude");
        values.when = get("when");
        values.priority = get("priority").trim().to_owned();
        values.start = get("start").trim().to_owned();
        values.end = get("end").trim().to_owned();
        edit_of(&values).and_then(|edit| rewrite_campaign(&file.text, id, &edit))
    };
    let text = match rewritten {
        Ok(t) => t,
        Err(RewriteError::Field { field, message }) => {
            errors.entry(field.into()).or_default().push(message);
            String::new()
        }
        Err(e) => {
            errors.entry("form".into()).or_default().push(e.to_string());
            String::new()
        }
    };
    let mut warnings = Vec::new();
    let new_id = if raw_mode {
        raw_id(&values.raw).unwrap_or_else(|| id.to_owned())
    } else {
        id.to_owned()
    };
    if errors.is_empty() {
        match ws.compile(Some((&file.name, &text)), &options(state, now())) {
            Ok(build) => warnings = build.warnings,
            Err(list) => place(&mut errors, &new_id, &file.name, &list, raw_mode),
        }
    }
    if saving && errors.is_empty() {
        crate::workspace::write_file(Path::new(&file.name), &text)
            .map_err(|e| format!("{}: {e}", file.name))
            .or_else(|why| {
                errors
                    .entry("form".into())
                    .or_default()
                    .push(format!("cannot write the file: {why}"));
                Ok::<(), String>(())
            })?;
        if errors.is_empty() {
            return Err(format!("/campaigns/{new_id}?saved=1"));
        }
    }
    let outcome = if errors.is_empty() {
        Outcome::Checked
    } else {
        Outcome::Refused
    };
    let status = if errors.is_empty() { 200 } else { 422 };
    Ok((
        status,
        form(
            session, id, &file.name, &base, &values, &errors, &warnings, outcome,
        ),
    ))
}

/// The id written in the raw editor's campaign (it may have been renamed).
fn raw_id(raw: &str) -> Option<String> {
    let doc = raw.parse::<DocumentMut>().ok()?;
    let t = doc.get("campaign")?.as_array_of_tables()?.iter().next()?;
    t.get("id").and_then(Item::as_str).map(str::to_owned)
}

fn edit_of(v: &Values) -> Result<Edit, RewriteError> {
    let priority = match v.priority.as_str() {
        "" => None,
        p => Some(p.parse::<i64>().map_err(|_| RewriteError::Field {
            field: "priority",
            message: format!("`{p}` is not a whole number"),
        })?),
    };
    Ok(Edit {
        html: Some(v.html.clone()),
        messages: v.messages.iter().map(|(_, h)| Some(h.clone())).collect(),
        slot: Some(v.slot.clone()),
        segments: Some(split_list(&v.segments)),
        audience: Some(v.audience.trim().to_owned()),
        exclude: Some(split_list(&v.exclude)),
        when: Some(v.when.clone()),
        priority: Some(priority),
        start: Some(v.start.clone()),
        end: Some(v.end.clone()),
    })
}

/// The sanitizer's verdict on one piece of campaign HTML.
fn sanitizer(html_text: &str) -> Markup {
    if html_text.trim().is_empty() {
        return html! {};
    }
    match sanitize(html_text, Policy::default()) {
        Ok(clean) if clean == html_text => html! { div.help { "Sanitizer: kept as written." } },
        Ok(clean) => html! {
            div.help { "Sanitizer: parts that are not allowed will be removed. Published as:" }
            pre { (clean) }
        },
        Err(list) => html! { @for e in list { div.error { "Sanitizer: " (e) } } },
    }
}

#[allow(clippy::too_many_arguments)]
fn field(
    name: &str,
    label: &str,
    value: &str,
    help: &str,
    errors: &Errors,
    textarea: bool,
    wide: bool,
) -> Markup {
    let id = format!("f-{}", name.replace(['[', ']'], "-"));
    let errs = errors.get(name);
    let class = match (wide, errs.is_some()) {
        (true, true) => "field wide invalid",
        (true, false) => "field wide",
        (false, true) => "field invalid",
        (false, false) => "field",
    };
    let described = format!("{id}-help {id}-error");
    html! {
        div class=(class) {
            label for=(id) { (label) }
            @if textarea {
                textarea id=(id) name=(name) aria-describedby=(described) aria-invalid=[errs.map(|_| "true")] { (value) }
            } @else {
                input id=(id) type="text" name=(name) value=(value) aria-describedby=(described) aria-invalid=[errs.map(|_| "true")];
            }
            @if !help.is_empty() { div.help id={ (id) "-help" } { (help) } }
            div id={ (id) "-error" } {
                @if let Some(list) = errs { @for e in list { div.error role="alert" { (e) } } }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn form(
    session: &Session,
    id: &str,
    file: &str,
    base: &str,
    v: &Values,
    errors: &Errors,
    warnings: &[CompileError],
    outcome: Outcome,
) -> Markup {
    let action = format!("/campaigns/{id}");
    let body = html! {
        p { "In " code { (file) } ". " a href="/campaigns" { "All campaigns" } " · "
            a href={ "/compare?page=/&personas=new,loyal,price-hunter" } { "Compare personas" } }
        @match outcome {
            Outcome::Saved => p.notice role="status" { "Saved. Only this campaign changed in " code { (file) } "; publish it from " a href="/publish" { "Publish" } "." },
            Outcome::Checked => p.notice role="status" { "Check passed: this edit can be saved. Nothing is saved yet." },
            Outcome::Refused => p.diag role="alert" { "Not saved: fix the problems shown at their fields." },
            Outcome::Loaded => {},
        }
        @if let Some(list) = errors.get("form") { @for e in list { div.diag role="alert" { (e) } } }
        @for w in warnings { (diagnostic(w)) }
        form.edit method="post" action=(action) {
            (csrf(&session.csrf))
            input type="hidden" name="base" value=(base);
            (field("html", "Banner HTML", &v.html, "What the slot shows. Text and simple HTML; {{attr.first_name}} inserts a profile attribute.", errors, true, true))
            div.field.wide { (sanitizer(&v.html)) }
            @for (i, (who, text)) in v.messages.iter().enumerate() {
                (field(&format!("messages[{i}]"), &format!("Message for {who}"), text, "", errors, true, true))
                div.field.wide { (sanitizer(text)) }
            }
            (field("segments", "Segments (any of)", &v.segments, "Comma-separated segment names, e.g. loyal, vip.", errors, false, false))
            (field("audience", "Audience", &v.audience, "Instead of segments: anonymous or everyone.", errors, false, false))
            (field("exclude", "Exclude segments", &v.exclude, "Comma-separated; these visitors never see it.", errors, false, false))
            (field("when", "Conditions", &v.when, "Optional, e.g. { path = \"/c/*\" } or { country = [\"DE\"] }.", errors, false, false))
            (field("start", "Starts", &v.start, "Date, time and offset, e.g. 2026-12-01T09:00:00+01:00. Empty: already started.", errors, false, false))
            (field("end", "Ends", &v.end, "Same form. Empty: never ends.", errors, false, false))
            (field("priority", "Priority", &v.priority, "A whole number; higher wins the slot.", errors, false, false))
            (field("slot", "Slot", &v.slot, "The slot name on the page (<vitrine-slot name=…>).", errors, false, false))
            div.actions {
                button.secondary type="submit" name="action" value="check" { "Check" }
                button type="submit" name="action" value="save" { "Save" }
            }
        }
        details {
            summary { "Raw TOML of this campaign" }
            form.edit method="post" action=(action) {
                (csrf(&session.csrf))
                input type="hidden" name="base" value=(base);
                input type="hidden" name="raw_mode" value="1";
                (field("raw", "Campaign TOML", &v.raw, "Everything of this campaign, with its comments. Other campaigns are not touched.", errors, true, true))
                div.actions {
                    button.secondary type="submit" name="action" value="check" { "Check" }
                    button type="submit" name="action" value="save" { "Save" }
                }
            }
        }
    };
    page(&format!("Edit {id}"), Section::Campaigns, body)
}
