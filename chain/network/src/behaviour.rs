//! The composed libp2p behaviour and the swarm built from a [`NetworkConfig`]: transports
//! (TCP + Noise + Yamux, QUIC), identify, ping, Kademlia, optional mDNS, gossipsub with
//! manual validation and peer scoring, the sync request-response protocol, connection
//! limits and the block list.

use std::{collections::HashSet, net::IpAddr, time::Duration};

use libp2p::{
    StreamProtocol, Swarm, allow_block_list, connection_limits, gossipsub, identify, kad, mdns,
    noise, ping, request_response,
    swarm::{NetworkBehaviour, behaviour::toggle::Toggle},
    tcp, yamux,
};

use crate::{codec::SyncCodec, config::NetworkConfig, error::NetworkError};

/// The protocol names of one chain.
#[derive(Debug, Clone)]
pub struct Protocols {
    /// Gossip topic for blocks: `/infernet/<chain_id>/blocks/1`.
    pub blocks_topic: gossipsub::IdentTopic,
    /// Gossip topic for transactions: `/infernet/<chain_id>/txs/1`.
    pub txs_topic: gossipsub::IdentTopic,
    /// Sync request-response protocol: `/infernet/<chain_id>/sync/1`.
    pub sync: StreamProtocol,
    /// Kademlia protocol: `/infernet/<chain_id>/kad/1`.
    pub kad: StreamProtocol,
    /// Identify protocol version string: `/infernet/<chain_id>/1`.
    pub identify: String,
}

impl Protocols {
    /// The names for `chain_id`, which must be 1 to 64 ASCII letters, digits, `-` or `_`.
    pub fn new(chain_id: &str) -> Result<Self, NetworkError> {
        let valid = !chain_id.is_empty()
            && chain_id.len() <= 64
            && chain_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(NetworkError::InvalidChainId(chain_id.to_owned()));
        }
        let protocol = |name: String| {
            StreamProtocol::try_from_owned(name)
                .map_err(|_| NetworkError::InvalidChainId(chain_id.to_owned()))
        };
        Ok(Self {
            blocks_topic: gossipsub::IdentTopic::new(format!("/infernet/{chain_id}/blocks/1")),
            txs_topic: gossipsub::IdentTopic::new(format!("/infernet/{chain_id}/txs/1")),
            sync: protocol(format!("/infernet/{chain_id}/sync/1"))?,
            kad: protocol(format!("/infernet/{chain_id}/kad/1"))?,
            identify: format!("/infernet/{chain_id}/1"),
        })
    }
}

/// All behaviours of an Infernet node, polled together by the swarm.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    // Refusals first: a blocked peer or a connection over the limits is denied before any
    // other behaviour spends work on it.
    pub(crate) blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    pub(crate) limits: connection_limits::Behaviour,
    pub(crate) identify: identify::Behaviour,
    pub(crate) ping: ping::Behaviour,
    pub(crate) kad: kad::Behaviour<kad::store::MemoryStore>,
    pub(crate) mdns: Toggle<mdns::tokio::Behaviour>,
    pub(crate) gossipsub: gossipsub::Behaviour,
    pub(crate) sync: request_response::Behaviour<SyncCodec>,
}

/// Gossipsub score thresholds (see `specs/network.md`).
pub(crate) fn score_thresholds() -> gossipsub::PeerScoreThresholds {
    gossipsub::PeerScoreThresholds {
        gossip_threshold: -10.0,
        publish_threshold: -50.0,
        graylist_threshold: -80.0,
        accept_px_threshold: 10.0,
        opportunistic_graft_threshold: 5.0,
    }
}

fn topic_score(topic_weight: f64, invalid_weight: f64) -> gossipsub::TopicScoreParams {
    gossipsub::TopicScoreParams {
        topic_weight,
        time_in_mesh_weight: 0.01,
        time_in_mesh_quantum: Duration::from_secs(1),
        time_in_mesh_cap: 300.0,
        first_message_deliveries_weight: 1.0,
        first_message_deliveries_decay: gossipsub::score_parameter_decay(Duration::from_secs(600)),
        first_message_deliveries_cap: 20.0,
        // Blocks are rare and transactions bursty: "too few deliveries in the mesh" would
        // punish honest peers on a quiet chain, so those penalties are off.
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        invalid_message_deliveries_weight: invalid_weight,
        invalid_message_deliveries_decay: gossipsub::score_parameter_decay(Duration::from_secs(
            3600,
        )),
        ..gossipsub::TopicScoreParams::default()
    }
}

fn score_params(protocols: &Protocols) -> gossipsub::PeerScoreParams {
    let mut params = gossipsub::PeerScoreParams {
        topic_score_cap: 50.0,
        // The application score is minus the peer's penalty points (see `peers`).
        app_specific_weight: 0.5,
        // Local testnets run many nodes on one address; loopback is never a Sybil signal.
        ip_colocation_factor_whitelist: HashSet::from([
            IpAddr::from([127, 0, 0, 1]),
            IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        ]),
        ..gossipsub::PeerScoreParams::default()
    };
    // With the penalty points: one invalid block takes a peer below the publish threshold
    // (-55), the second graylists it (-170) as its points reach the ban threshold; four
    // invalid transactions do the same (-90). Gossipsub must not graylist a peer before
    // its points ban it, or the ban would never come.
    params
        .topics
        .insert(protocols.blocks_topic.hash(), topic_score(1.0, -30.0));
    params
        .topics
        .insert(protocols.txs_topic.hash(), topic_score(0.5, -5.0));
    params
}

/// Content-addressed gossip ids: the same block published by two nodes is one message.
fn message_id(message: &gossipsub::Message) -> gossipsub::MessageId {
    let mut hasher = blake3::Hasher::new_derive_key("infernet gossip message id v1");
    hasher.update(message.topic.as_str().as_bytes());
    hasher.update(&[0]);
    hasher.update(&message.data);
    gossipsub::MessageId::from(hasher.finalize().as_bytes()[..20].to_vec())
}

fn build_gossipsub(
    config: &NetworkConfig,
    protocols: &Protocols,
) -> Result<gossipsub::Behaviour, NetworkError> {
    let err = |reason: String| NetworkError::Behaviour {
        what: "gossipsub",
        reason,
    };
    let gossip = &config.gossip;
    let frame_cap = gossip.max_block_bytes.max(gossip.max_tx_bytes) + 64 * 1024;
    let gs_config = gossipsub::ConfigBuilder::default()
        .validate_messages()
        .validation_mode(gossipsub::ValidationMode::Strict)
        .message_id_fn(message_id)
        .heartbeat_interval(gossip.heartbeat_interval)
        .heartbeat_initial_delay(gossip.heartbeat_interval.min(Duration::from_secs(1)))
        .max_transmit_size(frame_cap)
        .max_transmit_size_for_topic(gossip.max_block_bytes, protocols.blocks_topic.hash())
        .max_transmit_size_for_topic(gossip.max_tx_bytes, protocols.txs_topic.hash())
        .duplicate_cache_time(Duration::from_secs(120))
        .build()
        .map_err(|e| err(e.to_string()))?;
    let mut behaviour = gossipsub::Behaviour::new(
        gossipsub::MessageAuthenticity::Signed(config.keypair.clone()),
        gs_config,
    )
    .map_err(|e| err(e.to_owned()))?;
    behaviour
        .with_peer_score(score_params(protocols), score_thresholds())
        .map_err(err)?;
    behaviour
        .subscribe(&protocols.blocks_topic)
        .map_err(|e| err(e.to_string()))?;
    behaviour
        .subscribe(&protocols.txs_topic)
        .map_err(|e| err(e.to_string()))?;
    Ok(behaviour)
}

fn build_behaviour(
    config: &NetworkConfig,
    protocols: &Protocols,
) -> Result<Behaviour, NetworkError> {
    let keypair = &config.keypair;
    let peer_id = keypair.public().to_peer_id();
    let conns = &config.connections;

    let limits = connection_limits::ConnectionLimits::default()
        .with_max_established_incoming(Some(conns.max_incoming))
        .with_max_established_outgoing(Some(conns.max_outgoing))
        .with_max_pending_incoming(Some(conns.max_pending))
        .with_max_pending_outgoing(Some(conns.max_pending))
        .with_max_established_per_peer(Some(conns.max_per_peer));

    let identify = identify::Behaviour::new(
        identify::Config::new(protocols.identify.clone(), keypair.public())
            .with_agent_version(config.agent_version.clone())
            .with_cache_size(256),
    );

    let mut kad_config = kad::Config::new(protocols.kad.clone());
    kad_config.set_query_timeout(Duration::from_secs(30));
    let mut kad =
        kad::Behaviour::with_config(peer_id, kad::store::MemoryStore::new(peer_id), kad_config);
    // Nodes often have no confirmed external address (local testnets, NAT): answer
    // Kademlia queries anyway so peers can discover each other.
    kad.set_mode(Some(kad::Mode::Server));

    let mdns = if config.mdns {
        Some(
            mdns::tokio::Behaviour::new(mdns::Config::default(), peer_id).map_err(|e| {
                NetworkError::Behaviour {
                    what: "mdns",
                    reason: e.to_string(),
                }
            })?,
        )
    } else {
        None
    };

    let sync = request_response::Behaviour::with_codec(
        SyncCodec::new(config.sync.limits),
        [(
            protocols.sync.clone(),
            request_response::ProtocolSupport::Full,
        )],
        request_response::Config::default()
            .with_request_timeout(config.sync.request_timeout)
            .with_max_concurrent_streams(config.sync.max_concurrent_streams),
    );

    Ok(Behaviour {
        blocked: allow_block_list::Behaviour::default(),
        limits: connection_limits::Behaviour::new(limits),
        identify,
        ping: ping::Behaviour::new(ping::Config::new()),
        kad,
        mdns: Toggle::from(mdns),
        gossipsub: build_gossipsub(config, protocols)?,
        sync,
    })
}

/// Builds the swarm: transports, behaviours, limits.
pub(crate) fn build_swarm(
    config: &NetworkConfig,
    protocols: &Protocols,
) -> Result<Swarm<Behaviour>, NetworkError> {
    let behaviour = build_behaviour(config, protocols)?;
    let idle = config.connections.idle_timeout;
    let builder = libp2p::SwarmBuilder::with_existing_identity(config.keypair.clone())
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| NetworkError::Transport(e.to_string()))?;
    let swarm = if config.quic {
        builder
            .with_quic()
            .with_behaviour(|_| behaviour)
            .map_err(|e| NetworkError::Transport(e.to_string()))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(idle))
            .build()
    } else {
        builder
            .with_behaviour(|_| behaviour)
            .map_err(|e| NetworkError::Transport(e.to_string()))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(idle))
            .build()
    };
    Ok(swarm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names_carry_the_chain_id() {
        let p = Protocols::new("infernet-dev").unwrap();
        assert_eq!(
            p.blocks_topic.hash().as_str(),
            "/infernet/infernet-dev/blocks/1"
        );
        assert_eq!(p.txs_topic.hash().as_str(), "/infernet/infernet-dev/txs/1");
        assert_eq!(p.sync.as_ref(), "/infernet/infernet-dev/sync/1");
        assert_eq!(p.kad.as_ref(), "/infernet/infernet-dev/kad/1");
    }

    #[test]
    fn odd_chain_ids_are_refused() {
        for bad in ["", "a/b", "with space", &"x".repeat(65)] {
            assert!(matches!(
                Protocols::new(bad),
                Err(NetworkError::InvalidChainId(_))
            ));
        }
    }

    #[test]
    fn score_parameters_are_valid() {
        let p = Protocols::new("t").unwrap();
        score_params(&p).validate().unwrap();
        score_thresholds().validate().unwrap();
    }
}
