//! Fuzzes the signed-transaction decoder: it must never panic, and anything it accepts must
//! re-encode to exactly the input (the encoding is canonical).
#![no_main]

use infernet_types::{DecodeLimits, Encode, SignedTransaction, Transaction, decode_exact};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = DecodeLimits::PROTOCOL_MAX;
    if let Ok(stx) = decode_exact::<SignedTransaction>(data, &limits) {
        assert_eq!(stx.encode(), data);
        // The id and signing bytes of any decodable transaction are computable.
        let _ = stx.txid();
        let _ = stx.tx.signing_bytes(1);
    }
    if let Ok(tx) = decode_exact::<Transaction>(data, &limits) {
        assert_eq!(tx.encode(), data);
    }
});
