//! Any bytes a cache gives back as a bucket of shared slot maps
//! (`vitrine_core::splice::shared`): refused, or maps whose slots are in order, disjoint and
//! inside the page, that splice a page of their length without a panic and are written back as
//! themselves; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine_core::splice::shared::{decode, encode, MAX_ENCODED};

fuzz_target!(|data: &[u8]| {
    // Half the inputs get the magic, one slot name ("s") and one entry's ids in front, so the
    // fuzzer spends its time on the maps rather than on finding the magic.
    let mut framed = b"vmap\x03\x01\x01s\x01".to_vec();
    framed.extend_from_slice(&[0; 16]);
    framed.extend_from_slice(data.get(1..).unwrap_or_default());
    let bytes = if data.first().is_some_and(|b| b & 1 == 1) {
        &framed[..]
    } else {
        data
    };
    let Ok(entries) = decode(bytes) else {
        return;
    };
    for e in &entries {
        let map = &e.map;
        let mut cursor = 0;
        for s in map.slots() {
            assert!(cursor <= s.outer.start);
            assert!(s.outer.start <= s.inner.start && s.inner.start <= s.inner.end);
            assert!(s.inner.end <= s.outer.end && s.outer.end <= map.len());
            cursor = s.outer.end;
        }
        if map.len() <= 1 << 16 {
            let page = vec![b'x'; map.len()];
            let spliced = map.splice(&page, &Default::default());
            assert_eq!(spliced.as_deref(), Some(&page[..]));
        }
    }
    // Written back, a bucket keeps its newest entries: all of them, unless renumbering its
    // names made it longer than a bucket may be.
    let back = decode(&encode(&entries)).expect("what encode writes decodes");
    assert!(entries.starts_with(&back));
    if bytes.len() < MAX_ENCODED / 2 {
        assert_eq!(back, entries);
    }
});
