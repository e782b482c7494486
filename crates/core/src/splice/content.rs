//! A page's content hash: what stands for a validator when the source sent none (an origin page
//! without `ETag` or `Last-Modified`). A recording keyed by content is spliced only for a page
//! whose bytes hash the same.

use sha2::{Digest, Sha256};

/// SHA-256 over a page's bytes, fed a chunk at a time as the page streams.
#[derive(Clone, Default)]
pub struct ContentHash(Sha256);

impl ContentHash {
    /// An empty hash.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the next bytes of the page.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest as lowercase hex.
    pub fn hex(self) -> String {
        crate::hex::encode(&self.0.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_hash_as_the_whole_page() {
        let mut chunked = ContentHash::new();
        chunked.update(b"<p>hel");
        chunked.update(b"lo</p>");
        let mut whole = ContentHash::new();
        whole.update(b"<p>hello</p>");
        assert_eq!(chunked.hex(), whole.hex());
    }

    #[test]
    fn is_sha256_in_hex() {
        assert_eq!(
            ContentHash::new().hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
