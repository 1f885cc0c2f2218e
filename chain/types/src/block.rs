//! Blocks: [`Header`] (with its block hash and PoW hash) and [`Block`] (header, coinbase,
//! transactions, tx root).

use infernet_crypto::hash::{hash, merkle_root};
use infernet_crypto::{Hash, domain};
use serde::{Deserialize, Serialize};

use crate::encoding::{Decode, DecodeError, Encode, Reader, put_list};
use crate::primitives::{BlockHash, Height, Target, TxId};
use crate::transaction::{Coinbase, SignedTransaction};

/// A block header. Its canonical encoding is fixed-size ([`Header::ENCODED_LEN`] bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Header format version ([`Header::VERSION`]).
    pub version: u32,
    /// Height of this block (genesis = 0).
    pub height: Height,
    /// Hash of the parent block ([`Hash::ZERO`] for genesis).
    pub prev_hash: BlockHash,
    /// Unix time in seconds, as set by the miner.
    pub timestamp: u64,
    /// PoW target this block must meet.
    pub target: Target,
    /// Nonce varied by the miner.
    pub nonce: u64,
    /// Merkle root of the coinbase id followed by every txid, in block order.
    pub tx_root: Hash,
    /// State root after applying this block.
    pub state_root: Hash,
}

impl Header {
    /// The current header version.
    pub const VERSION: u32 = 1;
    /// Size of an encoded header.
    pub const ENCODED_LEN: usize = 4 + 8 + 32 + 8 + 32 + 8 + 32 + 32;

    /// Block hash: `hash(BLOCK_HEADER, encode(self))`.
    #[must_use]
    pub fn hash(&self) -> BlockHash {
        hash(domain::BLOCK_HEADER, &self.encode())
    }

    /// Proof-of-work hash: `hash(POW, encode(self))`, compared with `target`.
    #[must_use]
    pub fn pow_hash(&self) -> Hash {
        hash(domain::POW, &self.encode())
    }

    /// Whether the PoW hash meets the header's own target.
    #[must_use]
    pub fn meets_target(&self) -> bool {
        self.target.is_met_by(&self.pow_hash())
    }
}

impl Encode for Header {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.version.encode_to(out);
        self.height.encode_to(out);
        self.prev_hash.encode_to(out);
        self.timestamp.encode_to(out);
        self.target.encode_to(out);
        self.nonce.encode_to(out);
        self.tx_root.encode_to(out);
        self.state_root.encode_to(out);
    }
    fn encoded_len(&self) -> usize {
        Self::ENCODED_LEN
    }
}

impl Decode for Header {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Header {
            version: r.u32("Header.version")?,
            height: r.u64("Header.height")?,
            prev_hash: Hash::decode(r)?,
            timestamp: r.u64("Header.timestamp")?,
            target: Target::decode(r)?,
            nonce: r.u64("Header.nonce")?,
            tx_root: Hash::decode(r)?,
            state_root: Hash::decode(r)?,
        })
    }
}

/// A block: header, coinbase and transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// The header.
    pub header: Header,
    /// The reward output.
    pub coinbase: Coinbase,
    /// The transactions, in execution order.
    pub txs: Vec<SignedTransaction>,
}

impl Block {
    /// The block hash (of its header).
    #[must_use]
    pub fn hash(&self) -> BlockHash {
        self.header.hash()
    }

    /// The coinbase id followed by every txid, in block order: the leaves of the tx root.
    #[must_use]
    pub fn tx_ids(&self) -> Vec<TxId> {
        let mut ids = Vec::with_capacity(self.txs.len() + 1);
        ids.push(self.coinbase.id());
        ids.extend(self.txs.iter().map(SignedTransaction::txid));
        ids
    }

    /// Computes the tx root from the body (compare with `header.tx_root`).
    #[must_use]
    pub fn compute_tx_root(&self) -> Hash {
        merkle_root(&self.tx_ids())
    }

    /// Computes the tx root from already computed ids (coinbase id first).
    #[must_use]
    pub fn tx_root_of(ids: &[TxId]) -> Hash {
        merkle_root(ids)
    }
}

impl Encode for Block {
    fn encode_to(&self, out: &mut Vec<u8>) {
        self.header.encode_to(out);
        self.coinbase.encode_to(out);
        put_list(out, &self.txs);
    }
}

impl Decode for Block {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let start = r.position();
        let header = Header::decode(r)?;
        let coinbase = Coinbase::decode(r)?;
        let max = r.limits().max_block_bytes;
        let max_txs = max / SignedTransaction::MIN_ENCODED_LEN as u32;
        let txs = r.list(max_txs, SignedTransaction::MIN_ENCODED_LEN, "Block.txs")?;
        let len = r.position() - start;
        if len > max as usize {
            return Err(DecodeError::LengthTooLarge {
                field: "Block",
                len: len as u64,
                max: u64::from(max),
            });
        }
        Ok(Block {
            header,
            coinbase,
            txs,
        })
    }
}
