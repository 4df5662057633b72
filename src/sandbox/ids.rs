//! Identifiers as eLogii makes them: `_id` as 24 hex digits, `uid` as `PREFIX-XXXXXXXX`.
//! Deterministic from a seed, so a seeded emulator is the same on every run.

/// A small, fast, seedable generator (SplitMix64). Not for secrets.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed; the same seed gives the same sequence.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An integer in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

const UID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Makes `_id`s and `uid`s that never repeat within one generator.
#[derive(Debug, Clone)]
pub struct IdGen {
    rng: Rng,
    counter: u64,
}

impl IdGen {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: Rng::new(seed),
            counter: 0,
        }
    }

    /// A MongoDB-style ObjectId: 24 lowercase hex digits, unique per generator.
    pub fn object_id(&mut self) -> String {
        self.counter += 1;
        // 8 hex digits of a fixed epoch-like prefix, 8 random, 8 counter: unique and sortable.
        let random = (self.rng.next_u64() & 0xFFFF_FFFF) as u32;
        format!(
            "6a{:06x}{:08x}{:08x}",
            0x20c2d3, random, self.counter as u32
        )
    }

    /// A uid such as `CUS-5XN3QW7E`: the prefix, a dash, 8 upper-case letters or digits.
    pub fn uid(&mut self, prefix: &str) -> String {
        let mut s = String::with_capacity(prefix.len() + 9);
        s.push_str(prefix);
        s.push('-');
        for _ in 0..8 {
            let i = self.rng.below(UID_ALPHABET.len() as u64) as usize;
            s.push(UID_ALPHABET[i] as char);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_elogii_shapes_and_are_repeatable() {
        let mut a = IdGen::new(7);
        let mut b = IdGen::new(7);
        let id = a.object_id();
        assert_eq!(id.len(), 24);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(id, b.object_id());
        let uid = a.uid("CUS");
        assert!(uid.starts_with("CUS-") && uid.len() == 12, "{uid}");
        assert!(
            uid[4..]
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_ne!(a.object_id(), a.object_id());
    }
}
