#![allow(clippy::unwrap_used, missing_docs)]
//! The daemon's serving path against the real consensus rules, on an in-memory chain
//! (`infernet_consensus::MemoryState`, blocks built and applied exactly as a node does):
//! registration, a job sealed with the real crypto, the `PostResult` the daemon builds,
//! settlement (cost, royalty, refund), the record the user decrypts, expiry refunds, and
//! tampered results that the chain rejects.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use infernet_consensus::{
    BlockContext, MemoryState, StateView, TxError, apply_block, build_block, check_tx,
    genesis_block, mine,
};
use infernet_crypto::{Address, Hash, Identity, RecordKey, ReplySecret, seal};
use infernet_miner::daemon::queue::JobOutcome;
use infernet_miner::daemon::serve::{InferenceError, TokenLimits};
use infernet_miner::daemon::{
    AttestationMode, Completion, Conversation, EngineSet, Inference, JobQueue, JobRequest,
    ModelInfo, Plaintext, Registration, ServeContext, ServeError, serve_job,
};
use infernet_node::producer::MiningPause;
use infernet_testkit::tx::{self, Fee};
use infernet_types::sealing::{
    prompt_aad, prompt_info, record_key_aad, record_key_info, record_payload_aad,
};
use infernet_types::{
    Account, Amount, ChainSpec, DecodeLimits, Header, Job, JobStatus, Miner, ModelId, Offer,
    Record, RecordPlaintext, SamplingParams, SignedTransaction, StateKey, StateValue, TxKind,
    decode_exact, dev_accounts,
};
use infernet_types::{PostResult, SubmitJob, Transfer};

const PRICE_IN: Amount = Amount(1_000);
const PRICE_OUT: Amount = Amount(3_000);
const ROYALTY_BPS: u16 = 1_000;

/// A stand-in model: answers with the prompt reversed, one token per character, so token
/// counts are known exactly.
struct Reverse;

impl Inference for Reverse {
    fn complete(
        &self,
        _model: &ModelId,
        conversation: &Conversation,
        _sampling: &SamplingParams,
        limits: TokenLimits,
    ) -> Result<Completion, InferenceError> {
        let prompt = conversation.text();
        let input = prompt.expose().chars().count();
        if input > limits.max_input as usize {
            return Err(InferenceError::PromptTooLong {
                tokens: input,
                max: limits.max_input,
            });
        }
        let answer: String = prompt
            .expose()
            .chars()
            .rev()
            .take(limits.max_output as usize)
            .collect();
        Ok(Completion {
            output_tokens: answer.chars().count() as u32,
            input_tokens: input as u32,
            answer: Plaintext::new(answer),
        })
    }
}

struct Chain {
    spec: ChainSpec,
    state: MemoryState,
    tip: Header,
    times: Vec<u64>,
}

impl Chain {
    fn new() -> Self {
        let spec = ChainSpec::dev();
        let (genesis, delta) = genesis_block(&spec).unwrap();
        let mut state = MemoryState::new();
        state.apply(&delta);
        Chain {
            times: vec![genesis.header.timestamp],
            tip: genesis.header,
            state,
            spec,
        }
    }

    fn height(&self) -> u64 {
        self.tip.height
    }

    /// Mines one block with `txs`; every one must be included.
    fn mine(&mut self, txs: Vec<SignedTransaction>) {
        let want = txs.len();
        let ts = self.tip.timestamp + 2;
        let recent: Vec<u64> = self.times.iter().rev().take(11).copied().collect();
        let ctx = BlockContext::new(&self.spec, &self.tip, &recent, ts + 10);
        let mut t = build_block(&self.state, &ctx, ts, Address([0xcb; 32]), txs).unwrap();
        assert!(t.rejected.is_empty(), "rejected: {:?}", t.rejected);
        assert_eq!(t.block.txs.len(), want, "all transactions included");
        assert!(mine(&mut t.block.header, 1_000_000));
        let delta = apply_block(&self.state, &t.block, &ctx).unwrap();
        self.state.apply(&delta);
        self.tip = t.block.header;
        self.times.push(ts);
    }

    fn get(&self, key: StateKey) -> Option<StateValue> {
        self.state.get(&key).unwrap()
    }

    fn account(&self, a: Address) -> Account {
        match self.get(StateKey::Account(a)) {
            Some(StateValue::Account(acc)) => acc,
            None => Account {
                balance: Amount::ZERO,
                nonce: 0,
                reply_key: None,
            },
            other => panic!("not an account: {other:?}"),
        }
    }

    fn balance(&self, a: Address) -> u64 {
        self.account(a).balance.0
    }

    fn miner(&self, a: Address) -> Option<Miner> {
        match self.get(StateKey::Miner(a)) {
            Some(StateValue::Miner(m)) => Some(m),
            _ => None,
        }
    }

    fn job(&self, id: Hash) -> Job {
        match self.get(StateKey::Job(id)) {
            Some(StateValue::Job(j)) => j,
            other => panic!("no job: {other:?}"),
        }
    }

    fn record(&self, id: Hash) -> Option<Record> {
        match self.get(StateKey::Record(id)) {
            Some(StateValue::Record(r)) => Some(r),
            _ => None,
        }
    }

    fn sign(&self, who: &Identity, kind: TxKind) -> SignedTransaction {
        let a = who.address();
        let fee = Fee::PerByte(self.spec.min_fee_per_byte);
        tx::sign(who, self.spec.chain_id, self.account(a).nonce, fee, kind)
    }
}

struct World {
    chain: Chain,
    owner: Identity,
    miner: Identity,
    user: Identity,
    model: ModelId,
    ctx: ServeContext,
}

/// Genesis, a model registered by its owner, a funded miner registered with simulated
/// attestation.
fn world() -> World {
    let mut chain = Chain::new();
    let devs = dev_accounts();
    let owner = devs[1].identity();
    let user = devs[2].identity();
    let funder = devs[0].identity();
    let miner = Identity::from_seed(&infernet_crypto::Seed::from_bytes([42; 32]));
    let model = ModelInfo {
        id: Hash([0x5a; 32]),
        name: "tiny".into(),
        architecture: "llama".into(),
        context_length: 256,
    };
    let fund = chain.sign(
        &funder,
        TxKind::Transfer(Transfer {
            to: miner.address(),
            amount: Amount(1_000 * infernet_types::BASE_UNITS_PER_INF),
        }),
    );
    let reg_model = chain.sign(&owner, model.register_kind(ROYALTY_BPS));
    chain.mine(vec![fund, reg_model]);

    let offers = vec![Offer {
        model: model.id,
        price_in: PRICE_IN,
        price_out: PRICE_OUT,
        max_output_tokens: 64,
    }];
    let ctx = ServeContext::new(
        chain.spec.chain_id,
        miner.clone(),
        offers.clone(),
        AttestationMode::Simulated,
    );
    let registration = Registration {
        serving_key: ctx.serving.public_key(),
        offers,
        p2p_addr: "/ip4/127.0.0.1/tcp/4001".into(),
        attestation: AttestationMode::Simulated
            .registration(&ctx.serving.public_key(), &[model.id]),
    };
    let kind = registration
        .kind_for(
            chain.miner(miner.address()).as_ref(),
            chain.spec.min_miner_bond,
        )
        .unwrap();
    let reg = chain.sign(&miner, kind);
    chain.mine(vec![reg]);
    let on_chain = chain.miner(miner.address()).expect("miner registered");
    assert!(registration.is_current(&on_chain));
    assert_eq!(
        registration.kind_for(Some(&on_chain), chain.spec.min_miner_bond),
        None,
        "a current registration is not sent again"
    );
    World {
        chain,
        owner,
        miner,
        user,
        model: model.id,
        ctx,
    }
}

/// A `SubmitJob` sealed with the real crypto, as the wallet builds it.
fn submit(w: &World, prompt: &str, reply: &ReplySecret, expiry_in: u64) -> SignedTransaction {
    submit_for(w, w.model, 100, prompt, reply, expiry_in)
}

/// [`submit`] for `model`, paying for `max_input_tokens`.
fn submit_for(
    w: &World,
    model: ModelId,
    max_input_tokens: u32,
    prompt: &str,
    reply: &ReplySecret,
    expiry_in: u64,
) -> SignedTransaction {
    let nonce = w.chain.account(w.user.address()).nonce;
    let sealed = seal::seal(
        &w.ctx.serving.public_key(),
        &prompt_info(w.chain.spec.chain_id),
        &prompt_aad(&w.user.address(), &w.miner.address(), &model, nonce),
        prompt.as_bytes(),
    )
    .unwrap();
    w.chain.sign(
        &w.user,
        TxKind::SubmitJob(SubmitJob {
            miner: w.miner.address(),
            model,
            sealed_prompt: sealed,
            reply_key: reply.public_key(),
            max_input_tokens,
            max_output_tokens: 40,
            price_in: PRICE_IN,
            price_out: PRICE_OUT,
            sampling: SamplingParams {
                temperature_milli: 700,
                top_p_milli: 900,
                top_k: 40,
                seed: 7,
            },
            expiry: w.chain.height() + expiry_in,
            require_attestation: true,
        }),
    )
}

fn open_record(w: &World, record: &Record, reply: &ReplySecret) -> RecordPlaintext {
    let key = seal::open(
        reply,
        &record_key_info(w.chain.spec.chain_id),
        &record_key_aad(&record.id, &w.user.address()),
        &record.sealed_key,
    )
    .unwrap();
    let key = RecordKey::from_bytes(key.as_slice().try_into().unwrap());
    let bytes = infernet_crypto::record::decrypt(
        &key,
        &record_payload_aad(w.chain.spec.chain_id, &record.id),
        &record.payload,
    )
    .unwrap();
    decode_exact::<RecordPlaintext>(&bytes, &DecodeLimits::default()).unwrap()
}

#[test]
fn served_job_settles_and_mints_a_record_the_user_decrypts() {
    let mut w = world();
    let reply = w.user.reply_secret();
    let prompt = "What is the capital of France?";
    let job_tx = submit(&w, prompt, &reply, 10);
    let job_fee = job_tx.tx.fee.0;
    let user_before = w.chain.balance(w.user.address());
    let owner_before = w.chain.balance(w.owner.address());
    w.chain.mine(vec![job_tx.clone()]);

    let job = JobRequest::from_tx(&job_tx).unwrap();
    let result = serve_job(&w.ctx, &job, &Reverse).unwrap();
    let post = w.chain.sign(&w.miner, result);
    let post_fee = post.tx.fee.0;
    let miner_before = w.chain.balance(w.miner.address());
    w.chain.mine(vec![post]);

    // The job is settled and the record belongs to the user.
    assert!(matches!(
        w.chain.job(job.id).status,
        JobStatus::Completed { .. }
    ));
    let record = w.chain.record(job.id).expect("record minted");
    assert_eq!(record.owner, w.user.address());

    // The user decrypts prompt and answer; the receipt's commitment matches them.
    let plain = open_record(&w, &record, &reply);
    assert_eq!(plain.prompt, prompt.as_bytes());
    let expected: String = prompt.chars().rev().collect();
    assert_eq!(plain.answer, expected.as_bytes());
    assert_eq!(record.receipt.commitment, plain.commitment());
    record
        .receipt
        .verify(w.chain.spec.chain_id, &record.receipt_signature)
        .unwrap();

    // Balances move by exactly the cost, the royalty and the refund.
    let tin = prompt.chars().count() as u64;
    let tout = expected.chars().count() as u64;
    assert_eq!(
        (
            record.receipt.input_tokens as u64,
            record.receipt.output_tokens as u64
        ),
        (tin, tout)
    );
    let cost = tin * PRICE_IN.0 + tout * PRICE_OUT.0;
    let royalty = cost * u64::from(ROYALTY_BPS) / 10_000;
    assert_eq!(
        w.chain.balance(w.user.address()),
        user_before - job_fee - cost
    );
    assert_eq!(w.chain.balance(w.owner.address()), owner_before + royalty);
    assert_eq!(
        w.chain.balance(w.miner.address()),
        miner_before + cost - royalty - post_fee
    );
    assert_eq!(
        w.chain.miner(w.miner.address()).unwrap().reputation.served,
        1
    );
}

#[test]
fn job_to_a_stopped_miner_expires_and_is_refunded_in_full() {
    let mut w = world();
    let reply = w.user.reply_secret();
    let job_tx = submit(&w, "nobody answers", &reply, 3);
    let fee = job_tx.tx.fee.0;
    let before = w.chain.balance(w.user.address());
    let expiry = w.chain.height() + 3;
    w.chain.mine(vec![job_tx.clone()]);
    let escrowed = w.chain.balance(w.user.address());
    assert!(escrowed < before - fee, "the maximum cost is escrowed");
    while w.chain.height() < expiry {
        w.chain.mine(Vec::new());
    }
    let id = job_tx.txid();
    assert!(matches!(w.chain.job(id).status, JobStatus::Expired { .. }));
    assert_eq!(
        w.chain.balance(w.user.address()),
        before - fee,
        "refunded in full"
    );
    assert!(w.chain.record(id).is_none());
    assert_eq!(
        w.chain.miner(w.miner.address()).unwrap().reputation.expired,
        1
    );

    // A result posted after expiry is rejected.
    let late = serve_job(&w.ctx, &JobRequest::from_tx(&job_tx).unwrap(), &Reverse).unwrap();
    let late = w.chain.sign(&w.miner, late);
    let err = check_tx(&w.chain.state, &w.chain.spec, w.chain.height() + 1, &late).unwrap_err();
    assert!(matches!(err, TxError::JobNotPending { .. }), "{err:?}");
}

#[test]
fn tampered_results_are_rejected_by_consensus() {
    let mut w = world();
    let reply = w.user.reply_secret();
    let job_tx = submit(&w, "tamper with me", &reply, 10);
    w.chain.mine(vec![job_tx.clone()]);
    let job = JobRequest::from_tx(&job_tx).unwrap();
    let h = w.chain.height() + 1;
    let check = |tx: &SignedTransaction| check_tx(&w.chain.state, &w.chain.spec, h, tx);

    let good = serve_job(&w.ctx, &job, &Reverse).unwrap();
    check(&w.chain.sign(&w.miner, good.clone())).unwrap();

    // A receipt that claims other token counts than the transaction.
    let mut wrong = good.clone();
    if let TxKind::PostResult(PostResult { receipt, .. }) = &mut wrong {
        receipt.output_tokens += 1;
    }
    let err = check(&w.chain.sign(&w.miner, wrong)).unwrap_err();
    assert!(matches!(err, TxError::ReceiptMismatch { .. }), "{err:?}");

    // A receipt re-signed by someone else.
    let mut forged = good.clone();
    if let TxKind::PostResult(PostResult {
        receipt,
        receipt_signature,
        ..
    }) = &mut forged
    {
        *receipt_signature = receipt.sign(&w.owner, w.chain.spec.chain_id);
    }
    let err = check(&w.chain.sign(&w.miner, forged)).unwrap_err();
    assert!(matches!(err, TxError::BadReceiptSignature), "{err:?}");

    // The right result posted by another account.
    let err = check(&w.chain.sign(&w.owner, good.clone())).unwrap_err();
    assert!(matches!(err, TxError::NotJobMiner), "{err:?}");

    // Evidence that does not bind this result.
    let mut no_evidence = good;
    if let TxKind::PostResult(PostResult { attestation, .. }) = &mut no_evidence {
        *attestation = None;
    }
    let err = check(&w.chain.sign(&w.miner, no_evidence)).unwrap_err();
    assert!(matches!(err, TxError::EvidenceRejected { .. }), "{err:?}");
}

#[test]
fn the_miner_refuses_jobs_it_cannot_open_or_serve() {
    let w = world();
    let reply = w.user.reply_secret();
    let job_tx = submit(&w, "hello", &reply, 10);
    let job = JobRequest::from_tx(&job_tx).unwrap();

    // Another miner's context cannot open the prompt (and is not addressed).
    let other = ServeContext::new(
        w.chain.spec.chain_id,
        Identity::from_seed(&infernet_crypto::Seed::from_bytes([43; 32])),
        w.ctx.offers.clone(),
        AttestationMode::Simulated,
    );
    assert!(matches!(
        serve_job(&other, &job, &Reverse),
        Err(ServeError::NotOurs { .. })
    ));

    // The prompt bound to another nonce does not open.
    let mut replayed = job.clone();
    replayed.nonce += 1;
    assert!(matches!(
        serve_job(&w.ctx, &replayed, &Reverse),
        Err(ServeError::OpenPrompt { .. })
    ));

    // Attestation required but the daemon runs without it.
    let plain = ServeContext::new(
        w.chain.spec.chain_id,
        w.miner.clone(),
        w.ctx.offers.clone(),
        AttestationMode::None,
    );
    let err = serve_job(&plain, &job, &Reverse).unwrap_err();
    assert!(matches!(err, ServeError::AttestationRequired { .. }));
    // Error messages never carry the plaintext.
    assert!(!err.to_string().contains("hello"));

    // A prompt longer than the job pays for.
    let mut short = job;
    short.max_input_tokens = 2;
    let err = serve_job(&w.ctx, &short, &Reverse).unwrap_err();
    assert!(matches!(
        err,
        ServeError::Inference(InferenceError::PromptTooLong { .. })
    ));
}

#[test]
fn the_worker_queue_serves_each_job_once_and_skips_late_ones() {
    let mut w = world();
    let reply = w.user.reply_secret();
    let job_tx = submit(&w, "queued prompt", &reply, 10);
    w.chain.mine(vec![job_tx.clone()]);
    let job = JobRequest::from_tx(&job_tx).unwrap();

    let tip = Arc::new(AtomicU64::new(w.chain.height()));
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&outcomes);
    let ctx = Arc::new(ServeContext::new(
        w.chain.spec.chain_id,
        w.miner.clone(),
        w.ctx.offers.clone(),
        AttestationMode::Simulated,
    ));
    let queue = JobQueue::start(
        1,
        2,
        ctx,
        Arc::new(Reverse),
        Arc::clone(&tip),
        Arc::new(move |o: JobOutcome| sink.lock().unwrap().push(o)),
        None,
    )
    .unwrap();
    assert!(queue.offer(job.clone()).unwrap(), "queued from the mempool");
    assert!(
        !queue.offer(job.clone()).unwrap(),
        "the same job from a block is not served twice"
    );

    let mut late = job.clone();
    late.id = Hash([9; 32]);
    late.expiry = w.chain.height() + 1;
    assert!(
        queue.offer(late).is_err(),
        "a job expiring next block is not queued"
    );

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while queue.pending() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(queue);
    let outcomes = std::mem::take(&mut *outcomes.lock().unwrap());
    assert_eq!(outcomes.len(), 1);
    let JobOutcome::Served { result, .. } = outcomes.into_iter().next().unwrap() else {
        panic!("not served");
    };
    // What the queue produced is a valid result on chain.
    let post = w.chain.sign(&w.miner, *result);
    w.chain.mine(vec![post]);
    assert!(w.chain.record(job.id).is_some());
}

/// A model that answers only when the test lets it ([`Reverse`] then).
struct Gate(Mutex<std::sync::mpsc::Receiver<()>>);

impl Inference for Gate {
    fn complete(
        &self,
        model: &ModelId,
        conversation: &Conversation,
        sampling: &SamplingParams,
        limits: TokenLimits,
    ) -> Result<Completion, InferenceError> {
        self.0.lock().unwrap().recv().unwrap();
        Reverse.complete(model, conversation, sampling, limits)
    }
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn mining_is_paused_while_a_job_waits_or_runs() {
    let mut w = world();
    let reply = w.user.reply_secret();
    let first = submit(&w, "first", &reply, 10);
    w.chain.mine(vec![first.clone()]);
    let second = submit(&w, "second", &reply, 10);
    w.chain.mine(vec![second.clone()]);

    let (go, gate) = std::sync::mpsc::channel();
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&outcomes);
    let pause = MiningPause::new();
    let queue = JobQueue::start(
        1,
        4,
        Arc::new(ServeContext::new(
            w.chain.spec.chain_id,
            w.miner.clone(),
            w.ctx.offers.clone(),
            AttestationMode::Simulated,
        )),
        Arc::new(Gate(Mutex::new(gate))),
        Arc::new(AtomicU64::new(w.chain.height())),
        Arc::new(move |o: JobOutcome| sink.lock().unwrap().push(o)),
        Some(pause.clone()),
    )
    .unwrap();
    assert!(!pause.is_paused(), "an idle miner mines");
    assert!(queue.offer(JobRequest::from_tx(&first).unwrap()).unwrap());
    assert!(queue.offer(JobRequest::from_tx(&second).unwrap()).unwrap());
    assert!(pause.is_paused(), "queued jobs pause mining");
    assert_eq!(queue.pending(), 2);

    // The first job is running (blocked in the model), the second waits.
    go.send(()).unwrap();
    wait_until("the first job served", || {
        outcomes.lock().unwrap().len() == 1
    });
    assert!(pause.is_paused(), "the second job still holds the pause");
    go.send(()).unwrap();
    wait_until("mining resumed", || !pause.is_paused());
    assert_eq!(outcomes.lock().unwrap().len(), 2);
    assert_eq!(queue.pending(), 0);
    drop(queue);
}

#[test]
fn a_conversation_is_rendered_whole_through_the_chat_template() {
    use infernet_engine::engine::Engine;
    use infernet_engine::gguf::tiny::{TinyConfig, write_tiny_llama};
    use infernet_engine::model::ModelOptions;
    use infernet_engine::template::ChatMessage;
    use infernet_miner::daemon::backend::chat_template_of;

    let w = world();
    let reply = w.user.reply_secret();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_tiny_llama(&path, &TinyConfig::default(), 5).unwrap();
    let load = || Engine::load(&path, &ModelOptions::default(), &mut |_, _| {}).unwrap();
    let reference = load();
    let template = chat_template_of(&path)
        .unwrap()
        .expect("the tiny model has a template");
    let mut engines = EngineSet::new();
    let info = engines.add("tiny".into(), load(), chat_template_of(&path).unwrap());
    let ctx = ServeContext::new(
        w.chain.spec.chain_id,
        w.miner.clone(),
        vec![Offer {
            model: info.id,
            price_in: PRICE_IN,
            price_out: PRICE_OUT,
            max_output_tokens: 2,
        }],
        AttestationMode::Simulated,
    );
    let serve = |prompt: &str| {
        let tx = submit_for(&w, info.id, 4_000, prompt, &reply, 10);
        let job = JobRequest::from_tx(&tx).unwrap();
        let TxKind::PostResult(PostResult {
            input_tokens,
            sealed_record_key,
            payload,
            ..
        }) = serve_job(&ctx, &job, &engines).unwrap()
        else {
            panic!("not a PostResult")
        };
        let key = seal::open(
            &reply,
            &record_key_info(w.chain.spec.chain_id),
            &record_key_aad(&job.id, &w.user.address()),
            &sealed_record_key,
        )
        .unwrap();
        let key = RecordKey::from_bytes(key.as_slice().try_into().unwrap());
        let bytes = infernet_crypto::record::decrypt(
            &key,
            &record_payload_aad(w.chain.spec.chain_id, &job.id),
            &payload,
        )
        .unwrap();
        let pt = decode_exact::<RecordPlaintext>(&bytes, &DecodeLimits::default()).unwrap();
        (input_tokens as usize, pt.prompt.clone())
    };

    // One user message: exactly `infer --chat`'s rendering.
    let (tokens, prompt) = serve("language model");
    assert_eq!(
        tokens,
        reference.encode_chat("language model").unwrap().len()
    );
    assert_eq!(prompt, b"language model");

    // The wallet's second-turn document: the three messages through the template.
    let doc = r#"{"messages":[{"role":"user","content":"hello model"},{"role":"assistant","content":"greedy decoding"},{"role":"user","content":"language model"}]}"#;
    let messages = [
        ChatMessage::user("hello model"),
        ChatMessage::new("assistant", "greedy decoding"),
        ChatMessage::user("language model"),
    ];
    let rendered = template.render(&messages, true).unwrap();
    assert!(
        rendered.contains("assistant\ngreedy decoding"),
        "{rendered}"
    );
    let want = reference.tokenizer().encode(&rendered, false).len();
    let (tokens, prompt) = serve(doc);
    assert_eq!(
        tokens, want,
        "the prompt tokens are the conversation's rendering"
    );
    assert_ne!(
        tokens,
        reference.encode_chat(doc).unwrap().len(),
        "not the document as one user message"
    );
    assert_eq!(
        prompt,
        doc.as_bytes(),
        "the record keeps the plaintext as sealed"
    );

    // A document breaking the rule (last message from the assistant) is one user message.
    let odd = r#"{"messages":[{"role":"user","content":"hello"},{"role":"assistant","content":"model"}]}"#;
    let (tokens, _) = serve(odd);
    assert_eq!(tokens, reference.encode_chat(odd).unwrap().len());
}
