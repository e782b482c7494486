//! A visitor's recent products: a fixed ring of `(product, time)`, so per-visitor memory is a
//! constant whatever the visitor does.

/// The last `N` distinct products a visitor touched, with when.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ring<const N: usize> {
    items: [(u32, u32); N],
    len: u8,
    next: u8,
}

impl<const N: usize> Default for Ring<N> {
    fn default() -> Self {
        Ring {
            items: [(0, 0); N],
            len: 0,
            next: 0,
        }
    }
}

impl<const N: usize> Ring<N> {
    /// The entries, in no particular order.
    pub(crate) fn entries(&self) -> &[(u32, u32)] {
        &self.items[..usize::from(self.len)]
    }

    /// The entry of `product`, if held.
    pub(crate) fn find_mut(&mut self, product: u32) -> Option<&mut (u32, u32)> {
        let len = usize::from(self.len);
        self.items[..len].iter_mut().find(|(p, _)| *p == product)
    }

    /// Adds `(product, ts)`, replacing the oldest entry when full.
    pub(crate) fn push(&mut self, product: u32, ts: u32) {
        let at = usize::from(self.next);
        self.items[at] = (product, ts);
        self.next = u8::try_from((at + 1) % N).unwrap_or(0);
        if usize::from(self.len) < N {
            self.len += 1;
        }
    }

    /// The most recent entry.
    pub(crate) fn latest(&self) -> Option<(u32, u32)> {
        self.entries().iter().copied().max_by_key(|(_, ts)| *ts)
    }
}

#[cfg(test)]
mod tests {
    use super::Ring;

    #[test]
    fn keeps_the_last_n_and_finds_them() {
        let mut r = Ring::<3>::default();
        for (p, t) in [(1, 10), (2, 20), (3, 30), (4, 40)] {
            r.push(p, t);
        }
        let mut held: Vec<u32> = r.entries().iter().map(|e| e.0).collect();
        held.sort_unstable();
        assert_eq!(held, [2, 3, 4]);
        assert!(r.find_mut(1).is_none());
        assert_eq!(r.latest(), Some((4, 40)));
        if let Some(e) = r.find_mut(2) {
            e.1 = 50;
        }
        assert_eq!(r.latest(), Some((2, 50)));
    }
}
