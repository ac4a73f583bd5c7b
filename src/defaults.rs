//! Argument defaults for `#[serde(default = "...")]`, one place for the plain ones: `defaults::yes` and
//! `defaults::usize::<N>` / `defaults::u64::<N>` say their value where they are used, instead of a helper per
//! file named after its number. Defaults with a meaning of their own (a limit, a timeout) keep a named function
//! beside their argument.

pub fn yes() -> bool {
    true
}

pub fn usize<const N: usize>() -> usize {
    N
}

pub fn u64<const N: u64>() -> u64 {
    N
}
