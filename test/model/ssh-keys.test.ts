// Public keys users paste, and the private keys they decrypt with, made by the real ssh-keygen and openssl.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { decryptPassword, encryptPassword } from "../../src/model/password-crypto.js";
import { needsPassphrase, readPrivateKey } from "../../src/model/ssh-private-key.js";
import { parseSshPublicKey, rsaPublicKeyToOpenSsh } from "../../src/model/ssh-public-key.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("keys");
test.after(() => rmSync(dir, { recursive: true, force: true }));

function keygen(name: string, args: string[]): string {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-f", file, ...args]);
  return file;
}

test("public keys of every accepted type parse, with ssh-keygen's fingerprint", () => {
  for (const [name, args, bits] of [
    ["rsa", ["-t", "rsa", "-b", "3072", "-N", ""], 3072],
    ["ed", ["-t", "ed25519", "-N", ""], 256],
    ["ec", ["-t", "ecdsa", "-b", "384", "-N", ""], 384],
  ] as const) {
    const file = keygen(name, [...args]);
    const key = parseSshPublicKey(readFileSync(`${file}.pub`, "utf8"));
    const expected = execFileSync("ssh-keygen", ["-l", "-f", `${file}.pub`])
      .toString()
      .split(" ");
    assert.equal(key.fingerprint, expected[1]);
    assert.equal(key.bits, bits);
  }
});

test("garbage, private keys, damaged and short RSA keys are refused with the reason", () => {
  const rsa = readFileSync(`${keygen("rsa1024", ["-t", "rsa", "-b", "1024", "-N", ""])}.pub`, "utf8");
  assert.throws(() => parseSshPublicKey(rsa), /this RSA key has 1024 bits; at least 2048 are needed/);
  const priv = readFileSync(join(dir, "rsa1024"), "utf8");
  assert.throws(() => parseSshPublicKey(priv), /this is a private key: never send it/);
  assert.throws(() => parseSshPublicKey("hello world"), /not an OpenSSH public key/);
  const good = readFileSync(`${keygen("rsa2", ["-t", "rsa", "-b", "2048", "-N", ""])}.pub`, "utf8");
  const [t, data] = good.split(" ");
  assert.throws(() => parseSshPublicKey(`${t} ${data!.slice(0, 100)}`), /damaged|cut short/);
  assert.throws(() => parseSshPublicKey(`ssh-ed25519 ${data}`), /says it is ssh-ed25519 but its data is not/);
});

test("a server-made RSA key reads back as the same key", () => {
  const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const line = rsaPublicKeyToOpenSsh(pair.publicKey, "ssh-test");
  const parsed = parseSshPublicKey(line);
  assert.equal(parsed.bits, 2048);
  const file = join(dir, "made.pub");
  execFileSync("sh", ["-c", `printf '%s\\n' "$1" > "$2"`, "sh", line, file]);
  const pem = execFileSync("ssh-keygen", ["-e", "-m", "PKCS8", "-f", file]).toString();
  assert.equal(
    createPublicKey(pem).export({ format: "der", type: "spki" }).toString("base64"),
    pair.publicKey.export({ format: "der", type: "spki" }).toString("base64"),
  );
});

test("private keys in every format decrypt what the guest encrypted", () => {
  const password = "wvh?^A&}&}";
  const openssh = keygen("o", ["-t", "rsa", "-b", "2048", "-N", ""]);
  const protectedKey = keygen("p", ["-t", "rsa", "-b", "2048", "-N", "s3cret pass"]);
  const pem = keygen("pem", ["-t", "rsa", "-b", "2048", "-N", "", "-m", "PEM"]);
  const pkcs8 = join(dir, "p8");
  execFileSync("openssl", ["pkcs8", "-topk8", "-nocrypt", "-in", pem, "-out", pkcs8]);
  const pkcs8Protected = join(dir, "p8e");
  execFileSync("openssl", [
    "pkcs8",
    "-topk8",
    "-v2",
    "aes-256-cbc",
    "-passout",
    "pass:pw8",
    "-in",
    pem,
    "-out",
    pkcs8Protected,
  ]);
  for (const [file, pass] of [
    [openssh, undefined],
    [protectedKey, "s3cret pass"],
    [pem, undefined],
    [pkcs8, undefined],
    [pkcs8Protected, "pw8"],
  ] as const) {
    const text = readFileSync(file, "utf8");
    assert.equal(needsPassphrase(text), pass !== undefined, file);
    const key = readPrivateKey(text, pass);
    assert.equal(decryptPassword(key, encryptPassword(createPublicKey(key), password)), password);
  }
  assert.throws(() => readPrivateKey(readFileSync(protectedKey, "utf8"), "wrong"), /passphrase is wrong/);
  assert.throws(() => readPrivateKey(readFileSync(protectedKey, "utf8")), /protected by a passphrase/);
  const ed = keygen("ed-private", ["-t", "ed25519", "-N", ""]);
  assert.throws(() => readPrivateKey(readFileSync(ed, "utf8")), /ssh-ed25519 key; only RSA keys can decrypt/);
});

test("the ciphertext is exactly the modulus length and openssl decrypts it", () => {
  const pem = keygen("ossl", ["-t", "rsa", "-b", "2048", "-N", "", "-m", "PEM"]);
  const key = readPrivateKey(readFileSync(pem, "utf8"));
  const encrypted = Buffer.from(encryptPassword(createPublicKey(key), "Pa$$w0rd!!"), "base64");
  assert.equal(encrypted.length, 256);
  const out = execFileSync(
    "openssl",
    ["pkeyutl", "-decrypt", "-inkey", pem, "-pkeyopt", "rsa_padding_mode:oaep"],
    {
      input: encrypted,
    },
  );
  assert.equal(out.toString(), "Pa$$w0rd!!");
});
