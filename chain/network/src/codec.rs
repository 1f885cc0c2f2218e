//! The libp2p request-response codec of the sync protocol: a `u32` big-endian length
//! prefix, checked against the limit for the message kind before the payload is read, then
//! the payload of [`crate::protocol`].
//!
//! A request that breaks the limits or the format is read as [`WireRequest::Invalid`]
//! (libp2p does not report failed inbound reads to the behaviour, so the error must travel
//! as a value) and the event loop penalises its sender. A response that breaks them fails
//! the stream with an [`std::io::ErrorKind::InvalidData`] error carrying the [`WireError`],
//! which the event loop recognises in the outbound failure.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::{StreamProtocol, request_response};

use crate::protocol::{SyncLimits, SyncRequest, SyncResponse, WireError};

/// An inbound request as read from the wire.
#[derive(Debug)]
pub(crate) enum WireRequest {
    /// Well-formed and within the limits.
    Valid(SyncRequest),
    /// Oversized or undecodable: the sender broke the protocol.
    Invalid(WireError),
}

/// A response on the wire: encoded by the responder's `Client::respond` (on the node's
/// task, where the limits are checked and the error returned), decoded when read.
#[derive(Debug)]
pub(crate) enum WireResponse {
    /// Read from a peer.
    Decoded(SyncResponse),
    /// Ready to write: an encoded payload within the limits.
    Encoded(Vec<u8>),
}

/// The codec, carrying the limits it enforces.
#[derive(Debug, Clone)]
pub(crate) struct SyncCodec {
    limits: SyncLimits,
}

impl SyncCodec {
    pub(crate) fn new(limits: SyncLimits) -> Self {
        Self { limits }
    }
}

/// Whether an I/O error from the sync protocol means the peer broke the protocol (as
/// opposed to a closed or reset stream).
pub(crate) fn wire_violation(error: &io::Error) -> Option<&WireError> {
    if error.kind() != io::ErrorKind::InvalidData {
        return None;
    }
    error.get_ref().and_then(|e| e.downcast_ref::<WireError>())
}

fn invalid(error: WireError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

async fn read_frame<T>(io: &mut T, max: usize) -> io::Result<Vec<u8>>
where
    T: AsyncRead + Unpin + Send,
{
    let mut prefix = [0u8; 4];
    io.read_exact(&mut prefix).await?;
    let len = u32::from_be_bytes(prefix) as usize;
    if len > max {
        return Err(invalid(WireError::FrameTooLarge { len, max }));
    }
    let mut payload = vec![0u8; len];
    io.read_exact(&mut payload).await?;
    Ok(payload)
}

async fn write_frame<T>(io: &mut T, payload: &[u8]) -> io::Result<()>
where
    T: AsyncWrite + Unpin + Send,
{
    let len = u32::try_from(payload.len()).map_err(|_| {
        invalid(WireError::FrameTooLarge {
            len: payload.len(),
            max: u32::MAX as usize,
        })
    })?;
    io.write_all(&len.to_be_bytes()).await?;
    io.write_all(payload).await?;
    io.close().await
}

impl request_response::Codec for SyncCodec {
    type Protocol = StreamProtocol;
    type Request = WireRequest;
    type Response = WireResponse;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<WireRequest>
    where
        T: AsyncRead + Unpin + Send,
    {
        let mut prefix = [0u8; 4];
        io.read_exact(&mut prefix).await?;
        let len = u32::from_be_bytes(prefix) as usize;
        let max = self.limits.max_request_bytes();
        if len > max {
            return Ok(WireRequest::Invalid(WireError::FrameTooLarge { len, max }));
        }
        let mut payload = vec![0u8; len];
        io.read_exact(&mut payload).await?;
        Ok(match SyncRequest::decode(&payload, &self.limits) {
            Ok(request) => WireRequest::Valid(request),
            Err(e) => WireRequest::Invalid(e),
        })
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<WireResponse>
    where
        T: AsyncRead + Unpin + Send,
    {
        let payload = read_frame(io, self.limits.max_response_bytes).await?;
        let response = SyncResponse::decode(&payload, &self.limits).map_err(invalid)?;
        Ok(WireResponse::Decoded(response))
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: WireRequest,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let payload = match request {
            WireRequest::Valid(request) => request.encode(&self.limits).map_err(invalid)?,
            WireRequest::Invalid(e) => return Err(invalid(e)),
        };
        write_frame(io, &payload).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: WireResponse,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        match response {
            WireResponse::Encoded(payload) => write_frame(io, &payload).await,
            WireResponse::Decoded(response) => {
                let payload = response.encode(&self.limits).map_err(invalid)?;
                write_frame(io, &payload).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::io::Cursor;
    use libp2p::request_response::Codec;

    use super::*;

    fn protocol() -> StreamProtocol {
        StreamProtocol::new("/infernet/test/sync/1")
    }

    #[test]
    fn a_response_roundtrips_through_the_codec() {
        futures::executor::block_on(async {
            let mut codec = SyncCodec::new(SyncLimits::default());
            let response = SyncResponse::Bodies(vec![crate::protocol::tests::block(4)]);
            let payload = response.encode(&SyncLimits::default()).unwrap();
            let mut buf = Cursor::new(Vec::new());
            codec
                .write_response(&protocol(), &mut buf, WireResponse::Encoded(payload))
                .await
                .unwrap();
            let read = codec
                .read_response(&protocol(), &mut Cursor::new(buf.into_inner()))
                .await
                .unwrap();
            assert!(matches!(read, WireResponse::Decoded(r) if r == response));
        });
    }

    #[test]
    fn a_frame_roundtrips_through_the_codec() {
        futures::executor::block_on(async {
            let mut codec = SyncCodec::new(SyncLimits::default());
            let request = SyncRequest::GetHeaders {
                locator: vec![infernet_types::Hash([9; 32])],
                max: 10,
            };
            let mut buf = Cursor::new(Vec::new());
            codec
                .write_request(&protocol(), &mut buf, WireRequest::Valid(request.clone()))
                .await
                .unwrap();
            let bytes = buf.into_inner();
            assert_eq!(&bytes[..4], &(bytes.len() as u32 - 4).to_be_bytes());
            let read = codec
                .read_request(&protocol(), &mut Cursor::new(bytes))
                .await
                .unwrap();
            assert!(matches!(read, WireRequest::Valid(r) if r == request));
        });
    }

    #[test]
    fn oversized_or_undecodable_requests_are_read_as_invalid() {
        futures::executor::block_on(async {
            let mut codec = SyncCodec::new(SyncLimits::default());
            // Only the prefix is there: it alone condemns the request.
            let frame = 1_000_000u32.to_be_bytes().to_vec();
            let read = codec
                .read_request(&protocol(), &mut Cursor::new(frame))
                .await
                .unwrap();
            assert!(matches!(
                read,
                WireRequest::Invalid(WireError::FrameTooLarge { len: 1_000_000, .. })
            ));
            let frame = vec![0, 0, 0, 1, 0x7f];
            let read = codec
                .read_request(&protocol(), &mut Cursor::new(frame))
                .await
                .unwrap();
            assert!(matches!(
                read,
                WireRequest::Invalid(WireError::UnknownTag(0x7f))
            ));
        });
    }

    #[test]
    fn an_oversized_response_is_a_wire_violation() {
        futures::executor::block_on(async {
            let mut codec = SyncCodec::new(SyncLimits::default());
            let frame = u32::MAX.to_be_bytes().to_vec();
            let err = codec
                .read_response(&protocol(), &mut Cursor::new(frame))
                .await
                .unwrap_err();
            assert!(matches!(
                wire_violation(&err),
                Some(WireError::FrameTooLarge { .. })
            ));
        });
    }

    #[test]
    fn a_closed_stream_is_not_a_wire_violation() {
        futures::executor::block_on(async {
            let mut codec = SyncCodec::new(SyncLimits::default());
            let err = codec
                .read_response(&protocol(), &mut Cursor::new(vec![0, 0]))
                .await
                .unwrap_err();
            assert!(wire_violation(&err).is_none());
        });
    }
}
