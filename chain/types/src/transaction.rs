//! Transactions: [`Transaction`] (sender, nonce, fee, [`TxKind`]), [`SignedTransaction`],
//! signing and verification helpers, txids, and the block's [`Coinbase`]. The kinds
//! themselves are in [`crate::tx_kinds`].
//!
//! The signed message of a transaction is
//! `signing_bytes(TX_SIGNATURE, chain_id, encode(tx))`; its id is
//! `hash(TX_ID, encode(signed tx))`. Validity rules (fees, nonces, what each kind may do)
//! live in the consensus crate; this module only defines the data and its encoding.

use infernet_crypto::{Address, Identity, Signature, SignatureError};
use infernet_crypto::{domain, hash::hash, signing_bytes, verify};
use serde::{Deserialize, Serialize};

use crate::encoding::{Decode, DecodeError, Encode, Reader};
use crate::primitives::{Height, TxId};
use crate::{Amount, AmountError};

pub use crate::tx_kinds::{ComplaintReason, ParentModel, TxKind};

/// An unsigned transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// The signer, who pays the fee.
    pub sender: Address,
    /// Must equal the sender's account nonce (its count of included transactions).
    pub nonce: u64,
    /// Fee paid to the block's miner; at least `encoded size of the signed tx × min_fee_per_byte`.
    pub fee: Amount,
    /// What the transaction does.
    pub kind: TxKind,
}

impl Transaction {
    /// Exactly the bytes given to ed25519:
    /// `signing_bytes(TX_SIGNATURE, chain_id, encode(self))`.
    #[must_use]
    pub fn signing_bytes(&self, chain_id: u64) -> Vec<u8> {
        signing_bytes(domain::TX_SIGNATURE, chain_id, &self.encode())
    }

    /// Signs with `identity` for `chain_id`.
    ///
    /// The signature only verifies if `identity.address() == self.sender`; signing someone
    /// else's transaction gives one that every node rejects.
    #[must_use]
    pub fn sign(self, identity: &Identity, chain_id: u64) -> SignedTransaction {
        let signature = identity.sign(domain::TX_SIGNATURE, chain_id, &self.encode());
        SignedTransaction {
            tx: self,
            signature,
        }
    }

    /// Encoded size of this transaction once signed (the size fees are charged on).
    #[must_use]
    pub fn signed_len(&self) -> usize {
        self.encoded_len() + 64
    }

    /// The smallest fee this transaction may carry: `signed_len × fee_per_byte`.
    ///
    /// The fee field has a fixed width, so setting `fee` to this value doesn't change the size.
    pub fn min_fee(&self, fee_per_byte: Amount) -> Result<Amount, AmountError> {
        fee_per_byte.checked_mul(self.signed_len() as u64)
    }
}

impl Encode for Transaction {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.sender.encode_to(out);
        self.nonce.encode_to(out);
        self.fee.encode_to(out);
        self.kind.encode_to(out);
    }
}

impl Decode for Transaction {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Transaction {
            sender: Address::decode(r)?,
            nonce: r.u64("Transaction.nonce")?,
            fee: Amount::decode(r)?,
            kind: TxKind::decode(r)?,
        })
    }
}

/// A transaction with its sender's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTransaction {
    /// The transaction.
    pub tx: Transaction,
    /// ed25519 signature by `tx.sender` over [`Transaction::signing_bytes`].
    pub signature: Signature,
}

impl SignedTransaction {
    /// Smallest possible encoding: sender, nonce, fee, a tag-only kind, signature.
    pub const MIN_ENCODED_LEN: usize = 32 + 8 + 8 + 1 + 64;

    /// The transaction id: `hash(TX_ID, encode(self))`.
    #[must_use]
    pub fn txid(&self) -> TxId {
        hash(domain::TX_ID, &self.encode())
    }

    /// Checks the signature (strict ed25519) for `chain_id`.
    pub fn verify(&self, chain_id: u64) -> Result<(), SignatureError> {
        verify(
            &self.tx.sender,
            domain::TX_SIGNATURE,
            chain_id,
            &self.tx.encode(),
            &self.signature,
        )
    }

    /// The `(address, signed bytes, signature)` triple for
    /// [`infernet_crypto::verify_batch`].
    #[must_use]
    pub fn batch_item(&self, chain_id: u64) -> (Address, Vec<u8>, Signature) {
        (
            self.tx.sender,
            self.tx.signing_bytes(chain_id),
            self.signature,
        )
    }
}

impl Encode for SignedTransaction {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.tx.encode_to(out);
        self.signature.encode_to(out);
    }
}

impl Decode for SignedTransaction {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let start = r.position();
        let tx = Transaction::decode(r)?;
        let signature = Signature::decode(r)?;
        let len = r.position() - start;
        let max = r.limits().max_tx_bytes as usize;
        if len > max {
            return Err(DecodeError::LengthTooLarge {
                field: "SignedTransaction",
                len: len as u64,
                max: max as u64,
            });
        }
        Ok(SignedTransaction { tx, signature })
    }
}

/// The block reward output: the block's reward plus its fees, paid to the miner's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coinbase {
    /// Height of the block (makes every coinbase id unique).
    pub height: Height,
    /// Who receives the reward.
    pub recipient: Address,
    /// Reward plus fees.
    pub amount: Amount,
}

impl Coinbase {
    /// Encoded size (fixed); shorter than any signed transaction, so a coinbase id can never
    /// equal a txid.
    pub const ENCODED_LEN: usize = 8 + 32 + 8;

    /// The coinbase id, first leaf of the block's tx root: `hash(TX_ID, encode(self))`.
    #[must_use]
    pub fn id(&self) -> TxId {
        hash(domain::TX_ID, &self.encode())
    }
}

impl Encode for Coinbase {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.height.encode_to(out);
        self.recipient.encode_to(out);
        self.amount.encode_to(out);
    }
}

impl Decode for Coinbase {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Coinbase {
            height: r.u64("Coinbase.height")?,
            recipient: Address::decode(r)?,
            amount: Amount::decode(r)?,
        })
    }
}
