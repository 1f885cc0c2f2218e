#![allow(clippy::unwrap_used, missing_docs)]
//! Loopback tests of the network layer: real swarms on 127.0.0.1, port 0, mDNS off.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use infernet_network::{
    Client, Keypair, Multiaddr, Network, NetworkConfig, NetworkError, NetworkEvent, PeerId, Status,
    SyncRequest, SyncResponse, Validation,
};
use infernet_types::{Address, Amount, Block, Coinbase, Hash, Header, Target};
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
    time::timeout,
};

const CHAIN: &str = "testchain";

struct Node {
    client: Client,
    events: mpsc::Receiver<NetworkEvent>,
    addr: Multiaddr,
    peer: PeerId,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Node {
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.unwrap();
    }
}

fn test_config() -> NetworkConfig {
    let mut config = NetworkConfig::new(Keypair::generate_ed25519(), CHAIN);
    config.mdns = false;
    config.gossip.heartbeat_interval = Duration::from_millis(100);
    config.sync.request_timeout = Duration::from_secs(5);
    config
}

async fn spawn_node_with(config: NetworkConfig, listen: &str) -> Node {
    let (client, event_loop, events) = Network::new(config).unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(event_loop.run(async move {
        let _ = stopped.await;
    }));
    let addr = client.listen_on(listen.parse().unwrap()).await.unwrap();
    let peer = client.local_peer_id();
    Node {
        addr: addr.with_p2p(peer).unwrap(),
        client,
        events,
        peer,
        stop: Some(stop),
        task,
    }
}

async fn spawn_node() -> Node {
    spawn_node_with(test_config(), "/ip4/127.0.0.1/tcp/0").await
}

/// Waits for the first event `pick` accepts, discarding the others.
async fn next_matching<T>(
    events: &mut mpsc::Receiver<NetworkEvent>,
    within: Duration,
    mut pick: impl FnMut(NetworkEvent) -> Option<T>,
) -> Option<T> {
    timeout(within, async {
        while let Some(event) = events.recv().await {
            if let Some(found) = pick(event) {
                return Some(found);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
}

/// Retries until `f` succeeds (gossip publishing fails until a peer's subscription arrives).
async fn eventually<T, F, Fut>(within: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, NetworkError>>,
{
    let deadline = Instant::now() + within;
    loop {
        match f().await {
            Ok(v) => return v,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("still failing after {within:?}: {e}"),
        }
    }
}

fn status(height: u64) -> Status {
    Status {
        genesis: Hash([7; 32]),
        tip_hash: Hash([height as u8; 32]),
        tip_height: height,
        cumulative_work: [1; 32],
    }
}

fn header(height: u64) -> Header {
    Header {
        version: Header::VERSION,
        height,
        prev_hash: Hash([height as u8; 32]),
        timestamp: 1_700_000_000 + height,
        target: Target([0xff; 32]),
        nonce: height,
        tx_root: Hash([1; 32]),
        state_root: Hash([2; 32]),
    }
}

fn block(height: u64) -> Block {
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

const SECS: Duration = Duration::from_secs(5);

/// Waits until `client` has no connected peer (its event loop may learn of a closed
/// connection a moment after the other side).
async fn wait_until_alone(client: &Client) {
    eventually(SECS, || async {
        match client.peers().await?.len() {
            0 => Ok(()),
            _ => Err(NetworkError::Shutdown),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_exchange_a_gossip_block_and_tx() {
    let a = spawn_node().await;
    let mut b = spawn_node().await;
    assert_eq!(a.client.dial(b.addr.clone()).await.unwrap(), b.peer);

    let connected = next_matching(&mut b.events, SECS, |e| match e {
        NetworkEvent::PeerConnected { peer, outbound, .. } => Some((peer, outbound)),
        _ => None,
    })
    .await;
    assert_eq!(connected, Some((a.peer, false)));

    let block = b"block bytes".to_vec();
    eventually(SECS, || a.client.publish_block(block.clone())).await;
    let got = next_matching(&mut b.events, SECS, |e| match e {
        NetworkEvent::GossipBlock { peer, data, .. } => Some((peer, data)),
        _ => None,
    })
    .await;
    assert_eq!(got, Some((a.peer, block)));

    let tx = b"tx bytes".to_vec();
    a.client.publish_tx(tx.clone()).await.unwrap();
    let got = next_matching(&mut b.events, SECS, |e| match e {
        NetworkEvent::GossipTx { peer, data, .. } => Some((peer, data)),
        _ => None,
    })
    .await;
    assert_eq!(got, Some((a.peer, tx)));

    let peers = a.client.peers().await.unwrap();
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].peer_id, b.peer);
    assert!(peers[0].outbound);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_over_the_per_topic_cap_is_refused_locally() {
    let a = spawn_node().await;
    let mut config = test_config();
    config.gossip.max_tx_bytes = 100;
    let b = spawn_node_with(config, "/ip4/127.0.0.1/tcp/0").await;
    let err = b.client.publish_tx(vec![0; 101]).await.unwrap_err();
    assert!(
        matches!(
            err,
            NetworkError::TooLarge {
                len: 101,
                max: 100,
                ..
            }
        ),
        "{err}"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_gossip_is_not_forwarded_but_accepted_gossip_is() {
    // a -- b -- c: c hears a's messages only through b.
    let a = spawn_node().await;
    let mut b = spawn_node().await;
    let mut c = spawn_node().await;
    // Keep the line topology: without this, Kademlia would introduce a and c.
    c.client.block_peer(a.peer).await.unwrap();
    a.client.block_peer(c.peer).await.unwrap();
    a.client.dial(b.addr.clone()).await.unwrap();
    c.client.dial(b.addr.clone()).await.unwrap();
    // Let b's mesh include c (a few heartbeats).
    tokio::time::sleep(Duration::from_millis(600)).await;

    let good = b"a valid block".to_vec();
    eventually(SECS, || a.client.publish_block(good.clone())).await;
    let (from, id) = next_matching(&mut b.events, SECS, |e| match e {
        NetworkEvent::GossipBlock { peer, msg_id, .. } => Some((peer, msg_id)),
        _ => None,
    })
    .await
    .unwrap();
    assert!(
        b.client
            .report_validation(id, from, Validation::Accept)
            .await
            .unwrap()
    );
    let forwarded = next_matching(&mut c.events, SECS, |e| match e {
        NetworkEvent::GossipBlock { data, .. } => Some(data),
        _ => None,
    })
    .await;
    assert_eq!(forwarded, Some(good));

    let bad = b"an invalid block".to_vec();
    a.client.publish_block(bad.clone()).await.unwrap();
    let (from, id) = next_matching(&mut b.events, SECS, |e| match e {
        NetworkEvent::GossipBlock { peer, msg_id, .. } => Some((peer, msg_id)),
        _ => None,
    })
    .await
    .unwrap();
    assert_eq!(from, a.peer);
    b.client
        .report_validation(id, from, Validation::Reject)
        .await
        .unwrap();
    let leaked = next_matching(&mut c.events, Duration::from_millis(1500), |e| match e {
        NetworkEvent::GossipBlock { data, .. } => Some(data),
        _ => None,
    })
    .await;
    assert_eq!(leaked, None, "a rejected block reached the third node");

    let peers = b.client.peers().await.unwrap();
    let a_info = peers.iter().find(|p| p.peer_id == a.peer).unwrap();
    assert_eq!(a_info.penalty, 50);
    assert!(a_info.gossip_score.unwrap() < 0.0);
    a.stop().await;
    b.stop().await;
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_rejects_ban_the_sender() {
    let a = spawn_node().await;
    let mut b = spawn_node().await;
    a.client.dial(b.addr.clone()).await.unwrap();
    for i in 0..2u8 {
        let data = vec![i; 10];
        eventually(SECS, || a.client.publish_block(data.clone())).await;
        let (from, id) = next_matching(&mut b.events, SECS, |e| match e {
            NetworkEvent::GossipBlock { peer, msg_id, .. } => Some((peer, msg_id)),
            _ => None,
        })
        .await
        .unwrap();
        b.client
            .report_validation(id, from, Validation::Reject)
            .await
            .unwrap();
    }
    let gone = next_matching(&mut b.events, SECS, |e| match e {
        NetworkEvent::PeerDisconnected { peer } => Some(peer),
        _ => None,
    })
    .await;
    assert_eq!(gone, Some(a.peer));
    // The ban holds: a cannot come back.
    let again = a.client.dial(b.addr.clone()).await;
    if again.is_ok() {
        // The connection may open before b's refusal closes it; it must not stay.
        let stays = next_matching(&mut b.events, Duration::from_millis(500), |e| match e {
            NetworkEvent::PeerConnected { peer, .. } if peer == a.peer => Some(()),
            _ => None,
        })
        .await;
        assert_eq!(stays, None, "a banned peer was let back in");
    }
    wait_until_alone(&b.client).await;
    a.stop().await;
    b.stop().await;
}

/// Answers sync requests like a tiny chain would: status, a few headers, known bodies.
fn serve(
    mut events: mpsc::Receiver<NetworkEvent>,
    client: Client,
    delay: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let NetworkEvent::SyncRequest {
                request, channel, ..
            } = event
            {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let response = match request {
                    SyncRequest::Status(_) => SyncResponse::Status(status(100)),
                    SyncRequest::GetHeaders { max, .. } => {
                        SyncResponse::Headers((0..u64::from(max.min(3))).map(header).collect())
                    }
                    SyncRequest::GetBodies { hashes } => SyncResponse::Bodies(
                        hashes.iter().map(|h| block(u64::from(h.0[0]))).collect(),
                    ),
                };
                let _ = client.respond(channel, response).await;
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_request_response_roundtrip() {
    let a = spawn_node().await;
    let mut b = spawn_node().await;
    a.client.dial(b.addr.clone()).await.unwrap();
    let events = std::mem::replace(&mut b.events, mpsc::channel(1).1);
    let server = serve(events, b.client.clone(), Duration::ZERO);

    let response = a
        .client
        .request(b.peer, SyncRequest::Status(status(5)))
        .await
        .unwrap();
    assert_eq!(response, SyncResponse::Status(status(100)));

    let response = a
        .client
        .request(
            b.peer,
            SyncRequest::GetHeaders {
                locator: vec![Hash([1; 32]), Hash([7; 32])],
                max: 500,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        response,
        SyncResponse::Headers(vec![header(0), header(1), header(2)])
    );

    let hashes = vec![Hash([3; 32]), Hash([4; 32])];
    let response = a
        .client
        .request(b.peer, SyncRequest::GetBodies { hashes })
        .await
        .unwrap();
    assert_eq!(response, SyncResponse::Bodies(vec![block(3), block(4)]));

    // Requests beyond the protocol limits are refused before they leave.
    let err = a
        .client
        .request(
            b.peer,
            SyncRequest::GetBodies {
                hashes: vec![Hash([0; 32]); 65],
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Wire(_)), "{err}");
    server.abort();
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_over_quic() {
    let a = spawn_node_with(test_config(), "/ip4/127.0.0.1/udp/0/quic-v1").await;
    let mut b = spawn_node_with(test_config(), "/ip4/127.0.0.1/udp/0/quic-v1").await;
    assert_eq!(a.client.dial(b.addr.clone()).await.unwrap(), b.peer);
    let events = std::mem::replace(&mut b.events, mpsc::channel(1).1);
    let server = serve(events, b.client.clone(), Duration::ZERO);
    let response = a
        .client
        .request(b.peer, SyncRequest::Status(status(1)))
        .await
        .unwrap();
    assert_eq!(response, SyncResponse::Status(status(100)));
    server.abort();
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_response_is_refused_before_sending() {
    let a = spawn_node().await;
    let mut b = spawn_node().await;
    a.client.dial(b.addr.clone()).await.unwrap();
    let requester = a.client.clone();
    let peer = b.peer;
    let request = tokio::spawn(async move {
        requester
            .request(
                peer,
                SyncRequest::GetBodies {
                    hashes: vec![Hash([1; 32])],
                },
            )
            .await
    });
    let channel = next_matching(&mut b.events, SECS, |e| match e {
        NetworkEvent::SyncRequest { channel, .. } => Some(channel),
        _ => None,
    })
    .await
    .unwrap();
    let err = b
        .client
        .respond(channel, SyncResponse::Headers(vec![header(1); 2001]))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Wire(_)), "{err}");
    // The request was dropped unanswered: the requester sees a failure, not a hang.
    let outcome = request.await.unwrap();
    assert!(outcome.is_err());
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_peer_disconnects_and_prevents_reconnection() {
    let a = spawn_node().await;
    let mut b = spawn_node().await;
    a.client.dial(b.addr.clone()).await.unwrap();
    next_matching(&mut b.events, SECS, |e| match e {
        NetworkEvent::PeerConnected { .. } => Some(()),
        _ => None,
    })
    .await
    .unwrap();

    assert!(b.client.block_peer(a.peer).await.unwrap());
    let gone = next_matching(&mut b.events, SECS, |e| match e {
        NetworkEvent::PeerDisconnected { peer } => Some(peer),
        _ => None,
    })
    .await;
    assert_eq!(gone, Some(a.peer));

    // b refuses to dial a, and a's dial to b is denied by b.
    let a_addr = a.addr.clone();
    assert!(b.client.dial(a_addr.clone()).await.is_err());
    let _ = a.client.dial(b.addr.clone()).await;
    let back = next_matching(&mut b.events, Duration::from_millis(500), |e| match e {
        NetworkEvent::PeerConnected { .. } => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(back, None, "a blocked peer reconnected");
    wait_until_alone(&b.client).await;

    assert!(b.client.unblock_peer(a.peer).await.unwrap());
    assert_eq!(b.client.dial(a_addr).await.unwrap(), a.peer);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_peer_does_not_starve_an_honest_one() {
    let server = spawn_node().await;
    let flooder = spawn_node().await;
    let honest = spawn_node().await;
    flooder.client.dial(server.addr.clone()).await.unwrap();
    honest.client.dial(server.addr.clone()).await.unwrap();
    let Node {
        client: server_client,
        events: server_events,
        peer: server_peer,
        stop: server_stop,
        task: server_task,
        ..
    } = server;
    // The node answers one request every 5 ms: slower than the flood arrives.
    let serving = serve(server_events, server_client, Duration::from_millis(5));

    let failures = Arc::new(AtomicUsize::new(0));
    let mut flood = Vec::new();
    for i in 0..400u64 {
        let client = flooder.client.clone();
        let failures = failures.clone();
        flood.push(tokio::spawn(async move {
            let request = SyncRequest::Status(status(i));
            if client.request(server_peer, request).await.is_err() {
                failures.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;

    let mut slowest = Duration::ZERO;
    for i in 0..5 {
        let started = Instant::now();
        let response = honest
            .client
            .request(server_peer, SyncRequest::Status(status(i)))
            .await
            .unwrap();
        assert_eq!(response, SyncResponse::Status(status(100)));
        slowest = slowest.max(started.elapsed());
    }
    assert!(
        slowest < Duration::from_secs(1),
        "honest peer waited {slowest:?} during the flood"
    );
    for task in flood {
        task.await.unwrap();
    }
    // The flood was cut short rather than queued: most of it was refused.
    assert!(
        failures.load(Ordering::Relaxed) > 200,
        "only {} of 400 flood requests were refused",
        failures.load(Ordering::Relaxed)
    );
    serving.abort();
    let _ = server_stop.map(|s| s.send(()));
    server_task.await.unwrap();
    flooder.stop().await;
    honest.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_dropped_not_queued_without_bound_when_the_node_lags() {
    let a = spawn_node().await;
    let mut config = test_config();
    config.event_capacity = 4;
    let mut b = spawn_node_with(config, "/ip4/127.0.0.1/tcp/0").await;
    a.client.dial(b.addr.clone()).await.unwrap();
    eventually(SECS, || a.client.publish_tx(vec![0; 8])).await;
    for i in 1..50u8 {
        a.client.publish_tx(vec![i; 8]).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut received = 0;
    while let Ok(event) = b.events.try_recv() {
        if matches!(event, NetworkEvent::GossipTx { .. }) {
            received += 1;
        }
        // Drain what was queued behind the channel as well.
        if b.events.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // Channel (4) plus the event loop's queue (4): the rest was ignored.
    assert!(received <= 8, "{received} gossip events buffered");
    assert!(received >= 1);
    // The event loop is still responsive.
    assert_eq!(b.client.peers().await.unwrap().len(), 1);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_network_reports_shutdown() {
    let a = spawn_node().await;
    let client = a.client.clone();
    a.stop().await;
    assert!(matches!(client.peers().await, Err(NetworkError::Shutdown)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_of_different_chains_do_not_exchange_gossip() {
    let a = spawn_node().await;
    let mut other = NetworkConfig::new(Keypair::generate_ed25519(), "otherchain");
    other.gossip.heartbeat_interval = Duration::from_millis(100);
    let mut b = spawn_node_with(other, "/ip4/127.0.0.1/tcp/0").await;
    let _ = a.client.dial(b.addr.clone()).await;
    // No peer of a's chain: publishing never finds a subscriber.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(a.client.publish_block(vec![1]).await.is_err());
    // Identify told each side the other is on another chain: they hung up.
    wait_until_alone(&a.client).await;
    let got = next_matching(&mut b.events, Duration::from_millis(300), |e| match e {
        NetworkEvent::GossipBlock { .. } => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(got, None);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootnodes_are_dialed_at_start() {
    let a = spawn_node().await;
    let mut config = test_config();
    config.bootnodes = vec![a.addr.clone()];
    let mut b = spawn_node_with(config, "/ip4/127.0.0.1/tcp/0").await;
    let connected = next_matching(&mut b.events, SECS, |e| match e {
        NetworkEvent::PeerConnected { peer, outbound, .. } => Some((peer, outbound)),
        _ => None,
    })
    .await;
    assert_eq!(connected, Some((a.peer, true)));
    a.stop().await;
    b.stop().await;
}

// ---- a misbehaving peer speaking raw bytes on the sync protocol ----------------------

mod raw {
    use std::io;

    use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
    use libp2p::{StreamProtocol, Swarm, noise, request_response, tcp, yamux};

    /// Writes the request bytes as they are, whatever they are.
    #[derive(Clone, Default)]
    pub struct RawCodec;

    impl request_response::Codec for RawCodec {
        type Protocol = StreamProtocol;
        type Request = Vec<u8>;
        type Response = Vec<u8>;

        async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
        where
            T: AsyncRead + Unpin + Send,
        {
            let mut buf = Vec::new();
            io.take(1 << 20).read_to_end(&mut buf).await?;
            Ok(buf)
        }

        async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
        where
            T: AsyncRead + Unpin + Send,
        {
            let mut buf = Vec::new();
            io.take(1 << 20).read_to_end(&mut buf).await?;
            Ok(buf)
        }

        async fn write_request<T>(
            &mut self,
            _: &StreamProtocol,
            io: &mut T,
            req: Vec<u8>,
        ) -> io::Result<()>
        where
            T: AsyncWrite + Unpin + Send,
        {
            io.write_all(&req).await?;
            io.close().await
        }

        async fn write_response<T>(
            &mut self,
            _: &StreamProtocol,
            io: &mut T,
            res: Vec<u8>,
        ) -> io::Result<()>
        where
            T: AsyncWrite + Unpin + Send,
        {
            io.write_all(&res).await?;
            io.close().await
        }
    }

    pub fn swarm(chain: &str) -> Swarm<request_response::Behaviour<RawCodec>> {
        let protocol = StreamProtocol::try_from_owned(format!("/infernet/{chain}/sync/1")).unwrap();
        libp2p::SwarmBuilder::with_new_identity()
            .with_tokio()
            .with_tcp(
                tcp::Config::default(),
                noise::Config::new,
                yamux::Config::default,
            )
            .unwrap()
            .with_behaviour(|_| {
                request_response::Behaviour::with_codec(
                    RawCodec,
                    [(protocol, request_response::ProtocolSupport::Full)],
                    request_response::Config::default(),
                )
            })
            .unwrap()
            .build()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_sync_requests_are_penalised_then_banned() {
    use futures::StreamExt;
    use libp2p::swarm::SwarmEvent;

    let b = spawn_node().await;
    let mut evil = raw::swarm(CHAIN);
    let evil_peer = *evil.local_peer_id();
    evil.dial(b.addr.clone()).unwrap();
    // Drive the raw swarm until `done` says stop.
    async fn drive_until(
        swarm: &mut libp2p::Swarm<libp2p::request_response::Behaviour<raw::RawCodec>>,
        mut done: impl FnMut(&SwarmEvent<libp2p::request_response::Event<Vec<u8>, Vec<u8>>>) -> bool,
    ) -> bool {
        timeout(SECS, async {
            loop {
                let event = swarm.select_next_some().await;
                if done(&event) {
                    return;
                }
            }
        })
        .await
        .is_ok()
    }
    assert!(
        drive_until(&mut evil, |e| matches!(
            e,
            SwarmEvent::ConnectionEstablished { .. }
        ))
        .await
    );

    // 1. An oversized frame: the length prefix alone is refused (nothing allocated).
    let mut oversized = u32::MAX.to_be_bytes().to_vec();
    oversized.extend_from_slice(&[0; 64]);
    evil.behaviour_mut().send_request(&b.peer, oversized);
    // b closes the stream without an answer (the raw codec reads that as an empty reply).
    assert!(
        drive_until(&mut evil, |e| matches!(
            e,
            SwarmEvent::Behaviour(
                libp2p::request_response::Event::OutboundFailure { .. }
                    | libp2p::request_response::Event::Message { .. }
            )
        ))
        .await
    );
    let penalty = eventually(SECS, || async {
        let peers = b.client.peers().await?;
        match peers.iter().find(|p| p.peer_id == evil_peer) {
            Some(info) if info.penalty > 0 => Ok(info.penalty),
            _ => Err(NetworkError::Shutdown),
        }
    })
    .await;
    assert_eq!(penalty, 50);

    // 2. An undecodable frame (unknown tag): the second offence bans the peer.
    let garbage = [0, 0, 0, 3, 0x7f, 1, 2].to_vec();
    evil.behaviour_mut().send_request(&b.peer, garbage);
    assert!(
        drive_until(&mut evil, |e| matches!(
            e,
            SwarmEvent::ConnectionClosed {
                num_established: 0,
                ..
            }
        ))
        .await,
        "the misbehaving peer was not disconnected"
    );
    wait_until_alone(&b.client).await;

    // 3. It cannot come back: b refuses the new connection.
    evil.dial(b.addr.clone()).unwrap();
    assert!(
        drive_until(&mut evil, |e| matches!(
            e,
            SwarmEvent::OutgoingConnectionError { .. } | SwarmEvent::ConnectionClosed { .. }
        ))
        .await,
        "a banned peer's connection stayed open"
    );
    wait_until_alone(&b.client).await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kademlia_introduces_peers_of_peers() {
    let a = spawn_node().await;
    let b = spawn_node().await;
    let c = spawn_node().await;
    a.client.dial(b.addr.clone()).await.unwrap();
    c.client.dial(b.addr.clone()).await.unwrap();
    // c learns a from b (Kademlia bootstrap) and dials it by itself.
    let peers = eventually(SECS, || async {
        let peers = c.client.peers().await?;
        if peers.iter().any(|p| p.peer_id == a.peer) {
            Ok(peers)
        } else {
            Err(NetworkError::Shutdown)
        }
    })
    .await;
    assert_eq!(peers.len(), 2);
    a.stop().await;
    b.stop().await;
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_response_fails_the_request_and_penalises_the_responder() {
    use futures::StreamExt;
    use libp2p::{request_response, swarm::SwarmEvent};

    let a = spawn_node().await;
    let mut evil = raw::swarm(CHAIN);
    let evil_peer = *evil.local_peer_id();
    evil.dial(a.addr.clone()).unwrap();
    // The evil peer answers every request with a headers response holding 5 bytes of junk.
    let responder = tokio::spawn(async move {
        loop {
            if let SwarmEvent::Behaviour(request_response::Event::Message {
                message: request_response::Message::Request { channel, .. },
                ..
            }) = evil.select_next_some().await
            {
                let junk = vec![0, 0, 0, 8, 0x01, 0, 1, 1, 2, 3, 4, 5];
                let _ = evil.behaviour_mut().send_response(channel, junk);
            }
        }
    });
    let peer_seen = eventually(SECS, || async {
        let peers = a.client.peers().await?;
        if peers.iter().any(|p| p.peer_id == evil_peer) {
            Ok(())
        } else {
            Err(NetworkError::Shutdown)
        }
    })
    .await;
    let () = peer_seen;
    let err = a
        .client
        .request(evil_peer, SyncRequest::Status(status(1)))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Request { .. }), "{err}");
    let peers = a.client.peers().await.unwrap();
    let info = peers.iter().find(|p| p.peer_id == evil_peer).unwrap();
    assert_eq!(info.penalty, 50);
    responder.abort();
    a.stop().await;
}
