//! Signed transactions for tests: one way to pick the fee, sign and hex-encode, so a test
//! states only the kind it sends.

use infernet_crypto::{Address, Identity};
use infernet_types::{Amount, ChainSpec, Encode, SignedTransaction, Transaction, Transfer, TxKind};

/// How a test pays for its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fee {
    /// Exactly this fee.
    Fixed(Amount),
    /// The minimum fee at this many base units per byte of the signed transaction.
    PerByte(Amount),
}

/// `kind` from `who` at `nonce`, paying `fee`, signed for `chain_id`.
pub fn sign(
    who: &Identity,
    chain_id: u64,
    nonce: u64,
    fee: Fee,
    kind: TxKind,
) -> SignedTransaction {
    let mut tx = Transaction {
        sender: who.address(),
        nonce,
        fee: Amount::ZERO,
        kind,
    };
    tx.fee = match fee {
        Fee::Fixed(a) => a,
        // The fee field has a fixed width: setting it does not change the size it is charged on.
        Fee::PerByte(per_byte) => tx.min_fee(per_byte).unwrap(),
    };
    tx.sign(who, chain_id)
}

/// `kind` from `who` at `nonce` on the dev chain, paying the dev chain's minimum fee.
pub fn dev_min_fee(who: &Identity, nonce: u64, kind: TxKind) -> SignedTransaction {
    let spec = ChainSpec::dev();
    sign(
        who,
        spec.chain_id,
        nonce,
        Fee::PerByte(spec.min_fee_per_byte),
        kind,
    )
}

/// The hex of the canonical bytes, as `tx_send` takes them.
pub fn to_hex(tx: &SignedTransaction) -> String {
    hex::encode(tx.encode())
}

/// A transfer of `amount` base units to `to`.
pub fn transfer(to: Address, amount: u64) -> TxKind {
    TxKind::Transfer(Transfer {
        to,
        amount: Amount(amount),
    })
}
