//! The node's command-line flags, shared by every binary that runs a node.
//!
//! [`NodeArgs`] is a `clap::Args` struct: `infernet-node` is exactly these flags, and
//! `infernet-miner` flattens them (`#[command(flatten)]`) under the same names, so every flag
//! the node takes works on the miner too. [`NodeArgs::resolve`] merges them over the
//! `INFERNET_*` environment and the `--config` TOML file into a [`NodeConfig`].
//! [`StartInfo`] is what a started node prints and writes to `--config-out`.

use std::path::{Path, PathBuf};

use infernet_types::spec::{DEV_ACCOUNT_BALANCE, DEV_MNEMONIC};
use infernet_types::{ChainSpec, dev_accounts};
use serde::Serialize;

use crate::config::{ConfigError, PartialConfig, platform_data_dir};
use crate::{NodeConfig, NodeHandle};

/// The node's flags; each overrides its `INFERNET_*` variable and the config file.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Node options")]
pub struct NodeArgs {
    /// TOML config file (keys as in `PartialConfig`: chain, data_dir, rpc_addr, …).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Chain: `dev`, `testnet` or a chain spec JSON file.
    #[arg(long, value_name = "dev|testnet|PATH")]
    pub chain: Option<String>,
    /// Single-node dev chain: dev accounts funded at genesis, blocks sealed every
    /// `--block-time` seconds or on `dev_mine`.
    #[arg(long)]
    pub dev: bool,
    /// Data directory (default: the platform's data dir for Infernet, per chain).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Use a fresh temporary data directory, deleted at exit.
    #[arg(long)]
    pub tmp: bool,
    /// JSON-RPC listen address (HTTP and WebSocket).
    #[arg(long, value_name = "IP:PORT")]
    pub rpc_addr: Option<String>,
    /// libp2p listen multiaddr (repeatable).
    #[arg(long = "p2p-addr", value_name = "MULTIADDR")]
    pub p2p_addrs: Vec<String>,
    /// Bootnode multiaddr ending in /p2p/<peer id> (repeatable).
    #[arg(long = "bootnode", value_name = "MULTIADDR")]
    pub bootnodes: Vec<String>,
    /// Turn mDNS local discovery off (it is on by default for dev and testnet).
    #[arg(long)]
    pub no_mdns: bool,
    /// Produce blocks.
    #[arg(long)]
    pub mine: bool,
    /// Address (bech32m `inf1…`) that receives block rewards.
    #[arg(long, value_name = "ADDRESS")]
    pub coinbase: Option<String>,
    /// Dev chains: seconds between sealed blocks (0: only on `dev_mine`).
    #[arg(long, value_name = "SECS")]
    pub block_time: Option<u64>,
    /// Nonce-search threads when mining.
    #[arg(long, value_name = "N")]
    pub miner_threads: Option<usize>,
    /// Write the dev accounts, RPC URL and chain id as JSON to this file once started.
    #[arg(long, value_name = "FILE")]
    pub config_out: Option<PathBuf>,
}

impl NodeArgs {
    /// The flags as the highest configuration layer (unset flags leave the field to the
    /// environment and the file).
    #[must_use]
    pub fn layer(&self) -> PartialConfig {
        let flag = |b: bool| b.then_some(true);
        PartialConfig {
            chain: self.chain.clone(),
            data_dir: self.data_dir.clone(),
            tmp: flag(self.tmp),
            rpc_addr: self.rpc_addr.clone(),
            p2p_addrs: (!self.p2p_addrs.is_empty()).then(|| self.p2p_addrs.clone()),
            bootnodes: (!self.bootnodes.is_empty()).then(|| self.bootnodes.clone()),
            mdns: self.no_mdns.then_some(false),
            mine: flag(self.mine),
            coinbase: self.coinbase.clone(),
            block_time: self.block_time,
            miner_threads: self.miner_threads,
            dev: flag(self.dev),
        }
    }

    /// Flags over the process's `INFERNET_*` variables over `--config`, resolved.
    pub fn resolve(&self) -> Result<NodeConfig, ConfigError> {
        self.resolve_layer(self.layer(), std::env::vars())
    }

    /// `flags` (usually [`NodeArgs::layer`], adjusted by the caller) over the variables in
    /// `env` over `--config`, resolved (the data dir defaults to the platform's).
    pub fn resolve_layer(
        &self,
        flags: PartialConfig,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<NodeConfig, ConfigError> {
        let file = match &self.config {
            Some(path) => PartialConfig::from_toml_file(path)?,
            None => PartialConfig::default(),
        };
        flags
            .merge(PartialConfig::from_env(env)?)
            .merge(file)
            .resolve(platform_data_dir)
    }
}

/// A dev account as a started dev node reports it.
#[derive(Debug, Clone, Serialize)]
pub struct DevAccountOut {
    /// Index in the dev mnemonic's derivation.
    pub index: u32,
    /// Bech32m address.
    pub address: String,
    /// Genesis balance, base units.
    pub balance: String,
    /// The account's seed, hex (dev chains only: these keys are public).
    pub seed_hex: String,
}

/// What a started node reports: printed by the binaries, written to `--config-out`.
#[derive(Debug, Clone, Serialize)]
pub struct StartInfo {
    /// Chain name.
    pub chain: String,
    /// Chain id.
    pub chain_id: u64,
    /// JSON-RPC HTTP URL.
    pub rpc_url: String,
    /// JSON-RPC WebSocket URL.
    pub ws_url: String,
    /// p2p listen addresses, each ending in `/p2p/<peer id>`.
    pub p2p_addrs: Vec<String>,
    /// Data directory.
    pub data_dir: String,
    /// The dev mnemonic, on dev chains.
    pub mnemonic: Option<&'static str>,
    /// The dev accounts funded at genesis, on dev chains.
    pub accounts: Vec<DevAccountOut>,
}

impl StartInfo {
    /// What `node` (running `spec`) reports.
    #[must_use]
    pub fn new(node: &NodeHandle, spec: &ChainSpec) -> Self {
        StartInfo {
            chain: spec.name.clone(),
            chain_id: spec.chain_id,
            rpc_url: node.rpc_url(),
            ws_url: node.ws_url(),
            p2p_addrs: node.p2p_addrs().iter().map(ToString::to_string).collect(),
            data_dir: node.data_dir().display().to_string(),
            mnemonic: spec.dev.then_some(DEV_MNEMONIC),
            accounts: dev_account_list(spec),
        }
    }

    /// Writes it as pretty JSON to `path`.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(path, json)
    }
}

/// The dev accounts `spec` funds at genesis (none on a non-dev chain).
#[must_use]
pub fn dev_account_list(spec: &ChainSpec) -> Vec<DevAccountOut> {
    if !spec.dev {
        return Vec::new();
    }
    dev_accounts()
        .into_iter()
        .filter(|a| {
            spec.genesis
                .allocations
                .iter()
                .any(|al| al.address == a.address)
        })
        .map(|a| DevAccountOut {
            index: a.index,
            address: a.address.to_bech32(),
            balance: DEV_ACCOUNT_BALANCE.0.to_string(),
            seed_hex: hex::encode(a.seed.as_bytes()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Bin {
        #[command(flatten)]
        node: NodeArgs,
    }

    #[test]
    fn every_flag_parses_into_its_layer() {
        let bin = Bin::try_parse_from([
            "x",
            "--chain",
            "dev",
            "--dev",
            "--tmp",
            "--data-dir",
            "/d",
            "--rpc-addr",
            "127.0.0.1:1",
            "--p2p-addr",
            "/ip4/127.0.0.1/tcp/1",
            "--p2p-addr",
            "/ip4/127.0.0.1/tcp/2",
            "--bootnode",
            "/ip4/1.2.3.4/tcp/3",
            "--no-mdns",
            "--mine",
            "--coinbase",
            "inf1x",
            "--block-time",
            "3",
            "--miner-threads",
            "2",
            "--config-out",
            "/o.json",
        ])
        .unwrap();
        let l = bin.node.layer();
        assert_eq!(l.chain.as_deref(), Some("dev"));
        assert_eq!(l.dev, Some(true));
        assert_eq!(l.tmp, Some(true));
        assert_eq!(l.data_dir, Some(PathBuf::from("/d")));
        assert_eq!(l.rpc_addr.as_deref(), Some("127.0.0.1:1"));
        assert_eq!(l.p2p_addrs.map(|v| v.len()), Some(2));
        assert_eq!(l.bootnodes.map(|v| v.len()), Some(1));
        assert_eq!(l.mdns, Some(false));
        assert_eq!(l.mine, Some(true));
        assert_eq!(l.coinbase.as_deref(), Some("inf1x"));
        assert_eq!(l.block_time, Some(3));
        assert_eq!(l.miner_threads, Some(2));
        assert_eq!(bin.node.config_out, Some(PathBuf::from("/o.json")));
    }

    #[test]
    fn unset_flags_leave_the_lower_layers_in_charge() {
        let bin = Bin::try_parse_from(["x"]).unwrap();
        assert_eq!(bin.node.layer(), PartialConfig::default());
        let config = bin
            .node
            .resolve_layer(
                bin.node.layer(),
                [
                    ("INFERNET_DEV".to_owned(), "true".to_owned()),
                    ("INFERNET_TMP".to_owned(), "1".to_owned()),
                    ("INFERNET_BLOCK_TIME".to_owned(), "7".to_owned()),
                ],
            )
            .unwrap();
        assert!(config.dev);
        assert_eq!(config.seal_interval_secs(), 7);
    }
}
