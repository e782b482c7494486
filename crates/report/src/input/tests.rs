use super::*;
use vitrine_core::measure::events::{Common, Conversion, ExposureEvent, Via, SCHEMA};
use vitrine_core::measure::sink::layout;

fn exposure(visitor: Option<&str>) -> Event {
    Event::Exposure(ExposureEvent {
        common: Common {
            schema: SCHEMA,
            ts: 1_764_264_000,
            day: 20_419,
            snapshot: "v1".into(),
            visitor: visitor.map(str::to_owned),
            global_holdout: false,
        },
        experiment: Some("hero-copy".into()),
        campaign: Some("hero-urgent".into()),
        arm: "urgency".into(),
        pre: None,
        context: None,
        split: None,
    })
}

fn conversion() -> Event {
    Event::Conversion(Conversion {
        common: Common {
            schema: SCHEMA,
            ts: 1_764_264_100,
            day: 20_419,
            snapshot: "v1".into(),
            visitor: Some("ab".into()),
            global_holdout: true,
        },
        name: "purchase".into(),
        value: Some(49.9),
        source: Via::Beacon,
        assignments: [("hero-copy".to_owned(), "holdout".to_owned())].into(),
        campaigns: [("hero-urgent".to_owned(), "holdout".to_owned())].into(),
        products: Vec::new(),
    })
}

#[test]
fn json_lines_tolerate_log_prefixes_and_count_what_they_cannot_read() {
    let text = format!(
        "{}\n\n[wrangler:inf] GET / 200 OK (3ms)\n  (log) {}\n{{\"event\":\"vitrine.exposure\",\"schema\":2}}\n{{\"other\":1}}\n{}\n",
        exposure(Some("ab")).to_line(),
        conversion().to_line(),
        r#"{"event":"vitrine.exposure","schema":1,"ts":1,"day":0,"snapshot":"s","arm":"a"}"#,
    );
    let parsed = json_lines(&text);
    assert_eq!(parsed.events, vec![exposure(Some("ab")), conversion()]);
    assert_eq!(parsed.bad_count, 2);
    assert_eq!(parsed.bad[0].line, 5);
    assert!(
        parsed.bad[1].reason.contains("schema 1"),
        "{:?}",
        parsed.bad
    );
    assert_eq!(parsed.skipped, 2);
}

#[test]
fn only_the_first_bad_lines_are_kept_but_all_are_counted() {
    let text = "{\"event\":\"vitrine.x\"}\n".repeat(BAD_LINES_KEPT + 5);
    let parsed = json_lines(&text);
    assert_eq!(parsed.bad_count, BAD_LINES_KEPT + 5);
    assert_eq!(parsed.bad.len(), BAD_LINES_KEPT);
}

fn to_csv(events: &[Event]) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(layout::COLUMNS).unwrap_or_default();
    for e in events {
        let row: Vec<String> = layout::row(e).into_iter().map(|(_, v)| v).collect();
        w.write_record(&row).unwrap_or_default();
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[test]
fn csv_round_trips_through_the_layout() {
    let events = vec![exposure(Some("ab")), exposure(None), conversion()];
    let parsed = csv(&to_csv(&events)).unwrap_or_default();
    assert_eq!(parsed.events, events);
    assert_eq!(parsed.bad_count, 0);
}

#[test]
fn csv_rows_that_do_not_fit_the_layout_are_bad_lines() {
    let mut text = to_csv(&[exposure(Some("ab"))]);
    text.push_str("ab,click,,,x,v1,,,,,,1764264000,0,0,2\n");
    text.push_str("ab,conversion,,,buy,v1,url,broken,,,,1764264000,0,0,2\n");
    text.push_str("ab,exposure,e,,a,v1,,,,,,soon,0,0,2\n");
    let parsed = csv(&text).unwrap_or_default();
    assert_eq!(parsed.events.len(), 1);
    let lines: Vec<usize> = parsed.bad.iter().map(|b| b.line).collect();
    assert_eq!(lines, [3, 4, 5], "{:?}", parsed.bad);
    assert!(parsed.bad[1].reason.contains("blob7"));
}

#[test]
fn csv_without_the_layout_columns_is_refused_by_name() {
    let err = csv("a,b\n1,2\n").err();
    assert!(
        matches!(&err, Some(InputError::CsvHeader(m)) if m.contains("blob1")),
        "{err:?}"
    );
}

#[test]
fn sql_json_answers_are_read_and_sampling_is_flagged() {
    let body = r#"{"meta":[],"data":[
        {"index1":"ab","blob1":"exposure","blob2":"hero-copy","blob3":"hero-urgent","blob4":"urgency",
         "blob5":"v1","blob6":"","blob7":"","blob8":"","double1":1764264000,"double2":0,"double3":0,
         "double4":2,"_sample_interval":1},
        {"index1":"ab","blob1":"exposure","blob2":"hero-copy","blob3":"","blob4":"urgency",
         "blob5":"v1","blob6":"","blob7":"","blob8":"","double1":1764264000,"double2":0,"double3":0,
         "_sample_interval":10},
        7],"rows":3}"#;
    let parsed = sql_json(body).unwrap_or_default();
    assert_eq!(parsed.events[0], exposure(Some("ab")));
    assert_eq!(parsed.events.len(), 2);
    assert_eq!(parsed.bad_count, 2, "{:?}", parsed.bad);
    assert!(parsed.bad[1].reason.contains("sampled"));
    assert!(matches!(sql_json("{}"), Err(InputError::Response(_))));
    assert!(matches!(sql_json("<html>"), Err(InputError::Response(_))));
}
