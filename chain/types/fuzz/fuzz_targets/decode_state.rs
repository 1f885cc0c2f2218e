//! Fuzzes the state key and value decoders (what storage reads back): no panic, and anything
//! accepted re-encodes to exactly the input.
#![no_main]

use infernet_types::{DecodeLimits, Encode, StateKey, StateValue, decode_exact};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = DecodeLimits::PROTOCOL_MAX;
    if let Ok(key) = decode_exact::<StateKey>(data, &limits) {
        assert_eq!(key.encode(), data);
    }
    if let Ok(value) = decode_exact::<StateValue>(data, &limits) {
        assert_eq!(value.encode(), data);
    }
});
