#![allow(clippy::unwrap_used, missing_docs)]
//! The open-time consistency check against tampered stores, the record-owner index, and
//! crash safety: a child process killed with SIGKILL while importing leaves a store that
//! reopens consistent.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::{Chain, NOW, extend, init, reopen, transfer};
use infernet_consensus::{
    BlockContext, StateAccumulator, StateDelta, StateView, build_block, mine,
};
use infernet_crypto::{Address, Hash};
use infernet_storage::{Inconsistency, StorageError, Store};
use infernet_types::{
    Amount, Block, Coinbase, Encode, Header, Record, StateKey, StateValue, Target,
};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

const CFS: [&str; 10] = [
    "meta",
    "headers",
    "bodies",
    "main_index",
    "state",
    "undo",
    "tx_index",
    "record_owner",
    "record_history",
    "history_by_height",
];

/// Opens the raw rocksdb behind a (closed) store, to damage it.
fn raw(path: &Path) -> rocksdb::DB {
    rocksdb::DB::open_cf(&rocksdb::Options::default(), path, CFS).unwrap()
}

/// Builds a 3-block store, closes it, applies `edit` to the raw rocksdb, and returns the
/// error `Store::open` then gives.
fn tampered(edit: impl FnOnce(&rocksdb::DB)) -> StorageError {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new();
    let store = init(dir.path(), &chain);
    extend(&mut chain, &store, 3, 2, 0);
    let path = store.path().to_path_buf();
    drop(store);
    {
        let db = raw(&path);
        edit(&db);
    }
    Store::open(&path).unwrap_err()
}

/// Marks the store as written by schema version 1.
fn write_schema_version_1(db: &rocksdb::DB) {
    db.put_cf(
        db.cf_handle("meta").unwrap(),
        b"schema_version",
        1u32.to_le_bytes(),
    )
    .unwrap();
}

fn assert_refused_as_schema_1(err: &StorageError) {
    assert!(
        matches!(
            err,
            StorageError::SchemaVersion {
                found: 1,
                expected: 2
            }
        ),
        "{err}"
    );
}

fn tip_hash(db: &rocksdb::DB) -> Vec<u8> {
    db.get_cf(db.cf_handle("meta").unwrap(), b"tip")
        .unwrap()
        .unwrap()
}

#[test]
fn missing_undo_is_refused() {
    let err = tampered(|db| {
        let tip = tip_hash(db);
        db.delete_cf(db.cf_handle("undo").unwrap(), &tip).unwrap();
    });
    assert!(
        matches!(
            err,
            StorageError::Inconsistent(Inconsistency::MissingUndo { height: 3, .. })
        ),
        "{err}"
    );
}

#[test]
fn corrupt_accumulator_is_refused() {
    let err = tampered(|db| {
        let meta = db.cf_handle("meta").unwrap();
        let mut acc = db.get_cf(meta, b"state_acc").unwrap().unwrap();
        acc[0] ^= 1;
        db.put_cf(meta, b"state_acc", &acc).unwrap();
    });
    assert!(
        matches!(
            err,
            StorageError::Inconsistent(Inconsistency::StateRoot { .. })
        ),
        "{err}"
    );
    let err = tampered(|db| {
        db.delete_cf(db.cf_handle("meta").unwrap(), b"state_acc")
            .unwrap();
    });
    assert!(
        matches!(
            err,
            StorageError::Inconsistent(Inconsistency::MissingAccumulator)
        ),
        "{err}"
    );
}

#[test]
fn main_index_disagreeing_with_the_tip_is_refused() {
    let err = tampered(|db| {
        db.delete_cf(db.cf_handle("main_index").unwrap(), 3u64.to_be_bytes())
            .unwrap();
    });
    assert!(
        matches!(
            err,
            StorageError::Inconsistent(Inconsistency::MainIndex {
                height: 3,
                found: None,
                ..
            })
        ),
        "{err}"
    );
    let err = tampered(|db| {
        db.put_cf(
            db.cf_handle("main_index").unwrap(),
            4u64.to_be_bytes(),
            [1u8; 32],
        )
        .unwrap();
    });
    assert!(
        matches!(
            err,
            StorageError::Inconsistent(Inconsistency::IndexAboveTip(4))
        ),
        "{err}"
    );
    let err = tampered(|db| {
        let tip = tip_hash(db);
        db.delete_cf(db.cf_handle("headers").unwrap(), &tip)
            .unwrap();
    });
    assert!(
        matches!(
            err,
            StorageError::Inconsistent(Inconsistency::MissingTipHeader(_))
        ),
        "{err}"
    );
}

#[test]
fn record_history_above_the_tip_is_refused() {
    let err = tampered(|db| {
        let mut key = 4u64.to_be_bytes().to_vec();
        key.extend_from_slice(&[0u8; 4]);
        key.extend_from_slice(&[7u8; 32]);
        db.put_cf(db.cf_handle("history_by_height").unwrap(), key, [])
            .unwrap();
    });
    assert!(
        matches!(
            err,
            StorageError::Inconsistent(Inconsistency::HistoryAboveTip(4))
        ),
        "{err}"
    );
}

#[test]
fn a_schema_1_store_is_refused_with_its_version() {
    // A store written before the record history index: no history column families and
    // schema version 1. It must be refused by version, not by a rocksdb error.
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::new();
    let store = init(dir.path(), &chain);
    let path = store.path().to_path_buf();
    drop(store);
    {
        let mut db = raw(&path);
        db.drop_cf("record_history").unwrap();
        db.drop_cf("history_by_height").unwrap();
        write_schema_version_1(&db);
    }
    let err = Store::open(&path).unwrap_err();
    assert_refused_as_schema_1(&err);
    assert!(err.to_string().contains("resync"), "{err}");
}

#[test]
fn schema_version_and_missing_body_are_refused() {
    let err = tampered(|db| {
        write_schema_version_1(db);
    });
    assert_refused_as_schema_1(&err);
    let err = tampered(|db| {
        let two = db
            .get_cf(db.cf_handle("main_index").unwrap(), 2u64.to_be_bytes())
            .unwrap()
            .unwrap();
        db.delete_cf(db.cf_handle("bodies").unwrap(), &two).unwrap();
    });
    assert!(
        matches!(
            err,
            StorageError::Inconsistent(Inconsistency::MissingBody { height: 2, .. })
        ),
        "{err}"
    );
}

#[test]
fn state_contents_check_finds_a_changed_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new();
    let store = init(dir.path(), &chain);
    extend(&mut chain, &store, 2, 2, 0);
    let path = store.path().to_path_buf();
    drop(store);
    {
        let db = raw(&path);
        let state = db.cf_handle("state").unwrap();
        let first = db
            .iterator_cf(state, rocksdb::IteratorMode::Start)
            .next()
            .unwrap()
            .unwrap();
        db.delete_cf(state, &first.0).unwrap();
    }
    // The cheap open-time check does not read the whole state; the full check does.
    let store = Store::open(&path).unwrap();
    let err = store.verify_state().unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Inconsistent(Inconsistency::StateContents)
        ),
        "{err}"
    );
}

// ----- record-owner index ----------------------------------------------------------------

fn sample_record() -> Record {
    infernet_types::test_utils::arb_record()
        .new_tree(&mut TestRunner::deterministic())
        .unwrap()
        .current()
}

/// A block and a delta moving the state from `before` to `after` (storage does not check
/// the transition; it only needs the roots to agree).
fn synthetic(
    parent: Option<&Header>,
    before: &BTreeMap<StateKey, StateValue>,
    after: &BTreeMap<StateKey, StateValue>,
) -> (Block, StateDelta) {
    let acc_of = |m: &BTreeMap<StateKey, StateValue>| {
        let mut acc = StateAccumulator::empty();
        for (k, v) in m {
            acc.insert(&k.encode(), &v.encode());
        }
        acc
    };
    let mut changes = BTreeMap::new();
    let mut previous = BTreeMap::new();
    for k in before.keys().chain(after.keys()) {
        if before.get(k) != after.get(k) {
            changes.insert(*k, after.get(k).cloned());
            previous.insert(*k, before.get(k).cloned());
        }
    }
    let accumulator = acc_of(after);
    let height = parent.map_or(0, |p| p.height + 1);
    let coinbase = Coinbase {
        height,
        recipient: Address([0; 32]),
        amount: Amount(0),
    };
    let header = Header {
        version: Header::VERSION,
        height,
        prev_hash: parent.map_or(Hash::ZERO, Header::hash),
        timestamp: 1_000 + height,
        target: Target::MAX,
        nonce: 0,
        tx_root: Block::tx_root_of(&[coinbase.id()]),
        state_root: accumulator.root(),
    };
    let delta = StateDelta {
        changes,
        previous,
        state_root: accumulator.root(),
        accumulator,
        previous_accumulator: acc_of(before),
    };
    (
        Block {
            header,
            coinbase,
            txs: Vec::new(),
        },
        delta,
    )
}

#[test]
fn record_owner_index_follows_transfers_and_undo() {
    let dir = tempfile::tempdir().unwrap();
    let (alice, bob) = (Address([0xa1; 32]), Address([0xb0; 32]));
    let (x, y) = (Hash([1; 32]), Hash([2; 32]));
    let mut rec_x = sample_record();
    rec_x.id = x;
    rec_x.owner = alice;
    let s0 = BTreeMap::from([(StateKey::Record(x), StateValue::Record(rec_x.clone()))]);
    let (genesis, d0) = synthetic(None, &BTreeMap::new(), &s0);
    let store = Store::open_or_init_with(dir.path(), 99, &genesis, &d0).unwrap();
    assert_eq!(store.records_by_owner(&alice, None, 10).unwrap(), vec![x]);

    // Block 1: x moves to bob, y is minted to bob.
    let mut x_bob = rec_x.clone();
    x_bob.owner = bob;
    let mut rec_y = rec_x.clone();
    rec_y.id = y;
    rec_y.owner = bob;
    let s1 = BTreeMap::from([
        (StateKey::Record(x), StateValue::Record(x_bob)),
        (StateKey::Record(y), StateValue::Record(rec_y)),
    ]);
    let (b1, d1) = synthetic(Some(&genesis.header), &s0, &s1);
    store.import_block(&b1, &d1).unwrap();
    assert!(store.records_by_owner(&alice, None, 10).unwrap().is_empty());
    assert_eq!(store.records_by_owner(&bob, None, 10).unwrap(), vec![x, y]);
    assert_eq!(store.records_by_owner(&bob, None, 1).unwrap(), vec![x]);
    assert_eq!(store.records_by_owner(&bob, Some(&x), 10).unwrap(), vec![y]);
    assert!(
        store
            .records_by_owner(&bob, Some(&y), 10)
            .unwrap()
            .is_empty()
    );

    let store = reopen(store).unwrap();
    assert_eq!(store.records_by_owner(&bob, None, 10).unwrap(), vec![x, y]);
    store.disconnect_tip().unwrap();
    assert_eq!(store.records_by_owner(&alice, None, 10).unwrap(), vec![x]);
    assert!(store.records_by_owner(&bob, None, 10).unwrap().is_empty());
    let store = reopen(store).unwrap();
    assert_eq!(store.records_by_owner(&alice, None, 10).unwrap(), vec![x]);
    store.verify_state().unwrap();

    // Reconnect through a reorg: the index follows again.
    let out = store
        .reorg_to(&b1.hash(), |_view: &dyn StateView, _b: &Block| {
            Ok::<_, String>(d1.clone())
        })
        .unwrap();
    assert_eq!(out.connected, vec![b1.hash()]);
    assert_eq!(store.records_by_owner(&bob, None, 10).unwrap(), vec![x, y]);
    store.verify_state().unwrap();
}

// ----- crash safety ----------------------------------------------------------------------

const CHILD_ENV: &str = "INFERNET_STORAGE_CRASH_CHILD_DIR";

/// In the child: import blocks of 50 transfers on whatever tip the store has, forever,
/// printing each new height.
fn child_import_forever(dir: &Path) -> ! {
    let chain = Chain::new();
    let store = Store::open_or_init(dir, &chain.spec).unwrap();
    loop {
        let tip = store.tip();
        let ts = store.recent_timestamps(&tip.hash, 11).unwrap();
        let ctx = BlockContext::new(&chain.spec, &tip.header, &ts, NOW);
        let mut txs = Vec::new();
        for (i, acc) in chain.accounts.iter().enumerate() {
            let nonce = match store.get(&StateKey::Account(acc.address)).unwrap() {
                Some(StateValue::Account(a)) => a.nonce,
                _ => 0,
            };
            for j in 0..5 {
                let to = chain.accounts[(i + 1) % chain.accounts.len()].address;
                txs.push(transfer(&chain.spec, acc, to, nonce + j, 1 + j));
            }
        }
        let t = build_block(
            &store,
            &ctx,
            tip.header.timestamp + 2,
            Address([9; 32]),
            txs,
        )
        .unwrap();
        assert!(t.rejected.is_empty());
        let mut block = t.block;
        assert!(mine(&mut block.header, 1_000_000));
        store.import_block(&block, &t.delta).unwrap();
        println!("height {}", block.header.height);
    }
}

#[test]
fn killed_mid_import_reopens_consistent() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        child_import_forever(Path::new(&dir));
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut last_height = 0;
    for round in 0..3u64 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "killed_mid_import_reopens_consistent",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // Let it import a few blocks, then kill it at a point that varies by round.
        let mut seen = 0;
        while seen < 2 + round {
            let line = lines.next().expect("child exited early").unwrap();
            if line.starts_with("height ") {
                seen += 1;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(3 + 7 * round));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let store = Store::open(dir.path()).unwrap();
        store.verify_state().unwrap();
        let tip = store.tip();
        assert!(
            tip.height() >= last_height + 2,
            "round {round}: tip {} after {last_height}",
            tip.height()
        );
        let block = store.block(&tip.hash).unwrap().unwrap();
        for tx in &block.txs {
            assert_eq!(
                store.transaction(&tx.txid()).unwrap().unwrap().block,
                tip.hash
            );
        }
        last_height = tip.height();
    }
}

#[test]
fn a_directory_left_before_the_first_batch_is_initialised_again() {
    let dir = tempfile::tempdir().unwrap();
    {
        // What a crash between creating the database and committing genesis leaves behind.
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        rocksdb::DB::open_cf(&opts, dir.path(), CFS).unwrap();
    }
    assert!(matches!(
        Store::open(dir.path()),
        Err(StorageError::NotInitialised(_))
    ));
    let chain = Chain::new();
    let store = Store::open_or_init(dir.path(), &chain.spec).unwrap();
    assert_eq!(store.tip().hash, chain.genesis);
    chain.assert_state(&store, &chain.genesis);
    let store = reopen(store).unwrap();
    assert_eq!(store.genesis_hash(), chain.genesis);
}
