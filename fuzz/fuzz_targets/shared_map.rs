//! Any bytes a cache gives back as a shared slot map (`vitrine_core::splice::shared`): refused
//! or a map whose slots are in order, disjoint and inside the page, that splices a page of its
//! length without a panic and shares back as itself; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine_core::splice::shared::{decode, encode};

fuzz_target!(|data: &[u8]| {
    // Half the inputs get the magic and a validator of "v" in front, so the fuzzer spends its
    // time on the map itself rather than on finding the magic.
    let mut framed = b"vmap\x01\x01v".to_vec();
    framed.extend_from_slice(data.get(1..).unwrap_or_default());
    let bytes = if data.first().is_some_and(|b| b & 1 == 1) {
        &framed[..]
    } else {
        data
    };
    let Ok(map) = decode(bytes, "v") else {
        return;
    };
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
    let again = encode("v", &map).expect("a decoded map is no longer than what it came from");
    assert_eq!(decode(&again, "v").as_ref(), Ok(&map));
});
