//! The sync protocol's messages and their wire format.
//!
//! Headers and blocks are carried in the canonical encoding of `chain/types`
//! ([`Header`], [`Block`]) and decoded here under the chain's [`DecodeLimits`], so a peer
//! sending undecodable consensus bytes is caught (and penalised) at the network layer. This
//! crate never *validates* them: that is the node's job. The framing around them is this
//! module's own, with every count and length checked against [`SyncLimits`] before anything
//! is allocated. The byte layout is in `specs/network.md`:
//!
//! ```text
//! frame    = len:u32be payload            (len <= limit for the message kind)
//! request  = 0x00 status | 0x01 max:u32be n:u16be hash*n | 0x02 n:u16be hash*n
//! response = 0x00 status | 0x01 n:u16be header*n | 0x02 n:u16be (len:u32be block)*n
//! status   = genesis:32 tip_hash:32 tip_height:u64be cumulative_work:32 (u256 big-endian)
//! ```
//!
//! Decoding rejects unknown tags, truncation and trailing bytes, so decode-then-encode
//! gives back the same bytes.

use infernet_types::{Block, DecodeError, DecodeLimits, Encode, Header, decode_exact};

/// A block hash (BLAKE3-256 of the canonical header).
pub use infernet_types::BlockHash;

/// The limits of the sync protocol. Both sides enforce them: a sender refuses to encode a
/// message beyond them and a receiver treats one as a protocol violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncLimits {
    /// Most hashes in a `GetHeaders` locator.
    pub max_locator: usize,
    /// Most headers asked for or returned at once.
    pub max_headers: usize,
    /// Most blocks asked for or returned at once.
    pub max_bodies: usize,
    /// Largest response frame. A responder stops adding blocks before reaching it.
    pub max_response_bytes: usize,
    /// Limits for decoding headers and blocks (the chain spec's).
    pub decode: DecodeLimits,
}

impl Default for SyncLimits {
    fn default() -> Self {
        Self::for_limits(&infernet_types::spec::Limits::default_limits())
    }
}

impl SyncLimits {
    /// The limits for a chain whose spec has `limits`: blocks up to its block size, and a
    /// response frame of 16 MiB or one block and some, whichever is larger.
    pub fn for_limits(limits: &infernet_types::spec::Limits) -> Self {
        let decode = DecodeLimits::from_limits(limits);
        Self {
            max_locator: 64,
            max_headers: 2000,
            max_bodies: 64,
            max_response_bytes: (16 << 20).max(decode.max_block_bytes as usize + (64 << 10)),
            decode,
        }
    }

    /// Largest request frame these limits allow.
    pub fn max_request_bytes(&self) -> usize {
        let status = 1 + STATUS_LEN;
        let headers = 1 + 4 + 2 + 32 * self.max_locator;
        let bodies = 1 + 2 + 32 * self.max_bodies;
        status.max(headers).max(bodies)
    }
}

/// Encoded length of a [`Status`].
const STATUS_LEN: usize = 32 + 32 + 8 + 32;

/// A node's view of its chain, exchanged when peers meet and when a node looks for a better
/// chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Hash of the genesis block: peers on another chain are useless for sync.
    pub genesis: BlockHash,
    /// Hash of the best block.
    pub tip_hash: BlockHash,
    /// Height of the best block.
    pub tip_height: u64,
    /// Cumulative work of the best chain, a 256-bit big-endian unsigned integer
    /// (`U256::to_be_bytes` of the consensus crate).
    pub cumulative_work: [u8; 32],
}

/// A request of the sync protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncRequest {
    /// "Here is my status, what is yours?" Answered with [`SyncResponse::Status`].
    Status(Status),
    /// Headers following the first locator hash the responder has on its best chain,
    /// at most `max` of them, in ascending height. Answered with [`SyncResponse::Headers`].
    GetHeaders {
        /// Hashes from the requester's tip backwards (dense first, then exponentially
        /// sparser, ending with genesis).
        locator: Vec<BlockHash>,
        /// Most headers wanted (at most [`SyncLimits::max_headers`]).
        max: u32,
    },
    /// The blocks with the given hashes. Answered with [`SyncResponse::Bodies`], in request
    /// order, stopping at the first block the responder does not have or when the next one
    /// would overflow [`SyncLimits::max_response_bytes`].
    GetBodies {
        /// Hashes of the blocks wanted (at most [`SyncLimits::max_bodies`]).
        hashes: Vec<BlockHash>,
    },
}

/// A response of the sync protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncResponse {
    /// The responder's status.
    Status(Status),
    /// Headers, ascending height.
    Headers(Vec<Header>),
    /// Whole blocks (header and body), in request order.
    Bodies(Vec<Block>),
}

/// A sync message that breaks the format or the limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The frame's length prefix is above the limit for its kind.
    #[error("frame of {len} bytes exceeds the {max}-byte limit")]
    FrameTooLarge {
        /// Announced length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The message ended early.
    #[error("message truncated while reading {0}")]
    Truncated(&'static str),
    /// Bytes remain after a complete message.
    #[error("{0} trailing bytes after the message")]
    TrailingBytes(usize),
    /// Unknown message tag.
    #[error("unknown message tag {0:#04x}")]
    UnknownTag(u8),
    /// Too many items in a list.
    #[error("{count} {what} exceed the limit of {max}")]
    TooMany {
        /// What is counted.
        what: &'static str,
        /// How many.
        count: usize,
        /// Limit.
        max: usize,
    },
    /// One item is too large.
    #[error("a {what} of {len} bytes exceeds the {max}-byte limit")]
    ItemTooLarge {
        /// What item.
        what: &'static str,
        /// Its length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// A header or block is not in the canonical encoding.
    #[error("undecodable {what}: {source}")]
    Consensus {
        /// What was being decoded.
        what: &'static str,
        /// Why it does not decode.
        source: DecodeError,
    },
}

const TAG_STATUS: u8 = 0x00;
const TAG_HEADERS: u8 = 0x01;
const TAG_BODIES: u8 = 0x02;

impl SyncRequest {
    /// Checks the request against `limits` (what a receiver would refuse).
    pub fn check(&self, limits: &SyncLimits) -> Result<(), WireError> {
        match self {
            SyncRequest::Status(_) => Ok(()),
            SyncRequest::GetHeaders { locator, max } => {
                check_count("locator hashes", locator.len(), limits.max_locator)?;
                check_count("headers", *max as usize, limits.max_headers)
            }
            SyncRequest::GetBodies { hashes } => {
                check_count("body hashes", hashes.len(), limits.max_bodies)
            }
        }
    }

    /// Encodes the payload (without the length prefix), after checking the limits.
    pub fn encode(&self, limits: &SyncLimits) -> Result<Vec<u8>, WireError> {
        self.check(limits)?;
        let mut out = Vec::new();
        match self {
            SyncRequest::Status(status) => {
                out.push(TAG_STATUS);
                status.encode_into(&mut out);
            }
            SyncRequest::GetHeaders { locator, max } => {
                out.push(TAG_HEADERS);
                out.extend_from_slice(&max.to_be_bytes());
                encode_hashes(&mut out, locator);
            }
            SyncRequest::GetBodies { hashes } => {
                out.push(TAG_BODIES);
                encode_hashes(&mut out, hashes);
            }
        }
        Ok(out)
    }

    /// Decodes a payload (without the length prefix), enforcing the limits.
    pub fn decode(bytes: &[u8], limits: &SyncLimits) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        let request = match r.u8("tag")? {
            TAG_STATUS => SyncRequest::Status(Status::decode_from(&mut r)?),
            TAG_HEADERS => {
                let max = r.u32("max")?;
                check_count("headers", max as usize, limits.max_headers)?;
                let locator = r.hashes("locator hashes", limits.max_locator)?;
                SyncRequest::GetHeaders { locator, max }
            }
            TAG_BODIES => SyncRequest::GetBodies {
                hashes: r.hashes("body hashes", limits.max_bodies)?,
            },
            tag => return Err(WireError::UnknownTag(tag)),
        };
        r.finish()?;
        Ok(request)
    }
}

impl SyncResponse {
    /// Encodes the payload (without the length prefix), checking every limit a receiver
    /// would enforce.
    pub fn encode(&self, limits: &SyncLimits) -> Result<Vec<u8>, WireError> {
        let mut out = Vec::new();
        match self {
            SyncResponse::Status(status) => {
                out.push(TAG_STATUS);
                status.encode_into(&mut out);
            }
            SyncResponse::Headers(headers) => {
                check_count("headers", headers.len(), limits.max_headers)?;
                out.reserve(3 + headers.len() * Header::ENCODED_LEN);
                out.push(TAG_HEADERS);
                put_count(&mut out, headers.len());
                for header in headers {
                    header.encode_to(&mut out);
                }
            }
            SyncResponse::Bodies(blocks) => {
                check_count("blocks", blocks.len(), limits.max_bodies)?;
                out.push(TAG_BODIES);
                put_count(&mut out, blocks.len());
                let max_block = limits.decode.max_block_bytes as usize;
                for block in blocks {
                    let at = out.len();
                    out.extend_from_slice(&[0; 4]);
                    block.encode_to(&mut out);
                    let len = out.len() - at - 4;
                    if len > max_block {
                        return Err(WireError::ItemTooLarge {
                            what: "block",
                            len,
                            max: max_block,
                        });
                    }
                    // Bounded by the block size limit, far below u32::MAX.
                    out[at..at + 4].copy_from_slice(&(len as u32).to_be_bytes());
                    if out.len() > limits.max_response_bytes {
                        // Already too large: stop encoding, the check below refuses it.
                        break;
                    }
                }
            }
        }
        if out.len() > limits.max_response_bytes {
            return Err(WireError::FrameTooLarge {
                len: out.len(),
                max: limits.max_response_bytes,
            });
        }
        Ok(out)
    }

    /// Decodes a payload (without the length prefix), enforcing the limits.
    pub fn decode(bytes: &[u8], limits: &SyncLimits) -> Result<Self, WireError> {
        if bytes.len() > limits.max_response_bytes {
            return Err(WireError::FrameTooLarge {
                len: bytes.len(),
                max: limits.max_response_bytes,
            });
        }
        let mut r = Reader::new(bytes);
        let response = match r.u8("tag")? {
            TAG_STATUS => SyncResponse::Status(Status::decode_from(&mut r)?),
            TAG_HEADERS => {
                let count = r.count("headers", limits.max_headers)?;
                let raw = r.bytes(count * Header::ENCODED_LEN, "headers")?;
                let mut headers = Vec::with_capacity(count);
                for chunk in raw.chunks_exact(Header::ENCODED_LEN) {
                    headers.push(consensus("header", decode_exact(chunk, &limits.decode))?);
                }
                SyncResponse::Headers(headers)
            }
            TAG_BODIES => {
                let count = r.count("blocks", limits.max_bodies)?;
                let max_block = limits.decode.max_block_bytes as usize;
                // Each block takes at least its length prefix and a header.
                let mut blocks =
                    Vec::with_capacity(count.min(r.left() / (4 + Header::ENCODED_LEN)));
                for _ in 0..count {
                    let len = r.u32("block length")? as usize;
                    if len > max_block {
                        return Err(WireError::ItemTooLarge {
                            what: "block",
                            len,
                            max: max_block,
                        });
                    }
                    let raw = r.bytes(len, "block")?;
                    blocks.push(consensus(
                        "block",
                        decode_exact::<Block>(raw, &limits.decode),
                    )?);
                }
                SyncResponse::Bodies(blocks)
            }
            tag => return Err(WireError::UnknownTag(tag)),
        };
        r.finish()?;
        Ok(response)
    }
}

fn consensus<T>(what: &'static str, result: Result<T, DecodeError>) -> Result<T, WireError> {
    result.map_err(|source| WireError::Consensus { what, source })
}

impl Status {
    fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.genesis.0);
        out.extend_from_slice(&self.tip_hash.0);
        out.extend_from_slice(&self.tip_height.to_be_bytes());
        out.extend_from_slice(&self.cumulative_work);
    }

    fn decode_from(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Status {
            genesis: r.hash("genesis")?,
            tip_hash: r.hash("tip hash")?,
            tip_height: r.u64("tip height")?,
            cumulative_work: r.array("cumulative work")?,
        })
    }
}

fn check_count(what: &'static str, count: usize, max: usize) -> Result<(), WireError> {
    if count > max.min(usize::from(u16::MAX)) {
        return Err(WireError::TooMany { what, count, max });
    }
    Ok(())
}

fn put_count(out: &mut Vec<u8>, count: usize) {
    // Counts were checked against limits of at most u16::MAX.
    out.extend_from_slice(&(count as u16).to_be_bytes());
}

fn encode_hashes(out: &mut Vec<u8>, hashes: &[BlockHash]) {
    put_count(out, hashes.len());
    for hash in hashes {
        out.extend_from_slice(&hash.0);
    }
}

/// A cursor over a payload that never reads past its end.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn left(&self) -> usize {
        self.bytes.len()
    }

    fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        if self.bytes.len() < n {
            return Err(WireError::Truncated(what));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N, what)?);
        Ok(out)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, WireError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    fn hash(&mut self, what: &'static str) -> Result<BlockHash, WireError> {
        Ok(infernet_types::Hash(self.array(what)?))
    }

    fn count(&mut self, what: &'static str, max: usize) -> Result<usize, WireError> {
        let count = usize::from(u16::from_be_bytes(self.array(what)?));
        check_count(what, count, max)?;
        Ok(count)
    }

    fn hashes(&mut self, what: &'static str, max: usize) -> Result<Vec<BlockHash>, WireError> {
        let count = self.count(what, max)?;
        // The count is capped, and the hashes must actually be there, before allocating.
        if self.bytes.len() < count * 32 {
            return Err(WireError::Truncated(what));
        }
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            out.push(self.hash(what)?);
        }
        Ok(out)
    }

    fn finish(self) -> Result<(), WireError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(WireError::TrailingBytes(self.bytes.len()))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use infernet_types::{Address, Amount, Coinbase, Hash, primitives::Target};

    use super::*;

    pub(crate) fn header(height: u64) -> Header {
        Header {
            version: Header::VERSION,
            height,
            prev_hash: Hash([height as u8; 32]),
            timestamp: 1_700_000_000 + height,
            target: Target([0xff; 32]),
            nonce: 7,
            tx_root: Hash([1; 32]),
            state_root: Hash([2; 32]),
        }
    }

    pub(crate) fn block(height: u64) -> Block {
        Block {
            header: header(height),
            coinbase: Coinbase {
                height,
                recipient: Address([3; 32]),
                amount: Amount(50),
            },
            txs: Vec::new(),
        }
    }

    fn status() -> Status {
        Status {
            genesis: Hash([1; 32]),
            tip_hash: Hash([2; 32]),
            tip_height: 42,
            cumulative_work: [9; 32],
        }
    }

    fn limits() -> SyncLimits {
        SyncLimits::default()
    }

    #[test]
    fn requests_roundtrip_byte_for_byte() {
        let requests = [
            SyncRequest::Status(status()),
            SyncRequest::GetHeaders {
                locator: vec![Hash([3; 32]), Hash([4; 32])],
                max: 2000,
            },
            SyncRequest::GetBodies {
                hashes: vec![Hash([5; 32]); 64],
            },
        ];
        for request in requests {
            let bytes = request.encode(&limits()).unwrap();
            assert!(bytes.len() <= limits().max_request_bytes());
            let decoded = SyncRequest::decode(&bytes, &limits()).unwrap();
            assert_eq!(decoded, request);
            assert_eq!(decoded.encode(&limits()).unwrap(), bytes);
        }
    }

    #[test]
    fn responses_roundtrip_byte_for_byte() {
        let responses = [
            SyncResponse::Status(status()),
            SyncResponse::Headers(vec![header(1), header(2), header(3)]),
            SyncResponse::Headers(vec![]),
            SyncResponse::Bodies(vec![block(1), block(2)]),
        ];
        for response in responses {
            let bytes = response.encode(&limits()).unwrap();
            let decoded = SyncResponse::decode(&bytes, &limits()).unwrap();
            assert_eq!(decoded, response);
            assert_eq!(decoded.encode(&limits()).unwrap(), bytes);
        }
    }

    #[test]
    fn headers_are_the_canonical_encoding_back_to_back() {
        let bytes = SyncResponse::Headers(vec![header(5)])
            .encode(&limits())
            .unwrap();
        assert_eq!(&bytes[..3], &[TAG_HEADERS, 0, 1]);
        assert_eq!(&bytes[3..], header(5).encode().as_slice());
    }

    #[test]
    fn status_layout_is_fixed() {
        let bytes = SyncRequest::Status(status()).encode(&limits()).unwrap();
        let mut expected = vec![0x00];
        expected.extend_from_slice(&[1; 32]);
        expected.extend_from_slice(&[2; 32]);
        expected.extend_from_slice(&42u64.to_be_bytes());
        expected.extend_from_slice(&[9; 32]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn limits_are_enforced_on_both_sides() {
        let too_many = SyncRequest::GetBodies {
            hashes: vec![Hash([0; 32]); 65],
        };
        assert!(matches!(
            too_many.encode(&limits()),
            Err(WireError::TooMany { count: 65, .. })
        ));
        // Hand-made frame announcing 65 hashes.
        let mut raw = vec![TAG_BODIES, 0, 65];
        raw.extend_from_slice(&[0; 65 * 32]);
        assert!(matches!(
            SyncRequest::decode(&raw, &limits()),
            Err(WireError::TooMany { count: 65, .. })
        ));
        let greedy = SyncRequest::GetHeaders {
            locator: vec![],
            max: 2001,
        };
        assert!(greedy.encode(&limits()).is_err());
        let too_many_headers = SyncResponse::Headers(vec![header(1); 2001]);
        assert!(too_many_headers.encode(&limits()).is_err());
        let tight = SyncLimits {
            max_response_bytes: 300,
            ..limits()
        };
        let big = SyncResponse::Bodies(vec![block(1), block(2)]);
        assert!(matches!(
            big.encode(&tight),
            Err(WireError::FrameTooLarge { .. })
        ));
    }

    #[test]
    fn a_block_length_beyond_the_limit_is_refused_before_allocating() {
        // One block announced as 4 GiB - 1: rejected from the prefix alone.
        let raw = [TAG_BODIES, 0, 1, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            SyncResponse::decode(&raw, &limits()),
            Err(WireError::ItemTooLarge { .. })
        ));
    }

    #[test]
    fn undecodable_consensus_bytes_are_rejected() {
        let mut bytes = SyncResponse::Bodies(vec![block(1)])
            .encode(&limits())
            .unwrap();
        // Shorten the announced block length by one: the block no longer decodes.
        let len = u32::from_be_bytes(bytes[3..7].try_into().unwrap());
        bytes[3..7].copy_from_slice(&(len - 1).to_be_bytes());
        assert!(matches!(
            SyncResponse::decode(&bytes, &limits()),
            Err(WireError::Consensus { what: "block", .. })
        ));
    }

    #[test]
    fn malformed_payloads_are_rejected() {
        let good = SyncRequest::Status(status()).encode(&limits()).unwrap();
        assert_eq!(
            SyncRequest::decode(&good[..good.len() - 1], &limits()),
            Err(WireError::Truncated("cumulative work"))
        );
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(
            SyncRequest::decode(&trailing, &limits()),
            Err(WireError::TrailingBytes(1))
        );
        assert_eq!(
            SyncRequest::decode(&[0x7f], &limits()),
            Err(WireError::UnknownTag(0x7f))
        );
        assert_eq!(
            SyncResponse::decode(&[], &limits()),
            Err(WireError::Truncated("tag"))
        );
        // Announces two hashes, carries one.
        let mut short = vec![TAG_BODIES, 0, 2];
        short.extend_from_slice(&[0; 32]);
        assert_eq!(
            SyncRequest::decode(&short, &limits()),
            Err(WireError::Truncated("body hashes"))
        );
        // Announces two headers, carries one.
        let mut short = vec![TAG_HEADERS, 0, 2];
        short.extend_from_slice(&header(1).encode());
        assert_eq!(
            SyncResponse::decode(&short, &limits()),
            Err(WireError::Truncated("headers"))
        );
    }
}
