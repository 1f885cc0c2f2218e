//! The sync protocol's messages and their wire format.
//!
//! Headers and bodies travel as opaque byte strings: they are the canonical encodings of
//! `chain/types` (`Header`, block body), produced and decoded by the node, never by this
//! crate. This module only frames them, with every count and length checked against
//! [`SyncLimits`] before anything is allocated. The byte layout is in `specs/network.md`:
//!
//! ```text
//! frame    = len:u32be payload            (len <= limit for the message kind)
//! request  = 0x00 status | 0x01 max:u32be n:u16be hash*n | 0x02 n:u16be hash*n
//! response = 0x00 status | 0x01 n:u16be (len:u32be bytes)*n | 0x02 n:u16be (len:u32be bytes)*n
//! status   = genesis:32 tip_hash:32 tip_height:u64be work_len:u8 work:work_len (<= 32)
//! ```
//!
//! Decoding rejects unknown tags, truncation and trailing bytes, so decode-then-encode
//! gives back the same bytes.

/// A block hash (BLAKE3-256 of the canonical header).
pub type BlockHash = [u8; 32];

/// Longest cumulative-work field: a 256-bit big-endian integer.
pub const MAX_WORK_BYTES: usize = 32;

/// The limits of the sync protocol. Both sides enforce them: a sender refuses to encode a
/// message beyond them and a receiver treats one as a protocol violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncLimits {
    /// Most hashes in a `GetHeaders` locator.
    pub max_locator: usize,
    /// Most headers asked for or returned at once.
    pub max_headers: usize,
    /// Largest single encoded header.
    pub max_header_bytes: usize,
    /// Most bodies asked for or returned at once.
    pub max_bodies: usize,
    /// Largest single encoded body (the chain's block size limit).
    pub max_body_bytes: usize,
    /// Largest response frame.
    pub max_response_bytes: usize,
}

impl Default for SyncLimits {
    fn default() -> Self {
        Self {
            max_locator: 64,
            max_headers: 2000,
            max_header_bytes: 1024,
            max_bodies: 64,
            max_body_bytes: 4 * 1024 * 1024,
            max_response_bytes: 16 * 1024 * 1024,
        }
    }
}

impl SyncLimits {
    /// Largest request frame these limits allow.
    pub fn max_request_bytes(&self) -> usize {
        let status = 1 + 32 + 32 + 8 + 1 + MAX_WORK_BYTES;
        let headers = 1 + 4 + 2 + 32 * self.max_locator;
        let bodies = 1 + 2 + 32 * self.max_bodies;
        status.max(headers).max(bodies)
    }
}

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
    /// Cumulative work of the best chain, a big-endian unsigned integer of at most 32 bytes.
    pub cumulative_work: Vec<u8>,
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
    /// Bodies of the given blocks. Answered with [`SyncResponse::Bodies`], in request
    /// order, stopping at the first block the responder does not have.
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
    /// Canonically encoded headers, ascending height.
    Headers(Vec<Vec<u8>>),
    /// Canonically encoded block bodies, in request order.
    Bodies(Vec<Vec<u8>>),
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
}

const TAG_STATUS: u8 = 0x00;
const TAG_HEADERS: u8 = 0x01;
const TAG_BODIES: u8 = 0x02;

impl SyncRequest {
    /// Checks the request against `limits` (what a receiver would refuse).
    pub fn check(&self, limits: &SyncLimits) -> Result<(), WireError> {
        match self {
            SyncRequest::Status(status) => status.check(),
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
    /// Checks the response against `limits` (what a receiver would refuse).
    pub fn check(&self, limits: &SyncLimits) -> Result<(), WireError> {
        match self {
            SyncResponse::Status(status) => status.check()?,
            SyncResponse::Headers(headers) => {
                check_items(
                    "headers",
                    "header",
                    headers,
                    limits.max_headers,
                    limits.max_header_bytes,
                )?;
            }
            SyncResponse::Bodies(bodies) => {
                check_items(
                    "bodies",
                    "body",
                    bodies,
                    limits.max_bodies,
                    limits.max_body_bytes,
                )?;
            }
        }
        let len = self.encoded_len();
        if len > limits.max_response_bytes {
            return Err(WireError::FrameTooLarge {
                len,
                max: limits.max_response_bytes,
            });
        }
        Ok(())
    }

    fn encoded_len(&self) -> usize {
        match self {
            SyncResponse::Status(status) => 1 + 73 + status.cumulative_work.len(),
            SyncResponse::Headers(items) | SyncResponse::Bodies(items) => {
                3 + items.iter().map(|i| 4 + i.len()).sum::<usize>()
            }
        }
    }

    /// Encodes the payload (without the length prefix), after checking the limits.
    pub fn encode(&self, limits: &SyncLimits) -> Result<Vec<u8>, WireError> {
        self.check(limits)?;
        let mut out = Vec::with_capacity(self.encoded_len());
        match self {
            SyncResponse::Status(status) => {
                out.push(TAG_STATUS);
                status.encode_into(&mut out);
            }
            SyncResponse::Headers(items) => {
                out.push(TAG_HEADERS);
                encode_items(&mut out, items);
            }
            SyncResponse::Bodies(items) => {
                out.push(TAG_BODIES);
                encode_items(&mut out, items);
            }
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
            TAG_HEADERS => SyncResponse::Headers(r.items(
                "headers",
                "header",
                limits.max_headers,
                limits.max_header_bytes,
            )?),
            TAG_BODIES => SyncResponse::Bodies(r.items(
                "bodies",
                "body",
                limits.max_bodies,
                limits.max_body_bytes,
            )?),
            tag => return Err(WireError::UnknownTag(tag)),
        };
        r.finish()?;
        Ok(response)
    }
}

impl Status {
    fn check(&self) -> Result<(), WireError> {
        if self.cumulative_work.len() > MAX_WORK_BYTES {
            return Err(WireError::ItemTooLarge {
                what: "cumulative work",
                len: self.cumulative_work.len(),
                max: MAX_WORK_BYTES,
            });
        }
        Ok(())
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.genesis);
        out.extend_from_slice(&self.tip_hash);
        out.extend_from_slice(&self.tip_height.to_be_bytes());
        // `check` bounded the length to 32, so it fits a byte.
        out.push(self.cumulative_work.len() as u8);
        out.extend_from_slice(&self.cumulative_work);
    }

    fn decode_from(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let genesis = r.hash("genesis")?;
        let tip_hash = r.hash("tip hash")?;
        let tip_height = r.u64("tip height")?;
        let work_len = usize::from(r.u8("work length")?);
        if work_len > MAX_WORK_BYTES {
            return Err(WireError::ItemTooLarge {
                what: "cumulative work",
                len: work_len,
                max: MAX_WORK_BYTES,
            });
        }
        let cumulative_work = r.bytes(work_len, "cumulative work")?.to_vec();
        Ok(Status {
            genesis,
            tip_hash,
            tip_height,
            cumulative_work,
        })
    }
}

fn check_count(what: &'static str, count: usize, max: usize) -> Result<(), WireError> {
    if count > max {
        return Err(WireError::TooMany { what, count, max });
    }
    Ok(())
}

fn check_items(
    what: &'static str,
    item: &'static str,
    items: &[Vec<u8>],
    max_count: usize,
    max_len: usize,
) -> Result<(), WireError> {
    check_count(what, items.len(), max_count.min(usize::from(u16::MAX)))?;
    if let Some(big) = items.iter().find(|i| i.len() > max_len) {
        return Err(WireError::ItemTooLarge {
            what: item,
            len: big.len(),
            max: max_len,
        });
    }
    Ok(())
}

fn encode_hashes(out: &mut Vec<u8>, hashes: &[BlockHash]) {
    // Counts were checked against limits far below u16::MAX.
    out.extend_from_slice(&(hashes.len() as u16).to_be_bytes());
    for hash in hashes {
        out.extend_from_slice(hash);
    }
}

fn encode_items(out: &mut Vec<u8>, items: &[Vec<u8>]) {
    out.extend_from_slice(&(items.len() as u16).to_be_bytes());
    for item in items {
        // Item lengths were checked against limits far below u32::MAX.
        out.extend_from_slice(&(item.len() as u32).to_be_bytes());
        out.extend_from_slice(item);
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

    fn u16(&mut self, what: &'static str) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, WireError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    fn hash(&mut self, what: &'static str) -> Result<BlockHash, WireError> {
        self.array(what)
    }

    fn hashes(&mut self, what: &'static str, max: usize) -> Result<Vec<BlockHash>, WireError> {
        let count = usize::from(self.u16(what)?);
        check_count(what, count, max)?;
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

    fn items(
        &mut self,
        what: &'static str,
        item: &'static str,
        max_count: usize,
        max_len: usize,
    ) -> Result<Vec<Vec<u8>>, WireError> {
        let count = usize::from(self.u16(what)?);
        check_count(what, count, max_count)?;
        let mut out = Vec::with_capacity(count.min(self.bytes.len() / 4));
        for _ in 0..count {
            let len = self.u32(item)? as usize;
            if len > max_len {
                return Err(WireError::ItemTooLarge {
                    what: item,
                    len,
                    max: max_len,
                });
            }
            out.push(self.bytes(len, item)?.to_vec());
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
mod tests {
    use super::*;

    fn status() -> Status {
        Status {
            genesis: [1; 32],
            tip_hash: [2; 32],
            tip_height: 42,
            cumulative_work: vec![0x01, 0x00, 0x00],
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
                locator: vec![[3; 32], [4; 32]],
                max: 2000,
            },
            SyncRequest::GetBodies {
                hashes: vec![[5; 32]; 64],
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
            SyncResponse::Headers(vec![vec![7; 100], vec![8; 120], vec![]]),
            SyncResponse::Bodies(vec![vec![9; 5000]]),
        ];
        for response in responses {
            let bytes = response.encode(&limits()).unwrap();
            assert_eq!(bytes.len(), response.encoded_len());
            let decoded = SyncResponse::decode(&bytes, &limits()).unwrap();
            assert_eq!(decoded, response);
            assert_eq!(decoded.encode(&limits()).unwrap(), bytes);
        }
    }

    #[test]
    fn status_layout_is_fixed() {
        let bytes = SyncRequest::Status(status()).encode(&limits()).unwrap();
        let mut expected = vec![0x00];
        expected.extend_from_slice(&[1; 32]);
        expected.extend_from_slice(&[2; 32]);
        expected.extend_from_slice(&42u64.to_be_bytes());
        expected.extend_from_slice(&[3, 1, 0, 0]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn limits_are_enforced_on_both_sides() {
        let too_many = SyncRequest::GetBodies {
            hashes: vec![[0; 32]; 65],
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
        let big_header = SyncResponse::Headers(vec![vec![0; 1025]]);
        assert!(matches!(
            big_header.encode(&limits()),
            Err(WireError::ItemTooLarge { len: 1025, .. })
        ));
        let too_much_work = SyncRequest::Status(Status {
            cumulative_work: vec![1; 33],
            ..status()
        });
        assert!(too_much_work.encode(&limits()).is_err());
        let greedy = SyncRequest::GetHeaders {
            locator: vec![],
            max: 2001,
        };
        assert!(greedy.encode(&limits()).is_err());
    }

    #[test]
    fn an_item_length_beyond_the_limit_is_refused_before_allocating() {
        // One body announced as 4 GiB - 1: rejected from the prefix alone.
        let raw = [TAG_BODIES, 0, 1, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            SyncResponse::decode(&raw, &limits()),
            Err(WireError::ItemTooLarge { .. })
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
    }
}
