// The page's private key reader (WebCrypto, which Node has too) against keys
// written by the tools users have: ssh-keygen's PEM (plain and with OpenSSL's
// passphrase), its OpenSSH format (plain and protected), PKCS#8 from
// openssl (plain and PBES2-encrypted); wrong keys and passphrases; the pair
// the page generates; and MD5 against OpenSSL's.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, createPublicKey, randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { encryptPassword } from "../../src/model/password-crypto.js";
import { readPrivateKey } from "../../src/model/ssh-private-key.js";
import { parseSshPublicKey } from "../../src/model/ssh-public-key.js";
import { generateRsaKeyPair } from "../../web/src/keys/generate.js";
import { md5 } from "../../web/src/password/md5.js";
import {
  decryptWithKey,
  importPrivateKey,
  keyNeedsPassphrase,
  PassphraseError,
  PrivateKeyError,
} from "../../web/src/password/private-key.js";
import { tempDir } from "../helpers/paths.js";

const dir = tempDir("web-keys");
after(() => rmSync(dir, { recursive: true, force: true }));
const phrase = "pass word 9";
const base = join(dir, "rsa");
execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", base]);
const publicKey = createPublicKey(readPrivateKey(readFileSync(base, "utf8")));

/** The same key in another format, written by ssh-keygen or openssl. */
function variant(name: string, make: (file: string) => void): string {
  const file = join(dir, name);
  writeFileSync(file, readFileSync(base), { mode: 0o600 });
  make(file);
  return readFileSync(file, "utf8");
}
const sshKeygen = (...args: string[]) => execFileSync("ssh-keygen", ["-q", ...args]);
const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });

const formats: [string, string, string | undefined][] = [
  ["PKCS#1 PEM", readFileSync(base, "utf8"), undefined],
  [
    "PKCS#1 PEM with a passphrase (AES-128-CBC)",
    variant("pem-pass", (f) => sshKeygen("-p", "-m", "PEM", "-N", phrase, "-f", f)),
    phrase,
  ],
  ["OpenSSH", variant("openssh", (f) => sshKeygen("-p", "-N", "", "-f", f)), undefined],
  [
    "OpenSSH with a passphrase",
    variant("openssh-pass", (f) => sshKeygen("-p", "-N", phrase, "-f", f)),
    phrase,
  ],
  [
    "PKCS#8",
    variant("pkcs8", (f) => openssl("pkcs8", "-topk8", "-nocrypt", "-in", base, "-out", f)),
    undefined,
  ],
  [
    "PKCS#8 encrypted (PBES2, AES-256-CBC, HMAC-SHA256)",
    variant("pkcs8-pass", (f) =>
      openssl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", `pass:${phrase}`, "-in", base, "-out", f),
    ),
    phrase,
  ],
  [
    "PKCS#8 encrypted (PBES2, AES-128-CBC, HMAC-SHA1)",
    variant("pkcs8-sha1", (f) =>
      openssl(
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-128-cbc",
        "-v2prf",
        "hmacWithSHA1",
        "-passout",
        `pass:${phrase}`,
        "-in",
        base,
        "-out",
        f,
      ),
    ),
    phrase,
  ],
];

test("every format users have decrypts the guest's password in the page", async () => {
  const encrypted = encryptPassword(publicKey, "Aa1!-secret");
  for (const [name, text, passphrase] of formats) {
    assert.equal(keyNeedsPassphrase(text), passphrase !== undefined, name);
    if (passphrase)
      await assert.rejects(importPrivateKey(text), PassphraseError, `${name}: asks for its passphrase`);
    const key = await importPrivateKey(text, passphrase);
    assert.equal(key.extractable, false, `${name}: the key cannot be read back`);
    assert.equal(await decryptWithKey(key, encrypted), "Aa1!-secret", name);
  }
});

test("a wrong passphrase, a non-RSA key, a public key and a damaged file are told apart", async () => {
  for (const [name, text, passphrase] of formats.filter(([, , p]) => p)) {
    await assert.rejects(importPrivateKey(text, `${passphrase}x`), PassphraseError, name);
  }
  const ed = join(dir, "ed");
  sshKeygen("-t", "ed25519", "-N", "", "-f", ed);
  await assert.rejects(importPrivateKey(readFileSync(ed, "utf8")), /ssh-ed25519 key; only RSA keys/);
  const ec = openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256").toString();
  await assert.rejects(importPrivateKey(ec), /not an RSA private key/);
  await assert.rejects(
    importPrivateKey(readFileSync(`${base}.pub`, "utf8")),
    /not a private key: .*not the \.pub/,
  );
  const pem = readFileSync(base, "utf8");
  const cut = pem.replace(/\n[A-Za-z0-9+/]{64}\n/, "\n");
  await assert.rejects(importPrivateKey(cut), PrivateKeyError);
  const other = join(dir, "other");
  sshKeygen("-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", other);
  const wrong = await importPrivateKey(readFileSync(other, "utf8"));
  await assert.rejects(decryptWithKey(wrong, encryptPassword(publicKey, "x")));
});

test("a pair generated in the page: dcmgr takes its public key, ssh-keygen and mussel read its private key", async () => {
  const pair = await generateRsaKeyPair("gui-made", 2048);
  const parsed = parseSshPublicKey(pair.publicKey);
  assert.equal(parsed.type, "ssh-rsa");
  assert.equal(parsed.bits, 2048);
  const file = join(dir, "made.pem");
  writeFileSync(file, pair.privatePem, { mode: 0o600 });
  const derived = execFileSync("ssh-keygen", ["-y", "-f", file]).toString().trim();
  assert.equal(derived.split(" ").slice(0, 2).join(" "), pair.publicKey.split(" ").slice(0, 2).join(" "));
  const encrypted = encryptPassword(createPublicKey(readPrivateKey(pair.privatePem)), "pw");
  assert.equal(await decryptWithKey(await importPrivateKey(pair.privatePem), encrypted), "pw");
});

test("MD5 agrees with OpenSSL's at every length around its block edges", () => {
  for (const n of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
    const data = randomBytes(n);
    assert.equal(
      Buffer.from(md5(data)).toString("hex"),
      createHash("md5").update(data).digest("hex"),
      `${n} bytes`,
    );
  }
});
