#![allow(clippy::unwrap_used, missing_docs)]
//! The real `infernet-miner` binary on a dev chain with a tiny GGUF model: it registers the
//! model and itself, serves a `SubmitJob` built here with the real crypto, and the record it
//! mints decrypts to the prompt and the answer `infernet-miner infer` gives. The prompt is a
//! unique canary, the daemon runs at `RUST_LOG=trace`, and afterwards the data dir (every
//! rocksdb value read back through rocksdb, and every file's raw bytes), the captured logs
//! and every RPC response are scanned for it — raw, hex and base64: zero hits.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use infernet_crypto::{Hash, RecordKey, ReplyPublicKey, seal};
use infernet_types::SubmitJob;
use infernet_types::sealing::{
    prompt_aad, prompt_info, record_key_aad, record_key_info, record_payload_aad,
};
use infernet_types::{
    Amount, ChainSpec, DecodeLimits, Encode, RecordPlaintext, SamplingParams, TxKind, decode_exact,
    dev_accounts,
};
use serde_json::{Value, json};
use support::{Rpc, amount, count_hits, files_under, h256, needles, rocksdb_dump, wait_for};

const BIN: &str = env!("CARGO_BIN_EXE_infernet-miner");

#[test]
fn daemon_serves_a_sealed_job_and_the_canary_never_leaks() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    infernet_engine::gguf::tiny::write_tiny_llama(
        &model,
        &infernet_engine::gguf::tiny::TinyConfig::default(),
        7,
    )
    .unwrap();
    let model_id = Hash(*blake3::hash(&std::fs::read(&model).unwrap()).as_bytes());
    let data = dir.path().join("data");
    let mut spec = support::DaemonSpec::new(dir.path());
    spec.data = data.clone();
    spec.models = vec![model.clone()];
    spec.attestation = "simulated";
    spec.rust_log = "trace";
    let mut daemon = spec.start("daemon");
    let (stdout_log, stderr_log) = (daemon.stdout.clone(), daemon.stderr.clone());
    let mut rpc = Rpc::new(daemon.rpc.addr.clone());

    // The daemon registers its model and itself.
    let miner = wait_for("the miner registration", 180, || {
        daemon.check_running();
        let page = rpc.try_call("state_getMiners", json!([null]))?;
        page["items"].as_array()?.first().cloned()
    });
    assert_eq!(h256(&miner["offers"][0]["model"]), model_id.0, "{miner}");
    let model_view = rpc.call("state_getModel", json!([hex::encode(model_id.0)]));
    assert_eq!(model_view["id"].as_str().unwrap(), hex::encode(model_id.0));
    let miner_addr = miner["address"]
        .as_str()
        .unwrap()
        .parse::<infernet_crypto::Address>()
        .unwrap();
    let serving_key = ReplyPublicKey(h256(&miner["serving_key"]));

    // A job with a unique canary prompt, sealed and signed here as the wallet does.
    let spec = ChainSpec::dev();
    let user = dev_accounts()[2].identity();
    let reply = user.reply_secret();
    let canary = format!(
        "canary-{}-zebra-quartz",
        hex::encode(Hash(*blake3::hash(dir.path().to_string_lossy().as_bytes()).as_bytes()).0)
            [..16]
            .to_owned()
    );
    let account = rpc.call("state_getAccount", json!([user.address().to_bech32()]));
    let nonce = account["next_nonce"].as_u64().unwrap();
    let balance_before = amount(&account["balance"]);
    let sampling = SamplingParams {
        temperature_milli: 800,
        top_p_milli: 950,
        top_k: 20,
        seed: 11,
    };
    let sealed = seal::seal(
        &serving_key,
        &prompt_info(spec.chain_id),
        &prompt_aad(&user.address(), &miner_addr, &model_id, nonce),
        canary.as_bytes(),
    )
    .unwrap();
    let tip = rpc.call("chain_getTip", json!([]));
    let height = tip["height"]
        .as_u64()
        .or_else(|| tip["header"]["height"].as_u64())
        .unwrap();
    let kind = TxKind::SubmitJob(SubmitJob {
        miner: miner_addr,
        model: model_id,
        sealed_prompt: sealed,
        reply_key: reply.public_key(),
        max_input_tokens: 200,
        max_output_tokens: 24,
        price_in: Amount(1000),
        price_out: Amount(3000),
        sampling,
        expiry: height + 60,
        require_attestation: true,
    });
    let signed = support::sign_at(&user, nonce, kind);
    let fee = signed.tx.fee.0;
    let job_id = signed.txid();
    rpc.call("tx_send", json!([hex::encode(signed.encode())]));

    // The result is mined: a record owned by the user.
    let started = Instant::now();
    let record = loop {
        let r = rpc.try_call("state_getRecord", json!([hex::encode(job_id.0)]));
        if let Some(r) = r.filter(|r| !r.is_null()) {
            break r;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let log = std::fs::read_to_string(&stderr_log).unwrap_or_default();
            let lines: Vec<&str> = log
                .lines()
                .filter(|l| l.contains("job") || l.contains("WARN") || l.contains("result"))
                .take(40)
                .collect();
            panic!("no record after 120 s; daemon log:\n{}", lines.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        record["owner"]
            .as_str()
            .unwrap()
            .parse::<infernet_crypto::Address>()
            .unwrap(),
        user.address()
    );
    let sealed_key = infernet_crypto::seal::SealedBox {
        enc: h256(&record["sealed_key"]["enc"]),
        ciphertext: hex::decode(record["sealed_key"]["ciphertext"].as_str().unwrap()).unwrap(),
    };
    let key = seal::open(
        &reply,
        &record_key_info(spec.chain_id),
        &record_key_aad(&job_id, &user.address()),
        &sealed_key,
    )
    .unwrap();
    let key = RecordKey::from_bytes(key.as_slice().try_into().unwrap());
    let payload = hex::decode(record["payload"].as_str().unwrap()).unwrap();
    let plain = infernet_crypto::record::decrypt(
        &key,
        &record_payload_aad(spec.chain_id, &job_id),
        &payload,
    )
    .unwrap();
    let plain = decode_exact::<RecordPlaintext>(&plain, &DecodeLimits::default()).unwrap();
    assert_eq!(plain.prompt, canary.as_bytes());
    assert_eq!(h256(&record["commitment"]), plain.commitment().0);

    // The answer equals `infernet-miner infer` on the same model, prompt, seed and parameters.
    let infer = Command::new(BIN)
        .arg("infer")
        .arg("--model")
        .arg(&model)
        .args([
            "--chat",
            &canary,
            "--max-tokens",
            "24",
            "--temperature",
            "0.8",
        ])
        .args([
            "--top-p",
            "0.95",
            "--top-k",
            "20",
            "--seed",
            "11",
            "--threads",
            "1",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        infer.status.success(),
        "{}",
        String::from_utf8_lossy(&infer.stderr)
    );
    let infer: Value = serde_json::from_slice(&infer.stdout).unwrap();
    assert_eq!(
        String::from_utf8(plain.answer.clone()).unwrap(),
        infer["text"].as_str().unwrap()
    );

    // The user paid exactly the fee and the cost (the rest of the escrow came back).
    let tin = u64::from(record["input_tokens"].as_u64().unwrap() as u32);
    let tout = record["output_tokens"].as_u64().unwrap();
    assert_eq!(tout, infer["tokens"].as_array().unwrap().len() as u64);
    let cost = tin * 1000 + tout * 3000;
    let after =
        amount(&rpc.call("state_getAccount", json!([user.address().to_bech32()]))["balance"]);
    assert_eq!(after, balance_before - fee - cost);

    // Stop the daemon, then scan everything it wrote or answered.
    daemon.proc.terminate(30);
    let needles = needles(&canary);
    let (values, db_bytes) = rocksdb_dump(&data);
    assert!(values > 10, "the scan read the store ({values} values)");
    assert_eq!(
        count_hits(&db_bytes, &needles),
        0,
        "canary in a rocksdb value"
    );
    for f in &files_under(&data) {
        let bytes = std::fs::read(f).unwrap();
        assert_eq!(count_hits(&bytes, &needles), 0, "canary in {}", f.display());
    }
    let logs = [
        std::fs::read(&stdout_log).unwrap(),
        std::fs::read(&stderr_log).unwrap(),
    ]
    .concat();
    assert!(
        logs.len() > 1000,
        "trace logs were captured ({} bytes)",
        logs.len()
    );
    assert_eq!(count_hits(&logs, &needles), 0, "canary in the logs");
    let responses = rpc.responses.concat();
    assert!(rpc.responses.len() > 3);
    assert_eq!(
        count_hits(responses.as_bytes(), &needles),
        0,
        "canary in an RPC response"
    );
    // The scan itself finds the canary where it is: in the decrypted payload.
    assert!(count_hits(&plain.prompt, &needles) > 0);
}
