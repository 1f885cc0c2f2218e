//! The libp2p request-response codec of the sync protocol: a `u32` big-endian length
//! prefix, checked against the limit for the message kind before the payload is read, then
//! the payload of [`crate::protocol`].
//!
//! A frame that breaks the limits or the format fails the stream with an
//! [`std::io::ErrorKind::InvalidData`] error carrying the [`WireError`]; the event loop
//! recognises it and penalises the peer that sent it.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::{StreamProtocol, request_response};

use crate::protocol::{SyncLimits, SyncRequest, SyncResponse, WireError};

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
    type Request = SyncRequest;
    type Response = SyncResponse;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<SyncRequest>
    where
        T: AsyncRead + Unpin + Send,
    {
        let payload = read_frame(io, self.limits.max_request_bytes()).await?;
        SyncRequest::decode(&payload, &self.limits).map_err(invalid)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<SyncResponse>
    where
        T: AsyncRead + Unpin + Send,
    {
        let payload = read_frame(io, self.limits.max_response_bytes).await?;
        SyncResponse::decode(&payload, &self.limits).map_err(invalid)
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: SyncRequest,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let payload = request.encode(&self.limits).map_err(invalid)?;
        write_frame(io, &payload).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: SyncResponse,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let payload = response.encode(&self.limits).map_err(invalid)?;
        write_frame(io, &payload).await
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
    fn a_frame_roundtrips_through_the_codec() {
        futures::executor::block_on(async {
            let mut codec = SyncCodec::new(SyncLimits::default());
            let request = SyncRequest::GetHeaders {
                locator: vec![[9; 32]],
                max: 10,
            };
            let mut buf = Cursor::new(Vec::new());
            codec
                .write_request(&protocol(), &mut buf, request.clone())
                .await
                .unwrap();
            let bytes = buf.into_inner();
            assert_eq!(&bytes[..4], &(bytes.len() as u32 - 4).to_be_bytes());
            let read = codec
                .read_request(&protocol(), &mut Cursor::new(bytes))
                .await
                .unwrap();
            assert_eq!(read, request);
        });
    }

    #[test]
    fn an_oversized_prefix_is_a_wire_violation() {
        futures::executor::block_on(async {
            let mut codec = SyncCodec::new(SyncLimits::default());
            let mut frame = 1_000_000u32.to_be_bytes().to_vec();
            frame.extend_from_slice(&[0; 16]);
            let err = codec
                .read_request(&protocol(), &mut Cursor::new(frame))
                .await
                .unwrap_err();
            assert!(matches!(
                wire_violation(&err),
                Some(WireError::FrameTooLarge { len: 1_000_000, .. })
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
