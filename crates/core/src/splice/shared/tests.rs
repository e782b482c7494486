use proptest::prelude::*;

use super::wire::{WireEntry, WireSlot, MAGIC};
use super::*;
use crate::rewrite::Limits;
use crate::snapshot::Op;
use crate::splice::tests::plan;
use crate::splice::{record, SlotSpan};

const PAGE: &str = "<html><body><vitrine-slot name=\"hero\"><p>x</p></vitrine-slot>\
                    <p>between</p><vitrine-slot name=\"recs\"></vitrine-slot></body></html>";

fn map_of(page: &str) -> SlotMap {
    record(page.as_bytes(), Limits::default(), None).expect("the test page records")
}

fn indexed(entries: &[Entry]) -> Indexed {
    Indexed::new(encode(entries)).expect("what encode writes reads back")
}

/// `n` slots named `name`, ten bytes apart: a map too big for a bucket.
fn many_slots(n: usize, name: &str) -> Vec<SlotSpan> {
    (0..n)
        .map(|i| SlotSpan {
            name: name.into(),
            outer: i * 10..i * 10 + 9,
            inner: i * 10 + 1..i * 10 + 8,
        })
        .collect()
}

fn entry(page: &str, validator: &str) -> Entry {
    Entry::new(page, validator, map_of(PAGE))
}

#[test]
fn a_bucket_comes_back_as_it_was_written() {
    let entries = vec![
        entry("https://shop.example/c/dog", "\"v1\"\n\n120\ntext/html"),
        entry("https://shop.example/", "\"v2\"\n\n\n"),
    ];
    let bytes = encode(&entries);
    assert!(bytes.starts_with(MAGIC));
    assert_eq!(decode(&bytes), Ok(entries));
    assert_eq!(decode(&encode(&[])), Ok(vec![]));
}

#[test]
fn an_indexed_bucket_answers_each_page_at_its_validator() {
    let mut a2 = entry("https://s/a", "2");
    a2.map = map_of("<vitrine-slot name=\"x\"></vitrine-slot>");
    let entries = vec![
        a2.clone(),
        entry("https://s/b", "1"),
        entry("https://s/a", "1"),
    ];
    let bucket = indexed(&entries);
    assert_eq!(bucket.len(), 2);
    // The newest entry of a page is the one kept.
    assert_eq!(bucket.get("https://s/a", "2"), Some(a2.map));
    assert_eq!(bucket.get("https://s/a", "1"), None);
    assert_eq!(bucket.get("https://s/b", "1"), Some(map_of(PAGE)));
    assert_eq!(bucket.get("https://s/b", "2"), None);
    assert_eq!(bucket.get("https://s/c", "1"), None);
    assert!(Indexed::empty().is_empty());
    assert!(Indexed::new(b"not a bucket".to_vec()).is_err());
}

#[test]
fn other_formats_trailing_bytes_and_huge_buckets_are_refused() {
    let bytes = encode(&[entry("https://s/a", "v")]);
    let mut other = bytes.clone();
    other[4] = FORMAT + 1;
    assert_eq!(decode(&other), Err(SharedRefused::Format));
    assert_eq!(decode(b""), Err(SharedRefused::Format));
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(decode(&longer).map_err(|e| e.code()), Err("decode"));
    let cut = &bytes[..bytes.len() - 1];
    assert_eq!(decode(cut).map_err(|e| e.code()), Err("decode"));
    let huge = vec![0u8; MAX_ENCODED + 1];
    assert_eq!(
        decode(&huge),
        Err(SharedRefused::TooLong {
            len: MAX_ENCODED + 1
        })
    );
}

/// A bucket of one entry with the given slots (each naming `names[name]`, at absolute offsets
/// written as the steps a bucket stores, wrapping where one goes back), as a Worker of this
/// format would write it.
fn raw_named(names: &[&str], len: u64, slots: &[(u32, [u64; 4])]) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Bucket<'a> {
        names: Vec<&'a str>,
        entries: Vec<WireEntry>,
    }
    let bucket = Bucket {
        names: names.to_vec(),
        entries: vec![WireEntry {
            page: page_id("p"),
            version: version_id("p", "v"),
            len,
            slots: {
                let mut cursor = 0u64;
                slots
                    .iter()
                    .map(|&(name, [a, b, c, d])| {
                        let at = [
                            a.wrapping_sub(cursor),
                            b.wrapping_sub(a),
                            c.wrapping_sub(b),
                            d.wrapping_sub(c),
                        ];
                        cursor = d;
                        WireSlot { name, at }
                    })
                    .collect()
            },
        }],
    };
    postcard::to_extend(&bucket, MAGIC.to_vec()).expect("encodes")
}

/// A bucket of one entry with the given slots, all named `s`.
fn raw(len: u64, slots: &[[u64; 4]]) -> Vec<u8> {
    let named: Vec<(u32, [u64; 4])> = slots.iter().map(|&at| (0, at)).collect();
    raw_named(&["s"], len, &named)
}

#[test]
fn a_slot_naming_no_listed_name_refuses_the_bucket() {
    let good = raw_named(
        &["a", "b"],
        100,
        &[(1, [0, 5, 10, 20]), (0, [20, 25, 30, 40])],
    );
    let back = decode(&good).expect("decodes");
    let names: Vec<&str> = back[0].map.slots().iter().map(|s| &*s.name).collect();
    assert_eq!(names, ["b", "a"]);
    assert_eq!(
        decode(&raw_named(
            &["a"],
            100,
            &[(0, [0, 5, 10, 20]), (1, [20, 25, 30, 40])]
        )),
        Err(SharedRefused::Slots { entry: 0, slot: 1 })
    );
    assert_eq!(
        decode(&raw_named(&[], 100, &[(0, [0, 5, 10, 20])])),
        Err(SharedRefused::Slots { entry: 0, slot: 0 })
    );
}

/// A bucket listing `n` one-byte names and no entry.
fn named(n: usize) -> Vec<u8> {
    let mut bytes = postcard::to_extend(&(n as u64), MAGIC.to_vec()).unwrap();
    for _ in 0..n {
        bytes.extend_from_slice(b"\x01a");
    }
    bytes.push(0);
    bytes
}

#[test]
fn more_names_than_a_bucket_may_list_are_refused_and_never_written() {
    assert_eq!(decode(&named(MAX_NAMES)), Ok(vec![]));
    match decode(&named(MAX_NAMES + 1)) {
        Err(SharedRefused::Decode(why)) => assert!(why.contains("slot names, over"), "{why}"),
        other => panic!("{other:?}"),
    }
    // Sites whose slot names carry ids: 9 names a page, 512 pages, more than a bucket lists.
    let entries: Vec<Entry> = (0..MAX_ENTRIES)
        .map(|n| {
            let page: String = (0..9)
                .map(|k| format!("<vitrine-slot name=\"s{n}-{k}\"></vitrine-slot>"))
                .collect();
            Entry::new(&format!("https://s/{n}"), "v", map_of(&page))
        })
        .collect();
    let back = decode(&encode(&entries)).expect("what encode writes decodes");
    assert!(!back.is_empty() && back.len() < entries.len());
    assert_eq!(back[..], entries[..back.len()], "the newest, in order");
    // One page with more than an eighth of that is not shared.
    let page: String = (0..MAX_NAMES / 8 + 1)
        .map(|k| format!("<vitrine-slot name=\"s{k}\"></vitrine-slot>"))
        .collect();
    assert!(!fits(&Entry::new("https://s/x", "v", map_of(&page))));
}

#[test]
fn a_name_named_by_many_slots_cannot_make_a_small_bucket_decode_huge() {
    // One long name, listed once, named by many slots: 64 KiB spelled out 10 times.
    let long = "n".repeat(64 << 10);
    let slots: Vec<(u32, [u64; 4])> = (0..10)
        .map(|i| (0, [i * 10, i * 10 + 1, i * 10 + 2, i * 10 + 3]))
        .collect();
    let bytes = raw_named(&[&long], 1_000, &slots);
    assert!(bytes.len() < MAX_ENCODED / 2);
    match decode(&bytes) {
        Err(SharedRefused::Decode(why)) => assert!(why.contains("spell out"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(Indexed::new(bytes).is_err());
    // Within the limit it decodes; and encode never writes past it.
    assert_eq!(
        decode(&raw_named(&[&long], 1_000, &slots[..3])).map(|e| e.len()),
        Ok(1)
    );
    let spans = |n: usize| {
        (0..n)
            .map(|i| SlotSpan {
                name: long.as_str().into(),
                outer: i * 10..i * 10 + 3,
                inner: i * 10 + 1..i * 10 + 2,
            })
            .collect::<Vec<_>>()
    };
    let map = |n: usize| SlotMap {
        len: 1_000,
        slots: spans(n),
    };
    let heavy: Vec<Entry> = (0..8)
        .map(|n| Entry::new(&format!("https://s/{n}"), "v", map(1)))
        .collect();
    let back = decode(&encode(&heavy)).expect("what encode writes decodes");
    assert!(
        !back.is_empty() && back.len() < heavy.len(),
        "{}",
        back.len()
    );
    assert!(
        !fits(&Entry::new("https://s/h", "v", map(2))),
        "an entry spelling out more than an eighth is not shared"
    );
}

#[test]
fn a_bucket_names_each_slot_once_and_holds_no_url_or_validator() {
    let page = "https://shop.example/products/a-rather-long-product-handle?variant=1234";
    let validator = "\"W/etag-of-this-page\"\n\n104870\ntext/html; charset=utf-8";
    let entries: Vec<Entry> = (0..100)
        .map(|n| Entry::new(&format!("{page}{n}"), validator, map_of(PAGE)))
        .collect();
    let bytes = encode(&entries);
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(text.matches("hero").count(), 1);
    assert_eq!(text.matches("recs").count(), 1);
    assert!(!text.contains("shop.example") && !text.contains("etag-of-this-page"));
    // Two slots of the test page: an entry is its ids, its length and eight offsets.
    assert!(
        bytes.len() < 100 * 40,
        "{} bytes for 100 entries",
        bytes.len()
    );
    assert_eq!(decode(&bytes), Ok(entries));
}

#[test]
fn ids_tell_pages_and_validators_apart() {
    assert_ne!(page_id("https://s/a"), page_id("https://s/b"));
    assert_eq!(page_id("https://s/a"), page_id("https://s/a"));
    assert_ne!(
        version_id("https://s/a", "1"),
        version_id("https://s/a", "2")
    );
    assert_ne!(
        version_id("https://s/a", "1"),
        version_id("https://s/b", "1")
    );
    // The page key's length is part of the version: no page and validator pair spells another.
    assert_ne!(
        version_id("https://s/a", "b1"),
        version_id("https://s/ab", "1")
    );
    assert_ne!(page_id("x"), version_id("x", ""));
}

#[test]
fn slots_out_of_order_overlapping_or_past_the_page_refuse_the_bucket() {
    assert!(decode(&raw(100, &[[0, 5, 10, 20], [20, 25, 30, 40]])).is_ok());
    let bad: &[(&[[u64; 4]], usize)] = &[
        (&[[0, 5, 10, 20], [19, 25, 30, 40]], 1), // overlaps the first
        (&[[10, 5, 10, 20]], 0),                  // content before the start tag
        (&[[0, 12, 10, 20]], 0),                  // content ends before it starts
        (&[[0, 5, 25, 20]], 0),                   // content past the end tag
        (&[[0, 5, 10, 101]], 0),                  // past the page
        (&[[50, 55, 60, 70], [0, 5, 10, 20]], 1), // out of order
        (&[[0, 5, 10, u64::MAX]], 0),             // past any page
    ];
    for (slots, slot) in bad {
        assert_eq!(
            decode(&raw(100, slots)),
            Err(SharedRefused::Slots {
                entry: 0,
                slot: *slot
            }),
            "{slots:?}"
        );
    }
}

#[test]
fn a_bucket_too_long_keeps_its_newest_entries() {
    // Slot names are written once per bucket: offsets fill it.
    let slots = many_slots(10_000, "s");
    let big = |n: usize| {
        let map = SlotMap {
            len: 100_000,
            slots: slots.clone(),
        };
        Entry::new(&format!("https://s/{n}"), "v", map)
    };
    let entries: Vec<Entry> = (0..10).map(big).collect();
    let bytes = encode(&entries);
    assert!(bytes.len() <= MAX_ENCODED, "{}", bytes.len());
    let back = decode(&bytes).expect("decodes");
    assert!(!back.is_empty() && back.len() < entries.len());
    assert_eq!(back[..], entries[..back.len()], "the newest, in order");
    let many: Vec<Entry> = (0..MAX_ENTRIES + 10)
        .map(|n| entry(&format!("https://s/{n}"), "v"))
        .collect();
    assert_eq!(decode(&encode(&many)).unwrap(), many[..MAX_ENTRIES]);
}

#[test]
fn merging_keeps_the_newest_map_of_each_page_and_at_most_the_cap() {
    let a1 = entry("https://s/a", "1");
    let a2 = entry("https://s/a", "2");
    let b = entry("https://s/b", "1");
    let c = entry("https://s/c", "1");
    assert_eq!(
        merge(vec![a2.clone(), c.clone()], vec![a1, b.clone()]),
        vec![a2.clone(), c, b]
    );
    let older: Vec<Entry> = (0..MAX_ENTRIES)
        .map(|n| entry(&format!("https://s/{n}"), "v"))
        .collect();
    let merged = merge(vec![a2.clone()], older.clone());
    assert_eq!(merged.len(), MAX_ENTRIES);
    assert_eq!(merged[0], a2);
    assert_eq!(merged[1..], older[..MAX_ENTRIES - 1]);
}

#[test]
fn bucket_urls_keep_the_page_origin_and_name_format_form_and_bucket() {
    let url = bucket_url("https://shop.example/p/1?page=2", false).unwrap();
    let bucket = bucket_of("https://shop.example/p/1?page=2");
    assert_eq!(
        url,
        format!("https://shop.example/__vitrine/maps/{FORMAT}t/{bucket:03}")
    );
    assert!(bucket < BUCKETS);
    assert!(bucket_url("http://127.0.0.1:8787", true)
        .unwrap()
        .starts_with(&format!("http://127.0.0.1:8787/__vitrine/maps/{FORMAT}a/")));
    assert_ne!(
        bucket_url("https://shop.example/a", false),
        bucket_url("https://shop.example/a", true)
    );
    for not in ["/p/1", "ftp://x/y", "https:///p", "", "https://"] {
        assert_eq!(bucket_url(not, false), None, "{not}");
    }
    // Pages spread over the buckets.
    let used: std::collections::HashSet<u16> = (0..4_000)
        .map(|n| bucket_of(&format!("https://shop.example/p/{n}")))
        .collect();
    assert_eq!(used.len(), usize::from(BUCKETS));
}

#[test]
fn the_setting_is_on_unless_turned_off() {
    for on in [
        None,
        Some("on"),
        Some(" ON "),
        Some("1"),
        Some("true"),
        Some(""),
    ] {
        assert_eq!(setting(on), Ok(true), "{on:?}");
    }
    for off in ["off", "Off", "0", "false"] {
        assert_eq!(setting(Some(off)), Ok(false), "{off}");
    }
    let refused = setting(Some("maybe")).unwrap_err();
    assert!(
        refused.contains("\"maybe\"") && refused.contains("on is used"),
        "{refused}"
    );
}

#[test]
fn every_read_is_made_while_reads_find_pages() {
    let mut l = Lookups::default();
    for _ in 0..1000 {
        assert_eq!(l.ask(), Some(Ask::Wanted));
        l.answered(Ask::Wanted, true);
    }
    // One hit in four is enough.
    let mut l = Lookups::default();
    for i in 0..1000 {
        assert_eq!(l.ask(), Some(Ask::Wanted), "read {i}");
        l.answered(Ask::Wanted, i % 4 == 0);
    }
}

/// The requests, of `n` asking `l`, that read (each answered `found`), counted from 0.
fn reads(l: &mut Lookups, n: usize, found: bool) -> Vec<usize> {
    (0..n)
        .filter(|_| match l.ask() {
            Some(ask) => {
                l.answered(ask, found);
                true
            }
            None => false,
        })
        .collect()
}

#[test]
fn a_cold_colo_is_sampled_ever_less_often_then_read_every_time_once_it_fills() {
    let mut l = Lookups::default();
    assert_eq!(
        reads(&mut l, LOOKUPS_BEFORE_JUDGING as usize, false).len(),
        LOOKUPS_BEFORE_JUDGING as usize
    );
    // Judged cold: one read in 8, then, as each finds nothing, one in 16, 32 and 64.
    assert_eq!(reads(&mut l, 120, false), [7, 23, 55, 119]);
    assert_eq!(l.sample_every(), SAMPLE_WHEN_COLD_MAX);
    // It stays at one in 64 however long the colo stays cold.
    assert_eq!(
        reads(&mut l, 640, false).len(),
        640 / SAMPLE_WHEN_COLD_MAX as usize
    );
    // The cache fills: the next sampled read finds its page (64 requests after the last
    // read), which brings reads back to one in 8; those hit too, and once one read in four
    // has found its page every read is made again.
    let before = l.counts();
    let mut until_every = 0;
    while !l.worth_asking() {
        if let Some(ask) = l.ask() {
            assert_eq!(ask, Ask::Sample);
            l.answered(ask, true);
            assert_eq!(l.sample_every(), SAMPLE_WHEN_COLD);
        }
        until_every += 1;
        assert!(until_every < 1000, "never reads every time again");
    }
    // `before` reads and no hit so far: `hits` sampled hits make one in four.
    let hits = (before.0 as usize).div_ceil(3);
    assert_eq!(before.1, 0);
    assert_eq!(
        until_every,
        SAMPLE_WHEN_COLD_MAX as usize + (hits - 1) * SAMPLE_WHEN_COLD as usize
    );
}

#[test]
fn a_sampled_read_that_finds_its_page_brings_back_one_read_in_eight() {
    let mut l = Lookups::default();
    reads(&mut l, LOOKUPS_BEFORE_JUDGING as usize + 1000, false);
    assert_eq!(l.sample_every(), SAMPLE_WHEN_COLD_MAX);
    // The next sampled read finds its page.
    let mut asked = 1;
    let ask = loop {
        match l.ask() {
            Some(ask) => break ask,
            None => asked += 1,
        }
    };
    assert_eq!(ask, Ask::Sample);
    assert!(asked <= SAMPLE_WHEN_COLD_MAX);
    l.answered(ask, true);
    assert_eq!(l.sample_every(), SAMPLE_WHEN_COLD);
    // Then misses again: one read in 8, then the spacing doubles again from there.
    assert_eq!(reads(&mut l, 30, false), [7, 23]);
    assert_eq!(l.sample_every(), 4 * SAMPLE_WHEN_COLD);
}

#[test]
fn only_a_sampled_read_that_finds_nothing_spaces_the_samples_out() {
    // A new isolate starts many reads before the first answers: all wanted (it has not
    // judged yet), so their misses, answered once it has judged the colo cold, leave the
    // samples one in 8.
    let mut l = Lookups::default();
    let asks: Vec<Ask> = (0..20).filter_map(|_| l.ask()).collect();
    assert_eq!(asks, [Ask::Wanted; 20]);
    for ask in asks {
        l.answered(ask, false);
    }
    assert!(!l.worth_asking());
    assert_eq!(l.sample_every(), SAMPLE_WHEN_COLD);
    // The same through an isolate's bookkeeping: the reads of 20 buckets, started before
    // any answers, are wanted; then one sampled read in 8 whose miss doubles the spacing.
    let mut m = SharedMaps::new(1 << 20);
    let buckets: Vec<String> = (0..20)
        .map(|i| format!("https://s/__vitrine/maps/3t/{i:03}"))
        .collect();
    for b in &buckets {
        assert_eq!(m.find(b, "https://s/p", "\"v\"", 0.0), Find::Read);
    }
    for b in &buckets {
        assert_eq!(
            m.read_done(b, Indexed::empty(), "https://s/p", "\"v\"", 1.0),
            None
        );
    }
    let other = |i: usize| format!("https://s/__vitrine/maps/3t/{:03}", 100 + i);
    let finds: Vec<Find> = (0..8)
        .map(|i| m.find(&other(i), "https://s/p", "\"v\"", 2.0))
        .collect();
    assert_eq!(finds.iter().filter(|f| **f == Find::Read).count(), 1);
    assert_eq!(finds[7], Find::Read);
    assert_eq!(
        m.read_done(&other(7), Indexed::empty(), "https://s/p", "\"v\"", 3.0),
        None
    );
    let reads_in = |m: &mut SharedMaps, from: usize, n: usize| {
        (from..from + n)
            .filter(|&i| m.find(&other(i), "https://s/p", "\"v\"", 4.0) == Find::Read)
            .count()
    };
    // One in 16 now.
    assert_eq!(reads_in(&mut m, 8, 15), 0);
    assert_eq!(reads_in(&mut m, 23, 1), 1);
}

const B: &str = "https://s/__vitrine/maps/2t/001";

#[test]
fn a_read_bucket_answers_its_pages_until_it_is_old() {
    let mut s = SharedMaps::new(1 << 20);
    assert_eq!(s.find(B, "https://s/a", "v", 0.0), Find::Read);
    let got = s.read_done(
        B,
        indexed(&[entry("https://s/a", "v")]),
        "https://s/a",
        "v",
        0.0,
    );
    assert_eq!(got, Some(map_of(PAGE)));
    // Known now, with no read; at another validator, absent until the bucket is old.
    assert!(matches!(s.find(B, "https://s/a", "v", 1.0), Find::Map(_)));
    assert_eq!(s.find(B, "https://s/a", "w", 1.0), Find::Absent);
    assert_eq!(
        s.find(B, "https://s/other", "v", REREAD_MS - 1.0),
        Find::Absent
    );
    assert_eq!(s.find(B, "https://s/other", "v", REREAD_MS), Find::Read);
    // A clock that goes back reads again rather than trusting the read forever.
    assert_eq!(s.find(B, "https://s/other", "v", -1.0), Find::Read);
    // An empty (or refused) bucket is a read too.
    let other = "https://s/__vitrine/maps/2t/002";
    assert_eq!(
        s.read_done(other, Indexed::empty(), "https://s/b", "v", 5.0),
        None
    );
    assert_eq!(s.find(other, "https://s/b", "v", 6.0), Find::Absent);
}

#[test]
fn a_bucket_being_read_is_waited_for_not_read_twice() {
    let mut s = SharedMaps::new(1 << 20);
    assert_eq!(s.find(B, "https://s/a", "v", 0.0), Find::Read);
    // Another request for a page of the same bucket waits for that read...
    assert_eq!(s.find(B, "https://s/b", "v", 1.0), Find::Wait);
    // ... and finds what it brought once it has landed.
    s.read_done(
        B,
        indexed(&[entry("https://s/b", "v")]),
        "https://s/a",
        "v",
        2.0,
    );
    assert!(matches!(s.find(B, "https://s/b", "v", 3.0), Find::Map(_)));
    // A read that never lands is taken over.
    let other = "https://s/__vitrine/maps/2t/009";
    assert_eq!(s.find(other, "https://s/x", "v", 10.0), Find::Read);
    assert_eq!(
        s.find(other, "https://s/y", "v", 10.0 + READ_FLIGHT_MS - 1.0),
        Find::Wait
    );
    assert_eq!(
        s.find(other, "https://s/y", "v", 10.0 + READ_FLIGHT_MS),
        Find::Read
    );
}

#[test]
fn maps_are_written_a_bucket_at_a_time_at_most_once_per_flush_interval() {
    let mut s = SharedMaps::new(1 << 20);
    assert!(s.due(0.0).is_empty());
    s.add(B, entry("https://s/a", "1"));
    s.add(B, entry("https://s/b", "1"));
    s.add(B, entry("https://s/a", "2"));
    assert_eq!(s.pending(), 2);
    let due = s.due(0.0);
    assert_eq!(due.len(), 1);
    let (bucket, newer) = &due[0];
    assert_eq!(bucket, B);
    // Newest first, one map per page.
    assert_eq!(
        newer
            .iter()
            .map(|e| (e.page, e.version))
            .collect::<Vec<_>>(),
        [
            (page_id("https://s/a"), version_id("https://s/a", "2")),
            (page_id("https://s/b"), version_id("https://s/b", "1"))
        ]
    );
    assert_eq!(s.pending(), 0);
    // While it is being written, and for FLUSH_MS after, new maps wait.
    s.add(B, entry("https://s/c", "1"));
    assert!(s.due(1.0).is_empty());
    let written = SharedMaps::merged(newer.clone(), vec![entry("https://s/z", "1")]);
    s.written(B, Some(indexed(&written)), 2.0);
    assert!(s.due(FLUSH_MS + 1.0).is_empty());
    assert!(
        matches!(s.find(B, "https://s/z", "1", 3.0), Find::Map(_)),
        "the write is a read"
    );
    let due = s.due(FLUSH_MS + 2.0);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].1[0].page, page_id("https://s/c"));
    // A failed write ends the write too.
    s.written(B, None, FLUSH_MS + 3.0);
    s.add(B, entry("https://s/d", "1"));
    assert_eq!(s.due(2.0 * FLUSH_MS + 3.0).len(), 1);
}

#[test]
fn a_request_that_made_no_map_looks_for_due_buckets_at_most_every_scan_interval() {
    let mut s = SharedMaps::new(1 << 20);
    assert!(s.due_later(0.0).is_empty(), "nothing waits");
    s.add(B, entry("https://s/a", "1"));
    assert_eq!(s.due(0.0).len(), 1);
    s.written(B, None, 1.0);
    s.add(B, entry("https://s/b", "1"));
    // Due again once FLUSH_MS has passed since the write, found by a later request's look.
    assert!(s.due_later(FLUSH_MS + 1.0).len() == 1);
    s.written(B, None, FLUSH_MS + 2.0);
    s.add(B, entry("https://s/c", "1"));
    let at = 2.0 * FLUSH_MS + 2.0;
    assert_eq!(s.due(at - 1.0).len(), 0, "not due yet, but looked");
    assert!(s.due_later(at).is_empty(), "looked less than SCAN_MS ago");
    assert_eq!(s.due_later(at - 1.0 + SCAN_MS).len(), 1);
}

#[test]
fn a_write_that_never_ends_is_taken_over() {
    let mut s = SharedMaps::new(1 << 20);
    s.add(B, entry("https://s/a", "1"));
    assert_eq!(s.due(0.0).len(), 1);
    s.add(B, entry("https://s/b", "1"));
    // Its request was cancelled: `written` never comes.
    assert!(s.due(WRITE_FLIGHT_MS - 1.0).is_empty());
    let due = s.due(WRITE_FLIGHT_MS);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].1[0].page, page_id("https://s/b"));
}

#[test]
fn a_map_that_did_not_fit_its_bytes_is_not_used_again_from_that_read() {
    let mut s = SharedMaps::new(1 << 20);
    assert_eq!(s.find(B, "https://s/a", "v", 0.0), Find::Read);
    let read = indexed(&[entry("https://s/a", "v"), entry("https://s/b", "v")]);
    assert!(s.read_done(B, read, "https://s/a", "v", 0.0).is_some());
    s.reject(B, "https://s/a");
    assert_eq!(s.find(B, "https://s/a", "v", 1.0), Find::Absent);
    assert!(matches!(s.find(B, "https://s/b", "v", 1.0), Find::Map(_)));
    // A later read of the bucket (with the page's new map, written over it) is used again.
    let reread = indexed(&[entry("https://s/a", "w")]);
    assert_eq!(s.find(B, "https://s/a", "w", REREAD_MS), Find::Read);
    assert!(s
        .read_done(B, reread, "https://s/a", "w", REREAD_MS)
        .is_some());
    assert!(matches!(
        s.find(B, "https://s/a", "w", REREAD_MS + 1.0),
        Find::Map(_)
    ));
}

#[test]
fn a_map_too_big_to_share_is_not_added() {
    let slots = many_slots(10_000, "slot");
    let huge = Entry::new(
        "https://s/huge",
        "v",
        SlotMap {
            len: 100_000,
            slots,
        },
    );
    assert!(!fits(&huge));
    assert!(fits(&entry("https://s/a", "v")));
    let mut s = SharedMaps::new(1 << 20);
    s.add(B, huge);
    assert_eq!(s.pending(), 0);
}

#[test]
fn read_buckets_stay_within_their_budget() {
    let one = {
        let mut s = SharedMaps::new(usize::MAX);
        s.read_done(B, indexed(&[entry("https://s/a", "v")]), "x", "v", 0.0);
        s.bytes()
    };
    let mut s = SharedMaps::new(3 * one);
    for n in 0..10 {
        let bucket = format!("https://s/__vitrine/maps/2t/{n:03}");
        s.read_done(
            &bucket,
            indexed(&[entry("https://s/a", "v")]),
            "x",
            "v",
            0.0,
        );
        assert!(s.bytes() <= 3 * one);
    }
    assert_eq!(s.bytes(), 3 * one);
    // A bucket bigger than the whole budget is not kept.
    let mut s = SharedMaps::new(one - 1);
    s.read_done(B, indexed(&[entry("https://s/a", "v")]), "x", "v", 0.0);
    assert_eq!(s.bytes(), 0);
}

fn page() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<p>text</p>".to_owned()),
        Just("<!-- <vitrine-slot name=\"c\"> -->".to_owned()),
        Just("<script>var s = \"</vitrine-slot>\";</script>".to_owned()),
        "[a-z ]{0,12}".prop_map(|s| s),
        ("[a-z]{1,6}", "[a-z<> ]{0,12}").prop_map(|(name, inner)| format!(
            "<vitrine-slot name=\"{name}\">{inner}</vitrine-slot>"
        )),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

proptest! {

    /// The bucket URL is what the plain `find` and `format!` spelling gives (the byte scans
    /// that replaced it are equivalent on any string).
    #[test]
    fn bucket_urls_are_the_formatted_ones(
        scheme in prop::sample::select(vec!["http", "https", "HTTPS", "hTtp", "ftp", "http:x", "", "https:"]),
        sep in prop::sample::select(vec!["://", ":/", "//", ":", ""]),
        rest in "[a-z0-9:/?#.%é日\u{1F600}]{0,24}",
        junk in ".{0,12}",
        attribute_slots in any::<bool>(),
    ) {
        fn formatted(page_key: &str, attribute_slots: bool) -> Option<String> {
            let scheme_end = page_key.find("://")?;
            let scheme = &page_key[..scheme_end];
            if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
                return None;
            }
            let after = scheme_end + 3;
            let host_end = page_key[after..]
                .find(['/', '?', '#'])
                .map_or(page_key.len(), |i| after + i);
            if host_end == after {
                return None;
            }
            let form = if attribute_slots { 'a' } else { 't' };
            Some(format!(
                "{}/__vitrine/maps/{FORMAT}{form}/{:03}",
                &page_key[..host_end],
                bucket_of(page_key)
            ))
        }
        for key in [format!("{scheme}{sep}{rest}"), junk.clone(), format!("{junk}{sep}{rest}")] {
            prop_assert_eq!(bucket_url(&key, attribute_slots), formatted(&key, attribute_slots), "{:?}", key);
        }
    }
    /// A map read back from a bucket splices every plan exactly as the map that was written.
    #[test]
    fn a_shared_map_splices_as_the_original(page in page(), fills in "[a-z]{0,8}") {
        let Ok(map) = record(page.as_bytes(), Limits::default(), None) else {
            return Ok(());
        };
        let written = vec![Entry::new("https://s/p", "v", map.clone())];
        let back = decode(&encode(&written)).expect("decodes").remove(0).map;
        let names: Vec<String> = map.slots().iter().map(|s| s.name.to_string()).collect();
        let ops = [Op::Replace, Op::Append, Op::Before, Op::Remove];
        let edits: Vec<(&str, Op, &str)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), ops[i % ops.len()], fills.as_str()))
            .collect();
        let plan = plan(&edits);
        prop_assert_eq!(
            back.splice(page.as_bytes(), &plan),
            map.splice(page.as_bytes(), &plan)
        );
        prop_assert_eq!(back, map);
    }

    /// Whatever bytes a cache gives back, decoding never panics, and every map of a bucket it
    /// accepts keeps the invariants splicing relies on.
    #[test]
    fn any_bytes_decode_to_sound_maps_or_a_refusal(
        tail in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        // The magic and one entry ("p" at "v"), so the random bytes are the length and slots.
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[1, 1, b'p', 1, b'v']);
        bytes.extend_from_slice(&tail);
        if let Ok(entries) = decode(&bytes) {
            for e in entries {
                let mut cursor = 0;
                for s in e.map.slots() {
                    prop_assert!(cursor <= s.outer.start);
                    prop_assert!(s.outer.start <= s.inner.start);
                    prop_assert!(s.inner.start <= s.inner.end);
                    prop_assert!(s.inner.end <= s.outer.end);
                    prop_assert!(s.outer.end <= e.map.len());
                    cursor = s.outer.end;
                }
            }
        }
    }

    /// Whatever the answers, a read is never skipped more than `SAMPLE_WHEN_COLD_MAX - 1` times
    /// in a row, nor more than `SAMPLE_WHEN_COLD - 1` times after a read that found its page,
    /// never while reads are worth it, and the counts stay in the window.
    #[test]
    fn reads_are_sampled_never_stopped(answers in proptest::collection::vec(any::<bool>(), 0..2000)) {
        let mut l = Lookups::default();
        let mut skipped_in_a_row = 0;
        let mut last_found = false;
        let mut answers = answers.into_iter();
        for _ in 0..4000 {
            let worth = l.worth_asking();
            if let Some(ask) = l.ask() {
                prop_assert_eq!(ask == Ask::Wanted, worth);
                skipped_in_a_row = 0;
                let Some(found) = answers.next() else { break };
                l.answered(ask, found);
                last_found = found;
            } else {
                prop_assert!(!worth);
                skipped_in_a_row += 1;
                prop_assert!(skipped_in_a_row < SAMPLE_WHEN_COLD_MAX);
                prop_assert!(!last_found || skipped_in_a_row < SAMPLE_WHEN_COLD);
            }
            let (asked, found) = l.counts();
            prop_assert!(asked < 256 && found <= asked);
        }
    }

    /// Whatever an isolate adds and writes, every map it added is handed to a write exactly
    /// once (the newest per page while it waits), a bucket is handed to a second write only
    /// once the first is stale, and once the writes end and later requests come, nothing is
    /// left unwritten.
    #[test]
    fn every_added_map_is_written_once(
        steps in proptest::collection::vec((0u8..3, 0u8..4, 0u8..6, 0u32..4000), 0..200),
    ) {
        let mut s = SharedMaps::new(1 << 20);
        let mut now = 0.0;
        let mut added: Vec<(String, Id)> = Vec::new();
        // Buckets being written, and since when.
        let mut writing: Vec<(String, f64)> = Vec::new();
        for (op, b, p, dt) in steps {
            now += f64::from(dt);
            let bucket = format!("https://s/__vitrine/maps/2t/{b:03}");
            match op {
                0 => {
                    let page = format!("https://s/{b}/{p}");
                    let id = page_id(&page);
                    added.retain(|(bk, pg)| !(bk == &bucket && pg == &id));
                    added.push((bucket.clone(), id));
                    s.add(&bucket, entry(&page, "v"));
                }
                1 => {
                    for (bucket, entries) in s.due(now) {
                        // Handed again only once the write under way is stale.
                        if let Some(i) = writing.iter().position(|(w, _)| w == &bucket) {
                            prop_assert!(now - writing[i].1 >= WRITE_FLIGHT_MS);
                            writing.remove(i);
                        }
                        writing.push((bucket.clone(), now));
                        for e in entries {
                            let k = (bucket.clone(), e.page);
                            prop_assert!(added.contains(&k));
                            added.retain(|a| a != &k);
                        }
                    }
                }
                _ => {
                    if let Some(i) = writing.iter().position(|(w, _)| w == &bucket) {
                        writing.remove(i);
                        s.written(&bucket, None, now);
                    }
                }
            }
            prop_assert_eq!(s.pending(), added.len());
        }
        // Every map added is handed to a write in the end: the writes under way end, and
        // later requests write what is due.
        for (bucket, _) in writing {
            s.written(&bucket, None, now);
        }
        for _ in 0..1000 {
            now += FLUSH_MS;
            for (bucket, entries) in s.due(now) {
                for e in entries {
                    let k = (bucket.clone(), e.page);
                    prop_assert!(added.contains(&k));
                    added.retain(|a| a != &k);
                }
                s.written(&bucket, None, now);
            }
            if added.is_empty() {
                break;
            }
        }
        prop_assert!(added.is_empty(), "never written: {:?}", added);
        prop_assert_eq!(s.pending(), 0);
    }
}

#[test]
fn the_fuzz_seeds_are_buckets_of_this_format() {
    let two = include_bytes!("../../../../../fuzz/corpus/shared_map/two-entries");
    let entries = decode(two).expect("the seed is a bucket");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].map.slots().len(), 2);
    // The fuzz target puts the magic, one name and one entry's ids in front of `framed`.
    let framed = include_bytes!("../../../../../fuzz/corpus/shared_map/framed");
    let mut bytes = b"vmap\x03\x01\x01s\x01".to_vec();
    bytes.extend_from_slice(&[0; 16]);
    bytes.extend_from_slice(&framed[1..]);
    assert_eq!(decode(&bytes).expect("the seed frames a bucket").len(), 1);
    assert_eq!(FORMAT, 3, "the seeds above are of format 3");
}

#[test]
fn a_colo_that_knows_100000_pages_fits_the_bytes_an_isolate_keeps() {
    // The shop of the long-tail bench: product pages with four slots, at offsets of a 100 KB
    // page, 100,000 pages over the buckets (about 391 a bucket).
    let names = ["hero", "promo-strip", "listing-banner", "recs"];
    let map = |n: usize| {
        let base = 20_000 + n % 1_000;
        let slots = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let at = base + i * 20_000;
                SlotSpan {
                    name: (*name).into(),
                    outer: at..at + 900,
                    inner: at + 40..at + 880,
                }
            })
            .collect();
        SlotMap {
            len: 100_000 + n % 50_000,
            slots,
        }
    };
    let per_bucket = 100_000usize.div_ceil(usize::from(BUCKETS));
    let entries: Vec<Entry> = (0..per_bucket)
        .map(|n| {
            let page = format!("https://shop.example/products/item-{n:06}?variant=default");
            let validator = format!(
                "\"etag-{n:08x}\"\n\n{}\ntext/html; charset=utf-8",
                100_000 + n
            );
            Entry::new(&page, &validator, map(n))
        })
        .collect();
    let bucket = indexed(&entries);
    assert_eq!(bucket.len(), per_bucket);
    // The Worker keeps 8 MiB of read buckets per isolate (`READ_BUDGET`, src/colo.rs).
    let all = bucket.weight() * usize::from(BUCKETS);
    assert!(all <= 8 << 20, "{all} bytes for 100,000 pages");
}
