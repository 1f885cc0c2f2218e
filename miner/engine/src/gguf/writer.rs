//! A small GGUF (version 3) writer, used by tests and tools to build model files:
//! metadata, tensors in F32/F16 or quantized to Q8_0, Q4_0 or Q4_1 (ggml's
//! reference quantizers), aligned tensor data.

use std::io::Write;
use std::path::Path;

use half::f16;

use super::dequant::{Q4_0_BYTES, Q4_1_BYTES, Q8_0_BYTES, QK};
use super::{DEFAULT_ALIGNMENT, GGUF_MAGIC, GgmlType, MetaValue};

/// Errors from building a GGUF image.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The tensor's type cannot be produced by this writer.
    #[error(
        "tensor {name:?}: the writer cannot quantize to {ty:?} (supported: F32, F16, Q8_0, Q4_0, Q4_1)"
    )]
    UnsupportedType {
        /// The tensor.
        name: String,
        /// The requested type.
        ty: GgmlType,
    },
    /// The data length does not match the dimensions, or rows are not whole blocks.
    #[error("tensor {name:?}: {reason}")]
    BadShape {
        /// The tensor.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Writing the file failed.
    #[error("cannot write GGUF file: {0}")]
    Io(#[from] std::io::Error),
}

struct PendingTensor {
    name: String,
    dims: Vec<u64>,
    ty: GgmlType,
    data: Vec<u8>,
}

/// Builds a GGUF version 3 image in memory.
#[derive(Default)]
pub struct GgufWriter {
    metadata: Vec<(String, MetaValue)>,
    tensors: Vec<PendingTensor>,
    alignment: u64,
}

impl GgufWriter {
    /// An empty writer with the default alignment (32).
    pub fn new() -> Self {
        Self {
            metadata: Vec::new(),
            tensors: Vec::new(),
            alignment: DEFAULT_ALIGNMENT,
        }
    }

    /// Adds a metadata entry (written in insertion order). A `general.alignment`
    /// entry also sets the alignment used for tensor data.
    pub fn add_metadata(&mut self, key: &str, value: MetaValue) -> &mut Self {
        if key == "general.alignment"
            && let Some(a) = value.as_i128().and_then(|a| u64::try_from(a).ok())
            && a.is_power_of_two()
        {
            self.alignment = a;
        }
        self.metadata.push((key.to_owned(), value));
        self
    }

    /// Adds an F32 tensor. `dims` are in GGUF order (`dims[0]` contiguous).
    pub fn add_tensor_f32(
        &mut self,
        name: &str,
        dims: &[u64],
        data: &[f32],
    ) -> Result<&mut Self, WriteError> {
        self.add_tensor(name, dims, GgmlType::F32, data)
    }

    /// Adds a tensor stored as `ty`, converting or quantizing `data`.
    pub fn add_tensor(
        &mut self,
        name: &str,
        dims: &[u64],
        ty: GgmlType,
        data: &[f32],
    ) -> Result<&mut Self, WriteError> {
        let bad = |reason: String| WriteError::BadShape {
            name: name.to_owned(),
            reason,
        };
        let count: u64 = dims.iter().product();
        if dims.is_empty() || count != data.len() as u64 {
            return Err(bad(format!(
                "dimensions {dims:?} do not match {} values",
                data.len()
            )));
        }
        if !dims[0].is_multiple_of(ty.block_size()) {
            return Err(bad(format!(
                "rows of {} values are not whole {ty:?} blocks of {}",
                dims[0],
                ty.block_size()
            )));
        }
        let bytes = quantize(ty, data).ok_or_else(|| WriteError::UnsupportedType {
            name: name.to_owned(),
            ty,
        })?;
        self.add_tensor_raw(name, dims, ty, bytes)
    }

    /// Adds a tensor from raw bytes already in `ty`'s layout (e.g. hand-built blocks).
    pub fn add_tensor_raw(
        &mut self,
        name: &str,
        dims: &[u64],
        ty: GgmlType,
        bytes: Vec<u8>,
    ) -> Result<&mut Self, WriteError> {
        let count: u64 = dims.iter().product();
        if ty.bytes_for(count) != Some(bytes.len() as u64) {
            return Err(WriteError::BadShape {
                name: name.to_owned(),
                reason: format!("{} bytes do not hold {count} {ty:?} values", bytes.len()),
            });
        }
        self.tensors.push(PendingTensor {
            name: name.to_owned(),
            dims: dims.to_vec(),
            ty,
            data: bytes,
        });
        Ok(self)
    }

    /// The complete file image.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&GGUF_MAGIC);
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        out.extend_from_slice(&(self.metadata.len() as u64).to_le_bytes());
        for (k, v) in &self.metadata {
            put_string(&mut out, k);
            out.extend_from_slice(&v.type_code().to_le_bytes());
            put_value(&mut out, v);
        }
        let align = self.alignment;
        let mut offset = 0u64;
        let mut offsets = Vec::with_capacity(self.tensors.len());
        for t in &self.tensors {
            put_string(&mut out, &t.name);
            out.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                out.extend_from_slice(&d.to_le_bytes());
            }
            out.extend_from_slice(&t.ty.code().to_le_bytes());
            out.extend_from_slice(&offset.to_le_bytes());
            offsets.push(offset);
            offset = (offset + t.data.len() as u64).next_multiple_of(align);
        }
        pad_to(&mut out, align);
        let base = out.len() as u64;
        for (t, off) in self.tensors.iter().zip(offsets) {
            let at = usize::try_from(base + off).unwrap_or(usize::MAX);
            out.resize(at, 0);
            out.extend_from_slice(&t.data);
        }
        pad_to(&mut out, align);
        out
    }

    /// Writes the file image to `path`.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut f = std::fs::File::create(path)?;
        f.write_all(&self.to_bytes())?;
        f.sync_all()
    }
}

fn pad_to(out: &mut Vec<u8>, align: u64) {
    let len = (out.len() as u64).next_multiple_of(align);
    out.resize(usize::try_from(len).unwrap_or(usize::MAX), 0);
}

fn put_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_value(out: &mut Vec<u8>, v: &MetaValue) {
    match v {
        MetaValue::U8(x) => out.push(*x),
        MetaValue::I8(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::U16(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I16(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::U32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::U64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::F32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::F64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::Bool(x) => out.push(u8::from(*x)),
        MetaValue::String(s) => put_string(out, s),
        MetaValue::Array(items) => {
            // An empty array is written as an array of u8.
            let elem = items.first().map_or(0, MetaValue::type_code);
            out.extend_from_slice(&elem.to_le_bytes());
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for it in items {
                put_value(out, it);
            }
        }
    }
}

/// Encodes `data` as `ty` (ggml's reference quantizers), or `None` when the type
/// is not supported by the writer. `data.len()` must be a multiple of the block size.
pub fn quantize(ty: GgmlType, data: &[f32]) -> Option<Vec<u8>> {
    Some(match ty {
        GgmlType::F32 => data.iter().flat_map(|x| x.to_le_bytes()).collect(),
        GgmlType::F16 => data
            .iter()
            .flat_map(|x| f16::from_f32(*x).to_le_bytes())
            .collect(),
        GgmlType::Q8_0 => blocks(data, Q8_0_BYTES, quantize_block_q8_0),
        GgmlType::Q4_0 => blocks(data, Q4_0_BYTES, quantize_block_q4_0),
        GgmlType::Q4_1 => blocks(data, Q4_1_BYTES, quantize_block_q4_1),
        _ => return None,
    })
}

fn blocks(data: &[f32], bytes: usize, f: fn(&[f32], &mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / QK * bytes);
    for b in data.chunks_exact(QK) {
        f(b, &mut out);
    }
    out
}

fn quantize_block_q8_0(x: &[f32], out: &mut Vec<u8>) {
    let amax = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
    for v in x {
        out.push(((v * id).round() as i8) as u8);
    }
}

fn quantize_block_q4_0(x: &[f32], out: &mut Vec<u8>) {
    // The value with the largest magnitude, keeping its sign, maps to -8.
    let mut max = 0.0f32;
    for &v in x {
        if v.abs() > max.abs() {
            max = v;
        }
    }
    let d = max / -8.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
    let q = |v: f32| ((v * id + 8.5) as i32).clamp(0, 15) as u8;
    for j in 0..QK / 2 {
        out.push(q(x[j]) | (q(x[j + QK / 2]) << 4));
    }
}

fn quantize_block_q4_1(x: &[f32], out: &mut Vec<u8>) {
    let min = x.iter().copied().fold(f32::INFINITY, f32::min);
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let d = (max - min) / 15.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
    out.extend_from_slice(&f16::from_f32(min).to_le_bytes());
    let q = |v: f32| (((v - min) * id + 0.5) as i32).clamp(0, 15) as u8;
    for j in 0..QK / 2 {
        out.push(q(x[j]) | (q(x[j + QK / 2]) << 4));
    }
}
