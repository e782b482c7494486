//! End to end over `wrangler dev`: parse once, splice many. The first request for a page is
//! streamed through the runtime's own HTMLRewriter and the second maps the page; with
//! `ATTRIBUTE_SLOTS=off` and `MAP_FIRST_VIEWS=on` the first is marked by that rewriter and
//! spliced from the marked copy, which maps the page in the same parse. Later ones are spliced from its map (the fetched
//! copy, then the held page); all must be byte-identical to the golden files the native
//! streaming rewrite produces, for every persona and page, with the same cache-safety headers.

use crate::support;

use support::*;

const TEN_S: std::time::Duration = std::time::Duration::from_secs(10);
const TWENTY_S: std::time::Duration = std::time::Duration::from_secs(20);
const TENTH_S: std::time::Duration = std::time::Duration::from_millis(100);

#[test]
fn spliced_responses_equal_streamed_golden_pages() {
    let state = state_dir("splice");
    publish_demo(&state);
    let dev = start(state, &[("PAGE_REVALIDATE_SECS", "4")]);
    let personas: [(&str, &[&str]); 4] = [
        ("anonymous", &[]),
        ("loyal", &["loyal"]),
        ("price-hunter", &["price_hunter"]),
        ("dog-owner", &["dog_owner"]),
    ];
    let pages = [("home", "/"), ("dog", "/c/dog"), ("product", "/p/p0001")];
    let mut spliced = 0;
    for round in 0..2 {
        for (who, segments) in personas {
            let cookie = (!segments.is_empty()).then(|| mint(segments));
            for (name, path) in pages {
                let got = get(&dev, path, cookie.as_deref());
                assert_eq!(got.status, 200, "{who} {path}");
                let xv = got.header("x-vitrine").unwrap_or("").to_owned();
                let golden = root().join(format!("fixtures/golden/{who}-{name}.html"));
                let want = std::fs::read(&golden).unwrap();
                assert!(
                    got.body == want,
                    "{who} {path} round {round} ({xv}) differs from {golden:?}"
                );
                assert_eq!(got.header("cache-control"), Some("private, no-store"));
                assert!(got.header("etag").is_none() && got.header("last-modified").is_none());
                let timing = got.header("server-timing").unwrap_or("").to_owned();
                if xv.ends_with("; body=spliced") {
                    spliced += 1;
                    // Spliced from the page's map: the bytes the source just sent (its second
                    // view), or the held page (later views), revalidated by a 304 past the
                    // window.
                    assert!(timing.contains("splice;dur="), "{timing}");
                } else if xv.ends_with("; body=mapped") {
                    // The second view (the demo pages use the attribute form, on in
                    // development): mapped by the runtime's rewriter from the fetched page.
                    assert!(
                        timing.contains("page;desc=\"fetched\"") && timing.contains("map;dur="),
                        "{timing}"
                    );
                } else {
                    // The first view: streamed through the runtime's rewriter.
                    assert!(xv.ends_with("; body=streamed"), "{xv}");
                    assert!(timing.contains("page;desc=\"fetched\""), "{timing}");
                }
            }
        }
    }
    // Every page was mapped by its second request; the whole second round is spliced.
    assert!(
        spliced >= personas.len() * pages.len(),
        "only {spliced} spliced responses"
    );
    // Past PAGE_REVALIDATE_SECS the held page is revalidated (the source answers 304), and a
    // request right after that is served from it with no subrequest at all.
    std::thread::sleep(std::time::Duration::from_millis(4_500));
    let cookie = mint(&["loyal"]);
    let want = std::fs::read(root().join("fixtures/golden/loyal-home.html")).unwrap();
    for expected in ["revalidated", "held"] {
        let got = get(&dev, "/", Some(&cookie));
        assert!(
            got.body == want,
            "{expected}: body differs from the golden page"
        );
        let timing = got.header("server-timing").unwrap_or("");
        assert!(
            timing.contains(&format!("page;desc=\"{expected}\"")),
            "{expected}: {timing}"
        );
        assert!(got
            .header("x-vitrine")
            .unwrap_or("")
            .ends_with("; body=spliced"));
    }
}

/// A first view the runtime's rewriter fails on (injected with `x-vitrine-fault: native_map`)
/// has spent its body before anything was sent: the page is remembered as refused and asked
/// for again, so the visitor still gets it filled (by the WASM rewriter: the same bytes as the
/// first view of the same page under another key, which the runtime's rewriter marks and
/// maps), with one `vitrine.native_map_failed` line; its next view is streamed by the WASM
/// rewriter too, without the runtime's rewriter being asked again.
#[test]
fn a_first_view_the_runtimes_rewriter_fails_on_is_asked_for_again() {
    let state = state_dir("native-fault");
    publish_demo(&state);
    let dev = start(
        state,
        &[("ATTRIBUTE_SLOTS", "off"), ("MAP_FIRST_VIEWS", "on")],
    );
    let cookie = mint(&["loyal"]);
    let from = log_len(&dev);
    let failed = |dev: &Dev| {
        log_since(dev, from)
            .matches("\"event\":\"vitrine.native_map_failed\"")
            .count()
    };
    let got = get_with(
        &dev,
        "/",
        &[("cookie", &cookie), ("x-vitrine-fault", "native_map")],
    );
    assert_eq!(got.status, 200);
    let xv = got.header("x-vitrine").unwrap_or("").to_owned();
    assert!(xv.ends_with("; body=streamed"), "{xv}");
    let text = got.text();
    assert!(text.contains("loyalty discount"), "filled: {xv}");
    let _ = poll(TWENTY_S, TENTH_S, || when((), failed(&dev) > 0));
    assert_eq!(failed(&dev), 1, "{}", log_since(&dev, from));
    let again = get(&dev, "/", Some(&cookie));
    let again_xv = again.header("x-vitrine").unwrap_or("").to_owned();
    assert!(again_xv.ends_with("; body=streamed"), "{again_xv}");
    assert!(again.body == got.body, "the same page, streamed again");
    // The same page under another key (a query parameter that is not a tracking one): its
    // first view is marked and mapped by the runtime's rewriter, and gives the same bytes.
    let other = get(&dev, "/?v=2", Some(&cookie));
    let other_xv = other.header("x-vitrine").unwrap_or("").to_owned();
    assert!(other_xv.ends_with("; body=mapped"), "{other_xv}");
    assert_eq!(
        other_xv.replace("; body=mapped", ""),
        xv.replace("; body=streamed", ""),
        "the same decision"
    );
    assert!(
        other.body == got.body,
        "the same bytes as the mapped first view"
    );
    assert_eq!(failed(&dev), 1);
}

/// Regression for the streaming path's promise: first bytes leave before the upstream body
/// ends. A loopback origin sends the first part of a page, then holds the rest until the
/// visitor has received body bytes (or 15 s pass, which fails the test).
#[test]
fn streamed_page_starts_before_the_upstream_body_ends() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc, Mutex};
    use std::time::Duration;

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let rest_sent = Arc::new(AtomicBool::new(false));
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Arc::new(Mutex::new(release_rx));
    let sent = Arc::clone(&rest_sent);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(500) {
            let Ok(mut stream) = stream else { continue };
            let (sent, release_rx) = (Arc::clone(&sent), Arc::clone(&release_rx));
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                let _ = reader.read_line(&mut first);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                if !first.starts_with("GET / ") {
                    let _ = write!(
                        stream,
                        // Assets (the harness polls /style.css until the server is up).
                        "HTTP/1.1 200 OK\r\ncontent-type: text/css\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    );
                    return;
                }
                // No validator and no-store: this page is always streamed, never spliced.
                let head =
                    "<!doctype html><html><body><vitrine-slot name=\"hero\">default</vitrine-slot>";
                let part1 = format!("{head}{}", "<p>filler</p>".repeat(2500));
                let part2 = "<p>end</p></body></html>";
                let _ = write!(stream, "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncache-control: no-store\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n");
                let _ = write!(stream, "{:x}\r\n{part1}\r\n", part1.len());
                let _ = stream.flush();
                let _ = release_rx
                    .lock()
                    .unwrap()
                    .recv_timeout(Duration::from_secs(15));
                sent.store(true, Ordering::SeqCst);
                let _ = write!(stream, "{:x}\r\n{part2}\r\n0\r\n\r\n", part2.len());
            });
        }
    });

    let state = state_dir("first-byte");
    publish_demo(&state);
    let dev = start_origin(state, &addr, &[]);
    let mut client = TcpStream::connect(dev.base.trim_start_matches("http://")).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        client,
        "GET / HTTP/1.1\r\nhost: 127.0.0.1\r\ncookie: {}\r\nconnection: close\r\n\r\n",
        mint(&["loyal"])
    )
    .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    let body_start = loop {
        let n = client.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "connection closed early: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            if got.len() > i + 4 + 1000 {
                break i + 4;
            }
        }
    };
    assert!(
        !rest_sent.load(Ordering::SeqCst),
        "body bytes arrived only after the upstream body ended"
    );
    let _ = release_tx.send(());
    client.read_to_end(&mut got).unwrap();
    let text = String::from_utf8_lossy(&got[body_start..]).into_owned();
    assert!(text.contains("loyalty discount"), "hero filled");
    assert!(text.contains("<p>end</p>"), "page complete");
    let head = String::from_utf8_lossy(&got[..body_start]).to_ascii_lowercase();
    assert!(
        head.contains("x-vitrine: v=") && head.contains("body=streamed"),
        "{head}"
    );
}

/// `wrangler dev` over the loopback origin at `addr`, with the demo published and a window of
/// `revalidate_secs`.
fn origin_dev(name: &str, addr: &str, revalidate_secs: &str) -> Dev {
    let state = state_dir(name);
    publish_demo(&state);
    start_origin(state, addr, &[("PAGE_REVALIDATE_SECS", revalidate_secs)])
}

const HTML: &str = "content-type: text/html; charset=utf-8\r\n";

/// Requests `path` once per entry of `want` (Server-Timing `page` source, body mode) and checks
/// each response is personalized, `private, no-store`, and as expected; returns the bodies.
fn expect(dev: &Dev, path: &str, want: &[(&str, &str)]) -> Vec<Vec<u8>> {
    let cookie = mint(&["loyal"]);
    let mut bodies = Vec::new();
    for (i, (page, body)) in want.iter().enumerate() {
        let got = get(dev, path, Some(&cookie));
        assert_eq!(got.status, 200, "{path} #{i}");
        let timing = got.header("server-timing").unwrap_or("");
        assert!(
            timing.contains(&format!("page;desc=\"{page}\"")),
            "{path} #{i}: want {page}: {timing}"
        );
        let xv = got.header("x-vitrine").unwrap_or("");
        assert!(xv.ends_with(&format!("; body={body}")), "{path} #{i}: {xv}");
        assert_eq!(got.header("cache-control"), Some("private, no-store"));
        assert!(
            got.text().contains("loyalty discount"),
            "{path} #{i}: personalized"
        );
        bodies.push(got.body);
    }
    bodies
}

/// Origin mode: a recorded page the origin lets shared caches keep is held (no Cache API read,
/// no origin request) within `PAGE_REVALIDATE_SECS`, also when it has no validator of its own
/// (it is keyed by its content); a `no-store` page is never held, nor recorded (so never
/// spliced from another visitor's copy): the origin is asked every time and it is streamed.
#[test]
fn origin_pages_are_held_only_when_shareable() {
    let page = site_file("index.html");
    let (addr, seen) = origin(move |target| {
        let headers = match target {
            "/" => format!("{HTML}cache-control: public, max-age=60\r\netag: \"v1\"\r\n"),
            "/?plain" => format!("{HTML}cache-control: public, max-age=60\r\n"),
            _ => format!("{HTML}cache-control: no-store\r\netag: \"v1\"\r\n"),
        };
        (headers, page.clone())
    });
    let dev = origin_dev("origin-held", &addr, "30");
    // Streamed on the first view, mapped on the second (which holds it), and spliced from the
    // held page after that; a page keyed by its content is mapped at once (its hash is only
    // known once it is read), then spliced from the fetched copy, and held.
    let by_validator = [
        ("fetched", "streamed"),
        ("fetched", "mapped"),
        ("held", "spliced"),
        ("held", "spliced"),
    ];
    let by_content = [
        ("fetched", "mapped"),
        ("fetched", "spliced"),
        ("held", "spliced"),
        ("held", "spliced"),
    ];
    for (path, held) in [("/", by_validator), ("/?plain", by_content)] {
        let bodies = expect(&dev, path, &held);
        assert!(
            bodies.iter().all(|b| *b == bodies[0]),
            "{path}: bodies differ"
        );
    }
    let fetched = [
        ("fetched", "streamed"),
        ("fetched", "streamed"),
        ("fetched", "streamed"),
    ];
    let bodies = expect(&dev, "/?fresh", &fetched);
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "no-store: bodies differ"
    );
    // The second view comes from the Cache API or, if its fill has not landed yet, the
    // origin; from then on the page is held and nobody is asked.
    assert!(asked(&seen, "/") <= 2, "a held page is not asked for again");
    assert!(
        asked(&seen, "/?plain") <= 2,
        "a held page is not asked for again"
    );
    assert_eq!(
        asked(&seen, "/?fresh"),
        3,
        "a no-store page is asked for every time"
    );
}

/// Ad clicks make URLs unique (`?gclid=…`), not pages: tracking parameters are left out of the
/// page key, so a click on a page another visitor already opened is spliced from its map, and
/// the origin (and its Cache API entry) only ever sees the page's own URL. Parameters that may
/// change the page (`?page=2`) make another page; `TRACKING_PARAMS` replaces the list.
#[test]
fn tracking_parameters_share_one_page_and_never_reach_the_origin() {
    let page = site_file("index.html");
    let serve = move |_: &str| {
        (
            format!("{HTML}cache-control: public, max-age=60\r\netag: \"v1\"\r\n"),
            page.clone(),
        )
    };
    let (addr, seen) = origin(serve.clone());
    let dev = origin_dev("tracking", &addr, "30");
    let mut bodies = Vec::new();
    for (path, page, body) in [
        ("/?gclid=Cj0KCQ1", "fetched", "streamed"),
        (
            "/?utm_source=news&utm_medium=email&gclid=x2",
            "fetched",
            "mapped",
        ),
        ("/?fbclid=IwAR3", "held", "spliced"),
        ("/?page=2&msclkid=m4", "fetched", "streamed"),
        ("/?msclkid=m5&page=2", "fetched", "mapped"),
    ] {
        bodies.extend(expect(&dev, path, &[(page, body)]));
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]), "bodies differ");
    let targets: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|h| h.split(' ').nth(1).map(str::to_owned))
        .filter(|t| !t.starts_with("/style") && !t.ends_with(".css"))
        .collect();
    for t in &targets {
        assert!(
            ["/", "/?page=2"].contains(&t.as_str()),
            "the origin was asked for {t}: {targets:?}"
        );
    }
    drop(dev);

    // A site's own list: only `ref` is tracking now.
    let (addr, seen) = origin(serve);
    let state = state_dir("tracking-own");
    publish_demo(&state);
    let dev = start_origin(
        state,
        &addr,
        &[("PAGE_REVALIDATE_SECS", "30"), ("TRACKING_PARAMS", "ref")],
    );
    expect(&dev, "/?ref=a", &[("fetched", "streamed")]);
    expect(&dev, "/?ref=b", &[("fetched", "mapped")]);
    expect(&dev, "/?gclid=c", &[("fetched", "streamed")]);
    assert_eq!(
        asked(&seen, "/?gclid=c"),
        1,
        "gclid is kept when not listed"
    );
    assert_eq!(asked(&seen, "/?ref=a") + asked(&seen, "/?ref=b"), 0);
}

/// Origin mode, a shareable page without a validator, revalidated on every request
/// (`PAGE_REVALIDATE_SECS=0`, and `max-age=0` so the Cache API keeps nothing): each copy is
/// compared with the mapped page by its content. The same bytes are spliced; a change (here of
/// the same length, so only the hash tells) is mapped again, then spliced.
#[test]
fn origin_pages_without_validators_are_keyed_by_content() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let v1 = site_file("index.html");
    let v2 = String::from_utf8(v1.clone())
        .unwrap()
        .replacen("<!doctype html>", "<!DOCTYPE html>", 1)
        .into_bytes();
    assert_eq!(v1.len(), v2.len());
    let changed = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&changed);
    let (addr, seen) = origin(move |_| {
        let body = if flag.load(Ordering::SeqCst) {
            &v2
        } else {
            &v1
        };
        (
            format!("{HTML}cache-control: public, max-age=0\r\n"),
            body.clone(),
        )
    });
    let dev = origin_dev("origin-content", &addr, "0");
    let before = expect(
        &dev,
        "/",
        &[
            ("fetched", "mapped"),
            ("fetched", "spliced"),
            ("fetched", "spliced"),
        ],
    );
    assert!(before.iter().all(|b| *b == before[0]), "bodies differ");
    assert!(String::from_utf8_lossy(&before[0]).starts_with("<!doctype html>"));
    changed.store(true, Ordering::SeqCst);
    let after = expect(
        &dev,
        "/",
        &[
            ("fetched", "mapped"),
            ("fetched", "spliced"),
            ("fetched", "spliced"),
        ],
    );
    assert!(after.iter().all(|b| *b == after[0]), "bodies differ");
    assert!(String::from_utf8_lossy(&after[0]).starts_with("<!DOCTYPE html>"));
    let want =
        String::from_utf8_lossy(&before[0]).replacen("<!doctype html>", "<!DOCTYPE html>", 1);
    assert!(
        after[0] == want.as_bytes(),
        "the change, personalized the same way"
    );
    assert_eq!(asked(&seen, "/"), 6);
}

/// A content-keyed origin page sent gzip-encoded: its `Content-Length` is the encoded size,
/// not the mapped page's, so the copy is read and compared by its decoded bytes, and an
/// unchanged page is spliced rather than streamed and recorded again on every revalidation.
#[test]
fn gzip_encoded_origin_pages_are_compared_by_their_decoded_bytes() {
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&site_file("index.html")).unwrap();
    let body = gz.finish().unwrap();
    let (addr, seen) = origin(move |_| {
        let headers =
            format!("{HTML}cache-control: public, max-age=0\r\ncontent-encoding: gzip\r\n");
        (headers, body.clone())
    });
    let dev = origin_dev("origin-gzip", &addr, "0");
    let bodies = expect(
        &dev,
        "/",
        &[
            ("fetched", "mapped"),
            ("fetched", "spliced"),
            ("fetched", "spliced"),
        ],
    );
    assert!(bodies.iter().all(|b| *b == bodies[0]), "bodies differ");
    assert_eq!(asked(&seen, "/"), 3);
}

/// Charsets, in the real .wasm (built without encoding_rs' legacy CJK tables): a windows-1252
/// page gets exactly the personalization of the same page in UTF-8, encoded in windows-1252
/// (the banner's "—" is byte 0x97); a Shift_JIS page is refused before lol_html sees it and
/// comes back byte for byte as the origin sent it; a page whose Content-Type names no charset
/// (here windows-1252 by its `<meta>`) gets its fragments in ASCII, streamed and then spliced.
#[test]
fn single_byte_pages_are_rewritten_and_legacy_cjk_pages_pass_unchanged() {
    use encoding_rs::{SHIFT_JIS, WINDOWS_1252};

    let utf8 = String::from_utf8(site_file("index.html")).unwrap();
    let (latin, _, lossy) = WINDOWS_1252.encode(&utf8);
    assert!(!lossy, "the demo page is all windows-1252");
    let latin = latin.into_owned();
    let japanese = "<!doctype html><meta charset=\"Shift_JIS\"><title>ホームと庭</title>\
        <vitrine-slot name=\"hero\">ようこそ</vitrine-slot>";
    let (sjis, _, lossy) = SHIFT_JIS.encode(japanese);
    assert!(!lossy);
    let sjis = sjis.into_owned();
    let sent = sjis.clone();
    let meta = utf8.replacen(
        "<meta charset=\"utf-8\">",
        "<meta charset=\"windows-1252\">",
        1,
    );
    let unlabelled = WINDOWS_1252.encode(&meta).0.into_owned();
    let (addr, _) = origin(move |target| match target {
        "/unlabelled" => (
            "content-type: text/html\r\ncache-control: public, max-age=60\r\netag: \"u1\"\r\n"
                .into(),
            unlabelled.clone(),
        ),
        "/latin" => (
            "content-type: text/html; charset=windows-1252\r\n".into(),
            latin.clone(),
        ),
        "/sjis" => (
            "content-type: text/html; charset=Shift_JIS\r\n".into(),
            sjis.clone(),
        ),
        _ => (HTML.into(), utf8.clone().into_bytes()),
    });
    let dev = origin_dev("charsets", &addr, "30");
    let cookie = mint(&["loyal"]);

    let reference = get(&dev, "/", Some(&cookie));
    assert!(reference.text().contains("loyalty discount"));
    let text = reference.text();
    let (want, _, lossy) = WINDOWS_1252.encode(&text);
    assert!(!lossy);
    for i in 0..2 {
        let got = get(&dev, "/latin", Some(&cookie));
        assert_eq!(got.status, 200);
        let xv = got.header("x-vitrine").unwrap_or("");
        assert!(
            xv.starts_with("v=") && xv.ends_with("body=streamed"),
            "#{i}: {xv}"
        );
        assert_eq!(got.header("cache-control"), Some("private, no-store"));
        assert!(
            got.body == want.as_ref(),
            "#{i}: the windows-1252 page differs from the UTF-8 one, encoded"
        );
        assert!(
            got.body.windows(3).any(|w| w == b" \x97 "),
            "the banner's dash is 0x97"
        );
    }

    let ascii = "Welcome back &#x2014; your loyalty discount";
    let mut bodies = Vec::new();
    for body in ["streamed", "mapped", "spliced"] {
        let got = get(&dev, "/unlabelled", Some(&cookie));
        let xv = got.header("x-vitrine").unwrap_or("");
        assert!(
            xv.starts_with("v=") && xv.ends_with(&format!("body={body}")),
            "{xv}"
        );
        let (text, _) = WINDOWS_1252.decode_without_bom_handling(&got.body);
        assert!(text.contains(ascii), "{body}: the fragment is ASCII");
        assert_eq!(
            unreference(&text).replacen("windows-1252", "utf-8", 1),
            unreference(&reference.text()),
            "{body}: the same page and personalization as in UTF-8, read as a browser does"
        );
        bodies.push(got.body);
    }
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "streamed, mapped and spliced differ"
    );

    let got = get(&dev, "/sjis", Some(&cookie));
    assert_eq!(got.status, 200);
    let xv = got.header("x-vitrine").unwrap_or("");
    assert!(
        xv.contains("bypass") && xv.contains("reason=unsupported_charset"),
        "{xv}"
    );
    assert!(
        got.body == sent,
        "the Shift_JIS page is passed through byte for byte"
    );
}

/// `ATTRIBUTE_SLOTS=off`, production's setting: the tag-form slots are filled and the
/// attribute-form one keeps its default content, on the first view and spliced alike, and the
/// page that still marks a slot with `data-vitrine-slot` is logged, once.
#[test]
fn attribute_slots_off_fills_only_tag_slots_and_logs_the_page() {
    let state = state_dir("attribute-off");
    publish_demo(&state);
    let dev = start(
        state,
        &[("ATTRIBUTE_SLOTS", "off"), ("MAP_FIRST_VIEWS", "on")],
    );
    let cookie = mint(&["loyal"]);
    // The first view is marked and spliced in one parse (which maps the page); the second is
    // spliced from the fetched copy, the third from the held page: all the same bytes.
    let mut first: Option<Vec<u8>> = None;
    for body in ["mapped", "spliced", "spliced"] {
        let got = get(&dev, "/", Some(&cookie));
        let xv = got.header("x-vitrine").unwrap_or("");
        assert!(xv.ends_with(&format!("body={body}")), "{xv}");
        let first = first.get_or_insert_with(|| got.body.clone());
        assert!(
            *first == got.body,
            "{body}: the same bytes as the first view"
        );
        let text = got.text();
        assert!(
            text.contains("loyalty discount"),
            "{body}: the tag-form hero is filled"
        );
        assert!(
            text.contains(">Need help? Call us.<") && !text.contains("chat now"),
            "{body}: the attribute-form slot keeps its default"
        );
    }
    let logged = || log(&dev).matches("vitrine.attribute_slots_off").count();
    let _ = poll(TEN_S, TENTH_S, || when((), logged() > 0));
    assert_eq!(logged(), 1, "logged once");
}

/// A page one isolate mapped is spliced on its first view in another isolate of the colo
/// (`body=shared`), from the map written to the Cache API, and gives the same bytes; with
/// `SHARED_MAPS=off` the new isolate maps the page itself. The second server is a new isolate
/// over the same local state (KV and Cache API), asked with the same `Host`, so the page key is
/// the same.
#[test]
fn a_page_mapped_in_one_isolate_is_spliced_from_its_shared_map_in_the_next() {
    let state = state_dir("shared-maps");
    publish_demo(&state);
    let vars = [("ATTRIBUTE_SLOTS", "off"), ("MAP_FIRST_VIEWS", "on")];
    let cookie = mint(&["loyal"]);
    let heads = [("cookie", cookie.as_str()), ("host", "shop.test")];
    let ask = |dev: &Dev, path: &str| {
        let got = get_with(dev, path, &heads);
        assert_eq!(got.status, 200, "{path}");
        let xv = got.header("x-vitrine").unwrap_or("").to_owned();
        (got, xv)
    };
    let dev = start(state, &vars);
    let (first, first_xv) = ask(&dev, "/c/dog");
    assert!(first_xv.ends_with("; body=mapped"), "{first_xv}");
    // The isolate's first map is written at once, in the background: wait (bounded) until the
    // local Cache API holds it (miniflare keeps a named cache's entries as files).
    let blobs = dev.state.join("v3/cache/named_vitrine-maps/blobs");
    let written = || std::fs::read_dir(&blobs).map_or(0, Iterator::count) >= 1;
    let _ = poll(TEN_S, TENTH_S, || when((), written()));
    let state = dev.stop_keeping_state();

    let dev = start(state, &vars);
    let (again, again_xv) = ask(&dev, "/c/dog");
    assert!(again_xv.ends_with("; body=shared"), "{again_xv}");
    assert!(
        again.body == first.body,
        "the same bytes as the mapped first view"
    );
    assert_eq!(
        again_xv.replace("; body=shared", ""),
        first_xv.replace("; body=mapped", ""),
        "the same decision"
    );
    let timing = again.header("server-timing").unwrap_or("");
    assert!(timing.contains("page;desc=\"fetched\""), "{timing}");
    // Now known to this isolate: its next view is an ordinary splice.
    let (next, next_xv) = ask(&dev, "/c/dog");
    assert!(next_xv.ends_with("; body=spliced"), "{next_xv}");
    assert!(next.body == first.body);
    // A page no isolate mapped is mapped here.
    let (_, new_xv) = ask(&dev, "/p/p0001");
    assert!(new_xv.ends_with("; body=mapped"), "{new_xv}");
    let state = dev.stop_keeping_state();

    // With sharing off, a new isolate does not read the shared map.
    let mut off = vars.to_vec();
    off.push(("SHARED_MAPS", "off"));
    let dev = start(state, &off);
    let (_, off_xv) = ask(&dev, "/c/dog");
    assert!(off_xv.ends_with("; body=mapped"), "{off_xv}");
}
