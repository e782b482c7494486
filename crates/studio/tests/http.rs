//! The studio over HTTP, with an in-memory [`Backend`] (the real KV path is the browser test's,
//! under `wrangler dev`): every POST without the session's CSRF token is refused, an edit the
//! compiler refuses is not saved and shows its error at its field, publishing needs the
//! confirmation step, a refused step says why, as an alert, whatever else the page shows (a
//! refused persona on the compare page it was on, with what was typed), and a done step's
//! notice is written by the page from the step's data, never taken from the URL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use vitrine_core::snapshot::layout::{History, Published};
use vitrine_core::Snapshot;
use vitrine_studio::{Backend, Config};

#[derive(Default)]
struct Memory {
    /// Reads of the target fail (a namespace that cannot be read).
    unreadable: AtomicBool,
    versions: Mutex<Vec<(String, Vec<u8>)>>,
    active: Mutex<Option<String>>,
}

struct Shared(Arc<Memory>);

impl std::ops::Deref for Shared {
    type Target = Memory;
    fn deref(&self) -> &Memory {
        &self.0
    }
}

impl Backend for Shared {
    fn target(&self) -> String {
        "memory".into()
    }
    fn active(&self) -> Result<Option<String>, String> {
        self.readable()?;
        Ok(self.active.lock().unwrap().clone())
    }
    fn history(&self) -> Result<History, String> {
        self.readable()?;
        let versions = self.versions.lock().unwrap();
        Ok(History {
            versions: versions
                .iter()
                .rev()
                .map(|(v, _)| Published {
                    version: v.clone(),
                    at: 0,
                    shards: 0,
                })
                .collect(),
        })
    }
    fn fetch(&self, version: &str) -> Result<Snapshot, String> {
        let versions = self.versions.lock().unwrap();
        let bytes = &versions
            .iter()
            .find(|(v, _)| v == version)
            .ok_or("absent")?
            .1;
        vitrine_core::snapshot::decode(bytes).map_err(|e| e.to_string())
    }
    fn publish(&self, s: &Snapshot, _: &[Vec<u8>]) -> Result<Option<String>, String> {
        let version = s.version().to_owned();
        self.versions
            .lock()
            .unwrap()
            .push((version.clone(), vitrine_core::snapshot::encode(s)));
        Ok(self.active.lock().unwrap().replace(version))
    }
    fn rollback(&self, version: &str) -> Result<(), String> {
        *self.active.lock().unwrap() = Some(version.to_owned());
        Ok(())
    }
    fn report_html(&self, _: Option<&Snapshot>) -> Option<Result<String, String>> {
        None
    }
}

impl Memory {
    fn readable(&self) -> Result<(), String> {
        if self.unreadable.load(Ordering::SeqCst) {
            return Err("the namespace cannot be read".into());
        }
        Ok(())
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A copy of the demo campaigns in a fresh folder, and the studio serving it.
fn studio(name: &str) -> (String, PathBuf, Arc<Memory>) {
    let dir = std::env::temp_dir().join(format!("vitrine-studio-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("demo.toml");
    std::fs::copy(root().join("fixtures/campaigns/demo.toml"), &file).unwrap();
    let memory = Arc::new(Memory::default());
    let backend = Shared(memory.clone());
    let config = Config {
        files: vec![file.clone()],
        pages: Some(root().join("fixtures/site")),
        site: None,
        max_variants: 500,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        vitrine_studio::serve(config, Box::new(backend), addr, |url| {
            tx.send(url.to_owned()).unwrap()
        })
        .unwrap();
    });
    (rx.recv().unwrap(), file, memory)
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

struct Got {
    status: u16,
    body: String,
    cookie: Option<String>,
    location: Option<String>,
}

fn send(r: Result<ureq::Response, ureq::Error>) -> Got {
    let r = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    let cookie = r
        .header("set-cookie")
        .map(|c| c.split(';').next().unwrap().to_owned());
    Got {
        status: r.status(),
        cookie,
        location: r.header("location").map(str::to_owned),
        body: r.into_string().unwrap(),
    }
}

fn hidden<'a>(body: &'a str, name: &str) -> &'a str {
    let at = body.find(&format!("name=\"{name}\" value=\"")).expect(name) + name.len() + 15;
    &body[at..at + body[at..].find('"').unwrap()]
}

/// A session: its cookie and the form values of the edit page.
fn open(base: &str, path: &str) -> (String, Got) {
    let got = send(agent().get(&format!("{base}{path}")).call());
    (
        got.cookie.clone().expect("a new session gets a cookie"),
        got,
    )
}

fn post(base: &str, path: &str, cookie: &str, form: &[(&str, &str)]) -> Got {
    send(
        agent()
            .post(&format!("{base}{path}"))
            .set("Cookie", cookie)
            .send_form(form),
    )
}

#[test]
fn a_post_without_the_session_token_is_refused() {
    let (base, file, memory) = studio("csrf");
    let before = std::fs::read_to_string(&file).unwrap();
    let (cookie, page) = open(&base, "/campaigns/loyal-hero");
    let token = hidden(&page.body, "csrf").to_owned();
    let edit = [
        ("action", "save"),
        ("html", "<b>changed</b>"),
        ("slot", "hero"),
        ("segments", "loyal"),
    ];
    for (what, cookie, csrf) in [
        ("no token", cookie.as_str(), None),
        (
            "a wrong token",
            cookie.as_str(),
            Some("0".repeat(token.len())),
        ),
        ("no session", "vitrine_studio=unknown", Some(token.clone())),
    ] {
        let mut form = edit.to_vec();
        if let Some(t) = &csrf {
            form.push(("csrf", t));
        }
        let got = post(&base, "/campaigns/loyal-hero", cookie, &form);
        assert_eq!(got.status, 403, "{what}: {}", got.body);
        let got = post(&base, "/publish/confirm", cookie, &[("version", "x")]);
        assert_eq!(got.status, 403, "{what}: publish");
    }
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        before,
        "nothing was saved"
    );
    assert!(
        memory.active.lock().unwrap().is_none(),
        "nothing was published"
    );
    // The same form with the token goes through: the refusals above were the token's.
    let base_fp = hidden(&page.body, "base").to_owned();
    let mut form = edit.to_vec();
    form.extend([("csrf", token.as_str()), ("base", base_fp.as_str())]);
    let got = post(&base, "/campaigns/loyal-hero", &cookie, &form);
    assert_eq!(got.status, 303, "{}", got.body);
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("html = \"<b>changed</b>\""));
}

#[test]
fn a_refused_edit_shows_its_error_at_its_field_and_saves_nothing() {
    let (base, file, _) = studio("refused");
    let before = std::fs::read_to_string(&file).unwrap();
    let (cookie, page) = open(&base, "/campaigns/loyal-hero");
    let (token, fp) = (
        hidden(&page.body, "csrf").to_owned(),
        hidden(&page.body, "base").to_owned(),
    );
    let common = [
        ("csrf", token.as_str()),
        ("base", fp.as_str()),
        ("action", "save"),
        ("html", "<b>x</b>"),
    ];
    // The compiler refuses a slot name with capitals and an unknown audience; the form's own
    // check refuses a date without an offset.
    for (field, value, id, needle) in [
        ("slot", "Hero!", "f-slot", "Hero!"),
        ("start", "2026-12-01T09:00:00", "f-start", "UTC offset"),
        ("audience", "robots", "f-audience", "robots"),
    ] {
        let mut form = common.to_vec();
        form.push(("slot", if field == "slot" { value } else { "hero" }));
        form.push(("segments", if field == "audience" { "" } else { "loyal" }));
        if field != "slot" {
            form.push((field, value));
        }
        let got = post(&base, "/campaigns/loyal-hero", &cookie, &form);
        assert_eq!(got.status, 422, "{field}: {}", got.body);
        let at = got
            .body
            .find(&format!("id=\"{id}-error\""))
            .expect("the field's error box");
        let error = &got.body[at..at + got.body[at..].find("</div></div>").unwrap()];
        assert!(
            error.contains("class=\"error\"") && error.contains(needle),
            "{field}: {error}"
        );
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            before,
            "{field}: nothing saved"
        );
    }
}

#[test]
fn publishing_needs_the_confirmation_step() {
    let (base, _, memory) = studio("publish");
    let (cookie, page) = open(&base, "/publish");
    let token = hidden(&page.body, "csrf").to_owned();
    let version = hidden(&page.body, "version").to_owned();
    let review = post(
        &base,
        "/publish/review",
        &cookie,
        &[("csrf", &token), ("version", &version)],
    );
    assert_eq!(review.status, 200);
    assert!(
        review.body.contains("Confirm: publish now"),
        "{}",
        review.body
    );
    assert!(
        memory.active.lock().unwrap().is_none(),
        "the review publishes nothing"
    );
    let done = post(
        &base,
        "/publish/confirm",
        &cookie,
        &[("csrf", &token), ("version", &version)],
    );
    assert_eq!(done.status, 303);
    assert_eq!(
        memory.active.lock().unwrap().as_deref(),
        Some(version.as_str())
    );
    // A confirmation for a version the files no longer compile to is refused.
    let stale = post(
        &base,
        "/publish/confirm",
        &cookie,
        &[("csrf", &token), ("version", "0000")],
    );
    refused(&stale, "Not published: the campaign files changed");
}

/// `got` is a refusal (409) whose alert starts with `reason`.
fn refused(got: &Got, reason: &str) {
    assert_eq!(got.status, 409, "{}", got.body);
    assert!(
        got.body.contains(&format!(r#"role="alert">{reason}"#)),
        "a refusal is an alert, with its reason ({reason}): {}",
        got.body
    );
}

/// The publish page's session cookie and CSRF token, and the version its files compile to.
fn publish_page(base: &str) -> (String, String, String) {
    let (cookie, page) = open(base, "/publish");
    let token = hidden(&page.body, "csrf").to_owned();
    let version = hidden(&page.body, "version").to_owned();
    (cookie, token, version)
}

/// A step refused while the target cannot be read says why it was refused, beside why the
/// page cannot show the target.
#[test]
fn a_refusal_is_shown_even_when_the_target_cannot_be_read() {
    let (base, _, memory) = studio("unreadable");
    let (cookie, token, _) = publish_page(&base);
    memory.unreadable.store(true, Ordering::SeqCst);
    let got = post(
        &base,
        "/rollback/confirm",
        &cookie,
        &[("csrf", &token), ("version", "0000")],
    );
    refused(&got, "Not rolled back: the namespace cannot be read");
    assert!(
        got.body.contains("Cannot read memory"),
        "and why the page shows no target: {}",
        got.body
    );
}

/// The confirmation steps check the target first: a review while it cannot be read does not
/// claim that nothing is published yet, and a rollback is offered only to a version it keeps.
#[test]
fn a_confirmation_step_needs_a_readable_target_and_a_kept_version() {
    let (base, _, memory) = studio("steps");
    let (cookie, token, version) = publish_page(&base);
    let unknown = post(
        &base,
        "/rollback/review",
        &cookie,
        &[("csrf", &token), ("version", "0000")],
    );
    refused(
        &unknown,
        "Not rolled back: version 0000 is not kept in memory",
    );
    assert!(!unknown.body.contains("Confirm: roll back"));
    memory.unreadable.store(true, Ordering::SeqCst);
    let review = post(
        &base,
        "/publish/review",
        &cookie,
        &[("csrf", &token), ("version", &version)],
    );
    refused(
        &review,
        "Not ready to publish: cannot read memory: the namespace cannot be read",
    );
    assert!(
        !review.body.contains("first version") && !review.body.contains("Confirm: publish now"),
        "{}",
        review.body
    );
}

/// A warning is accepted as the CLI accepts it: recorded in the `[acknowledge]` table of the
/// file it is in, the rest of the file untouched; publishing is offered once none stands.
#[test]
fn acknowledging_a_warning_records_it_in_the_campaign_file() {
    let (base, file, memory) = studio("acknowledge");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(
        "\n# added for the test\n[[campaign]]\nid = \"baby\"\nslot = \"hero\"\nwhen = { attr = \"pregnancy_week\", gte = 20 }\nhtml = \"x\"\n\n[[campaign]]\nid = \"old\"\nslot = \"hero\"\naudience = \"everyone\"\nhtml = \"x\"\nschedule = { end = 2020-12-26T00:00:00Z }\n",
    );
    std::fs::write(&file, &text).unwrap();
    let (cookie, page) = open(&base, "/publish");
    let token = hidden(&page.body, "csrf").to_owned();
    let version = hidden(&page.body, "version").to_owned();
    assert!(
        page.body.contains("Acknowledge the ticked warnings"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Review and publish"), "{}", page.body);
    // No publish while warnings stand.
    let review = post(
        &base,
        "/publish/review",
        &cookie,
        &[("csrf", &token), ("version", &version)],
    );
    assert_eq!(review.status, 409, "{}", review.body);
    // A stale page writes nothing.
    let stale = post(
        &base,
        "/publish/acknowledge",
        &cookie,
        &[("csrf", &token), ("version", "0000"), ("ack", "0")],
    );
    assert_eq!(stale.status, 409);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    // One warning, then the other.
    for left in [1, 0] {
        let done = post(
            &base,
            "/publish/acknowledge",
            &cookie,
            &[("csrf", &token), ("version", &version), ("ack", "0")],
        );
        assert_eq!(done.status, 303, "{}", done.body);
        let location = done.location.unwrap_or_default();
        assert!(
            location.starts_with("/publish?acknowledged=1&t="),
            "{location}"
        );
        let notice = get(&base, &location, &cookie).body;
        assert_eq!(
            status_notice(&notice),
            Some(
                "Acknowledged: 1 entry recorded in the [acknowledge] tables of the campaign files."
            ),
        );
        let now = std::fs::read_to_string(&file).unwrap();
        assert!(now.starts_with(&text), "the file's text is kept:\n{now}");
        assert!(now[text.len()..].starts_with("\n[acknowledge]\n"), "{now}");
        let page = send(
            agent()
                .get(&format!("{base}/publish"))
                .set("Cookie", &cookie)
                .call(),
        );
        let stand = page.body.matches("name=\"ack\"").count();
        assert_eq!(stand, left, "{}", page.body);
    }
    let now = std::fs::read_to_string(&file).unwrap();
    assert!(now.contains("sensitive = [\"baby\"]"), "{now}");
    assert!(now.contains("past_schedule = [\"old\"]"), "{now}");
    // No more than the files hold.
    let page = get(&base, "/publish?acknowledged=3", &cookie).body;
    assert_eq!(status_notice(&page), None);
    let page = send(
        agent()
            .get(&format!("{base}/publish"))
            .set("Cookie", &cookie)
            .call(),
    );
    assert!(page.body.contains("Review and publish"), "{}", page.body);
    assert!(
        memory.active.lock().unwrap().is_none(),
        "acknowledging publishes nothing"
    );
}

#[test]
fn a_saved_persona_is_compared_and_kept_next_to_the_campaigns() {
    let (base, file, _) = studio("persona");
    let (cookie, page) = open(&base, "/compare");
    let token = hidden(&page.body, "csrf").to_owned();
    let form = [
        ("csrf", token.as_str()),
        ("id", "lapsed"),
        ("label", "Lapsed dog owner"),
        ("segments", "dog_owner"),
        ("attrs", "orders=3, tier=gold"),
        ("viewed", "p0001×3"),
        ("country", "DE"),
        ("consent", "1"),
    ];
    let got = post(&base, "/personas", &cookie, &form);
    assert_eq!(got.status, 303, "{}", got.body);
    let saved = std::fs::read_to_string(file.parent().unwrap().join("personas.toml")).unwrap();
    assert!(
        saved.contains("id = \"lapsed\"") && saved.contains("orders = 3"),
        "{saved}"
    );
    let page = send(
        agent()
            .get(&format!("{base}/compare?page=/&personas=lapsed,loyal"))
            .set("Cookie", &cookie)
            .call(),
    );
    assert!(page.body.contains("Lapsed dog owner"), "{}", page.body);
    // The dog owner's hero wins the slot for this persona, as the trace says.
    let section = &page.body[page.body.find("Lapsed dog owner").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(
        section.contains("dog-hero</a></td><td class=\"chosen\">chosen"),
        "{section}"
    );
    let frame = send(
        agent()
            .get(&format!("{base}/frame?page=/&persona=lapsed"))
            .set("Cookie", &cookie)
            .call(),
    );
    assert!(frame
        .body
        .contains("Treats, toys and beds your dog will love"));
}

/// The value of the form field `id` as the page fills it in.
fn value_of<'a>(body: &'a str, id: &str) -> &'a str {
    let tag = tag_of(body, id);
    let at = tag.find("value=\"").expect(id) + 7;
    &tag[at..at + tag[at..].find('"').unwrap()]
}

/// The start tag of the element `id`.
fn tag_of<'a>(body: &'a str, id: &str) -> &'a str {
    let at = body.find(&format!("id=\"{id}\"")).expect(id);
    &body[at..at + body[at..].find('>').unwrap()]
}

/// Regression: a refused persona save answered with a bare text page, and what was typed into
/// the form was lost. It answers with the compare page the form was on, the reason first as an
/// alert, and the form as typed; 422 for what was typed, 409 for the state of `personas.toml`.
#[test]
fn a_refused_persona_keeps_what_was_typed_and_says_why_first() {
    let (base, file, _) = studio("persona-refused");
    let personas = file.parent().unwrap().join("personas.toml");
    let (cookie, page) = open(&base, "/compare?page=/c/dog&personas=new,loyal");
    let token = hidden(&page.body, "csrf").to_owned();
    let form = |attrs: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("page", "/c/dog".to_owned()),
            ("personas", "new,loyal".to_owned()),
            ("id", "lapsed".to_owned()),
            // Markup typed into a field comes back as text, never as markup.
            ("label", "Lapsed \"dog\" <b>owner</b>".to_owned()),
            ("segments", "dog_owner".to_owned()),
            ("attrs", attrs.to_owned()),
            ("viewed", "p0001x3".to_owned()),
            ("country", "DE".to_owned()),
            ("device", "tablet".to_owned()),
            ("at", "2026-12-24T18:00:00Z".to_owned()),
            // No consent: the box must come back unticked.
        ]
    };
    let send_form = |attrs| {
        let form = form(attrs);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        post(&base, "/personas", &cookie, &form)
    };
    let not_toml = "[[persona]\nid = \"kept\"\n";
    for (what, attrs, status, reason) in [
        (
            "typed wrong",
            "tier",
            422,
            "attribute `tier`: write name=value",
        ),
        ("not TOML", "tier=gold", 409, "is not TOML"),
        ("a folder", "tier=gold", 409, "cannot read"),
    ] {
        match what {
            "not TOML" => std::fs::write(&personas, not_toml).unwrap(),
            "a folder" => {
                std::fs::remove_file(&personas).unwrap();
                std::fs::create_dir(&personas).unwrap();
            }
            _ => {}
        }
        let got = send_form(attrs);
        assert_eq!(got.status, status, "{what}: {}", got.body);
        let first = r#"<h1>Compare personas</h1><p class="diag" role="alert">Persona not saved: "#;
        let at =
            got.body.find(first).unwrap_or_else(|| {
                panic!("{what}: the reason comes first, as an alert: {}", got.body)
            }) + first.len();
        assert!(
            got.body[at..]
                .split("</p>")
                .next()
                .unwrap()
                .contains(reason),
            "{what}: {reason}: {}",
            got.body
        );
        assert!(
            !got.body.contains("<b>owner</b>"),
            "{what}: markup came back"
        );
        // Everything typed is back in the form, which is open.
        for (id, value) in [
            ("np-id", "lapsed"),
            (
                "np-label",
                "Lapsed &quot;dog&quot; &lt;b&gt;owner&lt;/b&gt;",
            ),
            ("np-segments", "dog_owner"),
            ("np-attrs", attrs),
            ("np-viewed", "p0001x3"),
            ("np-country", "DE"),
            ("np-at", "2026-12-24T18:00:00Z"),
        ] {
            assert_eq!(value_of(&got.body, id), value, "{what}: {id}");
        }
        assert!(
            !tag_of(&got.body, "np-consent").contains("checked"),
            "{what}"
        );
        assert!(
            got.body.contains(r#"<option value="tablet" selected>"#),
            "{what}"
        );
        assert!(
            got.body.contains("<details open><summary>Add a persona"),
            "{what}"
        );
        let invalid = tag_of(&got.body, "np-attrs").contains("aria-invalid=\"true\"");
        assert_eq!(invalid, what == "typed wrong", "{what}: the field at fault");
        // On the page the form was on.
        assert!(
            got.body
                .contains(r#"<input type="hidden" name="page" value="/c/dog">"#),
            "{what}"
        );
        assert!(
            got.body
                .contains(r#"<input type="hidden" name="personas" value="new,loyal">"#),
            "{what}"
        );
        if what == "typed wrong" {
            assert_eq!(
                got.body.matches("<iframe sandbox=\"\"").count(),
                2,
                "{what}"
            );
            assert!(!personas.exists(), "{what}: nothing written");
        }
        if what == "not TOML" {
            assert_eq!(std::fs::read_to_string(&personas).unwrap(), not_toml);
        }
    }
    // Fixed, it is saved, and the compare page it was on shows it beside the others.
    std::fs::remove_dir(&personas).unwrap();
    let got = send_form("tier=gold");
    assert_eq!(got.status, 303, "{}", got.body);
    assert_eq!(
        got.location.as_deref(),
        Some("/compare?page=%2Fc%2Fdog&personas=new%2Cloyal%2Clapsed")
    );
    let saved = std::fs::read_to_string(&personas).unwrap();
    assert!(
        saved.contains("tier = \"gold\"") && saved.contains("consent = false"),
        "{saved}"
    );
}

#[test]
fn frames_are_sandboxed_and_pages_have_a_strict_policy() {
    let (base, _, _) = studio("csp");
    let page = agent().get(&format!("{base}/compare")).call().unwrap();
    let csp = page.header("content-security-policy").unwrap().to_owned();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    let body = page.into_string().unwrap();
    assert_eq!(
        body.matches("<iframe sandbox=\"\"").count(),
        3,
        "three sandboxed frames"
    );
    let frame = agent()
        .get(&format!("{base}/frame?page=/&persona=loyal"))
        .call()
        .unwrap();
    let csp = frame.header("content-security-policy").unwrap();
    assert!(
        csp.starts_with("sandbox;") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    // Another Host (DNS rebinding) is refused.
    let other = agent()
        .get(&format!("{base}/campaigns"))
        .set("Host", "shop.example")
        .call();
    assert!(matches!(other, Err(ureq::Error::Status(421, _))));
}

#[test]
fn a_rollback_needs_its_confirmation_and_points_back() {
    let (base, file, memory) = studio("rollback");
    let (cookie, page) = open(&base, "/publish");
    let token = hidden(&page.body, "csrf").to_owned();
    let first = hidden(&page.body, "version").to_owned();
    let publish = |version: &str| {
        let got = post(
            &base,
            "/publish/confirm",
            &cookie,
            &[("csrf", &token), ("version", version)],
        );
        assert_eq!(got.status, 303, "{}", got.body);
    };
    publish(&first);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("priority = 30", "priority = 31")).unwrap();
    let page = send(
        agent()
            .get(&format!("{base}/publish"))
            .set("Cookie", &cookie)
            .call(),
    );
    let second = hidden(&page.body, "version").to_owned();
    assert_ne!(first, second);
    assert!(
        page.body.contains("~ "),
        "the change is listed: {}",
        page.body
    );
    publish(&second);
    let review = post(
        &base,
        "/rollback/review",
        &cookie,
        &[("csrf", &token), ("version", &first)],
    );
    assert!(review.body.contains("Confirm: roll back"));
    assert_eq!(
        memory.active.lock().unwrap().as_deref(),
        Some(second.as_str())
    );
    let done = post(
        &base,
        "/rollback/confirm",
        &cookie,
        &[("csrf", &token), ("version", &first)],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        memory.active.lock().unwrap().as_deref(),
        Some(first.as_str())
    );
}

/// The page's status notice (`p.notice[role=status]`), if it has one.
fn status_notice(body: &str) -> Option<&str> {
    let open = r#"<p class="notice" role="status">"#;
    let at = body.find(open)? + open.len();
    Some(&body[at..at + body[at..].find("</p>")?])
}

fn get(base: &str, path: &str, cookie: &str) -> Got {
    send(
        agent()
            .get(&format!("{base}{path}"))
            .set("Cookie", cookie)
            .call(),
    )
}

/// Regression: `/publish?notice=<text>` showed any text as a green success notice, so a
/// crafted link could say "Published …". A done step redirects with its data only and a MAC
/// of it for the session that took the step, and the page writes the notice itself when the
/// MAC is that session's and the data holds against the target: a made-up link, another
/// session's, an edited one or an old one shows no notice.
#[test]
fn a_notice_is_written_from_the_step_never_taken_from_the_url() {
    let (base, file, _) = studio("notice");
    let (cookie, token, first) = publish_page(&base);
    let shown = |location: &str, cookie: &str| {
        status_notice(&get(&base, location, cookie).body).map(str::to_owned)
    };
    let step = |path: &str, version: &str| {
        let got = post(
            &base,
            path,
            &cookie,
            &[("csrf", &token), ("version", version)],
        );
        assert_eq!(got.status, 303, "{path}: {}", got.body);
        let location = got.location.unwrap();
        let notice = shown(&location, &cookie);
        (location, notice)
    };
    // Before anything is published, no link can claim it was.
    for query in [
        "notice=Published+0123456789abcdef.".to_owned(),
        format!("published={first}"),
        format!("rolled_back={first}"),
        "acknowledged=1".to_owned(),
    ] {
        assert_eq!(
            shown(&format!("/publish?{query}"), &cookie),
            None,
            "{query}"
        );
    }
    let (published_first, notice) = step("/publish/confirm", &first);
    assert!(
        published_first.starts_with(&format!("/publish?published={first}&t=")),
        "{published_first}"
    );
    assert_eq!(
        notice.as_deref(),
        Some(format!("Published {first}.").as_str())
    );
    // Another session, the step's data without its MAC, or with another step's name: none.
    let (other, _) = open(&base, "/publish");
    assert_eq!(shown(&published_first, &other), None);
    let unsigned = published_first.split("&t=").next().unwrap().to_owned();
    let renamed = published_first.replace("published=", "rolled_back=");
    for location in [unsigned, renamed] {
        assert_eq!(shown(&location, &cookie), None, "{location}");
    }
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("priority = 30", "priority = 31")).unwrap();
    let (_, _, second) = publish_page(&base);
    let (location, notice) = step("/publish/confirm", &second);
    assert!(
        location.starts_with(&format!("/publish?published={second}&was={first}&t=")),
        "{location}"
    );
    assert_eq!(
        notice.as_deref(),
        Some(format!("Published {second} (was {first}).").as_str())
    );
    // The first step's own link, once another version is active, says nothing either.
    assert_eq!(shown(&published_first, &cookie), None);
    let review = post(
        &base,
        "/rollback/review",
        &cookie,
        &[("csrf", &token), ("version", &first)],
    );
    assert_eq!(review.status, 200, "{}", review.body);
    let (location, notice) = step("/rollback/confirm", &first);
    assert!(
        location.starts_with(&format!("/publish?rolled_back={first}&t=")),
        "{location}"
    );
    assert_eq!(
        notice.as_deref(),
        Some(format!("Rolled back to {first}.").as_str())
    );
}
