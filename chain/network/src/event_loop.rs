//! The event loop: the one task that owns the swarm. It executes [`Command`]s from
//! `Client`s, turns swarm events into [`NetworkEvent`]s for the node, keeps the
//! bookkeeping of dials, listeners and requests in flight, and punishes misbehaving peers.
//!
//! Each `select!` round prefers local work (shutdown, commands, handing queued events to the
//! node) over new remote work (swarm events). Nothing grows without bound: the event queue
//! drops gossip and sync requests when the node falls behind, inbound requests are capped
//! per peer, outbound requests and dials are capped in total.

use std::{
    collections::{HashMap, VecDeque},
    future::Future,
    time::{Duration, Instant},
};

use futures::StreamExt;
use libp2p::{
    Multiaddr, PeerId, Swarm,
    core::ConnectedPoint,
    core::transport::ListenerId,
    gossipsub, identify, kad, mdns,
    multiaddr::Protocol,
    request_response::{self, InboundRequestId, OutboundRequestId},
    swarm::{ConnectionId, SwarmEvent, dial_opts::DialOpts},
};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::{
    behaviour::{Behaviour, BehaviourEvent, Protocols},
    client::{Command, GossipId, GossipKind, NetworkEvent, PeerInfo, ResponseChannel, Validation},
    codec::{WireRequest, WireResponse, wire_violation},
    config::{ConnectionConfig, NetworkConfig, SyncConfig},
    error::NetworkError,
    peers::{Offence, PeerBook, Verdict},
    protocol::{SyncRequest, SyncResponse},
};

/// How often bans are expired, discovery tops up connections, and Kademlia refreshes.
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(1);
/// How often a Kademlia bootstrap runs while the routing table is not empty.
const BOOTSTRAP_INTERVAL: Duration = Duration::from_secs(60);
/// Most dials pending at once (commands and discovery together).
const MAX_PENDING_DIALS: usize = 64;
/// Most dials started by one maintenance round.
const DISCOVERY_DIALS_PER_ROUND: usize = 4;
/// Most listen addresses taken from one identify message.
const MAX_IDENTIFY_ADDRS: usize = 8;
/// Beyond the event capacity, this many connection events may still wait in the queue:
/// they are never dropped lightly (the node keeps its peer set from them), but not
/// unbounded either.
const EXTRA_PEER_EVENTS: usize = 1024;

/// Where a command's outcome goes.
type Reply<T> = oneshot::Sender<Result<T, NetworkError>>;

/// What one round of the event loop does.
enum Step {
    Stop,
    Command(Command),
    Deliver(Option<mpsc::OwnedPermit<NetworkEvent>>),
    Swarm(Box<SwarmEvent<BehaviourEvent>>),
    Maintain,
}

/// A connected peer's state.
#[derive(Debug, Default)]
struct Connected {
    connections: Vec<(ConnectionId, Multiaddr, bool)>,
    agent_version: Option<String>,
}

/// The task owning the swarm. Build it with [`crate::Network::new`] and drive it with
/// [`EventLoop::run`] on the tokio runtime.
pub struct EventLoop {
    swarm: Swarm<Behaviour>,
    protocols: Protocols,
    sync: SyncConfig,
    connection_config: ConnectionConfig,
    bootnodes: Vec<Multiaddr>,
    gossip_limits: (usize, usize),
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<NetworkEvent>,
    event_capacity: usize,
    /// Events waiting for room in the channel to the node.
    queue: VecDeque<NetworkEvent>,
    /// Listeners started by `Client::listen_on`, answered with their first address.
    pending_listen: HashMap<ListenerId, Reply<Multiaddr>>,
    /// Dials in progress, with the address and the `Client::dial` caller if any.
    pending_dials: HashMap<ConnectionId, (Multiaddr, Option<Reply<PeerId>>)>,
    /// Outbound sync requests awaiting their response.
    pending_requests: HashMap<OutboundRequestId, (PeerId, Reply<SyncResponse>)>,
    /// Inbound requests handed to the node and not yet answered.
    inbound: HashMap<InboundRequestId, PeerId>,
    inbound_per_peer: HashMap<PeerId, usize>,
    connected: HashMap<PeerId, Connected>,
    book: PeerBook,
    last_bootstrap: Option<Instant>,
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLoop")
            .field("local_peer_id", self.swarm.local_peer_id())
            .field("connected", &self.connected.len())
            .field("queued_events", &self.queue.len())
            .finish_non_exhaustive()
    }
}

impl EventLoop {
    pub(crate) fn new(
        swarm: Swarm<Behaviour>,
        protocols: Protocols,
        config: &NetworkConfig,
        commands: mpsc::Receiver<Command>,
        events: mpsc::Sender<NetworkEvent>,
    ) -> Self {
        Self {
            swarm,
            protocols,
            sync: config.sync.clone(),
            connection_config: config.connections.clone(),
            bootnodes: config.bootnodes.clone(),
            gossip_limits: (config.gossip.max_block_bytes, config.gossip.max_tx_bytes),
            commands,
            events,
            event_capacity: config.event_capacity,
            queue: VecDeque::new(),
            pending_listen: HashMap::new(),
            pending_dials: HashMap::new(),
            pending_requests: HashMap::new(),
            inbound: HashMap::new(),
            inbound_per_peer: HashMap::new(),
            connected: HashMap::new(),
            book: PeerBook::new(config.peers.clone()),
            last_bootstrap: None,
        }
    }

    /// Runs until `shutdown` completes or every `Client` is dropped. Dropping the returned
    /// future drops the swarm, which closes all connections.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut maintenance = tokio::time::interval(MAINTENANCE_INTERVAL);
        maintenance.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.dial_bootnodes();
        loop {
            let step = tokio::select! {
                biased;
                () = &mut shutdown => Step::Stop,
                command = self.commands.recv() => match command {
                    Some(command) => Step::Command(command),
                    None => Step::Stop,
                },
                permit = self.events.clone().reserve_owned(), if !self.queue.is_empty() => {
                    Step::Deliver(permit.ok())
                }
                event = self.swarm.select_next_some() => Step::Swarm(Box::new(event)),
                _ = maintenance.tick() => Step::Maintain,
            };
            match step {
                Step::Stop => break,
                Step::Command(command) => self.handle_command(command),
                Step::Deliver(Some(permit)) => {
                    if let Some(event) = self.queue.pop_front() {
                        permit.send(event);
                    }
                }
                // The node dropped its receiver: nobody will read the queue.
                Step::Deliver(None) => self.queue.clear(),
                Step::Swarm(event) => self.handle_swarm_event(*event),
                Step::Maintain => self.maintain(),
            }
        }
        info!(peer_id = %self.swarm.local_peer_id(), "network event loop stopped");
    }

    fn dial_bootnodes(&mut self) {
        for addr in self.bootnodes.clone() {
            if let Some(peer) = peer_id_of(&addr) {
                self.swarm
                    .behaviour_mut()
                    .kad
                    .add_address(&peer, addr.clone());
            } else {
                warn!(%addr, "bootnode address has no /p2p/<peer id>; dialing it without Kademlia");
            }
            if let Err(e) = self.start_dial(addr.clone()) {
                warn!(%addr, error = %e, "cannot dial bootnode");
            }
        }
    }

    // ---- commands -------------------------------------------------------------------

    fn handle_command(&mut self, command: Command) {
        match command {
            Command::ListenOn { addr, reply } => match self.swarm.listen_on(addr.clone()) {
                Ok(id) => {
                    self.pending_listen.insert(id, reply);
                }
                Err(e) => {
                    let _ = reply.send(Err(NetworkError::Listen {
                        addr,
                        reason: e.to_string(),
                    }));
                }
            },
            Command::Dial { addr, reply } => match self.start_dial(addr) {
                Ok(id) => {
                    if let Some((_, slot)) = self.pending_dials.get_mut(&id) {
                        *slot = Some(reply);
                    }
                }
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            },
            Command::Publish { kind, data, reply } => {
                let _ = reply.send(self.publish(kind, data));
            }
            Command::ReportValidation {
                msg_id,
                peer,
                validation,
                reply,
            } => {
                let _ = reply.send(self.report_validation(msg_id, peer, validation));
            }
            Command::Request {
                peer,
                request,
                reply,
            } => self.send_request(peer, request, reply),
            Command::Respond {
                channel,
                payload,
                reply,
            } => {
                let _ = reply.send(self.respond(channel, payload));
            }
            Command::Peers { reply } => {
                let _ = reply.send(self.peer_infos());
            }
            Command::BlockPeer { peer, reply } => {
                let newly = self.book.block(peer);
                self.swarm.behaviour_mut().blocked.block_peer(peer);
                info!(%peer, "peer blocked by operator");
                let _ = reply.send(newly);
            }
            Command::UnblockPeer { peer, reply } => {
                let was = self.book.unblock(&peer);
                self.swarm.behaviour_mut().blocked.unblock_peer(peer);
                info!(%peer, "peer unblocked by operator");
                let _ = reply.send(was);
            }
            Command::ListenAddrs { reply } => {
                let _ = reply.send(self.swarm.listeners().cloned().collect());
            }
        }
    }

    /// Starts a dial, remembered in `pending_dials` until the connection opens or fails.
    fn start_dial(&mut self, addr: Multiaddr) -> Result<ConnectionId, NetworkError> {
        if self.pending_dials.len() >= MAX_PENDING_DIALS {
            return Err(NetworkError::TooManyDials(MAX_PENDING_DIALS));
        }
        if let Some(peer) = peer_id_of(&addr)
            && self.book.is_refused(&peer)
        {
            return Err(NetworkError::Dial {
                addr,
                reason: "the peer is blocked or banned".to_owned(),
            });
        }
        let opts = DialOpts::from(addr.clone());
        let id = opts.connection_id();
        match self.swarm.dial(opts) {
            Ok(()) => {
                self.pending_dials.insert(id, (addr, None));
                Ok(id)
            }
            Err(e) => Err(NetworkError::Dial {
                addr,
                reason: e.to_string(),
            }),
        }
    }

    fn publish(
        &mut self,
        kind: GossipKind,
        data: Vec<u8>,
    ) -> Result<gossipsub::MessageId, NetworkError> {
        let (topic, max) = match kind {
            GossipKind::Block => (&self.protocols.blocks_topic, self.gossip_limits.0),
            GossipKind::Tx => (&self.protocols.txs_topic, self.gossip_limits.1),
        };
        if data.len() > max {
            return Err(NetworkError::TooLarge {
                what: match kind {
                    GossipKind::Block => "a gossip block",
                    GossipKind::Tx => "a gossip transaction",
                },
                len: data.len(),
                max,
            });
        }
        let topic = topic.clone();
        self.swarm
            .behaviour_mut()
            .gossipsub
            .publish(topic.clone(), data)
            .map_err(|e| NetworkError::Publish {
                topic: topic.to_string(),
                reason: match e {
                    gossipsub::PublishError::NoPeersSubscribedToTopic => {
                        "no connected peer is subscribed yet".to_owned()
                    }
                    gossipsub::PublishError::Duplicate => {
                        "the same message was already published".to_owned()
                    }
                    other => other.to_string(),
                },
            })
    }

    fn report_validation(
        &mut self,
        msg_id: GossipId,
        peer: PeerId,
        validation: Validation,
    ) -> bool {
        let acceptance = match validation {
            Validation::Accept => gossipsub::MessageAcceptance::Accept,
            Validation::Reject => gossipsub::MessageAcceptance::Reject,
            Validation::Ignore => gossipsub::MessageAcceptance::Ignore,
        };
        let found = self
            .swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(&msg_id.id, &peer, acceptance);
        if validation == Validation::Reject {
            let offence = match msg_id.kind {
                GossipKind::Block => Offence::InvalidBlock,
                GossipKind::Tx => Offence::InvalidTx,
            };
            self.penalise(peer, offence);
        }
        found
    }

    fn send_request(
        &mut self,
        peer: PeerId,
        request: SyncRequest,
        reply: oneshot::Sender<Result<SyncResponse, NetworkError>>,
    ) {
        if self.pending_requests.len() >= self.sync.max_outbound {
            let _ = reply.send(Err(NetworkError::TooManyRequests(self.sync.max_outbound)));
            return;
        }
        if let Err(e) = request.check(&self.sync.limits) {
            let _ = reply.send(Err(e.into()));
            return;
        }
        let id = self
            .swarm
            .behaviour_mut()
            .sync
            .send_request(&peer, WireRequest::Valid(request));
        self.pending_requests.insert(id, (peer, reply));
    }

    fn respond(&mut self, channel: ResponseChannel, payload: Vec<u8>) -> Result<(), NetworkError> {
        let peer = channel.peer;
        self.swarm
            .behaviour_mut()
            .sync
            .send_response(channel.inner, WireResponse::Encoded(payload))
            .map_err(|_| NetworkError::ResponseFailed { peer })
    }

    fn peer_infos(&self) -> Vec<PeerInfo> {
        let gossipsub = &self.swarm.behaviour().gossipsub;
        self.connected
            .iter()
            .map(|(peer, state)| PeerInfo {
                peer_id: *peer,
                addresses: state
                    .connections
                    .iter()
                    .map(|(_, a, _)| a.clone())
                    .collect(),
                outbound: state.connections.iter().any(|(_, _, out)| *out),
                agent_version: state.agent_version.clone(),
                penalty: self.book.points(peer),
                gossip_score: gossipsub.peer_score(peer),
            })
            .collect()
    }

    // ---- events to the node ----------------------------------------------------------

    /// Hands an event to the node, or queues it while the channel is full. Returns false
    /// when it had to be dropped (the node is too far behind, or gone).
    fn deliver(&mut self, event: NetworkEvent) -> bool {
        if self.events.is_closed() {
            return false;
        }
        let event = if self.queue.is_empty() {
            match self.events.try_send(event) {
                Ok(()) => return true,
                Err(mpsc::error::TrySendError::Closed(_)) => return false,
                Err(mpsc::error::TrySendError::Full(event)) => event,
            }
        } else {
            event
        };
        let is_peer_event = matches!(
            event,
            NetworkEvent::PeerConnected { .. } | NetworkEvent::PeerDisconnected { .. }
        );
        let room = if is_peer_event {
            self.event_capacity + EXTRA_PEER_EVENTS
        } else {
            self.event_capacity
        };
        if self.queue.len() >= room {
            return false;
        }
        self.queue.push_back(event);
        true
    }

    // ---- swarm events ----------------------------------------------------------------

    fn handle_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(event) => self.handle_behaviour_event(event),
            SwarmEvent::NewListenAddr {
                listener_id,
                address,
            } => {
                info!(%address, "listening");
                if let Some(reply) = self.pending_listen.remove(&listener_id) {
                    let _ = reply.send(Ok(address));
                }
            }
            SwarmEvent::ListenerClosed {
                listener_id,
                addresses,
                reason,
            } => {
                if let Some(reply) = self.pending_listen.remove(&listener_id) {
                    let _ = reply.send(Err(NetworkError::Listen {
                        addr: addresses.first().cloned().unwrap_or_else(Multiaddr::empty),
                        reason: match reason {
                            Ok(()) => "the listener closed".to_owned(),
                            Err(e) => e.to_string(),
                        },
                    }));
                }
            }
            SwarmEvent::ListenerError { listener_id, error } => {
                warn!(error = %error, "listener error");
                if let Some(reply) = self.pending_listen.remove(&listener_id) {
                    let _ = reply.send(Err(NetworkError::Listen {
                        addr: Multiaddr::empty(),
                        reason: error.to_string(),
                    }));
                }
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                num_established,
                ..
            } => self.on_connection_established(
                peer_id,
                connection_id,
                &endpoint,
                num_established.get(),
            ),
            SwarmEvent::ConnectionClosed {
                peer_id,
                connection_id,
                num_established,
                cause,
                ..
            } => {
                debug!(%peer_id, ?cause, "connection closed");
                self.on_connection_closed(peer_id, connection_id, num_established);
            }
            SwarmEvent::OutgoingConnectionError {
                connection_id,
                peer_id,
                error,
            } => {
                debug!(?peer_id, error = %error, "dial failed");
                if let Some((addr, Some(reply))) = self.pending_dials.remove(&connection_id) {
                    let _ = reply.send(Err(NetworkError::Dial {
                        addr,
                        reason: error.to_string(),
                    }));
                }
            }
            SwarmEvent::IncomingConnectionError { error, .. } => {
                debug!(error = %error, "incoming connection failed");
            }
            _ => {}
        }
    }

    fn on_connection_established(
        &mut self,
        peer: PeerId,
        connection_id: ConnectionId,
        endpoint: &ConnectedPoint,
        num_established: u32,
    ) {
        let outbound = endpoint.is_dialer();
        let address = endpoint.get_remote_address().clone();
        if let Some((_, Some(reply))) = self.pending_dials.remove(&connection_id) {
            let _ = reply.send(Ok(peer));
        }
        let state = self.connected.entry(peer).or_default();
        state
            .connections
            .push((connection_id, address.clone(), outbound));
        if num_established == 1 {
            debug!(%peer, %address, outbound, "peer connected");
            // Points carried from an earlier connection keep counting in gossipsub's score.
            let points = self.book.points(&peer);
            if points > 0 {
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .set_application_score(&peer, -f64::from(points));
            }
            let event = NetworkEvent::PeerConnected {
                peer,
                address,
                outbound,
            };
            if !self.deliver(event) {
                warn!(%peer, "event queue full: PeerConnected dropped");
            }
        }
    }

    fn on_connection_closed(&mut self, peer: PeerId, connection_id: ConnectionId, remaining: u32) {
        if let Some(state) = self.connected.get_mut(&peer) {
            state.connections.retain(|(id, _, _)| *id != connection_id);
        }
        if remaining == 0 {
            self.connected.remove(&peer);
            // Requests of a gone peer can no longer be answered.
            self.inbound.retain(|_, p| *p != peer);
            self.inbound_per_peer.remove(&peer);
            debug!(%peer, "peer disconnected");
            if !self.deliver(NetworkEvent::PeerDisconnected { peer }) {
                warn!(%peer, "event queue full: PeerDisconnected dropped");
            }
        }
    }

    fn handle_behaviour_event(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Gossipsub(event) => self.on_gossip(event),
            BehaviourEvent::Sync(event) => self.on_sync(event),
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                if info.protocol_version != self.protocols.identify {
                    info!(%peer_id, theirs = %info.protocol_version, "peer is on another chain");
                    self.swarm.behaviour_mut().kad.remove_peer(&peer_id);
                    self.penalise(peer_id, Offence::WrongChain);
                    return;
                }
                // Only peers that serve our Kademlia protocol enter the routing table.
                if info.protocols.contains(&self.protocols.kad) {
                    for addr in info.listen_addrs.into_iter().take(MAX_IDENTIFY_ADDRS) {
                        self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                    }
                }
                if let Some(state) = self.connected.get_mut(&peer_id) {
                    state.agent_version = Some(info.agent_version);
                }
            }
            BehaviourEvent::Mdns(mdns::Event::Discovered(found)) => {
                for (peer, addr) in found {
                    debug!(%peer, %addr, "discovered through mDNS");
                    self.swarm.behaviour_mut().kad.add_address(&peer, addr);
                }
            }
            BehaviourEvent::Kad(kad::Event::RoutingUpdated { peer, .. }) => {
                debug!(%peer, "Kademlia routing table updated");
            }
            _ => {}
        }
    }

    fn on_gossip(&mut self, event: gossipsub::Event) {
        let gossipsub::Event::Message {
            propagation_source: peer,
            message_id,
            message,
        } = event
        else {
            return;
        };
        let kind = if message.topic == self.protocols.blocks_topic.hash() {
            GossipKind::Block
        } else if message.topic == self.protocols.txs_topic.hash() {
            GossipKind::Tx
        } else {
            self.ignore(&message_id, &peer);
            return;
        };
        let msg_id = GossipId {
            id: message_id.clone(),
            kind,
        };
        let data = message.data;
        let event = match kind {
            GossipKind::Block => NetworkEvent::GossipBlock { peer, msg_id, data },
            GossipKind::Tx => NetworkEvent::GossipTx { peer, msg_id, data },
        };
        if !self.deliver(event) {
            debug!(%peer, "event queue full: gossip message ignored");
            self.ignore(&message_id, &peer);
        }
    }

    fn ignore(&mut self, message_id: &gossipsub::MessageId, peer: &PeerId) {
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(
                message_id,
                peer,
                gossipsub::MessageAcceptance::Ignore,
            );
    }

    fn on_sync(&mut self, event: request_response::Event<WireRequest, WireResponse>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request_id,
                    request: WireRequest::Valid(request),
                    channel,
                } => self.on_inbound_request(peer, request_id, request, channel),
                request_response::Message::Request {
                    request: WireRequest::Invalid(violation),
                    ..
                } => {
                    // Dropping the channel closes the stream unanswered.
                    warn!(%peer, error = %violation, "peer sent an invalid sync request");
                    self.penalise(peer, Offence::BadSyncMessage);
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some((_, reply)) = self.pending_requests.remove(&request_id) {
                        let _ = reply.send(match response {
                            WireResponse::Decoded(response) => Ok(response),
                            // The codec only produces decoded responses when reading.
                            WireResponse::Encoded(_) => Err(NetworkError::Request {
                                peer,
                                reason: "response was not decoded".to_owned(),
                            }),
                        });
                    }
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                if let request_response::OutboundFailure::Io(e) = &error
                    && let Some(violation) = wire_violation(e)
                {
                    warn!(%peer, error = %violation, "peer sent an invalid sync response");
                    self.penalise(peer, Offence::BadSyncMessage);
                }
                if let Some((_, reply)) = self.pending_requests.remove(&request_id) {
                    let _ = reply.send(Err(NetworkError::Request {
                        peer,
                        reason: error.to_string(),
                    }));
                }
            }
            request_response::Event::InboundFailure { request_id, .. } => {
                self.finish_inbound(request_id);
            }
            request_response::Event::ResponseSent { request_id, .. } => {
                self.finish_inbound(request_id);
            }
        }
    }

    fn on_inbound_request(
        &mut self,
        peer: PeerId,
        request_id: InboundRequestId,
        request: SyncRequest,
        channel: request_response::ResponseChannel<WireResponse>,
    ) {
        let open = self.inbound_per_peer.get(&peer).copied().unwrap_or(0);
        if open >= self.sync.max_inbound_per_peer {
            // Dropping the channel closes the stream: the peer sees a failed request.
            debug!(%peer, open, "too many open sync requests from peer; dropping one");
            return;
        }
        let event = NetworkEvent::SyncRequest {
            peer,
            request,
            channel: ResponseChannel {
                inner: channel,
                peer,
            },
        };
        if !self.deliver(event) {
            debug!(%peer, "event queue full: sync request dropped");
            return;
        }
        self.inbound.insert(request_id, peer);
        *self.inbound_per_peer.entry(peer).or_insert(0) += 1;
    }

    fn finish_inbound(&mut self, request_id: InboundRequestId) {
        let Some(peer) = self.inbound.remove(&request_id) else {
            return;
        };
        if let Some(open) = self.inbound_per_peer.get_mut(&peer) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                self.inbound_per_peer.remove(&peer);
            }
        }
    }

    // ---- punishment and maintenance --------------------------------------------------

    fn penalise(&mut self, peer: PeerId, offence: Offence) {
        match self.book.offend(peer, offence, Instant::now()) {
            Verdict::Keep { points } => {
                debug!(%peer, ?offence, points, "peer penalised");
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .set_application_score(&peer, -f64::from(points));
            }
            Verdict::Ban => {
                warn!(%peer, ?offence, "peer banned for misbehaviour");
                // Closes its connections and refuses new ones until the ban expires.
                self.swarm.behaviour_mut().blocked.block_peer(peer);
            }
        }
    }

    fn maintain(&mut self) {
        let now = Instant::now();
        for peer in self.book.sweep(now) {
            debug!(%peer, "ban expired");
            self.swarm.behaviour_mut().blocked.unblock_peer(peer);
        }
        self.discover(now);
    }

    /// Dials peers known to Kademlia while below the target peer count, and refreshes the
    /// routing table now and then.
    fn discover(&mut self, now: Instant) {
        let due = self
            .last_bootstrap
            .is_none_or(|t| now.duration_since(t) >= BOOTSTRAP_INTERVAL);
        if due && !self.connected.is_empty() {
            self.last_bootstrap = Some(now);
            if let Err(e) = self.swarm.behaviour_mut().kad.bootstrap() {
                debug!(error = %e, "Kademlia bootstrap skipped");
            }
        }
        if self.connected.len() >= self.connection_config.target_peers {
            return;
        }
        let local = *self.swarm.local_peer_id();
        let mut candidates = Vec::new();
        for bucket in self.swarm.behaviour_mut().kad.kbuckets() {
            for entry in bucket.iter() {
                let peer = *entry.node.key.preimage();
                if peer == local
                    || self.connected.contains_key(&peer)
                    || self.book.is_refused(&peer)
                {
                    continue;
                }
                candidates.push((peer, entry.node.value.first().clone()));
                if candidates.len() >= DISCOVERY_DIALS_PER_ROUND {
                    break;
                }
            }
            if candidates.len() >= DISCOVERY_DIALS_PER_ROUND {
                break;
            }
        }
        for (peer, addr) in candidates {
            let dialing = self
                .pending_dials
                .values()
                .any(|(a, _)| peer_id_of(a) == Some(peer));
            if dialing {
                continue;
            }
            let addr = with_peer_id(addr, peer);
            debug!(%peer, %addr, "dialing discovered peer");
            if let Err(e) = self.start_dial(addr) {
                debug!(%peer, error = %e, "cannot dial discovered peer");
            }
        }
    }
}

/// The peer id at the end of a multiaddr (`.../p2p/<peer id>`), if any.
pub(crate) fn peer_id_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().last().and_then(|p| match p {
        Protocol::P2p(peer) => Some(peer),
        _ => None,
    })
}

fn with_peer_id(addr: Multiaddr, peer: PeerId) -> Multiaddr {
    if peer_id_of(&addr).is_some() {
        addr
    } else {
        addr.with(Protocol::P2p(peer))
    }
}
