//! What a sealed prompt's plaintext means: one user message, or a whole conversation.
//!
//! The rule is normative and written in `specs/prompt.md`; the wallet's
//! `Conversation::from_prompt` applies the same rule to a record's prompt bytes, so the two
//! sides agree on what the model was asked. In short: a UTF-8 text that is a JSON object
//! `{"messages":[{"role":…,"content":…},…]}` — exactly those keys, each message an object with
//! exactly `role` and `content` strings, roles `system` / `user` / `assistant`, between 1 and
//! [`MAX_MESSAGES`] messages, the last one from the `user`, the whole text at most
//! [`MAX_DOCUMENT_BYTES`] — is that conversation. Any other text is one user message whose
//! content is the whole text.
//!
//! Contents live in [`Plaintext`] (zeroized on drop, redacted when printed); a parse failure
//! ([`NotAConversation`]) says which rule failed, never the text.

use serde::Deserialize;
use zeroize::Zeroize;

use super::secret::Plaintext;

/// Most messages a conversation document may hold.
pub const MAX_MESSAGES: usize = 256;

/// Longest conversation document, in bytes (the chain's sealed-prompt limit is the same size
/// for its ciphertext, so a document that is sealed fits).
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Instructions for the model (`"system"`).
    System,
    /// The person asking (`"user"`).
    User,
    /// The model's earlier answers (`"assistant"`).
    Assistant,
}

impl Role {
    /// The role as the document and chat templates spell it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }

    fn parse(s: &str) -> Option<Role> {
        match s {
            "system" => Some(Role::System),
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            _ => None,
        }
    }
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// Who wrote it.
    pub role: Role,
    /// The text (redacted when printed).
    pub content: Plaintext,
}

/// Why a text is not a conversation document (it is then one user message). Names the rule
/// that failed, never the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotAConversation {
    /// Longer than [`MAX_DOCUMENT_BYTES`].
    #[error("longer than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge,
    /// Not JSON of the document's shape (an object with exactly `messages`, each message an
    /// object with exactly `role` and `content` strings, no duplicate keys).
    #[error("not a JSON object {{\"messages\":[{{\"role\":…,\"content\":…}},…]}}")]
    NotADocument,
    /// `messages` is empty.
    #[error("no messages")]
    Empty,
    /// More than [`MAX_MESSAGES`] messages.
    #[error("more than {MAX_MESSAGES} messages")]
    TooManyMessages,
    /// A role other than `system`, `user` or `assistant`.
    #[error("message {index} has a role other than system, user or assistant")]
    UnknownRole {
        /// The message's position, from 0.
        index: usize,
    },
    /// The last message is not the user's.
    #[error("the last message is not from the user")]
    LastNotUser,
}

/// A prompt as the model sees it: the conversation it stands for, and the text as sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    text: Plaintext,
    turns: Vec<Turn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    messages: Vec<Message>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Message {
    role: String,
    content: String,
}

impl Drop for Message {
    fn drop(&mut self) {
        self.content.zeroize();
    }
}

/// Whether `v` has the document's shape with objects only (serde's derive would also take
/// arrays in place of objects).
fn objects_only(v: &serde_json::Value) -> bool {
    let Some(top) = v.as_object() else {
        return false;
    };
    let Some(messages) = top.get("messages").and_then(serde_json::Value::as_array) else {
        return false;
    };
    top.len() == 1
        && messages.iter().all(|m| {
            m.as_object().is_some_and(|o| {
                o.len() == 2
                    && o.get("role").is_some_and(serde_json::Value::is_string)
                    && o.get("content").is_some_and(serde_json::Value::is_string)
            })
        })
}

/// Zeroizes every string in a parsed JSON value.
fn wipe(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => s.zeroize(),
        serde_json::Value::Array(a) => a.iter_mut().for_each(wipe),
        serde_json::Value::Object(o) => o.values_mut().for_each(wipe),
        _ => {}
    }
}

impl Conversation {
    /// The conversation `text` stands for: the document's messages when it is a conversation
    /// document, else one user message holding the whole text. Never fails.
    #[must_use]
    pub fn parse(text: Plaintext) -> Conversation {
        match Self::parse_document(text.expose()) {
            Ok(turns) => Conversation { text, turns },
            Err(_) => {
                let turns = vec![Turn {
                    role: Role::User,
                    content: text.clone(),
                }];
                Conversation { text, turns }
            }
        }
    }

    /// The messages of a conversation document, or which rule `text` breaks.
    pub fn parse_document(text: &str) -> Result<Vec<Turn>, NotAConversation> {
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(NotAConversation::TooLarge);
        }
        let mut shape: serde_json::Value =
            serde_json::from_str(text).map_err(|_| NotAConversation::NotADocument)?;
        let shaped = objects_only(&shape);
        wipe(&mut shape);
        if !shaped {
            return Err(NotAConversation::NotADocument);
        }
        // The derive rejects duplicate keys, which the `Value` parse above lets through.
        let doc: Document =
            serde_json::from_str(text).map_err(|_| NotAConversation::NotADocument)?;
        if doc.messages.is_empty() {
            return Err(NotAConversation::Empty);
        }
        if doc.messages.len() > MAX_MESSAGES {
            return Err(NotAConversation::TooManyMessages);
        }
        let mut turns = Vec::with_capacity(doc.messages.len());
        for (index, m) in doc.messages.iter().enumerate() {
            let role = Role::parse(&m.role).ok_or(NotAConversation::UnknownRole { index })?;
            turns.push(Turn {
                role,
                content: Plaintext::new(m.content.clone()),
            });
        }
        if turns.last().map(|t| t.role) != Some(Role::User) {
            return Err(NotAConversation::LastNotUser);
        }
        Ok(turns)
    }

    /// A conversation of one user message.
    #[must_use]
    pub fn single(text: Plaintext) -> Conversation {
        Conversation {
            turns: vec![Turn {
                role: Role::User,
                content: text.clone(),
            }],
            text,
        }
    }

    /// The messages, oldest first; never empty, the last one the user's.
    #[must_use]
    pub fn turns(&self) -> &[Turn] {
        &self.turns
    }

    /// The prompt text exactly as sealed (what a model without a chat template is given, and
    /// what the record keeps).
    #[must_use]
    pub fn text(&self) -> &Plaintext {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Conversation {
        Conversation::parse(Plaintext::new(s.to_owned()))
    }

    fn roles(c: &Conversation) -> Vec<&'static str> {
        c.turns().iter().map(|t| t.role.as_str()).collect()
    }

    fn contents(c: &Conversation) -> Vec<&str> {
        c.turns().iter().map(|t| t.content.expose()).collect()
    }

    #[test]
    fn a_bare_text_is_one_user_message() {
        let c = parse("What is the capital of France?");
        assert_eq!(roles(&c), ["user"]);
        assert_eq!(contents(&c), ["What is the capital of France?"]);
        assert_eq!(c.text().expose(), "What is the capital of France?");
    }

    #[test]
    fn the_wallets_second_turn_document_is_a_conversation() {
        let doc = r#"{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"},{"role":"user","content":"And \"you\"?\n"}]}"#;
        let c = parse(doc);
        assert_eq!(roles(&c), ["user", "assistant", "user"]);
        assert_eq!(contents(&c), ["Hi", "Hello!", "And \"you\"?\n"]);
        // The record keeps the bytes as sealed.
        assert_eq!(c.text().expose(), doc);
    }

    #[test]
    fn system_messages_whitespace_and_empty_contents_are_accepted() {
        let doc = " \n{ \"messages\" : [ {\"content\":\"be brief\",\"role\":\"system\"}, {\"role\":\"user\",\"content\":\"\"} ] }\n";
        let c = parse(doc);
        assert_eq!(roles(&c), ["system", "user"]);
        assert_eq!(contents(&c), ["be brief", ""]);
    }

    #[test]
    fn a_single_user_message_document_is_that_message() {
        let c = parse(r#"{"messages":[{"role":"user","content":"only"}]}"#);
        assert_eq!(roles(&c), ["user"]);
        assert_eq!(contents(&c), ["only"]);
    }

    #[test]
    fn each_broken_rule_falls_back_to_one_user_message() {
        let many = format!(
            r#"{{"messages":[{}]}}"#,
            vec![r#"{"role":"user","content":"x"}"#; MAX_MESSAGES + 1].join(",")
        );
        let huge = format!(
            r#"{{"messages":[{{"role":"user","content":"{}"}}]}}"#,
            "a".repeat(MAX_DOCUMENT_BYTES)
        );
        let cases: Vec<(String, NotAConversation)> = vec![
            ("not json".into(), NotAConversation::NotADocument),
            ("[]".into(), NotAConversation::NotADocument),
            ("\"text\"".into(), NotAConversation::NotADocument),
            ("{}".into(), NotAConversation::NotADocument),
            (r#"{"messages":{}}"#.into(), NotAConversation::NotADocument),
            (
                r#"{"messages":[{"role":"user","content":"a"}],"model":"x"}"#.into(),
                NotAConversation::NotADocument,
            ),
            (
                r#"{"messages":[{"role":"user","content":"a","name":"bob"}]}"#.into(),
                NotAConversation::NotADocument,
            ),
            (
                r#"{"messages":[{"role":"user"}]}"#.into(),
                NotAConversation::NotADocument,
            ),
            (
                r#"{"messages":[{"role":"user","content":7}]}"#.into(),
                NotAConversation::NotADocument,
            ),
            (
                r#"{"messages":[["user","a"]]}"#.into(),
                NotAConversation::NotADocument,
            ),
            (r#"[[["user","a"]]]"#.into(), NotAConversation::NotADocument),
            (
                r#"{"messages":[{"role":"user","role":"user","content":"a"}]}"#.into(),
                NotAConversation::NotADocument,
            ),
            (
                r#"{"messages":[{"role":"user","content":"a"}] trailing"#.into(),
                NotAConversation::NotADocument,
            ),
            (r#"{"messages":[]}"#.into(), NotAConversation::Empty),
            (many, NotAConversation::TooManyMessages),
            (
                r#"{"messages":[{"role":"tool","content":"a"},{"role":"user","content":"b"}]}"#
                    .into(),
                NotAConversation::UnknownRole { index: 0 },
            ),
            (
                r#"{"messages":[{"role":"User","content":"a"}]}"#.into(),
                NotAConversation::UnknownRole { index: 0 },
            ),
            (
                r#"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}"#
                    .into(),
                NotAConversation::LastNotUser,
            ),
            (huge, NotAConversation::TooLarge),
        ];
        for (text, why) in cases {
            assert_eq!(
                Conversation::parse_document(&text).err(),
                Some(why),
                "{why:?}"
            );
            let c = parse(&text);
            assert_eq!(roles(&c), ["user"], "{why:?}");
            assert_eq!(contents(&c), [text.as_str()], "{why:?}");
        }
    }

    #[test]
    fn errors_and_debug_never_show_the_contents() {
        let c = parse(r#"{"messages":[{"role":"user","content":"canary-91c2"}]}"#);
        assert!(!format!("{c:?}").contains("canary"));
        let e =
            Conversation::parse_document(r#"{"messages":[{"role":"canary-91c2","content":"x"}]}"#)
                .unwrap_err();
        assert!(!e.to_string().contains("canary"));
    }
}
