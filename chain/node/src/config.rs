//! Node configuration: the layers (command-line flags, `INFERNET_*` environment variables,
//! a TOML file, built-in defaults) and their merge into one resolved [`NodeConfig`].
//!
//! Precedence is explicit: [`PartialConfig::merge`] keeps a field from the higher layer and
//! falls back to the lower one field by field, so `flags.merge(env).merge(file)` is what the
//! binary resolves. Nothing here touches the network or the disk besides reading the TOML file
//! and asking the `directories` crate for the default data directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use infernet_types::{Address, ChainSpec};
use serde::Deserialize;

/// Default JSON-RPC address: loopback only.
pub const DEFAULT_RPC_ADDR: &str = "127.0.0.1:8545";
/// Default libp2p listen address.
pub const DEFAULT_P2P_ADDR: &str = "/ip4/0.0.0.0/tcp/30333";
/// Prefix of the environment variables the node reads.
pub const ENV_PREFIX: &str = "INFERNET_";

/// Why the configuration could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The TOML file could not be read.
    #[error("cannot read config file {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The TOML file does not parse or has unknown keys.
    #[error("invalid config file {path}: {message}")]
    ParseFile {
        /// The file.
        path: PathBuf,
        /// The parser's complaint.
        message: String,
    },
    /// A value (flag, variable or file key) does not parse.
    #[error("invalid value {value:?} for {key}: {reason}")]
    Invalid {
        /// Which setting (`--rpc-addr`, `INFERNET_RPC_ADDR`, `rpc_addr` in the file).
        key: String,
        /// The value given.
        value: String,
        /// What is accepted.
        reason: String,
    },
    /// The chain spec could not be loaded.
    #[error("cannot load chain spec {choice}: {reason}")]
    Spec {
        /// `dev`, `testnet` or the path.
        choice: String,
        /// Why.
        reason: String,
    },
    /// Mining was asked for without a coinbase on a non-dev chain.
    #[error("--mine needs --coinbase ADDRESS (a bech32m inf1… address) on a non-dev chain")]
    MissingCoinbase,
    /// No default data directory could be found.
    #[error("no home directory to put the data in: pass --data-dir DIR or --tmp")]
    NoDataDir,
}

/// Which chain spec the node runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainChoice {
    /// The built-in dev chain.
    Dev,
    /// The built-in testnet.
    Testnet,
    /// A chain spec JSON file.
    Path(PathBuf),
}

impl FromStr for ChainChoice {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "dev" => ChainChoice::Dev,
            "testnet" => ChainChoice::Testnet,
            path => ChainChoice::Path(PathBuf::from(path)),
        })
    }
}

impl std::fmt::Display for ChainChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainChoice::Dev => f.write_str("dev"),
            ChainChoice::Testnet => f.write_str("testnet"),
            ChainChoice::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

impl ChainChoice {
    /// Loads the spec this choice names.
    pub fn load(&self) -> Result<ChainSpec, ConfigError> {
        match self {
            ChainChoice::Dev => Ok(ChainSpec::dev()),
            ChainChoice::Testnet => Ok(ChainSpec::testnet()),
            ChainChoice::Path(p) => ChainSpec::from_json_file(p).map_err(|e| ConfigError::Spec {
                choice: self.to_string(),
                reason: e.to_string(),
            }),
        }
    }
}

/// One layer of settings; `None` means "not set in this layer".
///
/// The TOML file uses the field names as keys (`rpc_addr = "127.0.0.1:8545"`); the
/// environment uses `INFERNET_` and the upper-cased name (`INFERNET_RPC_ADDR`); list values
/// in the environment are comma-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialConfig {
    /// `dev`, `testnet` or a spec file path.
    pub chain: Option<String>,
    /// Where the node keeps its database and node key.
    pub data_dir: Option<PathBuf>,
    /// Use a fresh temporary data directory, deleted at exit.
    pub tmp: Option<bool>,
    /// JSON-RPC listen address.
    pub rpc_addr: Option<String>,
    /// libp2p listen multiaddrs.
    pub p2p_addrs: Option<Vec<String>>,
    /// Bootnode multiaddrs (added to the spec's).
    pub bootnodes: Option<Vec<String>>,
    /// mDNS discovery.
    pub mdns: Option<bool>,
    /// Produce blocks.
    pub mine: Option<bool>,
    /// Address block rewards go to.
    pub coinbase: Option<String>,
    /// Dev chains: seconds between sealed blocks (0: only on `dev_mine`).
    pub block_time: Option<u64>,
    /// Nonce-search threads.
    pub miner_threads: Option<usize>,
    /// Dev mode (dev chain, sealing, dev accounts printed).
    pub dev: Option<bool>,
}

impl PartialConfig {
    /// `self` over `lower`: each field of `self` that is set wins, the others come from
    /// `lower`. Lists are replaced, not concatenated.
    #[must_use]
    pub fn merge(self, lower: PartialConfig) -> PartialConfig {
        PartialConfig {
            chain: self.chain.or(lower.chain),
            data_dir: self.data_dir.or(lower.data_dir),
            tmp: self.tmp.or(lower.tmp),
            rpc_addr: self.rpc_addr.or(lower.rpc_addr),
            p2p_addrs: self.p2p_addrs.or(lower.p2p_addrs),
            bootnodes: self.bootnodes.or(lower.bootnodes),
            mdns: self.mdns.or(lower.mdns),
            mine: self.mine.or(lower.mine),
            coinbase: self.coinbase.or(lower.coinbase),
            block_time: self.block_time.or(lower.block_time),
            miner_threads: self.miner_threads.or(lower.miner_threads),
            dev: self.dev.or(lower.dev),
        }
    }

    /// Reads a TOML file layer.
    pub fn from_toml_file(path: &Path) -> Result<PartialConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text).map_err(|message| ConfigError::ParseFile {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses a TOML layer from text.
    pub fn from_toml_str(text: &str) -> Result<PartialConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The environment layer from `vars` (pass `std::env::vars()`); variables without the
    /// `INFERNET_` prefix or with unknown names are ignored.
    pub fn from_env(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<PartialConfig, ConfigError> {
        let mut c = PartialConfig::default();
        for (key, value) in vars {
            let Some(name) = key.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let list = || {
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            };
            match name {
                "CHAIN" => c.chain = Some(value.clone()),
                "DATA_DIR" => c.data_dir = Some(PathBuf::from(&value)),
                "TMP" => c.tmp = Some(parse_bool(&key, &value)?),
                "RPC_ADDR" => c.rpc_addr = Some(value.clone()),
                "P2P_ADDR" | "P2P_ADDRS" => c.p2p_addrs = Some(list()),
                "BOOTNODES" | "BOOTNODE" => c.bootnodes = Some(list()),
                "MDNS" => c.mdns = Some(parse_bool(&key, &value)?),
                "MINE" => c.mine = Some(parse_bool(&key, &value)?),
                "COINBASE" => c.coinbase = Some(value.clone()),
                "BLOCK_TIME" => c.block_time = Some(parse_num(&key, &value)?),
                "MINER_THREADS" => c.miner_threads = Some(parse_num(&key, &value)?),
                "DEV" => c.dev = Some(parse_bool(&key, &value)?),
                _ => {}
            }
        }
        Ok(c)
    }

    /// Resolves the merged layers against the defaults into a [`NodeConfig`]; `default_data_dir`
    /// is asked only when neither a data dir nor `tmp` is set.
    pub fn resolve(
        self,
        default_data_dir: impl FnOnce(&str) -> Option<PathBuf>,
    ) -> Result<NodeConfig, ConfigError> {
        let dev = self.dev.unwrap_or(false);
        let chain = match (&self.chain, dev) {
            (Some(c), _) => c.parse::<ChainChoice>().unwrap_or(ChainChoice::Dev),
            (None, true) => ChainChoice::Dev,
            (None, false) => ChainChoice::Testnet,
        };
        let spec = chain.load()?;
        let rpc_text = self.rpc_addr.unwrap_or_else(|| DEFAULT_RPC_ADDR.to_owned());
        let rpc_addr = rpc_text
            .parse::<SocketAddr>()
            .map_err(|e| ConfigError::Invalid {
                key: "rpc_addr".into(),
                value: rpc_text.clone(),
                reason: format!("{e}; expected IP:PORT such as 127.0.0.1:8545"),
            })?;
        let p2p_addrs = self
            .p2p_addrs
            .unwrap_or_else(|| vec![DEFAULT_P2P_ADDR.to_owned()]);
        for a in &p2p_addrs {
            check_multiaddr("p2p_addr", a)?;
        }
        let mut bootnodes = spec.bootnodes.clone();
        for b in self.bootnodes.unwrap_or_default() {
            check_multiaddr("bootnode", &b)?;
            if !bootnodes.contains(&b) {
                bootnodes.push(b);
            }
        }
        let coinbase = match &self.coinbase {
            Some(text) => Some(Address::from_str(text).map_err(|e| ConfigError::Invalid {
                key: "coinbase".into(),
                value: text.clone(),
                reason: format!("{e}; expected a bech32m inf1… address"),
            })?),
            None => None,
        };
        let mine = self.mine.unwrap_or(false);
        if mine && coinbase.is_none() && !spec.dev {
            return Err(ConfigError::MissingCoinbase);
        }
        let tmp = self.tmp.unwrap_or(false);
        let data_dir = match (self.data_dir, tmp) {
            (Some(d), _) => DataDir::Path(d),
            (None, true) => DataDir::Temporary,
            (None, false) => {
                DataDir::Path(default_data_dir(&spec.name).ok_or(ConfigError::NoDataDir)?)
            }
        };
        let mdns = self
            .mdns
            .unwrap_or(spec.dev || chain == ChainChoice::Testnet);
        Ok(NodeConfig {
            chain,
            spec,
            data_dir,
            rpc_addr,
            p2p_addrs,
            bootnodes,
            mdns,
            mine,
            coinbase,
            block_time: self.block_time,
            miner_threads: self.miner_threads.unwrap_or(1).max(1),
            dev,
        })
    }
}

fn parse_bool(key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(ConfigError::Invalid {
            key: key.to_owned(),
            value: value.to_owned(),
            reason: "expected true/false (or 1/0, yes/no, on/off)".into(),
        }),
    }
}

fn parse_num<T: FromStr>(key: &str, value: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value
        .trim()
        .parse()
        .map_err(|e: T::Err| ConfigError::Invalid {
            key: key.to_owned(),
            value: value.to_owned(),
            reason: format!("{e}; expected a non-negative integer"),
        })
}

fn check_multiaddr(key: &str, value: &str) -> Result<(), ConfigError> {
    value
        .parse::<infernet_network::Multiaddr>()
        .map(|_| ())
        .map_err(|e| ConfigError::Invalid {
            key: key.to_owned(),
            value: value.to_owned(),
            reason: format!("{e}; expected a multiaddr such as /ip4/127.0.0.1/tcp/30333"),
        })
}

/// The default data directory of a chain: the platform's data dir for Infernet, then the
/// chain name (`~/.local/share/infernet/dev` on Linux).
#[must_use]
pub fn platform_data_dir(chain_name: &str) -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "infernet", "infernet")
        .map(|d| d.data_dir().join(chain_name))
}

/// Where the node keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataDir {
    /// A directory that persists.
    Path(PathBuf),
    /// A fresh temporary directory, removed when the node stops.
    Temporary,
}

/// The resolved configuration of a node.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Which chain was asked for.
    pub chain: ChainChoice,
    /// Its loaded spec.
    pub spec: ChainSpec,
    /// Where the database and node key live.
    pub data_dir: DataDir,
    /// JSON-RPC address (port 0 picks one).
    pub rpc_addr: SocketAddr,
    /// libp2p listen multiaddrs (none: no network at all).
    pub p2p_addrs: Vec<String>,
    /// Bootnodes: the spec's plus the configured ones.
    pub bootnodes: Vec<String>,
    /// mDNS discovery on the local network.
    pub mdns: bool,
    /// Whether this node produces blocks (proof of work; on a dev chain, interval sealing).
    pub mine: bool,
    /// Where block rewards go (dev chains default to dev account 0).
    pub coinbase: Option<Address>,
    /// Dev chains: seconds between sealed blocks; `None` is the spec's block time, `Some(0)`
    /// seals only on `dev_mine`.
    pub block_time: Option<u64>,
    /// Nonce-search threads.
    pub miner_threads: usize,
    /// Dev mode: sealing at the block time even without `--mine`, dev accounts shown.
    pub dev: bool,
}

impl NodeConfig {
    /// A configuration for tests and tools: the given spec, a temporary data dir, RPC and
    /// p2p on 127.0.0.1 port 0, no mDNS, no bootnode, no production.
    #[must_use]
    pub fn for_tests(spec: ChainSpec) -> NodeConfig {
        NodeConfig {
            chain: ChainChoice::Dev,
            spec,
            data_dir: DataDir::Temporary,
            rpc_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            p2p_addrs: vec!["/ip4/127.0.0.1/tcp/0".to_owned()],
            bootnodes: Vec::new(),
            mdns: false,
            mine: false,
            coinbase: None,
            block_time: Some(0),
            miner_threads: 1,
            dev: false,
        }
    }

    /// Whether blocks are sealed on a timer with trivial difficulty (dev chain).
    #[must_use]
    pub fn seals_on_interval(&self) -> bool {
        self.spec.dev && (self.dev || self.mine)
    }

    /// Seconds between sealed blocks on a dev chain (0: never on a timer).
    #[must_use]
    pub fn seal_interval_secs(&self) -> u64 {
        self.block_time.unwrap_or(self.spec.block_time_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> PartialConfig {
        PartialConfig::from_env(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
        .unwrap()
    }

    #[test]
    fn flags_beat_env_beat_file_beat_defaults() {
        let file = PartialConfig::from_toml_str(
            "rpc_addr = \"127.0.0.1:1111\"\nblock_time = 7\nminer_threads = 3\nchain = \"dev\"\n",
        )
        .unwrap();
        let environment = env(&[
            ("INFERNET_RPC_ADDR", "127.0.0.1:2222"),
            ("INFERNET_BLOCK_TIME", "5"),
            ("PATH", "/bin"),
        ]);
        let flags = PartialConfig {
            rpc_addr: Some("127.0.0.1:3333".into()),
            tmp: Some(true),
            ..PartialConfig::default()
        };
        let c = flags
            .merge(environment)
            .merge(file)
            .resolve(|_| None)
            .unwrap();
        assert_eq!(c.rpc_addr.port(), 3333, "flag wins");
        assert_eq!(c.block_time, Some(5), "env beats file");
        assert_eq!(c.miner_threads, 3, "file beats default");
        assert!(c.p2p_addrs == vec![DEFAULT_P2P_ADDR.to_owned()], "default");
        assert_eq!(c.chain, ChainChoice::Dev);
        assert_eq!(c.data_dir, DataDir::Temporary);
    }

    #[test]
    fn defaults_use_testnet_loopback_rpc_and_platform_dir() {
        let c = PartialConfig::default()
            .resolve(|name| Some(PathBuf::from("/x").join(name)))
            .unwrap();
        assert_eq!(c.chain, ChainChoice::Testnet);
        assert!(c.rpc_addr.ip().is_loopback());
        assert_eq!(c.data_dir, DataDir::Path(PathBuf::from("/x/testnet")));
        assert!(c.mdns, "mDNS is on for the testnet by default");
        assert!(!c.mine);
    }

    #[test]
    fn no_mdns_and_dev_flags() {
        let c = PartialConfig {
            dev: Some(true),
            mdns: Some(false),
            tmp: Some(true),
            ..PartialConfig::default()
        }
        .resolve(|_| None)
        .unwrap();
        assert!(c.spec.dev);
        assert!(!c.mdns);
        assert!(c.seals_on_interval());
        assert_eq!(c.seal_interval_secs(), 2);
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = env(&[]).merge(PartialConfig {
            rpc_addr: Some("nonsense".into()),
            tmp: Some(true),
            ..PartialConfig::default()
        });
        let msg = err.resolve(|_| None).unwrap_err().to_string();
        assert!(
            msg.contains("rpc_addr") && msg.contains("nonsense"),
            "{msg}"
        );
        let e = PartialConfig::from_env([("INFERNET_MINE".to_owned(), "maybe".to_owned())]);
        assert!(e.unwrap_err().to_string().contains("INFERNET_MINE"));
        assert!(PartialConfig::from_toml_str("unknown_key = 1").is_err());
    }

    #[test]
    fn mining_off_dev_needs_a_coinbase() {
        let c = PartialConfig {
            mine: Some(true),
            tmp: Some(true),
            ..PartialConfig::default()
        }
        .resolve(|_| None);
        assert!(matches!(c, Err(ConfigError::MissingCoinbase)));
    }
}
