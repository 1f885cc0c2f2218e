//! The chain spec: every parameter a chain is started with (genesis, economics, limits,
//! bootnodes), as a JSON file or a built-in spec ([`ChainSpec::dev`], [`ChainSpec::testnet`]),
//! and the well-known dev accounts.
//!
//! The spec is configuration, so it uses serde; nothing in it is hashed by consensus except
//! through the genesis block the consensus crate builds from it.

use std::path::Path;
use std::sync::OnceLock;

use infernet_crypto::{Address, Identity, Seed};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::encoding::DecodeLimits;
use crate::primitives::Target;
use crate::{Amount, BASE_UNITS_PER_INF};

/// The published mnemonic the dev accounts derive from (the standard test phrase; never use
/// these keys for anything of value).
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";
/// BLAKE3 `derive_key` context of a dev account seed.
pub const DEV_ACCOUNT_CONTEXT: &str = "infernet/v1/dev-account";
/// Number of dev accounts funded by the dev spec.
pub const DEV_ACCOUNT_COUNT: u32 = 10;
/// Balance of each dev account at genesis (1,000,000 INF).
pub const DEV_ACCOUNT_BALANCE: Amount = Amount(1_000_000 * BASE_UNITS_PER_INF);

/// Why a chain spec could not be loaded.
#[derive(Debug, Error)]
pub enum SpecError {
    /// The file could not be read.
    #[error("cannot read chain spec {path}: {source}")]
    Io {
        /// The path given.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid chain spec JSON document.
    #[error("chain spec {path} is not valid JSON for a chain spec: {source}")]
    Json {
        /// The path given.
        path: String,
        /// The parse error (with line and column).
        #[source]
        source: serde_json::Error,
    },
    /// The spec parsed but a value is unusable.
    #[error("chain spec is invalid: {0}")]
    Invalid(String),
    /// No built-in spec has this name.
    #[error("unknown built-in chain spec {0:?}: use \"dev\", \"testnet\" or a path to a JSON file")]
    UnknownBuiltin(String),
}

/// One genesis balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    /// The funded account.
    pub address: Address,
    /// Its balance at genesis.
    pub amount: Amount,
}

/// Genesis parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Timestamp of the genesis header (unix seconds).
    pub timestamp: u64,
    /// Balances at genesis.
    pub allocations: Vec<Allocation>,
    /// Target of the genesis header and anchor of the difficulty schedule.
    pub target: Target,
}

/// Royalty rates on a record sale, paid out of the price to the record's miner and model
/// owner; the seller gets the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaleRoyalties {
    /// Share of the price to the miner that produced each record, basis points.
    pub miner_bps: u16,
    /// Share of the price to the owner of each record's model, basis points.
    pub model_owner_bps: u16,
}

fn default_complaint_window() -> u64 {
    ChainSpec::DEFAULT_COMPLAINT_WINDOW
}

/// Size and count limits. Transactions or blocks over these are invalid, and decoders under
/// [`DecodeLimits::from_limits`] refuse them before allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Largest encoded block.
    pub max_block_bytes: u32,
    /// Largest encoded signed transaction.
    pub max_tx_bytes: u32,
    /// Largest sealed prompt ciphertext.
    pub max_sealed_prompt_bytes: u32,
    /// Largest record payload ciphertext.
    pub max_payload_bytes: u32,
    /// Most output tokens a job may ask for.
    pub max_output_tokens: u32,
    /// Most `SubmitJob` transactions in one block.
    pub max_jobs_per_block: u32,
    /// Most records in one listing.
    pub max_bundle_records: u32,
    /// Largest string field (bytes of UTF-8).
    pub max_string_bytes: u32,
    /// Most offers per miner.
    pub max_offers: u32,
    /// Largest attestation quote or evidence.
    pub max_attestation_bytes: u32,
    /// Most blocks between a job's inclusion and its expiry.
    pub max_job_lifetime: u64,
    /// Most blocks a listing may stay open.
    pub max_listing_lifetime: u64,
}

/// Every parameter of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSpec {
    /// Human-readable name (`"dev"`, `"testnet"`, …).
    pub name: String,
    /// Chain id bound into every signature.
    pub chain_id: u64,
    /// Genesis parameters.
    pub genesis: Genesis,
    /// Target time between blocks, seconds.
    pub block_time_secs: u64,
    /// Reward of each block (fees come on top).
    pub block_reward: Amount,
    /// Blocks before a coinbase becomes spendable.
    pub coinbase_maturity: u64,
    /// Minimum fee per byte of signed transaction.
    pub min_fee_per_byte: Amount,
    /// Minimum bond of a miner registration.
    pub min_miner_bond: Amount,
    /// Blocks between `Unregister` and the bond's release.
    pub unbonding_delay: u64,
    /// Blocks a seller has to `Deliver` after a `Buy` before the buyer is refunded.
    pub delivery_window: u64,
    /// Blocks after a delivery during which the buyer may `Complain` about its records.
    /// Absent in a spec file: [`ChainSpec::DEFAULT_COMPLAINT_WINDOW`].
    #[serde(default = "default_complaint_window")]
    pub complaint_window: u64,
    /// ASERT half-life, seconds.
    pub asert_half_life_secs: u64,
    /// Largest model royalty, basis points.
    pub max_royalty_bps: u16,
    /// Most ancestors a royalty share is paid up a fork lineage.
    pub max_lineage_depth: u8,
    /// Royalties on record sales.
    pub sale_royalties: SaleRoyalties,
    /// Size and count limits.
    pub limits: Limits,
    /// Whether simulated attestations are accepted.
    pub allow_simulated_attestation: bool,
    /// Dev mode: trivial difficulty (the target stays at `pow_limit`), blocks sealed on
    /// demand by the node.
    pub dev: bool,
    /// The easiest target the difficulty rule may reach.
    pub pow_limit: Target,
    /// libp2p multiaddrs of bootstrap peers.
    pub bootnodes: Vec<String>,
}

impl ChainSpec {
    /// Chain id of the dev chain.
    pub const DEV_CHAIN_ID: u64 = 1337;
    /// Chain id of the public testnet.
    pub const TESTNET_CHAIN_ID: u64 = 7_000;
    /// The complaint window of a spec file that names none (and of the built-in specs).
    pub const DEFAULT_COMPLAINT_WINDOW: u64 = 1_000;

    /// The dev chain: trivial difficulty, 2-second blocks, simulated attestation allowed, and
    /// [`DEV_ACCOUNT_COUNT`] dev accounts ([`dev_accounts`]) funded with
    /// [`DEV_ACCOUNT_BALANCE`] each.
    #[must_use]
    pub fn dev() -> ChainSpec {
        let allocations = dev_accounts()
            .iter()
            .map(|a| Allocation {
                address: a.address,
                amount: DEV_ACCOUNT_BALANCE,
            })
            .collect();
        ChainSpec {
            name: "dev".to_owned(),
            chain_id: Self::DEV_CHAIN_ID,
            genesis: Genesis {
                timestamp: 1_767_225_600, // 2026-01-01T00:00:00Z
                allocations,
                target: Target::MAX,
            },
            block_time_secs: 2,
            block_reward: Amount(50 * BASE_UNITS_PER_INF),
            coinbase_maturity: 10,
            min_fee_per_byte: Amount(10),
            min_miner_bond: Amount(100 * BASE_UNITS_PER_INF),
            unbonding_delay: 20,
            delivery_window: 20,
            complaint_window: Self::DEFAULT_COMPLAINT_WINDOW,
            asert_half_life_secs: 3_600,
            max_royalty_bps: 5_000,
            max_lineage_depth: 8,
            sale_royalties: SaleRoyalties {
                miner_bps: 500,
                model_owner_bps: 500,
            },
            limits: Limits::default_limits(),
            allow_simulated_attestation: true,
            dev: true,
            pow_limit: Target::MAX,
            bootnodes: Vec::new(),
        }
    }

    /// The public test network: real proof of work (one-minute blocks), no premine (coins
    /// come only from block rewards), simulated attestation refused.
    #[must_use]
    pub fn testnet() -> ChainSpec {
        ChainSpec {
            name: "testnet".to_owned(),
            chain_id: Self::TESTNET_CHAIN_ID,
            genesis: Genesis {
                timestamp: 1_767_225_600, // 2026-01-01T00:00:00Z
                allocations: Vec::new(),
                target: Target::from_leading_zero_bits(20),
            },
            block_time_secs: 60,
            block_reward: Amount(50 * BASE_UNITS_PER_INF),
            coinbase_maturity: 100,
            min_fee_per_byte: Amount(10),
            min_miner_bond: Amount(1_000 * BASE_UNITS_PER_INF),
            unbonding_delay: 1_440,
            delivery_window: 720,
            complaint_window: Self::DEFAULT_COMPLAINT_WINDOW,
            asert_half_life_secs: 2 * 24 * 3_600,
            max_royalty_bps: 5_000,
            max_lineage_depth: 8,
            sale_royalties: SaleRoyalties {
                miner_bps: 500,
                model_owner_bps: 500,
            },
            limits: Limits::default_limits(),
            allow_simulated_attestation: false,
            dev: false,
            pow_limit: Target::from_leading_zero_bits(8),
            bootnodes: Vec::new(),
        }
    }

    /// A built-in spec by name (`"dev"` or `"testnet"`).
    pub fn builtin(name: &str) -> Result<ChainSpec, SpecError> {
        match name {
            "dev" => Ok(Self::dev()),
            "testnet" => Ok(Self::testnet()),
            other => Err(SpecError::UnknownBuiltin(other.to_owned())),
        }
    }

    /// Parses and validates a spec from JSON text.
    pub fn from_json(json: &str) -> Result<ChainSpec, SpecError> {
        let spec: ChainSpec = serde_json::from_str(json).map_err(|source| SpecError::Json {
            path: "<string>".to_owned(),
            source,
        })?;
        spec.validate()?;
        Ok(spec)
    }

    /// Reads, parses and validates a spec file.
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<ChainSpec, SpecError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Io {
            path: shown.clone(),
            source,
        })?;
        let spec: ChainSpec = serde_json::from_str(&text).map_err(|source| SpecError::Json {
            path: shown,
            source,
        })?;
        spec.validate()?;
        Ok(spec)
    }

    /// The spec as pretty-printed JSON.
    #[must_use]
    pub fn to_json_pretty(&self) -> String {
        // A ChainSpec has only string keys and serializable fields: this cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The decoding caps of this chain.
    #[must_use]
    pub fn decode_limits(&self) -> DecodeLimits {
        DecodeLimits::from_limits(&self.limits)
    }

    /// Total supply at genesis (sum of allocations).
    pub fn genesis_supply(&self) -> Result<Amount, SpecError> {
        Amount::checked_sum(self.genesis.allocations.iter().map(|a| a.amount))
            .map_err(|e| SpecError::Invalid(format!("genesis allocations: {e}")))
    }

    /// Checks the values a node could not run with.
    pub fn validate(&self) -> Result<(), SpecError> {
        let bad = |m: String| Err(SpecError::Invalid(m));
        let max = DecodeLimits::PROTOCOL_MAX;
        let l = &self.limits;
        if self.block_time_secs == 0 {
            return bad("block_time_secs must be at least 1".into());
        }
        if self.asert_half_life_secs == 0 {
            return bad("asert_half_life_secs must be at least 1".into());
        }
        if self.max_royalty_bps > 10_000 {
            return bad(format!(
                "max_royalty_bps is {}, above 10000 (100%)",
                self.max_royalty_bps
            ));
        }
        let sale = u32::from(self.sale_royalties.miner_bps)
            + u32::from(self.sale_royalties.model_owner_bps);
        if sale > 10_000 {
            return bad(format!(
                "sale royalties add up to {sale} basis points, above 10000 (100%)"
            ));
        }
        if self.genesis.target > self.pow_limit {
            return bad("genesis.target is easier than pow_limit".into());
        }
        let caps = [
            ("max_block_bytes", l.max_block_bytes, max.max_block_bytes),
            ("max_tx_bytes", l.max_tx_bytes, max.max_tx_bytes),
            (
                "max_sealed_prompt_bytes",
                l.max_sealed_prompt_bytes,
                max.max_sealed_prompt_bytes,
            ),
            (
                "max_payload_bytes",
                l.max_payload_bytes,
                max.max_payload_bytes,
            ),
            ("max_string_bytes", l.max_string_bytes, max.max_string_bytes),
            ("max_offers", l.max_offers, max.max_offers),
            (
                "max_bundle_records",
                l.max_bundle_records,
                max.max_bundle_records,
            ),
            (
                "max_attestation_bytes",
                l.max_attestation_bytes,
                max.max_attestation_bytes,
            ),
        ];
        for (name, value, cap) in caps {
            if value > cap {
                return bad(format!(
                    "limits.{name} is {value}, above the protocol maximum {cap}"
                ));
            }
        }
        if l.max_tx_bytes > l.max_block_bytes {
            return bad("limits.max_tx_bytes exceeds limits.max_block_bytes".into());
        }
        if l.max_bundle_records == 0 || l.max_offers == 0 {
            return bad(
                "limits.max_bundle_records and limits.max_offers must be at least 1".into(),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for a in &self.genesis.allocations {
            if !seen.insert(a.address) {
                return bad(format!(
                    "genesis.allocations lists {} more than once",
                    a.address
                ));
            }
        }
        self.genesis_supply().map(|_| ())
    }
}

impl Limits {
    /// The limits of the built-in specs.
    #[must_use]
    pub const fn default_limits() -> Limits {
        Limits {
            max_block_bytes: 8 * 1024 * 1024,
            max_tx_bytes: 1024 * 1024,
            max_sealed_prompt_bytes: 256 * 1024,
            max_payload_bytes: 512 * 1024,
            max_output_tokens: 8_192,
            max_jobs_per_block: 1_000,
            max_bundle_records: 1_000,
            max_string_bytes: 1_024,
            max_offers: 32,
            max_attestation_bytes: 16 * 1024,
            max_job_lifetime: 1_000,
            max_listing_lifetime: 100_000,
        }
    }
}

/// A well-known dev account.
#[derive(Debug, Clone)]
pub struct DevAccount {
    /// Index `i` in the derivation.
    pub index: u32,
    /// The 32-byte seed (import it into a wallet to use the account).
    pub seed: Seed,
    /// The account's address.
    pub address: Address,
}

impl DevAccount {
    /// The account's identity (signing key).
    #[must_use]
    pub fn identity(&self) -> Identity {
        Identity::from_seed(&self.seed)
    }
}

/// The seed of dev account `index`:
/// `BLAKE3-derive_key(DEV_ACCOUNT_CONTEXT, bip39_seed(DEV_MNEMONIC, "") ‖ u32_le(index))`,
/// where `bip39_seed` is the standard 64-byte BIP39 seed (PBKDF2-HMAC-SHA512, 2048 rounds,
/// empty passphrase).
#[must_use]
pub fn dev_account_seed(index: u32) -> Seed {
    let bip39_seed = dev_bip39_seed();
    let mut material = Vec::with_capacity(68);
    material.extend_from_slice(bip39_seed);
    material.extend_from_slice(&index.to_le_bytes());
    Seed::from_bytes(blake3::derive_key(DEV_ACCOUNT_CONTEXT, &material))
}

fn dev_bip39_seed() -> &'static [u8; 64] {
    static SEED: OnceLock<[u8; 64]> = OnceLock::new();
    SEED.get_or_init(|| match bip39::Mnemonic::parse_normalized(DEV_MNEMONIC) {
        Ok(m) => m.to_seed_normalized(""),
        // The phrase is a constant with a valid checksum (tested); this arm is unreachable.
        Err(_) => [0u8; 64],
    })
}

/// The [`DEV_ACCOUNT_COUNT`] dev accounts, index 0 first.
#[must_use]
pub fn dev_accounts() -> Vec<DevAccount> {
    (0..DEV_ACCOUNT_COUNT)
        .map(|index| {
            let seed = dev_account_seed(index);
            let address = Identity::from_seed(&seed).address();
            DevAccount {
                index,
                seed,
                address,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_specs_are_valid_and_round_trip_through_json() {
        for spec in [ChainSpec::dev(), ChainSpec::testnet()] {
            spec.validate().unwrap();
            let json = spec.to_json_pretty();
            assert_eq!(ChainSpec::from_json(&json).unwrap(), spec);
        }
        assert_eq!(ChainSpec::builtin("dev").unwrap().chain_id, 1337);
        assert!(matches!(
            ChainSpec::builtin("mainnet"),
            Err(SpecError::UnknownBuiltin(_))
        ));
    }

    #[test]
    fn dev_mnemonic_is_valid_bip39() {
        assert!(bip39::Mnemonic::parse_normalized(DEV_MNEMONIC).is_ok());
        assert_ne!(dev_bip39_seed(), &[0u8; 64]);
    }

    #[test]
    fn dev_accounts_are_distinct_and_funded() {
        let accounts = dev_accounts();
        assert_eq!(accounts.len(), DEV_ACCOUNT_COUNT as usize);
        let mut addrs: Vec<_> = accounts.iter().map(|a| a.address).collect();
        addrs.sort();
        addrs.dedup();
        assert_eq!(addrs.len(), accounts.len());
        let spec = ChainSpec::dev();
        assert_eq!(spec.genesis.allocations[3].address, accounts[3].address);
        assert_eq!(
            spec.genesis_supply().unwrap(),
            DEV_ACCOUNT_BALANCE.checked_mul(10).unwrap()
        );
        assert_eq!(accounts[2].identity().address(), accounts[2].address);
    }

    #[test]
    fn validate_rejects_unusable_values() {
        let mut spec = ChainSpec::dev();
        spec.limits.max_tx_bytes = u32::MAX;
        let err = spec.validate().unwrap_err().to_string();
        assert!(err.contains("max_tx_bytes"), "{err}");

        let mut spec = ChainSpec::dev();
        spec.sale_royalties.miner_bps = 9_000;
        spec.sale_royalties.model_owner_bps = 2_000;
        assert!(spec.validate().is_err());

        let mut spec = ChainSpec::testnet();
        spec.genesis.target = Target::MAX;
        assert!(spec.validate().is_err());

        let mut spec = ChainSpec::dev();
        spec.block_time_secs = 0;
        assert!(spec.validate().is_err());

        let mut spec = ChainSpec::dev();
        let first = spec.genesis.allocations[0];
        spec.genesis.allocations.push(first);
        let err = spec.validate().unwrap_err().to_string();
        assert!(err.contains("more than once"), "{err}");

        // A typo in a field name is refused rather than silently ignored.
        let json = ChainSpec::dev()
            .to_json_pretty()
            .replace("\"block_time_secs\"", "\"block_time_sec\"");
        assert!(matches!(
            ChainSpec::from_json(&json),
            Err(SpecError::Json { .. })
        ));
    }

    #[test]
    fn from_json_file_reports_path_and_position() {
        let dir = std::env::temp_dir().join(format!("infernet-spec-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.json");
        std::fs::write(&path, "{ \"name\": 3 }").unwrap();
        let err = ChainSpec::from_json_file(&path).unwrap_err().to_string();
        assert!(err.contains("bad.json") && err.contains("line 1"), "{err}");
        let missing = ChainSpec::from_json_file(dir.join("missing.json")).unwrap_err();
        assert!(matches!(missing, SpecError::Io { .. }));
        let good = dir.join("dev.json");
        std::fs::write(&good, ChainSpec::dev().to_json_pretty()).unwrap();
        assert_eq!(ChainSpec::from_json_file(&good).unwrap(), ChainSpec::dev());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
