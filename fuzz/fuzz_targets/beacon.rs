//! Any beacon body must be refused with a reason or accepted as a declared beacon conversion
//! whose value lies in its range, never a panic. The same bytes are also tried as the query of
//! a page conversion (the value parameter) and as request headers of the route.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine_core::measure::conversion::at_page;
use vitrine_core::measure::conversion::beacon::{check_head, parse, Head, MAX_BODY_BYTES};
use vitrine_core::snapshot::goal::{Goal, Range};

fn goals() -> Vec<Goal> {
    let range = Some(Range {
        min: 0.0,
        max: 1000.0,
    });
    vec![
        Goal {
            name: "add_to_cart".into(),
            path: None,
            value_param: None,
            dedupe_param: None,
            beacon: true,
            signed: false,
            value: range,
        },
        Goal {
            name: "newsletter".into(),
            path: None,
            value_param: None,
            dedupe_param: None,
            beacon: true,
            signed: false,
            value: None,
        },
        Goal {
            name: "purchase".into(),
            path: Some("/order/confirmed*".into()),
            value_param: Some("total".into()),
            dedupe_param: None,
            beacon: false,
            signed: false,
            value: range,
        },
    ]
}

fuzz_target!(|data: &[u8]| {
    let goals = goals();
    match parse(data, &goals) {
        Ok(b) => {
            assert!(b.goal.beacon && data.len() <= MAX_BODY_BYTES);
            match (b.value, b.goal.value) {
                (Some(v), Some(r)) => assert!(r.contains(v)),
                (Some(_), None) => panic!("a value the conversion does not declare"),
                (None, _) => {}
            }
        }
        Err(why) => assert!((400..=503).contains(&why.status()) && !why.code().is_empty()),
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some((_, Ok(Some(v)))) = at_page(&goals, "/order/confirmed", text) {
        assert!((0.0..=1000.0).contains(&v));
    }
    let _ = check_head(Head {
        method: "POST",
        url: text,
        origin: Some(text),
        fetch_site: Some(text),
        content_type: Some(text),
        content_length: Some(text),
    });
});
