//! Any preview token from a URL or header must verify or be refused, never panic; the token
//! lookup and the parameter stripping take any query or URL. Tokens signed with the fuzzing
//! key reach the claims parser: the first byte picks raw claims or a signed payload.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine_core::preview_token::{find, strip_param, verify};
use vitrine_core::KeyRing;

const RING: &str = "fz:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
const NOW: u64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(ring) = KeyRing::parse(RING) else {
        return;
    };
    let text = String::from_utf8_lossy(data);
    let _ = find(&text, Some(&text));
    let _ = strip_param(&text);
    match data.split_first() {
        // Behind a valid MAC: the claims parser sees the bytes as they are.
        Some((0, payload)) => {
            let token = vitrine_core::cookie::mint_raw(payload, ring.current());
            if let Ok(v) = verify(&token, &ring, NOW) {
                let _ = v.preview.summary();
                let _ = v.preview.identity(&vitrine_core::Identity::anonymous());
            }
        }
        _ => {
            let _ = verify(&text, &ring, NOW);
        }
    }
});
