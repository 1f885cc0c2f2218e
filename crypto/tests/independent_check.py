"""Independent reimplementation of specs/crypto.md in Python, written from the spec text.

Checks every entry of specs/vectors/*.json and the keystore fixture with other libraries
(pyca/cryptography, pycryptodome, the blake3 package). Not run by CI; run by hand after a
change to the spec or the vectors:

    python3 -m venv /tmp/v && /tmp/v/bin/pip install blake3 cryptography pycryptodome
    /tmp/v/bin/python crypto/tests/independent_check.py
"""
import os
import json, hmac, hashlib, struct, sys
import blake3
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from Crypto.Cipher import ChaCha20_Poly1305

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
V = os.path.join(ROOT, 'specs', 'vectors') + os.sep
def H(ctx, data): return blake3.blake3(data, derive_key_context=ctx).digest()
def extract(salt, ikm): return hmac.new(salt or b'\0'*32, ikm, hashlib.sha256).digest()
def expand(prk, info, L):
    out, t, i = b'', b'', 1
    while len(out) < L:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest(); out += t; i += 1
    return out[:L]
KEM = b'KEM\x00\x20'; HP = b'HPKE\x00\x20\x00\x01\x00\x03'
def lx(sid, salt, label, ikm): return extract(salt, b'HPKE-v1' + sid + label + ikm)
def le(sid, prk, label, info, L): return expand(prk, struct.pack('>H', L) + b'HPKE-v1' + sid + label + info, L)
def x25519(sk, pk):
    return X25519PrivateKey.from_private_bytes(sk).exchange(X25519PublicKey.from_public_bytes(pk))
def xpub(sk):
    return X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

n = 0
for e in json.load(open(V + 'hpke.json')):
    g = lambda k: bytes.fromhex(e[k])
    skE, pkR = g('ephemeral_sk'), g('recipient_pk')
    enc = xpub(skE); assert enc == g('enc')
    dh = x25519(skE, pkR); assert dh != b'\0' * 32
    ss = le(KEM, lx(KEM, b'', b'eae_prk', dh), b'shared_secret', enc + pkR, 32)
    ctx = b'\x00' + lx(HP, b'', b'psk_id_hash', b'') + lx(HP, b'', b'info_hash', g('info'))
    secret = lx(HP, ss, b'secret', b'')
    key, nonce = le(HP, secret, b'key', ctx, 32), le(HP, secret, b'base_nonce', ctx, 12)
    assert ChaCha20Poly1305(key).encrypt(nonce, g('plaintext'), g('aad')) == g('ciphertext'); n += 1
print('hpke ok', n)

n = 0
for e in json.load(open(V + 'signatures.json')):
    g = lambda k: bytes.fromhex(e[k])
    c = e['context'].encode()
    sb = b'INFERNET-SIG-V1\x00' + struct.pack('<Q', len(c)) + c + struct.pack('<Q', e['chain_id']) + g('message')
    assert sb == g('signed_bytes')
    sk = Ed25519PrivateKey.from_private_bytes(g('seed'))
    assert sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == g('public_key')
    assert sk.sign(sb) == g('signature'); n += 1
print('signatures ok', n)

CS = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
def polymod(v):
    G = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]; c = 1
    for x in v:
        b = c >> 25; c = ((c & 0x1ffffff) << 5) ^ x
        for i in range(5):
            if (b >> i) & 1: c ^= G[i]
    return c
def bech32m(hrp, data):
    acc = bits = 0; five = []
    for b in data:
        acc = (acc << 8) | b; bits += 8
        while bits >= 5: bits -= 5; five.append((acc >> bits) & 31)
    if bits: five.append((acc << (5 - bits)) & 31)
    hx = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = polymod(hx + five + [0] * 6) ^ 0x2bc830a3
    return hrp + '1' + ''.join(CS[d] for d in five + [(pm >> 5 * (5 - i)) & 31 for i in range(6)])
n = 0
for e in json.load(open(V + 'addresses.json')):
    assert bech32m('inf', bytes.fromhex(e['public_key'])) == e['address']; n += 1
print('addresses ok', n)

def merkle(leaves):
    if not leaves: return H('infernet/v1/merkle-empty', b'')
    lvl = [H('infernet/v1/merkle-leaf', l) for l in leaves]
    while len(lvl) > 1:
        nxt = [H('infernet/v1/merkle-node', lvl[i] + lvl[i + 1]) for i in range(0, len(lvl) - 1, 2)]
        if len(lvl) % 2: nxt.append(lvl[-1])
        lvl = nxt
    return lvl[0]
n = 0
for e in json.load(open(V + 'merkle.json')):
    assert merkle([bytes.fromhex(l) for l in e['leaves']]).hex() == e['root']; n += 1
print('merkle ok', n)

n = 0
for e in json.load(open(V + 'reply_keys.json')):
    sk = H('infernet/v1/reply-key', bytes.fromhex(e['seed']))
    assert sk.hex() == e['x25519_sk'] and xpub(sk).hex() == e['x25519_pk']; n += 1
print('reply keys ok', n)

k = json.load(open(os.path.join(ROOT, 'crypto', 'tests', 'data', 'keystore-v1.json')))
kd = k['kdf']
key = Argon2id(salt=bytes.fromhex(kd['salt']), length=32, iterations=kd['iterations'], lanes=kd['parallelism'], memory_cost=kd['memory_kib']).derive(b'correct horse battery staple')
ct = bytes.fromhex(k['cipher']['ciphertext'])
c = ChaCha20_Poly1305.new(key=key, nonce=bytes.fromhex(k['cipher']['nonce'])); c.update(k['address'].encode())
seed = c.decrypt_and_verify(ct[:32], ct[32:]); assert seed == bytes(range(32))
pk = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
assert bech32m('inf', pk) == k['address']
chk = H('infernet/v1/keystore-checksum', struct.pack('<I', 1) + pk + struct.pack('<III', kd['memory_kib'], kd['iterations'], kd['parallelism']) + bytes.fromhex(kd['salt']) + bytes.fromhex(k['cipher']['nonce']) + ct)
assert chk.hex() == k['checksum']
print('keystore ok')
# mnemonic -> seed for the Trezor vector
bs = hashlib.pbkdf2_hmac('sha512', ('abandon ' * 11 + 'about').encode(), b'mnemonicTREZOR', 2048)
assert bs.hex().startswith('c55257c3')
assert H('infernet/v1/mnemonic-seed', bs).hex() == '511633f5b2d3ed1f66f9d19e36a1d1b78d8c40775984870f5923402eb85cab23'
print('mnemonic ok')
