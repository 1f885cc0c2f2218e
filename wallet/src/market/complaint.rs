//! The buyer's complaint about a delivery that failed provenance verification.
//!
//! The chain has no transaction kind to carry a complaint, so a complaint is a signed JSON
//! document the buyer's wallet writes and can hand to anyone (`specs/market.md`, "Complaints").
//! The signature is ed25519 by the buyer's identity under its own context
//! [`COMPLAINT_CONTEXT`] and the chain id, so it cannot be replayed as a transaction, a
//! receipt or a complaint on another chain. Signed message bytes:
//!
//! ```text
//! listing (32) ‖ purchase (32) ‖ record (32) ‖ seller (32) ‖ buyer (32)
//! ‖ u8 failed check (0 key, 1 payload, 2 commitment, 3 receipt)
//! ‖ u64 LE height the buyer observed the delivery at
//! ‖ u32 LE length ‖ reason (UTF-8)
//! ```
//!
//! Anyone can verify the signature; whether the buyer really bought that listing is checked
//! against the chain (the purchase's `Buy` transaction was sent by `buyer`), which the CLI
//! does before it shows a complaint in a seller's history. Whether the complaint is *true*
//! cannot be checked by anyone but the buyer (see the spec).

use std::fs;
use std::path::{Path, PathBuf};

use infernet_crypto::{Address, Hash, Identity, Signature, sign};
use serde::{Deserialize, Serialize};

use super::MarketError;
use super::provenance::Check;

/// Signature context of a market complaint.
pub const COMPLAINT_CONTEXT: &str = "infernet/v1/market-complaint";

/// Longest reason kept in a complaint, in bytes.
pub const MAX_REASON_BYTES: usize = 1_024;

/// What the buyer states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    /// Chain id the purchase is on.
    pub chain_id: u64,
    /// The listing bought.
    pub listing: Hash,
    /// The purchase (txid of the `Buy`).
    pub purchase: Hash,
    /// The record that failed.
    pub record: Hash,
    /// The seller.
    pub seller: Address,
    /// The buyer (the signer).
    pub buyer: Address,
    /// The check that failed.
    pub check: Check,
    /// Height at which the buyer observed the delivery.
    pub height: u64,
    /// The verifier's reason, for a person (cut to [`MAX_REASON_BYTES`]).
    pub reason: String,
}

impl Complaint {
    /// The message bytes signed (see the module docs).
    #[must_use]
    pub fn message(&self) -> Vec<u8> {
        let reason = self.reason.as_bytes();
        let mut out = Vec::with_capacity(32 * 5 + 1 + 8 + 4 + reason.len());
        out.extend_from_slice(&self.listing.0);
        out.extend_from_slice(&self.purchase.0);
        out.extend_from_slice(&self.record.0);
        out.extend_from_slice(&self.seller.0);
        out.extend_from_slice(&self.buyer.0);
        out.push(self.check.tag());
        out.extend_from_slice(&self.height.to_le_bytes());
        out.extend_from_slice(&(reason.len() as u32).to_le_bytes());
        out.extend_from_slice(reason);
        out
    }

    /// Signs the complaint with the buyer's identity (which must be `self.buyer`).
    #[must_use]
    pub fn sign(mut self, buyer: &Identity) -> SignedComplaint {
        self.buyer = buyer.address();
        if self.reason.len() > MAX_REASON_BYTES {
            let mut cut = MAX_REASON_BYTES;
            while !self.reason.is_char_boundary(cut) {
                cut -= 1;
            }
            self.reason.truncate(cut);
        }
        let signature = buyer.sign(COMPLAINT_CONTEXT, self.chain_id, &self.message());
        SignedComplaint::from_parts(&self, &signature)
    }
}

/// A complaint as stored and exchanged: JSON with hex ids, bech32m addresses and the
/// signature in hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedComplaint {
    /// Format version, 1.
    pub version: u32,
    /// Chain id.
    pub chain_id: u64,
    /// Listing id (hex).
    pub listing: String,
    /// Purchase id (hex).
    pub purchase: String,
    /// Record id (hex).
    pub record: String,
    /// Seller (bech32m).
    pub seller: String,
    /// Buyer (bech32m), the signer.
    pub buyer: String,
    /// The failed check.
    pub check: Check,
    /// Height the buyer observed the delivery at.
    pub height: u64,
    /// Reason.
    pub reason: String,
    /// ed25519 signature (hex, 64 bytes).
    pub signature: String,
}

impl SignedComplaint {
    fn from_parts(c: &Complaint, sig: &Signature) -> SignedComplaint {
        SignedComplaint {
            version: 1,
            chain_id: c.chain_id,
            listing: c.listing.to_hex(),
            purchase: c.purchase.to_hex(),
            record: c.record.to_hex(),
            seller: c.seller.to_string(),
            buyer: c.buyer.to_string(),
            check: c.check,
            height: c.height,
            reason: c.reason.clone(),
            signature: hex::encode(sig.0),
        }
    }

    /// Parses the fields and checks the buyer's signature; returns the statement.
    pub fn verify(&self) -> Result<Complaint, MarketError> {
        let bad = || MarketError::BadComplaintSignature {
            buyer: self.buyer.clone(),
        };
        let hash = |s: &str| s.parse::<Hash>().map_err(|_| bad());
        let addr = |s: &str| s.parse::<Address>().map_err(|_| bad());
        if self.version != 1 || self.reason.len() > MAX_REASON_BYTES {
            return Err(bad());
        }
        let c = Complaint {
            chain_id: self.chain_id,
            listing: hash(&self.listing)?,
            purchase: hash(&self.purchase)?,
            record: hash(&self.record)?,
            seller: addr(&self.seller)?,
            buyer: addr(&self.buyer)?,
            check: self.check,
            height: self.height,
            reason: self.reason.clone(),
        };
        let sig_bytes = hex::decode(&self.signature).map_err(|_| bad())?;
        let sig = Signature::from_slice(&sig_bytes).map_err(|_| bad())?;
        sign::verify(&c.buyer, COMPLAINT_CONTEXT, c.chain_id, &c.message(), &sig)
            .map_err(|_| bad())?;
        Ok(c)
    }
}

/// The wallet's complaint folder: `<wallet-dir>/market/complaints/<purchase>-<record>.json`,
/// holding the complaints this wallet filed or imported.
#[derive(Debug, Clone)]
pub struct ComplaintStore {
    dir: PathBuf,
}

impl ComplaintStore {
    /// The store under `wallet_dir`.
    #[must_use]
    pub fn new(wallet_dir: &Path) -> ComplaintStore {
        ComplaintStore {
            dir: wallet_dir.join("market").join("complaints"),
        }
    }

    /// Its folder.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Verifies and saves `c` (replacing an earlier complaint about the same purchase and
    /// record); returns its file.
    pub fn save(&self, c: &SignedComplaint) -> Result<PathBuf, MarketError> {
        let parsed = c.verify()?;
        let path = self.dir.join(format!(
            "{}-{}.json",
            parsed.purchase.to_hex(),
            parsed.record.to_hex()
        ));
        let io = |e: std::io::Error| MarketError::ComplaintFile {
            path: path.clone(),
            reason: e.to_string(),
        };
        fs::create_dir_all(&self.dir).map_err(io)?;
        let text = serde_json::to_string_pretty(c).map_err(|e| MarketError::ComplaintFile {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        fs::write(&path, text).map_err(io)?;
        Ok(path)
    }

    /// Reads one complaint file (any path) and verifies its signature.
    pub fn read(path: &Path) -> Result<SignedComplaint, MarketError> {
        let err = |reason: String| MarketError::ComplaintFile {
            path: path.to_owned(),
            reason,
        };
        let text = fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let c: SignedComplaint = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        c.verify()?;
        Ok(c)
    }

    /// Every stored complaint whose signature verifies, sorted by file name; files that do
    /// not parse or verify are skipped and counted in the second value.
    pub fn all(&self) -> Result<(Vec<SignedComplaint>, usize), MarketError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
            Err(e) => {
                return Err(MarketError::ComplaintFile {
                    path: self.dir.clone(),
                    reason: e.to_string(),
                });
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        let mut ok = Vec::new();
        let mut skipped = 0;
        for p in paths {
            match Self::read(&p) {
                Ok(c) => ok.push(c),
                Err(_) => skipped += 1,
            }
        }
        Ok((ok, skipped))
    }

    /// The stored complaints against `seller` on chain `chain_id`.
    pub fn against(
        &self,
        seller: &Address,
        chain_id: u64,
    ) -> Result<Vec<SignedComplaint>, MarketError> {
        let s = seller.to_string();
        Ok(self
            .all()?
            .0
            .into_iter()
            .filter(|c| c.seller == s && c.chain_id == chain_id)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use infernet_crypto::Seed;

    fn complaint(buyer: &Identity) -> Complaint {
        Complaint {
            chain_id: 7,
            listing: Hash([1; 32]),
            purchase: Hash([2; 32]),
            record: Hash([3; 32]),
            seller: Address([4; 32]),
            buyer: buyer.address(),
            check: Check::Payload,
            height: 42,
            reason: "the payload does not decrypt".into(),
        }
    }

    #[test]
    fn a_signed_complaint_verifies_and_any_change_breaks_it() {
        let buyer = Identity::from_seed(&Seed::from_bytes([5; 32]));
        let signed = complaint(&buyer).sign(&buyer);
        let back = signed.verify().unwrap();
        assert_eq!(back, complaint(&buyer));
        let json = serde_json::to_string(&signed).unwrap();
        let parsed: SignedComplaint = serde_json::from_str(&json).unwrap();
        assert!(parsed.verify().is_ok());
        let mut t = signed.clone();
        t.check = Check::Commitment;
        assert!(t.verify().is_err());
        let mut t = signed.clone();
        t.height += 1;
        assert!(t.verify().is_err());
        let mut t = signed.clone();
        t.seller = Address([6; 32]).to_string();
        assert!(t.verify().is_err());
        let mut t = signed.clone();
        t.chain_id = 8;
        assert!(t.verify().is_err());
        // Someone else cannot sign in the buyer's name.
        let mallory = Identity::from_seed(&Seed::from_bytes([6; 32]));
        let mut forged = complaint(&buyer).sign(&mallory);
        forged.buyer = buyer.address().to_string();
        assert!(forged.verify().is_err());
    }

    #[test]
    fn the_signature_is_domain_separated() {
        let buyer = Identity::from_seed(&Seed::from_bytes([5; 32]));
        let c = complaint(&buyer);
        let signed = c.clone().sign(&buyer);
        let sig = Signature::from_slice(&hex::decode(&signed.signature).unwrap()).unwrap();
        assert!(sign::verify(&buyer.address(), COMPLAINT_CONTEXT, 7, &c.message(), &sig).is_ok());
        assert!(
            sign::verify(
                &buyer.address(),
                infernet_crypto::domain::TX_SIGNATURE,
                7,
                &c.message(),
                &sig
            )
            .is_err()
        );
    }

    #[test]
    fn long_reasons_are_cut_on_a_char_boundary() {
        let buyer = Identity::from_seed(&Seed::from_bytes([5; 32]));
        let mut c = complaint(&buyer);
        c.reason = "é".repeat(MAX_REASON_BYTES);
        let signed = c.sign(&buyer);
        assert!(signed.reason.len() <= MAX_REASON_BYTES);
        assert!(signed.verify().is_ok());
    }

    #[test]
    fn the_store_keeps_valid_complaints_and_filters_by_seller() {
        let dir = tempfile::tempdir().unwrap();
        let store = ComplaintStore::new(dir.path());
        assert!(store.all().unwrap().0.is_empty());
        let buyer = Identity::from_seed(&Seed::from_bytes([5; 32]));
        let signed = complaint(&buyer).sign(&buyer);
        let path = store.save(&signed).unwrap();
        assert!(path.starts_with(dir.path().join("market/complaints")));
        assert_eq!(ComplaintStore::read(&path).unwrap(), signed);
        let mut tampered = signed.clone();
        tampered.reason = "changed".into();
        std::fs::write(
            store.dir().join("x.json"),
            serde_json::to_string(&tampered).unwrap(),
        )
        .unwrap();
        let (all, skipped) = store.all().unwrap();
        assert_eq!((all.len(), skipped), (1, 1));
        assert_eq!(store.against(&Address([4; 32]), 7).unwrap().len(), 1);
        assert!(store.against(&Address([4; 32]), 8).unwrap().is_empty());
        assert!(store.against(&Address([9; 32]), 7).unwrap().is_empty());
        assert!(store.save(&tampered).is_err());
    }
}
