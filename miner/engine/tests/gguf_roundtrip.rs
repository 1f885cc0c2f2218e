//! Writer → reader round trips: metadata of every type, tensors in every type the
//! writer produces, the tiny model's layout, and the model id (BLAKE3 of the file).
#![allow(clippy::unwrap_used, missing_docs)]

use infernet_engine::gguf::tiny::{TinyConfig, tiny_llama_bytes, write_tiny_llama};
use infernet_engine::gguf::writer::GgufWriter;
use infernet_engine::gguf::{GgmlType, GgufFile, MetaValue};

#[test]
fn metadata_of_every_type_round_trips() {
    let values = vec![
        ("u8", MetaValue::U8(200)),
        ("i8", MetaValue::I8(-100)),
        ("u16", MetaValue::U16(60000)),
        ("i16", MetaValue::I16(-30000)),
        ("u32", MetaValue::U32(4_000_000_000)),
        ("i32", MetaValue::I32(-2_000_000_000)),
        ("u64", MetaValue::U64(u64::MAX)),
        ("i64", MetaValue::I64(i64::MIN)),
        ("f32", MetaValue::F32(1.5e-5)),
        ("f64", MetaValue::F64(-2.25)),
        ("bool", MetaValue::Bool(true)),
        ("str", MetaValue::String("héllo 👋".into())),
        (
            "arr",
            MetaValue::Array(vec![
                MetaValue::String("a".into()),
                MetaValue::String("".into()),
            ]),
        ),
        (
            "nested",
            MetaValue::Array(vec![MetaValue::Array(vec![
                MetaValue::I32(1),
                MetaValue::I32(2),
            ])]),
        ),
    ];
    let mut w = GgufWriter::new();
    for (k, v) in &values {
        w.add_metadata(k, v.clone());
    }
    let f = GgufFile::from_bytes(w.to_bytes()).unwrap();
    assert_eq!(f.version(), 3);
    assert_eq!(f.metadata().len(), values.len());
    for ((k, v), (k2, v2)) in values.iter().zip(f.metadata().iter()) {
        assert_eq!(*k, k2);
        assert_eq!(v, v2);
    }
    assert_eq!(f.metadata().strings("arr").unwrap(), vec!["a", ""]);
    assert_eq!(f.metadata().u32("u16").unwrap(), 60000);
    assert!(f.metadata().bool("bool").unwrap());
}

#[test]
fn tensors_round_trip_within_quantization_error() {
    let data: Vec<f32> = (0..128 * 3)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
        .collect();
    let mut w = GgufWriter::new();
    for ty in [
        GgmlType::F32,
        GgmlType::F16,
        GgmlType::Q8_0,
        GgmlType::Q4_0,
        GgmlType::Q4_1,
    ] {
        w.add_tensor(&format!("{ty:?}"), &[128, 3], ty, &data)
            .unwrap();
    }
    let f = GgufFile::from_bytes(w.to_bytes()).unwrap();
    assert_eq!(f.tensors().len(), 5);
    let range = 4.0f32; // data spans [-2, 2]
    for (ty, tol) in [
        (GgmlType::F32, 0.0),
        (GgmlType::F16, 1e-3),
        (GgmlType::Q8_0, range / 127.0),
        (GgmlType::Q4_0, range / 8.0),
        (GgmlType::Q4_1, range / 15.0),
    ] {
        let t = f.tensor(&format!("{ty:?}")).unwrap();
        assert_eq!(t.info.dims, vec![128, 3]);
        assert_eq!(t.info.ggml_type, ty);
        assert_eq!(t.info.offset % f.alignment(), 0);
        assert_eq!(t.element_count(), 384);
        let back = t.to_f32().unwrap();
        let worst = back
            .iter()
            .zip(&data)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(worst <= tol, "{ty:?}: error {worst} > {tol}");
    }
}

#[test]
fn writer_rejects_bad_shapes() {
    let mut w = GgufWriter::new();
    assert!(w.add_tensor("a", &[3], GgmlType::F32, &[1.0, 2.0]).is_err());
    assert!(
        w.add_tensor("b", &[16], GgmlType::Q8_0, &[0.0; 16])
            .is_err()
    );
    assert!(
        w.add_tensor("c", &[256], GgmlType::Q6_K, &[0.0; 256])
            .is_err()
    );
}

#[test]
fn tiny_model_layout_and_model_id() {
    let cfg = TinyConfig {
        tied: false,
        dtype: GgmlType::Q4_1,
        ..TinyConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_tiny_llama(&path, &cfg, 42).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // Same seed, same bytes; another seed, other weights.
    assert_eq!(bytes, tiny_llama_bytes(&cfg, 42).unwrap());
    assert_ne!(bytes, tiny_llama_bytes(&cfg, 43).unwrap());

    let plain = GgufFile::open(&path).unwrap();
    assert_eq!(plain.model_id(), None);
    let mut reports = Vec::new();
    let f = GgufFile::open_hashed(&path, &mut |done, total| reports.push((done, total))).unwrap();
    assert_eq!(f.model_id(), Some(*blake3::hash(&bytes).as_bytes()));
    assert_eq!(
        reports.last(),
        Some(&(bytes.len() as u64, bytes.len() as u64))
    );
    assert_eq!(f.file_size(), bytes.len() as u64);

    let md = f.metadata();
    assert_eq!(md.str("general.architecture").unwrap(), "llama");
    assert_eq!(md.u32("llama.embedding_length").unwrap(), cfg.hidden as u32);
    assert_eq!(
        md.u32("llama.attention.head_count_kv").unwrap(),
        cfg.kv_heads as u32
    );
    assert_eq!(
        md.strings("tokenizer.ggml.tokens").unwrap().len(),
        cfg.vocab
    );
    assert_eq!(md.f32("llama.rope.freq_base").unwrap(), cfg.rope_base);
    let q = f.tensor("blk.1.attn_k.weight").unwrap();
    let head_dim = cfg.hidden / cfg.heads;
    assert_eq!(
        q.info.dims,
        vec![cfg.hidden as u64, (cfg.kv_heads * head_dim) as u64]
    );
    assert_eq!(q.info.ggml_type, GgmlType::Q4_1);
    assert_eq!(
        f.tensor("blk.0.attn_norm.weight").unwrap().info.ggml_type,
        GgmlType::F32
    );
    assert!(f.has_tensor("output.weight"));
    let emb = f.tensor("token_embd.weight").unwrap().to_f32().unwrap();
    assert_eq!(emb.len(), cfg.vocab * cfg.hidden);
    assert!(emb.iter().all(|v| v.is_finite()) && emb.iter().any(|v| *v != 0.0));
    // Released pages read back the same bytes (they are faulted in from the file).
    let view = f.tensor("token_embd.weight").unwrap();
    f.release(view.data);
    f.release(&[]);
    assert_eq!(view.to_f32().unwrap(), emb);

    let tied = GgufFile::from_bytes(tiny_llama_bytes(&TinyConfig::default(), 1).unwrap()).unwrap();
    assert!(!tied.has_tensor("output.weight"));
}

#[test]
fn tiny_config_is_validated() {
    let bad = TinyConfig {
        vocab: 100,
        ..TinyConfig::default()
    };
    assert!(tiny_llama_bytes(&bad, 0).is_err());
    let bad = TinyConfig {
        heads: 3,
        ..TinyConfig::default()
    };
    assert!(tiny_llama_bytes(&bad, 0).is_err());
}

#[test]
fn loaded_artifacts_can_be_shared_across_threads() {
    use std::marker::PhantomData;
    // Compiles only if `T: Send + Sync`.
    fn send_sync<T: Send + Sync>(_: PhantomData<T>) -> bool {
        true
    }
    assert!(send_sync(PhantomData::<GgufFile>));
    assert!(send_sync(
        PhantomData::<infernet_engine::tokenizer::Tokenizer>
    ));
    assert!(send_sync(
        PhantomData::<infernet_engine::template::ChatTemplate>
    ));
}
