//! Truncated and corrupted GGUF files give typed errors: no panic, and no allocation
//! much larger than the file (checked by a counting global allocator).
#![allow(clippy::unwrap_used, missing_docs, unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use infernet_engine::gguf::tiny::{TinyConfig, tiny_llama_bytes};
use infernet_engine::gguf::writer::GgufWriter;
use infernet_engine::gguf::{GgmlType, GgufError, GgufFile, MetaValue};

/// Records the largest single allocation made by this test binary.
struct Counting;
static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: ptr came from System.alloc with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Largest allocation a parse of corrupt input may make: well below the sizes a
/// corrupt count would request (gigabytes), above legitimate buffers of these files.
const ALLOC_CAP: usize = 16 << 20;

fn assert_err(bytes: Vec<u8>) -> GgufError {
    match GgufFile::from_bytes(bytes) {
        Ok(_) => panic!("corrupt file parsed"),
        Err(e) => {
            let largest = LARGEST.load(Ordering::Relaxed);
            assert!(largest < ALLOC_CAP, "allocation of {largest} bytes");
            e
        }
    }
}

fn tiny() -> Vec<u8> {
    let cfg = TinyConfig {
        vocab: 300,
        hidden: 32,
        heads: 2,
        kv_heads: 1,
        ff: 64,
        layers: 1,
        dtype: GgmlType::Q8_0,
        ..TinyConfig::default()
    };
    tiny_llama_bytes(&cfg, 7).unwrap()
}

#[test]
fn every_truncation_is_an_error() {
    let full = tiny();
    let file = GgufFile::from_bytes(full.clone()).unwrap();
    let data_start = file.data_offset() as usize;
    // Every cut in the header, then a stride through the tensor data; a cut that
    // only drops trailing alignment padding of the last tensor may still parse.
    let last_end = file
        .tensors()
        .iter()
        .map(|t| data_start + (t.offset + t.byte_len()) as usize)
        .max()
        .unwrap();
    let cuts = (0..data_start).chain((data_start..last_end).step_by(61));
    for cut in cuts {
        let err = assert_err(full[..cut].to_vec());
        assert!(
            matches!(err, GgufError::Truncated { .. } | GgufError::BadMagic(_)),
            "cut at {cut}: {err}"
        );
    }
    assert!(GgufFile::from_bytes(full[..last_end].to_vec()).is_ok());
}

#[test]
fn bad_magic_and_version() {
    let mut b = tiny();
    b[0] = b'X';
    assert!(matches!(assert_err(b), GgufError::BadMagic(_)));
    for v in [0u32, 1, 4, u32::MAX] {
        let mut b = tiny();
        b[4..8].copy_from_slice(&v.to_le_bytes());
        assert!(matches!(assert_err(b), GgufError::UnsupportedVersion(x) if x == v));
    }
}

#[test]
fn huge_counts_and_lengths() {
    // Tensor count, metadata count, first key length.
    for (at, value) in [
        (8, u64::MAX),
        (8, 1 << 40),
        (16, u64::MAX),
        (16, 1 << 33),
        (24, u64::MAX),
        (24, 1 << 35),
    ] {
        let mut b = tiny();
        b[at..at + 8].copy_from_slice(&value.to_le_bytes());
        let err = assert_err(b);
        assert!(
            matches!(err, GgufError::Truncated { .. }),
            "field at {at} = {value}: {err}"
        );
    }
}

/// A hand-assembled header: `kvs` are (key, type code, value bytes); tensors are
/// (name, dims, type code, offset). Tensor data is `data_len` zero bytes.
fn raw(
    kvs: &[(&str, u32, Vec<u8>)],
    tensors: &[(&str, Vec<u64>, u32, u64)],
    data_len: usize,
) -> Vec<u8> {
    let mut b = b"GGUF".to_vec();
    b.extend(3u32.to_le_bytes());
    b.extend((tensors.len() as u64).to_le_bytes());
    b.extend((kvs.len() as u64).to_le_bytes());
    for (k, ty, v) in kvs {
        b.extend((k.len() as u64).to_le_bytes());
        b.extend(k.as_bytes());
        b.extend(ty.to_le_bytes());
        b.extend(v);
    }
    for (name, dims, ty, off) in tensors {
        b.extend((name.len() as u64).to_le_bytes());
        b.extend(name.as_bytes());
        b.extend((dims.len() as u32).to_le_bytes());
        for d in dims {
            b.extend(d.to_le_bytes());
        }
        b.extend(ty.to_le_bytes());
        b.extend(off.to_le_bytes());
    }
    b.resize(b.len().next_multiple_of(32) + data_len, 0);
    b
}

#[test]
fn corrupt_metadata_values() {
    // A well-formed baseline parses.
    assert!(GgufFile::from_bytes(raw(&[("a", 4, 7u32.to_le_bytes().to_vec())], &[], 0)).is_ok());
    // Unknown value type.
    assert!(matches!(
        assert_err(raw(&[("a", 13, vec![0; 8])], &[], 0)),
        GgufError::Corrupt(_)
    ));
    // Bool byte other than 0/1.
    assert!(matches!(
        assert_err(raw(&[("a", 7, vec![2])], &[], 0)),
        GgufError::Corrupt(_)
    ));
    // Array with a huge count.
    let mut arr = 4u32.to_le_bytes().to_vec();
    arr.extend(u64::MAX.to_le_bytes());
    assert!(matches!(
        assert_err(raw(&[("a", 9, arr)], &[], 0)),
        GgufError::Truncated { .. }
    ));
    // Array of strings with a huge string length.
    let mut arr = 8u32.to_le_bytes().to_vec();
    arr.extend(1u64.to_le_bytes());
    arr.extend((u64::MAX - 3).to_le_bytes());
    assert!(matches!(
        assert_err(raw(&[("a", 9, arr)], &[], 0)),
        GgufError::Truncated { .. }
    ));
    // Arrays nested too deep.
    let mut nested = Vec::new();
    for _ in 0..20 {
        nested.extend(9u32.to_le_bytes());
        nested.extend(1u64.to_le_bytes());
    }
    nested.extend(0u32.to_le_bytes());
    nested.extend(0u64.to_le_bytes());
    assert!(matches!(
        assert_err(raw(&[("a", 9, nested)], &[], 0)),
        GgufError::Corrupt(_)
    ));
    // Invalid UTF-8 in a string.
    let mut s = 2u64.to_le_bytes().to_vec();
    s.extend([0xff, 0xfe]);
    assert!(matches!(
        assert_err(raw(&[("a", 8, s)], &[], 0)),
        GgufError::Corrupt(_)
    ));
    // Alignment that is not a power of two.
    let align = raw(
        &[("general.alignment", 4, 24u32.to_le_bytes().to_vec())],
        &[],
        0,
    );
    assert!(matches!(assert_err(align), GgufError::Corrupt(_)));
}

#[test]
fn corrupt_tensor_infos() {
    let ok = raw(&[], &[("t", vec![32, 2], 0, 0)], 256);
    assert!(GgufFile::from_bytes(ok).is_ok());
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("unknown type", raw(&[], &[("t", vec![32], 99, 0)], 128)),
        ("misaligned offset", raw(&[], &[("t", vec![32], 0, 4)], 256)),
        (
            "offset past the end",
            raw(&[], &[("t", vec![32], 0, 1 << 20)], 256),
        ),
        (
            "offset overflow",
            raw(&[], &[("t", vec![32], 0, u64::MAX - 31)], 256),
        ),
        (
            "data past the end",
            raw(&[], &[("t", vec![32, 4], 0, 0)], 256),
        ),
        (
            "dims overflow",
            raw(&[], &[("t", vec![u64::MAX, 4], 0, 0)], 256),
        ),
        ("zero dims", raw(&[], &[("t", vec![], 0, 0)], 256)),
        (
            "five dims",
            raw(&[], &[("t", vec![1, 1, 1, 1, 1], 0, 0)], 256),
        ),
        ("partial block", raw(&[], &[("t", vec![16], 8, 0)], 256)),
        (
            "duplicate name",
            raw(&[], &[("t", vec![8], 0, 0), ("t", vec![8], 0, 32)], 256),
        ),
    ];
    for (what, bytes) in cases {
        let err = assert_err(bytes);
        assert!(
            matches!(
                err,
                GgufError::Corrupt(_) | GgufError::Truncated { .. } | GgufError::UnknownType { .. }
            ),
            "{what}: {err}"
        );
    }
}

#[test]
fn random_byte_flips_never_panic() {
    let full = tiny();
    let header_end = GgufFile::from_bytes(full.clone()).unwrap().data_offset() as usize;
    let mut state = 0x1234_5678_9abc_def0u64;
    for _ in 0..2000 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = (state >> 33) as usize % header_end;
        let mut b = full.clone();
        b[at] ^= 1 << ((state >> 20) % 8);
        // Either parses (a flip in a string or value) or errors; never panics.
        let _ = GgufFile::from_bytes(b);
        assert!(LARGEST.load(Ordering::Relaxed) < ALLOC_CAP);
    }
}

#[test]
fn missing_keys_and_wrong_types_are_distinct() {
    let mut w = GgufWriter::new();
    w.add_metadata("n", MetaValue::I64(-1))
        .add_metadata("s", MetaValue::String("x".into()))
        .add_metadata("big", MetaValue::U64(1 << 40))
        .add_metadata("small", MetaValue::U8(9));
    let f = GgufFile::from_bytes(w.to_bytes()).unwrap();
    let md = f.metadata();
    assert!(matches!(md.u32("absent"), Err(GgufError::MissingKey(_))));
    assert!(matches!(md.u32("s"), Err(GgufError::WrongType { .. })));
    assert!(matches!(md.u32("n"), Err(GgufError::WrongType { .. })));
    assert!(matches!(md.u32("big"), Err(GgufError::WrongType { .. })));
    assert_eq!(md.u32("small").unwrap(), 9);
    assert_eq!(md.f32("small").unwrap(), 9.0);
    assert!(matches!(md.str("n"), Err(GgufError::WrongType { .. })));
    assert!(matches!(f.tensor("nope"), Err(GgufError::MissingTensor(_))));
}
