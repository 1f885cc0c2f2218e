//! Fuzzes the block and header decoders under the built-in specs' limits: no panic, and
//! anything accepted re-encodes to exactly the input.
#![no_main]

use infernet_types::{Block, DecodeLimits, Encode, Header, Limits, decode_exact};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = DecodeLimits::from_limits(&Limits::default_limits());
    if let Ok(block) = decode_exact::<Block>(data, &limits) {
        assert_eq!(block.encode(), data);
        let _ = block.compute_tx_root();
        let _ = block.header.pow_hash();
    }
    if let Ok(header) = decode_exact::<Header>(data, &limits) {
        assert_eq!(header.encode(), data);
    }
});
