//! Every supported block format against a reference computed here, independently of
//! the engine's code: blocks are packed from chosen quants and scales, and the
//! expected values come from the format's definition (`x = f(q, d, …)`).
#![allow(clippy::unwrap_used, missing_docs)]

use half::{bf16, f16};
use infernet_engine::gguf::writer::GgufWriter;
use infernet_engine::gguf::{GgmlType, GgufFile, dequant};

/// Deterministic test data (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A scale in [-2, 2), exactly representable as f16.
    fn scale(&mut self) -> f32 {
        f16::from_f32((self.below(4000) as f32 - 2000.0) / 1000.0).to_f32()
    }
}

fn h(x: f32) -> [u8; 2] {
    f16::from_f32(x).to_le_bytes()
}

/// Reads the tensor back through a GGUF image and compares with `expected`.
fn check(ty: GgmlType, bytes: Vec<u8>, expected: &[f32]) {
    let mut w = GgufWriter::new();
    w.add_tensor_raw("t", &[expected.len() as u64], ty, bytes.clone())
        .unwrap();
    let file = GgufFile::from_bytes(w.to_bytes()).unwrap();
    let view = file.tensor("t").unwrap();
    assert_eq!(view.info.ggml_type, ty);
    assert_eq!(view.data, &bytes[..]);
    let got = view.to_f32().unwrap();
    assert_eq!(got.len(), expected.len());
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        let tol = 1e-6 * e.abs().max(1.0);
        assert!(
            (g - e).abs() <= tol,
            "{ty:?} element {i}: got {g}, expected {e}"
        );
    }
    let got16 = view.to_f16().unwrap();
    for (i, (g, e)) in got16.iter().zip(expected).enumerate() {
        let e16 = f16::from_f32(*e).to_f32();
        let tol = 1e-3 * e.abs().max(1e-3);
        assert!(
            (g.to_f32() - e16).abs() <= tol,
            "{ty:?} f16 element {i}: got {g}, expected {e16}"
        );
    }
}

#[test]
fn f32_f16_bf16() {
    let mut rng = Rng(1);
    let vals: Vec<f32> = (0..64).map(|_| rng.scale() * 3.0).collect();
    check(
        GgmlType::F32,
        vals.iter().flat_map(|v| v.to_le_bytes()).collect(),
        &vals,
    );
    let v16: Vec<f32> = vals.iter().map(|v| f16::from_f32(*v).to_f32()).collect();
    check(
        GgmlType::F16,
        v16.iter().flat_map(|v| h(*v)).collect(),
        &v16,
    );
    let vb: Vec<f32> = vals.iter().map(|v| bf16::from_f32(*v).to_f32()).collect();
    check(
        GgmlType::BF16,
        vb.iter()
            .flat_map(|v| bf16::from_f32(*v).to_le_bytes())
            .collect(),
        &vb,
    );
}

#[test]
fn q8_0() {
    let mut rng = Rng(2);
    let (mut bytes, mut exp) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let d = rng.scale();
        bytes.extend(h(d));
        for _ in 0..32 {
            let q = rng.below(256) as u8 as i8;
            bytes.push(q as u8);
            exp.push(f32::from(q) * d);
        }
    }
    check(GgmlType::Q8_0, bytes, &exp);
}

/// Packs 32 4-bit quants: element j in the low nibble of byte j, element j+16 in
/// the high nibble of byte j.
fn nibbles(q: &[u8; 32]) -> Vec<u8> {
    (0..16).map(|j| q[j] | (q[j + 16] << 4)).collect()
}

#[test]
fn q4_0_and_q4_1() {
    let mut rng = Rng(3);
    let (mut b0, mut e0, mut b1, mut e1) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..6 {
        let (d, m) = (rng.scale(), rng.scale());
        let mut q = [0u8; 32];
        q.iter_mut().for_each(|x| *x = rng.below(16) as u8);
        b0.extend(h(d));
        b0.extend(nibbles(&q));
        e0.extend(q.iter().map(|&x| (f32::from(x) - 8.0) * d));
        b1.extend(h(d));
        b1.extend(h(m));
        b1.extend(nibbles(&q));
        e1.extend(q.iter().map(|&x| f32::from(x) * d + m));
    }
    check(GgmlType::Q4_0, b0, &e0);
    check(GgmlType::Q4_1, b1, &e1);
}

#[test]
fn q5_0_and_q5_1() {
    let mut rng = Rng(4);
    let (mut b0, mut e0, mut b1, mut e1) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..4 {
        let (d, m) = (rng.scale(), rng.scale());
        let mut q = [0u8; 32];
        q.iter_mut().for_each(|x| *x = rng.below(32) as u8);
        // Fifth bit of element i is bit i of qh.
        let qh: u32 = (0..32).map(|i| u32::from(q[i] >> 4) << i).sum();
        let low: [u8; 32] = std::array::from_fn(|i| q[i] & 0x0f);
        b0.extend(h(d));
        b0.extend(qh.to_le_bytes());
        b0.extend(nibbles(&low));
        e0.extend(q.iter().map(|&x| (f32::from(x) - 16.0) * d));
        b1.extend(h(d));
        b1.extend(h(m));
        b1.extend(qh.to_le_bytes());
        b1.extend(nibbles(&low));
        e1.extend(q.iter().map(|&x| f32::from(x) * d + m));
    }
    check(GgmlType::Q5_0, b0, &e0);
    check(GgmlType::Q5_1, b1, &e1);
}

#[test]
fn q4_k() {
    let mut rng = Rng(5);
    let (mut bytes, mut exp) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let (d, dmin) = (rng.scale(), rng.scale());
        let sc: [u8; 8] = std::array::from_fn(|_| rng.below(64) as u8);
        let mn: [u8; 8] = std::array::from_fn(|_| rng.below(64) as u8);
        let q: Vec<u8> = (0..256).map(|_| rng.below(16) as u8).collect();
        // 12 bytes of packed 6-bit scales and mins.
        let mut s = [0u8; 12];
        for j in 0..4 {
            s[j] = sc[j] | ((sc[j + 4] >> 4) << 6);
            s[j + 4] = mn[j] | ((mn[j + 4] >> 4) << 6);
            s[j + 8] = (sc[j + 4] & 0x0f) | ((mn[j + 4] & 0x0f) << 4);
        }
        // Groups of 64: the first 32 elements in low nibbles, the next 32 in high.
        let mut qs = [0u8; 128];
        for (i, &x) in q.iter().enumerate() {
            let (g, w) = (i / 64, i % 64);
            if w < 32 {
                qs[g * 32 + w] |= x;
            } else {
                qs[g * 32 + w - 32] |= x << 4;
            }
        }
        bytes.extend(h(d));
        bytes.extend(h(dmin));
        bytes.extend(s);
        bytes.extend(qs);
        for (i, &x) in q.iter().enumerate() {
            let j = i / 32;
            exp.push(d * f32::from(sc[j]) * f32::from(x) - dmin * f32::from(mn[j]));
        }
    }
    check(GgmlType::Q4_K, bytes, &exp);
}

#[test]
fn q6_k() {
    let mut rng = Rng(6);
    let (mut bytes, mut exp) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let d = rng.scale();
        let sc: [i8; 16] = std::array::from_fn(|_| rng.below(256) as u8 as i8);
        let q: Vec<u8> = (0..256).map(|_| rng.below(64) as u8).collect();
        let (mut ql, mut qh) = ([0u8; 128], [0u8; 64]);
        for (i, &x) in q.iter().enumerate() {
            let (half, r) = (i / 128, i % 128);
            let (k, l) = (r / 32, r % 32);
            let lo = x & 0x0f;
            let hi = x >> 4;
            let ql_i = half * 64 + l + if k % 2 == 1 { 32 } else { 0 };
            ql[ql_i] |= if k >= 2 { lo << 4 } else { lo };
            qh[half * 32 + l] |= hi << (2 * k);
        }
        bytes.extend(ql);
        bytes.extend(qh);
        bytes.extend(sc.iter().map(|&s| s as u8));
        bytes.extend(h(d));
        for (i, &x) in q.iter().enumerate() {
            exp.push(d * f32::from(sc[i / 16]) * (f32::from(x) - 32.0));
        }
    }
    check(GgmlType::Q6_K, bytes, &exp);
}

#[test]
fn length_mismatch_is_an_error() {
    let mut out = vec![0.0f32; 31];
    assert!(dequant::dequantize_row_q4_1(&[0u8; 20], &mut out).is_err());
    let mut out = vec![0.0f32; 32];
    assert!(dequant::dequantize_row_q8_0(&[0u8; 33], &mut out).is_err());
    assert!(dequant::dequantize_row_q8_0(&[0u8; 34], &mut out).is_ok());
}

#[test]
fn unsupported_type_is_a_typed_error() {
    let mut w = GgufWriter::new();
    w.add_tensor_raw("iq", &[256], GgmlType::IQ2_XXS, vec![0u8; 66])
        .unwrap();
    let file = GgufFile::from_bytes(w.to_bytes()).unwrap();
    let err = file.tensor("iq").unwrap().to_f32().unwrap_err();
    assert!(err.to_string().contains("IQ2_XXS"), "{err}");
}
