//! Building, signing and encoding transactions for `tx_send`.
//!
//! The wallet always pays exactly the minimum fee (`signed size × fee per byte`); the fee
//! field has a fixed width, so computing it does not change the size.

use infernet_crypto::Identity;
use infernet_types::{Amount, Encode, SignedTransaction, Transaction, TxKind};

use crate::WalletError;

/// The fee per byte of the built-in specs, used when the node's chain is not a built-in one.
pub const DEFAULT_FEE_PER_BYTE: Amount = Amount(10);

/// The minimum fee per byte of the chain called `chain` (built-in specs), or
/// [`DEFAULT_FEE_PER_BYTE`].
#[must_use]
pub fn fee_per_byte_for(chain: &str) -> Amount {
    infernet_types::ChainSpec::builtin(chain)
        .map(|s| s.min_fee_per_byte)
        .unwrap_or(DEFAULT_FEE_PER_BYTE)
}

/// Signs `kind` from `identity` with `nonce`, paying the minimum fee at `fee_per_byte`.
pub fn sign(
    identity: &Identity,
    chain_id: u64,
    nonce: u64,
    fee_per_byte: Amount,
    kind: TxKind,
) -> Result<SignedTransaction, WalletError> {
    let mut tx = Transaction {
        sender: identity.address(),
        nonce,
        fee: Amount::ZERO,
        kind,
    };
    tx.fee = tx
        .min_fee(fee_per_byte)
        .map_err(|_| WalletError::Overflow { what: "fee" })?;
    Ok(tx.sign(identity, chain_id))
}

/// The hex string `tx_send` takes.
#[must_use]
pub fn to_hex(tx: &SignedTransaction) -> String {
    hex::encode(tx.encode())
}

#[cfg(test)]
mod tests {
    use super::*;
    use infernet_crypto::{Address, Seed};
    use infernet_types::{DecodeLimits, Transfer, decode_exact};

    #[test]
    fn signed_transfer_verifies_and_pays_min_fee() {
        let id = Identity::from_seed(&Seed::from_bytes([3; 32]));
        let kind = TxKind::Transfer(Transfer {
            to: Address([4; 32]),
            amount: Amount(5),
        });
        let tx = sign(&id, 1337, 7, Amount(10), kind).unwrap();
        tx.verify(1337).unwrap();
        assert!(tx.verify(1).is_err());
        assert_eq!(tx.tx.nonce, 7);
        assert_eq!(tx.tx.fee, Amount(10 * tx.encode().len() as u64));
        let bytes = hex::decode(to_hex(&tx)).unwrap();
        let back: SignedTransaction = decode_exact(&bytes, &DecodeLimits::default()).unwrap();
        assert_eq!(back, tx);
        assert_eq!(fee_per_byte_for("dev"), Amount(10));
        assert_eq!(fee_per_byte_for("my-own-chain"), DEFAULT_FEE_PER_BYTE);
    }
}
