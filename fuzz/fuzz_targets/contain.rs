//! The panic hook of the Parquet targets. libFuzzer's hook aborts on every panic, even one that
//! `vitrine_report::input::parquet` contains (the Parquet library panics on some damaged files,
//! and the reader turns that into an error, as the CLI runs it). This hook leaves panics raised
//! in the Parquet, Arrow and `bytes` crates to the reader and aborts on every other one; a
//! library panic the reader let through still unwinds into libFuzzer's wrapper, which aborts.

use std::sync::Once;

/// Installs the hook (once per process).
pub fn library_panics_to_the_reader() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let fuzzer = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map_or("", |l| l.file());
            let library = ["/parquet-", "/arrow-", "/bytes-"]
                .iter()
                .any(|c| file.contains(c));
            if !library {
                fuzzer(info);
            }
        }));
    });
}
