//! The lossless sink over a real runtime: the Worker's `EVENTS_STREAM.send` (src/log.rs) under
//! `wrangler dev`, with the stream played by a local Worker (`stream/stand-in.js`).
//!
//! `wrangler dev` has no local Pipelines: it binds a stream to a Worker of its own whose `send`
//! discards the records. The stand-in has that Worker's shape (a `WorkerEntrypoint` whose
//! `send(records)` returns a Promise, reached through a service binding named
//! `EVENTS_STREAM` over Workers RPC) and logs what each call received, so the test sees the
//! records exactly as a stream would get them. KV, the Worker and the CLI are all real; only
//! the stream, which has no local simulation, is stood in for.
//!
//! One scripted run of consenting visitors (views, exposures, beacon and order conversions) goes
//! to two dev servers: one whose stream accepts every send, and one whose stream refuses every
//! second send. The first gets N records, each a schema-2 event that the stream's declared
//! schema (`schema/pipelines-stream.json`) accepts, none logged instead, and the CLI reads the
//! N events back from the Parquet layout as N rows. The second loses none: its accepted records
//! plus the event log lines of its refused sends are the same N events.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::*;
use vitrine_core::measure::events::Event;
use vitrine_core::measure::sink::LOG_PREFIX;

/// What the stand-in writes before each call's JSON (see `stream/stand-in.js`).
const STAND_IN_PREFIX: &str = "vitrine-stream-send ";
const CONSENT: &str = "cookieconsent_status=allow";
/// Scripted visitors per run.
const VISITORS: usize = 8;
/// Requests per scripted visitor ([`script`]).
const REQUESTS: usize = 6;

#[test]
fn every_event_reaches_the_stream_and_a_refused_send_falls_back_to_log_lines() {
    let (accepting, refusing) = std::thread::scope(|s| {
        let refusing = s.spawn(|| start_with_stream("stream-refusing", 2));
        (
            start_with_stream("stream-accepting", 0),
            refusing.join().unwrap(),
        )
    });
    let (views, conversions) = script(&accepting);
    let want = views + conversions;
    let got = settled(&accepting, want);
    let records = accepted_records(&got);
    assert_eq!(
        logged_events(&got).count(),
        0,
        "nothing logged while the stream accepts"
    );
    let events: Vec<Event> = records.iter().map(record_event).collect();
    assert_eq!(count(&events, "vitrine.view"), views, "views");
    assert_eq!(count(&events, "vitrine.conversion"), conversions);
    assert!(count(&events, "vitrine.exposure") > 0, "no exposures");
    one_send_per_request(&got, VISITORS * REQUESTS);
    read_back_as_rows(&accepting.state, &events);

    script(&refusing);
    let log = settled(&refusing, want);
    let refused = stand_in_calls(&log)
        .filter(|c| c["rejected"] == true)
        .count();
    assert!(refused > 0, "the stand-in refused no send");
    let mut recovered: Vec<Event> = accepted_records(&log).iter().map(record_event).collect();
    let streamed = recovered.len();
    recovered.extend(
        logged_events(&log)
            .map(|json| Event::parse(json).unwrap_or_else(|e| panic!("{e}: {json}"))),
    );
    assert!(
        streamed > 0 && recovered.len() > streamed,
        "{streamed} streamed"
    );
    assert_eq!(
        log.matches("\"event\":\"vitrine.sink_failed\"").count(),
        refused,
        "each refused send is noted once"
    );
    assert!(
        log.contains("stand-in stream refused call"),
        "the note says why"
    );
    assert_eq!(normalized(&recovered), normalized(&events), "no event lost");
    eprintln!(
        "stream: {} events ({views} views, {conversions} conversions, the rest exposures), {} records; every second send refused: {streamed} streamed, {} logged",
        events.len(),
        records.len(),
        recovered.len() - streamed
    );
}

/// A dev server over `fixtures/campaigns/measure.toml` whose `EVENTS_STREAM` is a stand-in
/// refusing every `reject_every`-th send (0: none).
fn start_with_stream(name: &str, reject_every: u32) -> Dev {
    let state = state_dir(name);
    publish_campaign(&state, "fixtures/campaigns/measure.toml");
    let service = format!("vitrine-stream-{name}-{}", std::process::id());
    let stand_in = state.join("stand-in.toml");
    std::fs::write(
        &stand_in,
        format!(
            "name = \"{service}\"\nmain = \"{}\"\ncompatibility_date = \"2025-09-01\"\n\n[vars]\nREJECT_EVERY = \"{reject_every}\"\n",
            root().join("tests/e2e/stream/stand-in.js").display()
        ),
    )
    .unwrap();
    let worker = state.join("wrangler.toml");
    std::fs::write(&worker, worker_config(&service)).unwrap();
    start_configs(
        state,
        &[worker, stand_in],
        &[
            ("VITRINE_ACTIVITY_KEYS", ACTIVITY_KEYS),
            ("CONSENT", "cookie:cookieconsent_status=allow"),
        ],
    )
}

/// The top level of `wrangler.toml` (the local Worker) with absolute paths, no build step (the
/// tests run the built Worker), and `EVENTS_STREAM` bound to the stand-in `service`.
fn worker_config(service: &str) -> String {
    let text = std::fs::read_to_string(root().join("wrangler.toml")).unwrap();
    let top = text.split("\n[env.").next().unwrap();
    let mut out = String::new();
    let mut in_build = false;
    let (mut main, mut assets) = (false, false);
    for line in top.lines() {
        if line.starts_with('[') {
            in_build = line == "[build]";
        }
        if in_build {
            continue;
        }
        if line.starts_with("main = ") {
            main = true;
            out.push_str(&format!(
                "main = \"{}\"\n",
                root().join("build/index.js").display()
            ));
        } else if line.starts_with("directory = ") {
            assets = true;
            let dir = line.split('"').nth(1).unwrap();
            out.push_str(&format!("directory = \"{}\"\n", root().join(dir).display()));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(main && assets, "wrangler.toml changed shape:\n{top}");
    out.push_str(&format!(
        "\n[[services]]\nbinding = \"EVENTS_STREAM\"\nservice = \"{service}\"\n"
    ));
    out
}

/// Consenting visitors, each with a profile: the home page, a category, two product pages, an
/// `add_to_cart` beacon and an order confirmation. The views and conversions it makes.
fn script(dev: &Dev) -> (usize, usize) {
    let personas: [&[&str]; 3] = [&["loyal"], &["price_hunter"], &["dog_owner"]];
    let (mut views, mut conversions) = (0, 0);
    for i in 0..VISITORS {
        let mut cookie = format!("{CONSENT}; {}", profile(i, personas[i % 3]));
        for path in [
            "/".to_owned(),
            "/c/dog".to_owned(),
            format!("/p/p{:04}", 1 + i),
            format!("/p/p{:04}", 2 + i),
        ] {
            let got = get(dev, &path, Some(&cookie));
            assert_eq!(got.status, 200, "{path}");
            cookie = with_set_cookie(&cookie, &got);
        }
        views += 2;
        let beacon = send_beacon(dev, &cookie, 10.0 + i as f64);
        assert_eq!(beacon.status, 204, "{}", beacon.text());
        cookie = with_set_cookie(&cookie, &beacon);
        let order = format!("/order/confirmed?total={}.50&order=S-{i}", 20 + i);
        assert_eq!(get(dev, &order, Some(&cookie)).status, 200);
        conversions += 2;
    }
    (views, conversions)
}

/// A profile cookie for visitor `i` (a stable `sub`, so both servers see the same pseudonyms).
fn profile(i: usize, segments: &[&str]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ring = vitrine_core::KeyRing::parse(KEYS).unwrap();
    let claims =
        serde_json::json!({"sub": format!("stream-{i}"), "seg": segments, "exp": now + 3600});
    format!(
        "{}={}",
        vitrine_core::cookie::PROFILE_COOKIE,
        vitrine_core::cookie::mint(&claims, &ring)
    )
}

/// `cookie` with the cookie `got` set replacing the one of that name.
fn with_set_cookie(cookie: &str, got: &Got) -> String {
    let Some(pair) = got.header("set-cookie").and_then(|sc| sc.split(';').next()) else {
        return cookie.to_owned();
    };
    let name = pair.split('=').next().unwrap_or_default();
    let mut kept: Vec<&str> = cookie
        .split("; ")
        .filter(|c| c.split('=').next() != Some(name))
        .collect();
    kept.push(pair);
    kept.join("; ")
}

/// An `add_to_cart` beacon as the demo's "Add to cart" button sends it.
fn send_beacon(dev: &Dev, cookie: &str, value: f64) -> Got {
    let resp = agent()
        .post(&format!("{}/__vitrine/event", dev.base))
        .set("origin", &dev.base)
        .set("sec-fetch-site", "same-origin")
        .set("content-type", "text/plain;charset=UTF-8")
        .set("cookie", cookie)
        .timeout(Duration::from_secs(20))
        .send_string(&format!(r#"{{"event":"add_to_cart","value":{value}}}"#));
    let resp = match resp {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("beacon: {e}"),
    };
    Got {
        status: resp.status(),
        headers: ["set-cookie"]
            .iter()
            .filter_map(|n| Some((n.to_string(), resp.header(n)?.to_owned())))
            .collect(),
        body: resp.into_string().unwrap_or_default().into_bytes(),
    }
}

/// The log once the sends are in: at least `want` views and conversions streamed or logged
/// (exposures come on top, so counting them would stop the wait early), then no new line for
/// a second (bounded, 30 s).
fn settled(dev: &Dev, want: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::new();
    loop {
        std::thread::sleep(Duration::from_millis(1000));
        let log = log(dev);
        let exposure = "\"event\":\"vitrine.exposure\"";
        let seen = accepted_records(&log)
            .iter()
            .filter(|r| r["event"] != "vitrine.exposure")
            .count()
            + logged_events(&log)
                .filter(|l| !l.contains(exposure))
                .count();
        if (seen >= want && log == last) || Instant::now() > deadline {
            return log;
        }
        last = log;
    }
}

/// Each stand-in call's JSON: `{"call", "rejected", "records"}`.
fn stand_in_calls(log: &str) -> impl Iterator<Item = serde_json::Value> + '_ {
    log.lines().filter_map(|l| {
        let at = l.find(STAND_IN_PREFIX)?;
        Some(serde_json::from_str(&l[at + STAND_IN_PREFIX.len()..]).unwrap())
    })
}

/// The records of every send the stand-in accepted, in order.
fn accepted_records(log: &str) -> Vec<serde_json::Value> {
    stand_in_calls(log)
        .filter(|c| c["rejected"] == false)
        .flat_map(|c| c["records"].as_array().unwrap().clone())
        .collect()
}

/// The JSON of the Worker's `vitrine-event` log lines.
fn logged_events(log: &str) -> impl Iterator<Item = &str> {
    log.lines()
        .filter(|l| !l.contains(STAND_IN_PREFIX))
        .filter_map(|l| l.find(LOG_PREFIX).map(|at| &l[at + LOG_PREFIX.len()..]))
}

/// A record as the event it must be: one the stream's declared schema accepts (a record it
/// refuses would be dropped, so lost) and that parses with the shared event schema.
fn record_event(record: &serde_json::Value) -> Event {
    static DECLARED: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    let declared = DECLARED.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("schema/pipelines-stream.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    });
    if let Err(why) = conforms(record, declared["fields"].as_array().unwrap()) {
        panic!("the stream's schema refuses {record}: {why}");
    }
    let json = record.to_string();
    Event::parse(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// Whether `record` has only declared fields, every required one, each of its declared type.
fn conforms(record: &serde_json::Value, fields: &[serde_json::Value]) -> Result<(), String> {
    let object = record.as_object().ok_or("not an object")?;
    if let Some(k) = object
        .keys()
        .find(|k| !fields.iter().any(|f| f["name"] == **k))
    {
        return Err(format!("undeclared field {k}"));
    }
    for f in fields {
        let name = f["name"].as_str().unwrap();
        let Some(v) = object.get(name).filter(|v| !v.is_null()) else {
            if f["required"] == true {
                return Err(format!("required field {name} missing"));
            }
            continue;
        };
        let ok = match f["type"].as_str().unwrap() {
            "string" => v.is_string(),
            "int32" => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            "int64" => v.is_i64() || v.is_u64(),
            "float64" => v.is_number(),
            "bool" => v.is_boolean(),
            "json" => true,
            "list" => v
                .as_array()
                .is_some_and(|items| items.iter().all(serde_json::Value::is_string)),
            "struct" => conforms(v, f["fields"].as_array().unwrap()).is_ok(),
            other => return Err(format!("unknown declared type {other}")),
        };
        if !ok {
            return Err(format!("{name} is not a {}: {v}", f["type"]));
        }
    }
    Ok(())
}

fn count(events: &[Event], kind: &str) -> usize {
    events.iter().filter(|e| kind_of(e) == kind).count()
}

fn kind_of(event: &Event) -> &'static str {
    match event {
        Event::Exposure(_) => "vitrine.exposure",
        Event::Conversion(_) => "vitrine.conversion",
        Event::View(_) => "vitrine.view",
    }
}

/// One `send` per request: every call carries events, and none carries two requests' worth
/// (each product view and each conversion is a request of its own).
fn one_send_per_request(log: &str, requests: usize) {
    let calls: Vec<Vec<Event>> = stand_in_calls(log)
        .map(|c| {
            c["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(record_event)
                .collect()
        })
        .collect();
    assert!(
        calls.len() <= requests,
        "{} sends for {requests} requests",
        calls.len()
    );
    for events in &calls {
        assert!(!events.is_empty(), "a send without records");
        let own = events
            .iter()
            .filter(|e| !matches!(e, Event::Exposure(_)))
            .count();
        assert!(
            own <= 1,
            "one send carried several requests' events: {events:?}"
        );
    }
}

/// The events written in the Parquet layout, then read back by the CLI: `vitrine recs train`
/// reads every row (N events, the views among them), `vitrine report` counts the exposures and
/// conversions, and neither finds a bad row.
fn read_back_as_rows(state: &Path, events: &[Event]) {
    let file: PathBuf = state.join("events.parquet");
    let bytes = vitrine_report::input::parquet::write::to_bytes(events).unwrap();
    std::fs::write(&file, bytes).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(cli())
            .args(args)
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "vitrine {args:?}: {stderr}");
        (out.stdout, stderr)
    };
    let table = state.join("recs.csv");
    let (_, said) = run(&["recs", "train", "--output", table.to_str().unwrap()]);
    let views = count(events, "vitrine.view");
    assert!(
        said.contains(&format!("read {} events: {views} views", events.len())),
        "{said}"
    );
    let (json, _) = run(&["report", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        report["input"]["events"],
        events.len() - views,
        "exposures and conversions: {:#}",
        report["input"]
    );
    assert_eq!(report["input"]["bad_lines"], 0);
}

/// The events as sorted lines with their times cleared (two runs differ only in when).
fn normalized(events: &[Event]) -> Vec<String> {
    let mut lines: Vec<String> = events
        .iter()
        .map(|e| {
            let mut v: serde_json::Value = serde_json::from_str(&e.to_line()).unwrap();
            v["ts"] = 0.into();
            v["day"] = 0.into();
            v.to_string()
        })
        .collect();
    lines.sort();
    lines
}
