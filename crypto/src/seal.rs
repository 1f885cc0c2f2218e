//! The sealed box: HPKE (RFC 9180) with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
//! ChaCha20-Poly1305 (suite ids 0x0020 / 0x0001 / 0x0003).
//!
//! [`seal`] and [`open`] are the single-shot base-mode API the protocol uses; [`export_sender`]
//! and [`export_receiver`] expose HPKE's secret exporter. The lower-level [`setup_sender`],
//! [`setup_receiver`] and [`Context`] implement the RFC's key schedule for base and PSK modes
//! (the test vectors exercise both). An all-zero X25519 output (a small-order public key) is
//! rejected, as RFC 9180 §7.1.4 requires.
//!
//! Written on `x25519-dalek`, `hkdf`/`sha2` and `chacha20poly1305` rather than the `hpke` crate,
//! whose API cannot take a given ephemeral secret (needed for deterministic vectors) and panics
//! on over-long `info`.

use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::reply::{ReplyPublicKey, ReplySecret};

/// Bytes a sealed ciphertext adds to its plaintext (the Poly1305 tag); `enc` is separate.
pub const SEAL_OVERHEAD: usize = 16;

/// KEM id of DHKEM(X25519, HKDF-SHA256).
pub const KEM_ID: u16 = 0x0020;
/// KDF id of HKDF-SHA256.
pub const KDF_ID: u16 = 0x0001;
/// AEAD id of ChaCha20-Poly1305.
pub const AEAD_ID: u16 = 0x0003;

const NK: usize = 32;
const NN: usize = 12;
const NH: usize = 32;

/// `"KEM" || I2OSP(kem_id, 2)`.
const KEM_SUITE_ID: [u8; 5] = [b'K', b'E', b'M', 0x00, 0x20];
/// AEAD id of the export-only mode (no encryption; RFC 9180 §5.3).
pub const EXPORT_ONLY_AEAD_ID: u16 = 0xffff;

/// The AEAD of an HPKE context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AeadMode {
    /// ChaCha20-Poly1305 (0x0003): the sealed box.
    ChaCha20Poly1305,
    /// Export-only (0xFFFF): the context only derives exporter secrets.
    ExportOnly,
}

impl AeadMode {
    /// `"HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2)`.
    fn suite_id(self) -> [u8; 10] {
        let aead = match self {
            AeadMode::ChaCha20Poly1305 => AEAD_ID,
            AeadMode::ExportOnly => EXPORT_ONLY_AEAD_ID,
        }
        .to_be_bytes();
        let [k0, k1] = KEM_ID.to_be_bytes();
        let [f0, f1] = KDF_ID.to_be_bytes();
        [b'H', b'P', b'K', b'E', k0, k1, f0, f1, aead[0], aead[1]]
    }
}

/// A sealed message: the encapsulated ephemeral public key and the ciphertext (with its tag).
/// Serialized with both fields as hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedBox {
    /// HPKE `enc`: the sender's ephemeral X25519 public key.
    #[serde(
        serialize_with = "crate::hex_serde::serialize",
        deserialize_with = "crate::hex_serde::deserialize_array"
    )]
    pub enc: [u8; 32],
    /// ChaCha20-Poly1305 ciphertext: plaintext length + [`SEAL_OVERHEAD`].
    #[serde(
        serialize_with = "crate::hex_serde::serialize",
        deserialize_with = "crate::hex_serde::deserialize_vec"
    )]
    pub ciphertext: Vec<u8>,
}

/// Why sealing, opening or exporting failed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The ciphertext does not open: wrong recipient key, `info` or `aad`, or it was altered.
    #[error("sealed box does not open: wrong key, info or aad, or the ciphertext was altered")]
    DecryptionFailed,
    /// The X25519 output is all zero: the peer's public key (or `enc`) is a small-order point.
    #[error("X25519 output is all zero: the public key is a small-order point (RFC 9180 §7.1.4)")]
    ZeroSharedSecret,
    /// PSK mode needs both a non-empty `psk` and `psk_id`; base mode needs neither.
    #[error("inconsistent PSK inputs: psk mode needs a non-empty psk and psk_id")]
    InconsistentPsk,
    /// An exporter request longer than HKDF-SHA256 can produce.
    #[error("exporter length {requested} exceeds the maximum of {max} bytes")]
    ExportTooLong {
        /// Requested length.
        requested: usize,
        /// 255 × 32.
        max: usize,
    },
    /// The plaintext is beyond ChaCha20-Poly1305's limit (256 GiB).
    #[error("plaintext too long for ChaCha20-Poly1305")]
    PlaintextTooLong,
    /// Seal or open on an export-only context.
    #[error("this HPKE context is export-only: it cannot seal or open")]
    ExportOnly,
    /// The context's sequence number is exhausted (2^96 − 1 messages).
    #[error("HPKE context message limit reached")]
    MessageLimit,
    /// The random ephemeral key could not be generated.
    #[error(transparent)]
    Rng(#[from] crate::RngError),
}

/// HPKE mode with its inputs.
#[derive(Clone, Copy, Debug)]
pub enum Mode<'a> {
    /// `mode_base` (0x00).
    Base,
    /// `mode_psk` (0x01) with a pre-shared key and its id.
    Psk {
        /// The pre-shared key.
        psk: &'a [u8],
        /// Its identifier.
        psk_id: &'a [u8],
    },
}

impl Mode<'_> {
    fn id(&self) -> u8 {
        match self {
            Mode::Base => 0,
            Mode::Psk { .. } => 1,
        }
    }

    fn psk(&self) -> (&[u8], &[u8]) {
        match self {
            Mode::Base => (&[], &[]),
            Mode::Psk { psk, psk_id } => (psk, psk_id),
        }
    }
}

fn labeled_extract(suite_id: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Zeroizing<[u8; NH]> {
    let mut labeled_ikm = Zeroizing::new(Vec::with_capacity(
        7 + suite_id.len() + label.len() + ikm.len(),
    ));
    labeled_ikm.extend_from_slice(b"HPKE-v1");
    labeled_ikm.extend_from_slice(suite_id);
    labeled_ikm.extend_from_slice(label);
    labeled_ikm.extend_from_slice(ikm);
    let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), &labeled_ikm);
    let mut out = Zeroizing::new([0u8; NH]);
    out.copy_from_slice(&prk);
    out
}

fn labeled_expand(
    suite_id: &[u8],
    prk: &[u8; NH],
    label: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), SealError> {
    let requested = out.len();
    let too_long = || SealError::ExportTooLong {
        requested,
        max: 255 * NH,
    };
    let len = u16::try_from(out.len()).map_err(|_| too_long())?;
    let hk = Hkdf::<Sha256>::from_prk(prk).map_err(|_| too_long())?;
    hk.expand_multi_info(
        &[&len.to_be_bytes(), b"HPKE-v1", suite_id, label, info],
        out,
    )
    .map_err(|_| too_long())
}

/// RFC 9180 `DeriveKeyPair` for DHKEM(X25519, HKDF-SHA256): the secret key from `ikm`.
pub fn derive_key_pair(ikm: &[u8]) -> Result<ReplySecret, SealError> {
    let prk = labeled_extract(&KEM_SUITE_ID, b"", b"dkp_prk", ikm);
    let mut sk = Zeroizing::new([0u8; 32]);
    labeled_expand(&KEM_SUITE_ID, &prk, b"sk", b"", &mut sk[..])?;
    Ok(ReplySecret::from_bytes(*sk))
}

fn dh(sk: &ReplySecret, pk: &[u8; 32]) -> Result<Zeroizing<[u8; 32]>, SealError> {
    sk.diffie_hellman_checked(&ReplyPublicKey(*pk))
}

fn extract_and_expand(
    dh: &[u8; 32],
    enc: &[u8; 32],
    pk_r: &[u8; 32],
) -> Result<Zeroizing<[u8; 32]>, SealError> {
    let prk = labeled_extract(&KEM_SUITE_ID, b"", b"eae_prk", dh);
    let mut kem_context = [0u8; 64];
    kem_context[..32].copy_from_slice(enc);
    kem_context[32..].copy_from_slice(pk_r);
    let mut ss = Zeroizing::new([0u8; 32]);
    labeled_expand(
        &KEM_SUITE_ID,
        &prk,
        b"shared_secret",
        &kem_context,
        &mut ss[..],
    )?;
    Ok(ss)
}

/// An HPKE encryption context (either role): key, base nonce, sequence number, exporter secret.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Context {
    key: [u8; NK],
    base_nonce: [u8; NN],
    exporter_secret: [u8; NH],
    seq: u128,
    suite_id: [u8; 10],
    #[zeroize(skip)]
    aead: AeadMode,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl Context {
    fn key_schedule(
        mode: Mode<'_>,
        aead: AeadMode,
        shared_secret: &[u8; 32],
        info: &[u8],
    ) -> Result<Self, SealError> {
        let (psk, psk_id) = mode.psk();
        let consistent = match mode {
            Mode::Base => true,
            Mode::Psk { psk, psk_id } => !psk.is_empty() && !psk_id.is_empty(),
        };
        if !consistent {
            return Err(SealError::InconsistentPsk);
        }
        let suite_id = aead.suite_id();
        let psk_id_hash = labeled_extract(&suite_id, b"", b"psk_id_hash", psk_id);
        let info_hash = labeled_extract(&suite_id, b"", b"info_hash", info);
        let mut ksc = [0u8; 1 + 2 * NH];
        ksc[0] = mode.id();
        ksc[1..1 + NH].copy_from_slice(&psk_id_hash[..]);
        ksc[1 + NH..].copy_from_slice(&info_hash[..]);
        let secret = labeled_extract(&suite_id, shared_secret, b"secret", psk);
        let mut ctx = Context {
            key: [0; NK],
            base_nonce: [0; NN],
            exporter_secret: [0; NH],
            seq: 0,
            suite_id,
            aead,
        };
        labeled_expand(&suite_id, &secret, b"key", &ksc, &mut ctx.key)?;
        labeled_expand(&suite_id, &secret, b"base_nonce", &ksc, &mut ctx.base_nonce)?;
        labeled_expand(&suite_id, &secret, b"exp", &ksc, &mut ctx.exporter_secret)?;
        Ok(ctx)
    }

    fn nonce(&self) -> Result<[u8; NN], SealError> {
        if self.aead == AeadMode::ExportOnly {
            return Err(SealError::ExportOnly);
        }
        if self.seq >= (1u128 << 96) - 1 {
            return Err(SealError::MessageLimit);
        }
        let mut nonce = self.base_nonce;
        let seq = self.seq.to_be_bytes();
        for (n, s) in nonce.iter_mut().zip(&seq[16 - NN..]) {
            *n ^= s;
        }
        Ok(nonce)
    }

    /// Encrypts the next message (sender role) and advances the sequence number.
    pub fn seal(&mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let nonce = self.nonce()?;
        let ct = crate::aead::encrypt(&self.key, &nonce, aad, plaintext)
            .map_err(|_| SealError::PlaintextTooLong)?;
        self.seq += 1;
        Ok(ct)
    }

    /// Decrypts the next message (receiver role) and advances the sequence number.
    pub fn open(&mut self, aad: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let nonce = self.nonce()?;
        let pt = crate::aead::decrypt(&self.key, &nonce, aad, ciphertext)
            .map_err(|_| SealError::DecryptionFailed)?;
        self.seq += 1;
        Ok(pt)
    }

    /// HPKE `Export(exporter_context, L)`: `L` (at most 8160) bytes bound to this context.
    pub fn export(
        &self,
        exporter_context: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let mut out = Zeroizing::new(vec![0u8; len]);
        labeled_expand(
            &self.suite_id,
            &self.exporter_secret,
            b"sec",
            exporter_context,
            &mut out,
        )?;
        Ok(out)
    }
}

/// RFC 9180 `SetupBaseS`/`SetupPSKS` with the given ephemeral secret: returns `enc` and the
/// sender context. Use a fresh random ephemeral secret for every message; a fixed one is only
/// for test vectors.
pub fn setup_sender(
    mode: Mode<'_>,
    aead: AeadMode,
    recipient: &ReplyPublicKey,
    ephemeral: &ReplySecret,
    info: &[u8],
) -> Result<([u8; 32], Context), SealError> {
    let enc = ephemeral.public_key().0;
    let dh = dh(ephemeral, &recipient.0)?;
    let ss = extract_and_expand(&dh, &enc, &recipient.0)?;
    Ok((enc, Context::key_schedule(mode, aead, &ss, info)?))
}

/// RFC 9180 `SetupBaseR`/`SetupPSKR`: the receiver context for `enc`.
pub fn setup_receiver(
    mode: Mode<'_>,
    aead: AeadMode,
    recipient: &ReplySecret,
    enc: &[u8; 32],
    info: &[u8],
) -> Result<Context, SealError> {
    let dh = dh(recipient, enc)?;
    let ss = extract_and_expand(&dh, enc, &recipient.public_key().0)?;
    Context::key_schedule(mode, aead, &ss, info)
}

/// Seals `plaintext` to `recipient` (base mode, single shot, fresh ephemeral key).
pub fn seal(
    recipient: &ReplyPublicKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<SealedBox, SealError> {
    let mut eph = [0u8; 32];
    crate::rng::fill(&mut eph)?;
    let eph = ReplySecret::from_bytes(eph);
    seal_with_ephemeral(recipient, &eph, info, aad, plaintext)
}

/// [`seal`] with a given ephemeral secret: deterministic, for test vectors only.
pub fn seal_with_ephemeral(
    recipient: &ReplyPublicKey,
    ephemeral: &ReplySecret,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<SealedBox, SealError> {
    let (enc, mut ctx) = setup_sender(
        Mode::Base,
        AeadMode::ChaCha20Poly1305,
        recipient,
        ephemeral,
        info,
    )?;
    let ciphertext = ctx.seal(aad, plaintext)?;
    Ok(SealedBox { enc, ciphertext })
}

/// Opens a [`SealedBox`] made by [`seal`] with the same `info` and `aad`.
pub fn open(
    recipient: &ReplySecret,
    info: &[u8],
    aad: &[u8],
    sealed: &SealedBox,
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let mut ctx = setup_receiver(
        Mode::Base,
        AeadMode::ChaCha20Poly1305,
        recipient,
        &sealed.enc,
        info,
    )?;
    ctx.open(aad, &sealed.ciphertext)
}

/// Sender side of the exporter (base mode): a fresh `enc` and `len` secret bytes that only the
/// holder of `recipient`'s secret can also derive, with [`export_receiver`].
pub fn export_sender(
    recipient: &ReplyPublicKey,
    info: &[u8],
    exporter_context: &[u8],
    len: usize,
) -> Result<([u8; 32], Zeroizing<Vec<u8>>), SealError> {
    let mut eph = [0u8; 32];
    crate::rng::fill(&mut eph)?;
    let eph = ReplySecret::from_bytes(eph);
    let (enc, ctx) = setup_sender(
        Mode::Base,
        AeadMode::ChaCha20Poly1305,
        recipient,
        &eph,
        info,
    )?;
    Ok((enc, ctx.export(exporter_context, len)?))
}

/// Receiver side of the exporter (base mode).
pub fn export_receiver(
    recipient: &ReplySecret,
    enc: &[u8; 32],
    info: &[u8],
    exporter_context: &[u8],
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    setup_receiver(Mode::Base, AeadMode::ChaCha20Poly1305, recipient, enc, info)?
        .export(exporter_context, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_binding() {
        let sk = ReplySecret::from_bytes([3; 32]);
        let pk = sk.public_key();
        let sealed = seal(&pk, b"info", b"aad", b"secret prompt").unwrap();
        assert_eq!(sealed.ciphertext.len(), 13 + SEAL_OVERHEAD);
        assert_eq!(
            &**open(&sk, b"info", b"aad", &sealed).unwrap(),
            b"secret prompt"
        );
        assert!(matches!(
            open(&sk, b"infx", b"aad", &sealed),
            Err(SealError::DecryptionFailed)
        ));
        assert!(matches!(
            open(&sk, b"info", b"aax", &sealed),
            Err(SealError::DecryptionFailed)
        ));
        let other = ReplySecret::from_bytes([4; 32]);
        assert!(matches!(
            open(&other, b"info", b"aad", &sealed),
            Err(SealError::DecryptionFailed)
        ));
        let mut bad = sealed.clone();
        bad.ciphertext[0] ^= 1;
        assert!(matches!(
            open(&sk, b"info", b"aad", &bad),
            Err(SealError::DecryptionFailed)
        ));
        let json = serde_json::to_string(&sealed).unwrap();
        assert_eq!(serde_json::from_str::<SealedBox>(&json).unwrap(), sealed);
    }

    #[test]
    fn small_order_keys_are_rejected() {
        // u = 0 and u = 1 are small-order points: X25519 gives all zero.
        let sk = ReplySecret::from_bytes([3; 32]);
        for u in [[0u8; 32], {
            let mut one = [0u8; 32];
            one[0] = 1;
            one
        }] {
            assert!(matches!(
                seal(&ReplyPublicKey(u), b"", b"", b"x"),
                Err(SealError::ZeroSharedSecret)
            ));
            let sealed = SealedBox {
                enc: u,
                ciphertext: vec![0; 17],
            };
            assert!(matches!(
                open(&sk, b"", b"", &sealed),
                Err(SealError::ZeroSharedSecret)
            ));
        }
    }

    #[test]
    fn exporter_agrees() {
        let sk = ReplySecret::from_bytes([5; 32]);
        let (enc, a) = export_sender(&sk.public_key(), b"i", b"ctx", 42).unwrap();
        let b = export_receiver(&sk, &enc, b"i", b"ctx", 42).unwrap();
        assert_eq!(a.len(), 42);
        assert_eq!(*a, *b);
        assert!(matches!(
            export_receiver(&sk, &enc, b"i", b"ctx", 255 * 32 + 1),
            Err(SealError::ExportTooLong { .. })
        ));
    }

    #[test]
    fn psk_inputs_must_be_consistent() {
        let sk = ReplySecret::from_bytes([5; 32]);
        let eph = ReplySecret::from_bytes([6; 32]);
        let r = setup_sender(
            Mode::Psk {
                psk: b"",
                psk_id: b"id",
            },
            AeadMode::ChaCha20Poly1305,
            &sk.public_key(),
            &eph,
            b"",
        );
        assert!(matches!(r, Err(SealError::InconsistentPsk)));
    }
}
