//! The reader on the real SmolLM2 file against the `gguf` Python package (the
//! llama.cpp project's reader) and BLAKE3: model id, header facts, and dequantized
//! rows of Q8_0, Q4_1 and F32 tensors (`tests/data/gguf_smollm2.json`, written by
//! `miner/scripts/tokenizer_parity.py`). Needs the model file:
//! `infernet-miner model fetch`, or `INFERNET_MODEL_PATH`.
#![allow(clippy::unwrap_used, missing_docs)]

use infernet_engine::gguf::{GgmlType, GgufFile};

#[derive(serde::Deserialize)]
struct Row {
    tensor: String,
    #[serde(rename = "type")]
    ty: String,
    dims: Vec<u64>,
    offset: u64,
    row: usize,
    values: Vec<f32>,
}

#[derive(serde::Deserialize)]
struct Reference {
    file_size: u64,
    blake3: String,
    tensor_count: usize,
    kv_count: usize,
    rows: Vec<Row>,
}

#[test]
fn smollm2_matches_reference_reader() {
    let path = infernet_engine::default_model_path();
    assert!(
        path.exists(),
        "the reference model {} is missing: run `infernet-miner model fetch` \
         (or set INFERNET_MODEL_PATH to SmolLM2-135M-Instruct.Q4_1.gguf)",
        path.display()
    );
    let reference: Reference =
        serde_json::from_str(include_str!("data/gguf_smollm2.json")).unwrap();
    let mut last = (0, 0);
    let file = GgufFile::open_hashed(&path, &mut |done, total| last = (done, total)).unwrap();
    assert_eq!(file.file_size(), reference.file_size);
    assert_eq!(last, (reference.file_size, reference.file_size));
    assert_eq!(hex::encode(file.model_id().unwrap()), reference.blake3);
    assert_eq!(file.tensors().len(), reference.tensor_count);
    assert_eq!(file.metadata().len(), reference.kv_count);

    let md = file.metadata();
    assert_eq!(md.str("general.architecture").unwrap(), "llama");
    assert_eq!(md.u32("llama.block_count").unwrap(), 30);
    assert_eq!(md.u32("llama.embedding_length").unwrap(), 576);
    assert_eq!(md.u32("llama.attention.head_count").unwrap(), 9);
    assert_eq!(md.u32("llama.attention.head_count_kv").unwrap(), 3);
    assert_eq!(md.f32("llama.rope.freq_base").unwrap(), 100_000.0);
    assert!(
        !file.has_tensor("output.weight"),
        "SmolLM2 ties its embeddings"
    );

    for r in &reference.rows {
        let t = file.tensor(&r.tensor).unwrap();
        assert_eq!(format!("{:?}", t.info.ggml_type), r.ty);
        assert_eq!(t.info.dims, r.dims);
        assert_eq!(file.data_offset() + t.info.offset, r.offset);
        let cols = r.dims[0] as usize;
        // Dequantize just the requested row from its blocks.
        let ty = t.info.ggml_type;
        let row_bytes = ty.bytes_for(cols as u64).unwrap() as usize;
        let bytes = &t.data[r.row * row_bytes..(r.row + 1) * row_bytes];
        let mut got = vec![0.0f32; cols];
        infernet_engine::gguf::dequant::dequantize(ty, bytes, &mut got).unwrap();
        assert_eq!(got, r.values, "{} row {}", r.tensor, r.row);
        if ty == GgmlType::F32 {
            assert_eq!(t.to_f32().unwrap().len(), cols);
        }
    }
}
