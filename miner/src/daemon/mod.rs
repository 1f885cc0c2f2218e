//! The serving daemon's parts (see the crate docs for the map).

pub mod attest;
pub mod backend;
pub mod identity;
pub mod prompt;
pub mod queue;
pub mod register;
pub mod secret;
pub mod serve;

pub use attest::{AttestError, AttestationMode};
pub use backend::EngineSet;
pub use identity::{IdentityError, MinerKey, PasswordSource};
pub use prompt::{Conversation, Role, Turn};
pub use queue::{JobQueue, QueueError};
pub use register::{ModelInfo, Registration};
pub use secret::Plaintext;
pub use serve::{Completion, Inference, JobRequest, ServeContext, ServeError, serve_job};
