//! The GGUF container: header, metadata key/values, tensor infos, alignment and the
//! tensor data region, read from a memory map (or an owned buffer) and validated
//! against the file's size before anything is allocated.
//!
//! This module owns the *container*; what the metadata means (architecture,
//! tokenizer, template) is read by [`crate::model`], [`crate::tokenizer`] and
//! [`crate::template`]. Block formats live in [`dequant`], the writer used by tests
//! in [`writer`], and the tiny test-model generator in [`tiny`].
//!
//! Every count and length read from the file is checked against the bytes that
//! remain before a buffer of that size is reserved, so a corrupt or hostile file
//! yields a [`GgufError`], never a panic or a huge allocation.

pub mod dequant;
pub mod tiny;
pub mod writer;

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use half::f16;

/// The four bytes every GGUF file starts with.
pub const GGUF_MAGIC: [u8; 4] = *b"GGUF";
/// Alignment of the tensor data when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// Deepest nesting of metadata arrays accepted (arrays of arrays of …).
const MAX_ARRAY_DEPTH: u32 = 8;
/// Most dimensions a tensor may have (ggml's `GGML_MAX_DIMS`).
const MAX_DIMS: u32 = 4;

/// Errors from reading a GGUF file or one of its tensors.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    /// The file could not be opened, read or memory-mapped.
    #[error("cannot read GGUF file {path}: {source}")]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file does not start with `GGUF`.
    #[error("not a GGUF file: magic bytes are {0:02x?}, expected \"GGUF\"")]
    BadMagic([u8; 4]),
    /// A GGUF version this reader does not understand (only 2 and 3 are supported).
    #[error(
        "unsupported GGUF version {0} (supported: 2 and 3); re-convert the model with a current llama.cpp"
    )]
    UnsupportedVersion(u32),
    /// The file ends before a structure that its header announces.
    #[error(
        "GGUF file is truncated: needed {needed} bytes at offset {offset} for {what}, file has {len} bytes"
    )]
    Truncated {
        /// What was being read.
        what: String,
        /// Where it starts.
        offset: u64,
        /// How many bytes it needs.
        needed: u64,
        /// The total size of the file.
        len: u64,
    },
    /// A structurally invalid value (bad count, bad type code, bad UTF-8, …).
    #[error("corrupt GGUF file: {0}")]
    Corrupt(String),
    /// A tensor's element type is not one of the known ggml types.
    #[error("tensor {tensor:?} has unknown ggml type code {code}")]
    UnknownType {
        /// The tensor.
        tensor: String,
        /// The type code found in the file.
        code: u32,
    },
    /// The type is known but this reader cannot dequantize it.
    #[error(
        "tensor {tensor:?} has type {ty:?}, which this engine cannot dequantize (supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q6_K)"
    )]
    UnsupportedType {
        /// The tensor.
        tensor: String,
        /// Its type.
        ty: GgmlType,
    },
    /// A tensor with this name is not in the file.
    #[error("tensor {0:?} is not in the GGUF file")]
    MissingTensor(String),
    /// A metadata key is not in the file.
    #[error("metadata key {0:?} is missing from the GGUF file")]
    MissingKey(String),
    /// A metadata key holds a value of another type (or out of range for the request).
    #[error("metadata key {key:?} has the wrong type: expected {expected}, found {found}")]
    WrongType {
        /// The key.
        key: String,
        /// What the caller asked for.
        expected: &'static str,
        /// What the file holds.
        found: String,
    },
    /// A dequantization buffer has the wrong length.
    #[error("dequantization size mismatch: {0}")]
    SizeMismatch(String),
}

impl GgufError {
    fn corrupt(msg: impl Into<String>) -> Self {
        Self::Corrupt(msg.into())
    }
}

/// A metadata value, as typed in the file.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    /// `uint8`.
    U8(u8),
    /// `int8`.
    I8(i8),
    /// `uint16`.
    U16(u16),
    /// `int16`.
    I16(i16),
    /// `uint32`.
    U32(u32),
    /// `int32`.
    I32(i32),
    /// `uint64`.
    U64(u64),
    /// `int64`.
    I64(i64),
    /// `float32`.
    F32(f32),
    /// `float64`.
    F64(f64),
    /// `bool` (one byte, 0 or 1).
    Bool(bool),
    /// UTF-8 string.
    String(String),
    /// Array of values of one type.
    Array(Vec<MetaValue>),
}

impl MetaValue {
    /// The GGUF type name of this value, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::U8(_) => "u8",
            Self::I8(_) => "i8",
            Self::U16(_) => "u16",
            Self::I16(_) => "i16",
            Self::U32(_) => "u32",
            Self::I32(_) => "i32",
            Self::U64(_) => "u64",
            Self::I64(_) => "i64",
            Self::F32(_) => "f32",
            Self::F64(_) => "f64",
            Self::Bool(_) => "bool",
            Self::String(_) => "string",
            Self::Array(_) => "array",
        }
    }

    /// The GGUF type code of this value (used by the writer).
    pub fn type_code(&self) -> u32 {
        match self {
            Self::U8(_) => 0,
            Self::I8(_) => 1,
            Self::U16(_) => 2,
            Self::I16(_) => 3,
            Self::U32(_) => 4,
            Self::I32(_) => 5,
            Self::F32(_) => 6,
            Self::Bool(_) => 7,
            Self::String(_) => 8,
            Self::Array(_) => 9,
            Self::U64(_) => 10,
            Self::I64(_) => 11,
            Self::F64(_) => 12,
        }
    }

    /// The value as a signed 128-bit integer when it is of an integer type.
    pub fn as_i128(&self) -> Option<i128> {
        Some(match *self {
            Self::U8(v) => v.into(),
            Self::I8(v) => v.into(),
            Self::U16(v) => v.into(),
            Self::I16(v) => v.into(),
            Self::U32(v) => v.into(),
            Self::I32(v) => v.into(),
            Self::U64(v) => v.into(),
            Self::I64(v) => v.into(),
            _ => return None,
        })
    }

    /// The value as `f64` when it is a float or an integer.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Self::F32(v) => Some(v.into()),
            Self::F64(v) => Some(v),
            // Integer metadata (e.g. a rope base written as an integer) is exact in f64
            // for every value a model uses.
            _ => self.as_i128().map(|v| v as f64),
        }
    }
}

/// The metadata key/value section of a GGUF file, in file order.
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    entries: Vec<(String, MetaValue)>,
    index: HashMap<String, usize>,
}

impl Metadata {
    /// Builds metadata from key/value pairs (later duplicates replace earlier ones).
    pub fn from_entries(entries: Vec<(String, MetaValue)>) -> Self {
        let mut index = HashMap::with_capacity(entries.len());
        for (i, (k, _)) in entries.iter().enumerate() {
            index.insert(k.clone(), i);
        }
        Self { entries, index }
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&MetaValue> {
        self.index.get(key).map(|&i| &self.entries[i].1)
    }

    fn require(&self, key: &str) -> Result<&MetaValue, GgufError> {
        self.get(key)
            .ok_or_else(|| GgufError::MissingKey(key.to_owned()))
    }

    fn wrong(key: &str, expected: &'static str, found: &MetaValue) -> GgufError {
        GgufError::WrongType {
            key: key.to_owned(),
            expected,
            found: found.type_name().to_owned(),
        }
    }

    /// `key` as a `u32`; any integer type whose value fits is accepted.
    pub fn u32(&self, key: &str) -> Result<u32, GgufError> {
        let v = self.require(key)?;
        v.as_i128()
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| Self::wrong(key, "an integer that fits in u32", v))
    }

    /// `key` as a `u64`; any integer type whose value fits is accepted.
    pub fn u64(&self, key: &str) -> Result<u64, GgufError> {
        let v = self.require(key)?;
        v.as_i128()
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| Self::wrong(key, "an integer that fits in u64", v))
    }

    /// `key` as an `f32`; float and integer types are accepted.
    pub fn f32(&self, key: &str) -> Result<f32, GgufError> {
        let v = self.require(key)?;
        v.as_f64()
            .map(|f| f as f32)
            .ok_or_else(|| Self::wrong(key, "a number", v))
    }

    /// `key` as a `bool`.
    pub fn bool(&self, key: &str) -> Result<bool, GgufError> {
        match self.require(key)? {
            MetaValue::Bool(b) => Ok(*b),
            other => Err(Self::wrong(key, "bool", other)),
        }
    }

    /// `key` as a string.
    pub fn str(&self, key: &str) -> Result<&str, GgufError> {
        match self.require(key)? {
            MetaValue::String(s) => Ok(s),
            other => Err(Self::wrong(key, "string", other)),
        }
    }

    /// `key` as an array (of any element type).
    pub fn array(&self, key: &str) -> Result<&[MetaValue], GgufError> {
        match self.require(key)? {
            MetaValue::Array(a) => Ok(a),
            other => Err(Self::wrong(key, "array", other)),
        }
    }

    /// `key` as an array of strings.
    pub fn strings(&self, key: &str) -> Result<Vec<&str>, GgufError> {
        self.array(key)?
            .iter()
            .map(|v| match v {
                MetaValue::String(s) => Ok(s.as_str()),
                other => Err(Self::wrong(key, "array of strings", other)),
            })
            .collect()
    }

    /// `key` as an array of integers, each converted to `i64` (must fit).
    pub fn ints(&self, key: &str) -> Result<Vec<i64>, GgufError> {
        self.array(key)?
            .iter()
            .map(|v| {
                v.as_i128()
                    .and_then(|i| i64::try_from(i).ok())
                    .ok_or_else(|| Self::wrong(key, "array of integers", v))
            })
            .collect()
    }

    /// All entries in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &MetaValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

macro_rules! ggml_types {
    ($( $(#[$doc:meta])* $name:ident = $code:literal, $block:literal, $bytes:literal; )*) => {
        /// A ggml tensor element type, with the file's type code.
        ///
        /// All types known to ggml are listed so that a file using them can be opened and
        /// its layout checked; only some can be dequantized ([`GgmlType::can_dequantize`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(non_camel_case_types)]
        pub enum GgmlType {
            $( $(#[$doc])* $name, )*
        }

        impl GgmlType {
            /// The type for a GGUF type code, if known.
            pub fn from_code(code: u32) -> Option<Self> {
                match code {
                    $( $code => Some(Self::$name), )*
                    _ => None,
                }
            }

            /// The GGUF type code.
            pub fn code(self) -> u32 {
                match self { $( Self::$name => $code, )* }
            }

            /// Elements per block (1 for plain types).
            pub fn block_size(self) -> u64 {
                match self { $( Self::$name => $block, )* }
            }

            /// Bytes per block.
            pub fn block_bytes(self) -> u64 {
                match self { $( Self::$name => $bytes, )* }
            }
        }
    };
}

ggml_types! {
    /// 32-bit float.
    F32 = 0, 1, 4;
    /// 16-bit IEEE float.
    F16 = 1, 1, 2;
    /// 4-bit, blocks of 32 with an f16 scale.
    Q4_0 = 2, 32, 18;
    /// 4-bit, blocks of 32 with an f16 scale and minimum.
    Q4_1 = 3, 32, 20;
    /// 5-bit, blocks of 32 with an f16 scale.
    Q5_0 = 6, 32, 22;
    /// 5-bit, blocks of 32 with an f16 scale and minimum.
    Q5_1 = 7, 32, 24;
    /// 8-bit, blocks of 32 with an f16 scale.
    Q8_0 = 8, 32, 34;
    /// 8-bit with sums (ggml-internal).
    Q8_1 = 9, 32, 36;
    /// 2-bit k-quant.
    Q2_K = 10, 256, 84;
    /// 3-bit k-quant.
    Q3_K = 11, 256, 110;
    /// 4-bit k-quant, super-blocks of 256.
    Q4_K = 12, 256, 144;
    /// 5-bit k-quant.
    Q5_K = 13, 256, 176;
    /// 6-bit k-quant, super-blocks of 256.
    Q6_K = 14, 256, 210;
    /// 8-bit k-quant (ggml-internal).
    Q8_K = 15, 256, 292;
    /// i-quant.
    IQ2_XXS = 16, 256, 66;
    /// i-quant.
    IQ2_XS = 17, 256, 74;
    /// i-quant.
    IQ3_XXS = 18, 256, 98;
    /// i-quant.
    IQ1_S = 19, 256, 50;
    /// i-quant.
    IQ4_NL = 20, 32, 18;
    /// i-quant.
    IQ3_S = 21, 256, 110;
    /// i-quant.
    IQ2_S = 22, 256, 82;
    /// i-quant.
    IQ4_XS = 23, 256, 136;
    /// 8-bit integer.
    I8 = 24, 1, 1;
    /// 16-bit integer.
    I16 = 25, 1, 2;
    /// 32-bit integer.
    I32 = 26, 1, 4;
    /// 64-bit integer.
    I64 = 27, 1, 8;
    /// 64-bit float.
    F64 = 28, 1, 8;
    /// i-quant.
    IQ1_M = 29, 256, 56;
    /// bfloat16.
    BF16 = 30, 1, 2;
    /// ternary quant.
    TQ1_0 = 34, 256, 54;
    /// ternary quant.
    TQ2_0 = 35, 256, 66;
    /// microscaling fp4.
    MXFP4 = 39, 32, 17;
}

impl GgmlType {
    /// Whether [`dequant`] can turn this type into floats.
    pub fn can_dequantize(self) -> bool {
        matches!(
            self,
            Self::F32
                | Self::F16
                | Self::BF16
                | Self::Q4_0
                | Self::Q4_1
                | Self::Q5_0
                | Self::Q5_1
                | Self::Q8_0
                | Self::Q4_K
                | Self::Q6_K
        )
    }

    /// Bytes taken by `elements` values of this type, or `None` when `elements`
    /// is not a whole number of blocks or the size overflows.
    pub fn bytes_for(self, elements: u64) -> Option<u64> {
        if !elements.is_multiple_of(self.block_size()) {
            return None;
        }
        (elements / self.block_size()).checked_mul(self.block_bytes())
    }
}

/// One tensor's description from the header.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// Tensor name (e.g. `blk.0.attn_q.weight`).
    pub name: String,
    /// Dimensions in GGUF order: `dims[0]` is the contiguous (fastest-varying)
    /// dimension, i.e. the columns of a weight matrix.
    pub dims: Vec<u64>,
    /// Element type.
    pub ggml_type: GgmlType,
    /// Offset of the data relative to the start of the tensor data region.
    pub offset: u64,
}

impl TensorInfo {
    /// Number of elements (product of the dimensions).
    pub fn element_count(&self) -> u64 {
        // Checked at open time not to overflow.
        self.dims.iter().product()
    }

    /// Size of the tensor's data in bytes (checked at open time).
    pub fn byte_len(&self) -> u64 {
        self.ggml_type
            .bytes_for(self.element_count())
            .unwrap_or(u64::MAX)
    }
}

/// A tensor's description together with its raw, bounds-checked bytes.
#[derive(Debug, Clone, Copy)]
pub struct TensorView<'a> {
    /// The tensor's description.
    pub info: &'a TensorInfo,
    /// The tensor's raw bytes in the file (exactly [`TensorInfo::byte_len`] bytes).
    pub data: &'a [u8],
}

impl TensorView<'_> {
    /// Number of elements.
    pub fn element_count(&self) -> u64 {
        self.info.element_count()
    }

    fn unsupported(&self) -> GgufError {
        GgufError::UnsupportedType {
            tensor: self.info.name.clone(),
            ty: self.info.ggml_type,
        }
    }

    fn output_len(&self) -> Result<usize, GgufError> {
        usize::try_from(self.element_count())
            .map_err(|_| GgufError::corrupt(format!("tensor {:?} is too large", self.info.name)))
    }

    /// Dequantizes the whole tensor to `f32`, in GGUF element order.
    pub fn to_f32(&self) -> Result<Vec<f32>, GgufError> {
        if !self.info.ggml_type.can_dequantize() {
            return Err(self.unsupported());
        }
        let mut out = vec![0.0f32; self.output_len()?];
        dequant::dequantize(self.info.ggml_type, self.data, &mut out)?;
        Ok(out)
    }

    /// Dequantizes the whole tensor to `f16`, in GGUF element order.
    ///
    /// F16 tensors are copied without a round trip through `f32`.
    pub fn to_f16(&self) -> Result<Vec<f16>, GgufError> {
        if !self.info.ggml_type.can_dequantize() {
            return Err(self.unsupported());
        }
        let mut out = vec![f16::ZERO; self.output_len()?];
        dequant::dequantize_f16(self.info.ggml_type, self.data, &mut out)?;
        Ok(out)
    }
}

/// Where the file's bytes live.
enum Backing {
    Mmap(memmap2::Mmap),
    Bytes(Vec<u8>),
}

impl Backing {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::Mmap(m) => m,
            Self::Bytes(b) => b,
        }
    }
}

/// An opened, validated GGUF file. Owns the memory map (or buffer) that tensor
/// views borrow from.
pub struct GgufFile {
    backing: Backing,
    version: u32,
    metadata: Metadata,
    tensors: Vec<TensorInfo>,
    tensor_index: HashMap<String, usize>,
    alignment: u64,
    data_offset: u64,
    model_id: Option<[u8; 32]>,
}

impl std::fmt::Debug for GgufFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufFile")
            .field("version", &self.version)
            .field("file_size", &self.file_size())
            .field("metadata_entries", &self.metadata.len())
            .field("tensors", &self.tensors.len())
            .field("alignment", &self.alignment)
            .field("data_offset", &self.data_offset)
            .finish_non_exhaustive()
    }
}

/// Bytes hashed between two progress reports.
const HASH_CHUNK: usize = 4 << 20;

impl GgufFile {
    /// Memory-maps and parses `path`, validating the header, metadata and every
    /// tensor's extent. Does not hash the file ([`GgufFile::model_id`] is `None`).
    pub fn open(path: &Path) -> Result<Self, GgufError> {
        let mmap = map_file(path)?;
        Self::parse(Backing::Mmap(mmap))
    }

    /// Like [`GgufFile::open`], and also computes the model id (BLAKE3 of the whole
    /// file), calling `progress(done, total)` as bytes are hashed.
    pub fn open_hashed(path: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<Self, GgufError> {
        let mut file = Self::open(path)?;
        file.model_id = Some(hash_with_progress(file.backing.bytes(), progress));
        // Hashing touched every page; the loader touches each tensor again as it copies
        // it. Letting go of them here keeps the peak resident size near one copy.
        file.release(file.backing.bytes());
        Ok(file)
    }

    /// Tells the OS that the pages behind `bytes` (a part of this file's map, e.g. a
    /// tensor already copied out) are not needed now, so they leave this process's
    /// resident set. They are read back from the file if touched again. No effect for
    /// in-memory images, for slices not in the map, or off Unix; advisory (errors
    /// ignored).
    pub fn release(&self, bytes: &[u8]) {
        #[cfg(unix)]
        if let Backing::Mmap(map) = &self.backing {
            let base = map.as_ptr() as usize;
            let start = bytes.as_ptr() as usize;
            if start < base || start + bytes.len() > base + map.len() || bytes.is_empty() {
                return;
            }
            #[allow(unsafe_code)]
            // SAFETY: `memmap2::Mmap` maps the file read-only and shared. MADV_DONTNEED
            // on such a mapping only drops resident pages: the next access faults them
            // in again from the file with the same contents, so no slice into the map
            // (including ones borrowed now) can observe different bytes. The range was
            // checked to lie inside the map just above.
            let _ = unsafe {
                map.unchecked_advise_range(
                    memmap2::UncheckedAdvice::DontNeed,
                    start - base,
                    bytes.len(),
                )
            };
        }
    }

    /// Parses a GGUF image held in memory (used by tests and the fuzz target).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, GgufError> {
        Self::parse(Backing::Bytes(bytes))
    }

    /// Like [`GgufFile::from_bytes`], and also computes the model id.
    pub fn from_bytes_hashed(bytes: Vec<u8>) -> Result<Self, GgufError> {
        let mut file = Self::from_bytes(bytes)?;
        file.model_id = Some(*blake3::hash(file.backing.bytes()).as_bytes());
        Ok(file)
    }

    fn parse(backing: Backing) -> Result<Self, GgufError> {
        let header = parse_header(backing.bytes())?;
        let tensor_index = header
            .tensors
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        Ok(Self {
            backing,
            version: header.version,
            metadata: header.metadata,
            tensors: header.tensors,
            tensor_index,
            alignment: header.alignment,
            data_offset: header.data_offset,
            model_id: None,
        })
    }

    /// The model id: the plain BLAKE3 hash of the file's bytes (as `b3sum` prints
    /// it), when the file was opened with [`GgufFile::open_hashed`].
    pub fn model_id(&self) -> Option<[u8; 32]> {
        self.model_id
    }

    /// The GGUF format version (2 or 3).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The metadata section.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// All tensor infos in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// The tensor data alignment in bytes.
    pub fn alignment(&self) -> u64 {
        self.alignment
    }

    /// Absolute offset of the tensor data region in the file.
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }

    /// The tensor called `name`, with its bytes.
    pub fn tensor(&self, name: &str) -> Result<TensorView<'_>, GgufError> {
        let &i = self
            .tensor_index
            .get(name)
            .ok_or_else(|| GgufError::MissingTensor(name.to_owned()))?;
        let info = &self.tensors[i];
        // Extents were validated at open time; recheck cheaply rather than index blindly.
        let start = self.data_offset.saturating_add(info.offset);
        let end = start.saturating_add(info.byte_len());
        let bytes = self.backing.bytes();
        let data = usize::try_from(start)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(s, e)| bytes.get(s..e))
            .ok_or_else(|| GgufError::corrupt(format!("tensor {name:?} lies outside the file")))?;
        Ok(TensorView { info, data })
    }

    /// Whether a tensor called `name` exists.
    pub fn has_tensor(&self, name: &str) -> bool {
        self.tensor_index.contains_key(name)
    }

    /// The file's size in bytes.
    pub fn file_size(&self) -> u64 {
        self.backing.bytes().len() as u64
    }

    /// The whole file's bytes (the memory map).
    pub fn bytes(&self) -> &[u8] {
        self.backing.bytes()
    }
}

/// BLAKE3 of `bytes`, reporting progress every few MiB.
fn hash_with_progress(bytes: &[u8], progress: &mut dyn FnMut(u64, u64)) -> [u8; 32] {
    let total = bytes.len() as u64;
    let mut hasher = blake3::Hasher::new();
    let mut done = 0u64;
    progress(0, total);
    for chunk in bytes.chunks(HASH_CHUNK) {
        // Multi-threaded over the chunk's 1 KiB BLAKE3 chunks (rayon pool).
        hasher.update_rayon(chunk);
        done += chunk.len() as u64;
        progress(done, total);
    }
    *hasher.finalize().as_bytes()
}

fn map_file(path: &Path) -> Result<memmap2::Mmap, GgufError> {
    let io = |source| GgufError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    // SAFETY: the map is read-only and private to this process. The model file is
    // not expected to change while the miner runs; if another process truncated it,
    // reads could fault (SIGBUS) — the same contract every mmap-based model loader
    // (llama.cpp, safetensors) has. Every access is bounds-checked against the
    // length of the map taken here.
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
    Ok(map)
}

/// The parsed header of a GGUF image.
struct Header {
    version: u32,
    metadata: Metadata,
    tensors: Vec<TensorInfo>,
    alignment: u64,
    data_offset: u64,
}

/// A bounds-checked little-endian cursor.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize, what: &dyn Fn() -> String) -> Result<&'a [u8], GgufError> {
        if n > self.remaining() {
            return Err(GgufError::Truncated {
                what: what(),
                offset: self.pos as u64,
                needed: n as u64,
                len: self.buf.len() as u64,
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &dyn Fn() -> String) -> Result<[u8; N], GgufError> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u32(&mut self, what: &dyn Fn() -> String) -> Result<u32, GgufError> {
        self.array(what).map(u32::from_le_bytes)
    }

    fn u64(&mut self, what: &dyn Fn() -> String) -> Result<u64, GgufError> {
        self.array(what).map(u64::from_le_bytes)
    }

    fn string(&mut self, what: &dyn Fn() -> String) -> Result<String, GgufError> {
        let len = self.u64(what)?;
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= self.remaining())
            .ok_or_else(|| GgufError::Truncated {
                what: what(),
                offset: self.pos as u64,
                needed: len,
                len: self.buf.len() as u64,
            })?;
        let bytes = self.take(len, what)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| GgufError::corrupt(format!("{} is not valid UTF-8", what())))
    }

    /// Checks that `count` elements of at least `min_size` bytes each can still
    /// fit, so `count` can be used to reserve memory.
    fn check_count(
        &self,
        count: u64,
        min_size: u64,
        what: &dyn Fn() -> String,
    ) -> Result<usize, GgufError> {
        let needed = count.saturating_mul(min_size);
        if needed > self.remaining() as u64 {
            return Err(GgufError::Truncated {
                what: what(),
                offset: self.pos as u64,
                needed,
                len: self.buf.len() as u64,
            });
        }
        usize::try_from(count)
            .map_err(|_| GgufError::corrupt(format!("{} count too large", what())))
    }
}

/// Smallest encoded size of a metadata value of type `code` (for bounding counts).
fn min_value_size(code: u32) -> u64 {
    match code {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        10..=12 => 8,
        // string: its u64 length; array: element type + count.
        8 => 8,
        9 => 12,
        _ => 1,
    }
}

fn read_value(
    r: &mut Reader<'_>,
    code: u32,
    depth: u32,
    key: &str,
) -> Result<MetaValue, GgufError> {
    let what = || format!("the value of metadata key {key:?}");
    Ok(match code {
        0 => MetaValue::U8(u8::from_le_bytes(r.array(&what)?)),
        1 => MetaValue::I8(i8::from_le_bytes(r.array(&what)?)),
        2 => MetaValue::U16(u16::from_le_bytes(r.array(&what)?)),
        3 => MetaValue::I16(i16::from_le_bytes(r.array(&what)?)),
        4 => MetaValue::U32(u32::from_le_bytes(r.array(&what)?)),
        5 => MetaValue::I32(i32::from_le_bytes(r.array(&what)?)),
        6 => MetaValue::F32(f32::from_le_bytes(r.array(&what)?)),
        7 => match r.array::<1>(&what)?[0] {
            0 => MetaValue::Bool(false),
            1 => MetaValue::Bool(true),
            b => {
                return Err(GgufError::corrupt(format!(
                    "metadata key {key:?} holds bool byte {b}, expected 0 or 1"
                )));
            }
        },
        8 => MetaValue::String(r.string(&what)?),
        9 => {
            if depth >= MAX_ARRAY_DEPTH {
                return Err(GgufError::corrupt(format!(
                    "metadata key {key:?} nests arrays deeper than {MAX_ARRAY_DEPTH}"
                )));
            }
            let elem = r.u32(&what)?;
            if elem > 12 {
                return Err(GgufError::corrupt(format!(
                    "metadata key {key:?} is an array of unknown value type {elem}"
                )));
            }
            let count = r.u64(&what)?;
            let count = r.check_count(count, min_value_size(elem), &what)?;
            let mut items = Vec::with_capacity(count);
            for _ in 0..count {
                items.push(read_value(r, elem, depth + 1, key)?);
            }
            MetaValue::Array(items)
        }
        10 => MetaValue::U64(u64::from_le_bytes(r.array(&what)?)),
        11 => MetaValue::I64(i64::from_le_bytes(r.array(&what)?)),
        12 => MetaValue::F64(f64::from_le_bytes(r.array(&what)?)),
        other => {
            return Err(GgufError::corrupt(format!(
                "metadata key {key:?} has unknown value type {other}"
            )));
        }
    })
}

fn parse_header(buf: &[u8]) -> Result<Header, GgufError> {
    let mut r = Reader { buf, pos: 0 };
    let magic: [u8; 4] = r.array(&|| "the magic bytes".to_owned())?;
    if magic != GGUF_MAGIC {
        return Err(GgufError::BadMagic(magic));
    }
    let version = r.u32(&|| "the version".to_owned())?;
    if version != 2 && version != 3 {
        return Err(GgufError::UnsupportedVersion(version));
    }
    let tensor_count = r.u64(&|| "the tensor count".to_owned())?;
    let kv_count = r.u64(&|| "the metadata count".to_owned())?;

    // Each key/value needs at least a key length (8) and a type (4) and one byte.
    let kv_count = r.check_count(kv_count, 13, &|| "metadata entries".to_owned())?;
    let mut entries = Vec::with_capacity(kv_count);
    for i in 0..kv_count {
        let key = r.string(&|| format!("metadata key #{i}"))?;
        let code = r.u32(&|| format!("the type of metadata key {key:?}"))?;
        let value = read_value(&mut r, code, 0, &key)?;
        entries.push((key, value));
    }
    let metadata = Metadata::from_entries(entries);

    let alignment = match metadata.get("general.alignment") {
        None => DEFAULT_ALIGNMENT,
        Some(_) => {
            let a = metadata.u64("general.alignment")?;
            if a == 0 || !a.is_power_of_two() || a > 1 << 20 {
                return Err(GgufError::corrupt(format!(
                    "general.alignment is {a}, expected a power of two up to 1 MiB"
                )));
            }
            a
        }
    };

    // Each tensor info needs a name length (8), n_dims (4), type (4) and offset (8).
    let tensor_count = r.check_count(tensor_count, 24, &|| "tensor infos".to_owned())?;
    let mut tensors = Vec::with_capacity(tensor_count);
    for i in 0..tensor_count {
        let name = r.string(&|| format!("the name of tensor #{i}"))?;
        let what = || format!("the info of tensor {name:?}");
        let n_dims = r.u32(&what)?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(GgufError::corrupt(format!(
                "tensor {name:?} has {n_dims} dimensions, expected 1 to {MAX_DIMS}"
            )));
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            dims.push(r.u64(&what)?);
        }
        let code = r.u32(&what)?;
        let ggml_type = GgmlType::from_code(code).ok_or_else(|| GgufError::UnknownType {
            tensor: name.clone(),
            code,
        })?;
        let offset = r.u64(&what)?;
        tensors.push(TensorInfo {
            name,
            dims,
            ggml_type,
            offset,
        });
    }

    let header_end = r.pos as u64;
    let data_offset = header_end.next_multiple_of(alignment);
    let file_len = buf.len() as u64;
    if data_offset > file_len && !tensors.is_empty() {
        return Err(GgufError::Truncated {
            what: "the tensor data region".to_owned(),
            offset: header_end,
            needed: data_offset - header_end,
            len: file_len,
        });
    }
    let data_len = file_len.saturating_sub(data_offset);

    let mut seen = HashMap::with_capacity(tensors.len());
    for (i, t) in tensors.iter().enumerate() {
        if seen.insert(t.name.as_str(), i).is_some() {
            return Err(GgufError::corrupt(format!(
                "tensor name {:?} appears twice",
                t.name
            )));
        }
        let elements = t
            .dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| {
                GgufError::corrupt(format!(
                    "tensor {:?} dimensions {:?} overflow",
                    t.name, t.dims
                ))
            })?;
        let bytes = t.ggml_type.bytes_for(elements).ok_or_else(|| {
            GgufError::corrupt(format!(
                "tensor {:?} has {elements} elements, not a whole number of {:?} blocks of {}",
                t.name,
                t.ggml_type,
                t.ggml_type.block_size()
            ))
        })?;
        if !t.dims[0].is_multiple_of(t.ggml_type.block_size()) {
            return Err(GgufError::corrupt(format!(
                "tensor {:?} rows of {} elements are not a whole number of {:?} blocks",
                t.name, t.dims[0], t.ggml_type
            )));
        }
        if !t.offset.is_multiple_of(alignment) {
            return Err(GgufError::corrupt(format!(
                "tensor {:?} offset {} is not a multiple of the alignment {alignment}",
                t.name, t.offset
            )));
        }
        let end = t.offset.checked_add(bytes).filter(|&e| e <= data_len);
        if end.is_none() {
            return Err(GgufError::Truncated {
                what: format!("the data of tensor {:?}", t.name),
                offset: data_offset.saturating_add(t.offset),
                needed: bytes,
                len: file_len,
            });
        }
    }

    Ok(Header {
        version,
        metadata,
        tensors,
        alignment,
        data_offset,
    })
}
