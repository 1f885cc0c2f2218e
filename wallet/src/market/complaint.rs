//! The buyer's complaint about a delivered record that failed provenance verification: the
//! `Complain` transaction.
//!
//! The chain stores a complaint and counts it in the seller's market history
//! (`state_getSellerStats`, `state_getComplaints`), so every buyer sees the same history. It
//! checks who complains (the purchase's buyer), about what (a record of a delivered purchase,
//! once per record) and when (within `complaint_window` blocks of the delivery); it cannot
//! check that the complaint is true, because the delivered key is sealed to the buyer
//! (`specs/market.md` §6). No money moves.
//!
//! This module maps the wallet's failed [`Check`] to the chain's [`ComplaintReason`] and
//! builds the transaction kind; the CLI signs and submits it.

use infernet_crypto::Hash;
use infernet_types::Complain;
use infernet_types::{ComplaintReason, TxKind};

use super::provenance::Check;

/// The on-chain reason for a failed check: a key that does not open and a payload that does
/// not decrypt are both "the key does not open the record".
#[must_use]
pub fn reason_for(check: Check) -> ComplaintReason {
    match check {
        Check::Key | Check::Payload => ComplaintReason::KeyDoesNotOpen,
        Check::Commitment => ComplaintReason::CommitmentMismatch,
        Check::Receipt => ComplaintReason::ReceiptMismatch,
    }
}

/// Parses a reason as typed on the command line (`key_does_not_open`, `key`,
/// `commitment_mismatch`, `commitment`, `receipt_mismatch`, `receipt`, `other`).
#[must_use]
pub fn parse_reason(s: &str) -> Option<ComplaintReason> {
    let s = s.trim().to_ascii_lowercase().replace('-', "_");
    ComplaintReason::ALL
        .into_iter()
        .find(|r| r.name() == s || r.name().split('_').next() == Some(s.as_str()))
}

/// `detail` cut to at most `max_bytes` bytes on a character boundary (the chain refuses a
/// longer string).
#[must_use]
pub fn cut_detail(detail: &str, max_bytes: usize) -> String {
    if detail.len() <= max_bytes {
        return detail.to_owned();
    }
    let mut cut = max_bytes;
    while !detail.is_char_boundary(cut) {
        cut -= 1;
    }
    detail[..cut].to_owned()
}

/// The `Complain` transaction about record `record_index` of purchase `purchase`.
#[must_use]
pub fn complain_kind(
    purchase: Hash,
    record_index: u32,
    reason: ComplaintReason,
    detail: &str,
    max_detail_bytes: usize,
) -> TxKind {
    TxKind::Complain(Complain {
        purchase,
        record_index,
        reason,
        detail: cut_detail(detail, max_detail_bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_checks_map_to_chain_reasons() {
        assert_eq!(reason_for(Check::Key), ComplaintReason::KeyDoesNotOpen);
        assert_eq!(reason_for(Check::Payload), ComplaintReason::KeyDoesNotOpen);
        assert_eq!(
            reason_for(Check::Commitment),
            ComplaintReason::CommitmentMismatch
        );
        assert_eq!(reason_for(Check::Receipt), ComplaintReason::ReceiptMismatch);
    }

    #[test]
    fn reasons_parse_by_name_or_first_word() {
        assert_eq!(
            parse_reason("key_does_not_open"),
            Some(ComplaintReason::KeyDoesNotOpen)
        );
        assert_eq!(parse_reason("Key"), Some(ComplaintReason::KeyDoesNotOpen));
        assert_eq!(
            parse_reason("commitment-mismatch"),
            Some(ComplaintReason::CommitmentMismatch)
        );
        assert_eq!(
            parse_reason("receipt"),
            Some(ComplaintReason::ReceiptMismatch)
        );
        assert_eq!(parse_reason("other"), Some(ComplaintReason::Other));
        assert_eq!(parse_reason("bad"), None);
    }

    #[test]
    fn long_details_are_cut_on_a_char_boundary() {
        let d = "é".repeat(10); // 20 bytes
        assert_eq!(cut_detail(&d, 7), "ééé");
        assert_eq!(cut_detail("short", 7), "short");
        let TxKind::Complain(Complain {
            detail,
            record_index,
            ..
        }) = complain_kind(Hash([1; 32]), 2, ComplaintReason::Other, &d, 5)
        else {
            panic!("not a Complain");
        };
        assert_eq!((detail.as_str(), record_index), ("éé", 2));
    }
}
